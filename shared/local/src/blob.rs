//! [`BlobStore`] on a directory, with presigned URLs served by `genoflow serve` itself.

use std::{
    collections::BTreeMap,
    fmt,
    fs::File,
    io::{self, BufReader, Read, Seek, SeekFrom, Write},
    ops::Range,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use genoflow_core::ports::{
    BlobError, BlobStore, CompletedPart, MultipartUpload, ObjectIntegrity, PartPlan, PartUrl,
    PresignedPut,
};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Objects live under `{data_dir}/blobs/`.
const BLOBS: &str = "blobs";
/// Multipart uploads in progress live under `{data_dir}/multipart/{upload_id}/`.
const MULTIPART: &str = "multipart";
/// The upload's key, part count and expiry, in its directory.
const UPLOAD_FILE: &str = "upload.json";
/// Keys are at most S3's length.
const MAX_KEY_BYTES: usize = 1024;
/// The largest part accepted (S3's limit): parts are not length-bound by their URL, so this
/// bounds what one request can write.
pub const MAX_PART_BYTES: u64 = 5 << 30;
/// Bytes read and written at a time when streaming a body.
const CHUNK: usize = 1 << 16;

/// What a URL segment keeps unescaped (RFC 3986 unreserved characters).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The HMAC key of presigned URLs. `Debug` never shows it.
#[derive(Clone)]
pub struct SigningSecret(Vec<u8>);

/// The URL signing secret is too short.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the URL signing secret must be at least {min} bytes; got {got}")]
pub struct WeakSecret {
    /// The minimum.
    pub min: usize,
    /// What was given.
    pub got: usize,
}

impl SigningSecret {
    /// The shortest secret accepted.
    pub const MIN_BYTES: usize = 32;

    /// Wraps secret bytes.
    ///
    /// # Errors
    /// [`WeakSecret`] below [`SigningSecret::MIN_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self, WeakSecret> {
        if bytes.len() < Self::MIN_BYTES {
            return Err(WeakSecret {
                min: Self::MIN_BYTES,
                got: bytes.len(),
            });
        }
        Ok(Self(bytes))
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(redacted)")
    }
}

/// Why a request to a presigned URL is refused.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// Not a URL this store signs (a parameter missing or repeated, a bad key).
    #[error("not a presigned URL of this server: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The signature does not match: the URL was altered or signed with another secret.
    #[error("the URL's signature does not match: it was altered or signed by another server")]
    BadSignature,
    /// Past its `expires`.
    #[error("the URL expired at {expires} (unix seconds); ask for a new one")]
    Expired {
        /// When it expired.
        expires: i64,
    },
    /// A header differs from the ones the URL was issued with.
    #[error("header {header} must be {expected:?}, got {actual:?}")]
    Header {
        /// The header.
        header: String,
        /// What the URL binds.
        expected: String,
        /// What was sent.
        actual: Option<String>,
    },
    /// The body is not the signed length (or a part is over [`MAX_PART_BYTES`]).
    #[error("the body must be {expected} bytes; got {actual}{}", if *.more { " or more" } else { "" })]
    WrongLength {
        /// The signed size.
        expected: u64,
        /// What was read (reading stops one byte past the signed size).
        actual: u64,
        /// The body went on past `actual`.
        more: bool,
    },
    /// The body does not hash to the signed SHA-256.
    #[error("the body's SHA-256 is {actual}, not the signed {expected}")]
    WrongChecksum {
        /// The signed SHA-256, hex.
        expected: String,
        /// The body's, hex.
        actual: String,
    },
    /// The multipart upload was completed or aborted, or never existed.
    #[error("multipart upload {upload_id} was completed or aborted")]
    NoSuchUpload {
        /// The upload id.
        upload_id: String,
    },
    /// The request body could not be read (the client went away).
    #[error("reading the request body failed: {0}")]
    Body(io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] BlobError),
}

/// An object stored by [`FileBlobStore::accept_put`]: what the object-created event carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
}

