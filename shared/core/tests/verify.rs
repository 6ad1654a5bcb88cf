//! `verify`'s catalogue checks: the key a report names for its catalogue offline, and
//! `oracle.get-value` for it on an in-memory node whose oracle contract holds what the oracle
//! use case submitted.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    model::Proof,
    ports::Chain,
    usecases::{
        analyze::PanelSource,
        oracle::{OracleOutcome, OracleRequested, OracleSigner, OracleUpdates, Source, SourceUrls},
        submit::ContractSender,
        verify::{
            CATALOGUE_ATTESTED, CATALOGUE_KEY, CATALOGUE_VALUE, Check, verify_catalogue_on_chain,
            verify_offline,
        },
    },
};
use genoflow_genomics::analysis::{BUILTIN_TB, Panel, attestation::Attestation};
use genoflow_stacks::{keys::PrivateKey, transaction::Network};
use genoflow_testkit::{
    keys::ORACLE_KEY,
    memory::{ManualClock, MemoryBlobStore, MemoryChain, MemoryFetcher, MemoryTable},
};
use serde_json::json;
use time::OffsetDateTime;

const ORACLE_CONTRACT: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle";

/// The catalogue attestation of the built-in panel, as a report names it.
fn named() -> Attestation {
    Panel::load(BUILTIN_TB).unwrap().catalogue_attestation()
}

/// A report.json naming `catalogue` (`None`: an older report without the block).
fn report(catalogue: Option<&Attestation>) -> Vec<u8> {
    let mut report = json!({
        "schema": "genoflow.report/1",
        "pipeline_id": "00".repeat(32),
        "inputs": [],
    });
    if let Some(catalogue) = catalogue {
        report["catalogue"] = serde_json::to_value(catalogue).unwrap();
    }
    serde_json::to_vec_pretty(&report).unwrap()
}

fn proof() -> Proof {
    serde_json::from_value(json!({
        "item": "00", "inputs_hash": "00", "report_sha256": "00", "pipeline_id": "00",
        "batch_id": null, "root": "00", "index": 0, "proof": [], "size": 1, "txid": "00",
        "tx_status": "unbroadcast"}))
    .unwrap()
}

fn named_check<'c>(checks: &'c [Check], what: &str) -> &'c Check {
    checks
        .iter()
        .find(|check| check.what == what)
        .unwrap_or_else(|| panic!("no {what} check in {checks:?}"))
}

/// An in-memory node whose oracle contract holds the built-in panel's catalogue, submitted and
/// mined the way the oracle does it.
async fn attested_chain() -> Arc<MemoryChain> {
    let chain = Arc::new(MemoryChain::default());
    let oracle = OracleUpdates {
        table: Arc::new(MemoryTable::default()),
        blobs: Arc::new(MemoryBlobStore::default()),
        clock: Arc::new(ManualClock::new(
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        )),
        chain: Some(chain.clone() as Arc<dyn Chain>),
        fetcher: Arc::new(MemoryFetcher::default()),
        urls: SourceUrls {
            clinvar: "http://ncbi.test/eutils".to_owned(),
            gene: "http://ncbi.test/eutils".to_owned(),
        },
        signer: OracleSigner {
            sender: ContractSender {
                key: PrivateKey::from_hex(ORACLE_KEY).unwrap(),
                network: Network::Testnet,
                fee: 1_000,
            },
            contract: ORACLE_CONTRACT.to_owned(),
        },
        panel: Some(Arc::new(PanelSource::named(BUILTIN_TB))),
    };
    let outcome = oracle
        .refresh(&OracleRequested {
            source: Source::Catalogue,
            id: BUILTIN_TB.to_owned(),
        })
        .await
        .unwrap();
    assert!(
        matches!(outcome, OracleOutcome::Submitted { .. }),
        "{outcome:?}"
    );
    assert_eq!(chain.mine(), 1);
    chain
}

