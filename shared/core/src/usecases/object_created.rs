//! The validate function: an object arrived under `uploads/`.

use std::sync::Arc;

use genoflow_genomics::{Format, Options, Report};

use time::OffsetDateTime;

use crate::{
    error::Error,
    keys::{UPLOADS_PREFIX, decode_event_key, parse_upload_key, quarantine_key},
    lifecycle::{SampleStatus, Status},
    model::{Dataset, LeaseKind, Problem, Sample, SampleError},
    ports::{AnalysisRequested, BlobError, BlobStore, Clock, Message, Queue, Table},
};

use super::{
    Attempt, hold_lease, release_lease, sweeper::DEFAULT_REQUEST_WAIT, transition_dataset,
    transition_sample,
};

/// One object-created notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectCreated {
    /// The key exactly as the event carries it (URL-encoded, `+` for space).
    pub key: String,
}

/// What became of the sample after an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleProgress {
    /// Not every file is valid yet.
    Waiting,
    /// Every file is valid; this event sent the one analysis request.
    AnalysisRequested,
    /// This event failed the sample.
    Failed(SampleError),
    /// Another event already decided the sample.
    AlreadyDecided,
}

/// What an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectOutcome {
    /// Outside `uploads/`: not ours to handle.
    Ignored {
        /// The decoded key.
        key: String,
    },
    /// No dataset expects this object: moved to `quarantine/`, not processed.
    Quarantined {
        /// The decoded key.
        key: String,
        /// Where it is now.
        quarantine_key: String,
        /// Why.
        reason: String,
    },
    /// The dataset was already past `pending`: this event did no validation. The sample step
    /// is re-run (it is idempotent) so an interrupted earlier event is finished.
    Duplicate {
        /// The dataset.
        dataset_id: String,
        /// Its status.
        status: Status,
        /// The sample step's outcome.
        sample: SampleProgress,
    },
    /// The object belongs to a dataset deleted a moment ago (its upload URL was still valid):
    /// removed, not quarantined, so nothing of a deleted dataset is kept.
    Discarded {
        /// The decoded key.
        key: String,
    },
    /// Another validator holds a live claim on the dataset (until `until`): this event did
    /// nothing. On a queue this is a retry later, never a success; the sweeper returns the
    /// claim if its holder died.
    InProgress {
        /// The dataset.
        dataset_id: String,
        /// When the claim's lease ends.
        until: OffsetDateTime,
    },
    /// The validation could not finish on the last attempt: the dataset is `failed` with the
    /// reason, and so is its sample.
    Failed {
        /// The dataset.
        dataset_id: String,
        /// Why.
        error: Problem,
        /// The sample step's outcome.
        sample: SampleProgress,
    },
    /// This event validated the dataset.
    Validated {
        /// The dataset.
        dataset_id: String,
        /// `valid` or `invalid`.
        status: Status,
        /// Why invalid.
        error: Option<Problem>,
        /// The sample step's outcome.
        sample: SampleProgress,
    },
}

/// The validate use case.
pub struct ValidateObjects {
    /// Dataset and sample records.
    pub table: Arc<dyn Table>,
    /// The uploaded objects.
    pub blobs: Arc<dyn BlobStore>,
    /// Where analysis requests go.
    pub queue: Arc<dyn Queue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Validator options (threads, decompression limit); the format is the declared one.
    pub options: Options,
    /// How long a validation claim holds before a retried event (or the sweeper) takes it over:
    /// the validate function's timeout plus a margin, so a live validator is never taken over
    /// ([`DEFAULT_VALIDATION_LEASE`]: Lambda's 15-minute limit + [`LEASE_MARGIN`]).
    pub validation_lease: time::Duration,
}

/// What a claim's lease adds to the longest run it covers (clock differences between hosts, the
/// time from the claim to the run's start): a lease is the function timeout plus this.
pub const LEASE_MARGIN: time::Duration = time::Duration::seconds(60);

/// Lambda's longest timeout (15 minutes) plus [`LEASE_MARGIN`].
pub const DEFAULT_VALIDATION_LEASE: time::Duration =
    time::Duration::seconds(15 * 60 + LEASE_MARGIN.whole_seconds());

