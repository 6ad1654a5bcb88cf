//! The sweeper: every claim past its lease is returned (handed back and requested again) or,
//! after [`SweepSettings::max_returns`] returns, failed with a clear reason. Runs on a schedule
//! on AWS (the `sweeper` function) and on a timer in `genoflow serve`.
//!
//! Handlers write a [`Lease`] before each claim (validation, analysis, anchoring) and remove it
//! when the work is final; a delete writes one for the second removal of the dataset's objects.
//! The sweeper lists the leases whose `expires_at` has passed and decides from the record
//! itself, with its own lease settings, whether the work is stuck:
//!
//! | lease | record | stuck when | returned | failed (after `max_returns`) |
//! | --- | --- | --- | --- | --- |
//! | validation | dataset `uploaded` | claimed a lease ago | `uploaded → pending`, `object_stored` sent | `uploaded → failed`, the sample fails |
//! | validation | dataset `pending` | handed back a lease ago, not claimed since | `object_stored` sent again | `pending → failed`, the sample fails |
//! | analysis | sample `analyzing` | claimed a lease ago | `analyzing → analysis_requested` (datasets `valid`), `analysis_requested` sent | sample and datasets `failed` |
//! | analysis | sample `analysis_requested` | requested [`SweepSettings::request_wait`] ago (doubling each time) | `analysis_requested` sent again | never: the queue's last delivery fails it |
//! | anchoring | sample `anchoring`, batch not stored | claimed a lease ago | `anchoring → analyzed`, `anchor_requested` sent | never: anchoring is retried until a batch holds it |
//! | deletion | (record gone) | [`super::datasets::PURGE_AFTER`] after the delete | the dataset's objects removed again | — |
//!
//! A lease whose record is final (or gone) is dropped. Every write is conditional on the
//! record as read, so a handler that claims the work at the same moment wins or loses cleanly.

use std::sync::Arc;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::{
    error::Error,
    keys::encode_event_key,
    lifecycle::{SampleStatus, Status},
    model::{Dataset, Lease, LeaseKind, Problem},
    ports::{
        AnalysisRequested, AnchorRequested, BlobStore, Clock, Message, ObjectStored, Queue, Table,
    },
};

use super::{
    analyze::{AnalyzeSamples, PanelSource},
    datasets::purge_objects,
    datasets_of,
    object_created::{DEFAULT_VALIDATION_LEASE, LEASE_MARGIN, ValidateObjects},
    transition_dataset, transition_sample,
};

/// How long a sample may wait in `analysis_requested` before the sweeper sends its request again
/// (a crash between the status write and the send loses it); doubled at each re-send, up to a day.
pub const DEFAULT_REQUEST_WAIT: Duration = Duration::hours(1);

/// The analyze function's timeout (15 minutes) plus [`LEASE_MARGIN`].
pub const DEFAULT_ANALYSIS_LEASE: Duration =
    Duration::seconds(15 * 60 + LEASE_MARGIN.whole_seconds());

/// Returns of one claim before the sweeper fails it.
pub const DEFAULT_MAX_RETURNS: u32 = 3;

/// The longest wait between two re-sends of a sample's analysis request.
const MAX_REQUEST_WAIT: Duration = Duration::days(1);

/// When the sweeper calls work stuck.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepSettings {
    /// The validate function's lease (its timeout plus the margin).
    pub validation_lease: Duration,
    /// The analyze function's lease (its timeout plus the margin).
    pub analysis_lease: Duration,
    /// The anchor function's claim lease.
    pub anchor_lease: Duration,
    /// How long a requested analysis may wait before its request is sent again.
    pub request_wait: Duration,
    /// Returns of one claim before it is failed.
    pub max_returns: u32,
    /// Leases looked at per run (the oldest first); the next run takes the rest.
    pub batch: usize,
    /// Claims written before this instant are dead whatever their lease says: `genoflow serve`
    /// sets its start time (one process per data directory, so a claim older than the process
    /// belonged to one that died).
    pub dead_before: Option<OffsetDateTime>,
}

impl Default for SweepSettings {
    /// The Lambda functions' leases (15 minutes + 60 s; anchor 5 minutes), a request wait of an
    /// hour, three returns, 200 leases a run.
    fn default() -> Self {
        Self {
            validation_lease: DEFAULT_VALIDATION_LEASE,
            analysis_lease: DEFAULT_ANALYSIS_LEASE,
            anchor_lease: Duration::minutes(5),
            request_wait: DEFAULT_REQUEST_WAIT,
            max_returns: DEFAULT_MAX_RETURNS,
            batch: 200,
            dead_before: None,
        }
    }
}

