//! What a wallet does on the chain stand-in (`GENOFLOW_STANDIN_URL`) for the marketplace
//! scenarios: fresh accounts funded by a devnet account, contract calls signed with
//! `genoflow-stacks` and followed to their block, and the seller's and buyer's steps (identity,
//! commit then reveal of a sample's record, listing, purchase under a post-condition of exactly
//! the price).

#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use genoflow_node::{ClientConfig, NodeClient};

use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::PrivateKey,
    node::TxStatus,
    transaction::{
        ContractCall, FungibleCondition, Network, Payload, PostCondition, PostConditionPrincipal,
        Transaction, TransactionOptions,
    },
};
use sha2::{Digest, Sha256};

// Clarinet's public devnet keys; not every test file that includes this module uses each one.
#[allow(unused_imports)]
pub use genoflow_testkit::keys::{DEPLOYER_KEY, WALLET_2_KEY, WALLET_3_KEY, WALLET_4_KEY};
/// Micro-STX per transaction.
pub const FEE: u64 = 10_000;

/// The testnet address of `key`.
pub fn address(key: &str) -> String {
    PrivateKey::from_hex(key)
        .unwrap()
        .address(Network::Testnet.single_sig_version())
        .to_string()
}

/// A new random key (compressed), so each run's accounts are new to the stand-in's chain.
pub fn fresh_key() -> String {
    let seed = Sha256::digest(uuid::Uuid::new_v4().as_bytes());
    format!("{}01", hex::encode(seed))
}

/// `who` as a Clarity principal.
pub fn principal(who: &str) -> ClarityValue {
    ClarityValue::Principal(Principal::parse(who).unwrap())
}

/// The stand-in and the contracts its deployer deployed.
pub struct Wallets {
    pub node: NodeClient,
    pub deployer: String,
}

impl Wallets {
    pub fn from_env() -> Self {
        let url = std::env::var("GENOFLOW_STANDIN_URL").expect(
            "GENOFLOW_STANDIN_URL must point at the chain stand-in (tests/run-all.sh starts it)",
        );
        Self {
            node: NodeClient::new(&url, ClientConfig::default()).unwrap(),
            deployer: address(DEPLOYER_KEY),
        }
    }

    /// `ADDR.registry`.
    pub fn registry(&self) -> String {
        format!("{}.registry", self.deployer)
    }

    /// Signs `payload` with `key`'s next nonce, broadcasts it and waits for its block.
    async fn send(
        &self,
        key: &str,
        payload: Payload,
        post_conditions: Vec<PostCondition>,
    ) -> TxStatus {
        let nonce = self.node.account(&address(key)).await.unwrap().nonce;
        let options = TransactionOptions {
            post_conditions,
            ..TransactionOptions::new(Network::Testnet, nonce, FEE)
        };
        let tx =
            Transaction::sign_new(payload, &options, &PrivateKey::from_hex(key).unwrap()).unwrap();
        let txid = self.node.broadcast(&tx).await.unwrap();
        for _ in 0..200 {
            match self.node.transaction_status(&txid).await.unwrap() {
                TxStatus::Pending | TxStatus::NotFound => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                done => return done,
            }
        }
        panic!("transaction {} was not mined", hex::encode(txid));
    }

    /// Sends `amount` micro-STX from `from_key` to each of `to`, one block each.
    pub async fn fund(&self, from_key: &str, to: &[&str], amount: u64) {
        for who in to {
            let payload =
                Payload::token_transfer(Principal::parse(who).unwrap(), amount, "").unwrap();
            let status = self.send(from_key, payload, vec![]).await;
            assert!(
                matches!(status, TxStatus::Success { .. }),
                "funding {who}: {status:?}"
            );
        }
    }

    /// Calls `contract.function(args)` as `key`; the mined status.
    pub async fn call(
        &self,
        key: &str,
        contract: &str,
        function: &str,
        args: Vec<ClarityValue>,
        post_conditions: Vec<PostCondition>,
    ) -> TxStatus {
        let call =
            ContractCall::new(&format!("{}.{contract}", self.deployer), function, args).unwrap();
        self.send(key, call.into(), post_conditions).await
    }

    /// [`Wallets::call`] that must succeed; its `(ok …)` value.
    pub async fn ok(
        &self,
        key: &str,
        contract: &str,
        function: &str,
        args: Vec<ClarityValue>,
    ) -> ClarityValue {
        match self.call(key, contract, function, args, vec![]).await {
            TxStatus::Success {
                result: Some(ClarityValue::Response(Ok(value))),
                ..
            } => *value,
            other => panic!("{contract}.{function}: {other:?}"),
        }
    }

    /// The deployer lets `key` anchor batches.
    pub async fn enable_anchorer(&self, key: &str) {
        self.ok(
            DEPLOYER_KEY,
            "registry",
            "set-anchorer",
            vec![principal(&address(key)), ClarityValue::Bool(true)],
        )
        .await;
    }

