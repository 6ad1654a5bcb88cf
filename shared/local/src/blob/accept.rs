//! What `genoflow serve` does with a request to a presigned URL: checks its signature, expiry and
//! headers, then streams the body to disk ([`PendingUpload`]) or opens the object.

use std::{
    collections::BTreeMap,
    fmt,
    fs::File,
    io::{self, Read, Write},
    path::PathBuf,
};

use genoflow_core::ports::{BlobError, ObjectIntegrity};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{
    CHUNK, FileBlobStore,
    files::{TempFile, io_error, unavailable},
    multipart::{part_file, read_upload, remove_superseded_parts},
    signing::SignedUrl,
};

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
    /// The body is not the signed length (or a part is over
    /// [`MAX_PART_BYTES`](crate::MAX_PART_BYTES)).
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

/// How many bytes a body must be: exactly `size`, or (a part of an upload started without a
/// plan) at most `size`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Expected {
    /// The size, or the most bytes.
    pub(super) size: u64,
    /// Whether the body must be exactly `size`.
    pub(super) exact: bool,
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

/// Case-insensitive header lookup.
fn header<'a>(headers: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

impl FileBlobStore {
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

    /// What the server does with a `PUT` to a part URL of
    /// [`BlobStore::start_multipart`](genoflow_core::ports::BlobStore::start_multipart):
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
}
