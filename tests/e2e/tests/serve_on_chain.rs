//! `genoflow serve` with a Stacks node (the chain stand-in at `GENOFLOW_STANDIN_URL`, running
//! the real registry and oracle contracts) and an oracle key: the tb-demo read pair goes from
//! sign-in to a confirmed anchor, and its proof checks out offline and with
//! `registry.verify-inclusion`; the oracle attests the panel's genes (from a copy of
//! `tests/data/oracle-source`) and its catalogue, shown `confirmed` and matching the chain by
//! `GET /oracle/...`; `genoflow verify --node` (the built binary) passes for the anchored report
//! and fails on the catalogue for a report made with a changed catalogue; a gene whose source
//! document is garbage is not attested and sends nothing until its document is repaired.
//!
//! The binary is `target/debug/genoflow` (or `GENOFLOW_BIN`): tests/run-all.sh builds it in the
//! same `cargo test -p genoflow-e2e -p genoflow-cli` run.

#![allow(clippy::unwrap_used)]

use genoflow_testkit::serve as support;

use std::{
    io::{Read as _, Write as _},
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use genoflow_core::{
    model::Proof,
    usecases::verify::{verify_offline, verify_on_chain},
};
use genoflow_genomics::analysis::{BUILTIN_TB, Panel};
use genoflow_node::{ClientConfig, NodeClient};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::PrivateKey,
    node::TxStatus,
    transaction::{ContractCall, Network, Transaction, TransactionOptions},
};
use reqwest::Method;
use serde_json::{Value, json};
use support::{ALICE_KEY, Client, start_with, tb_demo};

/// The registry's deployer (also the SIP-018 test key the support client signs in with).
const DEPLOYER_KEY: &str = ALICE_KEY;
use genoflow_testkit::keys::WALLET_2_KEY as ANCHOR_KEY;
use genoflow_testkit::keys::WALLET_3_KEY as ORACLE_KEY;

/// NCBI Gene id of katG, whose source document starts as garbage.
const KATG: &str = "885638";

fn address(key: &str) -> String {
    PrivateKey::from_hex(key)
        .unwrap()
        .address(Network::Testnet.single_sig_version())
        .to_string()
}

/// The deployer calls `registry.{function}(args)` or `oracle.{function}(args)` and waits for
/// the block.
async fn deployer_call(node: &NodeClient, contract: &str, function: &str, args: Vec<ClarityValue>) {
    let call = ContractCall::new(
        &format!("{}.{contract}", address(DEPLOYER_KEY)),
        function,
        args,
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
    panic!("{contract}.{function} was not mined");
}

/// The deployer enables the anchor account in the registry.
async fn enable_anchorer(node: &NodeClient) {
    let anchorer = Principal::parse(&address(ANCHOR_KEY)).unwrap();
    let args = vec![ClarityValue::Principal(anchorer), ClarityValue::Bool(true)];
    deployer_call(node, "registry", "set-anchorer", args).await;
}

/// The contract owner (the deployer) enables the oracle key.
async fn enable_oracle(node: &NodeClient) {
    let public_key = PrivateKey::from_hex(ORACLE_KEY).unwrap().public_key();
    let args = vec![
        ClarityValue::Buffer(public_key.to_bytes().to_vec()),
        ClarityValue::Bool(true),
    ];
    deployer_call(node, "oracle", "set-oracle", args).await;
}

/// The built `genoflow` binary.
fn genoflow_bin() -> PathBuf {
    let path = std::env::var_os("GENOFLOW_BIN").map_or_else(
        || {
            // target/debug/deps/serve_on_chain-…: the binary is target/debug/genoflow.
            let test = std::env::current_exe().unwrap();
            test.parent().unwrap().parent().unwrap().join("genoflow")
        },
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "{} is missing: build it (cargo build --bin genoflow), or run this test with \
         -p genoflow-cli as tests/run-all.sh does",
        path.display()
    );
    path
}

/// Runs `genoflow args`: its exit code and its output.
fn genoflow(args: &[&str]) -> (i32, String) {
    let output = Command::new(genoflow_bin()).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap(), text)
}

