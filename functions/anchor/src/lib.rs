//! The `anchor` function: two triggers, one use case ([`AnchorBatches`]).
//!
//! - **SQS `anchor_requested`, batched** (up to 100 messages, 60 s window): every analysed
//!   sample of the batch goes into one Merkle tree and one `registry.anchor-batch(root, size)`
//!   transaction. The batch succeeds or fails as a whole: on failure every parsed message is
//!   listed for redelivery (the use case picks up where it stopped; nothing is anchored twice);
//!   poison messages are listed on their own, for the dead-letter queue.
//! - **Schedule `{"type": "confirm_pending"}`**: broadcasts signed batches, confirms the ones in
//!   a block, re-sends dropped transactions, requests the samples of failed ones again.
//!
//! One invocation at a time (reserved concurrency 1) keeps the batches few; the nonce counter
//! in the table keeps nonces unique even without it.
#![warn(missing_docs)]

use std::sync::Arc;

use genoflow_aws::lambda::sqs::{
    BatchOutcome, ItemResult, SqsBatchResponse, SqsEvent, classify, parse_message, parse_records,
};
use genoflow_core::{
    Error,
    ports::{BlobStore, Chain, Clock, Message, Queue, QueueName, Table},
    usecases::anchor::{AnchorBatches, Anchorer, ConfirmReport},
};
use serde::{Deserialize, Serialize};

/// How long a sample may stay claimed by a batch that was never stored: longer than the
/// function's timeout (120 s in the template), so only a dead run's claims are released.
pub const CLAIM_LEASE: time::Duration = time::Duration::minutes(5);

/// The ports the function runs on.
pub struct Ports {
    /// Samples, datasets, batches, the nonce counter.
    pub table: Arc<dyn Table>,
    /// Where proofs go.
    pub blobs: Arc<dyn BlobStore>,
    /// Where failed batches' samples are requested again.
    pub queue: Arc<dyn Queue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The Stacks node (`None`: sign and keep).
    pub chain: Option<Arc<dyn Chain>>,
}

/// The two events the function receives.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum AnchorEvent {
    /// The schedule's payload.
    Schedule(ScheduleEvent),
    /// An SQS batch.
    Sqs(SqsEvent),
}

/// `{"type": "confirm_pending"}`.
#[derive(Debug, Deserialize)]
pub struct ScheduleEvent {
    /// The only task.
    #[serde(rename = "type")]
    pub task: ScheduleTask,
}

/// What the schedule asks.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleTask {
    /// Confirm, re-send and recover the open batches.
    ConfirmPending,
}

/// The answer to an invocation.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum AnchorAnswer {
    /// To SQS: the messages to redeliver.
    Sqs(SqsBatchResponse),
    /// To the schedule: what was done (also logged).
    Schedule(ConfirmSummary),
}

/// The schedule's answer.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ConfirmSummary {
    /// Batch ids now in a block.
    pub confirmed: Vec<String>,
    /// Batch ids broadcast again.
    pub rebroadcast: Vec<String>,
    /// Batch ids still waiting.
    pub pending: Vec<String>,
    /// Batch ids that failed; their samples were requested again.
    pub failed: Vec<String>,
}

impl From<ConfirmReport> for ConfirmSummary {
    fn from(report: ConfirmReport) -> Self {
        Self {
            confirmed: report.confirmed,
            rebroadcast: report.rebroadcast,
            pending: report.pending,
            failed: report.failed,
        }
    }
}

/// The function, built once at cold start.
pub struct Anchor {
    batches: AnchorBatches,
    metrics: Arc<dyn genoflow_core::ports::Metrics>,
}

impl Anchor {
    /// Wires the use case.
    pub fn new(ports: Ports, anchorer: Anchorer) -> Self {
        Self {
            batches: AnchorBatches {
                table: ports.table,
                blobs: ports.blobs,
                queue: ports.queue,
                clock: ports.clock,
                chain: ports.chain,
                anchorer,
                claim_lease: CLAIM_LEASE,
            },
            metrics: Arc::new(genoflow_core::ports::NoMetrics),
        }
    }

    /// Records `AnchorsConfirmed` / `AnchorsFailed` in `metrics` (CloudWatch EMF on AWS).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<dyn genoflow_core::ports::Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Handles one invocation.
    ///
    /// # Errors
    /// The schedule's run failed (a table or storage outage): the invocation fails and the
    /// next run retries. SQS batches never fail as a whole.
    pub async fn handle(&self, event: AnchorEvent) -> Result<AnchorAnswer, Error> {
        match event {
            AnchorEvent::Sqs(event) => Ok(AnchorAnswer::Sqs(self.anchor(&event).await)),
            AnchorEvent::Schedule(_) => {
                let report = self.batches.confirm().await?;
                genoflow_core::usecases::metrics::anchors_checked(&*self.metrics, &report);
                tracing::info!(
                    confirmed = report.confirmed.len(),
                    rebroadcast = report.rebroadcast.len(),
                    pending = report.pending.len(),
                    failed = report.failed.len(),
                    "open batches checked"
                );
                Ok(AnchorAnswer::Schedule(report.into()))
            }
        }
    }

    async fn anchor(&self, event: &SqsEvent) -> SqsBatchResponse {
        let (parsed, mut items) =
            parse_records(event, |body| parse_message(body, QueueName::Anchor));
        let requests: Vec<_> = parsed
            .iter()
            .filter_map(|(_, message)| match message {
                Message::AnchorRequested(request) => Some(request.clone()),
                Message::AnalysisRequested(_) | Message::ObjectStored(_) => None,
            })
            .collect();
        let result = if requests.is_empty() {
            Ok(None)
        } else {
            self.batches.anchor(&requests).await.map(Some)
        };
        match result {
            Ok(outcome) => {
                if let Some(outcome) = outcome {
                    match &outcome.batch {
                        Some(batch) => {
                            tracing::info!(batch_id = %batch.batch_id, root = %batch.root, size = batch.size, txid = %batch.txid, status = ?batch.status, "batch anchored")
                        }
                        None => tracing::info!(
                            rebroadcast = outcome.rebroadcast.len(),
                            skipped = outcome.skipped.len(),
                            "no new batch"
                        ),
                    }
                }
                items.extend(parsed.iter().map(|(record, _)| ItemResult {
                    message_id: record.message_id.clone().unwrap_or_default(),
                    failure: None,
                }));
            }
            Err(error) => items.extend(parsed.iter().map(|(record, _)| ItemResult {
                message_id: record.message_id.clone().unwrap_or_default(),
                failure: Some(classify(record, &error)),
            })),
        }
        BatchOutcome { items }.response()
    }
}
