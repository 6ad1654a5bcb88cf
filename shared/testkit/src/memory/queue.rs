//! [`Queue`] as a list of sent messages.

use std::sync::Mutex;

use async_trait::async_trait;
use genoflow_core::ports::{Message, Queue, QueueError};

use super::lock;

/// Sent messages in a list.
#[derive(Default)]
pub struct MemoryQueue {
    sent: Mutex<Vec<Message>>,
    refusals: Mutex<usize>,
}

impl MemoryQueue {
    /// Every message sent so far, in order.
    pub fn sent(&self) -> Vec<Message> {
        lock(&self.sent).clone()
    }

    /// Refuses the next `count` sends, as an SQS outage would (to test retry paths).
    pub fn refuse_next(&self, count: usize) {
        *lock(&self.refusals) = count;
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn send(&self, message: &Message) -> Result<(), QueueError> {
        {
            let mut refusals = lock(&self.refusals);
            if *refusals > 0 {
                *refusals -= 1;
                return Err(QueueError {
                    queue: message.queue(),
                    message: "refused (simulated outage)".to_owned(),
                });
            }
        }
        lock(&self.sent).push(message.clone());
        Ok(())
    }
}