/// What a run did, lease by lease (`{kind}:{id}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Claims handed back and requested again.
    pub returned: Vec<String>,
    /// Requests sent again without a claim to hand back (`pending`, `analysis_requested`).
    pub resent: Vec<String>,
    /// Claims failed after their last return: the records say why.
    pub failed: Vec<String>,
    /// Deleted datasets whose objects were removed once more.
    pub purged: Vec<String>,
    /// Leases whose work is final or gone, removed.
    pub dropped: usize,
    /// Leases whose work is still within its lease, looked at again later.
    pub live: usize,
    /// Leases that could not be handled (an outage): logged, tried again next run.
    pub errors: usize,
}

/// The sweeper use case.
pub struct Sweeper {
    /// The records and their leases.
    pub table: Arc<dyn Table>,
    /// The objects of deleted datasets.
    pub blobs: Arc<dyn BlobStore>,
    /// Where requests are sent again (validation, analysis and anchor queues).
    pub queue: Arc<dyn Queue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// When work is stuck.
    pub settings: SweepSettings,
}

/// What to do with one lease.
enum Verdict {
    Returned,
    Resent,
    Failed,
    Purged,
    Dropped,
    Live,
}

impl Sweeper {
    /// Looks at every lease that has expired (up to [`SweepSettings::batch`]) and returns, fails,
    /// purges or drops it.
    ///
    /// # Errors
    /// The table could not list the leases. Failures on one lease are counted in
    /// [`SweepReport::errors`] and logged; the others are still handled.
    pub async fn sweep(&self) -> Result<SweepReport, Error> {
        let now = self.clock.now();
        let horizon = match self.settings.dead_before {
            // Every lease written before the start, whatever its expiry.
            Some(start) => now.max(start + self.longest_wait()),
            None => now,
        };
        let leases = self
            .table
            .expired_leases(horizon, self.settings.batch)
            .await?;
        let mut report = SweepReport::default();
        for lease in leases {
            if lease.expires_at > now && !self.written_by_the_dead(&lease) {
                continue;
            }
            let name = format!("{}:{}", lease.kind.as_str(), lease.id);
            match self.judge(lease, now).await {
                Ok(Verdict::Returned) => report.returned.push(name),
                Ok(Verdict::Resent) => report.resent.push(name),
                Ok(Verdict::Failed) => report.failed.push(name),
                Ok(Verdict::Purged) => report.purged.push(name),
                Ok(Verdict::Dropped) => report.dropped += 1,
                Ok(Verdict::Live) => report.live += 1,
                Err(error) => {
                    tracing::warn!(lease = %name, %error, "the sweeper could not handle a lease; next run");
                    report.errors += 1;
                }
            }
        }
        if report != SweepReport::default() {
            tracing::info!(
                returned = ?report.returned,
                resent = ?report.resent,
                failed = ?report.failed,
                purged = report.purged.len(),
                dropped = report.dropped,
                live = report.live,
                errors = report.errors,
                "sweep done"
            );
        }
        Ok(report)
    }

    fn longest_wait(&self) -> Duration {
        let settings = &self.settings;
        settings
            .validation_lease
            .max(settings.analysis_lease)
            .max(settings.anchor_lease)
            .max(MAX_REQUEST_WAIT)
    }

    /// Whether the lease was written before [`SweepSettings::dead_before`] (a deletion's never
    /// counts: its purge waits for late uploads, whoever wrote it).
    fn written_by_the_dead(&self, lease: &Lease) -> bool {
        lease.kind != LeaseKind::Deletion
            && self
                .settings
                .dead_before
                .is_some_and(|start| lease.updated_at < start)
    }

    /// Whether a claim made at `claimed_at` under a lease of `lease` is dead at `now`.
    fn dead(&self, claimed_at: OffsetDateTime, lease: Duration, now: OffsetDateTime) -> bool {
        now >= claimed_at + lease
            || self
                .settings
                .dead_before
                .is_some_and(|start| claimed_at < start)
    }

    async fn judge(&self, lease: Lease, now: OffsetDateTime) -> Result<Verdict, Error> {
        match lease.kind {
            LeaseKind::Validation => self.validation(lease, now).await,
            LeaseKind::Analysis => self.analysis(lease, now).await,
            LeaseKind::Anchoring => self.anchoring(lease, now).await,
            LeaseKind::Deletion => {
                let key = lease.key.clone().unwrap_or_default();
                let removed = purge_objects(self.blobs.as_ref(), &lease.id, &key).await?;
                if !removed.is_empty() {
                    tracing::info!(dataset_id = %lease.id, objects = removed.len(), "objects of a deleted dataset removed again");
                }
                self.drop_lease(&lease).await?;
                Ok(Verdict::Purged)
            }
        }
    }

