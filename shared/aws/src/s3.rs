//! [`BlobStore`] over S3.

use std::{
    collections::{BTreeMap, VecDeque},
    io::{self, Read},
    ops::Range,
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::{
    Client,
    config::{RequestChecksumCalculation, http::HttpResponse},
    error::{ProvideErrorMetadata, SdkError},
    presigning::PresigningConfig,
    primitives::ByteStream,
    types::{CompletedMultipartUpload, CompletedPart as S3CompletedPart},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use genoflow_core::{
    ports::{
        BlobError, BlobStore, CompletedPart, MultipartUpload, ObjectIntegrity, PartUrl,
        PresignedPut,
    },
    stream::{ChunkSender, chunk_channel},
};
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use crate::{config::s3_uses_path_style, describe};

/// S3's largest `CopyObject` source; larger objects are copied part by part.
pub const S3_MAX_SINGLE_COPY: u64 = 5 * 1024 * 1024 * 1024;
/// S3's longest presigned URL validity: 7 days.
pub const S3_MAX_PRESIGN: time::Duration = time::Duration::days(7);

/// Objects in one S3 bucket.
///
/// [`BlobStore::open_read`] fetches the object as ranged GETs of [`S3BlobStore::read_chunk_size`]
/// bytes, [`S3BlobStore::reads_in_flight`] at a time, handed to the reader in order; memory
/// stays bounded by about twice `chunk × in flight` whatever the object's size, and every range
/// is read with `If-Match` on the ETag seen first, so an object replaced mid-read fails the read
/// instead of mixing two versions.
#[derive(Clone, Debug)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
    read_chunk_size: u64,
    reads_in_flight: usize,
    single_copy_max: u64,
    copy_part_size: u64,
}

impl S3BlobStore {
    /// Default bytes per ranged GET of [`BlobStore::open_read`].
    pub const DEFAULT_READ_CHUNK: u64 = 8 * 1024 * 1024;
    /// Default ranged GETs in flight.
    pub const DEFAULT_READS_IN_FLIGHT: usize = 4;
    /// Default part size of copies above [`S3_MAX_SINGLE_COPY`].
    pub const DEFAULT_COPY_PART: u64 = 1024 * 1024 * 1024;

    /// The store of `bucket`, addressed by path when the SDK has an endpoint override
    /// (emulators). Requests carry checksums only where S3 requires them; the presigned PUT binds
    /// its own SHA-256.
    pub fn new(config: &SdkConfig, bucket: &str) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(s3_uses_path_style(config))
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        Self {
            client: Client::from_conf(s3_config),
            bucket: bucket.to_owned(),
            read_chunk_size: Self::DEFAULT_READ_CHUNK,
            reads_in_flight: Self::DEFAULT_READS_IN_FLIGHT,
            single_copy_max: S3_MAX_SINGLE_COPY,
            copy_part_size: Self::DEFAULT_COPY_PART,
        }
    }

    /// Streams with ranged GETs of `chunk_size` bytes, `in_flight` at a time (both at least 1).
    #[must_use]
    pub fn with_read_chunking(mut self, chunk_size: u64, in_flight: usize) -> Self {
        self.read_chunk_size = chunk_size.max(1);
        self.reads_in_flight = in_flight.max(1);
        self
    }

    /// Copies objects larger than `single_copy_max` (at most [`S3_MAX_SINGLE_COPY`]) part by
    /// part, `part_size` bytes each (S3 wants at least 5 MiB for all but the last).
    #[must_use]
    pub fn with_copy_limits(mut self, single_copy_max: u64, part_size: u64) -> Self {
        self.single_copy_max = single_copy_max.min(S3_MAX_SINGLE_COPY);
        self.copy_part_size = part_size.max(1);
        self
    }

    /// Bytes per ranged GET.
    pub fn read_chunk_size(&self) -> u64 {
        self.read_chunk_size
    }

    /// Ranged GETs in flight.
    pub fn reads_in_flight(&self) -> usize {
        self.reads_in_flight
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The SDK client, for what the port does not cover (setup, tests).
    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn size_and_etag(&self, key: &str) -> Result<(u64, Option<String>), BlobError> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| blob_error("HEAD", key, &error))?;
        let size = head.content_length().and_then(|n| u64::try_from(n).ok());
        let size = size.ok_or_else(|| BlobError::Unavailable {
            operation: "HEAD",
            key: key.to_owned(),
            message: "the response has no valid content-length".to_owned(),
        })?;
        Ok((size, head.e_tag().map(str::to_owned)))
    }

    async fn part_urls(
        &self,
        key: &str,
        upload_id: &str,
        part_count: u32,
        presigning: &PresigningConfig,
    ) -> Result<Vec<PartUrl>, BlobError> {
        let mut parts = Vec::with_capacity(usize::try_from(part_count).unwrap_or(0));
        for number in 1..=part_count {
            let request = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(part_number(number as usize, key)?)
                .presigned(presigning.clone())
                .await
                .map_err(|error| blob_error("presign part", key, &error))?;
            parts.push(PartUrl {
                number,
                url: request.uri().to_owned(),
            });
        }
        Ok(parts)
    }

    async fn copy_in_parts(&self, from: &str, to: &str, size: u64) -> Result<(), BlobError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(to)
            .send()
            .await
            .map_err(|error| blob_error("copy (create multipart)", to, &error))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| no_upload_id(to))?
            .to_owned();
        let result = self.copy_parts(from, to, size, &upload_id).await;
        if result.is_err() {
            // Leave no billed parts behind; the copy's error is the one to report.
            let _ = self.abort_multipart(to, &upload_id).await;
        }
        result
    }

    async fn copy_parts(
        &self,
        from: &str,
        to: &str,
        size: u64,
        upload_id: &str,
    ) -> Result<(), BlobError> {
        let source = copy_source(&self.bucket, from);
        let mut parts = Vec::new();
        for (index, start) in (0..size).step_by(step(self.copy_part_size)).enumerate() {
            let end = (start + self.copy_part_size).min(size);
            let number = part_number(index + 1, to)?;
            let output = self
                .client
                .upload_part_copy()
                .bucket(&self.bucket)
                .key(to)
                .upload_id(upload_id)
                .part_number(number)
                .copy_source(&source)
                .copy_source_range(format!("bytes={start}-{}", end - 1))
                .send()
                .await
                .map_err(|error| blob_error("copy (part)", from, &error))?;
            let etag = output
                .copy_part_result()
                .and_then(|result| result.e_tag())
                .ok_or_else(|| BlobError::Unavailable {
                    operation: "copy (part)",
                    key: from.to_owned(),
                    message: format!("part {number} answered no ETag"),
                })?;
            parts.push(
                S3CompletedPart::builder()
                    .part_number(number)
                    .e_tag(etag)
                    .build(),
            );
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(to)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|error| blob_error("copy (complete)", to, &error))?;
        Ok(())
    }
}

