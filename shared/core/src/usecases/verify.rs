//! `genoflow verify`: does a report and its proof hold? Offline, everything is recomputed from
//! the bytes: the report's SHA-256, the inputs hash from the report's inputs, the item, and the
//! Merkle root from the proof. On chain (optional), `registry.verify-inclusion` and the batch
//! transaction's status answer for the anchored root.

use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    contracts::{self, CallError},
    merkle::root_from_proof,
    node::TxStatus,
};
use sha2::{Digest, Sha256};

use crate::{model::Proof, ports::Chain};

/// One check and its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub what: &'static str,
    /// Whether it holds.
    pub holds: bool,
    /// What was found (the values compared, or why it could not be checked).
    pub detail: String,
}

fn check(what: &'static str, holds: bool, detail: impl Into<String>) -> Check {
    Check {
        what,
        holds,
        detail: detail.into(),
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
