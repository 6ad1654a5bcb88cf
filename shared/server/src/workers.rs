//! The background workers: consumers of each queue, running the use cases the validate,
//! analyze and anchor functions run (`--workers` consumers each for validation and analysis,
//! one for anchoring); the anchor worker also runs the confirmation schedule, and a timer
//! sweeps abandoned multipart uploads. With an oracle key, the oracle's schedule (`oracle`):
//! a refresh at start and every `--oracle-interval`, a confirmation run every confirmation
//! interval.
//!
//! Each job has `--job-timeout` (the functions' 900 s by default); one that runs past it is
//! failed and retried. A failure retrying cannot mend (a final error of the use case, a message
//! no consumer reads) goes to the dead letters at once, one that keeps failing after its last
//! attempt; either way it is logged, and `GET /admin/dead-letters` lists them.
//!
//! Leases follow the functions' rule: a validation or analysis claim is leased for the job
//! timeout plus a minute, so a sibling's live claim is never taken over; a delivery that finds
//! one is put back until the lease ends (not counted as a failure), and on its last attempt is
//! acknowledged, the sweeper returning the claim if its holder died. The sweeper
//! ([`genoflow_core::usecases::sweeper`]) runs at start, where every claim older than the
//! process is returned at once (one process per data directory: its holder died with the last
//! one), then every [`CLAIM_SWEEP_INTERVAL`]. A job that panics fails its delivery like one
//! that fails, and its worker carries on.

use std::{sync::Arc, time::Duration};

use genoflow_core::{
    Error,
    ports::{AnchorRequested, Chain, Clock, Message, Metrics, Queue, QueueName, Table},
    usecases::{
        Attempt,
        analyze::{AnalysisOutcome, AnalyzeSamples, PanelSource},
        anchor::{AnchorBatches, Anchorer},
        metrics as record,
        object_created::{LEASE_MARGIN, ObjectCreated, ObjectOutcome, ValidateObjects},
        submit::ContractSender,
        sweeper::{SweepSettings, Sweeper},
    },
};
use genoflow_local::{Delivery, LocalQueue};
use genoflow_stacks::keys::PrivateKey;
use tokio::{sync::watch, task::JoinHandle};

use crate::{Config, NotifyingStore, oracle::OracleService};

/// Anchor requests taken into one batch (the SQS trigger's batch size).
const ANCHOR_BATCH: usize = 100;
/// How often abandoned multipart uploads are swept.
const SWEEP_INTERVAL: Duration = Duration::from_secs(600);
/// How often the sweeper looks for claims past their lease (and deleted datasets to purge).
pub const CLAIM_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// The running workers.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

struct Shared {
    queue: LocalQueue,
    clock: Arc<dyn Clock>,
    poll: Duration,
    stop: watch::Receiver<bool>,
    /// Deliveries of a message before it is dead-lettered (the queue's `max_attempts`).
    max_attempts: u32,
    /// Where the outcomes are counted (`/metrics` with `--metrics`).
    metrics: Arc<dyn Metrics>,
}

