use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Every file of a sample is valid: analyse it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisRequested {
    /// The sample to analyse.
    pub sample_id: String,
}

/// A sample's analysis is done: anchor its item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRequested {
    /// The analysed sample.
    pub sample_id: String,
    /// `SHA-256(inputs_hash ‖ report_sha256 ‖ pipeline_id)`, hex.
    pub item: String,
}

/// An object was stored: validate it. On AWS nothing sends this: S3 notifies the validate
/// function itself. `genoflow serve` queues its own blob store's notifications as these, so that
/// a restart does not lose them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectStored {
    /// The key, URL-encoded as an S3 event carries it.
    pub key: String,
}

/// A queue message body (JSON, tagged by `type`).
///
/// ```
/// use genoflow_core::ports::{AnalysisRequested, Message, QueueName};
/// let message = Message::from(AnalysisRequested { sample_id: "s1".into() });
/// assert_eq!(message.queue(), QueueName::Analysis);
/// assert_eq!(message.to_json(), r#"{"type":"analysis_requested","sample_id":"s1"}"#);
/// assert_eq!(Message::from_json(&message.to_json()).unwrap(), message);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// To the analysis queue.
    AnalysisRequested(AnalysisRequested),
    /// To the anchor queue.
    AnchorRequested(AnchorRequested),
    /// To the validation queue (`genoflow serve` only).
    ObjectStored(ObjectStored),
}

/// The queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueName {
    /// Consumed by the analyze function.
    Analysis,
    /// Consumed by the anchor function.
    Anchor,
    /// Object-created notifications, where the blob store has no event source of its own
    /// (`genoflow serve`); S3 invokes the validate function directly.
    Validation,
}

impl Message {
    /// The queue this message goes to.
    pub fn queue(&self) -> QueueName {
        match self {
            Self::AnalysisRequested(_) => QueueName::Analysis,
            Self::AnchorRequested(_) => QueueName::Anchor,
            Self::ObjectStored(_) => QueueName::Validation,
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a message of strings always serialises")
    }

    /// Parses a message body.
    ///
    /// # Errors
    /// The JSON error: a poison message, to be left to the dead-letter queue.
    pub fn from_json(body: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(body)
    }
}

impl From<AnalysisRequested> for Message {
    fn from(message: AnalysisRequested) -> Self {
        Self::AnalysisRequested(message)
    }
}

impl From<ObjectStored> for Message {
    fn from(message: ObjectStored) -> Self {
        Self::ObjectStored(message)
    }
}

impl From<AnchorRequested> for Message {
    fn from(message: AnchorRequested) -> Self {
        Self::AnchorRequested(message)
    }
}

/// A queue failure; retrying may work.
#[derive(Debug, thiserror::Error)]
#[error("could not send to the {queue:?} queue: {message}")]
pub struct QueueError {
    /// The queue.
    pub queue: QueueName,
    /// The service's message.
    pub message: String,
}

/// Message queues (SQS on AWS, in-process when embedded).
#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends `message` to [`Message::queue`]. Every send is delivered (a message sent twice
    /// arrives twice); no order between messages is promised (SQS standard queues keep none).
    async fn send(&self, message: &Message) -> Result<(), QueueError>;
}