/// An object a presigned GET opened.
#[derive(Debug)]
pub struct Download {
    /// Its key.
    pub key: String,
    /// Its size in bytes (the `content-length`).
    pub size: u64,
    /// The open file.
    pub file: File,
}

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
/// use genoflow_core::ports::{BlobStore, ObjectIntegrity};
/// use genoflow_local::{FileBlobStore, SigningSecret};
/// use sha2::{Digest, Sha256};
/// use time::{Duration, OffsetDateTime};
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let data_dir = tempfile::tempdir()?;
/// let secret = SigningSecret::new(vec![7; 32])?;
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
    secret: SigningSecret,
}

fn rejected(operation: &'static str, key: &str, reason: impl Into<String>) -> BlobError {
    BlobError::Rejected {
        operation,
        key: key.to_owned(),
        reason: reason.into(),
    }
}

/// An I/O failure: a missing file is [`BlobError::NotFound`], anything else may pass.
fn io_error(operation: &'static str, key: &str, error: &io::Error) -> BlobError {
    if error.kind() == io::ErrorKind::NotFound {
        BlobError::NotFound {
            key: key.to_owned(),
        }
    } else {
        BlobError::Unavailable {
            operation,
            key: key.to_owned(),
            message: error.to_string(),
        }
    }
}

