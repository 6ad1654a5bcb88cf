//! The oracle vectors in `tests/vectors/oracle.json` come from this crate: signatures made by
//! [`OracleSigner::sign`], the code path of the oracle function, over the version 2 message for
//! `ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle` on testnet. Each message also carries a
//! `v1_signature` by the same key over the version 1 message, `SHA-256(key ‖ value ‖
//! to-consensus-buff?(timestamp))`, which the contract must refuse. The Clarity contract tests
//! read the file, so `oracle.submit` is checked against exactly what the oracle signs.
//!
//! Regenerate after a deliberate change with
//! `cargo test -p genoflow-core --test oracle_vectors -- --ignored`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use genoflow_core::usecases::{
    oracle::{OracleSigner, message_hash},
    submit::ContractSender,
};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::{PrivateKey, PublicKey, RecoverableSignature},
    transaction::Network,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The devnet deployer's oracle contract, as the simnet deploys it.
const CONTRACT: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle";
/// How many messages the file holds.
const MESSAGES: u64 = 3;
/// The first timestamp (2023-11-14), long past on any chain's clock.
const FIRST_TIMESTAMP: u64 = 1_700_000_000;

fn oracle_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/oracle.json")
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text).into()
}

/// A fixed test key: SHA-256 of a label (and `01`: its public key is written compressed, as
/// `secp256k1-recover?` answers), worthless anywhere else.
fn signer() -> OracleSigner {
    let secret = [digest("genoflow oracle vector key").as_slice(), &[1]].concat();
    OracleSigner {
        sender: ContractSender {
            key: PrivateKey::from_bytes(&secret).unwrap(),
            network: Network::Testnet,
            fee: 0,
        },
        contract: CONTRACT.to_owned(),
    }
}

/// The version 1 message, which bound no deployment.
fn v1_message_hash(key: &[u8; 32], value: &[u8; 32], timestamp: u64) -> [u8; 32] {
    Sha256::new()
        .chain_update(key)
        .chain_update(value)
        .chain_update(ClarityValue::UInt(u128::from(timestamp)).serialize())
        .finalize()
        .into()
}

fn computed_vectors() -> Value {
    let signer = signer();
    let messages: Vec<Value> = (0..MESSAGES)
        .map(|index| {
            let key = digest(&format!("genoflow oracle vector key {index}"));
            let value = digest(&format!("genoflow oracle vector value {index}"));
            let timestamp = FIRST_TIMESTAMP + index;
            let v1_signature = signer
                .sender
                .key
                .sign(&v1_message_hash(&key, &value, timestamp))
                .unwrap()
                .to_rsv();
            json!({
                "key": hex::encode(key),
                "value": hex::encode(value),
                "timestamp": timestamp,
                "message_hash": hex::encode(signer.message_hash(&key, &value, timestamp).unwrap()),
                "signature": hex::encode(signer.sign(&key, &value, timestamp).unwrap()),
                "v1_signature": hex::encode(v1_signature),
            })
        })
        .collect();
    json!({
        "contract": CONTRACT,
        "chain_id": Network::Testnet.chain_id(),
        "oracle_public_key": hex::encode(signer.sender.key.public_key().to_bytes()),
        "messages": messages,
    })
}

fn committed() -> Value {
    serde_json::from_str(&std::fs::read_to_string(oracle_path()).unwrap()).unwrap()
}

fn bytes<const N: usize>(value: &Value) -> [u8; N] {
    hex::decode(value.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

#[test]
fn committed_oracle_vectors_match_the_crate() {
    assert_eq!(
        committed(),
        computed_vectors(),
        "tests/vectors/oracle.json differs from what the crate computes; regenerate it with --ignored if the message changed on purpose"
    );
}

#[test]
fn committed_signatures_recover_the_oracle_key_over_their_messages() {
    let vectors = committed();
    let contract = Principal::parse(vectors["contract"].as_str().unwrap()).unwrap();
    let chain_id = u32::try_from(vectors["chain_id"].as_u64().unwrap()).unwrap();
    let oracle_key = hex::decode(vectors["oracle_public_key"].as_str().unwrap()).unwrap();
    assert_eq!(oracle_key.len(), 33, "a compressed public key");
    let oracle_key = PublicKey::from_bytes(&oracle_key).unwrap();
    let messages = vectors["messages"].as_array().unwrap();
    assert_eq!(messages.len() as u64, MESSAGES);
    for message in messages {
        let (key, value) = (bytes::<32>(&message["key"]), bytes::<32>(&message["value"]));
        let timestamp = message["timestamp"].as_u64().unwrap();
        let hash = message_hash(&contract, chain_id, &key, &value, timestamp);
        assert_eq!(hash, bytes::<32>(&message["message_hash"]));
        let v1_hash = v1_message_hash(&key, &value, timestamp);
        for (name, over) in [("signature", hash), ("v1_signature", v1_hash)] {
            let signature = RecoverableSignature::from_rsv(&bytes::<65>(&message[name])).unwrap();
            assert!(signature.is_low_s(), "{name}");
            assert_eq!(signature.recover(&over).unwrap(), oracle_key, "{name}");
        }
        // Over the other message, each signature recovers some other key: the contract finds
        // no enabled oracle for it.
        let signature =
            RecoverableSignature::from_rsv(&bytes::<65>(&message["v1_signature"])).unwrap();
        assert!(
            signature
                .recover(&hash)
                .is_ok_and(|other| other != oracle_key)
        );
    }
}

#[test]
#[ignore = "writes tests/vectors/oracle.json; run on purpose with --ignored"]
fn write_oracle_vectors() {
    let text = serde_json::to_string_pretty(&computed_vectors()).unwrap();
    std::fs::write(oracle_path(), text + "\n").unwrap();
}
