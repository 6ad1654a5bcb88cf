//! SQS batches in, partial batch responses out.
//!
//! The event source mapping is configured with `FunctionResponseTypes: [ReportBatchItemFailures]`:
//! the function answers `{"batchItemFailures": [{"itemIdentifier": messageId}, …]}` and SQS
//! deletes every other message of the batch. A listed message becomes visible again after the
//! queue's visibility timeout and is redelivered; after `maxReceiveCount` receives the queue's
//! redrive policy moves it to the dead-letter queue. [`process_batch`] lists:
//! - a **poison** message (no body, not JSON of a known [`Message`], or a message for another
//!   queue): no retry can fix it, it is listed so it reaches the dead-letter queue (logged at
//!   `error` with its message id, never dropped);
//! - a message whose use case failed: retryable (an outage, logged at `warn`) or final (logged at
//!   `error`); both are listed, the final ones so an operator finds them in the dead-letter queue.
//!
//! - a message whose work is in progress elsewhere (a live claim, [`Settled::RetryLater`]):
//!   listed so SQS delivers it again after the visibility timeout, logged at `info` — never
//!   acknowledged as done, so a claim whose holder died is taken over by a later delivery.
//!
//! [`process_deliveries`] tells each handler which delivery it runs ([`Attempt`], from
//! `ApproximateReceiveCount` and the queue's `maxReceiveCount`), so on the last one it records
//! why the work cannot finish instead of leaving it to a retry that never comes.
//!
//! The handler is never failed as a whole, so one bad message does not redeliver the batch.

use std::future::Future;

use aws_lambda_events::sqs::BatchItemFailure;
use genoflow_core::{
    ports::{Message, ObjectStored, QueueName},
    usecases::Attempt,
};

pub use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

/// Why a message of the batch was not processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageFailure {
    /// The body is not a message for this queue.
    Poison(String),
    /// The use case failed; a retry may succeed.
    Retryable(String),
    /// The use case failed for good.
    Final(String),
    /// The work is in progress elsewhere: delivered again later.
    RetryLater(String),
}

/// What a handler of [`process_deliveries`] made of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Handled: SQS deletes the message.
    Done,
    /// Not now (the work is claimed by a live handler until its lease ends): listed in the
    /// batch response, so SQS delivers the message again after the visibility timeout.
    RetryLater(String),
}

impl Settled {
    /// The answer to a delivery whose work another handler has claimed until `claimed_until`:
    /// a retry later, but on the last delivery `Done` (the sweeper returns the claim if its
    /// holder died, so the message need not go to the dead-letter queue); `Done` when nothing
    /// was claimed.
    pub fn unless_claimed(claimed_until: Option<time::OffsetDateTime>, attempt: Attempt) -> Self {
        match claimed_until {
            Some(until) if !attempt.is_last() => {
                Self::RetryLater(format!("claimed by another handler until {until}"))
            }
            _ => Self::Done,
        }
    }
}

/// Which delivery `record` is: its `ApproximateReceiveCount` (1 when absent) against the
/// queue's `maxReceiveCount`.
///
/// ```
/// use genoflow_aws::lambda::sqs::{SqsMessage, attempt};
/// let record: SqsMessage = serde_json::from_value(serde_json::json!({
///     "messageId": "m1", "attributes": {"ApproximateReceiveCount": "5"}
/// }))?;
/// assert!(attempt(&record, 5).is_last());
/// assert!(!attempt(&record, 6).is_last());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn attempt(record: &SqsMessage, max_receive_count: u32) -> Attempt {
    let receive_count = record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1);
    Attempt {
        receive_count,
        max_receive_count,
    }
}

/// [`process_batch`] for handlers that see which delivery they run ([`attempt`]) and may answer
/// [`Settled::RetryLater`].
pub async fn process_deliveries<F, Fut>(
    event: &SqsEvent,
    queue: QueueName,
    max_receive_count: u32,
    mut handle: F,
) -> BatchOutcome
where
    F: FnMut(Message, Attempt) -> Fut,
    Fut: Future<Output = Result<Settled, genoflow_core::Error>>,
{
    let mut items = Vec::with_capacity(event.records.len());
    for record in &event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let failure = match parse_record(record, |body| parse_message(body, queue)) {
            Err(failure) => Some(failure),
            Ok(message) => match handle(message, attempt(record, max_receive_count)).await {
                Ok(Settled::Done) => None,
                Ok(Settled::RetryLater(why)) => {
                    tracing::info!(%message_id, receive_count = receive_count(record), %why, "in progress elsewhere; SQS will deliver it again");
                    Some(MessageFailure::RetryLater(why))
                }
                Err(error) => Some(classify(record, &error)),
            },
        };
        items.push(ItemResult {
            message_id,
            failure,
        });
    }
    BatchOutcome { items }
}

