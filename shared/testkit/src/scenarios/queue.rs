//! What every [`Queue`] adapter must do the same way: a message arrives on its own queue, with
//! the body it was sent with, once per send.
//!
//! Each scenario takes fresh, empty queues through an [`Inbox`]: the adapter's tests implement it
//! to receive what a queue holds, as its consumer would.

use async_trait::async_trait;
use genoflow_core::ports::{
    AnalysisRequested, AnchorRequested, Message, ObjectStored, Queue, QueueName,
};

/// The queue under test, and its consumers' side.
#[async_trait]
pub trait Inbox: Send + Sync {
    /// The queue under test.
    fn queue(&self) -> &dyn Queue;

    /// Receives (and acknowledges) every message `queue` holds now.
    async fn received(&self, queue: QueueName) -> Vec<Message>;
}

fn analysis(sample_id: &str) -> Message {
    Message::from(AnalysisRequested {
        sample_id: sample_id.into(),
    })
}

/// Sorted by body: the port promises no order (SQS standard queues keep none).
fn sorted(mut messages: Vec<Message>) -> Vec<Message> {
    messages.sort_by_key(Message::to_json);
    messages
}

/// Each message reaches its own queue with the body it was sent with, and no other queue.
pub async fn messages_arrive_as_sent_to_their_queue(inbox: &dyn Inbox) {
    let anchor = Message::from(AnchorRequested {
        sample_id: "s0".into(),
        item: "ab".repeat(32),
    });
    let stored = Message::from(ObjectStored {
        key: "uploads%2FSP1%2Fd1%2Freads+1%2B2.fq".into(),
    });
    // Characters JSON and URLs escape arrive unchanged.
    let odd = analysis("s\"2\\ é+%20 ✓");
    for message in [&analysis("s1"), &anchor, &odd, &stored] {
        inbox.queue().send(message).await.unwrap();
    }
    assert_eq!(
        sorted(inbox.received(QueueName::Analysis).await),
        sorted(vec![analysis("s1"), odd])
    );
    assert_eq!(inbox.received(QueueName::Anchor).await, [anchor]);
    assert_eq!(inbox.received(QueueName::Validation).await, [stored]);
    for queue in [
        QueueName::Analysis,
        QueueName::Anchor,
        QueueName::Validation,
    ] {
        assert_eq!(inbox.received(queue).await, [], "{queue:?}");
    }
}

/// The same message sent twice arrives twice: queues do not deduplicate (consumers are
/// idempotent instead).
pub async fn a_message_sent_twice_arrives_twice(inbox: &dyn Inbox) {
    inbox.queue().send(&analysis("s1")).await.unwrap();
    inbox.queue().send(&analysis("s1")).await.unwrap();
    assert_eq!(
        inbox.received(QueueName::Analysis).await,
        [analysis("s1"), analysis("s1")]
    );
}