    /// The seller's steps: an identity named `name` (a lab), then the sample's record
    /// ([`Wallets::register`] of `(inputs_hash, "sample", "genoflow:sample:{sample_id}")`);
    /// answers the record's id.
    pub async fn register_sample(
        &self,
        key: &str,
        name: &str,
        inputs_hash: &[u8],
        sample_id: &str,
    ) -> u64 {
        self.ok(
            key,
            "identity",
            "register",
            vec![ClarityValue::string_utf8(name), ClarityValue::UInt(3)],
        )
        .await;
        let uri = format!("genoflow:sample:{sample_id}");
        uint(&self.register(key, inputs_hash, "sample", &uri).await)
    }

    /// Registers `hash` as `key` (a registered identity): a commitment to the hash and a random
    /// salt, then, in a later block, the reveal `register-dataset(hash, kind, uri, salt)`, so
    /// nobody who sees the registration in the mempool can register the hash first. Answers the
    /// record's id as the contract returned it.
    pub async fn register(&self, key: &str, hash: &[u8], kind: &str, uri: &str) -> ClarityValue {
        let salt: [u8; 32] = Sha256::digest(uuid::Uuid::new_v4().as_bytes()).into();
        let commitment: [u8; 32] = Sha256::new()
            .chain_update(hash)
            .chain_update(salt)
            .chain_update(principal(&address(key)).serialize())
            .finalize()
            .into();
        // `ok` waits for the commitment's block; the reveal is a later transaction, so a later
        // block.
        self.ok(
            key,
            "registry",
            "commit-dataset",
            vec![ClarityValue::Buffer(commitment.to_vec())],
        )
        .await;
        self.ok(
            key,
            "registry",
            "register-dataset",
            vec![
                ClarityValue::Buffer(hash.to_vec()),
                ClarityValue::string_ascii(kind).unwrap(),
                ClarityValue::string_ascii(uri).unwrap(),
                ClarityValue::Buffer(salt.to_vec()),
            ],
        )
        .await
    }

    /// A read-only call as the deployer.
    pub async fn read(
        &self,
        contract: &str,
        function: &str,
        args: Vec<ClarityValue>,
    ) -> ClarityValue {
        let call =
            ContractCall::new(&format!("{}.{contract}", self.deployer), function, args).unwrap();
        self.node
            .call_read_only(&call, &Principal::parse(&self.deployer).unwrap())
            .await
            .unwrap()
    }

    /// `who`'s micro-STX.
    pub async fn balance(&self, who: &str) -> u128 {
        self.node.account(who).await.unwrap().balance
    }

    /// The seller lists record `dataset_id` at `price`; the listing's id.
    pub async fn list(&self, key: &str, dataset_id: u64, price: u64) -> u64 {
        let listing = self
            .ok(
                key,
                "marketplace",
                "list-dataset",
                vec![
                    ClarityValue::UInt(dataset_id.into()),
                    ClarityValue::UInt(price.into()),
                ],
            )
            .await;
        uint(&listing)
    }

    /// The buyer calls `purchase(listing, max_price)` sending exactly `price` (post-condition);
    /// the mined status.
    pub async fn purchase(
        &self,
        key: &str,
        listing: &ClarityValue,
        max_price: &ClarityValue,
        price: u64,
    ) -> TxStatus {
        self.call(
            key,
            "marketplace",
            "purchase",
            vec![listing.clone(), max_price.clone()],
            vec![PostCondition::Stx {
                principal: PostConditionPrincipal::Origin,
                condition: FungibleCondition::Eq,
                amount: price,
            }],
        )
        .await
    }

    /// The buyer buys `listing` for at most `price`, sending exactly `price`.
    pub async fn buy(&self, key: &str, listing: u64, price: u64) {
        let status = self
            .purchase(
                key,
                &ClarityValue::UInt(listing.into()),
                &ClarityValue::UInt(price.into()),
                price,
            )
            .await;
        assert!(
            matches!(status, TxStatus::Success { .. }),
            "purchase: {status:?}"
        );
    }

    /// The buyer rates the seller of `listing`.
    pub async fn rate(&self, key: &str, listing: u64, score: u64) {
        self.ok(
            key,
            "reputation",
            "rate",
            vec![
                ClarityValue::UInt(listing.into()),
                ClarityValue::UInt(score.into()),
            ],
        )
        .await;
    }
}

/// Listing `id` of a `GET /marketplace` page (panics when it is not there).
pub fn listing_in(page: &serde_json::Value, id: u64) -> &serde_json::Value {
    page["listings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|listing| listing["listing_id"] == id)
        .unwrap_or_else(|| panic!("listing {id} not in {page}"))
}

fn uint(value: &ClarityValue) -> u64 {
    match value {
        ClarityValue::UInt(number) => u64::try_from(*number).unwrap(),
        other => panic!("not a uint: {other:?}"),
    }
}
