//! Agreement with `@stacks/transactions`: checks `tests/vectors/stacks.json`
//! (or the file named by `STACKS_VECTORS`, which `tests/run-all.sh` sets to a
//! freshly generated copy). Every kind must hold at least one vector.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use genoflow_stacks::address::{AddressVersion, StacksAddress};
use genoflow_stacks::clarity::{ClarityValue, Principal};
use genoflow_stacks::keys::{PrivateKey, PublicKey};
use genoflow_stacks::merkle::{Hash32, MerkleTree, verify_inclusion};
use genoflow_stacks::sip018;
use genoflow_stacks::transaction::{
    AssetInfo, ContractCall, FungibleCondition, Network, NonFungibleCondition, Payload,
    PostCondition, PostConditionMode, PostConditionPrincipal, Transaction, TransactionOptions,
};
use serde_json::Value;

fn vectors() -> &'static Value {
    static VECTORS: OnceLock<Value> = OnceLock::new();
    VECTORS.get_or_init(|| {
        let path = std::env::var_os("STACKS_VECTORS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/stacks.json")
            });
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
        serde_json::from_str(&text).expect("vectors file is JSON")
    })
}

fn kind(name: &str) -> &'static [Value] {
    let cases = vectors()[name]
        .as_array()
        .unwrap_or_else(|| panic!("vectors have no {name:?} array"));
    assert!(!cases.is_empty(), "vectors have no {name} cases");
    cases
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field:?} missing in {case}"))
}

fn number(case: &Value, field: &str) -> u64 {
    case[field]
        .as_u64()
        .unwrap_or_else(|| panic!("field {field:?} missing in {case}"))
}

fn bytes(case: &Value, field: &str) -> Vec<u8> {
    hex::decode(text(case, field)).unwrap()
}

fn network(case: &Value) -> Network {
    match text(case, "network") {
        "mainnet" => Network::Mainnet,
        "testnet" => Network::Testnet,
        other => panic!("unknown network {other}"),
    }
}

#[test]
fn values_decode_and_reencode_to_the_same_bytes() {
    for case in kind("values") {
        let bytes = bytes(case, "hex");
        let value = ClarityValue::deserialize(&bytes)
            .unwrap_or_else(|error| panic!("{}: {error}", text(case, "hex")));
        assert_eq!(value.serialize(), bytes, "re-encoding {value}");
        assert!(!value.to_string().is_empty());
    }
}

#[test]
fn invalid_values_are_rejected() {
    for case in kind("invalid_values") {
        let result = ClarityValue::deserialize(&bytes(case, "hex"));
        assert!(
            result.is_err(),
            "accepted invalid value ({}): {}",
            text(case, "why"),
            text(case, "hex")
        );
    }
}

#[test]
fn addresses_derive_from_public_keys() {
    for case in kind("addresses") {
        let version = AddressVersion::new(u8::try_from(number(case, "version")).unwrap()).unwrap();
        let derived = StacksAddress::from_public_key(version, &bytes(case, "public_key"));
        assert_eq!(derived.to_string(), text(case, "address"));
        assert_eq!(
            text(case, "address").parse::<StacksAddress>().unwrap(),
            derived
        );
    }
}

fn post_condition_principal(text: &str) -> PostConditionPrincipal {
    if text == "origin" {
        PostConditionPrincipal::Origin
    } else {
        PostConditionPrincipal::Principal(Principal::parse(text).unwrap())
    }
}

fn fungible_condition(code: &str) -> FungibleCondition {
    match code {
        "eq" => FungibleCondition::Eq,
        "gt" => FungibleCondition::Gt,
        "gte" => FungibleCondition::Gte,
        "lt" => FungibleCondition::Lt,
        "lte" => FungibleCondition::Lte,
        other => panic!("unknown fungible condition {other}"),
    }
}

/// The JSON post-condition form of `@stacks/transactions` v7.
fn post_condition(json: &Value) -> PostCondition {
    let principal = post_condition_principal(text(json, "address"));
    let amount = || text(json, "amount").parse::<u64>().unwrap();
    match text(json, "type") {
        "stx-postcondition" => PostCondition::Stx {
            principal,
            condition: fungible_condition(text(json, "condition")),
            amount: amount(),
        },
        "ft-postcondition" => PostCondition::Fungible {
            principal,
            asset: AssetInfo::parse(text(json, "asset")).unwrap(),
            condition: fungible_condition(text(json, "condition")),
            amount: amount(),
        },
        "nft-postcondition" => PostCondition::NonFungible {
            principal,
            asset: AssetInfo::parse(text(json, "asset")).unwrap(),
            asset_id: ClarityValue::from_hex(text(json, "assetId")).unwrap(),
            condition: match text(json, "condition") {
                "sent" => NonFungibleCondition::Sent,
                "not-sent" => NonFungibleCondition::NotSent,
                other => panic!("unknown nft condition {other}"),
            },
        },
        other => panic!("unknown post-condition type {other}"),
    }
}