#[test]
fn offline_the_catalogue_key_is_recomputed_from_its_id() {
    let checks = verify_offline(&report(Some(&named())), &proof());
    let key = named_check(&checks, CATALOGUE_KEY);
    assert!(key.holds && !key.skipped, "{key:?}");

    // A key that is not SHA-256("catalogue:{id}"): the block was edited.
    let mut edited = named();
    edited.key = "ab".repeat(32);
    let checks = verify_offline(&report(Some(&edited)), &proof());
    let key = named_check(&checks, CATALOGUE_KEY);
    assert!(!key.holds, "{key:?}");
    assert!(key.detail.contains("was edited"), "{}", key.detail);

    // Another source in the block: damaged.
    let mut other = named();
    other.source = "gene".to_owned();
    let checks = verify_offline(&report(Some(&other)), &proof());
    assert!(!named_check(&checks, CATALOGUE_KEY).holds);

    // An older report without the block: skipped, not failed.
    let checks = verify_offline(&report(None), &proof());
    let key = named_check(&checks, CATALOGUE_KEY);
    assert!(key.holds && key.skipped, "{key:?}");
    assert!(key.detail.contains("no catalogue block"), "{}", key.detail);
}

#[tokio::test]
async fn on_chain_the_attested_catalogue_holds_and_another_value_fails() {
    let chain = attested_chain().await;

    let checks =
        verify_catalogue_on_chain(chain.as_ref(), &report(Some(&named())), ORACLE_CONTRACT).await;
    assert_eq!(checks.len(), 2, "{checks:?}");
    for check in &checks {
        assert!(check.holds && !check.skipped, "{check:?}");
    }
    let oracle_key = PrivateKey::from_hex(ORACLE_KEY).unwrap().public_key();
    let attested = named_check(&checks, CATALOGUE_ATTESTED);
    assert!(
        attested
            .detail
            .contains(&hex::encode(oracle_key.to_bytes())),
        "{}",
        attested.detail
    );
    assert!(attested.detail.contains("timestamp 1800000000"));

    // A report made with another catalogue under the same panel name.
    let mut changed = named();
    changed.value = "cd".repeat(32);
    let checks =
        verify_catalogue_on_chain(chain.as_ref(), &report(Some(&changed)), ORACLE_CONTRACT).await;
    assert!(named_check(&checks, CATALOGUE_ATTESTED).holds);
    let value = named_check(&checks, CATALOGUE_VALUE);
    assert!(!value.holds, "{value:?}");
    assert!(
        value.detail.contains(&format!(
            "the chain holds another value for catalogue {BUILTIN_TB}"
        )) && value
            .detail
            .contains("this report was made with a different catalogue than the one attested"),
        "{}",
        value.detail
    );
    assert!(value.detail.contains(&named().value), "{}", value.detail);

    // A key edited in the report: refused before the chain is asked.
    let reads = chain.read_only_calls();
    let mut edited = named();
    edited.key = "ab".repeat(32);
    let checks =
        verify_catalogue_on_chain(chain.as_ref(), &report(Some(&edited)), ORACLE_CONTRACT).await;
    assert_eq!(checks.len(), 1);
    assert!(!checks[0].holds && checks[0].detail.contains("was edited"));
    assert_eq!(chain.read_only_calls(), reads);
}

#[tokio::test]
async fn nothing_attested_an_older_report_and_a_node_down_are_said() {
    let chain = attested_chain().await;

    // Another deployment's oracle contract never attested this catalogue.
    let elsewhere = "ST2JHG361ZXG51QTKY2NQCVBPPRRE2KZB1HR05NNC.oracle";
    let checks =
        verify_catalogue_on_chain(chain.as_ref(), &report(Some(&named())), elsewhere).await;
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0].what, CATALOGUE_ATTESTED);
    assert!(!checks[0].holds);
    assert!(
        checks[0].detail.contains(&format!(
            "{elsewhere} holds no value for catalogue {BUILTIN_TB}"
        )) && checks[0].detail.contains("--oracle"),
        "{}",
        checks[0].detail
    );

    // An older report: one skipped check, nothing asked.
    let reads = chain.read_only_calls();
    let checks = verify_catalogue_on_chain(chain.as_ref(), &report(None), ORACLE_CONTRACT).await;
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert!(checks[0].holds && checks[0].skipped, "{checks:?}");
    assert_eq!(chain.read_only_calls(), reads);

    // Not a contract id.
    let checks = verify_catalogue_on_chain(chain.as_ref(), &report(Some(&named())), "oracle").await;
    assert!(!checks[0].holds && checks[0].detail.contains("ADDRESS.oracle"));

    // The node is down.
    chain.set_unavailable(true);
    let checks =
        verify_catalogue_on_chain(chain.as_ref(), &report(Some(&named())), ORACLE_CONTRACT).await;
    assert_eq!(checks.len(), 1);
    assert!(!checks[0].holds);
    assert!(
        checks[0].detail.starts_with("cannot ask the node"),
        "{}",
        checks[0].detail
    );
}
