//! The oracle function: external records (ClinVar variant classifications and NCBI Gene
//! annotation, both through NCBI E-utilities `esummary`) fetched, canonicalised, hashed, signed
//! and submitted to `oracle.submit` (docs/ARCHITECTURE.md, "Oracle"); and the panel's catalogue
//! (source `catalogue`, id the panel's name), whose document is not fetched but made from the
//! panel the deployment analyses with (`Panel::catalogue_document`), so a report's `catalogue`
//! attestation can be checked against the oracle's.
//!
//! - key = `SHA-256("{source}:{id}")`, value = `SHA-256(canonical document)`, where the
//!   canonical document is the fields GenoFlow attests, as JSON with sorted keys and no
//!   whitespace ([`canonical_json`]);
//! - the oracle signs [`message_hash`]: `SHA-256(key ‖ value ‖ to-consensus-buff?(timestamp)
//!   ‖ to-consensus-buff?(oracle contract) ‖ to-consensus-buff?(chain id))` (65 bytes,
//!   `r ‖ s ‖ recovery id`, low-S) with the same key that sends the transaction. The contract
//!   and the chain id tie a signature to one deployment on one network: another deployment,
//!   or the same contract on another network, recovers a different key and refuses it;
//! - the timestamp is the fetch time in unix seconds; the contract refuses one that is not
//!   newer than the stored value's, or more than an hour ahead of the chain's clock
//!   (`stacks-block-time`);
//! - an unchanged document is not signed again; a source that is down or answers garbage
//!   produces no signed record.

use std::sync::Arc;

pub use genoflow_genomics::analysis::attestation::canonical_json;
use genoflow_genomics::analysis::{Panel, attestation::Attestation};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    contracts::oracle,
    node::TxStatus,
    transaction::ContractCall,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    error::Error,
    model::{ChainTransaction, OracleValue, SubmissionStatus},
    ports::{BlobStore, Chain, Clock, HttpFetcher, Table, TableError},
};

use super::{
    analyze::PanelSource,
    submit::{Broadcast, ContractSender, NONCE_CLAIM_ATTEMPTS, broadcast, hash32},
};

/// Where the canonical documents are kept: `oracle/{source}/{id}/{timestamp}.json`.
pub const ORACLE_PREFIX: &str = "oracle/";

/// The oracle function's setting that names the oracle contract (`ADDRESS.oracle`).
pub const ORACLE_CONTRACT_SETTING: &str = "GENOFLOW_ORACLE_CONTRACT";

/// The public NCBI E-utilities base URL.
pub const NCBI_EUTILS: &str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils";

/// An external source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// ClinVar variation records (`esummary db=clinvar`).
    Clinvar,
    /// NCBI Gene records (`esummary db=gene`).
    Gene,
    /// The panel's catalogue and reference files (`Panel::catalogue_document`), by panel name.
    Catalogue,
}

impl Source {
    /// Every source.
    pub const ALL: [Self; 3] = [Self::Clinvar, Self::Gene, Self::Catalogue];

    /// The name used in keys, paths and routes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clinvar => "clinvar",
            Self::Gene => "gene",
            Self::Catalogue => "catalogue",
        }
    }

    /// The source named `name` ([`Self::as_str`]).
    ///
    /// ```
    /// use genoflow_core::usecases::oracle::Source;
    /// assert_eq!(Source::parse("catalogue"), Some(Source::Catalogue));
    /// assert_eq!(Source::parse("Gene"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|source| source.as_str() == name)
    }
}

/// One record to refresh: the oracle queue's message
/// (`{"type": "oracle_requested", "source": "clinvar", "id": "12345"}`) and an entry of the
/// schedule's watch list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "oracle_requested")]
pub struct OracleRequested {
    /// The source.
    pub source: Source,
    /// The source's numeric id (ClinVar variation id, NCBI Gene id), or the panel's name for
    /// `catalogue`.
    pub id: String,
}

impl OracleRequested {
    /// Parses a queue message.
    ///
    /// # Errors
    /// The JSON error: a poison message.
    pub fn from_json(body: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(body)
    }
}

/// The sources' base URLs (configurable, so tests and mirrors can stand in for NCBI).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceUrls {
    /// E-utilities base for ClinVar.
    pub clinvar: String,
    /// E-utilities base for Gene.
    pub gene: String,
}

