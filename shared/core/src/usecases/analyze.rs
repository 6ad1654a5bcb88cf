//! The analyze function: a sample's files are all valid; analyse them once.
//!
//! The files are streamed from the blob store into the pipeline (no copy to a work directory:
//! every input format is read front to back, a pair one file after the other), so the function
//! needs no ephemeral storage for its inputs.
//!
//! A dataset deleted while its sample is analysed stops the analysis from writing: the datasets
//! are checked before the results are written, and results written while a delete ran are
//! removed again when the conditional writes that follow find a dataset gone.

use std::{
    io::{self, Read},
    path::Path,
    sync::{Arc, Mutex, OnceLock, PoisonError},
};

use genoflow_genomics::analysis::{self, Input, Panel, Report, SampleInfo};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{
    error::Error,
    keys::results_prefix,
    lifecycle::{SampleStatus, Status},
    model::{AnalysisRecord, Dataset, LeaseKind, Problem, Sample, SampleError, SampleResult},
    ports::{AnalysisRequested, AnchorRequested, BlobStore, Clock, Message, Queue, Table},
};

use super::{Attempt, hold_lease, release_lease, transition_dataset, transition_sample};

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
    /// Another analyser holds a live claim (until `until`): nothing done. On a queue this is a
    /// retry later (a batch item failure), never a success: if the holder died, the retry after
    /// the lease (or the sweeper) takes the sample over.
    InProgress {
        /// The sample.
        sample_id: String,
        /// When the claim's lease ends.
        until: OffsetDateTime,
    },
    /// The sample is past analysis or failed, or another analyser took the claim over: nothing
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
    /// How long an analysis claim holds before a redelivered message (or the sweeper) takes it
    /// over: the analyze function's timeout plus a margin
    /// ([`super::object_created::LEASE_MARGIN`]), so a live analyser is never taken over.
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

/// Why an analysis attempt stopped before deciding the sample.
enum Interrupted {
    /// Storage or the table failed: the claim is handed back and the redelivery retries.
    Retry(Error),
    /// The pipeline refused the input: the sample fails.
    Refused(SampleError),
    /// A dataset of the sample was deleted meanwhile: nothing is written.
    Deleted,
}

/// The first failure of the blob store seen while the pipeline streamed its inputs: an I/O error
/// the pipeline reports is a storage outage (retried) when this is set, the input's fault
/// otherwise.
#[derive(Clone, Default)]
struct StoreFailure(Arc<Mutex<Option<String>>>);

impl StoreFailure {
    fn record(&self, error: &dyn std::fmt::Display) {
        let mut first = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if first.is_none() {
            *first = Some(error.to_string());
        }
    }

    fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// A blob's bytes as the pipeline reads them, recording the store's failures.
struct Watched {
    inner: Box<dyn Read + Send>,
    failure: StoreFailure,
}

impl Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .read(buf)
            .inspect_err(|error| self.failure.record(error))
    }
}

impl AnalyzeSamples {
    /// Handles one analysis request: claims the sample (`analysis_requested → analyzing`,
    /// conditional; a live claim of another analyser is [`AnalysisOutcome::InProgress`]),
    /// streams its files through the pipeline, writes `report.json` and `variants.vcf` under
    /// each dataset's `results/{dataset_id}/`, records the hashes (`analyzed`) and sends one
    /// anchor request.
    ///
    /// # Errors
    /// Storage, table and queue failures; the claim is handed back first, so the redelivered
    /// message analyses again. A refused input is not an error: the sample becomes `failed`.
    pub async fn handle(&self, request: &AnalysisRequested) -> Result<AnalysisOutcome, Error> {
        self.handle_attempt(request, Attempt::RETRIED).await
    }