fn unavailable(operation: &'static str, key: &str, error: &io::Error) -> BlobError {
    BlobError::Unavailable {
        operation,
        key: key.to_owned(),
        message: error.to_string(),
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

/// A file being written next to its destination, removed unless persisted.
struct TempFile {
    path: PathBuf,
    file: File,
    persisted: bool,
}

impl TempFile {
    fn new_in(directory: &Path) -> io::Result<Self> {
        crate::private::create_private_dir_all(directory)?;
        Self::new_in_existing(directory)
    }

    /// In `directory`, which must exist (a multipart upload's: once it is gone, the upload is).
    fn new_in_existing(directory: &Path) -> io::Result<Self> {
        // Keys never have a segment starting with '.', so this name is never an object.
        let path = directory.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
        let file = crate::private::create_new_private_file(&path)?;
        Ok(Self {
            path,
            file,
            persisted: false,
        })
    }

    /// Syncs the bytes, renames the file to `destination` and syncs the directory, so the
    /// object is whole and in place once this returns.
    fn persist(mut self, destination: &Path) -> io::Result<()> {
        self.file.sync_all()?;
        std::fs::rename(&self.path, destination)?;
        self.persisted = true;
        if let Some(directory) = destination.parent() {
            File::open(directory)?.sync_all()?;
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            // Best effort: a leftover temporary file is invisible to `list` and `get`.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// How many bytes a body must be: exactly `size`, or (a part of an upload started without a
/// plan) at most `size`.
#[derive(Clone, Copy, Debug)]
struct Expected {
    size: u64,
    exact: bool,
}

/// Where an accepted body goes once whole.
enum Target {
    /// An object, whose body must hash to the signed SHA-256.
    Object {
        destination: PathBuf,
        sha256: [u8; 32],
    },
    /// A part of a multipart upload.
    Part {
        directory: PathBuf,
        number: u32,
        upload_id: String,
    },
}

impl Target {
    /// A temporary file beside the destination: an object's directory is made if missing, a
    /// part's must exist (once it is gone, so is the upload).
    fn temp_file(&self, key: &str) -> Result<TempFile, AcceptError> {
        match self {
            Self::Object { destination, .. } => {
                TempFile::new_in(destination.parent().unwrap_or(destination))
                    .map_err(|e| AcceptError::Store(unavailable("PUT", key, &e)))
            }
            Self::Part {
                directory,
                upload_id,
                ..
            } => TempFile::new_in_existing(directory).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => AcceptError::NoSuchUpload {
                    upload_id: upload_id.clone(),
                },
                _ => AcceptError::Store(unavailable("PUT part", key, &e)),
            }),
        }
    }
}

/// What a presigned `PUT` stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// A whole object (emit its object-created event).
    Object(StoredObject),
    /// A part of a multipart upload, with the ETag the completion lists.
    Part {
        /// The quoted hex SHA-256 of the part.
        etag: String,
    },
}

/// A presigned `PUT` whose URL and headers passed, taking its body a chunk at a time: the server
/// reads the body without a thread waiting on the network and hands over each chunk
/// ([`PendingUpload::write`], a short blocking write to disk), then
/// [`PendingUpload::finish`]. A body past its size is refused at the first chunk that passes
/// it. Dropped unfinished, nothing is stored.
pub struct PendingUpload {
    key: String,
    target: Target,
    expected: Expected,
    /// The body so far, made at the first write (a client that sends nothing holds no file).
    temp: Option<TempFile>,
    hasher: Sha256,
    received: u64,
}

impl fmt::Debug for PendingUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingUpload")
            .field("key", &self.key)
            .field("expected", &self.expected)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl PendingUpload {
    /// The key written to.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The most bytes the body may have.
    pub fn max_bytes(&self) -> u64 {
        self.expected.size
    }

    /// Refuses a declared body length (`content-length`) this upload cannot take, before any
    /// byte is read.
    ///
    /// # Errors
    /// [`AcceptError::WrongLength`].
    pub fn check_declared_length(&self, length: u64) -> Result<(), AcceptError> {
        let fits = if self.expected.exact {
            length == self.expected.size
        } else {
            length <= self.expected.size
        };
        if fits {
            Ok(())
        } else {
            Err(AcceptError::WrongLength {
                expected: self.expected.size,
                actual: length,
                more: false,
            })
        }
    }

    fn operation(&self) -> &'static str {
        match self.target {
            Target::Object { .. } => "PUT",
            Target::Part { .. } => "PUT part",
        }
    }

    /// Appends `chunk` to the body. Blocking (a write to disk): run it in `spawn_blocking`.
    ///
    /// # Errors
    /// [`AcceptError::WrongLength`] once the body passes its size (nothing is stored then);
    /// [`AcceptError::Store`] when the disk fails.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), AcceptError> {
        let total = self.received + chunk.len() as u64;
        if total > self.expected.size {
            return Err(AcceptError::WrongLength {
                expected: self.expected.size,
                actual: total,
                more: true,
            });
        }
        self.hasher.update(chunk);
        let temp = match &mut self.temp {
            Some(temp) => temp,
            None => self.temp.insert(self.target.temp_file(&self.key)?),
        };
        temp.file
            .write_all(chunk)
            .map_err(|e| AcceptError::Store(unavailable(self.operation(), &self.key, &e)))?;
        self.received = total;
        Ok(())
    }

    /// Checks the length (and an object's SHA-256) and stores the body: an object atomically
    /// under its key, a part in its upload, replacing any earlier upload of the same part.
    /// Blocking: run it in `spawn_blocking`.
    ///
    /// # Errors
    /// [`AcceptError::WrongLength`], [`AcceptError::WrongChecksum`]; for a part,
    /// [`AcceptError::NoSuchUpload`] when the upload was completed or aborted meanwhile.
    pub fn finish(self) -> Result<Accepted, AcceptError> {
        let operation = self.operation();
        let Self {
            key,
            target,
            expected,
            temp,
            hasher,
            received,
        } = self;
        if expected.exact && received != expected.size {
            return Err(AcceptError::WrongLength {
                expected: expected.size,
                actual: received,
                more: false,
            });
        }
        let sha256: [u8; 32] = hasher.finalize().into();
        let temp = match temp {
            Some(temp) => temp,
            None => target.temp_file(&key)?,
        };
        match target {
            Target::Object {
                destination,
                sha256: signed,
            } => {
                if sha256 != signed {
                    return Err(AcceptError::WrongChecksum {
                        expected: hex::encode(signed),
                        actual: hex::encode(sha256),
                    });
                }
                temp.persist(&destination)
                    .map_err(|e| unavailable(operation, &key, &e))?;
                Ok(Accepted::Object(StoredObject {
                    key,
                    size: received,
                }))
            }
            Target::Part {
                directory,
                number,
                upload_id,
            } => {
                let sha256_hex = hex::encode(sha256);
                let name = part_file(number, &sha256_hex);
                temp.persist(&directory.join(&name))
                    .map_err(|e| match e.kind() {
                        // Completed or aborted while the part streamed.
                        io::ErrorKind::NotFound => AcceptError::NoSuchUpload {
                            upload_id: upload_id.clone(),
                        },
                        _ => AcceptError::Store(unavailable(operation, &key, &e)),
                    })?;
                remove_superseded_parts(&directory, number, &name)
                    .map_err(|e| AcceptError::Store(unavailable(operation, &key, &e)))?;
                Ok(Accepted::Part {
                    etag: format!("\"{sha256_hex}\""),
                })
            }
        }
    }

    /// Reads `body` to its end into this upload, then [`PendingUpload::finish`]. Blocking.
    fn read_from(mut self, body: &mut dyn Read) -> Result<Accepted, AcceptError> {
        let mut buffer = vec![0; CHUNK];
        loop {
            let read = match body.read(&mut buffer) {
                Ok(0) => return self.finish(),
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(AcceptError::Body(error)),
            };
            self.write(buffer.get(..read).unwrap_or_default())?;
        }
    }
}