    async fn drop_lease(&self, lease: &Lease) -> Result<(), Error> {
        self.table.delete_lease(lease.kind, &lease.id).await?;
        Ok(())
    }

    /// Looks at the lease again at `until`.
    async fn postpone(&self, mut lease: Lease, until: OffsetDateTime) -> Result<Verdict, Error> {
        if lease.expires_at != until {
            lease.expires_at = until;
            self.table.put_lease(&lease).await?;
        }
        Ok(Verdict::Live)
    }

    /// Counts a return of the lease's work and looks at it again after `wait`.
    async fn count_return(
        &self,
        mut lease: Lease,
        reason: String,
        now: OffsetDateTime,
        wait: Duration,
    ) -> Result<(), Error> {
        lease.returns += 1;
        lease.reason = Some(reason);
        lease.expires_at = now + wait;
        lease.updated_at = now;
        self.table.put_lease(&lease).await?;
        Ok(())
    }

    /// A validate use case for the sample steps (the validator itself never runs here).
    fn validator(&self) -> ValidateObjects {
        ValidateObjects {
            table: self.table.clone(),
            blobs: self.blobs.clone(),
            queue: self.queue.clone(),
            clock: self.clock.clone(),
            options: genoflow_genomics::Options::default(),
            validation_lease: self.settings.validation_lease,
        }
    }

    /// An analyze use case for handing claims back and failing them (the pipeline never runs
    /// here).
    fn analyser(&self) -> AnalyzeSamples {
        AnalyzeSamples {
            table: self.table.clone(),
            blobs: self.blobs.clone(),
            queue: self.queue.clone(),
            clock: self.clock.clone(),
            panel: Arc::new(PanelSource::named(genoflow_genomics::analysis::BUILTIN_TB)),
            options: genoflow_genomics::analysis::Options::default(),
            analysis_lease: self.settings.analysis_lease,
        }
    }

    async fn send_validation(&self, dataset: &Dataset) -> Result<(), Error> {
        let message = Message::from(ObjectStored {
            key: encode_event_key(&dataset.key),
        });
        self.queue.send(&message).await?;
        Ok(())
    }

    async fn validation(&self, lease: Lease, now: OffsetDateTime) -> Result<Verdict, Error> {
        let Some(dataset) = self.table.get_dataset(&lease.id).await? else {
            self.drop_lease(&lease).await?;
            return Ok(Verdict::Dropped);
        };
        let wait = self.settings.validation_lease;
        let claimed_at = dataset.updated_at;
        match dataset.status {
            Status::Uploaded | Status::Pending if !self.dead(claimed_at, wait, now) => {
                self.postpone(lease, claimed_at + wait).await
            }
            Status::Uploaded if lease.returns >= self.settings.max_returns => {
                let why = format!(
                    "the validation was claimed {} times and never finished",
                    lease.returns + 1
                );
                self.validator().give_up(&dataset, &why).await?;
                Ok(Verdict::Failed)
            }
            Status::Pending if lease.returns >= self.settings.max_returns => {
                self.fail_pending(&dataset, &lease).await?;
                self.drop_lease(&lease).await?;
                Ok(Verdict::Failed)
            }
            Status::Uploaded => {
                let Some(returned) =
                    transition_dataset(self.table.as_ref(), &dataset, Status::Pending, now, |_| {})
                        .await?
                else {
                    return Ok(Verdict::Live);
                };
                self.send_validation(&returned).await?;
                let reason = format!("validation claim of {claimed_at} past its lease");
                tracing::warn!(dataset_id = %dataset.dataset_id, %reason, returns = lease.returns + 1, "validation returned");
                self.count_return(lease, reason, now, wait).await?;
                Ok(Verdict::Returned)
            }
            Status::Pending => {
                self.send_validation(&dataset).await?;
                let reason = "validation handed back and not retried".to_owned();
                tracing::warn!(dataset_id = %dataset.dataset_id, %reason, returns = lease.returns + 1, "validation requested again");
                self.count_return(lease, reason, now, wait).await?;
                Ok(Verdict::Resent)
            }
            _ => {
                self.drop_lease(&lease).await?;
                Ok(Verdict::Dropped)
            }
        }
    }