    /// [`AnalyzeSamples::handle`] on a queue delivery: on the last one, an analysis that cannot
    /// run (storage or table outage) fails the sample with the reason instead of handing the
    /// claim back for a retry that will not come.
    ///
    /// # Errors
    /// As [`AnalyzeSamples::handle`].
    pub async fn handle_attempt(
        &self,
        request: &AnalysisRequested,
        attempt: Attempt,
    ) -> Result<AnalysisOutcome, Error> {
        let sample_id = request.sample_id.clone();
        let Some(sample) = self.table.get_sample(&sample_id).await? else {
            return Ok(AnalysisOutcome::Gone { sample_id });
        };
        let now = self.clock.now();
        match sample.status {
            SampleStatus::AnalysisRequested => {}
            SampleStatus::Analyzing => {
                let until = sample.updated_at + self.analysis_lease;
                if now < until {
                    return Ok(AnalysisOutcome::InProgress { sample_id, until });
                }
                tracing::warn!(%sample_id, claimed_at = %sample.updated_at, "taking over an analysis claim older than the lease");
            }
            SampleStatus::Analyzed => return self.resend_anchor_request(&sample).await,
            status => return Ok(AnalysisOutcome::Skipped { sample_id, status }),
        }
        let table = self.table.as_ref();
        let until = now + self.analysis_lease;
        hold_lease(table, LeaseKind::Analysis, &sample_id, until, now).await?;
        let Some(claimed) =
            transition_sample(table, &sample, SampleStatus::Analyzing, now, |_| {}).await?
        else {
            return Ok(AnalysisOutcome::InProgress { sample_id, until });
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
                    return Ok(AnalysisOutcome::InProgress { sample_id, until });
                };
                moved
            } else {
                dataset
            };
            datasets.push(dataset);
        }

        match self.analyse(&claimed, &datasets).await {
            Ok(record) => self.finish(&claimed, &datasets, record).await,
            Err(Interrupted::Refused(error)) => self.fail(&claimed, &datasets, error).await,
            Err(Interrupted::Deleted) => self.abandon(&claimed, &datasets).await,
            Err(Interrupted::Retry(error)) if attempt.is_last() => {
                tracing::error!(%sample_id, %error, receive_count = attempt.receive_count, "the analysis could not run on its last delivery; the sample fails");
                self.give_up(&claimed, &datasets).await
            }
            Err(Interrupted::Retry(error)) => {
                self.hand_back(&claimed, &datasets).await?;
                Err(error)
            }
        }
    }

    /// Streams the files through the pipeline and writes the artifacts, unless a dataset was
    /// deleted meanwhile.
    async fn analyse(
        &self,
        sample: &Sample,
        datasets: &[Dataset],
    ) -> Result<AnalysisRecord, Interrupted> {
        let retry = |error: Error| Interrupted::Retry(error);
        let local = |message: String| {
            Interrupted::Retry(Error::Analysis {
                sample_id: sample.sample_id.clone(),
                message,
            })
        };
        let failure = StoreFailure::default();
        let runtime = tokio::runtime::Handle::current();
        let inputs: Vec<Input> = datasets
            .iter()
            .map(|dataset| {
                let (blobs, key, failure) =
                    (self.blobs.clone(), dataset.key.clone(), failure.clone());
                let runtime = runtime.clone();
                // Opened on the pipeline's thread when it reaches the file.
                Input::new(dataset.filename.clone(), move || {
                    match runtime.block_on(blobs.open_read(&key)) {
                        Ok(inner) => {
                            Ok(Box::new(Watched { inner, failure }) as Box<dyn Read + Send>)
                        }
                        Err(error) => {
                            failure.record(&error);
                            Err(io::Error::other(error.to_string()))
                        }
                    }
                })
            })
            .collect();

        let source = self.panel.clone();
        let options = self.options.clone();
        let ran = tokio::task::spawn_blocking(move || {
            // A panel that does not load is ours to fix, not the user's input: retried.
            let panel = source.get().map_err(|error| Err(error.to_string()))?;
            analysis::analyze_inputs(inputs, &panel, &options)
                .map(|report| (report, panel))
                .map_err(Ok)
        })
        .await
        .map_err(|e| local(format!("the analysis task failed: {e}")))?;
        if self.vanished(datasets).await.map_err(retry)? {
            return Err(Interrupted::Deleted);
        }
        let (mut report, panel) = match ran {
            Ok(done) => done,
            Err(Err(panel)) => return Err(local(format!("the panel does not load: {panel}"))),
            Err(Ok(refused)) => {
                return Err(match failure.take() {
                    Some(store) => local(format!("reading the files failed: {store}")),
                    None => Interrupted::Refused(refusal(datasets, &refused)),
                });
            }
        };

        // The sample as its uploader named it: in report.json and the VCF's sample column.
        report.sample = Some(sample_info(sample));
        let report_json = report.to_json().into_bytes();
        let mut variants = Vec::new();
        report
            .write_vcf(&panel, &mut variants)
            .map_err(|e| local(format!("cannot write the VCF: {e}")))?;
        let record = AnalysisRecord {
            result: Some(result_of(&report)),
            analyzed_at: Some(self.clock.now()),
            ..attest(datasets, &report, &report_json)
        };
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

    /// Whether a dataset of the sample is no longer in the table (deleted).
    async fn vanished(&self, datasets: &[Dataset]) -> Result<bool, Error> {
        for dataset in datasets {
            if self.table.get_dataset(&dataset.dataset_id).await?.is_none() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Removes the artifacts this analysis may have written for `datasets`.
    async fn remove_results(&self, datasets: &[Dataset]) -> Result<(), Error> {
        for dataset in datasets {
            let prefix = results_prefix(&dataset.dataset_id);
            for name in [REPORT_FILE, VARIANTS_FILE] {
                self.blobs.delete(&format!("{prefix}{name}")).await?;
            }
        }
        Ok(())
    }

    /// A dataset of the sample was deleted during the analysis: nothing of it is kept. The
    /// artifacts are removed (a delete may have run between their write and now); a sample that
    /// still has a file fails, saying which was deleted.
    async fn abandon(
        &self,
        sample: &Sample,
        datasets: &[Dataset],
    ) -> Result<AnalysisOutcome, Error> {
        self.remove_results(datasets).await?;
        let mut gone = None;
        for dataset in datasets {
            if self.table.get_dataset(&dataset.dataset_id).await?.is_none() {
                gone = Some(dataset);
                break;
            }
        }
        tracing::info!(sample_id = %sample.sample_id, "a file was deleted during the analysis: nothing written");
        if self.table.get_sample(&sample.sample_id).await?.is_none() {
            release_lease(self.table.as_ref(), LeaseKind::Analysis, &sample.sample_id).await;
            return Ok(AnalysisOutcome::Gone {
                sample_id: sample.sample_id.clone(),
            });
        }
        let error = SampleError {
            dataset_id: gone.map(|d| d.dataset_id.clone()).unwrap_or_default(),
            filename: gone.map(|d| d.filename.clone()).unwrap_or_default(),
            error: Problem::new("the file was deleted during the analysis"),
        };
        self.fail(sample, datasets, error).await
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
            if transition_dataset(table, dataset, Status::Analyzed, now, |_| {})
                .await?
                .is_none()
                && self.vanished(std::slice::from_ref(dataset)).await?
            {
                // Deleted while the artifacts were written: late results are removed.
                return self.abandon(sample, datasets).await;
            }
        }
        let stored = record.clone();
        let Some(analyzed) = transition_sample(table, sample, SampleStatus::Analyzed, now, |s| {
            s.analysis = Some(stored);
        })
        .await?
        else {
            if table.get_sample(&sample.sample_id).await?.is_none() {
                return self.abandon(sample, datasets).await;
            }
            return Ok(AnalysisOutcome::Skipped {
                sample_id: sample.sample_id.clone(),
                status: SampleStatus::Analyzing,
            });
        };
        release_lease(table, LeaseKind::Analysis, &sample.sample_id).await;
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

    /// Fails a claimed sample whose analysis cannot run (its last delivery, or the sweeper's
    /// last return): the user reads why without the internals, the log has them.
    pub(crate) async fn give_up(
        &self,
        sample: &Sample,
        datasets: &[Dataset],
    ) -> Result<AnalysisOutcome, Error> {
        let first = datasets.first();
        let error = SampleError {
            dataset_id: first.map(|d| d.dataset_id.clone()).unwrap_or_default(),
            filename: first.map(|d| d.filename.clone()).unwrap_or_default(),
            error: Problem::new(
                "the analysis could not finish (the service timed out, crashed or could not \
                 read the files, on every attempt); upload the sample again, or ask the operator",
            ),
        };
        self.fail(sample, datasets, error).await
    }

    pub(crate) async fn fail(
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
        release_lease(table, LeaseKind::Analysis, &sample.sample_id).await;
        tracing::warn!(sample_id = %sample.sample_id, error = %error.error.message, "analysis failed");
        Ok(AnalysisOutcome::Failed {
            sample_id: sample.sample_id.clone(),
            error,
        })
    }

    /// Returns the claim so the redelivered message analyses again.
    pub(crate) async fn hand_back(
        &self,
        sample: &Sample,
        datasets: &[Dataset],
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let table = self.table.as_ref();
        for dataset in datasets.iter().filter(|d| d.status == Status::Analyzing) {
            transition_dataset(table, dataset, Status::Valid, now, |_| {}).await?;
        }
        transition_sample(table, sample, SampleStatus::AnalysisRequested, now, |_| {}).await?;
        Ok(())
    }
}

/// The attestation hashes of an analysis (docs/ARCHITECTURE.md): `inputs_hash` over the files'
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
        result: None,
        analyzed_at: None,
    }
}

/// The report's `sample`: the name and specimen details given at upload.
fn sample_info(sample: &Sample) -> SampleInfo {
    let specimen = sample.specimen.clone().unwrap_or_default();
    SampleInfo {
        name: sample.sample_name.clone(),
        specimen_id: specimen.specimen_id,
        collection_date: specimen.collection_date,
        submitter: specimen.submitter,
    }
}

/// The report's answer in short, for the sample lists: the class and the drugs resistant and
/// not assessed, in the report's display order (first-line first).
pub fn result_of(report: &Report) -> SampleResult {
    let ordered: Vec<&str> = report
        .drug_groups
        .iter()
        .flat_map(|group| group.drugs.iter().map(String::as_str))
        .collect();
    let with_call = |call: &str| -> Vec<String> {
        ordered
            .iter()
            .filter(|drug| {
                report
                    .resistance
                    .iter()
                    .any(|c| c.drug == **drug && c.call == call)
            })
            .map(|drug| (*drug).to_owned())
            .collect()
    };
    SampleResult {
        classification: report.classification.as_str().to_owned(),
        resistant_drugs: with_call("resistant"),
        not_assessed_drugs: with_call("unknown"),
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
