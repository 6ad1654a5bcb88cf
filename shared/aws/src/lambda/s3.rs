//! S3 event notifications in: the created objects' keys out, and how a failure is reported.
//!
//! S3 invokes the function asynchronously. An invocation that returns an error is retried by
//! Lambda (twice, about a minute apart) and then sent to the function's on-failure destination
//! (a dead-letter queue in the SAM template), so [`for_each_created`] fails the invocation when
//! any record failed, retryable or not: a final failure (an undecodable key, a corrupt record)
//! then lands in the dead-letter queue instead of disappearing. Records handled before the
//! failure are handled again on the retry; the core use case makes that a no-op.

use std::future::Future;

use genoflow_core::usecases::object_created::ObjectCreated;

pub use aws_lambda_events::s3::{S3Event, S3EventRecord};

/// The `ObjectCreated:*` records of `event` (S3 sends `ObjectCreated:Put`,
/// `ObjectCreated:CompleteMultipartUpload`, `ObjectCreated:Copy`, …), with their keys exactly as
/// the event carries them (URL-encoded; the use case decodes them). Other records are skipped.
///
/// # Errors
/// [`S3EventError`] for an `ObjectCreated` record without `s3.object.key`.
pub fn created_objects(event: &S3Event) -> Result<Vec<ObjectCreated>, S3EventError> {
    event
        .records
        .iter()
        .filter(|record| {
            record
                .event_name
                .as_deref()
                .is_some_and(|name| name.starts_with("ObjectCreated:"))
        })
        .map(|record| {
            record
                .s3
                .object
                .key
                .clone()
                .map(|key| ObjectCreated { key })
                .ok_or(S3EventError::MissingKey)
        })
        .collect()
}

/// A record that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedObject {
    /// The key as the event carries it.
    pub key: String,
    /// The error.
    pub message: String,
    /// Whether a retry may succeed.
    pub retryable: bool,
}

/// Why an S3 invocation fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3EventError {
    /// An `ObjectCreated` record has no object key: not an S3 notification we can act on.
    #[error("an ObjectCreated record has no s3.object.key; the event is not an S3 notification")]
    MissingKey,
    /// Some records failed (the others were handled).
    #[error("{} of {total} objects failed: {}", failed.len(), describe(failed))]
    Objects {
        /// The records that failed.
        failed: Vec<FailedObject>,
        /// Records in the event.
        total: usize,
    },
}

fn describe(failed: &[FailedObject]) -> String {
    failed
        .iter()
        .map(|f| {
            let kind = if f.retryable { "retryable" } else { "final" };
            format!("{} ({kind}): {}", f.key, f.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs `handle` on every created object of `event`, in order, and answers each outcome, or an
/// error naming every object that failed (after trying them all). Logs each failure.
///
/// ```
/// use genoflow_aws::lambda::s3::{S3Event, for_each_created};
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let event: S3Event = serde_json::from_str(r#"{"Records": [{"eventName": "ObjectCreated:Put",
///     "eventVersion": "2.1", "eventSource": "aws:s3", "eventTime": "2026-01-01T00:00:00.000Z",
///     "userIdentity": {"principalId": "AWS:AROAEXAMPLE"}, "requestParameters": {"sourceIPAddress": "192.0.2.1"},
///     "responseElements": {}, "s3": {"bucket": {"name": "b"}, "object": {"key": "uploads/a+b.fq"}}}]}"#)?;
/// let keys = for_each_created(&event, |object| async move { Ok(object.key) }).await?;
/// assert_eq!(keys, ["uploads/a+b.fq"]);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`S3EventError`]: the invocation must fail so Lambda retries it or dead-letters it.
pub async fn for_each_created<F, Fut, T>(
    event: &S3Event,
    mut handle: F,
) -> Result<Vec<T>, S3EventError>
where
    F: FnMut(ObjectCreated) -> Fut,
    Fut: Future<Output = Result<T, genoflow_core::Error>>,
{
    let objects = created_objects(event)?;
    let total = objects.len();
    let mut outcomes = Vec::with_capacity(total);
    let mut failed = Vec::new();
    for object in objects {
        let key = object.key.clone();
        match handle(object).await {
            Ok(outcome) => outcomes.push(outcome),
            Err(error) => {
                let retryable = error.is_retryable();
                tracing::error!(%key, retryable, code = error.code(), error = %error, "object failed");
                failed.push(FailedObject {
                    key,
                    message: error.to_string(),
                    retryable,
                });
            }
        }
    }
    if failed.is_empty() {
        Ok(outcomes)
    } else {
        Err(S3EventError::Objects { failed, total })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use genoflow_core::{Error, ports::TableError};

    use super::*;

    fn event(records: &[(&str, Option<&str>)]) -> S3Event {
        let records: Vec<_> = records
            .iter()
            .map(|(name, key)| {
                let mut object = serde_json::json!({"size": 4});
                if let Some(key) = key {
                    object["key"] = (*key).into();
                }
                serde_json::json!({"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": name,
                    "eventTime": "2026-01-01T00:00:00.000Z", "userIdentity": {"principalId": "AWS:AROAEXAMPLE"},
                    "requestParameters": {"sourceIPAddress": "192.0.2.1"}, "responseElements": {},
                    "s3": {"bucket": {"name": "b"}, "object": object}})
            })
            .collect();
        serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
    }

    #[test]
    fn only_created_objects_are_taken_with_their_raw_keys() {
        let objects = created_objects(&event(&[
            ("ObjectCreated:Put", Some("uploads/o/d/a+b.fq")),
            ("ObjectRemoved:Delete", Some("uploads/o/d/gone.fq")),
            (
                "ObjectCreated:CompleteMultipartUpload",
                Some("uploads/o/d/c%2Bd.fq"),
            ),
        ]))
        .unwrap();
        let keys: Vec<_> = objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["uploads/o/d/a+b.fq", "uploads/o/d/c%2Bd.fq"]);
        assert_eq!(
            created_objects(&event(&[("ObjectCreated:Put", None)])),
            Err(S3EventError::MissingKey)
        );
    }

    #[tokio::test]
    async fn every_record_is_tried_and_every_failure_is_named() {
        let event = event(&[
            ("ObjectCreated:Put", Some("a")),
            ("ObjectCreated:Put", Some("b")),
            ("ObjectCreated:Put", Some("c")),
        ]);
        let mut seen = Vec::new();
        let result = for_each_created(&event, |object| {
            seen.push(object.key.clone());
            async move {
                match object.key.as_str() {
                    "a" => Err(Error::Table(TableError::Unavailable {
                        operation: "GetItem",
                        message: "timeout".into(),
                    })),
                    "b" => Err(Error::Table(TableError::Corrupt {
                        what: "dataset#b".into(),
                        message: "no status".into(),
                    })),
                    _ => Ok(()),
                }
            }
        })
        .await;
        assert_eq!(seen, ["a", "b", "c"]);
        let Err(S3EventError::Objects { failed, total }) = result else {
            panic!("expected a failure: {result:?}")
        };
        assert_eq!(total, 3);
        let summary: Vec<_> = failed
            .iter()
            .map(|f| (f.key.as_str(), f.retryable))
            .collect();
        assert_eq!(summary, [("a", true), ("b", false)]);
    }
}
