//! `genoflow verify` offline: a report and a proof built the way the pipeline builds them, then
//! one changed byte at a time.

#![allow(clippy::unwrap_used)]

use std::{path::Path, process::Command};

use genoflow_node::{ClientConfig, NodeClient};

use genoflow_stacks::merkle::MerkleTree;
use sha2::{Digest, Sha256};

fn genoflow(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_genoflow"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap(), text)
}

/// A report.json and its proof as leaf 2 of a batch of 3.
fn write_pair(dir: &Path) -> (String, String) {
    write_anchored_pair(
        dir,
        7,
        &"ab".repeat(32),
        "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry",
    )
    .0
}

/// [`write_pair`] with the batch's id, transaction and registry; also answers the root.
fn write_anchored_pair(
    dir: &Path,
    batch_id: u64,
    txid: &str,
    registry: &str,
) -> ((String, String), [u8; 32]) {
    let (r1, r2) = (Sha256::digest(b"R1 bytes"), Sha256::digest(b"R2 bytes"));
    let pipeline_id = hex::encode(Sha256::digest(b"configuration"));
    let report = serde_json::to_string_pretty(&serde_json::json!({
        "schema": "genoflow.report/1",
        "pipeline_id": pipeline_id,
        "inputs": [
            {"path": "R1.fastq.gz", "sha256": hex::encode(r1), "format": "fastq", "records": 1},
            {"path": "R2.fastq.gz", "sha256": hex::encode(r2), "format": "fastq", "records": 1}
        ],
        "resistance": []
    }))
    .unwrap()
        + "\n";
    let inputs_hash: [u8; 32] = Sha256::new()
        .chain_update(r1)
        .chain_update(r2)
        .finalize()
        .into();
    let report_sha256: [u8; 32] = Sha256::digest(report.as_bytes()).into();
    let item: [u8; 32] = Sha256::new()
        .chain_update(inputs_hash)
        .chain_update(report_sha256)
        .chain_update(hex::decode(&pipeline_id).unwrap())
        .finalize()
        .into();
    let items = [
        Sha256::digest(b"other 1").into(),
        Sha256::digest(b"other 2").into(),
        item,
    ];
    let tree = MerkleTree::build(&items).unwrap();
    let path = tree.prove(2).unwrap();
    let proof = serde_json::json!({
        "item": hex::encode(item),
        "inputs_hash": hex::encode(inputs_hash),
        "report_sha256": hex::encode(report_sha256),
        "pipeline_id": pipeline_id,
        "batch_id": batch_id,
        "root": hex::encode(tree.root()),
        "index": 2,
        "proof": path.siblings.iter().map(hex::encode).collect::<Vec<_>>(),
        "size": 3,
        "txid": txid,
        "tx_status": "confirmed",
        "registry": registry
    })
    .to_string();
    let (report_path, proof_path) = (dir.join("report.json"), dir.join("proof.json"));
    std::fs::write(&report_path, &report).unwrap();
    std::fs::write(&proof_path, &proof).unwrap();
    (
        (
            report_path.to_str().unwrap().to_owned(),
            proof_path.to_str().unwrap().to_owned(),
        ),
        tree.root(),
    )
}

#[test]
fn a_report_and_its_proof_verify_and_any_changed_byte_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (report, proof) = write_pair(dir.path());
    let (code, out) = genoflow(&["verify", "--report", &report, "--proof", &proof]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified offline"), "{out}");
    assert_eq!(out.matches("ok   ").count(), 5, "{out}");

    // Every byte of the report is covered: change one anywhere and it fails.
    let original = std::fs::read(&report).unwrap();
    for position in [0, original.len() / 2, original.len() - 1] {
        let mut changed = original.clone();
        changed[position] ^= 0x01;
        std::fs::write(&report, &changed).unwrap();
        let (code, out) = genoflow(&["verify", "--report", &report, "--proof", &proof]);
        assert_eq!(code, 1, "byte {position}: {out}");
        assert!(out.contains("FAIL report SHA-256"), "{out}");
    }
    std::fs::write(&report, &original).unwrap();

    // ... and of the proof's hashes and position.
    let proof_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    for (field, value) in [
        ("index", serde_json::json!(1)),
        ("root", serde_json::json!("cd".repeat(32))),
        ("item", serde_json::json!("ef".repeat(32))),
        ("inputs_hash", serde_json::json!("01".repeat(32))),
        ("pipeline_id", serde_json::json!("02".repeat(32))),
        (
            "proof",
            serde_json::json!(["03".repeat(32), "04".repeat(32)]),
        ),
    ] {
        let mut forged = proof_json.clone();
        forged[field] = value;
        std::fs::write(&proof, forged.to_string()).unwrap();
        let (code, out) = genoflow(&["verify", "--report", &report, "--proof", &proof]);
        assert_eq!(code, 1, "{field}: {out}");
        assert!(out.contains("NOT verified"), "{out}");
    }
}

