//! What the oracle attested, for anyone to see and check (`GET /oracle/{source}/{id}`,
//! `GET /oracle/gene/{symbol}`): the latest signed value of a record, its canonical document,
//! and what the oracle contract holds for its key (`oracle.get-value`).
//!
//! **State.** From the record the oracle keeps (its `submission`: `signed`, `broadcast`,
//! `confirmed` or `failed`) and, when a node is configured and answers, the contract's value
//! for the key (`on_chain`):
//!
//! | the chain holds | `state` | `matches_chain` |
//! | --- | --- | --- |
//! | a value with a newer timestamp than this record's | `superseded` | `false` |
//! | this value with this timestamp | `confirmed` | `true` |
//! | nothing, or an older (or another) value | from the record: `signed` (also a `failed` submission, whose error is `submission_error`; and a `confirmed` one the chain no longer holds), `broadcast` | `false` |
//! | unknown: no node, or it did not answer | from the record: `signed` (or `failed`), `broadcast`, `confirmed` | `null`, and `on_chain_error` says why |
//!
//! The record shown is the oracle's latest for the key, so the table never holds a newer one;
//! the chain can (another oracle's submission, or a value submitted by another deployment of
//! the same contract). The contract's answers are read through [`ChainReads`] (kept up to 30 s);
//! a record the oracle saw confirmed that the kept answer does not show is asked of the node
//! again.

use std::sync::Arc;

use genoflow_genomics::analysis::attestation;
use serde::Serialize;
use serde_json::Value;

use crate::{
    error::Error,
    model::{OracleValue, SubmissionStatus},
    ports::{BlobError, BlobStore, Table},
};

use super::{
    analyze::PanelSource,
    onchain::{ChainReads, OnChainValue},
    oracle::{Source, load_panel},
};

/// Where the oracle contract is read: the cached reads of the node and the contract's id.
pub struct OracleContract {
    /// The node's reads (one cache with the dataset and marketplace routes).
    pub reads: Arc<ChainReads>,
    /// `ADDRESS.oracle`.
    pub contract: String,
}

/// `state`: where an attestation stands (see the module's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationState {
    /// Signed by the oracle, not (or no longer) on chain.
    Signed,
    /// Its `oracle.submit` transaction is sent, not in a block yet.
    Broadcast,
    /// The contract holds this value and timestamp.
    Confirmed,
    /// The contract holds a newer value for the key.
    Superseded,
}

/// The contract's value for the key, as `on_chain` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OnChain {
    /// The value, hex.
    pub value: String,
    /// Its timestamp, unix seconds.
    pub timestamp: u64,
    /// The compressed public key of the oracle that signed it, hex.
    pub signer: String,
    /// The block height it was submitted at.
    pub submitted_at: u64,
}

/// The body of `GET /oracle/{source}/{id}` (docs/API.md, "Oracle attestations").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttestationView {
    /// `clinvar`, `gene` or `catalogue`.
    pub source: String,
    /// The record's id in its source (the panel's name for `catalogue`).
    pub id: String,
    /// The panel's symbol of the gene, when looked up by symbol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// `SHA-256("{source}:{id}")`, hex: the contract's key.
    pub key: String,
    /// `SHA-256(canonical JSON of document)`, hex.
    pub value: String,
    /// Unix seconds: when the oracle read the record.
    pub timestamp: u64,
    /// The oracle's signature, `r ‖ s ‖ recovery id`, hex.
    pub signature: String,
    /// The oracle's compressed public key, hex.
    pub signer: String,
    /// The attested document; its canonical JSON (sorted keys, no whitespace) hashes to
    /// `value`.
    pub document: Value,
    /// Where the attestation stands.
    pub state: AttestationState,
    /// Where the oracle's own transaction is: `signed`, `broadcast`, `confirmed`, `failed`.
    pub submission: SubmissionStatus,
    /// Why the submission failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submission_error: Option<String>,
    /// The `oracle.submit` transaction, once sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txid: Option<String>,
    /// The block holding it, once confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_height: Option<u64>,
    /// The oracle contract read (`null` without a node).
    pub contract: Option<String>,
    /// The contract's value for the key; `null` when it holds none, or could not be read
    /// (`on_chain_error`).
    pub on_chain: Option<OnChain>,
    /// Whether the contract holds exactly this value and timestamp; `null` when unknown.
    pub matches_chain: Option<bool>,
    /// Why the contract could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_chain_error: Option<String>,
}