/// `step_by` wants a `usize`.
fn step(size: u64) -> usize {
    usize::try_from(size).unwrap_or(usize::MAX)
}

fn part_number(number: usize, key: &str) -> Result<i32, BlobError> {
    i32::try_from(number)
        .ok()
        .filter(|n| *n <= 10_000)
        .ok_or_else(|| BlobError::Rejected {
            operation: "multipart",
            key: key.to_owned(),
            reason: format!("part {number} is beyond S3's 10000 parts"),
        })
}

fn no_upload_id(key: &str) -> BlobError {
    BlobError::Unavailable {
        operation: "create multipart upload",
        key: key.to_owned(),
        message: "S3 answered no upload id".to_owned(),
    }
}

/// `bucket/key` with the key percent-encoded (spaces and `+` are legal in file names), as
/// `x-amz-copy-source` wants it.
fn copy_source(bucket: &str, key: &str) -> String {
    let mut source = format!("{bucket}/");
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            source.push(char::from(byte));
        } else {
            source.push_str(&format!("%{byte:02X}"));
        }
    }
    source
}

/// Maps an S3 failure: a missing key is [`BlobError::NotFound`], other client errors are
/// [`BlobError::Rejected`] (retrying the same request cannot help), throttling, timeouts, server
/// errors and transport failures are [`BlobError::Unavailable`].
fn blob_error<E>(operation: &'static str, key: &str, error: &SdkError<E, HttpResponse>) -> BlobError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = describe(error);
    match (failure.code.as_deref(), failure.status) {
        (Some("NoSuchBucket"), _) => BlobError::Rejected {
            operation,
            key: key.to_owned(),
            reason: format!(
                "the bucket does not exist; check GENOFLOW_BUCKET ({})",
                failure.message
            ),
        },
        (Some("NoSuchKey" | "NotFound"), _) | (None, Some(404)) => BlobError::NotFound {
            key: key.to_owned(),
        },
        (Some("PreconditionFailed"), _) | (_, Some(412)) => BlobError::Rejected {
            operation,
            key: key.to_owned(),
            reason: format!(
                "the object changed while it was read; the new upload's event handles it ({})",
                failure.message
            ),
        },
        (Some("SlowDown" | "RequestTimeout" | "Throttling"), _) | (_, Some(408 | 429)) => {
            unavailable(operation, key, failure.message)
        }
        (_, Some(400..=499)) => BlobError::Rejected {
            operation,
            key: key.to_owned(),
            reason: failure.message,
        },
        _ => unavailable(operation, key, failure.message),
    }
}

