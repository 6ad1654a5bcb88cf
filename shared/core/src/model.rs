//! The records the table holds and the views the API returns.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::lifecycle::{SampleState, SampleStatus, Status};

/// What is wrong with a dataset and where: the validator's diagnostic, the shape of
/// `validate --json`'s `error`, also used for problems found outside the validator (size or
/// SHA-256 mismatches, a sample's other file).
pub use genoflow_genomics::Diagnostic as Problem;

/// How the bytes of a dataset are uploaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UploadKind {
    /// One presigned PUT.
    Single,
    /// A multipart upload completed with `POST /uploads/{dataset_id}/complete`.
    Multipart {
        /// The object store's upload id.
        upload_id: String,
        /// Bytes per part (the last part may be shorter).
        part_size: u64,
        /// How many parts.
        part_count: u32,
    },
}

/// One uploaded file: the table record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Random id, also a path segment of [`Dataset::key`].
    pub dataset_id: String,
    /// The sample this file belongs to.
    pub sample_id: String,
    /// The Stacks address of the uploader.
    pub owner: String,
    /// The file name given by the uploader (checked by [`crate::keys::check_filename`]).
    pub filename: String,
    /// The object key, `uploads/{owner}/{dataset_id}/{filename}`.
    pub key: String,
    /// Declared size in bytes.
    pub size: u64,
    /// Declared SHA-256 of the stored bytes, lowercase hex.
    pub sha256: String,
    /// The declared format until validation, then the detected one.
    pub format: Option<String>,
    /// Where the dataset is in its life.
    pub status: Status,
    /// The validator's report (the `validate --json` document), once validated.
    pub validation: Option<serde_json::Value>,
    /// Why the dataset is `invalid` or `failed`.
    pub error: Option<Problem>,
    /// How the bytes are uploaded.
    pub upload: UploadKind,
    /// Bumped by every write: conditional writes check it with the status, so of two handlers
    /// that read the same record only the first write lands.
    pub revision: u64,
    /// When the upload was requested.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The last status change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A file of a sample that made the sample fail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleError {
    /// The dataset at fault.
    pub dataset_id: String,
    /// Its file name.
    pub filename: String,
    /// What is wrong with it.
    pub error: Problem,
}

/// One sample: a single file or a read pair uploaded together, analysed as one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Random id.
    pub sample_id: String,
    /// The Stacks address of the uploader.
    pub owner: String,
    /// The optional name the uploader gave.
    pub sample_name: Option<String>,
    /// The optional specimen details the uploader gave.
    #[serde(default)]
    pub specimen: Option<Specimen>,
    /// The sample's datasets in upload order (the order of `inputs_hash`).
    pub dataset_ids: Vec<String>,
    /// Where the sample is.
    pub status: SampleStatus,
    /// Why the sample failed.
    pub error: Option<SampleError>,
    /// The analysis' hashes, once analysed.
    #[serde(default)]
    pub analysis: Option<AnalysisRecord>,
    /// The batch the sample's item is anchored in, once batched.
    #[serde(default)]
    pub anchor: Option<AnchorRef>,
    /// When the upload was requested.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The last status change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What an analysis produced and the hashes that attest it (docs/ARCHITECTURE.md, "Attestation and
/// Merkle batches"). All hashes are lowercase hex of 32 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisRecord {
    /// `SHA-256(sha256 of file 1 ‖ … ‖ sha256 of file n)`, upload order.
    pub inputs_hash: String,
    /// SHA-256 of the `report.json` bytes.
    pub report_sha256: String,
    /// SHA-256 of the analysis configuration (the report's `pipeline_id`).
    pub pipeline_id: String,
    /// `SHA-256(inputs_hash ‖ report_sha256 ‖ pipeline_id)`: the Merkle leaf's item.
    pub item: String,
    /// The artifact file names written under each dataset's `results/{dataset_id}/`.
    pub artifacts: Vec<String>,
    /// The report's answer, for lists and filters (absent for samples analysed before it was
    /// kept).
    #[serde(default)]
    pub result: Option<SampleResult>,
    /// When the report was written (the report's date: `report.json` carries none, so that the
    /// same inputs give the same bytes).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub analyzed_at: Option<OffsetDateTime>,
}