#[test]
fn the_api_answer_instead_of_report_json_and_a_bad_proof_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let (report, proof) = write_pair(dir.path());
    let wrapped = dir.path().join("answer.json");
    let report_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    std::fs::write(
        &wrapped,
        serde_json::json!({"dataset_id": "d", "report": report_json, "artifacts": []}).to_string(),
    )
    .unwrap();
    let (code, out) = genoflow(&[
        "verify",
        "--report",
        wrapped.to_str().unwrap(),
        "--proof",
        &proof,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("download report.json from its artifacts link"),
        "{out}"
    );

    let (code, out) = genoflow(&["verify", "--report", &report, "--proof", &report]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not a GenoFlow proof"), "{out}");
    let (code, out) = genoflow(&[
        "verify",
        "--report",
        "/nonexistent/report.json",
        "--proof",
        &proof,
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("cannot read /nonexistent/report.json"),
        "{out}"
    );
}

/// `--node` against the chain stand-in (`GENOFLOW_STANDIN_URL`, started by tests/run-all.sh):
/// the root is anchored for real, then verify asks the node.
#[test]
#[ignore = "needs the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
fn with_a_node_the_batch_transaction_and_verify_inclusion_are_checked() {
    use genoflow_stacks::{
        clarity::{ClarityValue, Principal},
        keys::PrivateKey,
        node::TxStatus,
        transaction::{ContractCall, Network, Transaction, TransactionOptions},
    };
    let url = std::env::var("GENOFLOW_STANDIN_URL").expect("GENOFLOW_STANDIN_URL");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let node = NodeClient::new(&url, ClientConfig::default()).unwrap();
    let deployer =
        PrivateKey::from_hex("753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601")
            .unwrap();
    let registry = format!(
        "{}.registry",
        deployer.address(Network::Testnet.single_sig_version())
    );
    let send = |args: (&str, Vec<ClarityValue>)| {
        runtime.block_on(async {
            let sender = deployer
                .address(Network::Testnet.single_sig_version())
                .to_string();
            let nonce = node.account(&sender).await.unwrap().nonce;
            let call = ContractCall::new(&registry, args.0, args.1).unwrap();
            let tx = Transaction::sign_new(
                call.into(),
                &TransactionOptions::new(Network::Testnet, nonce, 10_000),
                &deployer,
            )
            .unwrap();
            let txid = node.broadcast(&tx).await.unwrap();
            loop {
                match node.transaction_status(&txid).await.unwrap() {
                    TxStatus::Pending | TxStatus::NotFound => {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await
                    }
                    TxStatus::Success {
                        result: Some(ClarityValue::Response(Ok(value))),
                        ..
                    } => return (txid, *value),
                    other => panic!("{other:?}"),
                }
            }
        })
    };
    let me = deployer
        .address(Network::Testnet.single_sig_version())
        .to_string();
    send((
        "set-anchorer",
        vec![
            ClarityValue::Principal(Principal::parse(&me).unwrap()),
            ClarityValue::Bool(true),
        ],
    ));
    // The root of write_anchored_pair's tree does not depend on the batch id or txid.
    let dir = tempfile::tempdir().unwrap();
    let (_, root) = write_anchored_pair(dir.path(), 0, &"00".repeat(32), &registry);
    let (txid, batch_id) = send((
        "anchor-batch",
        vec![ClarityValue::Buffer(root.to_vec()), ClarityValue::UInt(3)],
    ));
    let ClarityValue::UInt(batch_id) = batch_id else {
        panic!("{batch_id:?}")
    };
    let ((report, proof), _) =
        write_anchored_pair(dir.path(), batch_id as u64, &hex::encode(txid), &registry);

    let (code, out) = genoflow(&[
        "verify", "--report", &report, "--proof", &proof, "--node", &url,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok   verify-inclusion"), "{out}");
    assert!(out.contains("verified offline and on chain"), "{out}");

    // Another batch id: the transaction's result and verify-inclusion disagree.
    let ((report, proof), _) = write_anchored_pair(
        dir.path(),
        batch_id as u64 + 1,
        &hex::encode(txid),
        &registry,
    );
    let (code, out) = genoflow(&[
        "verify", "--report", &report, "--proof", &proof, "--node", &url,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL transaction"), "{out}");
}
