//! The oracle handler on SQS batches and schedule payloads shaped like AWS delivers them
//! (`tests/events/`), with NCBI-shaped answers (shared/core/tests/fixtures) from an in-memory
//! fetcher and an in-memory node.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::usecases::oracle::{
    ORACLE_CONTRACT_SETTING, OracleSigner, SourceUrls, message_hash,
};
use genoflow_function_oracle::{Oracle, OracleEvent, Ports, parse_watch_list};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::{PrivateKey, RecoverableSignature},
    transaction::{Network, Payload},
};
use genoflow_testkit::{
    keys::ORACLE_KEY,
    memory::MemoryFetcher,
    world::{self, World},
};

const BASE: &str = "http://eutils.test";
const ORACLE_CONTRACT: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle";

fn world() -> (World, Oracle) {
    world_with(ORACLE_CONTRACT)
}

/// The function over the world's ports and node, signing for `contract`, watching one ClinVar
/// and one Gene record whose sources answer the NCBI-shaped fixtures.
fn world_with(contract: &str) -> (World, Oracle) {
    let world = World::new();
    let fetcher = Arc::new(MemoryFetcher::default());
    fetcher.answer(
        &format!("{BASE}/esummary.fcgi?db=clinvar&id=12345&retmode=json"),
        200,
        include_bytes!("../../../shared/core/tests/fixtures/clinvar-esummary-12345.json").to_vec(),
    );
    fetcher.answer(
        &format!("{BASE}/esummary.fcgi?db=gene&id=888164&retmode=json"),
        200,
        include_bytes!("../../../shared/core/tests/fixtures/gene-esummary-888164.json").to_vec(),
    );
    let oracle = Oracle::new(
        Ports {
            table: world.table.clone(),
            blobs: world.blobs.clone(),
            clock: world.clock.clone(),
            chain: world.node(),
            fetcher,
        },
        OracleSigner {
            sender: world::sender(ORACLE_KEY),
            contract: contract.to_owned(),
        },
        SourceUrls {
            clinvar: BASE.to_owned(),
            gene: BASE.to_owned(),
        },
        parse_watch_list("clinvar:12345,gene:888164").unwrap(),
    );
    (world, oracle)
}

fn event(text: &str) -> OracleEvent {
    serde_json::from_str(text).unwrap()
}

/// The daily schedule's payload; answers the lines, one per watched record.
async fn refresh_watched(oracle: &Oracle) -> serde_json::Value {
    let answer = oracle
        .handle(event(include_str!("events/schedule-refresh-watched.json")))
        .await
        .unwrap();
    serde_json::to_value(&answer).unwrap()
}

#[tokio::test]
async fn an_sqs_batch_submits_what_it_can_and_lists_the_rest() {
    let (world, oracle) = world();
    let answer = oracle
        .handle(event(include_str!("events/sqs-oracle-requested.json")))
        .await
        .unwrap();
    // 99999 has no answer (the source is "down": retry); omim is not a source (poison).
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        serde_json::json!({"batchItemFailures": [
            {"itemIdentifier": "0b1c2d3e-0000-4000-8000-000000000002"},
            {"itemIdentifier": "0b1c2d3e-0000-4000-8000-000000000003"}
        ]})
    );
    assert_eq!(world.chain.transactions().len(), 1);
}

#[tokio::test]
async fn the_schedules_refresh_the_watch_list_and_confirm() {
    let (world, oracle) = world();
    let lines = refresh_watched(&oracle).await;
    assert_eq!(lines[0]["record"], "clinvar:12345");
    assert_eq!(lines[0]["outcome"], "submitted (broadcast)");
    assert_eq!(lines[1]["record"], "gene:888164");
    assert_eq!(world.chain.transactions().len(), 2);

    // The next day: nothing changed, nothing signed.
    let lines = refresh_watched(&oracle).await;
    assert_eq!(lines[0]["outcome"], "unchanged");
    assert_eq!(world.chain.transactions().len(), 2);

    world.chain.mine();
    let confirmed = oracle
        .handle(event(include_str!("events/schedule-confirm-pending.json")))
        .await
        .unwrap();
    let lines = serde_json::to_value(&confirmed).unwrap();
    assert_eq!(lines.as_array().unwrap().len(), 2);
    assert!(
        lines
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["outcome"] == "confirmed")
    );
}

#[tokio::test]
async fn values_are_signed_for_the_configured_contract_on_its_network() {
    let (world, oracle) = world();
    refresh_watched(&oracle).await;
    let contract = Principal::parse(ORACLE_CONTRACT).unwrap();
    let oracle_key = PrivateKey::from_hex(ORACLE_KEY).unwrap().public_key();
    let transactions = world.chain.transactions();
    assert_eq!(transactions.len(), 2);
    for (tx, _) in &transactions {
        let Payload::ContractCall(call) = &tx.payload else {
            panic!("not a contract call");
        };
        let [
            ClarityValue::Buffer(key),
            ClarityValue::Buffer(value),
            ClarityValue::UInt(timestamp),
            ClarityValue::Buffer(signature),
        ] = call.args.as_slice()
        else {
            panic!("not oracle.submit's arguments: {:?}", call.args);
        };
        let hash = message_hash(
            &contract,
            Network::Testnet.chain_id(),
            key.as_slice().try_into().unwrap(),
            value.as_slice().try_into().unwrap(),
            u64::try_from(*timestamp).unwrap(),
        );
        let signature = RecoverableSignature::from_rsv(signature).unwrap();
        assert_eq!(signature.recover(&hash).unwrap(), oracle_key);
    }
}

#[tokio::test]
async fn a_contract_setting_that_is_no_contract_of_the_network_signs_nothing() {
    for (contract, says) in [
        ("oracle", "not a contract id"),
        (
            "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM",
            "an account, not a contract",
        ),
        (
            "SP2J6ZY48GV1EZ5V2V5RB9MP66SW86PYKKNRV9EJ7.oracle",
            "not a testnet address",
        ),
    ] {
        let (world, oracle) = world_with(contract);
        let lines = refresh_watched(&oracle).await;
        for line in lines.as_array().unwrap() {
            assert_eq!(line["outcome"], "error", "{contract}: {line}");
            let error = line["error"].as_str().unwrap();
            assert!(error.contains(ORACLE_CONTRACT_SETTING), "{error}");
            assert!(error.contains(says), "{contract}: {error}");
        }
        assert!(world.chain.transactions().is_empty(), "{contract}");
    }
}

#[tokio::test]
async fn watching_the_panel_attests_its_catalogue_and_genes_after_the_watch_list() {
    let (world, oracle) = world();
    let oracle = oracle.watching_the_panel();
    let lines = refresh_watched(&oracle).await;
    let lines = lines.as_array().unwrap();
    let line = |record: &str| {
        lines
            .iter()
            .find(|line| line["record"] == record)
            .unwrap_or_else(|| panic!("no {record} in {lines:?}"))
    };
    assert_eq!(lines[0]["record"], "clinvar:12345");
    // gene:888164 (rpoB) is both watched and the panel's: refreshed once.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["record"] == "gene:888164")
            .count(),
        1
    );
    assert_eq!(
        line("catalogue:tb-who-2023")["outcome"],
        "submitted (broadcast)"
    );
    // The other genes' source has no answer here: each fails alone.
    assert_eq!(line("gene:885638")["outcome"], "error");
    assert_eq!(world.chain.transactions().len(), 3);
    // A catalogue request for another panel is refused: a poison message, nothing signed.
    let refused = parse_watch_list("catalogue:tb-who-2021").unwrap();
    assert_eq!(refused.len(), 1);
}
