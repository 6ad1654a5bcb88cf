//! The api function's dataset routes. An owner sees and deletes only their own datasets.

use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;

use crate::{
    error::Error,
    keys::results_prefix,
    lifecycle::Status,
    model::{DatasetView, Proof, SampleSummary, UploadKind},
    ports::{BlobError, BlobStore, Table},
};

use super::{analyze::REPORT_FILE, anchor::PROOF_FILE, owned_dataset};

/// The most datasets per `GET /datasets` page.
pub const MAX_PAGE: usize = 100;

/// How long the download URLs of `GET /datasets/{id}/report` work.
pub const DOWNLOAD_URL_LIFETIME: time::Duration = time::Duration::minutes(15);

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

/// The dataset routes.
pub struct Datasets {
    /// Dataset records.
    pub table: Arc<dyn Table>,
    /// The stored objects.
    pub blobs: Arc<dyn BlobStore>,
}

impl Datasets {
    /// `GET /datasets/{id}`, with its sample's progress.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or someone else's.
    pub async fn get(&self, owner: &str, dataset_id: &str) -> Result<DatasetView, Error> {
        let dataset = owned_dataset(self.table.as_ref(), owner, dataset_id).await?;
        let sample = self.table.get_sample(&dataset.sample_id).await?;
        Ok(DatasetView {
            sample: sample.as_ref().map(SampleSummary::from),
            ..DatasetView::from(&dataset)
        })
    }

    /// `GET /datasets/{id}/report`: the sample's report, once analysed, with download links that
    /// work until `now +` [`DOWNLOAD_URL_LIFETIME`].
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or someone else's; [`Error::Conflict`] (`not_analyzed`)
    /// before the analysis is done; port failures.
    pub async fn report(
        &self,
        owner: &str,
        dataset_id: &str,
        now: OffsetDateTime,
    ) -> Result<ReportView, Error> {
        let dataset = owned_dataset(self.table.as_ref(), owner, dataset_id).await?;
        let analysis = self
            .table
            .get_sample(&dataset.sample_id)
            .await?
            .and_then(|sample| sample.analysis);
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
        })
    }

    /// `GET /datasets/{id}/proof`: the sample's anchoring proof, `results/{id}/proof.json` as
    /// the anchor function last wrote it, once the sample is in a batch.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or someone else's; [`Error::Conflict`] (`not_anchored`)
    /// before the sample is batched.
    pub async fn proof(&self, owner: &str, dataset_id: &str) -> Result<Proof, Error> {
        let dataset = owned_dataset(self.table.as_ref(), owner, dataset_id).await?;
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
        serde_json::from_slice(&bytes).map_err(|error| Error::Conflict {
            code: "proof_unreadable",
            message: format!("the stored proof of dataset {dataset_id} is not a proof: {error}"),
        })
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
        Ok(DatasetList {
            datasets: page.datasets.iter().map(DatasetView::from).collect(),
            next: page.next,
        })
    }

    /// `DELETE /datasets/{id}`: removes the uploaded object, an unfinished multipart upload and
    /// everything under `results/{id}/`, then the record. What was anchored on chain stays.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or someone else's; port failures (a retry finishes the
    /// job: every step tolerates what is already gone).
    pub async fn delete(&self, owner: &str, dataset_id: &str) -> Result<Deleted, Error> {
        let dataset = owned_dataset(self.table.as_ref(), owner, dataset_id).await?;
        if let (UploadKind::Multipart { upload_id, .. }, Status::Pending) =
            (&dataset.upload, dataset.status)
        {
            self.blobs.abort_multipart(&dataset.key, upload_id).await?;
        }
        let mut removed = Vec::new();
        if !self.blobs.list(&dataset.key).await?.is_empty() {
            self.blobs.delete(&dataset.key).await?;
            removed.push(dataset.key.clone());
        }
        for key in self.blobs.list(&results_prefix(dataset_id)).await? {
            self.blobs.delete(&key).await?;
            removed.push(key);
        }
        self.table.delete_dataset(dataset_id).await?;
        tracing::info!(%owner, %dataset_id, objects = removed.len(), "dataset deleted");
        Ok(Deleted {
            dataset_id: dataset_id.to_owned(),
            removed,
        })
    }
}
