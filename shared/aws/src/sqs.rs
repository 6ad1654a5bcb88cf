//! [`Queue`] over SQS.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sqs::Client;
use genoflow_core::ports::{Message, Queue, QueueError, QueueName};

use crate::describe;

/// The analysis and anchor queues, and the validation queue the sweeper re-drives validations
/// through when one is configured.
///
/// Messages are the JSON of [`Message`] (`{"type": "analysis_requested", ...}`); the consumers'
/// event sources deliver them, with a dead-letter queue behind each (docs/AWS.md).
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    analysis_url: String,
    anchor_url: String,
    validation_url: Option<String>,
}

impl SqsQueue {
    /// Sends to the queues at these URLs.
    pub fn new(config: &SdkConfig, analysis_url: &str, anchor_url: &str) -> Self {
        Self {
            client: Client::new(config),
            analysis_url: analysis_url.to_owned(),
            anchor_url: anchor_url.to_owned(),
            validation_url: None,
        }
    }

    /// Sends `object_stored` messages to the queue at `url` (the validate function's second
    /// trigger: S3 notifies it of new uploads, the sweeper re-drives stuck validations here).
    #[must_use]
    pub fn with_validation_queue(mut self, url: &str) -> Self {
        self.validation_url = Some(url.to_owned());
        self
    }

    /// The URL of `queue`; `None` for [`QueueName::Validation`] unless
    /// [`SqsQueue::with_validation_queue`] named one.
    pub fn url(&self, queue: QueueName) -> Option<&str> {
        match queue {
            QueueName::Analysis => Some(&self.analysis_url),
            QueueName::Anchor => Some(&self.anchor_url),
            QueueName::Validation => self.validation_url.as_deref(),
        }
    }

    /// The SDK client, for what the port does not cover (setup, tests).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, message: &Message) -> Result<(), QueueError> {
        let queue = message.queue();
        let url = self.url(queue).ok_or_else(|| QueueError {
            queue,
            message: "no validation queue is configured (GENOFLOW_VALIDATION_QUEUE_URL): S3 \
                      invokes the validate function, and only the sweeper re-drives validations"
                .to_owned(),
        })?;
        self.client
            .send_message()
            .queue_url(url)
            .message_body(message.to_json())
            .send()
            .await
            .map_err(|error| QueueError {
                queue,
                message: describe(&error).message,
            })?;
        Ok(())
    }
}