impl ValidateObjects {
    /// Handles one object-created event: quarantines what no dataset expects, claims the
    /// dataset (`pending → uploaded`, conditional: a duplicate event stops here, unless the claim
    /// is older than [`ValidateObjects::validation_lease`] and so was left by a validator that
    /// died), streams the
    /// object through the validator, checks the declared size and SHA-256, records the report
    /// (`valid` or `invalid`), then sends the sample's single analysis request once all its
    /// files are valid, or fails the sample with the invalid file's error.
    ///
    /// # Errors
    /// Port failures and a validator that could not read the object; the claim is handed back
    /// first, so the retried event does the work. [`Error::is_retryable`] says which.
    pub async fn handle(&self, event: &ObjectCreated) -> Result<ObjectOutcome, Error> {
        self.handle_attempt(event, Attempt::RETRIED).await
    }

    /// [`ValidateObjects::handle`] on a queue delivery: on the last one a validator that cannot
    /// run fails the dataset (and its sample) with the reason instead of handing the claim back.
    /// A live claim of another validator is [`ObjectOutcome::InProgress`], whatever the attempt.
    ///
    /// # Errors
    /// As [`ValidateObjects::handle`]; on the last attempt only the failures of the writes that
    /// record the failure.
    pub async fn handle_attempt(
        &self,
        event: &ObjectCreated,
        attempt: Attempt,
    ) -> Result<ObjectOutcome, Error> {
        let key = decode_event_key(&event.key)?;
        if !key.starts_with(UPLOADS_PREFIX) {
            return Ok(ObjectOutcome::Ignored { key });
        }
        let Some(parsed) = parse_upload_key(&key) else {
            return self
                .quarantine(
                    key,
                    "the key is not uploads/{owner}/{dataset_id}/{filename}".to_owned(),
                )
                .await;
        };
        let dataset = match self.table.get_dataset(parsed.dataset_id).await? {
            None => {
                let deleted = self
                    .table
                    .get_lease(LeaseKind::Deletion, parsed.dataset_id)
                    .await?
                    .is_some();
                if deleted {
                    return self.discard(key).await;
                }
                let reason = format!("no dataset {} expects an upload", parsed.dataset_id);
                return self.quarantine(key, reason).await;
            }
            Some(dataset) if dataset.key != key => {
                let reason = format!("dataset {} expects {}", dataset.dataset_id, dataset.key);
                return self.quarantine(key, reason).await;
            }
            Some(dataset) => dataset,
        };
        let now = self.clock.now();
        match dataset.status {
            Status::Pending => {}
            Status::Uploaded => {
                let until = dataset.updated_at + self.validation_lease;
                if now < until {
                    return Ok(ObjectOutcome::InProgress {
                        dataset_id: dataset.dataset_id,
                        until,
                    });
                }
                tracing::warn!(%key, claimed_at = %dataset.updated_at, "taking over a validation claim older than the lease");
            }
            status => {
                let sample = self.sample_step(&dataset).await?;
                return Ok(ObjectOutcome::Duplicate {
                    dataset_id: dataset.dataset_id,
                    status,
                    sample,
                });
            }
        }
        let table = self.table.as_ref();
        let until = now + self.validation_lease;
        hold_lease(
            table,
            LeaseKind::Validation,
            &dataset.dataset_id,
            until,
            now,
        )
        .await?;
        let Some(claimed) =
            transition_dataset(table, &dataset, Status::Uploaded, now, |_| {}).await?
        else {
            // Another event claimed it a moment ago.
            return Ok(ObjectOutcome::InProgress {
                dataset_id: dataset.dataset_id,
                until,
            });
        };

        let report = match self.run_validator(&claimed).await {
            Ok(report) => report,
            Err(error) if attempt.is_last() => {
                tracing::error!(key = %claimed.key, %error, receive_count = attempt.receive_count, "validation could not run on its last attempt; the dataset fails");
                return self.give_up(&claimed, &error.to_string()).await;
            }
            Err(error) => {
                tracing::warn!(key = %claimed.key, %error, "validation could not run; handing the claim back");
                let now = self.clock.now();
                transition_dataset(table, &claimed, Status::Pending, now, |_| {}).await?;
                return Err(error);
            }
        };
        let error = judge(&claimed, &report);
        let status = if error.is_some() {
            Status::Invalid
        } else {
            Status::Valid
        };
        let validation = serde_json::to_value(&report).ok();
        let detected = report.format.map(|format| format.as_str().to_owned());
        let now = self.clock.now();
        let recorded_error = error.clone();
        let Some(done) = transition_dataset(self.table.as_ref(), &claimed, status, now, |d| {
            d.validation = validation;
            d.format = detected.or(d.format.take());
            d.error = recorded_error;
        })
        .await?
        else {
            // Deleted while we validated (or taken over after the lease): nothing is written.
            return Ok(ObjectOutcome::Duplicate {
                dataset_id: claimed.dataset_id,
                status: Status::Uploaded,
                sample: SampleProgress::AlreadyDecided,
            });
        };
        release_lease(table, LeaseKind::Validation, &done.dataset_id).await;
        tracing::info!(key = %done.key, %status, "validated");
        let sample = self.sample_step(&done).await?;
        Ok(ObjectOutcome::Validated {
            dataset_id: done.dataset_id,
            status,
            error,
            sample,
        })
    }

