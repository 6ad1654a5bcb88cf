//! The SQLite queue passes every queue scenario of the test kit (as the in-memory queue and SQS
//! do), plus what only its consumers' side shows: order, redelivery after a nack or a dead
//! consumer, dead-lettering after the last attempt, stale deliveries refused.
#![allow(clippy::unwrap_used)]

use async_trait::async_trait;
use genoflow_core::ports::{AnalysisRequested, Message, Queue, QueueName};
use genoflow_local::{LocalQueue, QueueSettings};
use genoflow_testkit::{fixtures::at, keys::START, scenarios::queue::Inbox};
use time::{Duration, OffsetDateTime};

fn now() -> OffsetDateTime {
    at(START)
}

fn analysis(sample_id: &str) -> Message {
    Message::from(AnalysisRequested {
        sample_id: sample_id.into(),
    })
}

fn settings() -> QueueSettings {
    QueueSettings {
        visibility_timeout: Duration::minutes(5),
        max_attempts: 3,
    }
}

/// The queue in a temporary directory, received and acknowledged as `genoflow serve`'s workers
/// do.
struct Local {
    queue: LocalQueue,
    _data_dir: tempfile::TempDir,
}

#[async_trait]
impl Inbox for Local {
    fn queue(&self) -> &dyn Queue {
        &self.queue
    }

    async fn received(&self, queue: QueueName) -> Vec<Message> {
        let mut messages = Vec::new();
        while let Some(delivery) = self.queue.receive(queue, now()).await.unwrap() {
            messages.push(delivery.message().unwrap());
            self.queue.ack(&delivery).await.unwrap();
        }
        messages
    }
}

genoflow_testkit::queue_scenarios!(async {
    let data_dir = tempfile::tempdir().unwrap();
    let local = Local {
        queue: LocalQueue::open(data_dir.path(), settings()).unwrap(),
        _data_dir: data_dir,
    };
    (local, ())
});

