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
//! The handler is never failed as a whole, so one bad message does not redeliver the batch.

use std::future::Future;

use aws_lambda_events::sqs::BatchItemFailure;
use genoflow_core::ports::{Message, QueueName};

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

/// A body as a core [`Message`] for `queue`.
///
/// # Errors
/// Why it is poison: not JSON of a known message, or a message for another queue.
pub fn parse_message(body: &str, queue: QueueName) -> Result<Message, String> {
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
