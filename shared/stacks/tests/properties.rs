//! Property tests: encode/decode round trips, signatures that verify, Merkle
//! proofs that fail on any changed byte, and decoders that never panic.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use genoflow_stacks::address::{AddressVersion, StacksAddress, c32_decode, c32_encode};
use genoflow_stacks::clarity::{
    ClarityName, ClarityValue, ContractName, MAX_TYPE_DEPTH, Principal,
};
use genoflow_stacks::keys::PrivateKey;
use genoflow_stacks::merkle::{Hash32, MerkleTree, verify_inclusion};
use genoflow_stacks::transaction::{
    ContractCall, FungibleCondition, Network, Payload, PostCondition, PostConditionMode,
    PostConditionPrincipal, Transaction, TransactionOptions,
};
use proptest::prelude::*;

fn address() -> impl Strategy<Value = StacksAddress> {
    (0u8..32, any::<[u8; 20]>())
        .prop_map(|(version, hash)| StacksAddress::new(AddressVersion::new(version).unwrap(), hash))
}

fn contract_name() -> impl Strategy<Value = ContractName> {
    "[a-zA-Z][a-zA-Z0-9_-]{0,39}".prop_map(|name| ContractName::new(name).unwrap())
}

fn principal() -> impl Strategy<Value = Principal> {
    prop_oneof![
        address().prop_map(Principal::Standard),
        (address(), contract_name()).prop_map(|(address, name)| Principal::Contract(address, name)),
    ]
}

fn atom() -> impl Strategy<Value = ClarityValue> {
    prop_oneof![
        any::<i128>().prop_map(ClarityValue::Int),
        any::<u128>().prop_map(ClarityValue::UInt),
        any::<bool>().prop_map(ClarityValue::Bool),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(ClarityValue::Buffer),
        "[ -~\t\n]{0,40}".prop_map(|text| ClarityValue::string_ascii(text).unwrap()),
        any::<String>().prop_map(ClarityValue::StringUtf8),
        principal().prop_map(ClarityValue::Principal),
        Just(ClarityValue::none()),
    ]
}

/// Keeps the elements that share a type with those kept before them (Clarity
/// lists are homogeneous).
fn homogeneous_list(candidates: Vec<ClarityValue>) -> ClarityValue {
    let mut kept: Vec<ClarityValue> = Vec::new();
    for candidate in candidates {
        let mut trial = kept.clone();
        trial.push(candidate);
        if ClarityValue::list(trial.clone()).is_ok() {
            kept = trial;
        }
    }
    ClarityValue::List(kept)
}

