//! The api function's dataset routes and who may read what.
//!
//! An address may read a sample's datasets (`GET /datasets/{id}`, `/report`, `/proof`,
//! `/download`) when it owns them (`access: "owner"`), or when the sample is linked to its
//! registry record (see [`super::onchain::Link`]) and `marketplace.has-access(record, address)`
//! is true on chain (`access: "purchase"`). Listing and deleting stay the owner's. No access is
//! `404 not_found`, exactly like a missing dataset; a node that is down is `503
//! chain_unavailable` for everyone but the owner, and never access.

use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;

use crate::{
    error::Error,
    keys::{parse_upload_key, quarantine_key, results_prefix, upload_key},
    lifecycle::Status,
    model::{Dataset, DatasetView, Lease, LeaseKind, Proof, Sample, SampleSummary, UploadKind},
    ports::{BlobError, BlobStore, Table},
};

use super::{
    analyze::REPORT_FILE,
    anchor::PROOF_FILE,
    onchain::{ChainReads, Link},
    owned_dataset,
};

/// The most datasets per `GET /datasets` page.
pub const MAX_PAGE: usize = 100;

/// How long the download URLs of `GET /datasets/{id}/report` work.
pub const DOWNLOAD_URL_LIFETIME: time::Duration = time::Duration::minutes(15);

/// How long after a delete the sweeper removes the dataset's objects once more: past the longest
/// run of the work that was in flight (Lambda's 15 minutes, plus the lease margin), so results
/// a crashed analyser left behind are removed too. Objects that arrive later still (a single
/// PUT URL lives an hour from the upload request) are removed by the validator, which finds the
/// deletion's lease, until the upload URL has expired.
pub const PURGE_AFTER: time::Duration = time::Duration::minutes(20);

/// Why the caller may read a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// The caller uploaded it.
    Owner,
    /// `marketplace.has-access` is true for the caller on the sample's registry record.
    Purchase,
}

/// Where a sample stands on chain, as `GET /datasets/{id}` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainState {
    /// No registry record has the sample's `inputs_hash`.
    Unregistered,
    /// The record of its `inputs_hash` belongs to its owner.
    Registered,
    /// The record of its `inputs_hash` belongs to someone else: it grants nothing.
    Conflict,
}

/// A sample's active listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ListingState {
    /// The listing.
    pub listing_id: u64,
    /// Micro-STX.
    pub price: u64,
    /// Open for purchase.
    pub active: bool,
}

/// The `chain` block of `GET /datasets/{id}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ChainView {
    /// The registry record of the sample's `inputs_hash` (the other owner's for a conflict).
    pub dataset_id: Option<u64>,
    /// Registered, conflict or neither.
    pub state: ChainState,
    /// The record's active listing (registered samples only).
    pub listing: Option<ListingState>,
    /// `registry.get-result(record, report_sha256)` exists.
    pub result_recorded: bool,
}

/// The `GET /datasets/{id}` body: the dataset, why the caller may read it, and its sample on
/// chain (`null` with no node configured, or with `chain_error` when the node did not answer).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetDetail {
    /// The dataset and its sample's progress.
    #[serde(flatten)]
    pub dataset: DatasetView,
    /// `owner` or `purchase`.
    pub access: Access,
    /// The sample on chain.
    pub chain: Option<ChainView>,
    /// Why `chain` is `null` although a node is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_error: Option<String>,
}

/// The `GET /datasets/{id}/proof` body: the proof and why the caller may read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProofView {
    /// `results/{id}/proof.json`.
    #[serde(flatten)]
    pub proof: Proof,
    /// `owner` or `purchase`.
    pub access: Access,
}

/// The `GET /datasets/{id}/download` body: a short-lived link to the stored file itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DownloadView {
    /// The dataset.
    pub dataset_id: String,
    /// Its file name.
    pub filename: String,
    /// A presigned GET of the uploaded object.
    pub url: String,
    /// When the URL stops working, unix seconds.
    pub expires: i64,
    /// `owner` or `purchase`.
    pub access: Access,
}

/// The `GET /datasets/{id}/report` body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportView {
    /// The dataset asked for.
    pub dataset_id: String,
    /// Its sample, which the report is of.
    pub sample_id: String,
    /// SHA-256 of the `report.json` bytes (what is anchored), hex.
    pub report_sha256: String,
    /// The `report.json` document.
    pub report: serde_json::Value,
    /// Download links for the artifacts under `results/{dataset_id}/`.
    pub artifacts: Vec<Artifact>,
    /// `owner` or `purchase`.
    pub access: Access,
    /// When the report was written, RFC 3339 (`report.json` carries no date, so that the same
    /// inputs give the same bytes); absent for samples analysed before it was kept.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub report_date: Option<OffsetDateTime>,
}

