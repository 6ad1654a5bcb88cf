//! `POST /uploads` and `POST /uploads/{dataset_id}/complete`.

use std::sync::Arc;

use genoflow_genomics::Format;
use serde::{Deserialize, Serialize};

use crate::{
    error::{Error, UploadRejection},
    keys::{check_filename, upload_key},
    lifecycle::{SampleStatus, Status},
    model::{Dataset, Sample, Specimen, UploadKind, new_id},
    ports::{
        BlobStore, Clock, CompletedPart, ObjectIntegrity, PartPlan, PartUrl, PresignedPut, Table,
    },
};

/// S3's largest single PUT: 5 GiB.
pub const S3_MAX_SINGLE_PUT: u64 = 5 * 1024 * 1024 * 1024;
/// S3's most parts per multipart upload.
pub const S3_MAX_PARTS: u64 = 10_000;
/// S3's largest object: 5 TiB.
pub const S3_MAX_OBJECT: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// S3's largest part: 5 GiB.
pub const S3_MAX_PART: u64 = 5 * 1024 * 1024 * 1024;
/// The most part URLs one file's multipart plan lists: larger files get larger parts. Lambda
/// answers at most 6 MB (6,291,456 bytes); a presigned S3 part URL is at most about 3,100 bytes
/// of JSON (bucket, a percent-encoded 255-byte file name, the upload id and the Lambda role's
/// session token), so two files of 500 parts stay near 3.1 MB, half the limit
/// (`docs/OPERATIONS.md`, "Limits and where they come from").
pub const MAX_PARTS_PER_FILE: u64 = 500;
/// The largest file whose plan keeps to [`MAX_PARTS_PER_FILE`] parts of at most
/// [`S3_MAX_PART`]: about 2.4 TiB, whatever `max_file_size` says.
pub const MAX_PLANNED_FILE: u64 = MAX_PARTS_PER_FILE * S3_MAX_PART;
const GIB: u64 = 1024 * 1024 * 1024;
/// The longest `sample_name`.
pub const MAX_SAMPLE_NAME_LEN: usize = 200;
/// Datasets read per page when counting a user's quota.
const QUOTA_PAGE: usize = 100;

/// What uploads may be, and how much one user may store and have in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest file accepted (at most [`S3_MAX_OBJECT`]).
    pub max_file_size: u64,
    /// Largest sample (its files together): what one analysis gets through in its time.
    pub max_sample_size: u64,
    /// Bytes one user may have stored (every dataset but the uploads that can no longer
    /// arrive); a request past it is refused with 413 `quota_exceeded`.
    pub max_bytes_per_user: u64,
    /// Files one user may have waiting for their bytes (URLs issued and unexpired); a request
    /// past it is refused with 429 `too_many_uploads`.
    pub max_uploads_in_flight: u32,
    /// Files up to this size get one presigned PUT, larger ones a multipart upload (at most
    /// [`S3_MAX_SINGLE_PUT`] on S3).
    pub single_put_max: u64,
    /// Smallest part of a multipart upload (S3 requires at least 5 MiB for all but the last).
    pub min_part_size: u64,
    /// How long a single PUT URL works.
    pub put_url_ttl: time::Duration,
    /// How long multipart part URLs work.
    pub multipart_url_ttl: time::Duration,
}

impl Default for UploadLimits {
    /// Files and samples up to 2 GiB (what one analysis gets through in Lambda's 900 s even
    /// when every read falls on the panel, measured: `docs/OPERATIONS.md`, "Limits and where
    /// they come from"); 100 GiB stored and 100 files in flight (a batch of 50 read pairs) per
    /// user; one PUT up to 5 GiB; parts of 64 MiB or more; URLs for 1 h (single) or 12 h
    /// (parts).
    fn default() -> Self {
        Self {
            max_file_size: 2 * GIB,
            max_sample_size: 2 * GIB,
            max_bytes_per_user: 100 * GIB,
            max_uploads_in_flight: 100,
            single_put_max: S3_MAX_SINGLE_PUT,
            min_part_size: 64 * 1024 * 1024,
            put_url_ttl: time::Duration::hours(1),
            multipart_url_ttl: time::Duration::hours(12),
        }
    }
}