    /// Fails a claimed dataset whose validation cannot finish (`why`, for the log: the user
    /// reads a message without internals), then its sample.
    pub(crate) async fn give_up(
        &self,
        claimed: &Dataset,
        why: &str,
    ) -> Result<ObjectOutcome, Error> {
        let error = Problem::new(
            "the validation could not finish (the service timed out, crashed or could not read \
             the file, on every attempt); upload the file again, or ask the operator",
        );
        tracing::warn!(dataset_id = %claimed.dataset_id, %why, "validation given up");
        let recorded = error.clone();
        let failed = transition_dataset(
            self.table.as_ref(),
            claimed,
            Status::Failed,
            self.clock.now(),
            |d| d.error = Some(recorded),
        )
        .await?;
        release_lease(
            self.table.as_ref(),
            LeaseKind::Validation,
            &claimed.dataset_id,
        )
        .await;
        let Some(failed) = failed else {
            return Ok(ObjectOutcome::Duplicate {
                dataset_id: claimed.dataset_id.clone(),
                status: claimed.status,
                sample: SampleProgress::AlreadyDecided,
            });
        };
        let sample = self.sample_step(&failed).await?;
        Ok(ObjectOutcome::Failed {
            dataset_id: failed.dataset_id,
            error,
            sample,
        })
    }

    /// Removes an object of a deleted dataset.
    async fn discard(&self, key: String) -> Result<ObjectOutcome, Error> {
        self.blobs.delete(&key).await?;
        tracing::info!(%key, "upload of a deleted dataset removed");
        Ok(ObjectOutcome::Discarded { key })
    }

    async fn quarantine(&self, key: String, reason: String) -> Result<ObjectOutcome, Error> {
        let target = quarantine_key(&key);
        match self.blobs.copy(&key, &target).await {
            // A duplicate event of an object already moved.
            Ok(()) | Err(BlobError::NotFound { .. }) => {}
            Err(other) => return Err(other.into()),
        }
        self.blobs.delete(&key).await?;
        tracing::warn!(%key, quarantine_key = %target, %reason, "unexpected upload quarantined");
        Ok(ObjectOutcome::Quarantined {
            key,
            quarantine_key: target,
            reason,
        })
    }

    async fn run_validator(&self, dataset: &Dataset) -> Result<Report, Error> {
        let reader = self.blobs.open_read(&dataset.key).await?;
        let mut options = self.options.clone();
        options.format = dataset
            .format
            .as_deref()
            .and_then(|f| f.parse::<Format>().ok());
        let key = dataset.key.clone();
        tokio::task::spawn_blocking(move || genoflow_genomics::validate(reader, &options))
            .await
            .map_err(|e| Error::Validation {
                key: key.clone(),
                message: e.to_string(),
            })?
            .map_err(|e| Error::Validation {
                key,
                message: e.to_string(),
            })
    }