impl Shared {
    /// Waits `duration`, or less if the server stops; answers whether to go on.
    async fn pause(&mut self, duration: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(duration) => !*self.stop.borrow(),
            _ = self.stop.changed() => false,
        }
    }

    /// The next delivery of `queue`; `None` after a pause when there is none (or the queue
    /// failed, logged).
    async fn next(&mut self, queue: QueueName) -> Option<Delivery> {
        match self.queue.receive(queue, self.clock.now()).await {
            Ok(Some(delivery)) => Some(delivery),
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, "queue unavailable");
                None
            }
        }
    }

    /// Acks a handled delivery; a failed one goes back with a back-off growing with its
    /// attempts (or to the dead letters after the last); one not worth retrying goes to the
    /// dead letters at once.
    async fn settle(&self, delivery: &Delivery, outcome: Outcome) {
        let queue = crate::admin::queue_name(delivery.queue);
        let settled = match outcome {
            Outcome::Done => self.queue.ack(delivery).await,
            Outcome::Retry(error) => {
                let back_off = time::Duration::seconds(2_i64.pow(delivery.attempt.min(8)));
                match self
                    .queue
                    .fail(delivery, &error, back_off, self.clock.now())
                    .await
                {
                    Ok(true) => {
                        tracing::error!(queue, message = delivery.id, attempt = delivery.attempt, %error, "failed on its last attempt: kept as a dead letter (GET /admin/dead-letters)");
                        Ok(())
                    }
                    Ok(false) => {
                        tracing::warn!(queue, message = delivery.id, attempt = delivery.attempt, %error, "delivery failed; retrying");
                        Ok(())
                    }
                    Err(error) => Err(error),
                }
            }
            Outcome::Later(until) => {
                let now = self.clock.now();
                let wait = (until - now).max(time::Duration::seconds(1));
                tracing::info!(queue, message = delivery.id, attempt = delivery.attempt, %until, "claimed by another job: delivered again when its lease ends");
                self.queue.nack(delivery, wait, now).await
            }
            Outcome::Dead(error) => {
                tracing::error!(queue, message = delivery.id, attempt = delivery.attempt, %error, "not worth retrying: kept as a dead letter (GET /admin/dead-letters)");
                self.queue
                    .dead_letter(delivery, &error, self.clock.now())
                    .await
            }
        };
        if let Err(error) = settled {
            tracing::error!(%error, "could not settle a delivery");
        }
    }
}

/// What becomes of a delivery.
#[derive(Clone, Debug)]
enum Outcome {
    /// Handled: acked.
    Done,
    /// Failed in a way a later attempt may not: back to the queue, after a back-off.
    Retry(String),
    /// Failed in a way no attempt mends: to the dead letters now.
    Dead(String),
    /// Claimed by another job until then: back to the queue until the claim's lease ends.
    Later(time::OffsetDateTime),
}

/// A use case's result as an outcome: its retryable errors are retried, the others kept as dead
/// letters (the use case has already recorded what the user needs to know).
fn outcome_of(result: Result<(), Error>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(error) if error.is_retryable() => Outcome::Retry(error.to_string()),
        Err(error) => Outcome::Dead(error.to_string()),
    }
}

impl Workers {
    /// Starts the workers.
    #[allow(clippy::too_many_arguments)] // the ports, each once
    pub(crate) fn start(
        config: &Config,
        table: Arc<dyn Table>,
        store: NotifyingStore,
        queue: LocalQueue,
        clock: Arc<dyn Clock>,
        chain: Option<Arc<dyn Chain>>,
        anchor_key: PrivateKey,
        metrics: Arc<dyn Metrics>,
        panel: Arc<PanelSource>,
        oracle: Option<Arc<OracleService>>,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let blobs = Arc::new(store.clone());
        let sender: Arc<dyn Queue> = Arc::new(queue.clone());
        let shared = |queue: &LocalQueue| Shared {
            queue: queue.clone(),
            clock: clock.clone(),
            poll: config.poll_interval,
            stop: stopped.clone(),
            max_attempts: config.max_attempts.max(1),
            metrics: metrics.clone(),
        };
        // A claim in progress may be a sibling's, or a job's that ran past its timeout and whose
        // blocking work still runs: it is leased for as long as a job may run, and a minute
        // more. Claims of a process that died are returned by the sweeper at start.
        let lease = time::Duration::try_from(config.job_timeout)
            .unwrap_or(time::Duration::MAX)
            .saturating_add(LEASE_MARGIN);
        let sweep = Sweeper {
            table: table.clone(),
            blobs: blobs.clone(),
            queue: sender.clone(),
            clock: clock.clone(),
            settings: SweepSettings {
                validation_lease: lease,
                analysis_lease: lease,
                dead_before: Some(clock.now()),
                ..SweepSettings::default()
            },
        };
        let validate = ValidateObjects {
            table: table.clone(),
            blobs: blobs.clone(),
            queue: sender.clone(),
            clock: clock.clone(),
            // A file validation could not finish within the job's time is invalid at once,
            // as in the validate function.
            options: genoflow_genomics::Options::for_time_limit(
                config.job_timeout.as_secs().max(1),
            ),
            validation_lease: lease,
        };
        let analyze = AnalyzeSamples {
            table: table.clone(),
            blobs: blobs.clone(),
            queue: sender.clone(),
            clock: clock.clone(),
            panel,
            options: genoflow_genomics::analysis::Options::default(),
            analysis_lease: lease,
        };
        let anchor = AnchorBatches {
            table,
            blobs,
            queue: sender,
            clock: clock.clone(),
            chain,
            anchorer: Anchorer {
                sender: ContractSender {
                    key: anchor_key,
                    network: config.network,
                    fee: config.anchor_fee,
                },
                registry: config.registry.clone(),
            },
            claim_lease: time::Duration::ZERO,
        };
        let (validate, analyze) = (
            Arc::new(Job::Validate(validate)),
            Arc::new(Job::Analyze(analyze)),
        );
        let mut tasks = Vec::new();
        for _ in 0..config.workers.max(1) {
            for job in [&validate, &analyze] {
                tasks.push(tokio::spawn(worker(
                    shared(&queue),
                    Arc::clone(job),
                    config.job_timeout,
                )));
            }
        }
        tasks.extend([
            tokio::spawn(anchor_worker(
                shared(&queue),
                anchor,
                config.confirm_interval,
            )),
            tokio::spawn(sweeper(shared(&queue), store)),
            tokio::spawn(claim_sweeper(shared(&queue), sweep)),
        ]);
        if let Some(oracle) = oracle {
            tasks.push(tokio::spawn(oracle_schedule(
                shared(&queue),
                oracle,
                config.oracle_interval,
                config.confirm_interval,
            )));
        }
        Self { stop, tasks }
    }