impl UploadLimits {
    /// `(part_size, part_count)` for a multipart upload of `size` bytes: parts of at least
    /// `min_part_size`, and larger (rounded up to whole MiB, up to S3's 5 GiB) when that would
    /// need more than [`MAX_PARTS_PER_FILE`] parts, so that the part URLs of a sample fit one
    /// Lambda response.
    ///
    /// ```
    /// use genoflow_core::usecases::upload::UploadLimits;
    /// let limits = UploadLimits::default();
    /// assert_eq!(limits.parts_for(6 << 30), (64 << 20, 96));
    /// assert_eq!(limits.parts_for(200 << 30), (410 << 20, 500));
    /// let (part_size, count) = limits.parts_for(5 << 40);
    /// assert!(count <= 10_000 && part_size <= 5 << 30 && part_size * u64::from(count) >= 5 << 40);
    /// ```
    pub fn parts_for(&self, size: u64) -> (u64, u32) {
        const MIB: u64 = 1024 * 1024;
        let needed = size.div_ceil(MAX_PARTS_PER_FILE.min(S3_MAX_PARTS));
        let part_size = if needed <= self.min_part_size {
            self.min_part_size.max(1)
        } else {
            (needed.div_ceil(MIB) * MIB).min(S3_MAX_PART)
        };
        let count = size.div_ceil(part_size);
        (part_size, u32::try_from(count).unwrap_or(u32::MAX))
    }
}

/// One file as declared in `POST /uploads`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDeclaration {
    /// File name (see [`check_filename`]).
    pub filename: String,
    /// Exact size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// `fastq`, `fasta`, `sam`, `bam`, `cram` or `vcf`; detected when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// A `POST /uploads` body: one sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// One file, or two for a read pair, in upload order.
    pub files: Vec<FileDeclaration>,
    /// An optional label: 1 to 200 printable characters. It names the sample in every view,
    /// in `report.json` and in `variants.vcf`'s sample column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_name: Option<String>,
    /// Optional specimen details (see [`check_specimen`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specimen: Option<Specimen>,
}

/// The date of `YYYY-MM-DD`, if it is one.
fn calendar_date(text: &str) -> Option<time::Date> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| text[range].parse::<u16>().ok())
            .flatten()
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    time::Date::from_calendar_date(i32::from(year), month, u8::try_from(day).ok()?).ok()
}

/// The longest specimen field.
pub const MAX_SPECIMEN_FIELD_LEN: usize = 200;

/// Checks the specimen details of an upload: each field given is 1 to
/// [`MAX_SPECIMEN_FIELD_LEN`] printable characters, and `collection_date` is a real
/// `YYYY-MM-DD` date.
///
/// ```
/// use genoflow_core::{model::Specimen, usecases::upload::check_specimen};
/// let good = Specimen { collection_date: Some("2024-02-29".into()), ..Specimen::default() };
/// assert!(check_specimen(&good).is_ok());
/// let bad = Specimen { collection_date: Some("2023-02-29".into()), ..Specimen::default() };
/// assert!(check_specimen(&bad).unwrap_err().to_string().contains("collection_date"));
/// ```
///
/// # Errors
/// [`UploadRejection::Specimen`] naming the field and what is wrong.
pub fn check_specimen(specimen: &Specimen) -> Result<(), UploadRejection> {
    let fields = [
        ("specimen_id", &specimen.specimen_id),
        ("collection_date", &specimen.collection_date),
        ("submitter", &specimen.submitter),
    ];
    for (field, value) in fields {
        let Some(value) = value else { continue };
        let length = value.chars().count();
        let problem = if value.trim().is_empty() {
            Some("is empty; leave it out instead".to_owned())
        } else if length > MAX_SPECIMEN_FIELD_LEN {
            Some(format!(
                "is {length} characters long; at most {MAX_SPECIMEN_FIELD_LEN} are allowed"
            ))
        } else {
            value.chars().find(|c| c.is_control()).map(|c| {
                format!("contains the control character {c:?}; use printable characters only")
            })
        };
        if let Some(message) = problem {
            return Err(UploadRejection::Specimen { field, message });
        }
    }
    if let Some(date) = &specimen.collection_date {
        let well_formed = calendar_date(date).is_some();
        if !well_formed {
            return Err(UploadRejection::Specimen {
                field: "collection_date",
                message: format!("{date:?} is not a date of the form YYYY-MM-DD (2024-03-15)"),
            });
        }
    }
    Ok(())
}

