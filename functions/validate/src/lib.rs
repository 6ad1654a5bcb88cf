//! The `validate` function: S3 `ObjectCreated` notifications under `uploads/` in, each object
//! validated once ([`ValidateObjects::handle`]: claim, stream, validate, record, request the
//! sample's analysis; quarantine what no dataset expects; a duplicate event does nothing).
//!
//! A failed object fails the invocation ([`genoflow_aws::lambda::s3`]): Lambda retries it, and
//! then the SAM template's on-failure destination keeps it in a dead-letter queue.

use std::sync::Arc;

use genoflow_aws::lambda::s3::{S3Event, S3EventError, for_each_created};
use genoflow_core::{
    keys::decode_event_key,
    ports::{BlobStore, Clock, Queue, Table},
    usecases::object_created::{
        DEFAULT_VALIDATION_LEASE, ObjectCreated, ObjectOutcome, SampleProgress, ValidateObjects,
    },
};
use serde::Serialize;

/// The ports the function runs on (S3, DynamoDB, SQS and the clock on AWS).
pub struct Ports {
    /// Datasets and samples.
    pub table: Arc<dyn Table>,
    /// The uploaded objects.
    pub blobs: Arc<dyn BlobStore>,
    /// Where analysis requests go.
    pub queue: Arc<dyn Queue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// What the function did with one object (the invocation's answer, and its log line).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Handled {
    /// The object key (decoded).
    pub key: String,
    /// `validated`, `duplicate`, `quarantined` or `ignored`.
    pub outcome: &'static str,
    /// The dataset, when the object is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
    /// The dataset's status after the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The sample's progress: `waiting`, `analysis_requested`, `failed`, `already_decided`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<&'static str>,
}

/// The invocation's answer: one entry per created object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// In event order.
    pub objects: Vec<Handled>,
}

/// The function, built once at cold start.
pub struct Validate {
    objects: ValidateObjects,
}

impl Validate {
    /// Wires the use case with a validation lease of [`DEFAULT_VALIDATION_LEASE`] (the
    /// function's timeout is at most that) and validator options sized to it: no file may
    /// decompress to more than the validator is sure to get through in that time.
    pub fn new(ports: Ports) -> Self {
        Self {
            objects: ValidateObjects {
                table: ports.table,
                blobs: ports.blobs,
                queue: ports.queue,
                clock: ports.clock,
                options: genoflow_genomics::Options::for_time_limit(
                    DEFAULT_VALIDATION_LEASE.whole_seconds().unsigned_abs(),
                ),
                validation_lease: DEFAULT_VALIDATION_LEASE,
            },
        }
    }

    /// Handles one S3 notification.
    ///
    /// # Errors
    /// [`S3EventError`] naming the objects that failed (the others were handled).
    pub async fn handle(&self, event: &S3Event) -> Result<Summary, S3EventError> {
        let objects = for_each_created(event, |object: ObjectCreated| async move {
            let outcome = self.objects.handle(&object).await?;
            // The use case decoded the key already; this cannot fail after it succeeded.
            let key = decode_event_key(&object.key).unwrap_or(object.key);
            let handled = describe(key, outcome);
            tracing::info!(
                key = %handled.key,
                outcome = handled.outcome,
                dataset_id = handled.dataset_id.as_deref(),
                status = handled.status.as_deref(),
                sample = handled.sample,
                "object handled"
            );
            Ok(handled)
        })
        .await?;
        Ok(Summary { objects })
    }
}

fn describe(key: String, outcome: ObjectOutcome) -> Handled {
    match outcome {
        ObjectOutcome::Ignored { .. } => Handled {
            key,
            outcome: "ignored",
            dataset_id: None,
            status: None,
            sample: None,
        },
        ObjectOutcome::Quarantined { .. } => Handled {
            key,
            outcome: "quarantined",
            dataset_id: None,
            status: None,
            sample: None,
        },
        ObjectOutcome::Duplicate {
            dataset_id,
            status,
            sample,
        } => Handled {
            key,
            outcome: "duplicate",
            dataset_id: Some(dataset_id),
            status: Some(status.to_string()),
            sample: Some(progress(&sample)),
        },
        ObjectOutcome::Validated {
            dataset_id,
            status,
            sample,
            ..
        } => Handled {
            key,
            outcome: "validated",
            dataset_id: Some(dataset_id),
            status: Some(status.to_string()),
            sample: Some(progress(&sample)),
        },
    }
}

fn progress(sample: &SampleProgress) -> &'static str {
    match sample {
        SampleProgress::Waiting => "waiting",
        SampleProgress::AnalysisRequested => "analysis_requested",
        SampleProgress::Failed(_) => "failed",
        SampleProgress::AlreadyDecided => "already_decided",
    }
}
