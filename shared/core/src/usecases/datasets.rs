//! The api function's dataset routes. An owner sees and deletes only their own datasets.

use std::sync::Arc;

use serde::Serialize;

use crate::{
    error::Error,
    keys::results_prefix,
    lifecycle::Status,
    model::{DatasetView, SampleSummary, UploadKind},
    ports::{BlobStore, Table},
};

use super::owned_dataset;

/// The most datasets per `GET /datasets` page.
pub const MAX_PAGE: usize = 100;

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