/// Removes the earlier uploads of part `number` (files `{number:05}.*` other than `kept`): a part
/// uploaded again replaces the one before. A completion that already opened a removed file
/// still reads it whole; one that had not gets "another ETag", as S3 answers.
fn remove_superseded_parts(directory: &Path, number: u32, kept: &str) -> io::Result<()> {
    let prefix = format!("{number:05}.");
    for entry in std::fs::read_dir(directory)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(&prefix) && name != kept {
            match std::fs::remove_file(directory.join(name)) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
    }
    Ok(())
}

/// What a multipart upload's directory records.
#[derive(Serialize, Deserialize)]
struct UploadRecord {
    key: String,
    part_count: u32,
    /// When its part URLs expire, unix seconds: after it the upload can only be swept.
    expires: i64,
    /// The object's size and the size of every part but the last, when the upload was started
    /// with a plan ([`BlobStore::start_planned_multipart`]): each part must be exactly its size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plan: Option<(u64, u64)>,
}

impl UploadRecord {
    /// What part `number` (1..=part_count) must be.
    fn expected(&self, number: u32) -> Expected {
        match self.plan {
            Some((size, part_size)) => {
                let before = part_size.saturating_mul(u64::from(number - 1));
                Expected {
                    size: if number == self.part_count {
                        size.saturating_sub(before)
                    } else {
                        part_size
                    },
                    exact: true,
                }
            }
            None => Expected {
                size: MAX_PART_BYTES,
                exact: false,
            },
        }
    }
}

/// Upload ids are UUIDs the store made: anything else names no upload (and no path).
fn is_upload_id(upload_id: &str) -> bool {
    uuid::Uuid::parse_str(upload_id).is_ok_and(|id| id.to_string() == upload_id)
}

/// A part's file: `{number:05}.{sha256 hex}`, so a re-uploaded part never overwrites the one a
/// completion may be reading, and the ETag names the file.
fn part_file(number: u32, sha256_hex: &str) -> String {
    format!("{number:05}.{sha256_hex}")
}

/// The query parameters of a presigned URL, each once.
struct SignedUrl {
    key: String,
    params: BTreeMap<String, String>,
}