/// One message's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    /// The SQS message id.
    pub message_id: String,
    /// `None`: processed (and deleted by SQS).
    pub failure: Option<MessageFailure>,
}

/// The outcome of a batch: per message, and the response for Lambda.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    /// Every message, in batch order.
    pub items: Vec<ItemResult>,
}

impl BatchOutcome {
    /// The partial batch response: the ids of every message that failed.
    ///
    /// A message without a `messageId` (never sent by SQS) is listed with an empty id, which
    /// Lambda treats as a failure of the whole batch: nothing is lost.
    pub fn response(&self) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = self
            .items
            .iter()
            .filter(|item| item.failure.is_some())
            .map(|item| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = item.message_id.clone();
                failure
            })
            .collect();
        response
    }
}

/// Parses each message of `event` as a [`Message`] for `queue` and runs `handle` on it, one at a
/// time in batch order (a sample's messages are independent; the anchor function wants one
/// transaction per batch anyway and gathers them itself).
///
/// ```
/// use genoflow_aws::lambda::sqs::{SqsEvent, process_batch};
/// use genoflow_core::ports::QueueName;
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let event: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [
///     {"messageId": "m1", "body": "{\"type\":\"analysis_requested\",\"sample_id\":\"s1\"}"},
///     {"messageId": "m2", "body": "not json"}
/// ]}))?;
/// let outcome = process_batch(&event, QueueName::Analysis, |_message| async { Ok(()) }).await;
/// assert_eq!(
///     serde_json::to_value(outcome.response())?,
///     serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn process_batch<F, Fut>(event: &SqsEvent, queue: QueueName, handle: F) -> BatchOutcome
where
    F: FnMut(Message) -> Fut,
    Fut: Future<Output = Result<(), genoflow_core::Error>>,
{
    process_each(event, |body| parse_message(body, queue), handle).await
}

/// [`process_batch`] for messages of another shape than [`Message`] (the oracle queue's):
/// `parse` turns a body into a message or says why it is poison.
pub async fn process_each<T, P, F, Fut>(event: &SqsEvent, parse: P, mut handle: F) -> BatchOutcome
where
    P: Fn(&str) -> Result<T, String>,
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Result<(), genoflow_core::Error>>,
{
    let mut items = Vec::with_capacity(event.records.len());
    for record in &event.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let failure = match parse_record(record, &parse) {
            Err(failure) => Some(failure),
            Ok(message) => handle(message)
                .await
                .err()
                .map(|error| classify(record, &error)),
        };
        items.push(ItemResult {
            message_id,
            failure,
        });
    }
    BatchOutcome { items }
}

/// For handlers that take the whole batch at once (the anchor function: one transaction per
/// batch): the parsed messages with their records, and the poison ones already as failures.
pub fn parse_records<T>(
    event: &SqsEvent,
    parse: impl Fn(&str) -> Result<T, String>,
) -> (Vec<(&SqsMessage, T)>, Vec<ItemResult>) {
    let mut parsed = Vec::new();
    let mut poison = Vec::new();
    for record in &event.records {
        match parse_record(record, &parse) {
            Ok(message) => parsed.push((record, message)),
            Err(failure) => poison.push(ItemResult {
                message_id: record.message_id.clone().unwrap_or_default(),
                failure: Some(failure),
            }),
        }
    }
    (parsed, poison)
}

/// The failure of `record` when its use case failed with `error`: retryable (an outage, logged
/// at `warn`) or final (logged at `error`, for an operator to find in the dead-letter queue).
pub fn classify(record: &SqsMessage, error: &genoflow_core::Error) -> MessageFailure {
    let message_id = record.message_id.as_deref().unwrap_or_default();
    if error.is_retryable() {
        tracing::warn!(%message_id, receive_count = receive_count(record), code = error.code(), error = %error, "message failed; SQS will redeliver it");
        MessageFailure::Retryable(error.to_string())
    } else {
        tracing::error!(%message_id, receive_count = receive_count(record), code = error.code(), error = %error, "message failed for good: left for the dead-letter queue");
        MessageFailure::Final(error.to_string())
    }
}

