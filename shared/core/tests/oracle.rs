//! External records → canonical documents → signed values → `oracle.submit` transactions, on
//! in-memory sources and an in-memory node.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    model::SubmissionStatus,
    ports::{BlobStore, Chain, Table},
    usecases::{
        oracle::{
            OracleOutcome, OracleRequested, OracleSigner, OracleUpdates, Source, SourceUrls,
            canonical_json, message_hash,
        },
        submit::ContractSender,
    },
};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::{PrivateKey, RecoverableSignature},
    node::TxStatus,
    transaction::{Network, Payload},
};
use genoflow_testkit::memory::{
    ManualClock, MemoryBlobStore, MemoryChain, MemoryFetcher, MemoryTable,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use genoflow_testkit::keys::ORACLE_KEY;
const ORACLE_CONTRACT: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle";
const CLINVAR: &str = "http://ncbi.test/eutils";
const GENE: &str = "http://genes.test/eutils";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn clinvar_url(id: &str) -> String {
    format!("{CLINVAR}/esummary.fcgi?db=clinvar&id={id}&retmode=json")
}

struct Oracle {
    table: Arc<MemoryTable>,
    blobs: Arc<MemoryBlobStore>,
    chain: Arc<MemoryChain>,
    fetcher: Arc<MemoryFetcher>,
    oracle: OracleUpdates,
}

fn oracle() -> Oracle {
    let table = Arc::new(MemoryTable::default());
    let blobs = Arc::new(MemoryBlobStore::default());
    let chain = Arc::new(MemoryChain::default());
    let fetcher = Arc::new(MemoryFetcher::default());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    ));
    fetcher.answer(
        &clinvar_url("12345"),
        200,
        fixture("clinvar-esummary-12345.json"),
    );
    fetcher.answer(
        &format!("{GENE}/esummary.fcgi?db=gene&id=888164&retmode=json"),
        200,
        fixture("gene-esummary-888164.json"),
    );
    let oracle = OracleUpdates {
        table: table.clone(),
        blobs: blobs.clone(),
        clock: clock.clone(),
        chain: Some(chain.clone() as Arc<dyn Chain>),
        fetcher: fetcher.clone(),
        urls: SourceUrls {
            clinvar: CLINVAR.to_owned(),
            gene: format!("{GENE}/"),
        },
        signer: OracleSigner {
            sender: ContractSender {
                key: PrivateKey::from_hex(ORACLE_KEY).unwrap(),
                network: Network::Testnet,
                fee: 1_000,
            },
            contract: ORACLE_CONTRACT.to_owned(),
        },
    };
    Oracle {
        table,
        blobs,
        chain,
        fetcher,
        oracle,
    }
}

fn request(source: Source, id: &str) -> OracleRequested {
    OracleRequested {
        source,
        id: id.to_owned(),
    }
}

