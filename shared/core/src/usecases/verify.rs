//! `genoflow verify`: does a report and its proof hold? Offline, everything is recomputed from
//! the bytes: the report's SHA-256, the inputs hash from the report's inputs, the item, the
//! Merkle root from the proof, and the key of the catalogue attestation the report names. On
//! chain (optional), `registry.verify-inclusion` and the batch transaction's status answer for
//! the anchored root ([`verify_on_chain`]), and `oracle.get-value` for the report's catalogue
//! ([`verify_catalogue_on_chain`]).
//!
//! A report made before reports named their catalogue (no `catalogue` block) gets *skipped*
//! catalogue checks, not failed ones: the block is part of the anchored bytes, so it cannot be
//! removed from a newer report without failing the report SHA-256 check.

use genoflow_genomics::analysis::attestation::{self, Attestation};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    contracts::{self, CallError},
    merkle::root_from_proof,
    node::TxStatus,
};
use sha2::{Digest, Sha256};

use crate::{model::Proof, ports::Chain};

/// The offline check of the report's catalogue block: its key is `SHA-256("catalogue:{id}")`.
pub const CATALOGUE_KEY: &str = "catalogue key";
/// The on-chain check that the oracle contract holds a value for the report's catalogue.
pub const CATALOGUE_ATTESTED: &str = "catalogue attested";
/// The on-chain check that the value the oracle contract holds is the report's.
pub const CATALOGUE_VALUE: &str = "catalogue value";

/// One check and its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub what: &'static str,
    /// Whether it holds (`true` for a skipped check: nothing contradicts the report).
    pub holds: bool,
    /// Nothing was checked: the report has nothing to check here (an older report without a
    /// `catalogue` block); `detail` says why.
    pub skipped: bool,
    /// What was found (the values compared, or why it could not be checked).
    pub detail: String,
}

fn check(what: &'static str, holds: bool, detail: impl Into<String>) -> Check {
    Check {
        what,
        holds,
        skipped: false,
        detail: detail.into(),
    }
}

fn skipped(what: &'static str, detail: impl Into<String>) -> Check {
    Check {
        what,
        holds: true,
        skipped: true,
        detail: detail.into(),
    }
}

/// What a report says of its catalogue attestation (`report.json`'s `catalogue` block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogueBlock {
    /// No `catalogue` block: a report made before reports named their catalogue.
    Absent,
    /// A block that is not `{"source": "catalogue", "id", "key", "value"}` with string fields.
    Malformed(String),
    /// The attestation the report names.
    Named(Attestation),
}

impl CatalogueBlock {
    /// The `catalogue` block of a parsed `report.json`.
    ///
    /// ```
    /// use genoflow_core::usecases::verify::CatalogueBlock;
    /// let report = serde_json::json!({"pipeline_id": "00"});
    /// assert_eq!(CatalogueBlock::of(&report), CatalogueBlock::Absent);
    /// ```
    pub fn of(report: &serde_json::Value) -> Self {
        let Some(block) = report.get("catalogue") else {
            return Self::Absent;
        };
        match serde_json::from_value::<Attestation>(block.clone()) {
            Ok(attestation) if attestation.source == "catalogue" => Self::Named(attestation),
            Ok(attestation) => Self::Malformed(format!(
                "its source is {:?}, not \"catalogue\"",
                attestation.source
            )),
            Err(error) => Self::Malformed(error.to_string()),
        }
    }
}

const NO_CATALOGUE: &str = "skipped: the report has no catalogue block (made before reports \
    named their catalogue attestation), so its resistance calls cannot be tied to an attested \
    catalogue";

/// The offline catalogue check: the key the report names is `SHA-256("catalogue:{id}")`.
fn catalogue_key_check(report: &serde_json::Value) -> Check {
    match CatalogueBlock::of(report) {
        CatalogueBlock::Absent => skipped(CATALOGUE_KEY, NO_CATALOGUE),
        CatalogueBlock::Malformed(why) => check(
            CATALOGUE_KEY,
            false,
            format!("the report's catalogue block is damaged ({why}): the report was edited"),
        ),
        CatalogueBlock::Named(named) => {
            let expected = hex::encode(attestation::key("catalogue", &named.id));
            if expected == named.key {
                check(
                    CATALOGUE_KEY,
                    true,
                    format!(
                        "SHA-256(\"catalogue:{}\") = {expected}, the key the report names",
                        named.id
                    ),
                )
            } else {
                check(
                    CATALOGUE_KEY,
                    false,
                    format!(
                        "the report names key {} for catalogue {}, but SHA-256(\"catalogue:{}\") = \
                         {expected}: the report's catalogue block was edited",
                        named.key, named.id, named.id
                    ),
                )
            }
        }
    }
}