/// A queue's messages come out oldest first, each on its first attempt; an acknowledged one
/// never returns.
#[tokio::test]
async fn messages_come_out_oldest_first_and_acked_ones_never_return() {
    let data_dir = tempfile::tempdir().unwrap();
    let queue = LocalQueue::open(data_dir.path(), settings()).unwrap();
    for sample_id in ["s1", "s2"] {
        queue.send(&analysis(sample_id)).await.unwrap();
    }
    for sample_id in ["s1", "s2"] {
        let delivery = queue
            .receive(QueueName::Analysis, now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (delivery.message().unwrap(), delivery.attempt),
            (analysis(sample_id), 1)
        );
        queue.ack(&delivery).await.unwrap();
    }
    let much_later = now() + Duration::days(1);
    assert_eq!(
        queue
            .receive(QueueName::Analysis, much_later)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_nacked_message_returns_after_its_back_off_then_dies() {
    let data_dir = tempfile::tempdir().unwrap();
    let queue = LocalQueue::open(data_dir.path(), settings()).unwrap();
    queue.send(&analysis("s1")).await.unwrap();
    let mut clock = now();
    for attempt in 1..=3 {
        let delivery = queue
            .receive(QueueName::Analysis, clock)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(delivery.attempt, attempt);
        queue
            .nack(&delivery, Duration::seconds(30), clock)
            .await
            .unwrap();
        assert_eq!(
            queue
                .receive(QueueName::Analysis, clock + Duration::seconds(29))
                .await
                .unwrap(),
            None
        );
        clock += Duration::seconds(30);
    }
    // The third nack was the last attempt.
    assert_eq!(
        queue
            .receive(QueueName::Analysis, clock + Duration::days(1))
            .await
            .unwrap(),
        None
    );
    let dead = queue.dead_letters(QueueName::Analysis).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(Message::from_json(&dead[0].body).unwrap(), analysis("s1"));
    assert!(
        queue
            .dead_letters(QueueName::Anchor)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_consumer_that_dies_leaves_the_message_for_the_next_after_the_visibility_timeout() {
    let data_dir = tempfile::tempdir().unwrap();
    let queue = LocalQueue::open(data_dir.path(), settings()).unwrap();
    queue.send(&analysis("s1")).await.unwrap();
    let lost = queue
        .receive(QueueName::Analysis, now())
        .await
        .unwrap()
        .unwrap();
    let almost = now() + Duration::minutes(5) - Duration::milliseconds(1);
    assert_eq!(
        queue.receive(QueueName::Analysis, almost).await.unwrap(),
        None
    );
    let retried = queue
        .receive(QueueName::Analysis, now() + Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.id, lost.id);
    assert_eq!(retried.attempt, 2);
    // The first consumer comes back late: its delivery is stale and cannot ack or nack.
    assert!(queue.ack(&lost).await.is_err());
    assert!(queue.nack(&lost, Duration::ZERO, now()).await.is_err());
    queue.ack(&retried).await.unwrap();
    assert!(queue.ack(&retried).await.is_err());

    // Consumers dying on every attempt: after the last one the message is dead-lettered.
    queue.send(&analysis("s2")).await.unwrap();
    let mut clock = now() + Duration::hours(1);
    for attempt in 1..=3 {
        let delivery = queue
            .receive(QueueName::Analysis, clock)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(delivery.attempt, attempt);
        clock += Duration::minutes(5);
    }
    assert_eq!(
        queue.receive(QueueName::Analysis, clock).await.unwrap(),
        None
    );
    assert_eq!(
        queue.dead_letters(QueueName::Analysis).await.unwrap().len(),
        1
    );
}

/// Consumers racing on separate connections (as separate processes would) each get a different
/// message: every message is delivered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_consumers_never_get_the_same_message() {
    let data_dir = tempfile::tempdir().unwrap();
    let producer = LocalQueue::open(data_dir.path(), settings()).unwrap();
    for index in 0..40 {
        producer
            .send(&analysis(&format!("s{index}")))
            .await
            .unwrap();
    }
    let mut consumers = Vec::new();
    for _ in 0..4 {
        let queue = LocalQueue::open(data_dir.path(), settings()).unwrap();
        consumers.push(tokio::spawn(async move {
            let mut received = Vec::new();
            while let Some(delivery) = queue.receive(QueueName::Analysis, now()).await.unwrap() {
                queue.ack(&delivery).await.unwrap();
                received.push(delivery.body);
            }
            received
        }));
    }
    let mut all = Vec::new();
    for consumer in consumers {
        all.extend(consumer.await.unwrap());
    }
    all.sort();
    let mut expected: Vec<String> = (0..40)
        .map(|i| analysis(&format!("s{i}")).to_json())
        .collect();
    expected.sort();
    assert_eq!(all, expected);
}

#[tokio::test]
async fn a_new_sole_consumer_takes_over_what_a_dead_one_held_at_once() {
    let data_dir = tempfile::tempdir().unwrap();
    let queue = LocalQueue::open(data_dir.path(), settings()).unwrap();
    queue.send(&analysis("held")).await.unwrap();
    queue.send(&analysis("waiting")).await.unwrap();
    let held = queue
        .receive(QueueName::Analysis, now())
        .await
        .unwrap()
        .unwrap();
    // The consumer dies holding "held"; a restart within the visibility timeout.
    let restarted = LocalQueue::open(data_dir.path(), settings()).unwrap();
    assert_eq!(restarted.release_in_flight().await.unwrap(), 1);
    let again = restarted
        .receive(QueueName::Analysis, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempt), (held.id, 2));
    // The dead consumer's late ack is refused: the new delivery owns the message.
    assert!(queue.ack(&held).await.is_err());
    // A message nobody received is as it was.
    let waiting = restarted
        .receive(QueueName::Analysis, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (waiting.attempt, waiting.message().unwrap()),
        (1, analysis("waiting"))
    );
}

#[tokio::test]
async fn dead_letters_keep_why_and_when() {
    let data_dir = tempfile::tempdir().unwrap();
    let queue = LocalQueue::open(data_dir.path(), settings()).unwrap();
    queue.send(&analysis("s1")).await.unwrap();
    queue.send(&analysis("s2")).await.unwrap();
    // s1: not worth retrying, dead at once.
    let first = queue
        .receive(QueueName::Analysis, now())
        .await
        .unwrap()
        .unwrap();
    queue
        .dead_letter(&first, "no such sample", now())
        .await
        .unwrap();
    // s2: fails on every attempt; the last failure is its reason.
    let mut clock = now();
    for attempt in 1..=3 {
        let delivery = queue
            .receive(QueueName::Analysis, clock)
            .await
            .unwrap()
            .unwrap();
        let dead = queue
            .fail(
                &delivery,
                &format!("outage {attempt}"),
                Duration::seconds(1),
                clock,
            )
            .await
            .unwrap();
        assert_eq!(dead, attempt == 3);
        clock += Duration::seconds(1);
    }
    let dead = queue.dead_letters(QueueName::Analysis).await.unwrap();
    assert_eq!(dead.len(), 2);
    assert_eq!(dead[0].reason.as_deref(), Some("no such sample"));
    assert_eq!(dead[0].attempts, 1);
    assert_eq!(dead[1].reason.as_deref(), Some("outage 3"));
    assert!(dead.iter().all(|letter| letter.dead_at_ms.is_some()));
    // Reopened by a later start: kept.
    drop(queue);
    let queue = LocalQueue::open(data_dir.path(), settings()).unwrap();
    assert_eq!(queue.dead_letters(QueueName::Analysis).await.unwrap(), dead);
}

#[tokio::test]
async fn a_database_of_an_earlier_version_gains_the_dead_letter_columns() {
    let data_dir = tempfile::tempdir().unwrap();
    let connection = rusqlite::Connection::open(data_dir.path().join("genoflow.sqlite3")).unwrap();
    connection
        .execute_batch(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
                 body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                 visible_at_ms INTEGER NOT NULL, dead INTEGER NOT NULL DEFAULT 0);
             INSERT INTO messages (queue, body, attempts, visible_at_ms, dead)
                 VALUES ('analysis', '{}', 5, 0, 1);",
        )
        .unwrap();
    drop(connection);
    let queue = LocalQueue::open(data_dir.path(), settings()).unwrap();
    let dead = queue.dead_letters(QueueName::Analysis).await.unwrap();
    assert_eq!((dead.len(), dead[0].reason.clone()), (1, None));
}