impl Default for SourceUrls {
    fn default() -> Self {
        Self {
            clinvar: NCBI_EUTILS.to_owned(),
            gene: NCBI_EUTILS.to_owned(),
        }
    }
}

/// The oracle account and the contract it calls.
#[derive(Debug)]
pub struct OracleSigner {
    /// Signs the values (its public key registered with `oracle.set-oracle`) and pays for the
    /// `submit` calls.
    pub sender: ContractSender,
    /// The oracle contract, `ADDRESS.oracle` ([`ORACLE_CONTRACT_SETTING`]). Signatures are made
    /// for this deployment and `sender.network`'s chain id only.
    pub contract: String,
}

impl OracleSigner {
    /// [`Self::contract`] as a contract principal of [`Self::sender`]'s network.
    ///
    /// # Errors
    /// [`Error::Configuration`] naming [`ORACLE_CONTRACT_SETTING`] when it is not
    /// `ADDRESS.contract-name`, or its address belongs to the other network.
    pub fn contract_principal(&self) -> Result<Principal, Error> {
        super::contract_setting(
            ORACLE_CONTRACT_SETTING,
            &self.contract,
            "oracle",
            self.sender.network,
        )
    }

    /// The hash this oracle signs for `(key, value, timestamp)`: [`message_hash`] for its
    /// contract and its network's chain id.
    ///
    /// # Errors
    /// As [`Self::contract_principal`].
    pub fn message_hash(
        &self,
        key: &[u8; 32],
        value: &[u8; 32],
        timestamp: u64,
    ) -> Result<[u8; 32], Error> {
        Ok(message_hash(
            &self.contract_principal()?,
            self.sender.network.chain_id(),
            key,
            value,
            timestamp,
        ))
    }

    /// The signature `oracle.submit` takes for `(key, value, timestamp)`: 65 bytes,
    /// `r ‖ s ‖ recovery id`, low-S, over [`Self::message_hash`].
    ///
    /// # Errors
    /// As [`Self::contract_principal`]; [`Error::Chain`] if the key cannot sign.
    pub fn sign(
        &self,
        key: &[u8; 32],
        value: &[u8; 32],
        timestamp: u64,
    ) -> Result<[u8; 65], Error> {
        let hash = self.message_hash(key, value, timestamp)?;
        self.sender
            .key
            .sign(&hash)
            .map(|signature| signature.to_rsv())
            .map_err(|e| Error::Chain(format!("cannot sign the oracle value: {e}")))
    }
}

/// What a refresh did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OracleOutcome {
    /// A new value was signed and stored; `status` says whether it was broadcast.
    Submitted {
        /// The key, hex.
        key: String,
        /// The value, hex.
        value: String,
        /// The transaction id, hex.
        txid: String,
        /// `signed` (no node, or unreachable) or `broadcast`.
        status: SubmissionStatus,
    },
    /// The document has not changed since the stored value: nothing signed.
    Unchanged {
        /// The key, hex.
        key: String,
    },
}

/// The oracle use case.
pub struct OracleUpdates {
    /// Oracle values and the nonce counter.
    pub table: Arc<dyn Table>,
    /// The canonical documents.
    pub blobs: Arc<dyn BlobStore>,
    /// The time (the values' timestamps).
    pub clock: Arc<dyn Clock>,
    /// The node; `None` signs and keeps the transactions.
    pub chain: Option<Arc<dyn Chain>>,
    /// The sources.
    pub fetcher: Arc<dyn HttpFetcher>,
    /// Where the sources are.
    pub urls: SourceUrls,
    /// The oracle account.
    pub signer: OracleSigner,
    /// The panel the deployment analyses with: its catalogue is the `catalogue` source's only
    /// record, and its genes with an NCBI Gene id are watched ([`Self::panel_requests`]).
    /// `None`: no `catalogue` source.
    pub panel: Option<Arc<PanelSource>>,
}

/// What one refresh of a list did to one record ([`OracleUpdates::refresh_all`]).
#[derive(Debug)]
pub struct RefreshResult {
    /// The record.
    pub request: OracleRequested,
    /// What happened; an error signed nothing.
    pub outcome: Result<OracleOutcome, Error>,
}