/// Recomputes the attestation from `report` (the exact bytes of `report.json`) and checks it
/// against `proof`, and the proof against its root.
///
/// ```
/// use genoflow_core::usecases::verify::verify_offline;
/// # let proof: genoflow_core::model::Proof = serde_json::from_value(serde_json::json!({
/// #   "item": "00", "inputs_hash": "00", "report_sha256": "00", "pipeline_id": "00",
/// #   "batch_id": null, "root": "00", "index": 0, "proof": [], "size": 1, "txid": "00",
/// #   "tx_status": "unbroadcast"})).unwrap();
/// let checks = verify_offline(b"not the report", &proof);
/// assert!(checks.iter().any(|c| !c.holds));
/// ```
pub fn verify_offline(report: &[u8], proof: &Proof) -> Vec<Check> {
    let mut checks = Vec::new();
    let report_sha256 = hex::encode(Sha256::digest(report));
    checks.push(check(
        "report SHA-256",
        report_sha256 == proof.report_sha256,
        format!(
            "report.json hashes to {report_sha256}; the proof says {}",
            proof.report_sha256
        ),
    ));
    let parsed: serde_json::Value = match serde_json::from_slice(report) {
        Ok(value) => value,
        Err(error) => {
            checks.push(check("report JSON", false, format!("not JSON: {error}")));
            return checks;
        }
    };
    if parsed.get("report").is_some() && parsed.get("artifacts").is_some() {
        checks.push(check(
            "report file",
            false,
            "this is the API's /report answer, not report.json: download report.json from its artifacts link",
        ));
        return checks;
    }
    let pipeline_id = parsed["pipeline_id"].as_str().unwrap_or_default();
    checks.push(check(
        "pipeline id",
        pipeline_id == proof.pipeline_id,
        format!(
            "the report names {pipeline_id:?}; the proof {}",
            proof.pipeline_id
        ),
    ));
    let mut inputs = Sha256::new();
    let mut named = 0;
    for input in parsed["inputs"].as_array().into_iter().flatten() {
        let Some(Ok(sha256)) = input["sha256"].as_str().map(hex::decode) else {
            continue;
        };
        inputs.update(sha256);
        named += 1;
    }
    let inputs_hash = hex::encode(inputs.finalize());
    checks.push(check(
        "inputs hash",
        named > 0 && inputs_hash == proof.inputs_hash,
        format!(
            "the report's {named} input SHA-256 give {inputs_hash}; the proof says {}",
            proof.inputs_hash
        ),
    ));
    let item = item_of(&inputs_hash, &report_sha256, pipeline_id);
    checks.push(check(
        "item",
        item.as_deref() == Some(proof.item.as_str()),
        format!(
            "SHA-256(inputs_hash ‖ report_sha256 ‖ pipeline_id) = {}; the proof says {}",
            item.as_deref()
                .unwrap_or("(not computable: a hash is not 32 bytes of hex)"),
            proof.item
        ),
    ));
    let root = match (
        hash32(&proof.item),
        proof
            .proof
            .iter()
            .map(|p| hash32(p))
            .collect::<Option<Vec<_>>>(),
    ) {
        (Some(item), Some(siblings)) => root_from_proof(&item, proof.index, proof.size, &siblings),
        _ => None,
    };
    let root = root.map(hex::encode);
    checks.push(check(
        "Merkle root",
        root.as_deref() == Some(proof.root.as_str()),
        format!(
            "leaf {} of {} with {} siblings gives {}; the proof says {}",
            proof.index,
            proof.size,
            proof.proof.len(),
            root.as_deref()
                .unwrap_or("nothing (index, size and proof length disagree)"),
            proof.root
        ),
    ));
    checks.push(catalogue_key_check(&parsed));
    checks
}

