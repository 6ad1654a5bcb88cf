//! The oracle handler on SQS batches and schedule payloads shaped like AWS delivers them
//! (`tests/events/`), with NCBI-shaped answers (shared/core/tests/fixtures) from an in-memory
//! fetcher and an in-memory node.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    ports::Chain,
    usecases::{
        oracle::{ORACLE_CONTRACT_SETTING, OracleSigner, SourceUrls, message_hash},
        submit::ContractSender,
    },
};
use genoflow_function_oracle::{Oracle, OracleEvent, Ports, parse_watch_list};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::{PrivateKey, RecoverableSignature},
    transaction::{Network, Payload},
};
use genoflow_testkit::memory::{
    ManualClock, MemoryBlobStore, MemoryChain, MemoryFetcher, MemoryTable,
};
use time::OffsetDateTime;

const BASE: &str = "http://eutils.test";
use genoflow_testkit::keys::ORACLE_KEY;
const ORACLE_CONTRACT: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle";

struct World {
    oracle: Oracle,
    chain: Arc<MemoryChain>,
}

fn world() -> World {
    world_with(ORACLE_CONTRACT)
}

fn world_with(contract: &str) -> World {
    let fetcher = Arc::new(MemoryFetcher::default());
    let fixture = |name: &str| {
        std::fs::read(format!(
            "{}/../../shared/core/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    fetcher.answer(
        &format!("{BASE}/esummary.fcgi?db=clinvar&id=12345&retmode=json"),
        200,
        fixture("clinvar-esummary-12345.json"),
    );
    fetcher.answer(
        &format!("{BASE}/esummary.fcgi?db=gene&id=888164&retmode=json"),
        200,
        fixture("gene-esummary-888164.json"),
    );
    let chain = Arc::new(MemoryChain::default());
    let oracle = Oracle::new(
        Ports {
            table: Arc::new(MemoryTable::default()),
            blobs: Arc::new(MemoryBlobStore::default()),
            clock: Arc::new(ManualClock::new(
                OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            )),
            chain: Some(chain.clone() as Arc<dyn Chain>),
            fetcher,
        },
        OracleSigner {
            sender: ContractSender {
                key: PrivateKey::from_hex(ORACLE_KEY).unwrap(),
                network: Network::Testnet,
                fee: 10_000,
            },
            contract: contract.to_owned(),
        },
        SourceUrls {
            clinvar: BASE.to_owned(),
            gene: BASE.to_owned(),
        },
        parse_watch_list("clinvar:12345,gene:888164").unwrap(),
    );
    World { oracle, chain }
}

fn event(text: &str) -> OracleEvent {
    serde_json::from_str(text).unwrap()
}

/// The daily schedule's payload; answers the lines, one per watched record.
async fn refresh_watched(world: &World) -> serde_json::Value {
    let answer = world
        .oracle
        .handle(event(include_str!("events/schedule-refresh-watched.json")))
        .await
        .unwrap();
    serde_json::to_value(&answer).unwrap()
}

#[tokio::test]
async fn an_sqs_batch_submits_what_it_can_and_lists_the_rest() {
    let world = world();
    let answer = world
        .oracle
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
    let world = world();
    let lines = refresh_watched(&world).await;
    assert_eq!(lines[0]["record"], "clinvar:12345");
    assert_eq!(lines[0]["outcome"], "submitted (broadcast)");
    assert_eq!(lines[1]["record"], "gene:888164");
    assert_eq!(world.chain.transactions().len(), 2);

    // The next day: nothing changed, nothing signed.
    let lines = refresh_watched(&world).await;
    assert_eq!(lines[0]["outcome"], "unchanged");
    assert_eq!(world.chain.transactions().len(), 2);

    world.chain.mine();
    let confirmed = world
        .oracle
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
    let world = world();
    refresh_watched(&world).await;
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
        let world = world_with(contract);
        let lines = refresh_watched(&world).await;
        for line in lines.as_array().unwrap() {
            assert_eq!(line["outcome"], "error", "{contract}: {line}");
            let error = line["error"].as_str().unwrap();
            assert!(error.contains(ORACLE_CONTRACT_SETTING), "{error}");
            assert!(error.contains(says), "{contract}: {error}");
        }
        assert!(world.chain.transactions().is_empty(), "{contract}");
    }
}