impl OracleUpdates {
    /// Fetches one record, and if its canonical document changed, signs, stores and submits
    /// it.
    ///
    /// # Errors
    /// [`Error::Source`] when the source is down (retryable) or answers something that is not
    /// the record (not retryable); table, storage and node failures.
    pub async fn refresh(&self, request: &OracleRequested) -> Result<OracleOutcome, Error> {
        let document = match request.source {
            Source::Catalogue => self.catalogue_document(&request.id).await?,
            Source::Clinvar | Source::Gene => self.fetch_document(request).await?,
        };
        let (attestation, canonical) =
            Attestation::of(request.source.as_str(), &request.id, &document);
        let bytes = canonical.into_bytes();
        let (key, value) = (hash32(&attestation.key)?, hash32(&attestation.value)?);
        let (key_hex, value_hex) = (attestation.key, attestation.value);

        let stored = self.table.get_oracle_value(&key_hex).await?;
        if let Some(stored) = &stored
            && stored.value == value_hex
            && stored.status != SubmissionStatus::Failed
        {
            return Ok(OracleOutcome::Unchanged { key: key_hex });
        }
        // Strictly newer than what the contract holds, even within one second.
        let now = self.clock.now();
        let timestamp = u64::try_from(now.unix_timestamp())
            .unwrap_or(0)
            .max(stored.as_ref().map_or(0, |s| s.timestamp + 1));
        let signature = self.signer.sign(&key, &value, timestamp)?;

        let document_key = format!(
            "{ORACLE_PREFIX}{}/{}/{timestamp}.json",
            request.source.as_str(),
            request.id
        );
        self.blobs.put(&document_key, bytes).await?;

        let mut record = OracleValue {
            key: key_hex.clone(),
            source: request.source.as_str().to_owned(),
            record_id: request.id.clone(),
            value: value_hex.clone(),
            timestamp,
            signature: hex::encode(signature),
            oracle_public_key: hex::encode(self.signer.sender.key.public_key().to_bytes()),
            document: document_key,
            transaction: ChainTransaction::default(),
            status: SubmissionStatus::Signed,
            block_height: None,
            error: None,
            revision: stored.as_ref().map_or(0, |s| s.revision + 1),
            created_at: now,
            updated_at: now,
        };
        let call = self.submit_call(&record)?;
        self.sign_and_store(&mut record, stored.map(|s| s.revision), call, 0)
            .await?;
        tracing::info!(source = %record.source, id = %record.record_id, key = %record.key, timestamp, "oracle value signed");
        let record = self.publish(record).await?;
        Ok(OracleOutcome::Submitted {
            key: key_hex,
            value: value_hex,
            txid: record.transaction.txid,
            status: record.status,
        })
    }

    /// The schedule: broadcasts signed values and follows broadcast ones to a block.
    ///
    /// # Errors
    /// Table failures; node outages leave the values for the next run.
    pub async fn confirm(&self) -> Result<Vec<(String, SubmissionStatus)>, Error> {
        let Some(chain) = &self.chain else {
            return Ok(Vec::new());
        };
        let mut report = Vec::new();
        for record in self.table.open_oracle_values().await? {
            let record = if record.status == SubmissionStatus::Signed {
                self.publish(record).await?
            } else {
                let txid = hash32(&record.transaction.txid)?;
                match chain.transaction_status(&txid).await {
                    Ok(TxStatus::Success { block_height, .. }) => {
                        let mut record = record;
                        record.block_height = block_height;
                        self.set_status(record, SubmissionStatus::Confirmed, None)
                            .await?
                    }
                    Ok(TxStatus::AbortByResponse { result, .. }) => {
                        let why = result.map_or_else(
                            || "aborted by response".to_owned(),
                            |r| format!("aborted by response {}", r.to_hex()),
                        );
                        self.set_status(record, SubmissionStatus::Failed, Some(why))
                            .await?
                    }
                    Ok(TxStatus::AbortByPostCondition { .. }) => {
                        let why = "aborted by a post-condition".to_owned();
                        self.set_status(record, SubmissionStatus::Failed, Some(why))
                            .await?
                    }
                    Ok(TxStatus::NotFound | TxStatus::Dropped(_)) => {
                        let mut record = record;
                        record.status = SubmissionStatus::Signed;
                        self.publish(record).await?
                    }
                    Ok(TxStatus::Pending) | Err(_) => record,
                }
            };
            report.push((record.key, record.status));
        }
        Ok(report)
    }

