//! A world of in-memory adapters with the use cases wired to them, and the repository's real
//! test files.

#![allow(dead_code, clippy::unwrap_used)]

use std::{path::PathBuf, sync::Arc};

use genoflow_core::{
    lifecycle::Status,
    memory::{ManualClock, MemoryBlobStore, MemoryQueue, MemoryTable},
    model::DatasetView,
    ports::{Clock, DatasetState, Table},
    usecases::{
        analyze::{AnalyzeSamples, PanelSource},
        datasets::Datasets,
        object_created::{
            DEFAULT_VALIDATION_LEASE, ObjectCreated, ObjectOutcome, SampleProgress, ValidateObjects,
        },
        sweeper::{SweepSettings, Sweeper},
        upload::{
            FileDeclaration, UploadInstructions, UploadLimits, UploadRequest, UploadResponse,
            Uploads,
        },
    },
};
use genoflow_genomics::analysis::{self, BUILTIN_TB};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// The address of the SIP-018 test key `753b7cc0…a601` on testnet.
pub const ALICE: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
/// Another owner.
pub const BOB: &str = "ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG";

/// 2027-01-15T08:00:00Z.
pub const START: i64 = 1_800_000_000;

/// A file of the repository's `tests/data`.
pub fn data(relative: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The declaration of `bytes` as `filename`.
pub fn declare(filename: &str, bytes: &[u8]) -> FileDeclaration {
    FileDeclaration {
        filename: filename.to_owned(),
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        format: None,
    }
}

/// A key as S3 puts it in an event: URL-encoded, space as `+` (our file names allow only these
/// two characters that need it).
pub fn s3_event_key(key: &str) -> String {
    key.replace('+', "%2B").replace(' ', "+")
}

pub struct World {
    pub table: Arc<MemoryTable>,
    pub blobs: Arc<MemoryBlobStore>,
    pub queue: Arc<MemoryQueue>,
    pub clock: Arc<ManualClock>,
    pub uploads: Uploads,
    pub validate: ValidateObjects,
    pub datasets: Datasets,
    pub analyze: AnalyzeSamples,
    pub sweeper: Sweeper,
}

impl World {
    pub fn new() -> Self {
        Self::with_limits(UploadLimits::default())
    }

    pub fn with_limits(limits: UploadLimits) -> Self {
        let blobs = Arc::new(MemoryBlobStore::default());
        let table = Arc::new(MemoryTable::default());
        let queue = Arc::new(MemoryQueue::default());
        let clock = Arc::new(ManualClock::new(
            OffsetDateTime::from_unix_timestamp(START).unwrap(),
        ));
        Self {
            analyze: AnalyzeSamples {
                table: table.clone(),
                blobs: blobs.clone(),
                queue: queue.clone(),
                clock: clock.clone(),
                panel: Arc::new(PanelSource::named(BUILTIN_TB)),
                options: analysis::Options::default(),
                analysis_lease: time::Duration::minutes(15),
            },
            sweeper: Sweeper {
                table: table.clone(),
                blobs: blobs.clone(),
                queue: queue.clone(),
                clock: clock.clone(),
                settings: SweepSettings {
                    analysis_lease: time::Duration::minutes(15),
                    ..SweepSettings::default()
                },
            },
            uploads: Uploads {
                table: table.clone(),
                blobs: blobs.clone(),
                clock: clock.clone(),
                limits,
            },
            validate: ValidateObjects {
                table: table.clone(),
                blobs: blobs.clone(),
                queue: queue.clone(),
                clock: clock.clone(),
                options: genoflow_genomics::Options::default(),
                validation_lease: DEFAULT_VALIDATION_LEASE,
            },
            datasets: Datasets {
                table: table.clone(),
                blobs: blobs.clone(),
                chain: None,
            },
            table,
            blobs,
            queue,
            clock,
        }
    }

    /// Requests an upload of `files` for `owner` and PUTs each file through its presigned URL,
    /// as a browser would.
    pub async fn upload(&self, owner: &str, files: &[(&str, &[u8])]) -> UploadResponse {
        let request = UploadRequest {
            files: files
                .iter()
                .map(|(name, bytes)| declare(name, bytes))
                .collect(),
            sample_name: None,
        };
        let response = self.uploads.create(owner, &request).await.unwrap();
        for ((_, bytes), dataset) in files.iter().zip(&response.datasets) {
            let UploadInstructions::Single(put) = &dataset.upload else {
                panic!("expected a single PUT");
            };
            self.blobs
                .put_presigned(put, &put.headers, bytes.to_vec(), self.clock.now())
                .unwrap();
        }
        response
    }

    /// Uploads and validates `files` as one sample of Alice's: its analysis is requested.
    /// Answers the sample id and the dataset ids.
    pub async fn validated_sample(&self, files: &[(&str, Vec<u8>)]) -> (String, Vec<String>) {
        let pairs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let created = self.upload(ALICE, &pairs).await;
        let ids: Vec<String> = created
            .datasets
            .iter()
            .map(|d| d.dataset_id.clone())
            .collect();
        let mut last = None;
        for ((name, _), id) in files.iter().zip(&ids) {
            last = Some(self.object_created(ALICE, id, name).await);
        }
        assert!(
            matches!(
                last,
                Some(ObjectOutcome::Validated {
                    sample: SampleProgress::AnalysisRequested,
                    ..
                })
            ),
            "{last:?}"
        );
        (created.sample_id, ids)
    }

    /// Moves the dataset to `status` (the next revision), as a handler that claimed it and died
    /// left it.
    pub async fn force_status(&self, dataset_id: &str, status: Status) {
        let dataset = self.table.get_dataset(dataset_id).await.unwrap().unwrap();
        let mut moved = dataset.clone();
        moved.status = status;
        moved.revision += 1;
        moved.updated_at = self.clock.now();
        self.table
            .update_dataset(&moved, DatasetState::of(&dataset))
            .await
            .unwrap();
    }

    /// Another analyser over the same ports (to run one in a task of its own).
    pub fn analyzer(&self) -> AnalyzeSamples {
        AnalyzeSamples {
            table: self.table.clone(),
            blobs: self.blobs.clone(),
            queue: self.queue.clone(),
            clock: self.clock.clone(),
            panel: self.analyze.panel.clone(),
            options: self.analyze.options.clone(),
            analysis_lease: self.analyze.analysis_lease,
        }
    }

    /// `GET /datasets/{id}`'s dataset view, as `owner` reads it.
    pub async fn view(&self, owner: &str, dataset_id: &str) -> DatasetView {
        self.datasets.get(owner, dataset_id).await.unwrap().dataset
    }

    /// Delivers the object-created event of `owner`'s `filename` of `dataset_id`.
    pub async fn object_created(
        &self,
        owner: &str,
        dataset_id: &str,
        filename: &str,
    ) -> ObjectOutcome {
        let key = genoflow_core::keys::upload_key(owner, dataset_id, filename);
        self.validate
            .handle(&ObjectCreated {
                key: s3_event_key(&key),
            })
            .await
            .unwrap()
    }
}
