//! The SQS partial batch response on a batch shaped like the one Lambda delivers
//! (`tests/events/sqs-analysis-batch.json`, after AWS's documented example), with a handler
//! that fails one message with an outage: the response lists the poison message and the failed
//! one, serialised exactly as Lambda reads it.

#![allow(clippy::unwrap_used)]

use genoflow_aws::lambda::sqs::{MessageFailure, SqsEvent, process_batch};
use genoflow_core::{
    Error,
    ports::{Message, QueueError, QueueName},
};

fn batch() -> SqsEvent {
    let path = format!(
        "{}/tests/events/sqs-analysis-batch.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn the_partial_batch_response_names_the_poison_and_the_failed_messages() {
    let mut analysed = Vec::new();
    let outcome = process_batch(&batch(), QueueName::Analysis, |message| {
        let Message::AnalysisRequested(request) = message else {
            panic!("the analysis queue delivered {message:?}")
        };
        analysed.push(request.sample_id.clone());
        async move {
            if request.sample_id == "s-outage" {
                Err(Error::Queue(QueueError {
                    queue: QueueName::Anchor,
                    message: "ServiceUnavailable (HTTP 503)".into(),
                }))
            } else {
                Ok(())
            }
        }
    })
    .await;

    assert_eq!(analysed, ["s-good", "s-outage"]);
    assert!(matches!(
        outcome.items[1].failure,
        Some(MessageFailure::Poison(_))
    ));
    assert!(matches!(
        outcome.items[2].failure,
        Some(MessageFailure::Retryable(_))
    ));
    assert_eq!(
        serde_json::to_value(outcome.response()).unwrap(),
        serde_json::json!({"batchItemFailures": [
            {"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"},
            {"itemIdentifier": "8a9b2c7d-0e1f-4a5b-9c8d-7e6f5a4b3c2d"}
        ]})
    );
}

#[tokio::test]
async fn the_same_batch_redelivered_to_the_wrong_queue_is_all_poison() {
    let outcome = process_batch(&batch(), QueueName::Anchor, |_| async {
        panic!("nothing of the analysis queue reaches the anchor handler")
    })
    .await;
    assert_eq!(outcome.response().batch_item_failures.len(), 3);
}