/// Asks the chain: the batch transaction's status and result, and
/// `registry.verify-inclusion(batch-id, item, index, proof)`.
pub async fn verify_on_chain(chain: &dyn Chain, proof: &Proof, registry: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    let Some(txid) = hash32(&proof.txid) else {
        checks.push(check(
            "transaction",
            false,
            format!("txid {:?} is not 32 bytes of hex", proof.txid),
        ));
        return checks;
    };
    let chain_batch_id = match chain.transaction_status(&txid).await {
        Ok(TxStatus::Success {
            result,
            block_height,
        }) => {
            let id = match result {
                Some(ClarityValue::Response(Ok(value))) => match *value {
                    ClarityValue::UInt(id) => u64::try_from(id).ok(),
                    _ => None,
                },
                _ => None,
            };
            checks.push(check(
                "transaction",
                id.is_some() && id == proof.batch_id,
                format!(
                    "{} succeeded in block {} with batch id {id:?}; the proof says {:?}",
                    proof.txid,
                    block_height.map_or_else(|| "?".to_owned(), |h| h.to_string()),
                    proof.batch_id
                ),
            ));
            id
        }
        Ok(other) => {
            checks.push(check(
                "transaction",
                false,
                format!("{} is {other:?}, not in a block", proof.txid),
            ));
            None
        }
        Err(error) => {
            checks.push(check(
                "transaction",
                false,
                format!("cannot ask the node: {error}"),
            ));
            None
        }
    };
    const INCLUSION: &str = contracts::registry::VERIFY_INCLUSION.function;
    let Some(batch_id) = chain_batch_id.or(proof.batch_id) else {
        checks.push(check(
            INCLUSION,
            false,
            "no batch id: the batch is not confirmed",
        ));
        return checks;
    };
    let (Some(item), Some(siblings)) = (
        hash32(&proof.item),
        proof
            .proof
            .iter()
            .map(|p| hash32(p))
            .collect::<Option<Vec<_>>>(),
    ) else {
        checks.push(check(
            INCLUSION,
            false,
            "the proof's hashes are not 32 bytes of hex",
        ));
        return checks;
    };
    let call = contracts::registry::verify_inclusion(
        registry,
        batch_id.into(),
        &item,
        proof.index.into(),
        &siblings,
    );
    let sender = registry
        .split_once('.')
        .and_then(|(address, _)| Principal::parse(address).ok());
    let (call, sender) = match (call, sender) {
        (Ok(call), Some(sender)) => (call, sender),
        (Err(error @ CallError::Argument { .. }), _) => {
            checks.push(check(INCLUSION, false, error.to_string()));
            return checks;
        }
        _ => {
            checks.push(check(
                INCLUSION,
                false,
                format!("{registry:?} is not a contract id (ADDRESS.registry)"),
            ));
            return checks;
        }
    };
    checks.push(match chain.call_read_only(&call, &sender).await {
        Ok(ClarityValue::Bool(true)) => check(
            INCLUSION,
            true,
            format!(
                "{registry}.{INCLUSION}(u{batch_id}, item, u{}, proof) = true",
                proof.index
            ),
        ),
        Ok(other) => check(
            INCLUSION,
            false,
            format!("{registry}.{INCLUSION} answered {}", other.to_hex()),
        ),
        Err(error) => check(INCLUSION, false, format!("cannot ask the node: {error}")),
    });
    checks
}

/// The oracle contract of the deployment whose registry is `registry`: `ADDRESS.oracle` of the
/// registry's deployer (the contracts are deployed together).
///
/// ```
/// use genoflow_core::usecases::verify::oracle_of_registry;
/// assert_eq!(
///     oracle_of_registry("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry").as_deref(),
///     Some("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle")
/// );
/// assert_eq!(oracle_of_registry("not a contract"), None);
/// ```
pub fn oracle_of_registry(registry: &str) -> Option<String> {
    let (address, _) = registry.split_once('.')?;
    Principal::parse(address).ok()?;
    Some(format!("{address}.oracle"))
}