    /// Asks every worker to stop after its current step, and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, "a worker panicked");
            }
        }
    }
}

/// A use case fed one message at a time.
enum Job {
    Validate(ValidateObjects),
    Analyze(AnalyzeSamples),
}

impl Job {
    fn queue(&self) -> QueueName {
        match self {
            Self::Validate(_) => QueueName::Validation,
            Self::Analyze(_) => QueueName::Analysis,
        }
    }

    async fn run(
        &self,
        message: Result<Message, serde_json::Error>,
        attempt: Attempt,
        metrics: &dyn Metrics,
    ) -> Outcome {
        // A live claim of another job: put back until its lease ends, unless this is the last
        // attempt (then the sweeper returns the claim if its holder died).
        let later = |until: time::OffsetDateTime| {
            if attempt.is_last() {
                Outcome::Done
            } else {
                Outcome::Later(until)
            }
        };
        match (self, message) {
            (Self::Validate(validate), Ok(Message::ObjectStored(stored))) => {
                let object = ObjectCreated { key: stored.key };
                match validate.handle_attempt(&object, attempt).await {
                    Ok(ObjectOutcome::InProgress { until, .. }) => later(until),
                    result => outcome_of(result.map(|outcome| {
                        record::object_handled(metrics, &outcome);
                        tracing::info!(?outcome, "object validated");
                    })),
                }
            }
            (Self::Analyze(analyze), Ok(Message::AnalysisRequested(request))) => {
                let started = std::time::Instant::now();
                match analyze.handle_attempt(&request, attempt).await {
                    Ok(AnalysisOutcome::InProgress { until, .. }) => later(until),
                    result => outcome_of(result.map(|outcome| {
                        record::sample_analyzed(metrics, &outcome, started.elapsed());
                        tracing::info!(?outcome, "analysis done");
                    })),
                }
            }
            (_, other) => Outcome::Dead(format!("not a message for this queue: {other:?}")),
        }
    }
}

/// Runs `job` on each delivery of its queue, one at a time, until the server stops; a job
/// running past `timeout` is dropped at its next await and its delivery failed (work in the
/// blocking pool, such as a validation, runs on to its own end: its writes are conditional).
async fn worker(mut shared: Shared, job: Arc<Job>, timeout: Duration) {
    loop {
        let Some(delivery) = shared.next(job.queue()).await else {
            if shared.pause(shared.poll).await {
                continue;
            }
            return;
        };
        let attempt = Attempt {
            receive_count: delivery.attempt,
            max_receive_count: shared.max_attempts,
        };
        // On a task of its own, so a panic fails the delivery instead of ending this worker
        // (the claim it leaves is the sweeper's to return).
        let run = tokio::spawn({
            let (job, message) = (Arc::clone(&job), delivery.message());
            let metrics = Arc::clone(&shared.metrics);
            async move { job.run(message, attempt, metrics.as_ref()).await }
        });
        let abort = run.abort_handle();
        let outcome = match tokio::time::timeout(timeout, run).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(failed)) => Outcome::Retry(format!("the job failed: {failed}")),
            Err(_) => {
                abort.abort();
                Outcome::Retry(format!(
                    "the job ran past its {} ms timeout (--job-timeout)",
                    timeout.as_millis()
                ))
            }
        };
        shared.settle(&delivery, outcome).await;
    }
}

