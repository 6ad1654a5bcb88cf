//! The `analyze` function: SQS `analysis_requested` messages in, each sample analysed once
//! ([`AnalyzeSamples::handle_attempt`]: claim, stream the files from S3 through the pipeline
//! with the built-in `tb-who-2023` panel, write `report.json` and `variants.vcf` under each
//! dataset's `results/{dataset_id}/`, record the hashes, request anchoring; a redelivery does
//! no work twice).
//!
//! The answer is a partial batch response ([`genoflow_aws::lambda::sqs`]): a message that
//! failed, or is not an analysis request, is listed, redelivered, and after the queue's
//! `maxReceiveCount` moved to the dead-letter queue. A message for a sample another analyser
//! holds a live claim on is listed too (retried after the visibility timeout), never
//! acknowledged; on its last delivery (`GENOFLOW_MAX_RECEIVE_COUNT`) an analysis that cannot
//! run fails the sample with the reason instead of leaving it `analyzing`.
#![warn(missing_docs)]

use std::sync::Arc;

use genoflow_aws::lambda::{
    leases::Leases,
    sqs::{Settled, SqsBatchResponse, SqsEvent, process_deliveries},
};
use genoflow_core::{
    ports::{BlobStore, Clock, Message, Queue, QueueName, Table},
    usecases::{
        Attempt,
        analyze::{AnalysisOutcome, AnalyzeSamples, PanelSource},
    },
};
use genoflow_genomics::analysis::{self, BUILTIN_TB};

/// How long an analysis claim holds by default: the function's longest timeout (15 minutes)
/// plus a minute, so a live run is never taken over and a redelivery after a crash is.
pub const ANALYSIS_LEASE: time::Duration = genoflow_core::usecases::sweeper::DEFAULT_ANALYSIS_LEASE;

/// The ports the function runs on (S3, DynamoDB, SQS and the clock on AWS).
pub struct Ports {
    /// Datasets and samples.
    pub table: Arc<dyn Table>,
    /// The uploads and the results.
    pub blobs: Arc<dyn BlobStore>,
    /// Where anchor requests go.
    pub queue: Arc<dyn Queue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// The function, built once at cold start.
pub struct Analyze {
    samples: AnalyzeSamples,
    max_receive_count: u32,
    metrics: Arc<dyn genoflow_core::ports::Metrics>,
}

impl Analyze {
    /// Wires the use case with the built-in panel (loaded by the first analysis, not at cold
    /// start), the default thresholds, and the default lease and `maxReceiveCount`
    /// ([`Analyze::with_leases`] sets the deployment's).
    pub fn new(ports: Ports) -> Self {
        Self {
            samples: AnalyzeSamples {
                table: ports.table,
                blobs: ports.blobs,
                queue: ports.queue,
                clock: ports.clock,
                panel: Arc::new(PanelSource::named(BUILTIN_TB)),
                options: analysis::Options::default(),
                analysis_lease: ANALYSIS_LEASE,
            },
            max_receive_count: genoflow_aws::lambda::leases::DEFAULT_MAX_RECEIVE_COUNT,
            metrics: Arc::new(genoflow_core::ports::NoMetrics),
        }
    }

    /// The claim lease (`GENOFLOW_ANALYSIS_LEASE_SECONDS`: the function's timeout plus a margin)
    /// and the queue's `maxReceiveCount` (`GENOFLOW_MAX_RECEIVE_COUNT`).
    #[must_use]
    pub fn with_leases(mut self, leases: &Leases) -> Self {
        self.samples.analysis_lease = leases.analysis;
        self.max_receive_count = leases.max_receive_count;
        self
    }

    /// Records `AnalysisDuration` / `AnalysesFailed` in `metrics` (CloudWatch EMF on AWS).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<dyn genoflow_core::ports::Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Handles one SQS batch (the template delivers one message at a time: an analysis uses
    /// the whole function).
    pub async fn handle(&self, event: &SqsEvent) -> SqsBatchResponse {
        let max = self.max_receive_count;
        process_deliveries(event, QueueName::Analysis, max, |message, attempt| {
            self.deliver(message, attempt)
        })
        .await
        .response()
    }

    /// One delivery of an analysis request.
    async fn deliver(
        &self,
        message: Message,
        attempt: Attempt,
    ) -> Result<Settled, genoflow_core::Error> {
        let Message::AnalysisRequested(request) = message else {
            // process_deliveries hands over only this queue's messages.
            return Ok(Settled::Done);
        };
        let started = std::time::Instant::now();
        let outcome = self.samples.handle_attempt(&request, attempt).await?;
        genoflow_core::usecases::metrics::sample_analyzed(
            &*self.metrics,
            &outcome,
            started.elapsed(),
        );
        log(&outcome);
        let claimed = match outcome {
            AnalysisOutcome::InProgress { until, .. } => Some(until),
            _ => None,
        };
        Ok(Settled::unless_claimed(claimed, attempt))
    }
}

fn log(outcome: &AnalysisOutcome) {
    match outcome {
        AnalysisOutcome::Analyzed { sample_id, record } => {
            tracing::info!(%sample_id, item = %record.item, report_sha256 = %record.report_sha256, "analysed");
        }
        AnalysisOutcome::Failed { sample_id, error } => {
            tracing::warn!(%sample_id, dataset_id = %error.dataset_id, error = %error.error.message, "analysis refused the input");
        }
        AnalysisOutcome::AlreadyAnalyzed { sample_id } => {
            tracing::info!(%sample_id, "already analysed: anchor request sent again");
        }
        AnalysisOutcome::InProgress { sample_id, until } => {
            tracing::info!(%sample_id, %until, "another analyser holds a live claim");
        }
        AnalysisOutcome::Skipped { sample_id, status } => {
            tracing::info!(%sample_id, ?status, "nothing to do");
        }
        AnalysisOutcome::Gone { sample_id } => {
            tracing::info!(%sample_id, "sample deleted: nothing to do");
        }
    }
}
