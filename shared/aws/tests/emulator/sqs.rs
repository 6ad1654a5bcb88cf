//! SQS passes every queue scenario of the test kit, plus what only SQS shows: a dead-letter queue
//! behind each queue, a missing queue's error in one line.

use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use genoflow_aws::SqsQueue;
use genoflow_core::ports::{AnalysisRequested, Message, Queue, QueueName};
use genoflow_testkit::scenarios::queue::Inbox;

use super::{emulator, receive_all};

/// The queues, received as the functions' event sources do.
struct Consumer(SqsQueue);

#[async_trait]
impl Inbox for Consumer {
    fn queue(&self) -> &dyn Queue {
        &self.0
    }

    async fn received(&self, queue: QueueName) -> Vec<Message> {
        receive_all(&self.0, queue)
            .await
            .iter()
            .map(|body| Message::from_json(body).unwrap())
            .collect()
    }
}

genoflow_testkit::queue_scenarios!(
    [
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
    ]
    async { (Consumer(emulator().await.queue), ()) }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
async fn every_queue_has_a_dead_letter_queue_and_a_missing_one_fails_in_one_line() {
    let aws = emulator().await;
    for queue in [
        QueueName::Analysis,
        QueueName::Anchor,
        QueueName::Validation,
    ] {
        let attributes = aws
            .queue
            .client()
            .get_queue_attributes()
            .queue_url(aws.queue.url(queue).expect("an SQS queue"))
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        let policy: serde_json::Value =
            serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).unwrap();
        assert!(
            policy["deadLetterTargetArn"]
                .as_str()
                .unwrap()
                .ends_with("-dlq"),
            "{queue:?}: {policy}"
        );
    }

    // A queue that does not exist: a one-line message, retryable (a deployment being updated).
    let analysis = Message::from(AnalysisRequested {
        sample_id: "s1".into(),
    });
    let missing = format!("{}-gone", aws.resources.analysis_queue_url);
    let error = SqsQueue::new(&aws.sdk, &missing, &missing)
        .send(&analysis)
        .await
        .unwrap_err();
    assert_eq!(error.queue, QueueName::Analysis);
    assert!(
        error.message.contains("NonExistentQueue (HTTP 400)"),
        "{}",
        error.message
    );
    assert!(!error.message.contains('{'), "{}", error.message);
    assert!(genoflow_core::Error::from(error).is_retryable());
}