impl UploadRequest {
    /// Parses a body: `{files: [...], sample_name?}`, or a single `{filename, size, sha256,
    /// format?}` meaning a sample of one file.
    ///
    /// ```
    /// use genoflow_core::usecases::upload::UploadRequest;
    /// let one = UploadRequest::from_json(br#"{"filename": "a.fq", "size": 10, "sha256": "00"}"#)?;
    /// assert_eq!(one.files.len(), 1);
    /// assert!(UploadRequest::from_json(br#"{"files": "a.fq"}"#).is_err());
    /// # Ok::<(), genoflow_core::error::UploadRejection>(())
    /// ```
    ///
    /// # Errors
    /// [`UploadRejection::Body`] naming what does not parse.
    pub fn from_json(body: &[u8]) -> Result<Self, UploadRejection> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| UploadRejection::Body(e.to_string()))?;
        let parsed = if value.get("files").is_some() {
            serde_json::from_value(value)
        } else {
            serde_json::from_value(value).map(|file| Self {
                files: vec![file],
                sample_name: None,
                specimen: None,
            })
        };
        parsed.map_err(|e| UploadRejection::Body(e.to_string()))
    }
}

/// Multipart instructions: the `upload` object above the single-PUT limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultipartInstructions {
    /// Always `true`.
    pub multipart: bool,
    /// The store's upload id.
    pub upload_id: String,
    /// Bytes per part; the last part holds the rest.
    pub part_size: u64,
    /// One URL per part.
    pub parts: Vec<PartUrl>,
    /// When the part URLs stop working, unix seconds.
    pub expires: i64,
}

/// How to send one file's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UploadInstructions {
    /// `{method: "PUT", url, headers, expires}`.
    Single(PresignedPut),
    /// `{multipart: true, upload_id, part_size, parts, expires}`.
    Multipart(MultipartInstructions),
}

/// One dataset of the 201 body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetUpload {
    /// The new dataset.
    pub dataset_id: String,
    /// How to send its bytes.
    pub upload: UploadInstructions,
}

/// The 201 body `{sample_id, datasets: [{dataset_id, upload}]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// The new sample.
    pub sample_id: String,
    /// One per file, in request order.
    pub datasets: Vec<DatasetUpload>,
}

/// The `POST /uploads/{dataset_id}/complete` body `{parts: [{number, etag}]}`.
///
/// ```
/// use genoflow_core::usecases::upload::CompleteRequest;
/// let body: CompleteRequest = serde_json::from_str(r#"{"parts": [{"number": 1, "etag": "\"a1\""}]}"#)?;
/// assert_eq!(body.parts[0].etag, "\"a1\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteRequest {
    /// Every part, numbers 1..=n in order, with the ETag each part's PUT answered.
    pub parts: Vec<CompletedPart>,
}

/// A declaration that passed the checks.
struct CheckedFile<'a> {
    declaration: &'a FileDeclaration,
    integrity: ObjectIntegrity,
    format: Option<Format>,
}

/// The upload use cases.
pub struct Uploads {
    /// Dataset and sample records.
    pub table: Arc<dyn Table>,
    /// Signs the URLs.
    pub blobs: Arc<dyn BlobStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Size and URL limits.
    pub limits: UploadLimits,
}

