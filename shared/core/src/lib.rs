//! The GenoFlow domain: the dataset lifecycle, the ports (traits) every adapter implements,
//! and the use cases each function runs. Knows nothing of AWS; depends only on
//! `genoflow-genomics` (validation) and `genoflow-stacks` (SIP-018 login).
//!
//! | module | what |
//! | --- | --- |
//! | [`lifecycle`] | dataset and sample statuses and their transition tables |
//! | [`model`] | table records and API views |
//! | [`keys`] | the object key layout, event key decoding, file-name rules |
//! | [`ports`] | blob store, table, queue, chain, fetcher, clock, metrics, token signer |
//! | `genoflow_testkit::memory` | in-memory adapters of every port (a dev-dependency: the test kit) |
//! | [`stream`] | a blocking `Read` fed by async chunk producers (for adapters' `open_read`) |
//! | [`usecases`] | login, uploads, object-created validation, dataset routes |
//! | [`http`] | the HTTP API's routes, for any server that carries them |
//! | [`error`] | the use cases' error, its HTTP status and retryability |
//!
//! A sample of one FASTQ file, from upload request to analysis request, on in-memory adapters:
//!
//! ```
//! use std::sync::Arc;
//! use genoflow_testkit::memory::{ManualClock, MemoryBlobStore, MemoryQueue, MemoryTable};
//! use genoflow_core::usecases::object_created::{ObjectCreated, ObjectOutcome, SampleProgress, ValidateObjects};
//! use genoflow_core::usecases::upload::{UploadInstructions, UploadLimits, UploadRequest, Uploads};
//! use sha2::{Digest, Sha256};
//! use time::OffsetDateTime;
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let (table, blobs, queue) = (Arc::new(MemoryTable::default()), Arc::new(MemoryBlobStore::default()), Arc::new(MemoryQueue::default()));
//! let clock = Arc::new(ManualClock::new(OffsetDateTime::from_unix_timestamp(1_800_000_000)?));
//! let uploads = Uploads { table: table.clone(), blobs: blobs.clone(), clock: clock.clone(), limits: UploadLimits::default() };
//! let fastq = b"@r1\nACGT\n+\nIIII\n".to_vec();
//! let body = format!(r#"{{"filename": "r.fq", "size": {}, "sha256": "{}"}}"#, fastq.len(), hex::encode(Sha256::digest(&fastq)));
//! let owner = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
//! let created = uploads.create(owner, &UploadRequest::from_json(body.as_bytes())?).await?;
//! let UploadInstructions::Single(put) = &created.datasets[0].upload else { unreachable!() };
//! blobs.put_presigned(put, &put.headers, fastq, OffsetDateTime::from_unix_timestamp(1_800_000_001)?)?;
//!
//! let validate = ValidateObjects {
//!     table, blobs, queue: queue.clone(), clock,
//!     options: Default::default(), validation_lease: time::Duration::minutes(15),
//! };
//! let key = format!("uploads/{owner}/{}/r.fq", created.datasets[0].dataset_id);
//! let outcome = validate.handle(&ObjectCreated { key }).await?;
//! assert!(matches!(outcome, ObjectOutcome::Validated { sample: SampleProgress::AnalysisRequested, .. }));
//! assert_eq!(queue.sent().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(()) })
//! # .map_err(|e| e.to_string())?; Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod error;
pub mod http;
pub mod keys;
pub mod lifecycle;
pub mod model;
pub mod ports;
pub mod stream;
pub mod usecases;

pub use error::Error;