/// A body as a core [`Message`] for `queue`. On the validation queue an S3 event notification
/// (what the bucket sends there for each object created under `uploads/`) is the
/// `object_stored` message of its object ([`s3_notification`]).
///
/// # Errors
/// Why it is poison: not JSON of a known message, or a message for another queue.
pub fn parse_message(body: &str, queue: QueueName) -> Result<Message, String> {
    if queue == QueueName::Validation
        && let Some(stored) = s3_notification(body)?
    {
        return Ok(Message::ObjectStored(stored));
    }
    let message =
        Message::from_json(body).map_err(|e| format!("the body is not a message: {e}"))?;
    if message.queue() != queue {
        return Err(format!(
            "a message for the {:?} queue arrived on the {queue:?} queue",
            message.queue()
        ));
    }
    Ok(message)
}

/// An S3 event notification body (`{"Records": [...]}`, one record per message as S3 sends
/// them to a queue) as the [`ObjectStored`] of its object, the key as S3 encodes it; `None` for
/// a body that is not one. S3's `s3:TestEvent`, sent once when the bucket's notification is
/// set, stands for no object: an empty key, which the validate use case ignores (not under
/// `uploads/`) rather than leaving it for the dead-letter queue.
///
/// ```
/// use genoflow_aws::lambda::sqs::s3_notification;
/// let body = r#"{"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
///     "s3": {"object": {"key": "uploads/ST1/d1/r+1.fq", "size": 3}}}]}"#;
/// assert_eq!(s3_notification(body).unwrap().unwrap().key, "uploads/ST1/d1/r+1.fq");
/// assert_eq!(s3_notification(r#"{"Event": "s3:TestEvent"}"#).unwrap().unwrap().key, "");
/// assert!(s3_notification(r#"{"type": "object_stored", "key": "k"}"#).unwrap().is_none());
/// ```
///
/// # Errors
/// A notification without exactly one record with a key.
pub fn s3_notification(body: &str) -> Result<Option<ObjectStored>, String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
        return Ok(None);
    };
    if value["Event"] == "s3:TestEvent" {
        return Ok(Some(ObjectStored { key: String::new() }));
    }
    let Some(records) = value["Records"].as_array() else {
        return Ok(None);
    };
    match records.as_slice() {
        [record] => record["s3"]["object"]["key"]
            .as_str()
            .map(|key| {
                Some(ObjectStored {
                    key: key.to_owned(),
                })
            })
            .ok_or_else(|| "an S3 notification record without an object key".to_owned()),
        _ => Err(format!(
            "an S3 notification of {} records (S3 sends one per message)",
            records.len()
        )),
    }
}

/// The SQS event Lambda's poller hands a function for `messages` as `ReceiveMessage` answered
/// them (ask for `MessageSystemAttributeNames: All`: the receive count is one of them), read
/// from `queue_arn`: for tests and local pollers that drive the handlers the way Lambda does.
pub fn event_from_messages(messages: &[aws_sdk_sqs::types::Message], queue_arn: &str) -> SqsEvent {
    let records: Vec<serde_json::Value> = messages
        .iter()
        .map(|message| {
            let attributes: serde_json::Map<String, serde_json::Value> = message
                .attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), value.as_str().into()))
                .collect();
            serde_json::json!({
                "messageId": message.message_id(),
                "receiptHandle": message.receipt_handle(),
                "body": message.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": message.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(':').nth(3).unwrap_or_default(),
            })
        })
        .collect();
    // Every field is one SqsMessage has, with its type.
    serde_json::from_value(serde_json::json!({ "Records": records })).unwrap_or_default()
}

/// One poll of `queue_url` the way Lambda's event source mapping does it, for tests and local
/// runs: up to `max_messages` messages (waiting a second for them) handed to `handle` as one SQS
/// event ([`event_from_messages`]); the ids `handle` answers as failed are made visible again at
/// once (Lambda lets their visibility timeout run out), the others deleted. Answers how many
/// messages came and the failed ids.
///
/// # Errors
/// An SQS call that failed, in words.
pub async fn poll_once<F, Fut>(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    max_messages: i32,
    handle: F,
) -> Result<(usize, Vec<String>), String>
where
    F: FnOnce(SqsEvent) -> Fut,
    Fut: Future<Output = Vec<String>>,
{
    let received = client
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(max_messages)
        .wait_time_seconds(1)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| format!("receive from {queue_url}: {}", crate::describe(&e).message))?;
    let messages = received.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok((0, Vec::new()));
    }
    // https://host/ACCOUNT/NAME -> arn:aws:sqs:REGION:ACCOUNT:NAME
    let mut path = queue_url.rsplit('/');
    let (name, account) = (
        path.next().unwrap_or_default(),
        path.next().unwrap_or_default(),
    );
    let region = client.config().region().map_or("us-east-1", |r| r.as_ref());
    let arn = format!("arn:aws:sqs:{region}:{account}:{name}");
    let failed = handle(event_from_messages(&messages, &arn)).await;
    for message in &messages {
        let receipt = message.receipt_handle().unwrap_or_default();
        let retried = failed
            .iter()
            .any(|id| Some(id.as_str()) == message.message_id());
        let result = if retried {
            client
                .change_message_visibility()
                .queue_url(queue_url)
                .receipt_handle(receipt)
                .visibility_timeout(0)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| crate::describe(&e).message)
        } else {
            client
                .delete_message()
                .queue_url(queue_url)
                .receipt_handle(receipt)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| crate::describe(&e).message)
        };
        result.map_err(|e| format!("settle a message of {queue_url}: {e}"))?;
    }
    Ok((messages.len(), failed))
}