/// The report's answer in short: the `result` of a sample view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleResult {
    /// The report's `classification` (`MDR-TB`, `none`, `undetermined`, …).
    pub classification: String,
    /// The drugs called `resistant`, first-line first.
    pub resistant_drugs: Vec<String>,
    /// The drugs called `unknown` (not assessed), first-line first.
    pub not_assessed_drugs: Vec<String>,
}

/// What the uploader says of the specimen a sample was sequenced from: every field optional,
/// each 1 to 200 printable characters, `collection_date` a `YYYY-MM-DD` date.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Specimen {
    /// The specimen's id in the uploader's records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specimen_id: Option<String>,
    /// When it was collected, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_date: Option<String>,
    /// Who submitted it (a clinic, a laboratory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitter: Option<String>,
}

/// Where a sample's item sits in a Merkle batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRef {
    /// The batch record's id.
    pub batch_id: String,
    /// The leaf index of the item.
    pub index: u64,
}

/// A used login nonce, kept until the login message it came with expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginNonce {
    /// The address that signed the login message.
    pub address: String,
    /// The message's nonce.
    pub nonce: u64,
    /// The message's `expires` (unix seconds); after it the record may be dropped (table TTL),
    /// since an expired message is refused anyway.
    pub expires_at: i64,
}

/// The `GET /datasets/{id}` body (docs/API.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetView {
    /// The dataset id.
    pub dataset_id: String,
    /// Its sample.
    pub sample_id: String,
    /// The uploader's Stacks address.
    pub owner: String,
    /// The file name.
    pub filename: String,
    /// Declared size in bytes.
    pub size: u64,
    /// Declared SHA-256, hex.
    pub sha256: String,
    /// Declared, then detected format.
    pub format: Option<String>,
    /// Lifecycle status.
    pub status: Status,
    /// The validation report.
    pub validation: Option<serde_json::Value>,
    /// Why `invalid` or `failed`.
    pub error: Option<Problem>,
    /// RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Where the dataset's sample is (on `GET /datasets/{id}`, not in lists): a valid file whose
    /// mate is invalid stays `valid`, and this says the sample failed and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleSummary>,
    /// The sample's name as the uploader gave it (`null` when none was).
    pub sample_name: Option<String>,
    /// Where the whole sample is ([`crate::lifecycle::sample_state`]): a valid file whose mate
    /// is invalid says `failed` here. `null` only when the sample record is gone.
    pub sample_status: Option<SampleState>,
    /// Why, when it helps (for `failed`: which file and its error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_status_reason: Option<String>,
}

impl DatasetView {
    /// The view of `dataset` with its sample's name and whole-sample state, from the sample
    /// record and the sample's datasets that still exist (`siblings`, `dataset` among them or
    /// not).
    pub fn of_sample(dataset: &Dataset, sample: Option<&Sample>, siblings: &[Dataset]) -> Self {
        let mut view = Self::from(dataset);
        if let Some(sample) = sample {
            let mut all: Vec<Dataset> = siblings
                .iter()
                .filter(|d| d.dataset_id != dataset.dataset_id)
                .cloned()
                .collect();
            all.push(dataset.clone());
            let state = crate::lifecycle::sample_state(sample, &all);
            view.sample_name.clone_from(&sample.sample_name);
            view.sample_status = Some(state.state);
            view.sample_status_reason = state.reason;
        }
        view
    }
}

/// A sample's progress as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SampleSummary {
    /// `waiting`, `analysis_requested` or `failed`.
    pub status: SampleStatus,
    /// The file that failed the sample and its error.
    pub error: Option<SampleError>,
}

impl From<&Sample> for SampleSummary {
    fn from(sample: &Sample) -> Self {
        Self {
            status: sample.status,
            error: sample.error.clone(),
        }
    }
}

