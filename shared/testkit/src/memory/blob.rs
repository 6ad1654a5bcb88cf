//! [`BlobStore`] on a map, with S3's checks on presigned and multipart uploads, and pauses to
//! act while a use case is mid-way.

use std::{
    collections::{BTreeMap, HashMap},
    io::{Cursor, Read},
    ops::Range,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use genoflow_core::ports::{
    BlobError, BlobStore, CompletedPart, MultipartUpload, ObjectIntegrity, PartUrl, PresignedPut,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::lock;

#[derive(Default)]
struct BlobState {
    objects: BTreeMap<String, Arc<[u8]>>,
    presigned: HashMap<String, (String, ObjectIntegrity, OffsetDateTime)>,
    downloads: HashMap<String, (String, OffsetDateTime)>,
    uploads: HashMap<String, PendingMultipart>,
    part_urls: HashMap<String, (String, u32)>,
    next_id: u64,
}

struct PendingMultipart {
    key: String,
    part_count: u32,
    parts: BTreeMap<u32, (String, Vec<u8>)>,
}

/// Objects in a map.
///
/// ```
/// use genoflow_testkit::memory::MemoryBlobStore;
/// use genoflow_core::ports::BlobStore;
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let store = MemoryBlobStore::default();
/// store.put("results/d1/report.json", b"{}".to_vec()).await?;
/// assert_eq!(store.read_range("results/d1/report.json", 0..1).await?, b"{");
/// assert_eq!(store.list("results/").await?, ["results/d1/report.json"]);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })
/// # .map_err(|e| e.to_string())?; Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct MemoryBlobStore {
    state: Mutex<BlobState>,
    read_failures: Mutex<usize>,
    pause: Mutex<Option<(PausePoint, Arc<Pause>)>>,
}

/// Where [`MemoryBlobStore::pause_next`] stops a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PausePoint {
    /// The next [`BlobStore::open_read`].
    OpenRead,
    /// The next [`BlobStore::put`] of a key under this prefix.
    PutUnder(String),
}

/// A call stopped by [`MemoryBlobStore::pause_next`] (to act while a use case is mid-way, or to
/// abandon it there as a crash would).
#[derive(Debug, Default)]
pub struct Pause {
    reached: tokio::sync::Notify,
    resumed: tokio::sync::Notify,
}

impl Pause {
    /// Waits until a call has stopped at the point.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Lets the stopped call go on.
    pub fn resume(&self) {
        self.resumed.notify_one();
    }

    /// What the stopped call does (for other stores' test wrappers): says it got here, then
    /// waits for [`Pause::resume`].
    pub async fn hold(&self) {
        self.reached.notify_one();
        self.resumed.notified().await;
    }
}

impl MemoryBlobStore {
    /// Stops the next call at `point` until [`Pause::resume`].
    pub fn pause_next(&self, point: PausePoint) -> Arc<Pause> {
        let pause = Arc::new(Pause::default());
        *lock(&self.pause) = Some((point, pause.clone()));
        pause
    }

    async fn maybe_pause(&self, at: impl Fn(&PausePoint) -> bool) {
        let pause = {
            let mut slot = lock(&self.pause);
            match slot.as_ref() {
                Some((point, _)) if at(point) => slot.take().map(|(_, pause)| pause),
                _ => None,
            }
        };
        if let Some(pause) = pause {
            pause.hold().await;
        }
    }

    /// Fails the next `count` [`BlobStore::open_read`] calls, as a storage outage would (to
    /// test retry paths).
    pub fn fail_next_reads(&self, count: usize) {
        *lock(&self.read_failures) = count;
    }

