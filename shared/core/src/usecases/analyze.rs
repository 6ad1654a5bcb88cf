//! The analyze function: a sample's files are all valid; analyse them once.
//!
//! The files are copied from the blob store into a work directory (Lambda's ephemeral `/tmp`,
//! up to 10 GiB) because the pipeline reads a read pair side by side; the directory is removed
//! afterwards whatever happens.

use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};

use genoflow_genomics::analysis::{self, Panel, Report};
use sha2::{Digest, Sha256};

use crate::{
    error::Error,
    keys::results_prefix,
    lifecycle::{SampleStatus, Status},
    model::{AnalysisRecord, Dataset, Problem, Sample, SampleError},
    ports::{AnalysisRequested, AnchorRequested, BlobStore, Clock, Message, Queue, Table},
};

use super::{transition_dataset, transition_sample};

/// The report's file name under `results/{dataset_id}/`.
pub const REPORT_FILE: &str = "report.json";
/// The called variants' file name under `results/{dataset_id}/`.
pub const VARIANTS_FILE: &str = "variants.vcf";

/// What a message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnalysisOutcome {
    /// This message analysed the sample and sent its anchor request.
    Analyzed {
        /// The sample.
        sample_id: String,
        /// Its attestation hashes.
        record: AnalysisRecord,
    },
    /// The analysis refused the sample's files; the sample and its datasets are `failed`.
    Failed {
        /// The sample.
        sample_id: String,
        /// Which file and why.
        error: SampleError,
    },
    /// Already analysed (a redelivery): the anchor request is sent again, which the anchor
    /// function ignores for an item it already holds, so a crash between the report and the
    /// send loses nothing.
    AlreadyAnalyzed {
        /// The sample.
        sample_id: String,
    },
    /// Another analyser holds a fresh claim, or the sample is past analysis or failed: nothing
    /// to do.
    Skipped {
        /// The sample.
        sample_id: String,
        /// Its status.
        status: SampleStatus,
    },
    /// The sample no longer exists (deleted): nothing to do.
    Gone {
        /// The sample.
        sample_id: String,
    },
}

/// The analyze use case.
pub struct AnalyzeSamples {
    /// Dataset and sample records.
    pub table: Arc<dyn Table>,
    /// The uploads and the results.
    pub blobs: Arc<dyn BlobStore>,
    /// Where anchor requests go.
    pub queue: Arc<dyn Queue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The reference panel and catalogue, loaded by the first analysis that needs it.
    pub panel: Arc<PanelSource>,
    /// Thresholds (they enter the pipeline id) and threads.
    pub options: analysis::Options,
    /// Where the files are copied for the analysis (a directory per sample, removed after).
    pub work_dir: PathBuf,
    /// How long an analysis claim holds before a redelivered message takes it over: at least
    /// the analyze function's timeout.
    pub analysis_lease: time::Duration,
}

/// The panel an analysis runs against, loaded once, by the first analysis that needs it: the
/// built-in catalogue is 3 MB of text (about 40 ms to parse), which a function's init, a
/// duplicate message or a poison one should not pay for.
///
/// ```
/// use genoflow_core::usecases::analyze::PanelSource;
/// let source = PanelSource::named("tb-who-2023");
/// assert_eq!(source.get().unwrap().name, "tb-who-2023");
/// assert!(PanelSource::named("no-such-panel").get().is_err());
/// ```
#[derive(Debug)]
pub struct PanelSource {
    name: String,
    loaded: OnceLock<Arc<Panel>>,
}

impl PanelSource {
    /// A built-in panel name or a panel directory, loaded on first use.
    pub fn named(name_or_dir: impl Into<String>) -> Self {
        Self {
            name: name_or_dir.into(),
            loaded: OnceLock::new(),
        }
    }

    /// A panel already loaded.
    pub fn loaded(panel: Panel) -> Self {
        Self {
            name: panel.name.clone(),
            loaded: OnceLock::from(Arc::new(panel)),
        }
    }