    /// The records the deployment attests on its own: each gene of the panel with an NCBI
    /// Gene id (source `gene`), then the panel's catalogue (source `catalogue`, id the panel's
    /// name). Empty without a panel.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the panel cannot be loaded.
    pub async fn panel_requests(&self) -> Result<Vec<OracleRequested>, Error> {
        let Some(panel) = self.load_panel().await? else {
            return Ok(Vec::new());
        };
        let mut requests: Vec<OracleRequested> = panel
            .genes
            .iter()
            .filter_map(|gene| gene.ncbi_gene_id.clone())
            .map(|id| OracleRequested {
                source: Source::Gene,
                id,
            })
            .collect();
        requests.push(OracleRequested {
            source: Source::Catalogue,
            id: panel.name.clone(),
        });
        Ok(requests)
    }

    /// [`Self::refresh`] of each record in turn (a repeated one once): one record's failure is
    /// logged and reported, and the others are still refreshed.
    pub async fn refresh_all(&self, requests: &[OracleRequested]) -> Vec<RefreshResult> {
        let mut results: Vec<RefreshResult> = Vec::with_capacity(requests.len());
        for request in requests {
            if results.iter().any(|done| &done.request == request) {
                continue;
            }
            let outcome = self.refresh(request).await;
            match &outcome {
                Ok(outcome) => {
                    tracing::info!(source = request.source.as_str(), id = %request.id, ?outcome, "oracle record refreshed")
                }
                Err(error) => {
                    tracing::error!(source = request.source.as_str(), id = %request.id, code = error.code(), %error, "oracle refresh failed; nothing signed")
                }
            }
            results.push(RefreshResult {
                request: request.clone(),
                outcome,
            });
        }
        results
    }

    /// The panel, loaded off the async threads the first time.
    async fn load_panel(&self) -> Result<Option<Arc<Panel>>, Error> {
        let Some(source) = self.panel.clone() else {
            return Ok(None);
        };
        load_panel(source).await.map(Some)
    }

    /// The `catalogue` document of panel `id`, which must be the deployment's panel.
    async fn catalogue_document(&self, id: &str) -> Result<Value, Error> {
        let refused = |message: String| Error::Source {
            url: format!("catalogue:{id}"),
            message,
            retryable: false,
        };
        let panel = self.load_panel().await?.ok_or_else(|| {
            refused("this deployment has no panel, so it attests no catalogue".to_owned())
        })?;
        if panel.name != id {
            return Err(refused(format!(
                "the catalogue attested is the one of the panel this deployment analyses with, \
                 {:?}; ask for that id, not {id:?}",
                panel.name
            )));
        }
        Ok(panel.catalogue_document())
    }

    /// The canonical document of a ClinVar or Gene record, fetched from its source.
    async fn fetch_document(&self, request: &OracleRequested) -> Result<Value, Error> {
        let url = self.url(request)?;
        let response = self.fetcher.get(&url).await.map_err(|e| Error::Source {
            url: url.clone(),
            message: e.message,
            retryable: true,
        })?;
        if response.status != 200 {
            return Err(Error::Source {
                url,
                message: format!("HTTP {}", response.status),
                retryable: response.status >= 500 || response.status == 429,
            });
        }
        canonical_document(request, &response.body).map_err(|message| Error::Source {
            url,
            message,
            retryable: false,
        })
    }