fn value() -> impl Strategy<Value = ClarityValue> {
    atom().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            inner.clone().prop_map(ClarityValue::some),
            inner.clone().prop_map(ClarityValue::ok),
            inner.clone().prop_map(ClarityValue::err),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(homogeneous_list),
            proptest::collection::btree_map("[a-zA-Z][a-zA-Z0-9?!*/<>=+_-]{0,12}", inner, 1..5)
                .prop_map(|fields| {
                    ClarityValue::Tuple(
                        fields
                            .into_iter()
                            .map(|(name, value)| (ClarityName::new(name).unwrap(), value))
                            .collect::<BTreeMap<_, _>>(),
                    )
                }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn clarity_values_round_trip(value in value()) {
        let bytes = value.serialize();
        prop_assert_eq!(ClarityValue::deserialize(&bytes).unwrap(), value.clone());
        prop_assert!(!value.to_string().is_empty());
    }

    #[test]
    fn clarity_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(value) = ClarityValue::deserialize(&bytes) {
            prop_assert_eq!(value.serialize(), bytes);
        }
    }

    #[test]
    fn any_prefix_of_a_value_is_rejected(value in value(), cut in any::<prop::sample::Index>()) {
        let bytes = value.serialize();
        let cut = cut.index(bytes.len());
        prop_assert!(ClarityValue::deserialize(&bytes[..cut]).is_err());
    }

    #[test]
    fn c32_and_addresses_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..40), address in address()) {
        prop_assert_eq!(c32_decode(&c32_encode(&bytes)).unwrap(), bytes);
        prop_assert_eq!(address.to_string().parse::<StacksAddress>().unwrap(), address);
    }

    #[test]
    fn signed_transactions_round_trip_and_verify(
        secret in any::<[u8; 32]>(),
        compressed in any::<bool>(),
        mainnet in any::<bool>(),
        nonce in any::<u64>(),
        fee in any::<u64>(),
        args in proptest::collection::vec(value(), 0..4),
        recipient in principal(),
        amount in any::<u64>(),
        memo in "[ -~]{0,34}",
        transfer in any::<bool>(),
        allow in any::<bool>(),
        stx_limit in proptest::option::of(any::<u64>()),
    ) {
        let mut key_bytes = secret.to_vec();
        if compressed {
            key_bytes.push(1);
        }
        let Ok(key) = PrivateKey::from_bytes(&key_bytes) else { return Ok(()) };
        let network = if mainnet { Network::Mainnet } else { Network::Testnet };
        let mut options = TransactionOptions::new(network, nonce, fee);
        options.post_condition_mode = if allow { PostConditionMode::Allow } else { PostConditionMode::Deny };
        options.post_conditions = stx_limit
            .map(|amount| PostCondition::Stx { principal: PostConditionPrincipal::Origin, condition: FungibleCondition::Lte, amount })
            .into_iter()
            .collect();
        let payload = if transfer {
            Payload::token_transfer(recipient, amount, &memo).unwrap()
        } else {
            ContractCall::new("ST000000000000000000002AMW42H.registry", "anchor-batch", args).unwrap().into()
        };
        let transaction = Transaction::sign_new(payload, &options, &key).unwrap();
        let decoded = Transaction::deserialize(&transaction.serialize()).unwrap();
        prop_assert_eq!(&decoded, &transaction);
        prop_assert!(decoded.verify_signature().is_ok());
        prop_assert_eq!(decoded.sender(), key.address(network.single_sig_version()));
        // Any change to what was signed invalidates the signature.
        let mut tampered = decoded.clone();
        tampered.auth.fee = tampered.auth.fee.wrapping_add(1);
        prop_assert!(tampered.verify_signature().is_err());
    }

    #[test]
    fn transaction_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Transaction::deserialize(&bytes);
    }

    #[test]
    fn merkle_proofs_fail_on_any_changed_byte(
        items in proptest::collection::vec(any::<[u8; 32]>(), 1..40),
        index in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let tree = MerkleTree::build(&items).unwrap();
        let index = index.index(items.len());
        let size = items.len() as u64;
        let proof = tree.prove(index as u64).unwrap();
        let root = tree.root();
        prop_assert!(verify_inclusion(&root, &items[index], index as u64, size, &proof.siblings));

        // Every byte of item, root and proof, in one flat list: flip one bit of one of them.
        let positions = 32 * (2 + proof.siblings.len());
        let position = flip.index(positions);
        let (mut item, mut root_changed, mut siblings): (Hash32, Hash32, Vec<Hash32>) = (items[index], root, proof.siblings.clone());
        let target = match position / 32 {
            0 => &mut item,
            1 => &mut root_changed,
            n => &mut siblings[n - 2],
        };
        target[position % 32] ^= 1 << bit;
        prop_assert!(!verify_inclusion(&root_changed, &item, index as u64, size, &siblings));

        if size > 1 {
            let other = (index + 1) % items.len();
            prop_assert!(!verify_inclusion(&root, &items[index], other as u64, size, &proof.siblings));
        }
        prop_assert!(!verify_inclusion(&root, &items[index], size, size, &proof.siblings));
    }
}

#[test]
fn deepest_allowed_value_round_trips() {
    let mut value = ClarityValue::UInt(1);
    for _ in 0..MAX_TYPE_DEPTH - 1 {
        value = ClarityValue::some(value);
    }
    assert_eq!(
        ClarityValue::deserialize(&value.serialize()).unwrap(),
        value
    );
    assert!(ClarityValue::deserialize(&ClarityValue::some(value).serialize()).is_err());
}