impl SignedUrl {
    fn parse(path_and_query: &str) -> Result<Self, AcceptError> {
        let malformed = |reason: &str| AcceptError::Malformed {
            reason: reason.to_owned(),
        };
        let (path, query) = path_and_query
            .split_once('?')
            .ok_or_else(|| malformed("no query string"))?;
        let encoded_key = path
            .strip_prefix("/blobs/")
            .ok_or_else(|| malformed("the path does not start with /blobs/"))?;
        let key = percent_decode_str(encoded_key)
            .decode_utf8()
            .map_err(|_| malformed("the key is not UTF-8"))?
            .into_owned();
        check_key("presigned request", &key)?;
        let mut params = BTreeMap::new();
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| malformed("a parameter is not UTF-8"))?;
            if params.insert(name.to_owned(), value.into_owned()).is_some() {
                return Err(malformed(&format!("parameter {name} is repeated")));
            }
        }
        Ok(Self { key, params })
    }

    fn get(&self, name: &str) -> Result<&str, AcceptError> {
        self.params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| AcceptError::Malformed {
                reason: format!("parameter {name} is missing"),
            })
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, AcceptError> {
        self.get(name)?.parse().map_err(|_| AcceptError::Malformed {
            reason: format!("parameter {name} is not a number"),
        })
    }
}