/// A short-lived download link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// The file name (`report.json`, `variants.vcf`).
    pub name: String,
    /// A presigned GET.
    pub url: String,
    /// When the URL stops working, unix seconds.
    pub expires: i64,
}

/// The `GET /datasets` body: the caller's datasets, newest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetList {
    /// This page.
    pub datasets: Vec<DatasetView>,
    /// Pass as `?cursor=` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The `DELETE /datasets/{id}` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deleted {
    /// The dataset.
    pub dataset_id: String,
    /// The object keys removed.
    pub removed: Vec<String>,
}

/// A dataset the caller may read.
struct Readable {
    dataset: Dataset,
    sample: Option<Sample>,
    access: Access,
}

/// The dataset routes.
pub struct Datasets {
    /// Dataset records.
    pub table: Arc<dyn Table>,
    /// The stored objects.
    pub blobs: Arc<dyn BlobStore>,
    /// The contracts, when a node is configured: the `chain` block and purchases. `None`:
    /// owners only, and `chain: null`.
    pub chain: Option<Arc<ChainReads>>,
}

impl Datasets {
    /// The dataset if `caller` may read it: its owner, or an address `marketplace.has-access`
    /// names for the sample's linked registry record.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or not readable; [`Error::ChainUnavailable`] /
    /// [`Error::ChainRead`] when a non-owner's access cannot be read (never access).
    async fn readable(&self, caller: &str, dataset_id: &str) -> Result<Readable, Error> {
        let not_found = || Error::NotFound {
            what: "dataset",
            id: dataset_id.to_owned(),
        };
        let dataset = self
            .table
            .get_dataset(dataset_id)
            .await?
            .ok_or_else(not_found)?;
        let sample = self.table.get_sample(&dataset.sample_id).await?;
        if dataset.owner == caller {
            return Ok(Readable {
                dataset,
                sample,
                access: Access::Owner,
            });
        }
        let (Some(chain), Some(sample)) = (&self.chain, sample) else {
            return Err(not_found());
        };
        if sample.owner != dataset.owner {
            return Err(not_found());
        }
        let Link::Registered { dataset_id: record } =
            chain.link(self.table.as_ref(), &sample, true).await?
        else {
            return Err(not_found());
        };
        if !chain.has_access(record, caller).await? {
            return Err(not_found());
        }
        Ok(Readable {
            dataset,
            sample: Some(sample),
            access: Access::Purchase,
        })
    }

    /// `GET /datasets/{id}`: the dataset with its sample's progress, the caller's access, and
    /// the sample on chain. For the owner a node that does not answer is `chain: null` with
    /// `chain_error`, not an error.
    ///
    /// # Errors
    /// As [`Datasets::report`], without `not_analyzed`.
    pub async fn get(&self, caller: &str, dataset_id: &str) -> Result<DatasetDetail, Error> {
        let Readable {
            dataset,
            sample,
            access,
        } = self.readable(caller, dataset_id).await?;
        let (chain, chain_error) = match (&self.chain, &sample) {
            (Some(reads), Some(sample)) => match self.chain_view(reads, sample).await {
                Ok(view) => (Some(view), None),
                Err(error) => (None, Some(error.to_string())),
            },
            _ => (None, None),
        };
        let siblings = match &sample {
            Some(sample) => super::datasets_of(self.table.as_ref(), sample).await?,
            None => Vec::new(),
        };
        Ok(DatasetDetail {
            dataset: DatasetView {
                sample: sample.as_ref().map(SampleSummary::from),
                ..DatasetView::of_sample(&dataset, sample.as_ref(), &siblings)
            },
            access,
            chain,
            chain_error,
        })
    }

    /// The `chain` block of `sample`.
    async fn chain_view(&self, reads: &ChainReads, sample: &Sample) -> Result<ChainView, Error> {
        let unlinked = |dataset_id, state| ChainView {
            dataset_id,
            state,
            listing: None,
            result_recorded: false,
        };
        let dataset_id = match reads.link(self.table.as_ref(), sample, false).await? {
            Link::Unregistered => return Ok(unlinked(None, ChainState::Unregistered)),
            Link::Conflict { dataset_id } => {
                return Ok(unlinked(Some(dataset_id), ChainState::Conflict));
            }
            Link::Registered { dataset_id } => dataset_id,
        };
        let listing = match reads.active_listing(dataset_id).await? {
            Some(listing_id) => reads.listing(listing_id).await?.map(|l| ListingState {
                listing_id,
                price: l.price,
                active: l.active,
            }),
            None => None,
        };
        let report_sha256 = sample
            .analysis
            .as_ref()
            .and_then(|analysis| hex::decode(&analysis.report_sha256).ok());
        let result_recorded = match report_sha256 {
            Some(hash) => reads.result_recorded(dataset_id, &hash).await?,
            None => false,
        };
        Ok(ChainView {
            dataset_id: Some(dataset_id),
            state: ChainState::Registered,
            listing,
            result_recorded,
        })
    }