#[tokio::test]
async fn a_clinvar_record_is_canonicalised_signed_and_submitted() {
    let o = oracle();
    let outcome = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    let OracleOutcome::Submitted {
        key,
        value,
        txid,
        status,
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(status, SubmissionStatus::Broadcast);
    assert_eq!(key, hex::encode(Sha256::digest(b"clinvar:12345")));

    // The stored document is the canonical JSON of the attested fields; its hash is the value.
    let record = o.table.get_oracle_value(&key).await.unwrap().unwrap();
    let document = o.blobs.object(&record.document).unwrap();
    assert_eq!(record.document, "oracle/clinvar/12345/1800000000.json");
    assert_eq!(hex::encode(Sha256::digest(&document)), value);
    let parsed: serde_json::Value = serde_json::from_slice(&document).unwrap();
    assert_eq!(canonical_json(&parsed).as_bytes(), document.as_slice());
    assert_eq!(parsed["accession"], "VCV000012345");
    assert_eq!(parsed["classification"]["description"], "Pathogenic");
    assert_eq!(parsed["genes"], serde_json::json!(["TP53"]));

    // The signature recovers the oracle's key over the contract's message for this deployment
    // (contract and chain id).
    let signature =
        RecoverableSignature::from_rsv(&hex::decode(&record.signature).unwrap()).unwrap();
    assert!(signature.is_low_s());
    let hash = message_hash(
        &Principal::parse(ORACLE_CONTRACT).unwrap(),
        Network::Testnet.chain_id(),
        &hex::decode(&key).unwrap().try_into().unwrap(),
        &hex::decode(&value).unwrap().try_into().unwrap(),
        record.timestamp,
    );
    let oracle_key = PrivateKey::from_hex(ORACLE_KEY).unwrap().public_key();
    assert_eq!(signature.recover(&hash).unwrap(), oracle_key);
    assert_eq!(record.oracle_public_key, hex::encode(oracle_key.to_bytes()));

    // One oracle.submit(key, value, timestamp, signature) call, signed by the oracle account.
    let txs = o.chain.transactions();
    assert_eq!(txs.len(), 1);
    let (tx, _) = &txs[0];
    assert_eq!(hex::encode(tx.txid()), txid);
    let Payload::ContractCall(call) = &tx.payload else {
        panic!("not a contract call");
    };
    assert_eq!(
        (call.contract_id().as_str(), call.function_name.as_str()),
        (ORACLE_CONTRACT, "submit")
    );
    assert_eq!(
        call.args,
        [
            ClarityValue::Buffer(hex::decode(&key).unwrap()),
            ClarityValue::Buffer(hex::decode(&value).unwrap()),
            ClarityValue::UInt(1_800_000_000),
            ClarityValue::Buffer(signature.to_rsv().to_vec()),
        ]
    );

    o.chain.mine();
    assert_eq!(
        o.oracle.confirm().await.unwrap(),
        [(key.clone(), SubmissionStatus::Confirmed)]
    );
    assert!(matches!(
        o.chain.transaction_status(&tx.txid()).await.unwrap(),
        TxStatus::Success { .. }
    ));
}

#[tokio::test]
async fn an_unchanged_record_is_not_signed_again_and_a_changed_one_is_newer() {
    let o = oracle();
    let first = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    let OracleOutcome::Submitted { key, value, .. } = first else {
        panic!("{first:?}");
    };
    let again = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    assert_eq!(again, OracleOutcome::Unchanged { key: key.clone() });
    assert_eq!(o.chain.transactions().len(), 1);

    // ClinVar reclassifies the variant, within the same second.
    let changed = String::from_utf8(fixture("clinvar-esummary-12345.json"))
        .unwrap()
        .replace("\"Pathogenic\"", "\"Likely pathogenic\"");
    o.fetcher.answer(&clinvar_url("12345"), 200, changed);
    let second = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    let OracleOutcome::Submitted { value: newer, .. } = second else {
        panic!("{second:?}");
    };
    assert_ne!(newer, value);
    let record = o.table.get_oracle_value(&key).await.unwrap().unwrap();
    assert_eq!(
        record.timestamp, 1_800_000_001,
        "strictly newer than the stored value"
    );
    let mut nonces: Vec<u64> = o
        .chain
        .transactions()
        .iter()
        .map(|(t, _)| t.auth.nonce)
        .collect();
    nonces.sort_unstable();
    assert_eq!(nonces, [0, 1]);
}

#[tokio::test]
async fn a_gene_record_is_attested_too() {
    let o = oracle();
    let outcome = o
        .oracle
        .refresh(&request(Source::Gene, "888164"))
        .await
        .unwrap();
    let OracleOutcome::Submitted { key, .. } = outcome else {
        panic!("{outcome:?}");
    };
    let record = o.table.get_oracle_value(&key).await.unwrap().unwrap();
    let document: serde_json::Value =
        serde_json::from_slice(&o.blobs.object(&record.document).unwrap()).unwrap();
    assert_eq!(document["symbol"], "rpoB");
    assert_eq!(document["location"]["accession"], "NC_000962.3");
    assert_eq!(document["location"]["start"], 759806);
}

#[tokio::test]
async fn a_source_that_is_down_or_answers_garbage_produces_no_signed_record() {
    let o = oracle();
    let id_url = |id: &str| clinvar_url(id);
    o.fetcher.answer(&id_url("500"), 503, "Service Unavailable");
    o.fetcher.answer(&id_url("404"), 404, "not found");
    o.fetcher
        .answer(&id_url("77"), 200, "<html>maintenance</html>");
    o.fetcher
        .answer(&id_url("78"), 200, r#"{"result": {"uids": []}}"#);
    o.fetcher.answer(
        &id_url("79"),
        200,
        r#"{"result": {"uids": ["79"], "79": {"uid": "79", "error": "cannot get document summary"}}}"#,
    );
    o.fetcher.answer(
        &id_url("80"),
        200,
        r#"{"result": {"uids": ["80"], "80": {"uid": "80", "accession": "VCV000000080", "title": "x"}}}"#,
    );
    for (id, retryable, says) in [
        ("1", true, "connection refused"),
        ("500", true, "HTTP 503"),
        ("404", false, "HTTP 404"),
        ("77", false, "not JSON"),
        ("78", false, "no result.78"),
        ("79", false, "no record 79"),
        ("80", false, "no classification"),
    ] {
        let error = o
            .oracle
            .refresh(&request(Source::Clinvar, id))
            .await
            .unwrap_err();
        assert_eq!(error.is_retryable(), retryable, "{id}: {error}");
        assert!(error.to_string().contains(says), "{id}: {error}");
    }
    assert!(o.chain.transactions().is_empty());
    assert!(o.blobs.list("oracle/").await.unwrap().is_empty());
    assert!(o.table.open_oracle_values().await.unwrap().is_empty());

    // An id that is not a number is refused before anything is fetched.
    let before = o.fetcher.requests().len();
    let error = o
        .oracle
        .refresh(&request(Source::Clinvar, "1&db=gene"))
        .await
        .unwrap_err();
    assert!(!error.is_retryable());
    assert_eq!(o.fetcher.requests().len(), before);
}

#[tokio::test]
async fn without_a_node_the_value_is_signed_and_kept_for_the_schedule() {
    let mut o = oracle();
    o.oracle.chain = None;
    let outcome = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    assert!(matches!(
        outcome,
        OracleOutcome::Submitted {
            status: SubmissionStatus::Signed,
            ..
        }
    ));
    assert!(o.chain.transactions().is_empty());
    assert_eq!(o.table.open_oracle_values().await.unwrap().len(), 1);

    // With the node back, the schedule broadcasts it.
    o.oracle.chain = Some(o.chain.clone() as Arc<dyn Chain>);
    let report = o.oracle.confirm().await.unwrap();
    assert_eq!(report[0].1, SubmissionStatus::Broadcast);
    assert_eq!(o.chain.transactions().len(), 1);
}

#[test]
fn queue_messages_parse_and_the_key_stays_out_of_debug() {
    let message =
        OracleRequested::from_json(r#"{"type":"oracle_requested","source":"gene","id":"888164"}"#)
            .unwrap();
    assert_eq!(message, request(Source::Gene, "888164"));
    assert!(
        OracleRequested::from_json(r#"{"type":"oracle_requested","source":"omim","id":"1"}"#)
            .is_err()
    );
    let shown = format!("{:?}", oracle().oracle.signer);
    assert!(!shown.contains(&ORACLE_KEY[..16]), "{shown}");
}
