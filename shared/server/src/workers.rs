//! The background workers: one sequential consumer per queue, running the use cases the
//! validate, analyze and anchor functions run; the anchor worker also runs the confirmation
//! schedule, and a timer sweeps abandoned multipart uploads.

use std::{sync::Arc, time::Duration};

use genoflow_core::{
    Error,
    ports::{AnchorRequested, Chain, Clock, Message, Queue, QueueName, Table},
    usecases::{
        analyze::{AnalyzeSamples, PanelSource},
        anchor::{AnchorBatches, Anchorer},
        object_created::{ObjectCreated, ValidateObjects},
        submit::ContractSender,
    },
};
use genoflow_local::{Delivery, LocalQueue};
use genoflow_stacks::keys::PrivateKey;
use tokio::{sync::watch, task::JoinHandle};

use crate::{Config, NotifyingStore};

/// Anchor requests taken into one batch (the SQS trigger's batch size).
const ANCHOR_BATCH: usize = 100;
/// How often abandoned multipart uploads are swept.
const SWEEP_INTERVAL: Duration = Duration::from_secs(600);

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
    /// attempts (or to the dead letters after the last). A poison body is never retried
    /// successfully, so it ends in the dead letters too.
    async fn settle(&self, delivery: &Delivery, result: Result<(), String>) {
        let outcome = match result {
            Ok(()) => self.queue.ack(delivery).await,
            Err(error) => {
                tracing::warn!(queue = ?delivery.queue, attempt = delivery.attempt, %error, "delivery failed");
                let back_off = time::Duration::seconds(2_i64.pow(delivery.attempt.min(8)));
                self.queue.nack(delivery, back_off, self.clock.now()).await
            }
        };
        if let Err(error) = outcome {
            tracing::error!(%error, "could not settle a delivery");
        }
    }
}

/// A use case's error as a delivery result: retried, or logged and dropped when retrying
/// cannot help (the use case has already recorded what the user needs to know).
fn retry_if_worth_it(result: Result<(), Error>) -> Result<(), String> {
    match result {
        Ok(()) => Ok(()),
        Err(error) if error.is_retryable() => Err(error.to_string()),
        Err(error) => {
            tracing::error!(%error, "not retryable: dropped");
            Ok(())
        }
    }
}

impl Workers {
    /// Starts the workers.
    pub(crate) fn start(
        config: &Config,
        table: Arc<dyn Table>,
        store: NotifyingStore,
        queue: LocalQueue,
        clock: Arc<dyn Clock>,
        chain: Option<Arc<dyn Chain>>,
        anchor_key: PrivateKey,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let blobs = Arc::new(store.clone());
        let sender: Arc<dyn Queue> = Arc::new(queue.clone());
        let shared = |queue: &LocalQueue| Shared {
            queue: queue.clone(),
            clock: clock.clone(),
            poll: config.poll_interval,
            stop: stopped.clone(),
        };
        // Zero leases: one consumer per queue in the one process the lock allows, so a claim
        // found in progress belongs to a process that died.
        let validate = ValidateObjects {
            table: table.clone(),
            blobs: blobs.clone(),
            queue: sender.clone(),
            clock: clock.clone(),
            options: genoflow_genomics::Options::default(),
            validation_lease: time::Duration::ZERO,
        };
        let analyze = AnalyzeSamples {
            table: table.clone(),
            blobs: blobs.clone(),
            queue: sender.clone(),
            clock: clock.clone(),
            panel: Arc::new(PanelSource::named(config.panel.clone())),
            options: genoflow_genomics::analysis::Options::default(),
            work_dir: config.data_dir.join("work"),
            analysis_lease: time::Duration::ZERO,
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
        let tasks = vec![
            tokio::spawn(worker(shared(&queue), Job::Validate(validate))),
            tokio::spawn(worker(shared(&queue), Job::Analyze(analyze))),
            tokio::spawn(anchor_worker(
                shared(&queue),
                anchor,
                config.confirm_interval,
            )),
            tokio::spawn(sweeper(shared(&queue), store)),
        ];
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

    async fn run(&self, message: Result<Message, serde_json::Error>) -> Result<(), String> {
        match (self, message) {
            (Self::Validate(validate), Ok(Message::ObjectStored(stored))) => retry_if_worth_it(
                validate
                    .handle(&ObjectCreated { key: stored.key })
                    .await
                    .map(|outcome| tracing::info!(?outcome, "object validated")),
            ),
            (Self::Analyze(analyze), Ok(Message::AnalysisRequested(request))) => retry_if_worth_it(
                analyze
                    .handle(&request)
                    .await
                    .map(|outcome| tracing::info!(?outcome, "analysis done")),
            ),
            (_, other) => Err(format!("not a message for this queue: {other:?}")),
        }
    }
}

/// Runs `job` on each delivery of its queue, one at a time, until the server stops.
async fn worker(mut shared: Shared, job: Job) {
    loop {
        let Some(delivery) = shared.next(job.queue()).await else {
            if shared.pause(shared.poll).await {
                continue;
            }
            return;
        };
        let result = job.run(delivery.message()).await;
        shared.settle(&delivery, result).await;
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
                Ok(report) => tracing::info!(?report, "open batches checked"),
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
                    shared.settle(&delivery, Err(error)).await;
                }
            }
        }
        if requests.is_empty() {
            if shared.pause(shared.poll).await {
                continue;
            }
            return;
        }
        let result = retry_if_worth_it(
            anchor
                .anchor(&requests)
                .await
                .map(|outcome| tracing::info!(?outcome, "anchored")),
        );
        for delivery in &deliveries {
            shared.settle(delivery, result.clone()).await;
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