/// Case-insensitive header lookup.
fn header<'a>(headers: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
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
        secret: SigningSecret,
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

    fn upload_dir(&self, upload_id: &str) -> Option<PathBuf> {
        is_upload_id(upload_id).then(|| self.data_dir.join(MULTIPART).join(upload_id))
    }

    fn signature(&self, fields: &[&str]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret.0)
            .expect("HMAC accepts any key length");
        // Newline-separated: no field (key, numbers, hex) can contain one.
        mac.update(fields.join("\n").as_bytes());
        mac
    }

    fn sign(&self, fields: &[&str]) -> String {
        hex::encode(self.signature(fields).finalize().into_bytes())
    }

    /// Checks the URL's signature over `fields` (constant time), then its expiry.
    fn verify(
        &self,
        url: &SignedUrl,
        fields: &[&str],
        now: OffsetDateTime,
    ) -> Result<(), AcceptError> {
        let signature =
            hex::decode(url.get("signature")?).map_err(|_| AcceptError::BadSignature)?;
        self.signature(fields)
            .verify_slice(&signature)
            .map_err(|_| AcceptError::BadSignature)?;
        let expires: i64 = url.number("expires")?;
        if now.unix_timestamp() >= expires {
            return Err(AcceptError::Expired { expires });
        }
        Ok(())
    }

    fn url(&self, key: &str, query: &str) -> String {
        let encoded: Vec<String> = key
            .split('/')
            .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
            .collect();
        format!("{}/blobs/{}?{query}", self.base_url, encoded.join("/"))
    }

    /// Removes the multipart uploads whose part URLs expired before `now` (abandoned: no part
    /// can arrive any more), with their parts; answers how many. `genoflow serve` runs it on a
    /// timer, as an S3 lifecycle rule aborts incomplete uploads.
    ///
    /// # Errors
    /// [`BlobError::Unavailable`] when the directory cannot be read or an upload removed.
    pub async fn sweep_expired_uploads(&self, now: OffsetDateTime) -> Result<usize, BlobError> {
        const OPERATION: &str = "sweep multipart uploads";
        let root = self.data_dir.join(MULTIPART);
        blocking(OPERATION, MULTIPART, move || {
            let failed = |e: io::Error| unavailable(OPERATION, MULTIPART, &e);
            let mut swept = 0;
            for entry in std::fs::read_dir(&root).map_err(failed)? {
                let directory = entry.map_err(failed)?.path();
                let expired = match read_upload(&directory, MULTIPART) {
                    Ok(record) => record.expires <= now.unix_timestamp(),
                    // Completed or aborted meanwhile.
                    Err(BlobError::NotFound { .. }) => false,
                    Err(other) => return Err(other),
                };
                if expired {
                    match std::fs::remove_dir_all(&directory) {
                        Err(error) if error.kind() != io::ErrorKind::NotFound => {
                            return Err(failed(error));
                        }
                        _ => swept += 1,
                    }
                }
            }
            Ok(swept)
        })
        .await
    }

    /// What the server does with a `PUT` to a presigned URL (`url_path_and_query` as the
    /// request line has it, `/blobs/…?…`): stores `body` under the signed key only if the
    /// signature holds, the URL has not expired at `now`, `content-length` and
    /// `x-amz-checksum-sha256` are the signed ones and the body has exactly that length and
    /// SHA-256. Streams with bounded memory. Blocking: run it in `spawn_blocking` (a server
    /// reading bodies asynchronously uses [`FileBlobStore::begin_put`]).
    ///
    /// # Errors
    /// [`AcceptError`] saying which check failed; nothing is stored then.
    pub fn accept_put(
        &self,
        url_path_and_query: &str,
        headers: &BTreeMap<String, String>,
        mut body: impl Read,
        now: OffsetDateTime,
    ) -> Result<StoredObject, AcceptError> {
        match self
            .begin_put(url_path_and_query, headers, now)?
            .read_from(&mut body)?
        {
            Accepted::Object(stored) => Ok(stored),
            Accepted::Part { .. } => Err(AcceptError::Malformed {
                reason: "not an object URL".to_owned(),
            }),
        }
    }

    /// The checks of [`FileBlobStore::accept_put`] that come before the body (signature, expiry,
    /// headers): the body is then written with [`PendingUpload::write`] and stored by
    /// [`PendingUpload::finish`]. No I/O: call it anywhere.
    ///
    /// # Errors
    /// [`AcceptError`] saying which check failed.
    pub fn begin_put(
        &self,
        url_path_and_query: &str,
        headers: &BTreeMap<String, String>,
        now: OffsetDateTime,
    ) -> Result<PendingUpload, AcceptError> {
        let url = SignedUrl::parse(url_path_and_query)?;
        let (expires, size, sha256) = (url.get("expires")?, url.get("size")?, url.get("sha256")?);
        self.verify(&url, &["PUT", &url.key, expires, size, sha256], now)?;
        let size: u64 = url.number("size")?;
        let sha256: [u8; 32] = hex::decode(sha256)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| AcceptError::Malformed {
                reason: "sha256 is not 32 bytes of hex".to_owned(),
            })?;
        for (name, expected) in (ObjectIntegrity { size, sha256 }).put_headers() {
            let actual = header(headers, &name);
            if actual != Some(expected.as_str()) {
                return Err(AcceptError::Header {
                    header: name,
                    expected,
                    actual: actual.map(str::to_owned),
                });
            }
        }
        let destination = self.object_path("PUT", &url.key)?;
        Ok(PendingUpload {
            key: url.key,
            target: Target::Object {
                destination,
                sha256,
            },
            expected: Expected { size, exact: true },
            temp: None,
            hasher: Sha256::new(),
            received: 0,
        })
    }

    /// What the server does with a `GET` of a presigned download URL: opens the object if the
    /// signature holds and the URL has not expired at `now`. Blocking: run it in
    /// `spawn_blocking`.
    ///
    /// # Errors
    /// [`AcceptError`]; [`BlobError::NotFound`] (in [`AcceptError::Store`]) when the object is
    /// gone.
    pub fn accept_get(
        &self,
        url_path_and_query: &str,
        now: OffsetDateTime,
    ) -> Result<Download, AcceptError> {
        let url = SignedUrl::parse(url_path_and_query)?;
        let expires = url.get("expires")?;
        self.verify(&url, &["GET", &url.key, expires], now)?;
        let path = self.object_path("GET", &url.key)?;
        let file = File::open(&path).map_err(|e| io_error("GET", &url.key, &e))?;
        let size = file
            .metadata()
            .map_err(|e| io_error("GET", &url.key, &e))?
            .len();
        Ok(Download {
            key: url.key,
            size,
            file,
        })
    }

    /// What the server does with a `PUT` to a part URL of [`BlobStore::start_multipart`]:
    /// stores the part if the signature holds, the URL has not expired at `now` and the part
    /// has its planned size (when the upload was started with a plan), and answers its ETag
    /// (the quoted hex SHA-256 of the part) for the completion. A part may be uploaded again:
    /// the new one replaces the old. Blocking: run it in `spawn_blocking` (a server reading
    /// bodies asynchronously uses [`FileBlobStore::begin_part`]).
    ///
    /// # Errors
    /// [`AcceptError`]; [`AcceptError::NoSuchUpload`] once the upload is completed or aborted.
    pub fn accept_part(
        &self,
        url_path_and_query: &str,
        mut body: impl Read,
        now: OffsetDateTime,
    ) -> Result<String, AcceptError> {
        match self
            .begin_part(url_path_and_query, now)?
            .read_from(&mut body)?
        {
            Accepted::Part { etag } => Ok(etag),
            Accepted::Object(_) => Err(AcceptError::Malformed {
                reason: "not a part URL".to_owned(),
            }),
        }
    }

    /// The checks of [`FileBlobStore::accept_part`] that come before the body; then
    /// [`PendingUpload::write`] and [`PendingUpload::finish`]. Blocking.
    ///
    /// # Errors
    /// [`AcceptError`]; [`AcceptError::NoSuchUpload`] once the upload is completed or aborted.
    pub fn begin_part(
        &self,
        url_path_and_query: &str,
        now: OffsetDateTime,
    ) -> Result<PendingUpload, AcceptError> {
        let url = SignedUrl::parse(url_path_and_query)?;
        let (upload_id, number, expires) = (
            url.get("uploadId")?,
            url.get("partNumber")?,
            url.get("expires")?,
        );
        self.verify(
            &url,
            &["PUT part", &url.key, upload_id, number, expires],
            now,
        )?;
        let number: u32 = url.number("partNumber")?;
        let no_such_upload = || AcceptError::NoSuchUpload {
            upload_id: upload_id.to_owned(),
        };
        let directory = self.upload_dir(upload_id).ok_or_else(no_such_upload)?;
        let record = read_upload(&directory, &url.key).map_err(|error| match error {
            BlobError::NotFound { .. } => no_such_upload(),
            other => AcceptError::Store(other),
        })?;
        if record.key != url.key || number == 0 || number > record.part_count {
            return Err(AcceptError::Malformed {
                reason: format!("part {number} of {upload_id} is not part of the upload"),
            });
        }
        Ok(PendingUpload {
            expected: record.expected(number),
            target: Target::Part {
                directory,
                number,
                upload_id: upload_id.to_owned(),
            },
            key: url.key,
            temp: None,
            hasher: Sha256::new(),
            received: 0,
        })
    }

    /// Starts a multipart upload of `part_count` parts, each bound to its size when `plan`
    /// (object size, part size) is given.
    async fn start_upload(
        &self,
        key: &str,
        part_count: u32,
        plan: Option<(u64, u64)>,
        expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        check_key("start multipart", key)?;
        if part_count == 0 {
            return Err(rejected(
                "start multipart",
                key,
                "an upload has 1 part or more",
            ));
        }
        let upload_id = uuid::Uuid::new_v4().to_string();
        let directory = self.data_dir.join(MULTIPART).join(&upload_id);
        let record = serde_json::to_vec(&UploadRecord {
            key: key.to_owned(),
            part_count,
            expires: expires.unix_timestamp(),
            plan,
        })
        .map_err(|e| BlobError::Unavailable {
            operation: "start multipart",
            key: key.to_owned(),
            message: e.to_string(),
        })?;
        let owned_key = key.to_owned();
        blocking("start multipart", key, move || {
            write_object(
                "start multipart",
                &owned_key,
                &directory.join(UPLOAD_FILE),
                &mut record.as_slice(),
            )
        })
        .await?;
        let expires = expires.unix_timestamp().to_string();
        let parts = (1..=part_count)
            .map(|number| {
                let number_text = number.to_string();
                let signature =
                    self.sign(&["PUT part", key, &upload_id, &number_text, &expires]);
                PartUrl {
                    number,
                    url: self.url(
                        key,
                        &format!(
                            "uploadId={upload_id}&partNumber={number}&expires={expires}&signature={signature}"
                        ),
                    ),
                }
            })
            .collect();
        Ok(MultipartUpload { upload_id, parts })
    }
}