    /// `GET /datasets/{id}/download`: a link to the uploaded file that works until `now +`
    /// [`DOWNLOAD_URL_LIFETIME`], for the owner or a buyer.
    ///
    /// # Errors
    /// As [`Datasets::report`]; [`Error::Conflict`] (`not_uploaded`) before the file arrived.
    pub async fn download(
        &self,
        caller: &str,
        dataset_id: &str,
        now: OffsetDateTime,
    ) -> Result<DownloadView, Error> {
        let Readable {
            dataset, access, ..
        } = self.readable(caller, dataset_id).await?;
        if dataset.status == Status::Pending {
            return Err(Error::Conflict {
                code: "not_uploaded",
                message: format!(
                    "dataset {dataset_id} is pending: its file can be downloaded once it is uploaded"
                ),
            });
        }
        let expires = now + DOWNLOAD_URL_LIFETIME;
        Ok(DownloadView {
            url: self.blobs.presign_get(&dataset.key, expires).await?,
            dataset_id: dataset.dataset_id,
            filename: dataset.filename,
            expires: expires.unix_timestamp(),
            access,
        })
    }

    /// `GET /datasets/{id}/report`: the sample's report, once analysed, with download links that
    /// work until `now +` [`DOWNLOAD_URL_LIFETIME`].
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or not the caller's to read; [`Error::Conflict`]
    /// (`not_analyzed`) before the analysis is done; [`Error::ChainUnavailable`] when a
    /// non-owner's access cannot be read; port failures.
    pub async fn report(
        &self,
        caller: &str,
        dataset_id: &str,
        now: OffsetDateTime,
    ) -> Result<ReportView, Error> {
        let Readable {
            dataset,
            sample,
            access,
        } = self.readable(caller, dataset_id).await?;
        let analysis = sample.and_then(|sample| sample.analysis);
        let Some(analysis) = analysis else {
            return Err(Error::Conflict {
                code: "not_analyzed",
                message: format!(
                    "dataset {dataset_id} is {}; its report exists once the sample is analyzed",
                    dataset.status
                ),
            });
        };
        let prefix = results_prefix(dataset_id);
        let bytes = self
            .blobs
            .read_range(&format!("{prefix}{REPORT_FILE}"), 0..u64::MAX)
            .await?;
        let report = serde_json::from_slice(&bytes).map_err(|error| Error::Conflict {
            code: "report_unreadable",
            message: format!("the stored report of dataset {dataset_id} is not JSON: {error}"),
        })?;
        let expires = now + DOWNLOAD_URL_LIFETIME;
        let mut artifacts = Vec::with_capacity(analysis.artifacts.len());
        for name in &analysis.artifacts {
            artifacts.push(Artifact {
                url: self
                    .blobs
                    .presign_get(&format!("{prefix}{name}"), expires)
                    .await?,
                name: name.clone(),
                expires: expires.unix_timestamp(),
            });
        }
        Ok(ReportView {
            dataset_id: dataset_id.to_owned(),
            sample_id: dataset.sample_id,
            report_sha256: analysis.report_sha256,
            report,
            artifacts,
            access,
            report_date: analysis.analyzed_at,
        })
    }

    /// `GET /datasets/{id}/proof`: the sample's anchoring proof, `results/{id}/proof.json` as
    /// the anchor function last wrote it, once the sample is in a batch.
    ///
    /// # Errors
    /// As [`Datasets::report`]; [`Error::Conflict`] (`not_anchored`) before the sample is
    /// batched.
    pub async fn proof(&self, caller: &str, dataset_id: &str) -> Result<ProofView, Error> {
        let Readable {
            dataset, access, ..
        } = self.readable(caller, dataset_id).await?;
        let key = format!("{}{PROOF_FILE}", results_prefix(dataset_id));
        let bytes = match self.blobs.read_range(&key, 0..u64::MAX).await {
            Ok(bytes) => bytes,
            Err(BlobError::NotFound { .. }) => {
                return Err(Error::Conflict {
                    code: "not_anchored",
                    message: format!(
                        "dataset {dataset_id} is {}; its proof exists once the sample is in an anchoring batch",
                        dataset.status
                    ),
                });
            }
            Err(other) => return Err(other.into()),
        };
        let proof = serde_json::from_slice(&bytes).map_err(|error| Error::Conflict {
            code: "proof_unreadable",
            message: format!("the stored proof of dataset {dataset_id} is not a proof: {error}"),
        })?;
        Ok(ProofView { proof, access })
    }