/// The state and `matches_chain` of `record`, given what the contract holds for its key:
/// `Some(answer)` when read, `None` when unknown (see the module's table).
///
/// ```
/// use genoflow_core::usecases::attestations::{AttestationState, state_of};
/// use genoflow_core::usecases::onchain::OnChainValue;
/// use genoflow_core::model::SubmissionStatus;
/// let held = |value: &str, timestamp| Some(OnChainValue { value: value.into(), timestamp, oracle: String::new(), submitted_at: 1 });
/// assert_eq!(state_of("aa", 10, SubmissionStatus::Broadcast, Some(&held("aa", 10))), (AttestationState::Confirmed, Some(true)));
/// assert_eq!(state_of("aa", 10, SubmissionStatus::Confirmed, Some(&held("bb", 11))), (AttestationState::Superseded, Some(false)));
/// assert_eq!(state_of("aa", 10, SubmissionStatus::Broadcast, Some(&None)), (AttestationState::Broadcast, Some(false)));
/// assert_eq!(state_of("aa", 10, SubmissionStatus::Confirmed, None), (AttestationState::Confirmed, None));
/// ```
pub fn state_of(
    value: &str,
    timestamp: u64,
    submission: SubmissionStatus,
    chain: Option<&Option<OnChainValue>>,
) -> (AttestationState, Option<bool>) {
    let from_record = |confirmed_counts: bool| match submission {
        SubmissionStatus::Signed | SubmissionStatus::Failed => AttestationState::Signed,
        SubmissionStatus::Broadcast => AttestationState::Broadcast,
        SubmissionStatus::Confirmed if confirmed_counts => AttestationState::Confirmed,
        SubmissionStatus::Confirmed => AttestationState::Signed,
    };
    match chain {
        None => (from_record(true), None),
        Some(Some(held)) if held.timestamp > timestamp => {
            (AttestationState::Superseded, Some(false))
        }
        Some(Some(held)) if held.timestamp == timestamp && held.value == value => {
            (AttestationState::Confirmed, Some(true))
        }
        Some(_) => (from_record(false), Some(false)),
    }
}

/// The attestation routes' use case.
pub struct Attestations {
    /// The oracle's records.
    pub table: Arc<dyn Table>,
    /// The canonical documents.
    pub blobs: Arc<dyn BlobStore>,
    /// The deployment's panel (gene symbols → NCBI Gene ids).
    pub panel: Arc<PanelSource>,
    /// The oracle contract; `None`: no node configured.
    pub chain: Option<OracleContract>,
}

impl Attestations {
    /// The latest attestation of `source`'s record `id`.
    ///
    /// # Errors
    /// [`Error::UnknownSource`]; [`Error::NotAttested`] when the oracle never signed it;
    /// table and storage failures. A contract that cannot be read is not an error
    /// (`on_chain_error`).
    pub async fn get(&self, source: &str, id: &str) -> Result<AttestationView, Error> {
        let source =
            Source::parse(source).ok_or_else(|| Error::UnknownSource(source.to_owned()))?;
        self.view(source, id, None).await
    }

    /// The latest attestation of the NCBI Gene record of the panel's gene `symbol`
    /// (case-sensitive, as the panel writes it).
    ///
    /// # Errors
    /// [`Error::UnknownGene`] when the panel has no such gene; [`Error::NotAttested`] when it
    /// has no NCBI Gene id or was never attested; as [`Self::get`].
    pub async fn gene(&self, symbol: &str) -> Result<AttestationView, Error> {
        let panel = load_panel(self.panel.clone()).await?;
        let gene = panel
            .genes
            .iter()
            .find(|gene| gene.name == symbol)
            .ok_or_else(|| Error::UnknownGene {
                symbol: symbol.to_owned(),
                panel: panel.name.clone(),
            })?;
        let id = gene.ncbi_gene_id.clone().ok_or_else(|| {
            Error::NotAttested(format!(
                "the panel {} names no NCBI Gene id for {symbol}, so the oracle does not attest it",
                panel.name
            ))
        })?;
        self.view(Source::Gene, &id, Some(symbol)).await
    }