impl From<&Dataset> for DatasetView {
    fn from(dataset: &Dataset) -> Self {
        Self {
            dataset_id: dataset.dataset_id.clone(),
            sample_id: dataset.sample_id.clone(),
            owner: dataset.owner.clone(),
            filename: dataset.filename.clone(),
            size: dataset.size,
            sha256: dataset.sha256.clone(),
            format: dataset.format.clone(),
            status: dataset.status,
            validation: dataset.validation.clone(),
            error: dataset.error.clone(),
            created_at: dataset.created_at,
            updated_at: dataset.updated_at,
            sample: None,
            sample_name: None,
            sample_status: None,
            sample_status_reason: None,
        }
    }
}

/// A new random id (UUID v4, lowercase hyphenated).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Where a function's own transaction (a batch's, an oracle value's) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Signed and stored; not broadcast yet (no node configured, or the node was unreachable).
    Signed,
    /// Accepted by the node's mempool.
    Broadcast,
    /// In a block with an `(ok ...)` result.
    Confirmed,
    /// Aborted on chain or refused for good (a failed batch's samples go back to `analyzed`
    /// and are requested again).
    Failed,
}

impl SubmissionStatus {
    /// `signed` or `broadcast`: the confirmation schedule still has work on it.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Signed | Self::Broadcast)
    }
}

/// One leaf of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    /// The sample.
    pub sample_id: String,
    /// Its item, hex.
    pub item: String,
}

/// A signed contract call a function sends (`registry.anchor-batch`, `oracle.submit`); the
/// default is the empty one a record holds until it is signed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainTransaction {
    /// Transaction id, hex.
    pub txid: String,
    /// The sender's address.
    pub sender: String,
    /// The sender's nonce it uses.
    pub nonce: u64,
    /// Fee in micro-STX.
    pub fee: u64,
    /// The serialized signed transaction, hex (what is broadcast, and re-broadcast).
    pub raw: String,
}

/// A Merkle batch of sample items and the transaction anchoring its root.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Random id of the record (the on-chain id is [`Batch::chain_batch_id`]).
    pub batch_id: String,
    /// The Merkle root, hex.
    pub root: String,
    /// The leaves in index order.
    pub items: Vec<BatchItem>,
    /// Where the transaction is.
    pub status: SubmissionStatus,
    /// The current transaction (re-signed with a new nonce if its nonce was lost).
    pub transaction: ChainTransaction,
    /// How many times it was broadcast.
    pub broadcasts: u32,
    /// The `batch-id` that `anchor-batch` returned, once confirmed.
    pub chain_batch_id: Option<u64>,
    /// The block that holds it, once confirmed.
    pub block_height: Option<u64>,
    /// The last broadcast refusal or on-chain abort.
    pub error: Option<String>,
    /// Bumped by every write (conditional updates check it).
    pub revision: u64,
    /// When it was signed.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The `GET /datasets/{id}/proof` body and `proof.json` (docs/API.md): everything needed to
/// check the sample's attestation offline, and on chain with `registry.verify-inclusion`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// `SHA-256(inputs_hash ‖ report_sha256 ‖ pipeline_id)`, hex.
    pub item: String,
    /// SHA-256 over the input files' SHA-256 in upload order, hex.
    pub inputs_hash: String,
    /// SHA-256 of `report.json`, hex.
    pub report_sha256: String,
    /// The report's pipeline id, hex.
    pub pipeline_id: String,
    /// The on-chain batch id; `null` until the transaction is confirmed.
    pub batch_id: Option<u64>,
    /// The batch's Merkle root, hex.
    pub root: String,
    /// The item's leaf index.
    pub index: u64,
    /// Sibling hashes from the leaf up, hex.
    pub proof: Vec<String>,
    /// Leaves in the batch.
    pub size: u64,
    /// The `anchor-batch` transaction id, hex.
    pub txid: String,
    /// `unbroadcast` (signed, no node configured), `signed` (not broadcast yet), `pending`,
    /// `confirmed` or `failed`.
    pub tx_status: String,
    /// The registry contract the batch is anchored in (`ADDRESS.registry`), so `genoflow
    /// verify --node` knows whom to ask.
    #[serde(default)]
    pub registry: String,
}

