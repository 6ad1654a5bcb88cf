//! [`BlobStore`] on a directory, with presigned URLs served by `genoflow serve` itself.
//!
//! This module holds the store and its key rules; `signing` the URL format and its signatures,
//! `accept` what the server does with a request to a presigned URL, `multipart` the uploads in
//! progress and `files` the atomic writes and directory walks under them.

mod accept;
mod files;
mod multipart;
mod signing;

use std::{
    fs::File,
    io::{self, BufReader, Read, Seek, SeekFrom},
    ops::Range,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use genoflow_core::ports::{
    BlobError, BlobStore, CompletedPart, HmacSecret, MultipartUpload, ObjectIntegrity, PartPlan,
    PresignedPut,
};
use time::OffsetDateTime;

pub use accept::{AcceptError, Accepted, Download, PendingUpload, StoredObject};
use files::{blocking, io_error, unavailable, walk, write_object};
pub use multipart::MAX_PART_BYTES;

/// Objects live under `{data_dir}/blobs/`.
const BLOBS: &str = "blobs";
/// Multipart uploads in progress live under `{data_dir}/multipart/{upload_id}/`.
const MULTIPART: &str = "multipart";
/// Keys are at most S3's length.
const MAX_KEY_BYTES: usize = 1024;
/// Bytes read and written at a time when streaming a body.
const CHUNK: usize = 1 << 16;

/// Objects as files under `{data_dir}/blobs/{key}`.
///
/// Writes go to a temporary file in the target directory, are synced, then renamed into
/// place: a crash never leaves half an object. Presigned URLs point at `genoflow serve`
/// (`{base_url}/blobs/{key}?…&signature=…`); its routes hand the requests to
/// [`FileBlobStore::accept_put`], [`FileBlobStore::accept_get`] and
/// [`FileBlobStore::accept_part`], which check the signature, expiry, headers and body.
///
/// ```
/// use std::collections::BTreeMap;
/// use genoflow_core::ports::{BlobStore, HmacSecret, ObjectIntegrity};
/// use genoflow_local::FileBlobStore;
/// use sha2::{Digest, Sha256};
/// use time::{Duration, OffsetDateTime};
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let data_dir = tempfile::tempdir()?;
/// let secret = HmacSecret::new(vec![7; 32])?;
/// let store = FileBlobStore::open(data_dir.path(), "http://127.0.0.1:8080", secret)?;
/// let now = OffsetDateTime::now_utc();
/// let body = b"@r1\nACGT\n+\nIIII\n";
/// let integrity = ObjectIntegrity { size: body.len() as u64, sha256: Sha256::digest(body).into() };
/// let put = store.presign_put("uploads/SP1/d1/r.fq", integrity, now + Duration::hours(1)).await?;
/// assert!(put.url.starts_with("http://127.0.0.1:8080/blobs/uploads/SP1/d1/r.fq?expires="));
/// let path = put.url.trim_start_matches("http://127.0.0.1:8080");
/// let stored = store.accept_put(path, &put.headers, &body[..], now)?;
/// assert_eq!(stored.key, "uploads/SP1/d1/r.fq");
/// assert_eq!(store.read_range("uploads/SP1/d1/r.fq", 0..3).await?, b"@r1");
/// # Ok::<(), Box<dyn std::error::Error>>(()) })
/// # .map_err(|e| e.to_string())?; Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FileBlobStore {
    data_dir: PathBuf,
    base_url: String,
    secret: HmacSecret,
}

/// A request the store refuses, as [`BlobError::Rejected`].
fn rejected(operation: &'static str, key: &str, reason: impl Into<String>) -> BlobError {
    BlobError::Rejected {
        operation,
        key: key.to_owned(),
        reason: reason.into(),
    }
}

/// Refuses keys that could leave `blobs/` or collide with the store's temporary files: empty,
/// absolute, an empty segment, a segment starting with `.` (so no `.` or `..`), a backslash or
/// a control character.
fn check_key(operation: &'static str, key: &str) -> Result<(), BlobError> {
    let reason = if key.is_empty() || key.len() > MAX_KEY_BYTES {
        Some(format!("a key is 1 to {MAX_KEY_BYTES} bytes"))
    } else if key.split('/').any(|segment| segment.is_empty()) {
        Some("a key is relative and has no empty segment (no leading, trailing or double /)".into())
    } else if key.split('/').any(|segment| segment.starts_with('.')) {
        Some("no key segment may start with '.' (no . or .. either)".into())
    } else if key.chars().any(|c| c == '\\' || c.is_control()) {
        Some("a key has no backslash or control character".into())
    } else {
        None
    };
    reason.map_or(Ok(()), |reason| Err(rejected(operation, key, reason)))
}

impl FileBlobStore {
    /// A store over `{data_dir}/blobs`, signing URLs for the server at `base_url` (e.g.
    /// `http://127.0.0.1:8080`, which serves `/blobs/…` at its root).
    ///
    /// # Errors
    /// [`crate::OpenError`] when the directories cannot be created.
    pub fn open(
        data_dir: &Path,
        base_url: &str,
        secret: HmacSecret,
    ) -> Result<Self, crate::OpenError> {
        for directory in [BLOBS, MULTIPART] {
            let path = data_dir.join(directory);
            crate::private::create_private_dir_all(&path)
                .and_then(|()| crate::private::restrict_dir(&path))
                .map_err(|source| crate::OpenError::Io { path, source })?;
        }
        Ok(Self {
            data_dir: data_dir.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret,
        })
    }