    async fn view(
        &self,
        source: Source,
        id: &str,
        symbol: Option<&str>,
    ) -> Result<AttestationView, Error> {
        let not_attested = || {
            let gene = symbol.map_or_else(String::new, |symbol| format!(" (gene {symbol})"));
            Error::NotAttested(format!(
                "the oracle has not attested {} {id}{gene}; attested records appear once the \
                 oracle has signed them (its schedule, or an operator's refresh)",
                source.as_str()
            ))
        };
        if id.is_empty() || id.len() > 256 {
            return Err(not_attested());
        }
        let key = attestation::key(source.as_str(), id);
        let record = self
            .table
            .get_oracle_value(&hex::encode(key))
            .await?
            .ok_or_else(not_attested)?;
        let document = self.document(&record).await?;
        let (chain, on_chain_error) = self.on_chain(&record, &key).await;
        let (state, matches_chain) = state_of(
            &record.value,
            record.timestamp,
            record.status,
            chain.as_ref(),
        );
        let sent = matches!(
            record.status,
            SubmissionStatus::Broadcast | SubmissionStatus::Confirmed
        ) || state == AttestationState::Confirmed;
        Ok(AttestationView {
            source: record.source,
            id: record.record_id,
            symbol: symbol.map(str::to_owned),
            key: record.key,
            value: record.value,
            timestamp: record.timestamp,
            signature: record.signature,
            signer: record.oracle_public_key,
            document,
            state,
            submission: record.status,
            submission_error: record
                .error
                .filter(|_| record.status == SubmissionStatus::Failed),
            txid: (sent && !record.transaction.txid.is_empty()).then_some(record.transaction.txid),
            block_height: record
                .block_height
                .filter(|_| state == AttestationState::Confirmed),
            contract: self.chain.as_ref().map(|chain| chain.contract.clone()),
            on_chain: chain.flatten().map(|held| OnChain {
                value: held.value,
                timestamp: held.timestamp,
                signer: held.oracle,
                submitted_at: held.submitted_at,
            }),
            matches_chain,
            on_chain_error,
        })
    }

    /// The record's canonical document.
    async fn document(&self, record: &OracleValue) -> Result<Value, Error> {
        let damaged = |message: String| {
            Error::Table(crate::ports::TableError::Corrupt {
                what: format!("oracle value {}", record.key),
                message,
            })
        };
        let bytes = match self.blobs.read_range(&record.document, 0..u64::MAX).await {
            Ok(bytes) => bytes,
            Err(BlobError::NotFound { .. }) => {
                return Err(damaged(format!("its document {} is gone", record.document)));
            }
            Err(other) => return Err(other.into()),
        };
        serde_json::from_slice(&bytes)
            .map_err(|e| damaged(format!("its document {} is not JSON: {e}", record.document)))
    }

    /// What the contract holds for `key` (`None`: unknown), or why it is unknown.
    async fn on_chain(
        &self,
        record: &OracleValue,
        key: &[u8; 32],
    ) -> (Option<Option<OnChainValue>>, Option<String>) {
        let Some(chain) = &self.chain else {
            return (
                None,
                Some(
                    "no Stacks node is connected to this GenoFlow server, so the oracle \
                     contract was not read"
                        .to_owned(),
                ),
            );
        };
        let mut read = chain.reads.oracle_value(&chain.contract, key, false).await;
        let shows_record = |held: &Option<OnChainValue>| {
            held.as_ref()
                .is_some_and(|held| held.timestamp >= record.timestamp)
        };
        if record.status == SubmissionStatus::Confirmed
            && read.as_ref().is_ok_and(|held| !shows_record(held))
        {
            read = chain.reads.oracle_value(&chain.contract, key, true).await;
        }
        match read {
            Ok(held) => (Some(held), None),
            Err(error) => {
                tracing::warn!(key = %record.key, %error, "the oracle contract could not be read");
                let why = match error {
                    Error::ChainRead { call, message } => {
                        format!("{call} could not be read: {message}")
                    }
                    other => other.public_message(),
                };
                (None, Some(why))
            }
        }
    }
}
