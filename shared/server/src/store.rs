//! The file blob store, emitting object-created events as S3 does: into the durable validation
//! queue, so that an upload stored just before a crash is still validated after the restart.

use std::{io::Read, ops::Range};

use async_trait::async_trait;
use genoflow_core::{
    keys::encode_event_key,
    ports::{
        BlobError, BlobStore, CompletedPart, MultipartUpload, ObjectIntegrity, ObjectStored,
        PartPlan, PresignedPut, Queue,
    },
};
use genoflow_local::{FileBlobStore, LocalQueue};
use time::OffsetDateTime;

/// [`FileBlobStore`] plus its event source.
#[derive(Clone)]
pub struct NotifyingStore {
    /// The store (its `accept_*` methods serve the presigned URLs).
    pub files: FileBlobStore,
    queue: LocalQueue,
}

impl NotifyingStore {
    /// Emits events for `files` into `queue`.
    pub fn new(files: FileBlobStore, queue: LocalQueue) -> Self {
        Self { files, queue }
    }

    /// Queues the object-created event of `key` (after a presigned PUT or a completed
    /// multipart upload).
    ///
    /// # Errors
    /// [`BlobError::Unavailable`] when the queue cannot be written.
    pub async fn object_created(&self, key: &str) -> Result<(), BlobError> {
        let event = ObjectStored {
            key: encode_event_key(key),
        };
        self.queue
            .send(&event.into())
            .await
            .map_err(|e| BlobError::Unavailable {
                operation: "notify",
                key: key.to_owned(),
                message: e.to_string(),
            })
    }
}

#[async_trait]
impl BlobStore for NotifyingStore {
    async fn open_read(&self, key: &str) -> Result<Box<dyn Read + Send>, BlobError> {
        self.files.open_read(key).await
    }

    async fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, BlobError> {
        self.files.read_range(key, range).await
    }

    // Objects the functions write themselves (results, quarantine copies) emit nothing: the
    // S3 trigger listens to `uploads/` only.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.files.put(key, bytes).await
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), BlobError> {
        self.files.copy(from, to).await
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.files.delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        self.files.list(prefix).await
    }

    async fn presign_put(
        &self,
        key: &str,
        integrity: ObjectIntegrity,
        expires: OffsetDateTime,
    ) -> Result<PresignedPut, BlobError> {
        self.files.presign_put(key, integrity, expires).await
    }

    async fn presign_get(&self, key: &str, expires: OffsetDateTime) -> Result<String, BlobError> {
        self.files.presign_get(key, expires).await
    }

    async fn start_multipart(
        &self,
        key: &str,
        part_count: u32,
        expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        self.files.start_multipart(key, part_count, expires).await
    }

    async fn start_planned_multipart(
        &self,
        key: &str,
        plan: PartPlan,
        expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        self.files.start_planned_multipart(key, plan, expires).await
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), BlobError> {
        self.files.complete_multipart(key, upload_id, parts).await?;
        self.object_created(key).await
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), BlobError> {
        self.files.abort_multipart(key, upload_id).await
    }
}
