//! The Merkle vectors in `tests/vectors/merkle.json` come from this crate; the
//! Clarity contract tests read the same file, so `registry.verify-inclusion`
//! is checked against exactly what the off-chain code produces.
//!
//! Regenerate after a deliberate rule change with
//! `cargo test -p genoflow-stacks --test merkle_vectors -- --ignored`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use genoflow_stacks::merkle::{Hash32, MerkleTree, verify_inclusion};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Batch sizes covered: every shape of odd level up to a few levels deep.
const SIZES: &[u64] = &[
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100,
];

fn merkle_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/merkle.json")
}

fn item(size: u64, index: u64) -> Hash32 {
    Sha256::digest(format!("genoflow merkle vector {size} {index}")).into()
}

fn computed_vectors() -> Value {
    let cases: Vec<Value> = SIZES
        .iter()
        .map(|&size| {
            let items: Vec<Hash32> = (0..size).map(|index| item(size, index)).collect();
            let tree = MerkleTree::build(&items).unwrap();
            let proofs: Vec<Value> = (0..size)
                .map(|index| {
                    let proof = tree.prove(index).unwrap();
                    json!({"index": index, "proof": proof.siblings.iter().map(hex::encode).collect::<Vec<_>>()})
                })
                .collect();
            json!({
                "items": items.iter().map(hex::encode).collect::<Vec<_>>(),
                "root": hex::encode(tree.root()),
                "proofs": proofs,
            })
        })
        .collect();
    Value::Array(cases)
}

#[test]
fn committed_merkle_vectors_match_the_crate() {
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(merkle_path()).unwrap()).unwrap();
    assert_eq!(
        committed,
        computed_vectors(),
        "tests/vectors/merkle.json differs from what the crate computes; regenerate it with --ignored if the rule changed on purpose"
    );
}

#[test]
fn committed_proofs_verify_against_their_roots() {
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(merkle_path()).unwrap()).unwrap();
    let cases = committed.as_array().unwrap();
    assert!(cases.len() >= SIZES.len());
    let decode = |value: &Value| -> Hash32 {
        hex::decode(value.as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap()
    };
    for case in cases {
        let items: Vec<Hash32> = case["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(decode)
            .collect();
        let root = decode(&case["root"]);
        let size = items.len() as u64;
        for proof in case["proofs"].as_array().unwrap() {
            let index = proof["index"].as_u64().unwrap();
            let siblings: Vec<Hash32> = proof["proof"]
                .as_array()
                .unwrap()
                .iter()
                .map(decode)
                .collect();
            assert!(verify_inclusion(
                &root,
                &items[index as usize],
                index,
                size,
                &siblings
            ));
        }
    }
}

#[test]
#[ignore = "writes tests/vectors/merkle.json; run on purpose with --ignored"]
fn write_merkle_vectors() {
    let text = serde_json::to_string_pretty(&computed_vectors()).unwrap();
    std::fs::write(merkle_path(), text + "\n").unwrap();
}