    /// What a browser's PUT to a presigned URL does: accepted only before expiry, with exactly
    /// the returned headers and a body of the bound length and SHA-256.
    ///
    /// # Errors
    /// [`BlobError::Rejected`] for an unknown or expired URL or a body that does not match.
    pub fn put_presigned(
        &self,
        presigned: &PresignedPut,
        headers: &BTreeMap<String, String>,
        body: Vec<u8>,
        now: OffsetDateTime,
    ) -> Result<(), BlobError> {
        let mut state = lock(&self.state);
        let (key, integrity, expires) = state
            .presigned
            .get(&presigned.url)
            .cloned()
            .ok_or_else(|| rejected("PUT", &presigned.url, "unknown URL"))?;
        if now >= expires {
            return Err(rejected("PUT", &key, "the URL expired"));
        }
        if headers != &integrity.put_headers() {
            return Err(rejected("PUT", &key, "headers differ from the signed ones"));
        }
        let actual = ObjectIntegrity {
            size: body.len() as u64,
            sha256: Sha256::digest(&body).into(),
        };
        if actual != integrity {
            return Err(rejected(
                "PUT",
                &key,
                "body does not match the signed length and checksum",
            ));
        }
        state.objects.insert(key, body.into());
        Ok(())
    }

    /// What a GET of a presigned download URL does: the object, before expiry only.
    ///
    /// # Errors
    /// [`BlobError::Rejected`] for an unknown or expired URL; [`BlobError::NotFound`] when the
    /// object is gone.
    pub fn get_presigned(&self, url: &str, now: OffsetDateTime) -> Result<Vec<u8>, BlobError> {
        let (key, expires) = lock(&self.state)
            .downloads
            .get(url)
            .cloned()
            .ok_or_else(|| rejected("GET", url, "unknown URL"))?;
        if now >= expires {
            return Err(rejected("GET", &key, "the URL expired"));
        }
        Ok(self.bytes(&key)?.to_vec())
    }

    /// What a PUT to a part URL does; answers the part's ETag.
    ///
    /// # Errors
    /// [`BlobError::Rejected`] for an unknown URL.
    pub fn put_part(&self, url: &str, body: Vec<u8>) -> Result<String, BlobError> {
        let mut state = lock(&self.state);
        let (upload_id, number) = state
            .part_urls
            .get(url)
            .cloned()
            .ok_or_else(|| rejected("PUT part", url, "unknown URL"))?;
        let etag = format!("\"{}\"", hex::encode(Sha256::digest(&body)));
        let upload = state
            .uploads
            .get_mut(&upload_id)
            .ok_or_else(|| rejected("PUT part", url, "the upload was completed or aborted"))?;
        upload.parts.insert(number, (etag.clone(), body));
        Ok(etag)
    }

    /// The bytes of an object.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        lock(&self.state)
            .objects
            .get(key)
            .map(|bytes| bytes.to_vec())
    }

    fn bytes(&self, key: &str) -> Result<Arc<[u8]>, BlobError> {
        lock(&self.state)
            .objects
            .get(key)
            .cloned()
            .ok_or_else(|| BlobError::NotFound {
                key: key.to_owned(),
            })
    }

    fn next_id(&self) -> u64 {
        let mut state = lock(&self.state);
        state.next_id += 1;
        state.next_id
    }
}