    /// `GET /datasets`: up to `limit` (at most [`MAX_PAGE`]) of the owner's datasets, newest
    /// first, after `cursor`.
    ///
    /// # Errors
    /// Table failures.
    pub async fn list(
        &self,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<DatasetList, Error> {
        let page = self
            .table
            .list_datasets(owner, limit.clamp(1, MAX_PAGE), cursor)
            .await?;
        // Each row says where its whole sample is: the sample and its files, read once per
        // sample of the page.
        let mut samples: Vec<(String, Option<Sample>, Vec<Dataset>)> = Vec::new();
        let mut datasets = Vec::with_capacity(page.datasets.len());
        for dataset in &page.datasets {
            if !samples.iter().any(|(id, _, _)| *id == dataset.sample_id) {
                let sample = self.table.get_sample(&dataset.sample_id).await?;
                let siblings = match &sample {
                    Some(sample) => super::datasets_of(self.table.as_ref(), sample).await?,
                    None => Vec::new(),
                };
                samples.push((dataset.sample_id.clone(), sample, siblings));
            }
            let (_, sample, siblings) = samples
                .iter()
                .find(|(id, _, _)| *id == dataset.sample_id)
                .ok_or_else(|| Error::NotFound {
                    what: "sample",
                    id: dataset.sample_id.clone(),
                })?;
            datasets.push(DatasetView::of_sample(dataset, sample.as_ref(), siblings));
        }
        Ok(DatasetList {
            datasets,
            next: page.next,
        })
    }

    /// `DELETE /datasets/{id}`: removes every object of the dataset (the upload, an unfinished
    /// multipart upload, quarantined copies, everything under `results/{id}/`) and its record,
    /// and its sample's record once no dataset of the sample remains. What was anchored on chain
    /// stays.
    ///
    /// The record goes first, so work in flight finds the dataset gone at its next conditional
    /// write and writes nothing more (analysis and anchoring check before writing and remove
    /// what they wrote while the delete ran). A deletion lease makes the sweeper remove the
    /// objects once more after [`PURGE_AFTER`] (a crash mid-way, late results) and the validator
    /// remove uploads that arrive through a URL issued before the delete.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or someone else's; port failures (once the deletion lease
    /// is written, the sweeper finishes the job whatever fails after it).
    pub async fn delete(
        &self,
        owner: &str,
        dataset_id: &str,
        now: OffsetDateTime,
    ) -> Result<Deleted, Error> {
        let dataset = owned_dataset(self.table.as_ref(), owner, dataset_id).await?;
        let late_uploads = dataset.created_at + super::upload::UploadLimits::default().put_url_ttl;
        let until = (now + PURGE_AFTER).max(late_uploads);
        self.table
            .put_lease(&Lease {
                key: Some(dataset.key.clone()),
                ..Lease::new(LeaseKind::Deletion, dataset_id, until, now)
            })
            .await?;
        if let (UploadKind::Multipart { upload_id, .. }, Status::Pending) =
            (&dataset.upload, dataset.status)
        {
            self.blobs.abort_multipart(&dataset.key, upload_id).await?;
        }
        self.table.delete_dataset(dataset_id).await?;
        self.table
            .delete_lease(LeaseKind::Validation, dataset_id)
            .await?;
        let removed = purge_objects(self.blobs.as_ref(), dataset_id, &dataset.key).await?;
        if let Some(sample) = self.table.get_sample(&dataset.sample_id).await? {
            let mut remaining = false;
            for id in &sample.dataset_ids {
                remaining |= self.table.get_dataset(id).await?.is_some();
            }
            if !remaining {
                self.table.delete_sample(&sample.sample_id).await?;
                for kind in [LeaseKind::Analysis, LeaseKind::Anchoring] {
                    self.table.delete_lease(kind, &sample.sample_id).await?;
                }
            }
        }
        tracing::info!(%owner, %dataset_id, objects = removed.len(), "dataset deleted");
        Ok(Deleted {
            dataset_id: dataset_id.to_owned(),
            removed,
        })
    }
}

/// Removes every object of the dataset `dataset_id` whose upload key is `key`: everything under
/// its upload folder `uploads/{owner}/{dataset_id}/` (the upload, and any other name put there),
/// the quarantined copies of that folder, and `results/{dataset_id}/`. Answers the keys removed.
pub(crate) async fn purge_objects(
    blobs: &dyn BlobStore,
    dataset_id: &str,
    key: &str,
) -> Result<Vec<String>, Error> {
    let folder = match parse_upload_key(key) {
        Some(parsed) => upload_key(parsed.owner, parsed.dataset_id, ""),
        None => key.to_owned(),
    };
    let mut removed = Vec::new();
    for prefix in [
        folder.clone(),
        quarantine_key(&folder),
        results_prefix(dataset_id),
    ] {
        for object in blobs.list(&prefix).await? {
            blobs.delete(&object).await?;
            removed.push(object);
        }
    }
    Ok(removed)
}