fn check_transaction(case: &Value, payload: Payload, options: TransactionOptions) {
    let key = PrivateKey::from_hex(text(case, "private_key")).unwrap();
    let transaction = Transaction::sign_new(payload, &options, &key).unwrap();
    assert_eq!(
        hex::encode(transaction.serialize()),
        text(case, "hex"),
        "transaction bytes for {case}"
    );
    assert_eq!(hex::encode(transaction.txid()), text(case, "txid"));
    let decoded = Transaction::deserialize(&bytes(case, "hex")).unwrap();
    assert_eq!(decoded, transaction);
    decoded.verify_signature().unwrap();
    assert_eq!(
        decoded.sender(),
        key.address(options.network.single_sig_version())
    );
}

#[test]
fn contract_calls_match_byte_for_byte() {
    for case in kind("contract_calls") {
        let args = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|arg| ClarityValue::from_hex(arg.as_str().unwrap()).unwrap());
        let call = ContractCall::new(
            text(case, "contract"),
            text(case, "function"),
            args.collect(),
        )
        .unwrap();
        let mut options =
            TransactionOptions::new(network(case), number(case, "nonce"), number(case, "fee"));
        options.post_condition_mode = match text(case, "post_condition_mode") {
            "deny" => PostConditionMode::Deny,
            "allow" => PostConditionMode::Allow,
            other => panic!("unknown post-condition mode {other}"),
        };
        if let Some(conditions) = case.get("post_conditions") {
            options.post_conditions = conditions
                .as_array()
                .unwrap()
                .iter()
                .map(post_condition)
                .collect();
        }
        check_transaction(case, call.into(), options);
    }
}

#[test]
fn token_transfers_match_byte_for_byte() {
    for case in kind("token_transfers") {
        let recipient = Principal::parse(text(case, "recipient")).unwrap();
        let payload =
            Payload::token_transfer(recipient, number(case, "amount"), text(case, "memo")).unwrap();
        check_transaction(
            case,
            payload,
            TransactionOptions::new(network(case), number(case, "nonce"), number(case, "fee")),
        );
    }
}

#[test]
fn sip018_hashes_signatures_and_signers_match() {
    let cases = kind("sip018");
    assert!(
        cases.iter().any(|case| text(case, "hash")
            == "1bfdab6d4158313ce34073fbb8d6b0fc32c154d439def12247a0f44bb2225259"),
        "the official SIP-018 vector is missing"
    );
    for case in cases {
        let domain = ClarityValue::from_hex(text(case, "domain")).unwrap();
        let message = ClarityValue::from_hex(text(case, "message")).unwrap();
        assert_eq!(
            hex::encode(sip018::message_hash(&domain, &message)),
            text(case, "hash")
        );
        let key = PrivateKey::from_hex(text(case, "private_key")).unwrap();
        let signature = sip018::sign(&domain, &message, &key).unwrap();
        assert_eq!(hex::encode(signature), text(case, "signature"));
        let signer =
            sip018::recover_address(&domain, &message, &signature, Network::Testnet).unwrap();
        assert_eq!(signer.to_string(), text(case, "address_testnet"));
        let public_key = PublicKey::from_bytes(&key.public_key().to_bytes()).unwrap();
        assert!(sip018::verify(&domain, &message, &signature, &public_key));
    }
}

#[test]
fn merkle_roots_and_proofs_match() {
    let hash = |value: &Value| -> Hash32 {
        hex::decode(value.as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap()
    };
    for case in kind("merkle") {
        let items: Vec<Hash32> = case["items"].as_array().unwrap().iter().map(hash).collect();
        let tree = MerkleTree::build(&items).unwrap();
        assert_eq!(hex::encode(tree.root()), text(case, "root"));
        for proof in case["proofs"].as_array().unwrap() {
            let index = proof["index"].as_u64().unwrap();
            let siblings: Vec<Hash32> = proof["proof"]
                .as_array()
                .unwrap()
                .iter()
                .map(hash)
                .collect();
            assert_eq!(tree.prove(index).unwrap().siblings, siblings);
            assert!(verify_inclusion(
                &tree.root(),
                &items[index as usize],
                index,
                tree.size(),
                &siblings
            ));
        }
    }
}