fn rejected(operation: &'static str, key: &str, reason: &str) -> BlobError {
    BlobError::Rejected {
        operation,
        key: key.to_owned(),
        reason: reason.to_owned(),
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn open_read(&self, key: &str) -> Result<Box<dyn Read + Send>, BlobError> {
        self.maybe_pause(|point| *point == PausePoint::OpenRead)
            .await;
        {
            let mut failures = lock(&self.read_failures);
            if *failures > 0 {
                *failures -= 1;
                return Err(BlobError::Unavailable {
                    operation: "GET",
                    key: key.to_owned(),
                    message: "connection reset (simulated outage)".to_owned(),
                });
            }
        }
        Ok(Box::new(Cursor::new(self.bytes(key)?)))
    }

    async fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, BlobError> {
        let bytes = self.bytes(key)?;
        let size = bytes.len() as u64;
        if range.start > range.end || range.start >= size {
            return Err(rejected(
                "ranged GET",
                key,
                &format!("range {range:?} outside {size} bytes"),
            ));
        }
        let end = range.end.min(size);
        let span = usize::try_from(range.start).unwrap_or(usize::MAX)
            ..usize::try_from(end).unwrap_or(usize::MAX);
        Ok(bytes[span].to_vec())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.maybe_pause(|point| matches!(point, PausePoint::PutUnder(prefix) if key.starts_with(prefix.as_str())))
            .await;
        lock(&self.state)
            .objects
            .insert(key.to_owned(), bytes.into());
        Ok(())
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), BlobError> {
        let bytes = self.bytes(from)?;
        lock(&self.state).objects.insert(to.to_owned(), bytes);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        lock(&self.state).objects.remove(key);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        Ok(lock(&self.state)
            .objects
            .range(prefix.to_owned()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, _)| key.clone())
            .collect())
    }

    async fn presign_put(
        &self,
        key: &str,
        integrity: ObjectIntegrity,
        expires: OffsetDateTime,
    ) -> Result<PresignedPut, BlobError> {
        let url = format!("memory://blobs/{key}?signature={}", self.next_id());
        lock(&self.state)
            .presigned
            .insert(url.clone(), (key.to_owned(), integrity, expires));
        Ok(PresignedPut {
            method: "PUT".to_owned(),
            url,
            headers: integrity.put_headers(),
            expires: expires.unix_timestamp(),
        })
    }

    async fn presign_get(&self, key: &str, expires: OffsetDateTime) -> Result<String, BlobError> {
        let url = format!("memory://blobs/{key}?download={}", self.next_id());
        lock(&self.state)
            .downloads
            .insert(url.clone(), (key.to_owned(), expires));
        Ok(url)
    }

    async fn start_multipart(
        &self,
        key: &str,
        part_count: u32,
        _expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        // As S3 and the file store: an upload of no parts could never complete.
        if part_count == 0 {
            return Err(rejected(
                "start multipart",
                key,
                "an upload has at least one part",
            ));
        }
        let upload_id = format!("upload-{}", self.next_id());
        let parts: Vec<PartUrl> = (1..=part_count)
            .map(|number| PartUrl {
                number,
                url: format!("memory://blobs/{key}?uploadId={upload_id}&partNumber={number}"),
            })
            .collect();
        let mut state = lock(&self.state);
        for part in &parts {
            state
                .part_urls
                .insert(part.url.clone(), (upload_id.clone(), part.number));
        }
        state.uploads.insert(
            upload_id.clone(),
            PendingMultipart {
                key: key.to_owned(),
                part_count,
                parts: BTreeMap::new(),
            },
        );
        Ok(MultipartUpload { upload_id, parts })
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), BlobError> {
        let mut state = lock(&self.state);
        let upload = state
            .uploads
            .get(upload_id)
            .filter(|upload| upload.key == key)
            .ok_or_else(|| rejected("complete multipart", key, "no such upload"))?;
        if parts.len() != upload.part_count as usize {
            return Err(rejected(
                "complete multipart",
                key,
                "not every part is listed",
            ));
        }
        let mut body = Vec::new();
        for (index, part) in parts.iter().enumerate() {
            let stored = upload
                .parts
                .get(&part.number)
                .filter(|_| part.number as usize == index + 1)
                .filter(|(etag, _)| *etag == part.etag)
                .ok_or_else(|| {
                    rejected(
                        "complete multipart",
                        key,
                        "a part is missing, out of order or has another ETag",
                    )
                })?;
            body.extend_from_slice(&stored.1);
        }
        state.uploads.remove(upload_id);
        state.objects.insert(key.to_owned(), body.into());
        Ok(())
    }

    async fn abort_multipart(&self, _key: &str, upload_id: &str) -> Result<(), BlobError> {
        lock(&self.state).uploads.remove(upload_id);
        Ok(())
    }
}