impl Uploads {
    /// Creates a sample of one file or a read pair for `owner` and answers how to upload each
    /// file under `uploads/{owner}/{dataset_id}/{filename}`.
    ///
    /// # Errors
    /// [`Error::Upload`] for a request outside the limits; port errors otherwise.
    pub async fn create(
        &self,
        owner: &str,
        request: &UploadRequest,
    ) -> Result<UploadResponse, Error> {
        let files = self.check(request)?;
        let now = self.clock.now();
        self.check_quota(owner, &files, now).await?;
        let sample_id = new_id();
        let mut datasets = Vec::with_capacity(files.len());
        let mut uploads = Vec::with_capacity(files.len());
        for file in &files {
            let dataset_id = new_id();
            let key = upload_key(owner, &dataset_id, &file.declaration.filename);
            let (kind, upload) = if file.integrity.size <= self.limits.single_put_max {
                let expires = now + self.limits.put_url_ttl;
                let put = self
                    .blobs
                    .presign_put(&key, file.integrity, expires)
                    .await?;
                (UploadKind::Single, UploadInstructions::Single(put))
            } else {
                let expires = now + self.limits.multipart_url_ttl;
                let (part_size, part_count) = self.limits.parts_for(file.integrity.size);
                let plan = PartPlan {
                    size: file.integrity.size,
                    part_size,
                    part_count,
                };
                let started = self
                    .blobs
                    .start_planned_multipart(&key, plan, expires)
                    .await?;
                (
                    UploadKind::Multipart {
                        upload_id: started.upload_id.clone(),
                        part_size,
                        part_count,
                    },
                    UploadInstructions::Multipart(MultipartInstructions {
                        multipart: true,
                        upload_id: started.upload_id,
                        part_size,
                        parts: started.parts,
                        expires: expires.unix_timestamp(),
                    }),
                )
            };
            datasets.push(Dataset {
                dataset_id: dataset_id.clone(),
                sample_id: sample_id.clone(),
                owner: owner.to_owned(),
                filename: file.declaration.filename.clone(),
                key,
                size: file.integrity.size,
                sha256: hex::encode(file.integrity.sha256),
                format: file.format.map(|format| format.as_str().to_owned()),
                status: Status::Pending,
                validation: None,
                error: None,
                upload: kind,
                revision: 0,
                created_at: now,
                updated_at: now,
            });
            uploads.push(DatasetUpload { dataset_id, upload });
        }
        // The sample first: an object can only be validated once its sample can be found.
        self.table
            .create_sample(&Sample {
                sample_id: sample_id.clone(),
                owner: owner.to_owned(),
                sample_name: request.sample_name.clone(),
                specimen: request.specimen.clone(),
                dataset_ids: datasets.iter().map(|d| d.dataset_id.clone()).collect(),
                status: SampleStatus::Waiting,
                error: None,
                analysis: None,
                anchor: None,
                created_at: now,
                updated_at: now,
            })
            .await?;
        for dataset in &datasets {
            self.table.create_dataset(dataset).await?;
        }
        tracing::info!(%owner, %sample_id, files = datasets.len(), "upload requested");
        Ok(UploadResponse {
            sample_id,
            datasets: uploads,
        })
    }

