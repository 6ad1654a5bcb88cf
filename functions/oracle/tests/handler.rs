//! The oracle handler on SQS batches and schedule payloads shaped like AWS delivers them
//! (`tests/events/`), with NCBI-shaped answers (shared/core/tests/fixtures) from an in-memory
//! fetcher and an in-memory node.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    memory::{ManualClock, MemoryBlobStore, MemoryChain, MemoryFetcher, MemoryTable},
    ports::Chain,
    usecases::{
        oracle::{OracleSigner, SourceUrls},
        submit::ContractSender,
    },
};
use genoflow_function_oracle::{Oracle, OracleEvent, Ports, parse_watch_list};
use genoflow_stacks::{keys::PrivateKey, transaction::Network};
use time::OffsetDateTime;

const BASE: &str = "http://eutils.test";

struct World {
    oracle: Oracle,
    chain: Arc<MemoryChain>,
}

fn world() -> World {
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
                key: PrivateKey::from_hex(
                    "c1d4a3e6bd5cf9a5b4b0e3c1fb3d5b5e8b4ad64d5a1ac0ee0ad7a6f5b2c3d4e501",
                )
                .unwrap(),
                network: Network::Testnet,
                fee: 10_000,
            },
            contract: "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle".to_owned(),
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
    let refreshed = world
        .oracle
        .handle(event(include_str!("events/schedule-refresh-watched.json")))
        .await
        .unwrap();
    let lines = serde_json::to_value(&refreshed).unwrap();
    assert_eq!(lines[0]["record"], "clinvar:12345");
    assert_eq!(lines[0]["outcome"], "submitted (broadcast)");
    assert_eq!(lines[1]["record"], "gene:888164");
    assert_eq!(world.chain.transactions().len(), 2);

    // The next day: nothing changed, nothing signed.
    let again = world
        .oracle
        .handle(event(include_str!("events/schedule-refresh-watched.json")))
        .await
        .unwrap();
    let lines = serde_json::to_value(&again).unwrap();
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