    /// The panel, loading it the first time (blocking: call it off the async threads).
    ///
    /// # Errors
    /// The panel's load error (a broken build or panel directory).
    pub fn get(&self) -> Result<Arc<Panel>, analysis::Error> {
        if let Some(panel) = self.loaded.get() {
            return Ok(panel.clone());
        }
        let panel = Arc::new(Panel::load(&self.name)?);
        Ok(self.loaded.get_or_init(|| panel).clone())
    }
}

/// Why an analysis attempt stopped before deciding the sample; the claim is handed back.
enum Interrupted {
    /// Storage or disk failed: the redelivery retries.
    Retry(Error),
    /// The pipeline refused the input: the sample fails.
    Refused(SampleError),
}

impl AnalyzeSamples {
    /// Handles one analysis request: claims the sample (`analysis_requested → analyzing`,
    /// conditional, so a redelivery does nothing while the claim is fresh), copies its files,
    /// runs the pipeline, writes `report.json` and `variants.vcf` under each dataset's
    /// `results/{dataset_id}/`, records the hashes (`analyzed`) and sends one anchor request.
    ///
    /// # Errors
    /// Storage, table and queue failures; the claim is handed back first, so the redelivered
    /// message analyses again. A refused input is not an error: the sample becomes `failed`.
    pub async fn handle(&self, request: &AnalysisRequested) -> Result<AnalysisOutcome, Error> {
        let sample_id = request.sample_id.clone();
        let Some(sample) = self.table.get_sample(&sample_id).await? else {
            return Ok(AnalysisOutcome::Gone { sample_id });
        };
        let now = self.clock.now();
        let claimable = match sample.status {
            SampleStatus::AnalysisRequested => true,
            SampleStatus::Analyzing => now - sample.updated_at >= self.analysis_lease,
            SampleStatus::Analyzed => return self.resend_anchor_request(&sample).await,
            _ => false,
        };
        if !claimable {
            return Ok(AnalysisOutcome::Skipped {
                sample_id,
                status: sample.status,
            });
        }
        let table = self.table.as_ref();
        let Some(claimed) =
            transition_sample(table, &sample, SampleStatus::Analyzing, now, |_| {}).await?
        else {
            return Ok(AnalysisOutcome::Skipped {
                sample_id,
                status: SampleStatus::Analyzing,
            });
        };
        let mut datasets = Vec::with_capacity(claimed.dataset_ids.len());
        for id in &claimed.dataset_ids {
            let Some(dataset) = table.get_dataset(id).await? else {
                // A file was deleted after validation: the sample cannot be analysed.
                let error = SampleError {
                    dataset_id: id.clone(),
                    filename: String::new(),
                    error: Problem::new("the file was deleted before the analysis"),
                };
                return self.fail(&claimed, &datasets, error).await;
            };
            let dataset = if matches!(dataset.status, Status::Valid | Status::Analyzing) {
                let moved =
                    transition_dataset(table, &dataset, Status::Analyzing, now, |_| {}).await?;
                // Another analyser took the claim over meanwhile: it does the work.
                let Some(moved) = moved else {
                    return Ok(AnalysisOutcome::Skipped {
                        sample_id,
                        status: SampleStatus::Analyzing,
                    });
                };
                moved
            } else {
                dataset
            };
            datasets.push(dataset);
        }

        let dir = self.work_dir.join(&claimed.sample_id);
        let attempt = self.analyse(&claimed, &datasets, &dir).await;
        if let Err(error) = fs::remove_dir_all(&dir)
            && error.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %dir.display(), %error, "could not remove the work directory");
        }
        match attempt {
            Ok(record) => self.finish(&claimed, &datasets, record).await,
            Err(Interrupted::Refused(error)) => self.fail(&claimed, &datasets, error).await,
            Err(Interrupted::Retry(error)) => {
                self.hand_back(&claimed, &datasets).await?;
                Err(error)
            }
        }
    }

    /// Copies the files, runs the pipeline and writes the artifacts.
    async fn analyse(
        &self,
        sample: &Sample,
        datasets: &[Dataset],
        dir: &Path,
    ) -> Result<AnalysisRecord, Interrupted> {
        let retry = |error: Error| Interrupted::Retry(error);
        let local = |error: io::Error, what: &str| {
            Interrupted::Retry(Error::Analysis {
                sample_id: sample.sample_id.clone(),
                message: format!("{what}: {error}"),
            })
        };
        fs::create_dir_all(dir).map_err(|e| local(e, "cannot create the work directory"))?;
        let mut paths = Vec::with_capacity(datasets.len());
        for dataset in datasets {
            let reader = self
                .blobs
                .open_read(&dataset.key)
                .await
                .map_err(|e| retry(e.into()))?;
            let path = dir.join(&dataset.filename);
            let target = path.clone();
            tokio::task::spawn_blocking(move || -> io::Result<u64> {
                let mut file = fs::File::create(&target)?;
                let copied = io::copy(&mut { reader }, &mut file)?;
                file.flush()?;
                Ok(copied)
            })
            .await
            .map_err(|e| local(io::Error::other(e), "the copy task failed"))?
            .map_err(|e| local(e, &format!("cannot copy {}", dataset.key)))?;
            paths.push(path);
        }

        let source = self.panel.clone();
        let options = self.options.clone();
        let (report, panel) = tokio::task::spawn_blocking(move || {
            // A panel that does not load is ours to fix, not the user's input: retried.
            let panel = source.get().map_err(|error| Err(error.to_string()))?;
            analysis::analyze(&paths, &panel, &options)
                .map(|report| (report, panel))
                .map_err(Ok)
        })
        .await
        .map_err(|e| local(io::Error::other(e), "the analysis task failed"))?
        .map_err(|error| match error {
            Ok(refused) => Interrupted::Refused(refusal(datasets, &refused)),
            Err(panel) => local(io::Error::other(panel), "the panel does not load"),
        })?;

        let report_json = report.to_json().into_bytes();
        let mut variants = Vec::new();
        report
            .write_vcf(&panel, &mut variants)
            .map_err(|e| local(e, "cannot write the VCF"))?;
        let record = attest(datasets, &report, &report_json);
        for dataset in datasets {
            let prefix = results_prefix(&dataset.dataset_id);
            self.blobs
                .put(&format!("{prefix}{REPORT_FILE}"), report_json.clone())
                .await
                .map_err(|e| retry(e.into()))?;
            self.blobs
                .put(&format!("{prefix}{VARIANTS_FILE}"), variants.clone())
                .await
                .map_err(|e| retry(e.into()))?;
        }
        Ok(record)
    }

    async fn finish(
        &self,
        sample: &Sample,
        datasets: &[Dataset],
        record: AnalysisRecord,
    ) -> Result<AnalysisOutcome, Error> {
        let now = self.clock.now();
        let table = self.table.as_ref();
        for dataset in datasets.iter().filter(|d| d.status == Status::Analyzing) {
            transition_dataset(table, dataset, Status::Analyzed, now, |_| {}).await?;
        }
        let stored = record.clone();
        let Some(analyzed) = transition_sample(table, sample, SampleStatus::Analyzed, now, |s| {
            s.analysis = Some(stored);
        })
        .await?
        else {
            return Ok(AnalysisOutcome::Skipped {
                sample_id: sample.sample_id.clone(),
                status: SampleStatus::Analyzing,
            });
        };
        self.send_anchor_request(&analyzed, &record).await?;
        tracing::info!(sample_id = %sample.sample_id, item = %record.item, "sample analysed");
        Ok(AnalysisOutcome::Analyzed {
            sample_id: sample.sample_id.clone(),
            record,
        })
    }

    async fn resend_anchor_request(&self, sample: &Sample) -> Result<AnalysisOutcome, Error> {
        if let Some(record) = &sample.analysis {
            self.send_anchor_request(sample, record).await?;
        }
        Ok(AnalysisOutcome::AlreadyAnalyzed {
            sample_id: sample.sample_id.clone(),
        })
    }

    async fn send_anchor_request(
        &self,
        sample: &Sample,
        record: &AnalysisRecord,
    ) -> Result<(), Error> {
        let message = Message::from(AnchorRequested {
            sample_id: sample.sample_id.clone(),
            item: record.item.clone(),
        });
        // A failed send leaves the sample `analyzed`: the redelivered analysis request sends it.
        self.queue.send(&message).await?;
        Ok(())
    }

    async fn fail(
        &self,
        sample: &Sample,
        datasets: &[Dataset],
        error: SampleError,
    ) -> Result<AnalysisOutcome, Error> {
        let now = self.clock.now();
        let table = self.table.as_ref();
        for dataset in datasets.iter().filter(|d| d.status == Status::Analyzing) {
            let problem = if dataset.dataset_id == error.dataset_id {
                error.error.clone()
            } else {
                Problem::new(format!(
                    "the sample failed: {}: {}",
                    error.filename, error.error.message
                ))
            };
            transition_dataset(table, dataset, Status::Failed, now, |d| {
                d.error = Some(problem)
            })
            .await?;
        }
        let recorded = error.clone();
        transition_sample(table, sample, SampleStatus::Failed, now, |s| {
            s.error = Some(recorded);
        })
        .await?;
        tracing::warn!(sample_id = %sample.sample_id, error = %error.error.message, "analysis failed");
        Ok(AnalysisOutcome::Failed {
            sample_id: sample.sample_id.clone(),
            error,
        })
    }

    /// Returns the claim so the redelivered message analyses again.
    async fn hand_back(&self, sample: &Sample, datasets: &[Dataset]) -> Result<(), Error> {
        let now = self.clock.now();
        let table = self.table.as_ref();
        for dataset in datasets.iter().filter(|d| d.status == Status::Analyzing) {
            transition_dataset(table, dataset, Status::Valid, now, |_| {}).await?;
        }
        transition_sample(table, sample, SampleStatus::AnalysisRequested, now, |_| {}).await?;
        Ok(())
    }
}