fn unavailable(operation: &'static str, key: &str, message: String) -> BlobError {
    BlobError::Unavailable {
        operation,
        key: key.to_owned(),
        message,
    }
}

/// One ranged GET, checked to return exactly the range.
async fn get_range(
    client: Client,
    bucket: String,
    key: String,
    etag: Option<String>,
    range: Range<u64>,
) -> Result<Vec<u8>, BlobError> {
    let output = client
        .get_object()
        .bucket(bucket)
        .key(&key)
        .range(format!("bytes={}-{}", range.start, range.end - 1))
        .set_if_match(etag)
        .send()
        .await
        .map_err(|error| blob_error("ranged GET", &key, &error))?;
    let bytes = output
        .body
        .collect()
        .await
        .map_err(|error| unavailable("ranged GET", &key, error.to_string()))?
        .to_vec();
    let expected = range.end - range.start;
    if bytes.len() as u64 != expected {
        return Err(unavailable(
            "ranged GET",
            &key,
            format!(
                "asked bytes {range:?}, got {} bytes instead of {expected}",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
}

/// The producer behind [`BlobStore::open_read`]: keeps up to `in_flight` ranged GETs running and
/// sends their bodies in order; stops (cancelling the GETs) when the reader goes away, and
/// fails the reader on the first failed GET.
struct RangedReads {
    client: Client,
    bucket: String,
    key: String,
    etag: Option<String>,
    size: u64,
    chunk_size: u64,
    in_flight: usize,
}

impl RangedReads {
    async fn run(self, sender: ChunkSender) {
        let mut pending: VecDeque<JoinHandle<Result<Vec<u8>, BlobError>>> = VecDeque::new();
        let mut next = 0;
        loop {
            while pending.len() < self.in_flight && next < self.size {
                let end = (next + self.chunk_size).min(self.size);
                pending.push_back(tokio::spawn(get_range(
                    self.client.clone(),
                    self.bucket.clone(),
                    self.key.clone(),
                    self.etag.clone(),
                    next..end,
                )));
                next = end;
            }
            let Some(fetch) = pending.pop_front() else {
                return; // Dropping the sender ends the stream.
            };
            let chunk = match fetch.await {
                Ok(Ok(chunk)) => chunk,
                Ok(Err(error)) => {
                    pending.iter().for_each(JoinHandle::abort);
                    sender.fail(io::Error::other(error)).await;
                    return;
                }
                Err(join) => {
                    pending.iter().for_each(JoinHandle::abort);
                    let message = format!("a ranged GET of {} stopped: {join}", self.key);
                    sender.fail(io::Error::other(message)).await;
                    return;
                }
            };
            if sender.send(chunk).await.is_err() {
                pending.iter().for_each(JoinHandle::abort);
                return;
            }
        }
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn open_read(&self, key: &str) -> Result<Box<dyn Read + Send>, BlobError> {
        let (size, etag) = self.size_and_etag(key).await?;
        let (sender, reader) = chunk_channel(self.reads_in_flight);
        let reads = RangedReads {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: key.to_owned(),
            etag,
            size,
            chunk_size: self.read_chunk_size,
            in_flight: self.reads_in_flight,
        };
        tokio::spawn(reads.run(sender));
        Ok(Box::new(reader))
    }

    async fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, BlobError> {
        if range.start > range.end {
            return Err(BlobError::Rejected {
                operation: "ranged GET",
                key: key.to_owned(),
                reason: format!("range {range:?} ends before it starts"),
            });
        }
        // S3 answers an unsatisfiable range with 416 but ignores a malformed one (serving the
        // whole object), and `bytes=5-4` would be malformed: an empty range is checked by HEAD.
        if range.start == range.end {
            let (size, _) = self.size_and_etag(key).await?;
            if range.start >= size {
                return Err(BlobError::Rejected {
                    operation: "ranged GET",
                    key: key.to_owned(),
                    reason: format!("range {range:?} outside {size} bytes"),
                });
            }
            return Ok(Vec::new());
        }
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={}-{}", range.start, range.end - 1))
            .send()
            .await
            .map_err(|error| blob_error("ranged GET", key, &error))?;
        Ok(output
            .body
            .collect()
            .await
            .map_err(|error| unavailable("ranged GET", key, error.to_string()))?
            .to_vec())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|error| blob_error("PUT", key, &error))?;
        Ok(())
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), BlobError> {
        let (size, _) = self.size_and_etag(from).await?;
        if size > self.single_copy_max {
            return self.copy_in_parts(from, to, size).await;
        }
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(to)
            .copy_source(copy_source(&self.bucket, from))
            .send()
            .await
            .map_err(|error| blob_error("copy", from, &error))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| blob_error("DELETE", key, &error))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let mut keys = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(continuation.take())
                .send()
                .await
                .map_err(|error| blob_error("LIST", prefix, &error))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key().map(str::to_owned)),
            );
            match page.next_continuation_token() {
                Some(token) if page.is_truncated() == Some(true) => {
                    continuation = Some(token.to_owned());
                }
                _ => break,
            }
        }
        keys.sort();
        Ok(keys)
    }

    async fn presign_put(
        &self,
        key: &str,
        integrity: ObjectIntegrity,
        expires: OffsetDateTime,
    ) -> Result<PresignedPut, BlobError> {
        let presigning = presigning_until(key, expires)?;
        let size = i64::try_from(integrity.size).map_err(|_| BlobError::Rejected {
            operation: "presign PUT",
            key: key.to_owned(),
            reason: format!("size {} is too large", integrity.size),
        })?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(size)
            .checksum_sha256(STANDARD.encode(integrity.sha256))
            .presigned(presigning)
            .await
            .map_err(|error| blob_error("presign PUT", key, &error))?;
        let mut headers: BTreeMap<String, String> = request
            .headers()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect();
        // Browsers set content-length themselves; it is part of the contract all the same.
        headers
            .entry("content-length".to_owned())
            .or_insert_with(|| integrity.size.to_string());
        Ok(PresignedPut {
            method: "PUT".to_owned(),
            url: request.uri().to_owned(),
            headers,
            expires: expires.unix_timestamp(),
        })
    }

    async fn presign_get(&self, key: &str, expires: OffsetDateTime) -> Result<String, BlobError> {
        let presigning = presigning_until(key, expires)?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(|error| blob_error("presign GET", key, &error))?;
        Ok(request.uri().to_owned())
    }

    async fn start_multipart(
        &self,
        key: &str,
        part_count: u32,
        expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        let presigning = presigning_until(key, expires)?;
        if part_count == 0 {
            return Err(BlobError::Rejected {
                operation: "create multipart upload",
                key: key.to_owned(),
                reason: "a multipart upload needs at least one part".to_owned(),
            });
        }
        part_number(part_count as usize, key)?;
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| blob_error("create multipart upload", key, &error))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| no_upload_id(key))?
            .to_owned();
        match self
            .part_urls(key, &upload_id, part_count, &presigning)
            .await
        {
            Ok(parts) => Ok(MultipartUpload { upload_id, parts }),
            Err(error) => {
                // No one can use an upload without its URLs; the signing error is the one to report.
                let _ = self.abort_multipart(key, &upload_id).await;
                Err(error)
            }
        }
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), BlobError> {
        let mut completed = Vec::with_capacity(parts.len());
        for part in parts {
            completed.push(
                S3CompletedPart::builder()
                    .part_number(part_number(part.number as usize, key)?)
                    .e_tag(&part.etag)
                    .build(),
            );
        }
        let result = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // An unknown upload is the client's mistake (or a second completion), not a missing
            // object.
            Err(error) if describe(&error).code.as_deref() == Some("NoSuchUpload") => {
                Err(BlobError::Rejected {
                    operation: "complete multipart",
                    key: key.to_owned(),
                    reason: format!("no upload {upload_id} is in progress for this key"),
                })
            }
            Err(error) => Err(blob_error("complete multipart", key, &error)),
        }
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), BlobError> {
        let result = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if describe(&error).code.as_deref() == Some("NoSuchUpload") => Ok(()),
            Err(error) => Err(blob_error("abort multipart", key, &error)),
        }
    }
}