    fn url(&self, request: &OracleRequested) -> Result<String, Error> {
        if request.id.is_empty() || !request.id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Source {
                url: String::new(),
                message: format!(
                    "{} id {:?} must be digits",
                    request.source.as_str(),
                    request.id
                ),
                retryable: false,
            });
        }
        let (base, db) = match request.source {
            Source::Clinvar => (&self.urls.clinvar, "clinvar"),
            Source::Gene => (&self.urls.gene, "gene"),
            Source::Catalogue => {
                return Err(Error::Source {
                    url: format!("catalogue:{}", request.id),
                    message: "the catalogue is not fetched".to_owned(),
                    retryable: false,
                });
            }
        };
        Ok(format!(
            "{}/esummary.fcgi?db={db}&id={}&retmode=json",
            base.trim_end_matches('/'),
            request.id
        ))
    }

    fn submit_call(&self, record: &OracleValue) -> Result<ContractCall, Error> {
        let signature = hex::decode(&record.signature)
            .map_err(|e| Error::Chain(format!("stored signature: {e}")))?;
        let signature = <[u8; 65]>::try_from(signature)
            .map_err(|s| Error::Chain(format!("stored signature: {} bytes, not 65", s.len())))?;
        oracle::submit(
            &self.signer.contract,
            &hash32(&record.key)?,
            &hash32(&record.value)?,
            u128::from(record.timestamp),
            &signature,
        )
        .map_err(|e| Error::Chain(format!("the oracle contract {}: {e}", self.signer.contract)))
    }

    async fn sign_and_store(
        &self,
        record: &mut OracleValue,
        expected_revision: Option<u64>,
        call: ContractCall,
        min_nonce: u64,
    ) -> Result<(), Error> {
        let sender = &self.signer.sender;
        let mut last = None;
        for _ in 0..NONCE_CLAIM_ATTEMPTS {
            let claim = sender
                .next_nonce(self.table.as_ref(), self.chain.as_deref(), min_nonce)
                .await?;
            record.transaction = sender.sign(call.clone(), claim.next - 1)?;
            match self
                .table
                .write_oracle_value(record, expected_revision, Some(&claim))
                .await
            {
                Ok(()) => return Ok(()),
                Err(error @ TableError::ConditionFailed { .. }) => last = Some(error),
                Err(other) => return Err(other.into()),
            }
        }
        Err(last.map_or_else(|| Error::Chain("no nonce claimed".to_owned()), Error::from))
    }

    async fn publish(&self, mut record: OracleValue) -> Result<OracleValue, Error> {
        let Some(chain) = &self.chain else {
            return Ok(record);
        };
        for _ in 0..2 {
            match broadcast(chain.as_ref(), &record.transaction).await? {
                Broadcast::Accepted => {
                    return self
                        .set_status(record, SubmissionStatus::Broadcast, None)
                        .await;
                }
                Broadcast::Resign { min_nonce, why } => {
                    let revision = record.revision;
                    record.revision += 1;
                    record.updated_at = self.clock.now();
                    record.error = Some(format!("{why}; re-signed"));
                    let call = self.submit_call(&record)?;
                    self.sign_and_store(&mut record, Some(revision), call, min_nonce)
                        .await?;
                }
                Broadcast::Refused(why) => {
                    let key = record.key.clone();
                    self.set_status(record, SubmissionStatus::Failed, Some(why.clone()))
                        .await?;
                    return Err(Error::Chain(format!("oracle value {key}: {why}")));
                }
                Broadcast::Unavailable(error) => {
                    tracing::warn!(key = %record.key, %error, "broadcast failed; the schedule retries");
                    return Ok(record);
                }
            }
        }
        Err(Error::Chain(format!(
            "oracle value {}: the node kept refusing the nonce",
            record.key
        )))
    }

    async fn set_status(
        &self,
        mut record: OracleValue,
        status: SubmissionStatus,
        error: Option<String>,
    ) -> Result<OracleValue, Error> {
        let revision = record.revision;
        record.status = status;
        if error.is_some() {
            record.error = error;
        }
        record.revision += 1;
        record.updated_at = self.clock.now();
        self.table
            .write_oracle_value(&record, Some(revision), None)
            .await?;
        Ok(record)
    }
}

/// `source`'s panel, loaded off the async threads the first time.
///
/// # Errors
/// [`Error::Configuration`] when it cannot be loaded (a broken panel directory).
pub(crate) async fn load_panel(source: Arc<PanelSource>) -> Result<Arc<Panel>, Error> {
    tokio::task::spawn_blocking(move || source.get())
        .await
        .map_err(|e| Error::Configuration {
            setting: PANEL_SETTING,
            message: format!("loading the panel failed: {e}"),
        })?
        .map_err(|e| Error::Configuration {
            setting: PANEL_SETTING,
            message: e.to_string(),
        })
}

/// The panel setting, as errors name it.
const PANEL_SETTING: &str = "the analysis panel (a built-in name or a panel directory)";