/// Asks the oracle contract `oracle` (`ADDRESS.oracle`) for the catalogue attestation `report`
/// (the exact bytes of `report.json`) names: [`CATALOGUE_ATTESTED`], `oracle.get-value(key)`
/// holds a value for `SHA-256("catalogue:{id}")`, and [`CATALOGUE_VALUE`], that value is the
/// report's. A report without a `catalogue` block gets one skipped check.
pub async fn verify_catalogue_on_chain(
    chain: &dyn Chain,
    report: &[u8],
    oracle: &str,
) -> Vec<Check> {
    let fail = |detail: String| vec![check(CATALOGUE_ATTESTED, false, detail)];
    let parsed: serde_json::Value = match serde_json::from_slice(report) {
        Ok(value) => value,
        Err(error) => {
            return fail(format!(
                "report.json is not JSON ({error}): there is no catalogue to ask the chain about"
            ));
        }
    };
    let named = match CatalogueBlock::of(&parsed) {
        CatalogueBlock::Absent => return vec![skipped(CATALOGUE_ATTESTED, NO_CATALOGUE)],
        CatalogueBlock::Malformed(why) => {
            return fail(format!(
                "the report's catalogue block is damaged ({why}): the report was edited; the \
                 chain was not asked"
            ));
        }
        CatalogueBlock::Named(named) => named,
    };
    let id = &named.id;
    let key = attestation::key("catalogue", id);
    let key_hex = hex::encode(key);
    if key_hex != named.key {
        return fail(format!(
            "the report names key {} for catalogue {id}, not SHA-256(\"catalogue:{id}\") = \
             {key_hex}: the report's catalogue block was edited; the chain was not asked",
            named.key
        ));
    }
    const GET_VALUE: &str = contracts::oracle::GET_VALUE.function;
    let sender = oracle
        .split_once('.')
        .and_then(|(address, _)| Principal::parse(address).ok());
    let (call, sender) = match (contracts::oracle::get_value(oracle, &key), sender) {
        (Ok(call), Some(sender)) => (call, sender),
        _ => {
            return fail(format!(
                "{oracle:?} is not a contract id: pass --oracle ADDRESS.oracle"
            ));
        }
    };
    let answer = match chain.call_read_only(&call, &sender).await {
        Ok(answer) => answer,
        Err(error) => {
            return fail(format!(
                "cannot ask the node for {oracle}.{GET_VALUE}: {error}"
            ));
        }
    };
    let stored = match stored_oracle_value(&answer) {
        Ok(stored) => stored,
        Err(why) => {
            return fail(format!(
                "{oracle}.{GET_VALUE} answered {} ({why}): is {oracle} the deployment's oracle \
                 contract? pass --oracle ADDRESS.oracle",
                answer.to_hex()
            ));
        }
    };
    let Some(stored) = stored else {
        return fail(format!(
            "{oracle} holds no value for catalogue {id} (key {key_hex}): that contract never \
             attested this catalogue; check that --oracle names the deployment's oracle \
             contract, or ask its operator to attest the catalogue (POST /admin/oracle/refresh)"
        ));
    };
    let chain_value = hex::encode(&stored.value);
    vec![
        check(
            CATALOGUE_ATTESTED,
            true,
            format!(
                "{oracle}.{GET_VALUE}({key_hex}) holds catalogue {id}: timestamp {}, signed by \
                 oracle key {}, stored in block {}",
                stored.timestamp,
                hex::encode(&stored.oracle),
                stored.submitted_at
            ),
        ),
        if chain_value == named.value {
            check(
                CATALOGUE_VALUE,
                true,
                format!(
                    "the chain holds {chain_value} for catalogue {id}, the value the report names"
                ),
            )
        } else {
            check(
                CATALOGUE_VALUE,
                false,
                format!(
                    "the chain holds another value for catalogue {id}: {chain_value} (timestamp \
                     {}), the report names {}: this report was made with a different catalogue \
                     than the one attested (or the catalogue was attested again after the report \
                     was made: compare GET /oracle/catalogue/{id} and the panel's files)",
                    stored.timestamp, named.value
                ),
            )
        },
    ]
}

/// The fields of `oracle.get-value`'s answer that verify reports.
struct StoredValue {
    value: Vec<u8>,
    timestamp: u128,
    oracle: Vec<u8>,
    submitted_at: u128,
}

/// `(optional (tuple (oracle (buff 33)) (submitted-at uint) (timestamp uint) (value (buff 32))))`.
fn stored_oracle_value(answer: &ClarityValue) -> Result<Option<StoredValue>, String> {
    let tuple = match answer {
        ClarityValue::Optional(None) => return Ok(None),
        ClarityValue::Optional(Some(tuple)) => tuple,
        _ => return Err("not an optional".to_owned()),
    };
    let ClarityValue::Tuple(fields) = tuple.as_ref() else {
        return Err("not a tuple".to_owned());
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(field, _)| field.as_str() == name)
            .map(|(_, value)| value)
            .ok_or_else(|| format!("no {name} field"))
    };
    let buffer = |name: &str| match field(name)? {
        ClarityValue::Buffer(bytes) => Ok(bytes.clone()),
        _ => Err(format!("{name} is not a buffer")),
    };
    let uint = |name: &str| match field(name)? {
        ClarityValue::UInt(number) => Ok(*number),
        _ => Err(format!("{name} is not a uint")),
    };
    Ok(Some(StoredValue {
        value: buffer("value")?,
        timestamp: uint("timestamp")?,
        oracle: buffer("oracle")?,
        submitted_at: uint("submitted-at")?,
    }))
}

fn item_of(inputs_hash: &str, report_sha256: &str, pipeline_id: &str) -> Option<String> {
    let mut hasher = Sha256::new();
    for part in [inputs_hash, report_sha256, pipeline_id] {
        hasher.update(hash32(part)?);
    }
    Some(hex::encode(hasher.finalize()))
}

fn hash32(text: &str) -> Option<[u8; 32]> {
    super::submit::hash32(text).ok()
}