fn read_upload(directory: &Path, key: &str) -> Result<UploadRecord, BlobError> {
    let json = std::fs::read(directory.join(UPLOAD_FILE))
        .map_err(|e| io_error("multipart upload", key, &e))?;
    serde_json::from_slice(&json).map_err(|e| BlobError::Unavailable {
        operation: "multipart upload",
        key: key.to_owned(),
        message: format!("{} is unreadable: {e}", directory.display()),
    })
}

/// Runs blocking file work in the blocking pool.
async fn blocking<T, F>(operation: &'static str, key: &str, work: F) -> Result<T, BlobError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, BlobError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BlobError::Unavailable {
            operation,
            key: key.to_owned(),
            message: e.to_string(),
        })?
}

/// Writes `source` to `destination` atomically.
fn write_object(
    operation: &'static str,
    key: &str,
    destination: &Path,
    source: &mut dyn Read,
) -> Result<(), BlobError> {
    let directory = destination.parent().unwrap_or(destination);
    let failed = |e: io::Error| unavailable(operation, key, &e);
    let mut temp = TempFile::new_in(directory).map_err(failed)?;
    io::copy(source, &mut temp.file).map_err(failed)?;
    temp.persist(destination).map_err(failed)
}

/// Every object file under `directory`, as keys (`prefix` + relative path), unsorted.
fn walk(directory: &Path, prefix: &str, keys: &mut Vec<String>) -> io::Result<()> {
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        // Keys are UTF-8 and never have a segment starting with '.' (temporary files).
        let Some(name) = name.to_str().filter(|name| !name.starts_with('.')) else {
            continue;
        };
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            walk(&entry.path(), &format!("{prefix}{name}/"), keys)?;
        } else if file_type.is_file() {
            keys.push(format!("{prefix}{name}"));
        }
    }
    Ok(())
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
        const OPERATION: &str = "complete multipart";
        let destination = self.object_path(OPERATION, key)?;
        let directory = self
            .upload_dir(upload_id)
            .ok_or_else(|| rejected(OPERATION, key, "no such upload"))?;
        let (key, parts) = (key.to_owned(), parts.to_vec());
        blocking(OPERATION, &key.clone(), move || {
            let record = read_upload(&directory, &key).map_err(|error| match error {
                BlobError::NotFound { .. } => rejected(OPERATION, &key, "no such upload"),
                other => other,
            })?;
            if record.key != key {
                return Err(rejected(OPERATION, &key, "no such upload"));
            }
            if parts.len() != record.part_count as usize {
                return Err(rejected(OPERATION, &key, "not every part is listed"));
            }
            let mismatch = || {
                rejected(
                    OPERATION,
                    &key,
                    "a part is missing, out of order or has another ETag",
                )
            };
            let mut files = Vec::with_capacity(parts.len());
            for (index, part) in parts.iter().enumerate() {
                let sha256_hex = part
                    .etag
                    .strip_prefix('"')
                    .and_then(|etag| etag.strip_suffix('"'))
                    .filter(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                    .ok_or_else(mismatch)?;
                if part.number as usize != index + 1 {
                    return Err(mismatch());
                }
                let file = File::open(directory.join(part_file(part.number, sha256_hex))).map_err(
                    |e| match e.kind() {
                        io::ErrorKind::NotFound => mismatch(),
                        _ => unavailable(OPERATION, &key, &e),
                    },
                )?;
                files.push(file);
            }
            let mut assembled = files
                .into_iter()
                .fold(Box::new(io::empty()) as Box<dyn Read>, |joined, file| {
                    Box::new(joined.chain(file))
                });
            write_object(OPERATION, &key, &destination, &mut assembled)?;
            std::fs::remove_dir_all(&directory).map_err(|e| unavailable(OPERATION, &key, &e))
        })
        .await
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), BlobError> {
        // An id the store never made names no upload: aborting it succeeds.
        let Some(directory) = self.upload_dir(upload_id) else {
            return Ok(());
        };
        let owned_key = key.to_owned();
        blocking(
            "abort multipart",
            key,
            move || match std::fs::remove_dir_all(&directory) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    Err(unavailable("abort multipart", &owned_key, &error))
                }
                _ => Ok(()),
            },
        )
        .await
    }
}