/// The message the oracle signs and `oracle.submit` recovers on the deployment `contract` of
/// the network `chain_id`: `SHA-256(key ‖ value ‖ to-consensus-buff?(timestamp) ‖
/// to-consensus-buff?(contract) ‖ to-consensus-buff?(chain-id))`, the consensus serializations
/// of `timestamp` and `chain_id` as `uint`s and of `contract` as a principal. A signature over it
/// is good for this contract on this network only.
///
/// ```
/// use genoflow_core::usecases::oracle::message_hash;
/// use genoflow_stacks::clarity::Principal;
/// use sha2::Digest;
/// let contract = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle")?;
/// let hash = message_hash(&contract, 0x8000_0000, &[0; 32], &[0; 32], 1);
///
/// let mut bytes = vec![0u8; 64]; // key ‖ value
/// // A uint: 0x01, then 16 bytes big-endian.
/// bytes.push(0x01);
/// bytes.extend_from_slice(&1u128.to_be_bytes());
/// // A contract principal: 0x06, the address version, its hash160, the name's length, the name.
/// bytes.extend_from_slice(&[0x06, 26]);
/// bytes.extend_from_slice(contract.address().hash160());
/// bytes.push(6);
/// bytes.extend_from_slice(b"oracle");
/// // The chain id (testnet's 0x80000000) as a uint.
/// bytes.push(0x01);
/// bytes.extend_from_slice(&0x8000_0000u128.to_be_bytes());
/// assert_eq!(hash, <[u8; 32]>::from(sha2::Sha256::digest(&bytes)));
///
/// // Another deployment, or another network, is another message.
/// let other = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle-2")?;
/// assert_ne!(hash, message_hash(&other, 0x8000_0000, &[0; 32], &[0; 32], 1));
/// assert_ne!(hash, message_hash(&contract, 1, &[0; 32], &[0; 32], 1));
/// # Ok::<(), genoflow_stacks::clarity::ClarityError>(())
/// ```
pub fn message_hash(
    contract: &Principal,
    chain_id: u32,
    key: &[u8; 32],
    value: &[u8; 32],
    timestamp: u64,
) -> [u8; 32] {
    Sha256::new()
        .chain_update(key)
        .chain_update(value)
        .chain_update(ClarityValue::UInt(u128::from(timestamp)).serialize())
        .chain_update(ClarityValue::Principal(contract.clone()).serialize())
        .chain_update(ClarityValue::UInt(u128::from(chain_id)).serialize())
        .finalize()
        .into()
}

/// The fields GenoFlow attests of an `esummary` answer, or what is wrong with it.
fn canonical_document(request: &OracleRequested, body: &[u8]) -> Result<Value, String> {
    let answer: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let record = answer
        .get("result")
        .and_then(|result| result.get(&request.id))
        .ok_or_else(|| format!("the answer has no result.{}", request.id))?;
    if let Some(error) = record.get("error").and_then(Value::as_str) {
        return Err(format!("the source has no record {}: {error}", request.id));
    }
    let text = |field: &str| -> Result<String, String> {
        record
            .get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("record {} has no {field}", request.id))
    };
    Ok(match request.source {
        Source::Clinvar => {
            // The 2024 schema names it germline_classification; older answers
            // clinical_significance.
            let classification = record
                .get("germline_classification")
                .or_else(|| record.get("clinical_significance"))
                .ok_or_else(|| format!("record {} has no classification", request.id))?;
            let field = |name: &str| classification.get(name).cloned().unwrap_or(Value::Null);
            let description = field("description");
            if description.as_str().is_none_or(str::is_empty) {
                return Err(format!(
                    "record {} has no classification description",
                    request.id
                ));
            }
            let mut genes: Vec<String> = record
                .get("genes")
                .and_then(Value::as_array)
                .map(|genes| {
                    genes
                        .iter()
                        .filter_map(|g| g.get("symbol").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            genes.sort();
            serde_json::json!({
                "source": "clinvar",
                "id": request.id,
                "accession": text("accession")?,
                "title": text("title")?,
                "classification": {
                    "description": description,
                    "review_status": field("review_status"),
                    "last_evaluated": field("last_evaluated"),
                },
                "genes": genes,
            })
        }
        Source::Catalogue => return Err("the catalogue is not fetched".to_owned()),
        Source::Gene => {
            let location = record
                .get("genomicinfo")
                .and_then(Value::as_array)
                .and_then(|info| info.first())
                .map(|info| {
                    serde_json::json!({
                        "accession": info.get("chraccver").cloned().unwrap_or(Value::Null),
                        "start": info.get("chrstart").cloned().unwrap_or(Value::Null),
                        "stop": info.get("chrstop").cloned().unwrap_or(Value::Null),
                    })
                })
                .unwrap_or(Value::Null);
            serde_json::json!({
                "source": "gene",
                "id": request.id,
                "symbol": text("name")?,
                "description": text("description")?,
                "organism": record
                    .get("organism")
                    .and_then(|o| o.get("scientificname"))
                    .cloned()
                    .unwrap_or(Value::Null),
                "location": location,
            })
        }
    })
}
