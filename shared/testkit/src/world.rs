//! The use cases wired to in-memory adapters, with helpers that play the browser and S3, and
//! the extra ports and accounts the functions' handlers take: a node ([`World::chain`]), a token
//! signer ([`World::tokens`], [`World::route_ports`]) and the contract senders ([`sender`],
//! [`anchorer`]).

use std::sync::Arc;

use genoflow_core::{
    http::RoutePorts,
    lifecycle::Status,
    model::DatasetView,
    ports::{
        AnchorRequested, Chain, Claims, Clock, DatasetState, HmacSecret, HmacTokenSigner, Table,
        TokenSigner,
    },
    usecases::{
        analyze::{AnalyzeSamples, PanelSource},
        anchor::{AnchorBatches, Anchorer},
        datasets::Datasets,
        object_created::{
            DEFAULT_VALIDATION_LEASE, ObjectCreated, ObjectOutcome, SampleProgress, ValidateObjects,
        },
        submit::ContractSender,
        sweeper::{SweepSettings, Sweeper},
        upload::{UploadInstructions, UploadLimits, UploadRequest, UploadResponse, Uploads},
    },
};
use genoflow_genomics::analysis::{self, BUILTIN_TB};
use genoflow_stacks::{keys::PrivateKey, transaction::Network};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{
    fixtures::{declare, s3_event_key, store_analysed},
    keys::{ALICE, ANCHOR_KEY, DEPLOYER, START},
    memory::{ManualClock, MemoryBlobStore, MemoryChain, MemoryQueue, MemoryTable},
};

/// The secret of [`World::tokens`]: every world's tokens verify in every other world.
pub const TOKEN_SECRET: &[u8] = b"genoflow-test-token-secret-0123456789abcdef";

/// The fee of [`sender`]'s transactions, micro-STX.
pub const FEE: u64 = 10_000;

/// The testnet sender of contract calls signed with `key` (a hex key of [`crate::keys`]),
/// paying [`FEE`].
pub fn sender(key: &str) -> ContractSender {
    ContractSender {
        key: PrivateKey::from_hex(key).unwrap(),
        network: Network::Testnet,
        fee: FEE,
    }
}

/// The anchoring account: [`ANCHOR_KEY`]'s sender, anchoring in the deployer's `registry`.
pub fn anchorer() -> Anchorer {
    Anchorer {
        sender: sender(ANCHOR_KEY),
        registry: format!("{DEPLOYER}.registry"),
    }
}

/// Every use case of the data path over one set of in-memory ports; the clock starts at
/// [`START`] and moves only when a test moves it.
pub struct World {
    /// The table.
    pub table: Arc<MemoryTable>,
    /// The object store.
    pub blobs: Arc<MemoryBlobStore>,
    /// The analysis queue.
    pub queue: Arc<MemoryQueue>,
    /// The clock.
    pub clock: Arc<ManualClock>,
    /// The node, for the functions that take one ([`World::node`]); no use case of the world
    /// reads it.
    pub chain: Arc<MemoryChain>,
    /// The bearer-token signer (secret [`TOKEN_SECRET`]) of [`World::route_ports`].
    pub tokens: Arc<HmacTokenSigner>,
    /// `POST /uploads`.
    pub uploads: Uploads,
    /// The validator of uploaded objects.
    pub validate: ValidateObjects,
    /// Reads and deletes of datasets.
    pub datasets: Datasets,
    /// The analyser of samples.
    pub analyze: AnalyzeSamples,
    /// The sweeper of stuck work.
    pub sweeper: Sweeper,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// A world with the default upload limits.
    pub fn new() -> Self {
        Self::with_limits(UploadLimits::default())
    }

    /// A world with these upload limits.
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
            chain: Arc::new(MemoryChain::default()),
            tokens: Arc::new(HmacTokenSigner::new(
                HmacSecret::new(TOKEN_SECRET.to_vec()).unwrap(),
            )),
        }
    }

    /// The HTTP routes' ports (the api and presign functions) over this world's table, blobs,
    /// clock and [`World::tokens`].
    pub fn route_ports(&self) -> RoutePorts {
        RoutePorts {
            table: self.table.clone(),
            blobs: self.blobs.clone(),
            clock: self.clock.clone(),
            tokens: self.tokens.clone(),
        }
    }

    /// A bearer token of `owner` issued at [`START`], valid for an hour.
    pub fn token(&self, owner: &str) -> String {
        self.tokens.issue(&Claims {
            sub: owner.into(),
            iat: START,
            exp: START + 3600,
        })
    }

    /// [`World::chain`] as a function's node port (a connected node).
    pub fn node(&self) -> Option<Arc<dyn Chain>> {
        Some(self.chain.clone())
    }

    /// An anchorer of [`anchorer`]'s account over this world's ports, broadcasting to
    /// [`World::chain`] when `with_node` (otherwise signing and keeping, as without a node).
    pub fn anchor_batches(&self, with_node: bool) -> AnchorBatches {
        AnchorBatches {
            table: self.table.clone(),
            blobs: self.blobs.clone(),
            queue: self.queue.clone(),
            clock: self.clock.clone(),
            chain: if with_node { self.node() } else { None },
            anchorer: anchorer(),
            claim_lease: time::Duration::minutes(15),
        }
    }

    /// Stores Alice's analysed sample `s-{name}` of one dataset `d-{name}`, as the analyze
    /// function leaves it (its item is the SHA-256 of `name`); answers its anchor request.
    pub async fn analysed(&self, name: &str) -> AnchorRequested {
        let item = hex::encode(Sha256::digest(name.as_bytes()));
        store_analysed(self.table.as_ref(), ALICE, name, item, self.clock.now()).await
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
            specimen: None,
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