    /// Advances the dataset's sample after a validation (or on a duplicate event, to finish
    /// an interrupted one). Every write is conditional on `waiting`, so only one event ever
    /// sends the analysis request or fails the sample.
    pub(crate) async fn sample_step(&self, dataset: &Dataset) -> Result<SampleProgress, Error> {
        if !matches!(
            dataset.status,
            Status::Valid | Status::Invalid | Status::Failed
        ) {
            return Ok(SampleProgress::AlreadyDecided);
        }
        let Some(sample) = self.table.get_sample(&dataset.sample_id).await? else {
            tracing::warn!(sample_id = %dataset.sample_id, "dataset without its sample record");
            return Ok(SampleProgress::AlreadyDecided);
        };
        if sample.status != SampleStatus::Waiting {
            return Ok(SampleProgress::AlreadyDecided);
        }
        let mut members = Vec::with_capacity(sample.dataset_ids.len());
        for id in &sample.dataset_ids {
            match self.table.get_dataset(id).await? {
                Some(member) => members.push(member),
                None => {
                    // The other file was deleted: the sample can never be complete.
                    let error = SampleError {
                        dataset_id: id.clone(),
                        filename: String::new(),
                        error: Problem::new("the other file of the sample was deleted"),
                    };
                    return self.record_sample_failure(&sample, error).await;
                }
            }
        }
        if let Some(invalid) = members
            .iter()
            .find(|m| matches!(m.status, Status::Invalid | Status::Failed))
        {
            let problem = invalid
                .error
                .clone()
                .unwrap_or_else(|| Problem::new("the file is invalid"));
            return self.fail_sample(&sample, invalid, problem).await;
        }
        if !members.iter().all(|m| m.status == Status::Valid) {
            return Ok(SampleProgress::Waiting);
        }
        if members.len() == 2
            && let Some(other) = members
                .iter()
                .find(|m| m.format.as_deref() != Some("fastq"))
        {
            let found = other.format.as_deref().unwrap_or("unknown");
            let problem = Problem::new(format!(
                "a two-file sample must be a FASTQ read pair, but {} is {found}",
                other.filename
            ));
            return self.fail_sample(&sample, other, problem).await;
        }
        self.request_analysis(&sample).await
    }

    async fn request_analysis(&self, sample: &Sample) -> Result<SampleProgress, Error> {
        let now = self.clock.now();
        let table = self.table.as_ref();
        // The sweeper sends the request again if it is lost (a crash before the send).
        let until = now + DEFAULT_REQUEST_WAIT;
        hold_lease(table, LeaseKind::Analysis, &sample.sample_id, until, now).await?;
        let Some(requested) =
            transition_sample(table, sample, SampleStatus::AnalysisRequested, now, |_| {}).await?
        else {
            return Ok(SampleProgress::AlreadyDecided);
        };
        let message = Message::from(AnalysisRequested {
            sample_id: sample.sample_id.clone(),
        });
        if let Err(error) = self.queue.send(&message).await {
            // Hand the request back so the retried event sends it.
            transition_sample(
                table,
                &requested,
                SampleStatus::Waiting,
                self.clock.now(),
                |_| {},
            )
            .await?;
            return Err(error.into());
        }
        tracing::info!(sample_id = %sample.sample_id, "analysis requested");
        Ok(SampleProgress::AnalysisRequested)
    }

    async fn fail_sample(
        &self,
        sample: &Sample,
        culprit: &Dataset,
        problem: Problem,
    ) -> Result<SampleProgress, Error> {
        let error = SampleError {
            dataset_id: culprit.dataset_id.clone(),
            filename: culprit.filename.clone(),
            error: problem,
        };
        self.record_sample_failure(sample, error).await
    }

    async fn record_sample_failure(
        &self,
        sample: &Sample,
        error: SampleError,
    ) -> Result<SampleProgress, Error> {
        let recorded = error.clone();
        let now = self.clock.now();
        let failed = transition_sample(
            self.table.as_ref(),
            sample,
            SampleStatus::Failed,
            now,
            |s| {
                s.error = Some(recorded);
            },
        )
        .await?;
        Ok(match failed {
            Some(_) => SampleProgress::Failed(error),
            None => SampleProgress::AlreadyDecided,
        })
    }
}

/// Why a validated object is not the dataset: the declared size and SHA-256 first (the bytes are
/// not what the user meant to upload), then the validator's error.
fn judge(dataset: &Dataset, report: &Report) -> Option<Problem> {
    if report.bytes != dataset.size {
        return Some(Problem {
            message: format!(
                "the stored object is {} bytes but the upload declared {}; upload the declared file again",
                report.bytes, dataset.size
            ),
            record: None,
            line: None,
            offset: Some(report.bytes.min(dataset.size)),
        });
    }
    if report.sha256 != dataset.sha256 {
        return Some(Problem::new(format!(
            "the stored object's SHA-256 is {} but the upload declared {}; upload the declared file again",
            report.sha256, dataset.sha256
        )));
    }
    report.error.clone()
}
