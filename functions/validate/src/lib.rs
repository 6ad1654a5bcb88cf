//! The `validate` function: each object created under `uploads/` validated once
//! ([`ValidateObjects::handle_attempt`]: claim, stream, validate, record, request the sample's
//! analysis; quarantine what no dataset expects; remove an upload of a deleted dataset; a
//! duplicate event does nothing).
//!
//! Its trigger is the validation queue ([`Validate::handle_queue`]): the bucket's S3
//! notifications (read as `object_stored` by [`genoflow_aws::lambda::sqs::parse_message`]) and
//! the sweeper's re-drives of stuck validations. The answer is a partial batch response: a
//! delivery that finds another validator's live claim is a retry later (never acknowledged as
//! done), and on the last delivery (`GENOFLOW_MAX_RECEIVE_COUNT`) a validation that cannot run
//! fails the dataset and its sample with the reason.
//!
//! An S3 event invoking the function directly (a stack from before the queue) is handled too: a
//! failed object fails the invocation ([`genoflow_aws::lambda::s3`]), so Lambda retries it and
//! then its on-failure destination keeps it; a live claim is acknowledged there (S3's two
//! retries come too soon to outlast a lease) and the sweeper returns it if its holder died.
#![warn(missing_docs)]

use std::sync::Arc;

use genoflow_aws::lambda::{
    leases::{DEFAULT_MAX_RECEIVE_COUNT, Leases},
    s3::{S3Event, S3EventError, for_each_created},
    sqs::{Settled, SqsBatchResponse, SqsEvent, process_deliveries},
};
use genoflow_core::{
    keys::decode_event_key,
    ports::{BlobStore, Clock, Message, Queue, QueueName, Table},
    usecases::{
        Attempt,
        object_created::{
            DEFAULT_VALIDATION_LEASE, LEASE_MARGIN, ObjectCreated, ObjectOutcome, SampleProgress,
            ValidateObjects,
        },
    },
};
use serde::{Deserialize, Serialize};

/// What invokes the function: S3's notification, or a batch of the validation queue.
#[derive(Debug)]
pub enum Event {
    /// `Records` of `eventSource` `aws:s3`.
    S3(S3Event),
    /// `Records` of `eventSource` `aws:sqs`.
    Sqs(SqsEvent),
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let source = value["Records"][0]["eventSource"].as_str().unwrap_or("");
        if source == "aws:sqs" {
            serde_json::from_value(value)
                .map(Self::Sqs)
                .map_err(serde::de::Error::custom)
        } else {
            serde_json::from_value(value)
                .map(Self::S3)
                .map_err(serde::de::Error::custom)
        }
    }
}

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
    /// `validated`, `duplicate`, `in_progress`, `failed`, `quarantined`, `discarded` or
    /// `ignored`.
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
    max_receive_count: u32,
    metrics: Arc<dyn genoflow_core::ports::Metrics>,
}

impl Validate {
    /// Wires the use case with a validation lease of [`DEFAULT_VALIDATION_LEASE`] (the
    /// function's longest timeout plus a margin) and validator options sized to the timeout: no
    /// file may decompress to more than the validator is sure to get through in that time.
    pub fn new(ports: Ports) -> Self {
        let timeout = DEFAULT_VALIDATION_LEASE - LEASE_MARGIN;
        Self {
            objects: ValidateObjects {
                table: ports.table,
                blobs: ports.blobs,
                queue: ports.queue,
                clock: ports.clock,
                options: genoflow_genomics::Options::for_time_limit(
                    timeout.whole_seconds().unsigned_abs(),
                ),
                validation_lease: DEFAULT_VALIDATION_LEASE,
            },
            max_receive_count: DEFAULT_MAX_RECEIVE_COUNT,
            metrics: Arc::new(genoflow_core::ports::NoMetrics),
        }
    }

    /// The claim lease (`GENOFLOW_VALIDATION_LEASE_SECONDS`: the function's timeout plus a
    /// margin) and the validation queue's `maxReceiveCount` (`GENOFLOW_MAX_RECEIVE_COUNT`).
    #[must_use]
    pub fn with_leases(mut self, leases: &Leases) -> Self {
        self.objects.validation_lease = leases.validation;
        self.max_receive_count = leases.max_receive_count;
        self
    }

    /// Handles either trigger; the answer is the S3 summary or the partial batch response.
    ///
    /// # Errors
    /// As [`Validate::handle`] for S3 notifications; a queue batch never fails as a whole.
    pub async fn handle_event(&self, event: &Event) -> Result<serde_json::Value, S3EventError> {
        let answer = match event {
            Event::S3(event) => serde_json::to_value(self.handle(event).await?),
            Event::Sqs(event) => serde_json::to_value(self.handle_queue(event).await),
        };
        // Both are plain structs of strings.
        Ok(answer.unwrap_or_default())
    }

    /// Handles one batch of the validation queue: `object_stored` messages the sweeper sent to
    /// re-drive a validation.
    pub async fn handle_queue(&self, event: &SqsEvent) -> SqsBatchResponse {
        let max = self.max_receive_count;
        process_deliveries(event, QueueName::Validation, max, |message, attempt| {
            self.deliver(message, attempt)
        })
        .await
        .response()
    }

    /// One delivery of the validation queue.
    async fn deliver(
        &self,
        message: Message,
        attempt: Attempt,
    ) -> Result<Settled, genoflow_core::Error> {
        let Message::ObjectStored(stored) = message else {
            // process_deliveries hands over only this queue's messages.
            return Ok(Settled::Done);
        };
        let object = ObjectCreated { key: stored.key };
        let outcome = self.objects.handle_attempt(&object, attempt).await?;
        let claimed = match outcome {
            ObjectOutcome::InProgress { until, .. } => Some(until),
            _ => None,
        };
        self.record(object, outcome);
        Ok(Settled::unless_claimed(claimed, attempt))
    }

    /// Counts and logs one handled object.
    fn record(&self, object: ObjectCreated, outcome: ObjectOutcome) -> Handled {
        genoflow_core::usecases::metrics::object_handled(&*self.metrics, &outcome);
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
        handled
    }

    /// Records `DatasetsValidated` / `DatasetsInvalid` in `metrics` (CloudWatch EMF on AWS).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<dyn genoflow_core::ports::Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Handles one S3 notification.
    ///
    /// # Errors
    /// [`S3EventError`] naming the objects that failed (the others were handled).
    pub async fn handle(&self, event: &S3Event) -> Result<Summary, S3EventError> {
        let objects = for_each_created(event, |object: ObjectCreated| async move {
            let outcome = self.objects.handle(&object).await?;
            Ok(self.record(object, outcome))
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
        ObjectOutcome::Discarded { .. } => Handled {
            key,
            outcome: "discarded",
            dataset_id: None,
            status: None,
            sample: None,
        },
        ObjectOutcome::InProgress { dataset_id, .. } => Handled {
            key,
            outcome: "in_progress",
            dataset_id: Some(dataset_id),
            status: Some("uploaded".to_owned()),
            sample: None,
        },
        ObjectOutcome::Failed {
            dataset_id, sample, ..
        } => Handled {
            key,
            outcome: "failed",
            dataset_id: Some(dataset_id),
            status: Some("failed".to_owned()),
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