    /// Removes the temporary files a crash mid-write left under `blobs/` (nothing else leaves
    /// one); answers how many. Call it at start-up, before serving.
    ///
    /// # Errors
    /// The first directory that cannot be read or file that cannot be removed.
    pub fn remove_stray_temporaries(&self) -> io::Result<usize> {
        fn walk(directory: &Path, removed: &mut usize) -> io::Result<()> {
            for entry in std::fs::read_dir(directory)? {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    walk(&path, removed)?;
                } else if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                    std::fs::remove_file(&path)?;
                    *removed += 1;
                }
            }
            Ok(())
        }
        let mut removed = 0;
        walk(&self.data_dir.join(BLOBS), &mut removed)?;
        Ok(removed)
    }

    fn object_path(&self, operation: &'static str, key: &str) -> Result<PathBuf, BlobError> {
        check_key(operation, key)?;
        Ok(self.data_dir.join(BLOBS).join(key))
    }
}

#[async_trait]
impl BlobStore for FileBlobStore {
    async fn open_read(&self, key: &str) -> Result<Box<dyn Read + Send>, BlobError> {
        let path = self.object_path("GET", key)?;
        let owned_key = key.to_owned();
        blocking("GET", key, move || {
            let file = File::open(&path).map_err(|e| io_error("GET", &owned_key, &e))?;
            Ok(Box::new(BufReader::with_capacity(CHUNK, file)) as Box<dyn Read + Send>)
        })
        .await
    }

    async fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, BlobError> {
        let path = self.object_path("ranged GET", key)?;
        let key = key.to_owned();
        blocking("ranged GET", &key.clone(), move || {
            let failed = |e: io::Error| io_error("ranged GET", &key, &e);
            let mut file = File::open(&path).map_err(failed)?;
            let size = file.metadata().map_err(failed)?.len();
            if range.start > range.end || range.start >= size {
                return Err(rejected(
                    "ranged GET",
                    &key,
                    format!("range {range:?} outside {size} bytes"),
                ));
            }
            let end = range.end.min(size);
            file.seek(SeekFrom::Start(range.start)).map_err(failed)?;
            let mut bytes = Vec::new();
            file.take(end - range.start)
                .read_to_end(&mut bytes)
                .map_err(failed)?;
            Ok(bytes)
        })
        .await
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        let path = self.object_path("PUT", key)?;
        let key = key.to_owned();
        blocking("PUT", &key.clone(), move || {
            write_object("PUT", &key, &path, &mut bytes.as_slice())
        })
        .await
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), BlobError> {
        let source = self.object_path("copy", from)?;
        let destination = self.object_path("copy", to)?;
        let (from, to) = (from.to_owned(), to.to_owned());
        blocking("copy", &to.clone(), move || {
            let mut file = File::open(&source).map_err(|e| io_error("copy", &from, &e))?;
            write_object("copy", &to, &destination, &mut file)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = self.object_path("DELETE", key)?;
        let key = key.to_owned();
        blocking("DELETE", &key.clone(), move || {
            match std::fs::remove_file(&path) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    Err(unavailable("DELETE", &key, &error))
                }
                _ => Ok(()),
            }
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        // Walk only the deepest directory the prefix names; its last, partial segment filters.
        let directory = prefix
            .rsplit_once('/')
            .map_or("", |(directory, _)| directory);
        if !directory.is_empty() {
            check_key("list", directory)?;
        }
        let root = self.data_dir.join(BLOBS).join(directory);
        let (start, prefix) = (
            if directory.is_empty() {
                String::new()
            } else {
                format!("{directory}/")
            },
            prefix.to_owned(),
        );
        blocking("list", &prefix.clone(), move || {
            let mut keys = Vec::new();
            walk(&root, &start, &mut keys).map_err(|e| unavailable("list", &prefix, &e))?;
            keys.retain(|key| key.starts_with(&prefix));
            keys.sort();
            Ok(keys)
        })
        .await
    }

    async fn presign_put(
        &self,
        key: &str,
        integrity: ObjectIntegrity,
        expires: OffsetDateTime,
    ) -> Result<PresignedPut, BlobError> {
        check_key("presign PUT", key)?;
        let expires = expires.unix_timestamp();
        let (expires_text, size) = (expires.to_string(), integrity.size.to_string());
        let sha256 = hex::encode(integrity.sha256);
        let signature = self.sign(&["PUT", key, &expires_text, &size, &sha256]);
        Ok(PresignedPut {
            method: "PUT".to_owned(),
            url: self.url(
                key,
                &format!("expires={expires}&size={size}&sha256={sha256}&signature={signature}"),
            ),
            headers: integrity.put_headers(),
            expires,
        })
    }

    async fn presign_get(&self, key: &str, expires: OffsetDateTime) -> Result<String, BlobError> {
        check_key("presign GET", key)?;
        let expires = expires.unix_timestamp().to_string();
        let signature = self.sign(&["GET", key, &expires]);
        Ok(self.url(key, &format!("expires={expires}&signature={signature}")))
    }

    async fn start_multipart(
        &self,
        key: &str,
        part_count: u32,
        expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        self.start_upload(key, part_count, None, expires).await
    }

    async fn start_planned_multipart(
        &self,
        key: &str,
        plan: PartPlan,
        expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        if plan.part_size == 0
            || plan.part_count == 0
            || plan.part_size.saturating_mul(u64::from(plan.part_count)) < plan.size
            || plan
                .part_size
                .saturating_mul(u64::from(plan.part_count - 1))
                >= plan.size
        {
            return Err(rejected(
                "start multipart",
                key,
                format!("{plan:?} does not cut the object into its parts"),
            ));
        }
        self.start_upload(
            key,
            plan.part_count,
            Some((plan.size, plan.part_size)),
            expires,
        )
        .await
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), BlobError> {
        self.complete_upload(key, upload_id, parts).await
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), BlobError> {
        self.abort_upload(key, upload_id).await
    }
}