/// The repository's oracle source directory, copied, with katG's document garbage.
fn oracle_source(dir: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/oracle-source/gene");
    let to = dir.join("oracle-source");
    std::fs::create_dir_all(to.join("gene")).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join("gene").join(entry.file_name())).unwrap();
    }
    std::fs::write(
        to.join(format!("gene/{KATG}.json")),
        "<html>maintenance</html>",
    )
    .unwrap();
    to
}

/// A copy of the built-in panel (same name) whose catalogue has one line changed.
fn changed_panel(dir: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/genomics/panels")
        .join(BUILTIN_TB);
    let to = dir.join("changed-panel");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    let mut catalogue = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(to.join("catalogue.tsv.gz")).unwrap())
        .read_to_string(&mut catalogue)
        .unwrap();
    let mut lines: Vec<String> = catalogue.lines().map(str::to_owned).collect();
    let last = lines.last_mut().unwrap();
    assert!(last.ends_with("2) Assoc w R - Interim"), "{last}");
    *last = last.replace("2) Assoc w R - Interim", "3) Uncertain significance");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(to.join("catalogue.tsv.gz")).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all((lines.join("\n") + "\n").as_bytes()).unwrap();
    gz.finish().unwrap();
    to
}

/// Polls `GET /oracle/gene/{symbol}` for each symbol and `GET /oracle/catalogue/{panel}` until
/// each is `confirmed` and matches the chain; answers the catalogue's view.
async fn wait_confirmed(client: &Client, symbols: &[String], limit: Duration) -> Value {
    let started = Instant::now();
    let mut paths: Vec<String> = symbols
        .iter()
        .map(|s| format!("/oracle/gene/{s}"))
        .collect();
    paths.push(format!("/oracle/catalogue/{BUILTIN_TB}"));
    let mut last = Value::Null;
    for path in &paths {
        loop {
            let (status, body) = client.call(Method::GET, path, None).await;
            if status == 200 && body["state"] == "confirmed" && body["matches_chain"] == true {
                last = body;
                break;
            }
            assert!(
                started.elapsed() < limit,
                "{path} not confirmed within {limit:?}: {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    last
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the chain stand-in: set GENOFLOW_STANDIN_URL (tests/run-all.sh does)"]
async fn serve_anchors_and_attests_on_chain_and_verify_checks_the_catalogue() {
    // The server's logs, shown when the test fails.
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let url = std::env::var("GENOFLOW_STANDIN_URL")
        .expect("GENOFLOW_STANDIN_URL: start tests/chain-standin");
    let node = NodeClient::new(&url, ClientConfig::default()).unwrap();
    enable_anchorer(&node).await;
    enable_oracle(&node).await;
    let oracle_account = address(ORACLE_KEY);
    let oracle_nonce = node.account(&oracle_account).await.unwrap().nonce;
    let dir = tempfile::tempdir().unwrap();
    let source = oracle_source(dir.path());

    let server = start_with(|config| {
        config.stacks_node = Some(url.clone());
        config.registry = format!("{}.registry", address(DEPLOYER_KEY));
        config.anchor_key = Some(PrivateKey::from_hex(ANCHOR_KEY).unwrap());
        config.oracle_key = Some(PrivateKey::from_hex(ORACLE_KEY).unwrap());
        config.oracle_source = Some(source.clone());
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

    // The oracle attested the panel's genes but katG, and the catalogue: confirmed, matching
    // the chain; the catalogue is the one the report names.
    let panel = Panel::load(BUILTIN_TB).unwrap();
    let symbols: Vec<String> = panel
        .genes
        .iter()
        .filter(|gene| gene.ncbi_gene_id.is_some())
        .map(|gene| gene.name.clone())
        .collect();
    let attested: Vec<String> = symbols.iter().filter(|s| *s != "katG").cloned().collect();
    assert_eq!(attested.len() + 1, symbols.len());
    let catalogue = wait_confirmed(&server.client, &attested, Duration::from_secs(120)).await;
    let named = panel.catalogue_attestation();
    let report_json: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(report_json["catalogue"], json!(named));
    assert_eq!(
        (&catalogue["key"], &catalogue["value"]),
        (&json!(named.key), &json!(named.value))
    );
    assert_eq!(catalogue["on_chain"]["value"], json!(named.value));

    // katG's source answered garbage: not attested, and nothing was sent for it: the oracle
    // account sent one transaction per attested gene and one for the catalogue.
    let (status, katg) = server
        .client
        .call(Method::GET, "/oracle/gene/katG", None)
        .await;
    assert_eq!(
        (status, &katg["error"]["code"]),
        (404, &json!("not_attested")),
        "{katg}"
    );
    let sent = node.account(&oracle_account).await.unwrap().nonce - oracle_nonce;
    assert_eq!(sent, attested.len() as u64 + 1);

    // genoflow verify --node: the anchor and the catalogue hold.
    let report_path = dir.path().join("report.json");
    let proof_path = dir.path().join("proof.json");
    std::fs::write(&report_path, &bytes).unwrap();
    std::fs::write(&proof_path, serde_json::to_vec(&proof).unwrap()).unwrap();
    let verify = |report: &Path| {
        genoflow(&[
            "verify",
            "--report",
            report.to_str().unwrap(),
            "--proof",
            proof_path.to_str().unwrap(),
            "--node",
            &url,
        ])
    };
    let (code, out) = verify(&report_path);
    println!("genoflow verify --node, the anchored report:\n{out}");
    assert_eq!(code, 0, "{out}");
    for line in [
        "ok   catalogue key: ",
        "ok   catalogue attested: ",
        "ok   catalogue value: ",
        "verified offline and on chain",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }

    // The same reads analysed against a panel whose catalogue has one changed line: the report
    // names another value for the same catalogue, and verify fails on it.
    let reads = dir.path().join("reads");
    std::fs::create_dir(&reads).unwrap();
    let mut read_paths = Vec::new();
    for (name, content) in tb_demo() {
        std::fs::write(reads.join(name), content).unwrap();
        read_paths.push(reads.join(name).to_str().unwrap().to_owned());
    }
    let changed = changed_panel(dir.path());
    let out_dir = dir.path().join("changed-report");
    let (code, out) = genoflow(&[
        "analyze",
        &read_paths[0],
        &read_paths[1],
        "--panel",
        changed.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let changed_report = out_dir.join("report.json");
    let changed_json: Value =
        serde_json::from_slice(&std::fs::read(&changed_report).unwrap()).unwrap();
    assert_eq!(changed_json["catalogue"]["key"], json!(named.key));
    assert_ne!(changed_json["catalogue"]["value"], json!(named.value));
    let (code, out) = verify(&changed_report);
    println!("genoflow verify --node, a report made with a changed catalogue:\n{out}");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "FAIL catalogue value: the chain holds another value for catalogue {BUILTIN_TB}"
        )) && out.contains("this report was made with a different catalogue than the one attested"),
        "{out}"
    );
    assert!(out.contains("ok   catalogue attested: "), "{out}");

    // katG's document repaired, the operator refreshes: katG alone is submitted and confirmed.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../tests/data/oracle-source/gene/{KATG}.json")),
        source.join(format!("gene/{KATG}.json")),
    )
    .unwrap();
    let (status, answer) = server
        .client
        .call_as(
            Method::POST,
            "/admin/oracle/refresh",
            Some(&server.admin_token()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (&answer["submitted"], &answer["errors"]),
        (&json!(1), &json!(0)),
        "{answer}"
    );
    wait_confirmed(
        &server.client,
        &["katG".to_owned()],
        Duration::from_secs(60),
    )
    .await;
    let sent = node.account(&oracle_account).await.unwrap().nonce - oracle_nonce;
    assert_eq!(sent, symbols.len() as u64 + 1);
    server.stop().await;
}
