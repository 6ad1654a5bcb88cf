use std::{collections::BTreeMap, io::Read, ops::Range};

use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What a presigned PUT binds into its signature: the store refuses any other body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectIntegrity {
    /// Exact length in bytes (`content-length`).
    pub size: u64,
    /// SHA-256 of the body (`x-amz-checksum-sha256`, base64).
    pub sha256: [u8; 32],
}

impl ObjectIntegrity {
    /// The headers a client must send with the PUT: `content-length` and
    /// `x-amz-checksum-sha256` (base64 of the 32 bytes).
    ///
    /// ```
    /// use genoflow_core::ports::ObjectIntegrity;
    /// let headers = ObjectIntegrity { size: 3, sha256: [0; 32] }.put_headers();
    /// assert_eq!(headers["content-length"], "3");
    /// assert_eq!(headers["x-amz-checksum-sha256"], "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    /// ```
    pub fn put_headers(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("content-length".to_owned(), self.size.to_string()),
            (
                "x-amz-checksum-sha256".to_owned(),
                STANDARD.encode(self.sha256),
            ),
        ])
    }
}

/// A presigned single PUT: the `upload` object of `POST /uploads` for files up to the
/// single-part limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresignedPut {
    /// Always `"PUT"`.
    pub method: String,
    /// The signed URL.
    pub url: String,
    /// Exactly the headers the client must send.
    pub headers: BTreeMap<String, String>,
    /// When the URL stops working, unix seconds.
    pub expires: i64,
}

/// One part URL of a multipart upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartUrl {
    /// 1-based part number.
    pub number: u32,
    /// The signed URL for `PUT`ting that part.
    pub url: String,
}

/// A started multipart upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultipartUpload {
    /// The store's upload id.
    pub upload_id: String,
    /// One URL per part, numbers 1..=n.
    pub parts: Vec<PartUrl>,
}

/// How a multipart upload cuts its object: every part `part_size` bytes but the last, which
/// holds the rest of `size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartPlan {
    /// The object's size.
    pub size: u64,
    /// The size of every part but the last.
    pub part_size: u64,
    /// How many parts.
    pub part_count: u32,
}

impl PartPlan {
    /// The size of part `number` (1-based); `None` outside `1..=part_count`.
    ///
    /// ```
    /// use genoflow_core::ports::PartPlan;
    /// let plan = PartPlan { size: 10, part_size: 4, part_count: 3 };
    /// assert_eq!((plan.part_bytes(1), plan.part_bytes(3), plan.part_bytes(4)), (Some(4), Some(2), None));
    /// ```
    pub fn part_bytes(&self, number: u32) -> Option<u64> {
        if number == 0 || number > self.part_count {
            return None;
        }
        if number < self.part_count {
            return Some(self.part_size);
        }
        Some(
            self.size
                .saturating_sub(self.part_size.saturating_mul(u64::from(number - 1))),
        )
    }
}

/// A part as the client reports it in `POST /uploads/{id}/complete`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedPart {
    /// 1-based part number.
    pub number: u32,
    /// The ETag the store answered the part's PUT with.
    pub etag: String,
}

/// A blob store failure.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No object under this key.
    #[error("no object at {key}")]
    NotFound {
        /// The key.
        key: String,
    },
    /// The store refused the request as made (a bad range, a part list that does not match the
    /// upload, a body that does not match a presigned PUT). Not worth retrying.
    #[error("the object store refused {operation} on {key}: {reason}")]
    Rejected {
        /// What was asked.
        operation: &'static str,
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// The store could not be reached or failed; retrying may work.
    #[error("object store {operation} on {key} failed: {message}")]
    Unavailable {
        /// What was asked.
        operation: &'static str,
        /// The key or prefix.
        key: String,
        /// The store's message.
        message: String,
    },
}

/// Object storage (S3 on AWS, a directory when embedded).
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Opens the object as a blocking reader for the streaming validator (run it in
    /// `spawn_blocking`). Adapters stream: bounded memory whatever the object size.
    async fn open_read(&self, key: &str) -> Result<Box<dyn Read + Send>, BlobError>;

    /// Reads `range` (end exclusive, clamped to the object's size).
    async fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, BlobError>;

    /// Writes (or replaces) an object.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError>;

    /// Copies an object to another key.
    async fn copy(&self, from: &str, to: &str) -> Result<(), BlobError>;

    /// Deletes an object; deleting a missing object succeeds.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;

    /// The keys under `prefix`, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError>;

    /// A URL for one PUT of exactly `integrity.size` bytes hashing to `integrity.sha256`,
    /// valid until `expires`.
    async fn presign_put(
        &self,
        key: &str,
        integrity: ObjectIntegrity,
        expires: OffsetDateTime,
    ) -> Result<PresignedPut, BlobError>;

    /// A URL for one GET of the object, valid until `expires` (a download link for the
    /// browser).
    async fn presign_get(&self, key: &str, expires: OffsetDateTime) -> Result<String, BlobError>;

    /// Starts a multipart upload of `part_count` parts and signs one PUT URL per part.
    async fn start_multipart(
        &self,
        key: &str,
        part_count: u32,
        expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError>;

    /// Starts a multipart upload cut as `plan` says. A store that can hold each part to its
    /// size does (the embedded store refuses a part of any other length); by default the part
    /// URLs are those of [`BlobStore::start_multipart`], bounded by the store's own part limit.
    async fn start_planned_multipart(
        &self,
        key: &str,
        plan: PartPlan,
        expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        self.start_multipart(key, plan.part_count, expires).await
    }

    /// Assembles the parts, in number order, into the object (which emits object-created).
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), BlobError>;

    /// Abandons a multipart upload and its parts; aborting an unknown upload succeeds.
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), BlobError>;
}