    /// `pending → failed` for a validation handed back too often, then the sample step.
    async fn fail_pending(&self, dataset: &Dataset, lease: &Lease) -> Result<(), Error> {
        let error = Problem::new(
            "the validation could not finish (the service timed out, crashed or could not read \
             the file, on every attempt); upload the file again, or ask the operator",
        );
        tracing::warn!(dataset_id = %dataset.dataset_id, returns = lease.returns, reason = ?lease.reason, "validation given up");
        let now = self.clock.now();
        if let Some(failed) =
            transition_dataset(self.table.as_ref(), dataset, Status::Failed, now, |d| {
                d.error = Some(error)
            })
            .await?
        {
            self.validator().sample_step(&failed).await?;
        }
        Ok(())
    }

    async fn analysis(&self, lease: Lease, now: OffsetDateTime) -> Result<Verdict, Error> {
        let Some(sample) = self.table.get_sample(&lease.id).await? else {
            self.drop_lease(&lease).await?;
            return Ok(Verdict::Dropped);
        };
        let wait = self.settings.analysis_lease;
        match sample.status {
            SampleStatus::Analyzing if !self.dead(sample.updated_at, wait, now) => {
                self.postpone(lease, sample.updated_at + wait).await
            }
            SampleStatus::Analyzing if lease.returns >= self.settings.max_returns => {
                let datasets = datasets_of(self.table.as_ref(), &sample).await?;
                tracing::warn!(sample_id = %sample.sample_id, returns = lease.returns, reason = ?lease.reason, "analysis given up");
                self.analyser().give_up(&sample, &datasets).await?;
                Ok(Verdict::Failed)
            }
            SampleStatus::Analyzing => {
                let datasets = datasets_of(self.table.as_ref(), &sample).await?;
                self.analyser().hand_back(&sample, &datasets).await?;
                self.queue
                    .send(&Message::from(AnalysisRequested {
                        sample_id: sample.sample_id.clone(),
                    }))
                    .await?;
                let reason = format!("analysis claim of {} past its lease", sample.updated_at);
                tracing::warn!(sample_id = %sample.sample_id, %reason, returns = lease.returns + 1, "analysis returned");
                let look_again = self.settings.request_wait;
                self.count_return(lease, reason, now, look_again).await?;
                Ok(Verdict::Returned)
            }
            SampleStatus::AnalysisRequested => {
                // Re-sends wait longer each time (a long queue is not a lost request).
                let waited = (lease.expires_at - lease.updated_at).max(self.settings.request_wait);
                if !self.dead(sample.updated_at, self.settings.request_wait, now) {
                    return self
                        .postpone(lease, sample.updated_at + self.settings.request_wait)
                        .await;
                }
                self.queue
                    .send(&Message::from(AnalysisRequested {
                        sample_id: sample.sample_id.clone(),
                    }))
                    .await?;
                tracing::warn!(sample_id = %sample.sample_id, since = %sample.updated_at, "analysis requested again");
                let mut lease = lease;
                let doubled: Duration = waited * 2;
                lease.expires_at = now + doubled.min(MAX_REQUEST_WAIT);
                lease.updated_at = now;
                self.table.put_lease(&lease).await?;
                Ok(Verdict::Resent)
            }
            _ => {
                self.drop_lease(&lease).await?;
                Ok(Verdict::Dropped)
            }
        }
    }

    async fn anchoring(&self, lease: Lease, now: OffsetDateTime) -> Result<Verdict, Error> {
        let Some(sample) = self.table.get_sample(&lease.id).await? else {
            self.drop_lease(&lease).await?;
            return Ok(Verdict::Dropped);
        };
        let (SampleStatus::Anchoring, Some(anchor)) = (sample.status, &sample.anchor) else {
            self.drop_lease(&lease).await?;
            return Ok(Verdict::Dropped);
        };
        if self.table.get_batch(&anchor.batch_id).await?.is_some() {
            // Stored: the anchor schedule follows the batch.
            self.drop_lease(&lease).await?;
            return Ok(Verdict::Dropped);
        }
        let wait = self.settings.anchor_lease;
        if !self.dead(sample.updated_at, wait, now) {
            return self.postpone(lease, sample.updated_at + wait).await;
        }
        let Some(item) = sample.analysis.as_ref().map(|a| a.item.clone()) else {
            self.drop_lease(&lease).await?;
            return Ok(Verdict::Dropped);
        };
        let released = transition_sample(
            self.table.as_ref(),
            &sample,
            SampleStatus::Analyzed,
            now,
            |s| s.anchor = None,
        )
        .await?;
        if released.is_some() {
            self.queue
                .send(&Message::from(AnchorRequested {
                    sample_id: sample.sample_id.clone(),
                    item,
                }))
                .await?;
            tracing::warn!(sample_id = %sample.sample_id, "anchoring claim without a stored batch returned");
        }
        self.drop_lease(&lease).await?;
        Ok(Verdict::Returned)
    }
}