/// An external record signed by the oracle and submitted to `oracle.submit`: the latest one
/// per key (earlier documents stay in the blob store).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OracleValue {
    /// `SHA-256("{source}:{record_id}")`, hex: the contract's key.
    pub key: String,
    /// `clinvar`, `gene` or `catalogue`.
    pub source: String,
    /// The source's id of the record (the panel's name for `catalogue`).
    pub record_id: String,
    /// SHA-256 of the canonical JSON document, hex: the contract's value.
    pub value: String,
    /// Unix seconds of the fetch: the contract keeps only newer values, and refuses one more
    /// than 3600 s ahead of the chain's clock.
    pub timestamp: u64,
    /// `r ‖ s ‖ recovery id`, hex, over the oracle message of this key, value and timestamp for
    /// one oracle contract on one network (`usecases::oracle::message_hash`): `SHA-256(key ‖
    /// value ‖ to-consensus-buff?(timestamp) ‖ to-consensus-buff?(contract) ‖
    /// to-consensus-buff?(chain id))`.
    pub signature: String,
    /// The oracle's compressed public key, hex (registered with `oracle.set-oracle`).
    pub oracle_public_key: String,
    /// The blob key of the canonical document.
    pub document: String,
    /// The `oracle.submit` call.
    pub transaction: ChainTransaction,
    /// Where the call is.
    pub status: SubmissionStatus,
    /// The block that holds the call, once confirmed (absent from records written before it
    /// was kept).
    #[serde(default)]
    pub block_height: Option<u64>,
    /// The last refusal or abort.
    pub error: Option<String>,
    /// Bumped by every write.
    pub revision: u64,
    /// When it was signed.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What a [`Lease`] covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseKind {
    /// A dataset's validation (`uploaded`, or `pending` once handed back), by dataset id.
    Validation,
    /// A sample's analysis (`analysis_requested`, `analyzing`), by sample id.
    Analysis,
    /// A sample claimed into an anchoring batch that is not stored yet (`anchoring`), by
    /// sample id.
    Anchoring,
    /// A deleted dataset whose objects are removed once more when the work that was in flight
    /// has surely ended (late results, late uploads), by dataset id.
    Deletion,
}

impl LeaseKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [
        Self::Validation,
        Self::Analysis,
        Self::Anchoring,
        Self::Deletion,
    ];

    /// The snake_case name (JSON, table keys, logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::Analysis => "analysis",
            Self::Anchoring => "anchoring",
            Self::Deletion => "deletion",
        }
    }
}

/// A claim's marker for the sweeper (`usecases::sweeper`): written before a handler claims work
/// (or when a deletion leaves objects to remove again), removed when the work reaches a final
/// state. The sweeper lists the leases whose `expires_at` has passed and decides from the
/// record itself whether the work is stuck: `expires_at` only says when to look.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// What it covers.
    pub kind: LeaseKind,
    /// The dataset or sample id.
    pub id: String,
    /// When the sweeper should look at the record.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// How many times the sweeper returned the work (handed the claim back and sent the
    /// request again); past the limit it fails the work instead.
    pub returns: u32,
    /// The object key a deletion removes again (`uploads/{owner}/{dataset_id}/{filename}`).
    #[serde(default)]
    pub key: Option<String>,
    /// Why the work was last returned.
    #[serde(default)]
    pub reason: Option<String>,
    /// The last write.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Lease {
    /// A lease of `(kind, id)` written `now`, to be looked at `expires_at`, never returned yet.
    pub fn new(
        kind: LeaseKind,
        id: impl Into<String>,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            kind,
            id: id.into(),
            expires_at,
            returns: 0,
            key: None,
            reason: None,
            updated_at: now,
        }
    }
}