    fn check<'a>(
        &self,
        request: &'a UploadRequest,
    ) -> Result<Vec<CheckedFile<'a>>, UploadRejection> {
        if !(1..=2).contains(&request.files.len()) {
            return Err(UploadRejection::FileCount(request.files.len()));
        }
        if let Some(name) = &request.sample_name
            && (name.is_empty()
                || name.chars().count() > MAX_SAMPLE_NAME_LEN
                || name.chars().any(char::is_control))
        {
            return Err(UploadRejection::SampleName);
        }
        if let Some(specimen) = &request.specimen {
            check_specimen(specimen)?;
        }
        if let [first, second] = request.files.as_slice()
            && first.filename == second.filename
        {
            return Err(UploadRejection::DuplicateFilename(first.filename.clone()));
        }
        let max = self
            .limits
            .max_file_size
            .min(S3_MAX_OBJECT)
            .min(MAX_PLANNED_FILE);
        let files = request
            .files
            .iter()
            .map(|file| {
                check_filename(&file.filename)?;
                let filename = || file.filename.clone();
                if file.size == 0 || file.size > max {
                    return Err(UploadRejection::Size {
                        filename: filename(),
                        size: file.size,
                        max,
                    });
                }
                let sha256: [u8; 32] = hex::decode(&file.sha256)
                    .ok()
                    .and_then(|bytes| bytes.try_into().ok())
                    .ok_or_else(|| UploadRejection::Sha256 {
                        filename: filename(),
                    })?;
                let format = file
                    .format
                    .as_deref()
                    .map(str::parse::<Format>)
                    .transpose()
                    .map_err(|e| UploadRejection::Format {
                        filename: filename(),
                        message: e.to_string(),
                    })?;
                Ok(CheckedFile {
                    declaration: file,
                    integrity: ObjectIntegrity {
                        size: file.size,
                        sha256,
                    },
                    format,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sample_size = files
            .iter()
            .map(|file| file.integrity.size)
            .fold(0u64, u64::saturating_add);
        if sample_size > self.limits.max_sample_size {
            return Err(UploadRejection::SampleSize {
                size: sample_size,
                max: self.limits.max_sample_size,
            });
        }
        if files.len() == 2 {
            for file in &files {
                if let Some(format) = file.format.filter(|&format| format != Format::Fastq) {
                    return Err(UploadRejection::Format {
                        filename: file.declaration.filename.clone(),
                        message: format!("a two-file sample is a FASTQ read pair, not {format}"),
                    });
                }
            }
        }
        Ok(files)
    }

    /// Refuses a request that would take `owner` past their stored bytes or uploads in flight.
    /// Counts every dataset of theirs but the pending ones whose URLs expired (those bytes can
    /// no longer arrive).
    async fn check_quota(
        &self,
        owner: &str,
        files: &[CheckedFile<'_>],
        now: time::OffsetDateTime,
    ) -> Result<(), Error> {
        let (mut stored, mut in_flight) = (0u64, 0u32);
        let mut cursor = None;
        loop {
            let page = self
                .table
                .list_datasets(owner, QUOTA_PAGE, cursor.as_deref())
                .await?;
            for dataset in &page.datasets {
                if dataset.status == Status::Pending {
                    let ttl = match dataset.upload {
                        UploadKind::Single => self.limits.put_url_ttl,
                        UploadKind::Multipart { .. } => self.limits.multipart_url_ttl,
                    };
                    if dataset.created_at + ttl <= now {
                        continue;
                    }
                    in_flight = in_flight.saturating_add(1);
                }
                stored = stored.saturating_add(dataset.size);
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let asked = files
            .iter()
            .map(|file| file.integrity.size)
            .fold(0u64, u64::saturating_add);
        let count = u32::try_from(files.len()).unwrap_or(u32::MAX);
        if in_flight.saturating_add(count) > self.limits.max_uploads_in_flight {
            return Err(Error::TooManyUploads {
                in_flight,
                max: self.limits.max_uploads_in_flight,
            });
        }
        if stored.saturating_add(asked) > self.limits.max_bytes_per_user {
            return Err(Error::QuotaExceeded {
                stored,
                asked,
                max: self.limits.max_bytes_per_user,
            });
        }
        Ok(())
    }

    /// Completes `owner`'s multipart upload of a dataset with the parts' ETags.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a dataset that is not the owner's; [`Error::Conflict`] when it is
    /// not a pending multipart upload; [`Error::Upload`] when the part list does not match.
    pub async fn complete(
        &self,
        owner: &str,
        dataset_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), Error> {
        let dataset = super::owned_dataset(self.table.as_ref(), owner, dataset_id).await?;
        let UploadKind::Multipart {
            upload_id,
            part_count,
            ..
        } = &dataset.upload
        else {
            return Err(Error::Conflict {
                code: "not_multipart",
                message: format!(
                    "dataset {dataset_id} is a single-PUT upload; nothing to complete"
                ),
            });
        };
        if dataset.status != Status::Pending {
            return Err(Error::Conflict {
                code: "already_uploaded",
                message: format!("dataset {dataset_id} is already {}", dataset.status),
            });
        }
        let numbers_in_order = parts
            .iter()
            .enumerate()
            .all(|(index, part)| part.number as usize == index + 1);
        if parts.len() != *part_count as usize || !numbers_in_order {
            return Err(UploadRejection::Parts(format!(
                "list parts 1..={part_count} in order, each with the ETag its PUT answered"
            ))
            .into());
        }
        self.blobs
            .complete_multipart(&dataset.key, upload_id, parts)
            .await?;
        Ok(())
    }
}
