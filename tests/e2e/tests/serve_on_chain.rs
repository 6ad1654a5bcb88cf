//! `genoflow serve` with a Stacks node (the chain stand-in at `GENOFLOW_STANDIN_URL`, running
//! the real registry contract): the tb-demo read pair goes from sign-in to a confirmed anchor,
//! and its proof checks out offline and with `registry.verify-inclusion`.

#![allow(clippy::unwrap_used)]

use genoflow_testkit::serve as support;

use std::time::Duration;

use genoflow_core::{
    model::Proof,
    usecases::verify::{verify_offline, verify_on_chain},
};
use genoflow_node::{ClientConfig, NodeClient};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::PrivateKey,
    node::TxStatus,
    transaction::{ContractCall, Network, Transaction, TransactionOptions},
};
use reqwest::Method;
use support::{ALICE_KEY, Client, start_with, tb_demo};

/// The registry's deployer (also the SIP-018 test key the support client signs in with).
const DEPLOYER_KEY: &str = ALICE_KEY;
use genoflow_testkit::keys::WALLET_2_KEY as ANCHOR_KEY;

fn address(key: &str) -> String {
    PrivateKey::from_hex(key)
        .unwrap()
        .address(Network::Testnet.single_sig_version())
        .to_string()
}

/// The deployer enables the anchor account in the registry (and waits for the block).
async fn enable_anchorer(node: &NodeClient) {
    let call = ContractCall::new(
        &format!("{}.registry", address(DEPLOYER_KEY)),
        "set-anchorer",
        vec![
            ClarityValue::Principal(Principal::parse(&address(ANCHOR_KEY)).unwrap()),
            ClarityValue::Bool(true),
        ],
    )
    .unwrap();
    let nonce = node.account(&address(DEPLOYER_KEY)).await.unwrap().nonce;
    let tx = Transaction::sign_new(
        call.into(),
        &TransactionOptions::new(Network::Testnet, nonce, 10_000),
        &PrivateKey::from_hex(DEPLOYER_KEY).unwrap(),
    )
    .unwrap();
    let txid = node.broadcast(&tx).await.unwrap();
    for _ in 0..100 {
        match node.transaction_status(&txid).await.unwrap() {
            TxStatus::Pending | TxStatus::NotFound => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            status => {
                assert!(matches!(status, TxStatus::Success { .. }), "{status:?}");
                return;
            }
        }
    }
    panic!("set-anchorer was not mined");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the chain stand-in: set GENOFLOW_STANDIN_URL (tests/run-all.sh does)"]
async fn serve_anchors_the_read_pair_on_chain_and_the_proof_verifies() {
    // The server's logs, shown when the test fails.
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let url = std::env::var("GENOFLOW_STANDIN_URL")
        .expect("GENOFLOW_STANDIN_URL: start tests/chain-standin");
    let node = NodeClient::new(&url, ClientConfig::default()).unwrap();
    enable_anchorer(&node).await;

    let server = start_with(|config| {
        config.stacks_node = Some(url.clone());
        config.registry = format!("{}.registry", address(DEPLOYER_KEY));
        config.anchor_key = Some(PrivateKey::from_hex(ANCHOR_KEY).unwrap());
    })
    .await;
    let base = server.client.base.clone();

    let mut client = Client::new(&base);
    client.login(ALICE_KEY, 7).await;
    let ids = client.upload(&tb_demo()).await;
    let dataset = client
        .wait_for(&ids[0], &["confirmed"], Duration::from_secs(120))
        .await;
    assert_eq!(dataset["owner"], address(ALICE_KEY));

    let (status, proof) = client
        .call(Method::GET, &format!("/datasets/{}/proof", ids[0]), None)
        .await;
    assert_eq!(status, 200, "{proof}");
    assert_eq!(proof["tx_status"], "confirmed", "{proof}");
    let proof: Proof = serde_json::from_value(proof).unwrap();
    // The exact report bytes, through the download link the report route signs.
    let (_, report) = client
        .call(Method::GET, &format!("/datasets/{}/report", ids[1]), None)
        .await;
    let bytes = client.download_artifact(&report, "report.json").await;
    let checks = verify_offline(&bytes, &proof)
        .into_iter()
        .chain(verify_on_chain(&node, &proof, &proof.registry).await);
    for check in checks {
        assert!(check.holds, "{}: {}", check.what, check.detail);
    }
    server.stop().await;
}