/// Takes every visible anchor request (up to [`ANCHOR_BATCH`]) into one batch, as the SQS
/// trigger's batching window does; between batches, confirms open transactions.
async fn anchor_worker(mut shared: Shared, anchor: AnchorBatches, confirm_every: Duration) {
    let mut last_confirm = tokio::time::Instant::now();
    loop {
        if last_confirm.elapsed() >= confirm_every {
            last_confirm = tokio::time::Instant::now();
            match anchor.confirm().await {
                Ok(report) => {
                    record::anchors_checked(shared.metrics.as_ref(), &report);
                    tracing::info!(?report, "open batches checked");
                }
                Err(error) => tracing::warn!(%error, "confirmation failed; trying again later"),
            }
        }
        let mut deliveries = Vec::new();
        let mut requests: Vec<AnchorRequested> = Vec::new();
        while deliveries.len() < ANCHOR_BATCH {
            let Some(delivery) = shared.next(QueueName::Anchor).await else {
                break;
            };
            match delivery.message() {
                Ok(Message::AnchorRequested(request)) => {
                    requests.push(request);
                    deliveries.push(delivery);
                }
                other => {
                    let error = format!("not an anchor request: {other:?}");
                    shared.settle(&delivery, Outcome::Dead(error)).await;
                }
            }
        }
        if requests.is_empty() {
            if shared.pause(shared.poll).await {
                continue;
            }
            return;
        }
        let outcome = outcome_of(
            anchor
                .anchor(&requests)
                .await
                .map(|outcome| tracing::info!(?outcome, "anchored")),
        );
        for delivery in &deliveries {
            shared.settle(delivery, outcome.clone()).await;
        }
    }
}

/// The oracle's schedule: a refresh now and every `refresh_every`, a confirmation run every
/// `confirm_every`, until the server stops.
async fn oracle_schedule(
    mut shared: Shared,
    oracle: Arc<OracleService>,
    refresh_every: Duration,
    confirm_every: Duration,
) {
    // An interval too long to add is as good as never (a year).
    let after = |every: Duration| {
        let now = tokio::time::Instant::now();
        now.checked_add(every)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 86_400))
    };
    let (mut next_refresh, mut next_confirm) = (tokio::time::Instant::now(), after(confirm_every));
    loop {
        let now = tokio::time::Instant::now();
        if now >= next_refresh {
            if let Err(error) = oracle.refresh().await {
                tracing::error!(%error, "oracle refresh could not run; trying again at the next interval");
            }
            next_refresh = after(refresh_every);
        }
        if now >= next_confirm {
            oracle.confirm().await;
            next_confirm = after(confirm_every);
        }
        let wait = next_refresh
            .min(next_confirm)
            .saturating_duration_since(tokio::time::Instant::now());
        if !shared.pause(wait).await {
            return;
        }
    }
}

/// Runs the sweeper now (claims of a process that died are returned at once), then every
/// [`CLAIM_SWEEP_INTERVAL`].
async fn claim_sweeper(mut shared: Shared, sweeper: Sweeper) {
    loop {
        if let Err(error) = sweeper.sweep().await {
            tracing::warn!(%error, "sweep failed; trying again later");
        }
        if !shared.pause(CLAIM_SWEEP_INTERVAL).await {
            return;
        }
    }
}

async fn sweeper(mut shared: Shared, store: NotifyingStore) {
    loop {
        match store.files.sweep_expired_uploads(shared.clock.now()).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "abandoned multipart uploads removed"),
            Err(error) => tracing::warn!(%error, "multipart sweep failed"),
        }
        if !shared.pause(SWEEP_INTERVAL).await {
            return;
        }
    }
}
