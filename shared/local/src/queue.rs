//! [`Queue`] on the SQLite database: messages survive a restart, are redelivered when a
//! consumer fails or dies, and are dead-lettered after too many attempts (SQS's redrive policy).

use std::path::Path;

use async_trait::async_trait;
use genoflow_core::ports::{Message, Queue, QueueError, QueueName};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use time::{Duration, OffsetDateTime};

use crate::database::{Database, Interrupted, OpenError};

/// How deliveries are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    /// How long a received message stays hidden before it is delivered again, if its consumer
    /// neither acks nor nacks it (it crashed). Longer than the longest use case run.
    pub visibility_timeout: Duration,
    /// Deliveries before a message goes to the dead letters.
    pub max_attempts: u32,
}

impl Default for QueueSettings {
    /// 15 minutes (the analyze function's timeout) and 5 attempts, as the SQS queues.
    fn default() -> Self {
        Self {
            visibility_timeout: Duration::minutes(15),
            max_attempts: 5,
        }
    }
}

/// A received message: hand it back with [`LocalQueue::ack`] or [`LocalQueue::nack`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The message's row id.
    pub id: i64,
    /// The queue it was received from.
    pub queue: QueueName,
    /// The body as sent (parse it with [`Message::from_json`]; a body that does not parse is a
    /// poison message: nack it and it ends in the dead letters).
    pub body: String,
    /// Which delivery this is, from 1.
    pub attempt: u32,
}

impl Delivery {
    /// The parsed message.
    ///
    /// # Errors
    /// The JSON error of a poison message.
    pub fn message(&self) -> Result<Message, serde_json::Error> {
        Message::from_json(&self.body)
    }
}

/// A message that used up its attempts, or whose failure retrying cannot mend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// The message's row id.
    pub id: i64,
    /// The body as sent.
    pub body: String,
    /// How many times it was delivered.
    pub attempts: u32,
    /// Why it is here: the last failure (`None`: dead-lettered by a version that kept none).
    pub reason: Option<String>,
    /// When it was dead-lettered, unix milliseconds (`None`: by a version that kept none).
    pub dead_at_ms: Option<i64>,
}

/// Why a message whose consumer never settled it is dead-lettered.
const LOST_ON_LAST_ATTEMPT: &str =
    "its last delivery was never settled (the server stopped or crashed while handling it)";

/// The queues of `genoflow serve`, in `{data_dir}/genoflow.sqlite3`.
///
/// A consumer loop (`genoflow serve`'s) calls [`LocalQueue::receive`] for its queue, runs the
/// use case, then [`LocalQueue::ack`] on success or [`LocalQueue::nack`] with a back-off on a
/// failure worth retrying. A consumer that dies mid-way leaves the message hidden until the
/// visibility timeout, then it is delivered again: use cases are idempotent (conditional
/// writes), so a second delivery is safe.
///
/// ```
/// use genoflow_core::ports::{AnalysisRequested, Message, Queue, QueueName};
/// use genoflow_local::{LocalQueue, QueueSettings};
/// use time::{Duration, OffsetDateTime};
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let data_dir = tempfile::tempdir()?;
/// let queue = LocalQueue::open(data_dir.path(), QueueSettings::default())?;
/// let message = Message::from(AnalysisRequested { sample_id: "s1".into() });
/// queue.send(&message).await?;
/// let now = OffsetDateTime::now_utc();
/// let delivery = queue.receive(QueueName::Analysis, now).await?.expect("a message");
/// assert_eq!(delivery.message()?, message);
/// // Hidden while its consumer works on it.
/// assert_eq!(queue.receive(QueueName::Analysis, now).await?, None);
/// queue.ack(&delivery).await?;
/// assert_eq!(queue.receive(QueueName::Analysis, now + Duration::hours(1)).await?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })
/// # .map_err(|e| e.to_string())?; Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LocalQueue {
    database: Database,
    settings: QueueSettings,
}

fn queue_column(queue: QueueName) -> &'static str {
    match queue {
        QueueName::Analysis => "analysis",
        QueueName::Anchor => "anchor",
        QueueName::Validation => "validation",
    }
}

fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl LocalQueue {
    /// Opens (or creates) the queues of `data_dir`.
    ///
    /// # Errors
    /// [`OpenError`] when the directory or the database cannot be opened.
    pub fn open(data_dir: &Path, settings: QueueSettings) -> Result<Self, OpenError> {
        Ok(Self {
            database: Database::open(data_dir)?,
            settings,
        })
    }

    /// Runs `work` on the connection; maps every failure to a [`QueueError`] of `queue`.
    async fn run<T, F>(&self, queue: QueueName, work: F) -> Result<T, QueueError>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, String> + Send + 'static,
    {
        self.database
            .run(work)
            .await
            .map_err(|Interrupted(message)| message)
            .and_then(|answer| answer)
            .map_err(|message| QueueError { queue, message })
    }

    /// The oldest message of `queue` visible at `now`, hidden for the visibility timeout and
    /// counted as one more attempt; `None` when there is none. A message whose consumer died
    /// on its last attempt goes to the dead letters here.
    ///
    /// # Errors
    /// [`QueueError`] when the database fails.
    pub async fn receive(
        &self,
        queue: QueueName,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>, QueueError> {
        let settings = self.settings;
        self.run(queue, move |connection| {
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| e.to_string())?;
            transaction
                .execute(
                    "UPDATE messages SET dead = 1, dead_at_ms = ?2, reason = COALESCE(reason, ?4)
                     WHERE queue = ?1 AND dead = 0 AND visible_at_ms <= ?2 AND attempts >= ?3",
                    params![
                        queue_column(queue),
                        millis(now),
                        settings.max_attempts,
                        LOST_ON_LAST_ATTEMPT
                    ],
                )
                .map_err(|e| e.to_string())?;
            let next: Option<(i64, String, u32)> = transaction
                .query_row(
                    "SELECT id, body, attempts FROM messages
                     WHERE queue = ?1 AND dead = 0 AND visible_at_ms <= ?2
                     ORDER BY id LIMIT 1",
                    params![queue_column(queue), millis(now)],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()
                .map_err(|e| e.to_string())?;
            let Some((id, body, attempts)) = next else {
                // Commits the dead-lettering above.
                transaction.commit().map_err(|e| e.to_string())?;
                return Ok(None);
            };
            let attempt = attempts + 1;
            transaction
                .execute(
                    "UPDATE messages SET attempts = ?2, visible_at_ms = ?3 WHERE id = ?1",
                    params![id, attempt, millis(now + settings.visibility_timeout)],
                )
                .map_err(|e| e.to_string())?;
            transaction.commit().map_err(|e| e.to_string())?;
            Ok(Some(Delivery {
                id,
                queue,
                body,
                attempt,
            }))
        })
        .await
    }

    /// Makes every message received but neither acked nor nacked visible again (and those
    /// waiting out a back-off), at once: for a consumer process that starts after one that
    /// died, when it is the only consumer. Answers how many. A message that was on its last
    /// attempt is dead-lettered by the next `receive`, as after a timeout.
    ///
    /// # Errors
    /// [`QueueError`] when the database fails.
    pub async fn release_in_flight(&self) -> Result<usize, QueueError> {
        let mut released = 0;
        for queue in [
            QueueName::Analysis,
            QueueName::Anchor,
            QueueName::Validation,
        ] {
            released += self
                .run(queue, move |connection| {
                    connection
                        .execute(
                            "UPDATE messages SET visible_at_ms = 0
                             WHERE queue = ?1 AND dead = 0 AND attempts > 0 AND visible_at_ms > 0",
                            params![queue_column(queue)],
                        )
                        .map_err(|e| e.to_string())
                })
                .await?;
        }
        Ok(released)
    }

    /// The message was handled: deletes it.
    ///
    /// # Errors
    /// [`QueueError`] when the delivery is stale (its visibility timed out and it was received
    /// again: the newer delivery owns it) or the database fails.
    pub async fn ack(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let (id, attempt) = (delivery.id, delivery.attempt);
        self.run(delivery.queue, move |connection| {
            let deleted = connection
                .execute(
                    "DELETE FROM messages WHERE id = ?1 AND attempts = ?2 AND dead = 0",
                    params![id, attempt],
                )
                .map_err(|e| e.to_string())?;
            owned(deleted, id)
        })
        .await
    }

    /// The message could not be handled: delivered again after `retry_after` (from `now`), or
    /// moved to the dead letters if that was its last attempt.
    ///
    /// # Errors
    /// [`QueueError`] when the delivery is stale or the database fails.
    pub async fn nack(
        &self,
        delivery: &Delivery,
        retry_after: Duration,
        now: OffsetDateTime,
    ) -> Result<(), QueueError> {
        let dead = delivery.attempt >= self.settings.max_attempts;
        self.settle_failed(delivery, dead, None, retry_after, now)
            .await
    }

    /// [`LocalQueue::nack`], keeping `reason` (the failure) with the message: it is the
    /// dead letter's reason if this was the last attempt. Answers whether it was dead-lettered.
    ///
    /// # Errors
    /// [`QueueError`] when the delivery is stale or the database fails.
    pub async fn fail(
        &self,
        delivery: &Delivery,
        reason: &str,
        retry_after: Duration,
        now: OffsetDateTime,
    ) -> Result<bool, QueueError> {
        let dead = delivery.attempt >= self.settings.max_attempts;
        self.settle_failed(delivery, dead, Some(reason.to_owned()), retry_after, now)
            .await?;
        Ok(dead)
    }

    /// Moves the message to the dead letters at once, with `reason`: a failure retrying cannot
    /// mend (a message no consumer can read, a use case's final error), kept for the operator.
    ///
    /// # Errors
    /// [`QueueError`] when the delivery is stale or the database fails.
    pub async fn dead_letter(
        &self,
        delivery: &Delivery,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(), QueueError> {
        self.settle_failed(delivery, true, Some(reason.to_owned()), Duration::ZERO, now)
            .await
    }

    async fn settle_failed(
        &self,
        delivery: &Delivery,
        dead: bool,
        reason: Option<String>,
        retry_after: Duration,
        now: OffsetDateTime,
    ) -> Result<(), QueueError> {
        let (id, attempt) = (delivery.id, delivery.attempt);
        self.run(delivery.queue, move |connection| {
            let updated = connection
                .execute(
                    "UPDATE messages SET dead = ?3, visible_at_ms = ?4,
                         reason = COALESCE(?5, reason),
                         dead_at_ms = CASE WHEN ?3 THEN ?6 ELSE NULL END
                     WHERE id = ?1 AND attempts = ?2 AND dead = 0",
                    params![
                        id,
                        attempt,
                        dead,
                        millis(now + retry_after),
                        reason,
                        millis(now)
                    ],
                )
                .map_err(|e| e.to_string())?;
            owned(updated, id)
        })
        .await
    }

    /// The dead letters of `queue`, oldest first.
    ///
    /// # Errors
    /// [`QueueError`] when the database fails.
    pub async fn dead_letters(&self, queue: QueueName) -> Result<Vec<DeadLetter>, QueueError> {
        self.run(queue, move |connection| {
            let mut statement = connection
                .prepare(
                    "SELECT id, body, attempts, reason, dead_at_ms FROM messages
                     WHERE queue = ?1 AND dead = 1 ORDER BY id",
                )
                .map_err(|e| e.to_string())?;
            let rows = statement
                .query_map([queue_column(queue)], |row| {
                    Ok(DeadLetter {
                        id: row.get(0)?,
                        body: row.get(1)?,
                        attempts: row.get(2)?,
                        reason: row.get(3)?,
                        dead_at_ms: row.get(4)?,
                    })
                })
                .map_err(|e| e.to_string())?;
            rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
        })
        .await
    }
}

fn owned(changed: usize, id: i64) -> Result<(), String> {
    if changed == 1 {
        Ok(())
    } else {
        Err(format!(
            "delivery of message {id} is stale: it timed out and was delivered again, or is \
             already acknowledged"
        ))
    }
}

#[async_trait]
impl Queue for LocalQueue {
    async fn send(&self, message: &Message) -> Result<(), QueueError> {
        let queue = message.queue();
        let body = message.to_json();
        self.run(queue, move |connection| {
            connection
                .execute(
                    "INSERT INTO messages (queue, body, visible_at_ms) VALUES (?1, ?2, 0)",
                    params![queue_column(queue), body],
                )
                .map_err(|e| e.to_string())?;
            Ok(())
        })
        .await
    }
}