/// The message ids a partial batch response lists as failed.
pub fn failed_ids(response: &SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.clone())
        .collect()
}

fn parse_record<T>(
    record: &SqsMessage,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, MessageFailure> {
    let parsed = match record.body.as_deref() {
        None => Err("the message has no body".to_owned()),
        Some(body) => parse(body),
    };
    parsed.map_err(|reason| {
        let message_id = record.message_id.as_deref().unwrap_or_default();
        tracing::error!(%message_id, receive_count = receive_count(record), %reason, "poison message: left for the dead-letter queue");
        MessageFailure::Poison(reason)
    })
}

fn receive_count(record: &SqsMessage) -> &str {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .map_or("?", String::as_str)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use genoflow_core::{
        Error,
        ports::{QueueError, TableError},
    };

    use super::*;

    fn batch(bodies: &[Option<&str>]) -> SqsEvent {
        let records: Vec<_> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let mut record = serde_json::json!({"messageId": format!("m{i}"), "eventSource": "aws:sqs",
                    "attributes": {"ApproximateReceiveCount": "1"}});
                if let Some(body) = body {
                    record["body"] = (*body).into();
                }
                record
            })
            .collect();
        serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
    }

    #[tokio::test]
    async fn each_failure_is_classified_and_listed() {
        let analysis = |id: &str| format!(r#"{{"type":"analysis_requested","sample_id":"{id}"}}"#);
        let (ok, outage, corrupt) = (analysis("ok"), analysis("outage"), analysis("corrupt"));
        let event = batch(&[
            Some(&ok),
            None,
            Some("{\"type\":\"analysis_requested\""),
            Some(r#"{"type":"anchor_requested","sample_id":"s","item":"00"}"#),
            Some(&outage),
            Some(&corrupt),
        ]);
        let mut handled = Vec::new();
        let outcome = process_batch(&event, QueueName::Analysis, |message| {
            let Message::AnalysisRequested(request) = message else {
                panic!("only analysis messages reach the handler")
            };
            handled.push(request.sample_id.clone());
            async move {
                match request.sample_id.as_str() {
                    "outage" => Err(Error::Queue(QueueError {
                        queue: QueueName::Anchor,
                        message: "503".into(),
                    })),
                    "corrupt" => Err(Error::Table(TableError::Corrupt {
                        what: "sample#corrupt".into(),
                        message: "bad".into(),
                    })),
                    _ => Ok(()),
                }
            }
        })
        .await;
        assert_eq!(handled, ["ok", "outage", "corrupt"]);
        let kinds: Vec<_> = outcome
            .items
            .iter()
            .map(|item| match &item.failure {
                None => "ok",
                Some(MessageFailure::Poison(_)) => "poison",
                Some(MessageFailure::Retryable(_)) => "retryable",
                Some(MessageFailure::Final(_)) => "final",
                Some(MessageFailure::RetryLater(_)) => "later",
            })
            .collect();
        assert_eq!(
            kinds,
            ["ok", "poison", "poison", "poison", "retryable", "final"]
        );
        let failed: Vec<_> = outcome
            .response()
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        assert_eq!(failed, ["m1", "m2", "m3", "m4", "m5"]);
    }

    #[tokio::test]
    async fn an_all_good_batch_lists_nothing() {
        let event = batch(&[Some(
            r#"{"type":"anchor_requested","sample_id":"s","item":"00"}"#,
        )]);
        let outcome = process_batch(&event, QueueName::Anchor, |_| async { Ok(()) }).await;
        assert_eq!(
            serde_json::to_value(outcome.response()).unwrap(),
            serde_json::json!({"batchItemFailures": []})
        );
    }
}