/// The attestation hashes of an analysis (ARCHITECTURE.md): `inputs_hash` over the files'
/// SHA-256 in upload order, and `item = SHA-256(inputs_hash ‖ report_sha256 ‖ pipeline_id)`.
fn attest(datasets: &[Dataset], report: &Report, report_json: &[u8]) -> AnalysisRecord {
    let mut inputs = Sha256::new();
    for dataset in datasets {
        inputs.update(hex::decode(&dataset.sha256).unwrap_or_default());
    }
    let inputs_hash = inputs.finalize();
    let report_sha256 = Sha256::digest(report_json);
    let pipeline_id = hex::decode(&report.pipeline_id).unwrap_or_default();
    let item = Sha256::new()
        .chain_update(inputs_hash)
        .chain_update(report_sha256)
        .chain_update(&pipeline_id)
        .finalize();
    AnalysisRecord {
        inputs_hash: hex::encode(inputs_hash),
        report_sha256: hex::encode(report_sha256),
        pipeline_id: report.pipeline_id.clone(),
        item: hex::encode(item),
        artifacts: vec![REPORT_FILE.to_owned(), VARIANTS_FILE.to_owned()],
    }
}

/// The pipeline's refusal as the sample's error, on the file it names (the first otherwise).
fn refusal(datasets: &[Dataset], error: &analysis::Error) -> SampleError {
    let path = match error {
        analysis::Error::Io { path, .. }
        | analysis::Error::Fastq { path, .. }
        | analysis::Error::UnsupportedInput { path, .. }
        | analysis::Error::Vcf { path, .. }
        | analysis::Error::Bam { path, .. } => Some(path.as_str()),
        analysis::Error::Panel { .. } | analysis::Error::InputCount(_) => None,
    };
    let culprit = path
        .and_then(|path| {
            datasets
                .iter()
                .find(|d| Path::new(path).file_name() == Some(d.filename.as_ref()))
        })
        .or(datasets.first());
    let message = error.to_string();
    // Paths in the message are the work directory's; the user knows the file by its name.
    let message = match (path, culprit) {
        (Some(path), Some(dataset)) => message.replace(path, &dataset.filename),
        _ => message,
    };
    let problem = match error {
        analysis::Error::Fastq { record, .. } => Problem {
            record: Some(*record),
            ..Problem::new(message)
        },
        analysis::Error::Vcf { line, .. } => Problem::at_line(message, None, *line as u64),
        _ => Problem::new(message),
    };
    SampleError {
        dataset_id: culprit.map(|d| d.dataset_id.clone()).unwrap_or_default(),
        filename: culprit.map(|d| d.filename.clone()).unwrap_or_default(),
        error: problem,
    }
}
