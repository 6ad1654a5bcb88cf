//! Multipart uploads in progress, under `{data_dir}/multipart/{upload_id}/`: the upload's record,
//! its parts (`{number:05}.{sha256 hex}`), their completion into the object, and the sweep of
//! abandoned ones.

use std::{
    fs::File,
    io::{self, Read},
    path::{Path, PathBuf},
};

use genoflow_core::ports::{BlobError, CompletedPart, MultipartUpload, PartUrl};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{
    FileBlobStore, MULTIPART,
    accept::Expected,
    check_key,
    files::{blocking, io_error, unavailable, write_object},
    rejected,
};

/// The upload's key, part count and expiry, in its directory.
const UPLOAD_FILE: &str = "upload.json";
/// The largest part accepted (S3's limit): parts are not length-bound by their URL, so this
/// bounds what one request can write.
pub const MAX_PART_BYTES: u64 = 5 << 30;

/// Removes the earlier uploads of part `number` (files `{number:05}.*` other than `kept`): a part
/// uploaded again replaces the one before. A completion that already opened a removed file
/// still reads it whole; one that had not gets "another ETag", as S3 answers.
pub(super) fn remove_superseded_parts(directory: &Path, number: u32, kept: &str) -> io::Result<()> {
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
pub(super) struct UploadRecord {
    /// The object's key.
    pub(super) key: String,
    /// How many parts it has.
    pub(super) part_count: u32,
    /// When its part URLs expire, unix seconds: after it the upload can only be swept.
    pub(super) expires: i64,
    /// The object's size and the size of every part but the last, when the upload was started
    /// with a plan (`BlobStore::start_planned_multipart`): each part must be exactly its size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plan: Option<(u64, u64)>,
}

impl UploadRecord {
    /// What part `number` (1..=part_count) must be.
    pub(super) fn expected(&self, number: u32) -> Expected {
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
pub(super) fn part_file(number: u32, sha256_hex: &str) -> String {
    format!("{number:05}.{sha256_hex}")
}

/// The record of the upload in `directory`.
pub(super) fn read_upload(directory: &Path, key: &str) -> Result<UploadRecord, BlobError> {
    let json = std::fs::read(directory.join(UPLOAD_FILE))
        .map_err(|e| io_error("multipart upload", key, &e))?;
    serde_json::from_slice(&json).map_err(|e| BlobError::Unavailable {
        operation: "multipart upload",
        key: key.to_owned(),
        message: format!("{} is unreadable: {e}", directory.display()),
    })
}

impl FileBlobStore {
    /// The directory of upload `upload_id`, if it is an id the store could have made.
    pub(super) fn upload_dir(&self, upload_id: &str) -> Option<PathBuf> {
        is_upload_id(upload_id).then(|| self.data_dir.join(MULTIPART).join(upload_id))
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

    /// Starts a multipart upload of `part_count` parts, each bound to its size when `plan`
    /// (object size, part size) is given.
    pub(super) async fn start_upload(
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

    /// `BlobStore::complete_multipart`: joins the listed parts, in order and with their ETags,
    /// into the object, then removes the upload.
    pub(super) async fn complete_upload(
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

    /// `BlobStore::abort_multipart`: removes the upload and its parts.
    pub(super) async fn abort_upload(&self, key: &str, upload_id: &str) -> Result<(), BlobError> {
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
