//! The `analyze` function: SQS `analysis_requested` messages in, each sample analysed once
//! ([`AnalyzeSamples::handle`]: claim, copy the files to `/tmp`, run the pipeline with the
//! built-in `tb-who-2023` panel, write `report.json` and `variants.vcf` under each dataset's
//! `results/{dataset_id}/`, record the hashes, request anchoring; a redelivery does no work
//! twice).
//!
//! The answer is a partial batch response ([`genoflow_aws::lambda::sqs`]): a message that
//! failed, or is not an analysis request, is listed, redelivered, and after the queue's
//! `maxReceiveCount` moved to the dead-letter queue.

use std::{path::PathBuf, sync::Arc};

use genoflow_aws::lambda::sqs::{SqsBatchResponse, SqsEvent, process_batch};
use genoflow_core::{
    ports::{BlobStore, Clock, Message, Queue, QueueName, Table},
    usecases::analyze::{AnalysisOutcome, AnalyzeSamples, PanelSource},
};
use genoflow_genomics::analysis::{self, BUILTIN_TB};

/// How long an analysis claim holds: the function's longest timeout (15 minutes), so a
/// redelivery after a crash takes the sample over and one during a live run does not.
pub const ANALYSIS_LEASE: time::Duration = time::Duration::minutes(15);

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
}

impl Analyze {
    /// Wires the use case with the built-in panel (loaded by the first analysis, not at cold
    /// start), the default thresholds and `work_dir` (Lambda's `/tmp`) for the copied files.
    pub fn new(ports: Ports, work_dir: PathBuf) -> Self {
        Self {
            samples: AnalyzeSamples {
                table: ports.table,
                blobs: ports.blobs,
                queue: ports.queue,
                clock: ports.clock,
                panel: Arc::new(PanelSource::named(BUILTIN_TB)),
                options: analysis::Options::default(),
                work_dir,
                analysis_lease: ANALYSIS_LEASE,
            },
        }
    }

    /// Handles one SQS batch (the template delivers one message at a time: an analysis uses
    /// the whole function).
    pub async fn handle(&self, event: &SqsEvent) -> SqsBatchResponse {
        process_batch(event, QueueName::Analysis, |message| async move {
            let Message::AnalysisRequested(request) = message else {
                // process_batch hands over only this queue's messages.
                return Ok(());
            };
            let outcome = self.samples.handle(&request).await?;
            log(&outcome);
            Ok(())
        })
        .await
        .response()
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
        AnalysisOutcome::Skipped { sample_id, status } => {
            tracing::info!(%sample_id, ?status, "nothing to do");
        }
        AnalysisOutcome::Gone { sample_id } => {
            tracing::info!(%sample_id, "sample deleted: nothing to do");
        }
    }
}