/// A presigning configuration whose URLs stop working exactly at `expires` (whole seconds):
/// signed as of `expires - n` seconds for `n` seconds, `n` the whole seconds left from now.
fn presigning_until(key: &str, expires: OffsetDateTime) -> Result<PresigningConfig, BlobError> {
    let refuse = |reason: String| BlobError::Rejected {
        operation: "presign",
        key: key.to_owned(),
        reason,
    };
    // X-Amz-Date has whole seconds.
    let expires = expires.replace_nanosecond(0).unwrap_or(expires);
    let left = expires - OffsetDateTime::now_utc();
    if left <= time::Duration::ZERO || left > S3_MAX_PRESIGN {
        return Err(refuse(format!(
            "the expiry {expires} must be in the future and at most 7 days ahead"
        )));
    }
    let seconds = u64::try_from(left.whole_seconds()).unwrap_or(0).max(1);
    let start = SystemTime::from(expires) - Duration::from_secs(seconds);
    PresigningConfig::builder()
        .start_time(start)
        .expires_in(Duration::from_secs(seconds))
        .build()
        .map_err(|error| refuse(error.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn copy_sources_encode_spaces_and_plus_but_keep_slashes() {
        assert_eq!(
            copy_source("b", "uploads/SP1/d/tb demo+R2.fq"),
            "b/uploads/SP1/d/tb%20demo%2BR2.fq"
        );
        assert_eq!(copy_source("b", "a~b_c-d.e"), "b/a~b_c-d.e");
    }

    #[test]
    fn presigned_urls_end_at_the_requested_second() {
        let expires = OffsetDateTime::now_utc() + time::Duration::minutes(30);
        let config = presigning_until("k", expires).unwrap();
        let end = config.start_time() + config.expires();
        let wanted = SystemTime::from(expires);
        assert!(end <= wanted && wanted.duration_since(end).unwrap() < Duration::from_secs(1));
        assert_eq!(
            end.duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            expires.unix_timestamp() as u64
        );
        assert!(presigning_until("k", OffsetDateTime::now_utc() - time::Duration::SECOND).is_err());
        assert!(
            presigning_until("k", OffsetDateTime::now_utc() + time::Duration::days(8)).is_err()
        );
    }

    fn query(url: &str, name: &str) -> Option<String> {
        url.split_once('?')?
            .1
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.replace("%3B", ";").replace("%2F", "/"))
    }

    #[tokio::test]
    async fn presigned_puts_sign_the_length_and_checksum_headers() {
        let config = crate::tests::offline_config();
        let store = S3BlobStore::new(&config, "genoflow-data");
        let integrity = ObjectIntegrity {
            size: 483_488,
            sha256: [0xab; 32],
        };
        let expires = OffsetDateTime::now_utc() + time::Duration::hours(1);
        let put = store
            .presign_put("uploads/SP1/d1/tb demo+R1.fq.gz", integrity, expires)
            .await
            .unwrap();
        assert_eq!(put.headers, integrity.put_headers());
        assert_eq!(put.expires, expires.unix_timestamp());
        assert!(
            put.url.starts_with(
                "http://127.0.0.1:9/genoflow-data/uploads/SP1/d1/tb%20demo%2BR1.fq.gz?"
            ),
            "{}",
            put.url
        );
        assert_eq!(
            query(&put.url, "X-Amz-SignedHeaders").as_deref(),
            Some("content-length;host;x-amz-checksum-sha256")
        );
        assert_eq!(
            query(&put.url, "X-Amz-Algorithm").as_deref(),
            Some("AWS4-HMAC-SHA256")
        );
        let credential = query(&put.url, "X-Amz-Credential").unwrap();
        assert!(credential.starts_with("AKIDEXAMPLE/"), "{credential}");
        assert!(
            credential.ends_with("/eu-west-1/s3/aws4_request"),
            "{credential}"
        );
        assert!(!put.url.contains(crate::tests::SECRET));
        // Another length or checksum is another signature.
        let other = store
            .presign_put(
                "uploads/SP1/d1/tb demo+R1.fq.gz",
                ObjectIntegrity {
                    size: 483_489,
                    ..integrity
                },
                expires,
            )
            .await
            .unwrap();
        assert_ne!(
            query(&other.url, "X-Amz-Signature"),
            query(&put.url, "X-Amz-Signature")
        );
    }

    #[test]
    fn part_numbers_stop_at_ten_thousand() {
        assert_eq!(part_number(10_000, "k").unwrap(), 10_000);
        assert!(part_number(10_001, "k").is_err());
    }
}
