//! End to end against the chain stand-in (`tests/chain-standin`): transactions
//! built and signed by this crate, broadcast with [`NodeClient`], executed by
//! GenoFlow's real contracts in the clarinet simnet.
//!
//! Ignored by default; `tests/run-all.sh` starts a fresh stand-in and runs
//! them with its URL:
//!
//! ```text
//! (cd tests/chain-standin && npm ci && node server.mjs)   # prints: listening http://127.0.0.1:PORT
//! GENOFLOW_STANDIN_URL=http://127.0.0.1:PORT cargo test -p genoflow-node --test standin -- --ignored
//! ```
//!
//! The keys are Clarinet's PUBLIC devnet keys of `contracts/settings/Devnet.toml`
//! (worthless anywhere else). Each test uses its own accounts so the tests can
//! run in parallel: identity/registry/anchor flow → deployer, wallet_1,
//! wallet_2; rejections → wallet_3; drops and mining pauses → wallet_4;
//! transfers and a subscription → faucet and a fresh key. The deployer acts in
//! two tests, one at a time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use genoflow_node::{ClientConfig, NodeClient, NodeError};

use genoflow_stacks::address::hash160;
use genoflow_stacks::clarity::{ClarityValue, Principal};
use genoflow_stacks::keys::{PrivateKey, RecoverableSignature};
use genoflow_stacks::merkle::MerkleTree;
use genoflow_stacks::node::{BroadcastRejection, DropReason, TxStatus};
use genoflow_stacks::transaction::{
    ContractCall, FungibleCondition, Network, Payload, PostCondition, PostConditionPrincipal,
    Transaction, TransactionOptions,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use genoflow_testkit::keys::DEPLOYER_KEY as DEPLOYER;
use genoflow_testkit::keys::FAUCET_KEY as FAUCET;
use genoflow_testkit::keys::WALLET_1_KEY as WALLET_1;
use genoflow_testkit::keys::WALLET_2_KEY as WALLET_2;
use genoflow_testkit::keys::WALLET_3_KEY as WALLET_3;
use genoflow_testkit::keys::WALLET_4_KEY as WALLET_4;

/// What wallets pay; well above the stand-in's (and the node's) 1 µSTX/byte minimum.
const FEE: u64 = 10_000;

/// The deployer's transactions come from two tests; one at a time keeps its
/// nonces in order and its balance readable.
static DEPLOYER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// secp256k1 group order, big-endian.
const CURVE_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

struct Account {
    key: PrivateKey,
    address: String,
}

fn account(secret: &str) -> Account {
    account_of(PrivateKey::from_hex(secret).unwrap())
}

fn account_of(key: PrivateKey) -> Account {
    let address = key
        .address(Network::Testnet.single_sig_version())
        .to_string();
    Account { key, address }
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    parts.iter().for_each(|part| hasher.update(part));
    hasher.finalize().into()
}

/// Bytes that differ on every run, so reruns against one stand-in do not collide.
fn run_unique(label: &str) -> [u8; 32] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    sha256(&[
        label.as_bytes(),
        &nanos.to_be_bytes(),
        &std::process::id().to_be_bytes(),
    ])
}

struct Chain {
    url: String,
    client: NodeClient,
    http: reqwest::Client,
    deployer: String,
}

impl Chain {
    fn from_env() -> Self {
        let url = std::env::var("GENOFLOW_STANDIN_URL").expect(
            "GENOFLOW_STANDIN_URL is not set: start tests/chain-standin/server.mjs and point it at the printed URL",
        );
        let client = NodeClient::new(&url, ClientConfig::default()).unwrap();
        Self {
            url,
            client,
            http: reqwest::Client::new(),
            deployer: account(DEPLOYER).address,
        }
    }

    fn contract(&self, name: &str) -> String {
        format!("{}.{name}", self.deployer)
    }

    fn call(&self, contract: &str, function: &str, args: Vec<ClarityValue>) -> Payload {
        ContractCall::new(&self.contract(contract), function, args)
            .unwrap()
            .into()
    }

    async fn nonce(&self, who: &Account) -> u64 {
        self.client.account(&who.address).await.unwrap().nonce
    }

    async fn balance(&self, address: &str) -> u128 {
        self.client.account(address).await.unwrap().balance
    }

    /// Signs `payload` with the account's next confirmed nonce.
    async fn sign(&self, who: &Account, payload: Payload) -> Transaction {
        let nonce = self.nonce(who).await;
        sign_with(who, payload, nonce, FEE)
    }

    /// Polls until the transaction leaves the mempool.
    async fn confirm(&self, txid: &[u8; 32]) -> TxStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = self.client.transaction_status(txid).await.unwrap();
            if status != TxStatus::Pending {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "0x{} still pending after 30 s",
                hex::encode(txid)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Broadcasts, waits for the block and returns the `(ok ..)` value; panics on anything else.
    async fn succeed(&self, who: &Account, payload: Payload) -> (ClarityValue, u64) {
        let tx = self.sign(who, payload).await;
        let txid = self.client.broadcast(&tx).await.unwrap();
        match self.confirm(&txid).await {
            TxStatus::Success {
                block_height: Some(height),
                result: Some(ClarityValue::Response(Ok(value))),
            } => (*value, height),
            other => panic!("0x{} did not succeed: {other:?}", hex::encode(txid)),
        }
    }

    /// Broadcasts, waits for the block and returns the `(err ..)` value.
    async fn abort(&self, who: &Account, payload: Payload) -> ClarityValue {
        let tx = self.sign(who, payload).await;
        let txid = self.client.broadcast(&tx).await.unwrap();
        match self.confirm(&txid).await {
            TxStatus::AbortByResponse {
                block_height: Some(_),
                result: Some(ClarityValue::Response(Err(value))),
            } => *value,
            other => panic!(
                "0x{} did not abort by response: {other:?}",
                hex::encode(txid)
            ),
        }
    }

    async fn read(&self, contract: &str, function: &str, args: Vec<ClarityValue>) -> ClarityValue {
        let call = ContractCall::new(&self.contract(contract), function, args).unwrap();
        let sender = Principal::parse(&self.deployer).unwrap();
        self.client.call_read_only(&call, &sender).await.unwrap()
    }

    async fn rejected(&self, tx: &Transaction) -> BroadcastRejection {
        match self.client.broadcast(tx).await {
            Err(NodeError::Rejected { txid, rejection }) => {
                assert_eq!(txid, hex::encode(tx.txid()));
                rejection
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    /// `GET {path}` of the stand-in, as JSON.
    async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The API's `block_time` of a mined transaction: its block's `stacks-block-time`.
    async fn block_time(&self, txid: &[u8; 32]) -> u64 {
        let view = self
            .get_json(&format!("/extended/v1/tx/0x{}", hex::encode(txid)))
            .await;
        view["block_time"]
            .as_u64()
            .unwrap_or_else(|| panic!("no block_time in {view}"))
    }

    /// A stand-in control (`POST /standin/...`).
    async fn control(&self, path: &str) -> Value {
        let response = self
            .http
            .post(format!("{}/standin/{path}", self.url))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "POST /standin/{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }
}

fn sign_with(who: &Account, payload: Payload, nonce: u64, fee: u64) -> Transaction {
    let options = TransactionOptions::new(Network::Testnet, nonce, fee);
    Transaction::sign_new(payload, &options, &who.key).unwrap()
}

fn buffer(bytes: &[u8]) -> ClarityValue {
    ClarityValue::Buffer(bytes.to_vec())
}

fn principal(address: &str) -> ClarityValue {
    ClarityValue::principal(address).unwrap()
}

fn uint(value: u128) -> ClarityValue {
    ClarityValue::UInt(value)
}

fn field<'v>(value: &'v ClarityValue, name: &str) -> &'v ClarityValue {
    match value {
        ClarityValue::Tuple(fields) => fields
            .iter()
            .find(|(key, _)| key.as_str() == name)
            .map(|(_, value)| value)
            .unwrap_or_else(|| panic!("no field {name} in {value:?}")),
        other => panic!("not a tuple: {other:?}"),
    }
}

fn some(value: ClarityValue) -> ClarityValue {
    match value {
        ClarityValue::Optional(Some(inner)) => *inner,
        other => panic!("expected (some ..), got {other:?}"),
    }
}

#[tokio::test]
#[ignore = "needs the chain stand-in: set GENOFLOW_STANDIN_URL (tests/run-all.sh does)"]
async fn devnet_keys_are_the_stand_in_accounts() {
    let chain = Chain::from_env();
    let accounts = chain.get_json("/standin/accounts").await;
    for (name, secret) in [
        ("deployer", DEPLOYER),
        ("wallet_1", WALLET_1),
        ("wallet_2", WALLET_2),
        ("wallet_3", WALLET_3),
        ("wallet_4", WALLET_4),
        ("faucet", FAUCET),
    ] {
        assert_eq!(accounts[name], account(secret).address.as_str(), "{name}");
    }
}

#[tokio::test]
#[ignore = "needs the chain stand-in: set GENOFLOW_STANDIN_URL (tests/run-all.sh does)"]
async fn identity_dataset_and_anchored_batch_end_to_end() {
    let chain = Chain::from_env();
    let owner = account(WALLET_1);
    let anchorer = account(WALLET_2);
    let deployer = account(DEPLOYER);

    // Identity: registered at the block the stand-in reports.
    let register = chain.call(
        "identity",
        "register",
        vec![ClarityValue::string_utf8("Lab One"), uint(3)],
    );
    if chain
        .read("identity", "is-registered", vec![principal(&owner.address)])
        .await
        == ClarityValue::Bool(false)
    {
        let (value, height) = chain.succeed(&owner, register).await;
        assert_eq!(value, ClarityValue::Bool(true));
        let identity = some(
            chain
                .read("identity", "get-identity", vec![principal(&owner.address)])
                .await,
        );
        assert_eq!(field(&identity, "role"), &uint(3));
        assert_eq!(field(&identity, "registered-at"), &uint(u128::from(height)));
    } else {
        // A stand-in that already ran this test: registering again is u101.
        assert_eq!(chain.abort(&owner, register).await, uint(101));
    }

    // Dataset: commit, then reveal. The commitment is SHA-256(hash ‖ salt ‖ the owner's
    // principal, consensus-serialized), made in a block before the registration.
    let hash = run_unique("dataset");
    let salt = run_unique("salt");
    let commitment = |hash: &[u8; 32], salt: &[u8; 32]| {
        sha256(&[hash, salt, &principal(&owner.address).serialize()])
    };
    assert_eq!(
        chain
            .read(
                "registry",
                "make-commitment",
                vec![buffer(&hash), buffer(&salt), principal(&owner.address)]
            )
            .await,
        buffer(&commitment(&hash, &salt)),
        "the commitment computed here is the contract's"
    );
    let commit = |hash: &[u8; 32], salt: &[u8; 32]| {
        chain.call(
            "registry",
            "commit-dataset",
            vec![buffer(&commitment(hash, salt))],
        )
    };
    let register_dataset = |hash: [u8; 32], salt: [u8; 32]| {
        chain.call(
            "registry",
            "register-dataset",
            vec![
                buffer(&hash),
                ClarityValue::string_ascii("fastq").unwrap(),
                ClarityValue::string_ascii("s3://genoflow-test/sample.fastq.gz").unwrap(),
                buffer(&salt),
            ],
        )
    };
    // No commitment for this hash and salt: u208.
    assert_eq!(
        chain.abort(&owner, register_dataset(hash, salt)).await,
        uint(208)
    );
    // `succeed` waits for the commitment's block; the reveal goes in a later one.
    let (_, committed_at) = chain.succeed(&owner, commit(&hash, &salt)).await;
    let get_commitment = || {
        chain.read(
            "registry",
            "get-commitment",
            vec![principal(&owner.address), buffer(&commitment(&hash, &salt))],
        )
    };
    assert_eq!(
        get_commitment().await,
        ClarityValue::some(uint(u128::from(committed_at)))
    );
    // The same commitment twice: u207.
    assert_eq!(chain.abort(&owner, commit(&hash, &salt)).await, uint(207));
    let (dataset_id, registered_at) = chain.succeed(&owner, register_dataset(hash, salt)).await;
    assert!(registered_at > committed_at);
    assert_eq!(get_commitment().await, ClarityValue::none(), "used up");
    assert_eq!(
        chain
            .read("registry", "get-dataset-id", vec![buffer(&hash)])
            .await,
        ClarityValue::some(dataset_id.clone())
    );
    let dataset = some(
        chain
            .read("registry", "get-dataset", vec![dataset_id])
            .await,
    );
    assert_eq!(field(&dataset, "owner"), &principal(&owner.address));
    // The same hash again, properly committed: u201.
    let salt_again = run_unique("salt again");
    chain.succeed(&owner, commit(&hash, &salt_again)).await;
    assert_eq!(
        chain
            .abort(&owner, register_dataset(hash, salt_again))
            .await,
        uint(201)
    );

    // Anchoring: refused until the deployer makes wallet_2 an anchorer.
    let items: Vec<[u8; 32]> = (0..5u8).map(|i| sha256(&[&hash, &[i]])).collect();
    let tree = MerkleTree::build(&items).unwrap();
    let anchor = || {
        chain.call(
            "registry",
            "anchor-batch",
            vec![buffer(&tree.root()), uint(u128::from(tree.size()))],
        )
    };
    if chain
        .read(
            "registry",
            "is-anchorer",
            vec![principal(&anchorer.address)],
        )
        .await
        == ClarityValue::Bool(false)
    {
        assert_eq!(chain.abort(&anchorer, anchor()).await, uint(200));
        let set_anchorer = chain.call(
            "registry",
            "set-anchorer",
            vec![principal(&anchorer.address), ClarityValue::Bool(true)],
        );
        let _turn = DEPLOYER_TURN.lock().await;
        chain.succeed(&deployer, set_anchorer).await;
    }
    let (batch_id, anchored_at) = chain.succeed(&anchorer, anchor()).await;
    let batch = some(
        chain
            .read("registry", "get-batch", vec![batch_id.clone()])
            .await,
    );
    assert_eq!(field(&batch, "root"), &buffer(&tree.root()));
    assert_eq!(field(&batch, "anchored-at"), &uint(u128::from(anchored_at)));

    // Every proof verifies on chain; forged ones do not.
    let verify = |item: &[u8; 32], index: u64, siblings: &[[u8; 32]]| {
        let proof = ClarityValue::list(siblings.iter().map(|s| buffer(s)).collect()).unwrap();
        chain.read(
            "registry",
            "verify-inclusion",
            vec![
                batch_id.clone(),
                buffer(item),
                uint(u128::from(index)),
                proof,
            ],
        )
    };
    for (index, item) in items.iter().enumerate() {
        let proof = tree.prove(index as u64).unwrap();
        assert_eq!(
            verify(item, proof.index, &proof.siblings).await,
            ClarityValue::Bool(true),
            "item {index}"
        );
    }
    let proof = tree.prove(1).unwrap();
    let mut forged_item = items[1];
    forged_item[0] ^= 1;
    assert_eq!(
        verify(&forged_item, 1, &proof.siblings).await,
        ClarityValue::Bool(false)
    );
    let mut forged_siblings = proof.siblings.clone();
    forged_siblings[0][31] ^= 0x80;
    assert_eq!(
        verify(&items[1], 1, &forged_siblings).await,
        ClarityValue::Bool(false)
    );
    assert_eq!(
        verify(&items[1], 2, &proof.siblings).await,
        ClarityValue::Bool(false)
    );
}

#[tokio::test]
#[ignore = "needs the chain stand-in: set GENOFLOW_STANDIN_URL (tests/run-all.sh does)"]
async fn refusals_arrive_as_the_node_words_them() {
    let chain = Chain::from_env();
    let sender = account(WALLET_3);
    let other = account(WALLET_4);
    let ping = || chain.call("registry", "is-anchorer", vec![principal(&sender.address)]);
    let update_name = |name: &str| {
        chain.call(
            "identity",
            "update-name",
            vec![ClarityValue::string_utf8(name)],
        )
    };

    // One mined transaction (an abort still uses its nonce) so that nonce 0 is stale.
    let used = chain.nonce(&sender).await;
    assert_eq!(chain.abort(&sender, update_name("nobody")).await, uint(104));
    let expected = chain.nonce(&sender).await;
    assert_eq!(expected, used + 1);

    let stale = sign_with(&sender, update_name("again"), used, FEE);
    assert_eq!(
        chain.rejected(&stale).await,
        BroadcastRejection::BadNonce {
            expected,
            actual: used
        }
    );

    let cheap = sign_with(&sender, update_name("cheap"), expected, 10);
    let minimum = cheap.serialize().len() as u64;
    assert_eq!(
        chain.rejected(&cheap).await,
        BroadcastRejection::FeeTooLow {
            expected: minimum,
            actual: 10
        }
    );

    // Signed by wallet_3, claiming to be wallet_4.
    let mut impostor = sign_with(&sender, update_name("impostor"), expected, FEE);
    impostor.auth.signer = hash160(&other.key.public_key().to_bytes());
    assert!(matches!(
        chain.rejected(&impostor).await,
        BroadcastRejection::SignatureValidation { .. }
    ));

    // The same signature with S mirrored to the high half (and the recovery id
    // flipped, so it stays a valid signature by wallet_3): the node refuses high-S.
    let mut high_s = sign_with(&sender, update_name("high-s"), expected, FEE);
    let mut vrs = high_s.auth.signature;
    let mirrored = sub_be(&CURVE_ORDER, vrs[33..].try_into().unwrap());
    vrs[33..].copy_from_slice(&mirrored);
    vrs[0] ^= 1;
    high_s.auth.signature = vrs;
    assert!(!RecoverableSignature::from_vrs(&vrs).unwrap().is_low_s());
    // n - (n - s) = s: the mirror is exact.
    assert_eq!(
        sub_be(&CURVE_ORDER, &mirrored),
        <[u8; 32]>::try_from(
            &sign_with(&sender, update_name("high-s"), expected, FEE)
                .auth
                .signature[33..]
        )
        .unwrap()
    );
    match chain.rejected(&high_s).await {
        BroadcastRejection::SignatureValidation { message } => {
            assert!(message.contains("low-S"), "{message}")
        }
        other => panic!("expected SignatureValidation, got {other:?}"),
    }

    let mainnet = Transaction::sign_new(
        ping(),
        &TransactionOptions::new(Network::Mainnet, expected, FEE),
        &sender.key,
    )
    .unwrap();
    assert_eq!(
        chain.rejected(&mainnet).await,
        BroadcastRejection::Other {
            reason: "BadTransactionVersion".to_owned(),
            reason_data: None
        }
    );

    let nowhere = ContractCall::new(&chain.contract("no-such-contract"), "f", vec![]).unwrap();
    assert_eq!(
        chain
            .rejected(&sign_with(&sender, nowhere.into(), expected, FEE))
            .await,
        BroadcastRejection::NoSuchContract
    );
    // A read-only function is not public.
    assert_eq!(
        chain
            .rejected(&sign_with(&sender, ping(), expected, FEE))
            .await,
        BroadcastRejection::NoSuchPublicFunction
    );
    let wrong_type = chain.call("identity", "update-name", vec![uint(7)]);
    assert!(matches!(
        chain.rejected(&sign_with(&sender, wrong_type, expected, FEE)).await,
        BroadcastRejection::BadFunctionArgument { message } if message.contains("string-utf8")
    ));

    let balance = chain.balance(&sender.address).await;
    let too_much = Payload::token_transfer(
        Principal::parse(&other.address).unwrap(),
        u64::try_from(balance).unwrap() + 1,
        "",
    )
    .unwrap();
    assert_eq!(
        chain
            .rejected(&sign_with(&sender, too_much, expected, FEE))
            .await,
        BroadcastRejection::NotEnoughFunds {
            expected: balance + 1 + u128::from(FEE),
            actual: balance
        }
    );

    let far_ahead = sign_with(&sender, update_name("later"), expected + 26, FEE);
    assert_eq!(
        chain.rejected(&far_ahead).await,
        BroadcastRejection::TooMuchChaining
    );

    // Nothing above reached the chain.
    assert_eq!(chain.nonce(&sender).await, expected);
    assert_eq!(chain.balance(&sender.address).await, balance);

    // A read-only call of a public function fails the way the node says it.
    let public = ContractCall::new(&chain.contract("identity"), "update-name", vec![]).unwrap();
    assert!(matches!(
        chain
            .client
            .call_read_only(&public, &Principal::parse(&sender.address).unwrap())
            .await,
        Err(NodeError::ReadOnlyFailed { .. })
    ));
    assert_eq!(
        chain.client.transaction_status(&[7; 32]).await.unwrap(),
        TxStatus::NotFound
    );
}

/// `a - b` for 32-byte big-endian numbers, `a >= b`.
fn sub_be(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut digit = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(digit < 0);
        if digit < 0 {
            digit += 256;
        }
        out[i] = u8::try_from(digit).unwrap();
    }
    out
}

#[tokio::test]
#[ignore = "needs the chain stand-in: set GENOFLOW_STANDIN_URL (tests/run-all.sh does)"]
async fn pending_conflicting_replaced_and_dropped_transactions() {
    let chain = Chain::from_env();
    let sender = account(WALLET_4);
    let recipient = Principal::parse(&account(WALLET_3).address).unwrap();
    let transfer = |memo: &str| Payload::token_transfer(recipient.clone(), 1_000, memo).unwrap();
    let next = chain.nonce(&sender).await;

    // A nonce gap holds a transaction in the mempool.
    let ahead = sign_with(&sender, transfer("ahead"), next + 1, FEE);
    let ahead_id = chain.client.broadcast(&ahead).await.unwrap();
    // Broadcasting the same bytes again answers the same txid.
    assert_eq!(chain.client.broadcast(&ahead).await.unwrap(), ahead_id);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        chain.client.transaction_status(&ahead_id).await.unwrap(),
        TxStatus::Pending
    );

    // Same nonce: an equal fee conflicts, a higher one replaces it.
    let rival = sign_with(&sender, transfer("rival"), next + 1, FEE);
    assert_eq!(
        chain.rejected(&rival).await,
        BroadcastRejection::ConflictingNonceInMempool
    );
    let richer = sign_with(&sender, transfer("richer"), next + 1, FEE * 2);
    let richer_id = chain.client.broadcast(&richer).await.unwrap();
    assert_eq!(
        chain.client.transaction_status(&ahead_id).await.unwrap(),
        TxStatus::Dropped(DropReason::ReplaceByFee)
    );

    // The stand-in drops the replacement (as a node garbage-collects), and the
    // nonce is free again for a re-sent transaction.
    let dropped = chain
        .control(&format!(
            "drop/0x{}?status=dropped_stale_garbage_collect",
            hex::encode(richer_id)
        ))
        .await;
    assert_eq!(dropped["tx_status"], "dropped_stale_garbage_collect");
    assert_eq!(
        chain.client.transaction_status(&richer_id).await.unwrap(),
        TxStatus::Dropped(DropReason::StaleGarbageCollect)
    );

    // With mining paused nothing confirms; resumed, the gap fills in nonce order.
    chain.control("pause").await;
    let first = sign_with(&sender, transfer("first"), next, FEE);
    let resent = sign_with(&sender, transfer("resent"), next + 1, FEE + 1);
    let first_id = chain.client.broadcast(&first).await.unwrap();
    let resent_id = chain.client.broadcast(&resent).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let still_pending = chain.client.transaction_status(&first_id).await.unwrap();
    chain.control("resume").await;
    assert_eq!(still_pending, TxStatus::Pending);

    let first_height = match chain.confirm(&first_id).await {
        TxStatus::Success {
            block_height: Some(height),
            result: Some(result),
        } => {
            assert_eq!(result, ClarityValue::ok(ClarityValue::Bool(true)));
            height
        }
        other => panic!("first transfer: {other:?}"),
    };
    match chain.confirm(&resent_id).await {
        TxStatus::Success {
            block_height: Some(height),
            ..
        } => assert!(height > first_height),
        other => panic!("re-sent transfer: {other:?}"),
    }
    assert_eq!(chain.nonce(&sender).await, next + 2);
}

#[tokio::test]
#[ignore = "needs the chain stand-in: set GENOFLOW_STANDIN_URL (tests/run-all.sh does)"]
async fn stx_transfers_and_a_subscription_move_exact_balances() {
    let chain = Chain::from_env();
    let faucet = account(FAUCET);
    // A key made for this run: an account the chain has never seen.
    let fresh_secret = run_unique("fresh key");
    let fresh =
        account_of(PrivateKey::from_bytes(&[fresh_secret.as_slice(), &[1]].concat()).unwrap());
    let amount = 2_500_000u64;

    assert_eq!(chain.balance(&fresh.address).await, 0);
    let faucet_before = chain.balance(&faucet.address).await;
    let to_fresh =
        Payload::token_transfer(Principal::parse(&fresh.address).unwrap(), amount, "hi").unwrap();
    chain.succeed(&faucet, to_fresh).await;
    assert_eq!(
        chain.balance(&faucet.address).await,
        faucet_before - u128::from(amount) - u128::from(FEE)
    );
    assert_eq!(chain.balance(&fresh.address).await, u128::from(amount));

    // The new account pays its own fee on the way back.
    let back = 1_000_000u64;
    let to_faucet =
        Payload::token_transfer(Principal::parse(&faucet.address).unwrap(), back, "").unwrap();
    chain.succeed(&fresh, to_faucet).await;
    assert_eq!(
        chain.balance(&fresh.address).await,
        u128::from(amount - back - FEE)
    );
    assert_eq!(chain.nonce(&fresh).await, 1);
    assert_eq!(
        chain.balance(&faucet.address).await,
        faucet_before - u128::from(amount) - u128::from(FEE) + u128::from(back)
    );

    // A subscription paid to the treasury (the deployer), under a deny-mode
    // post-condition for exactly the price: the stand-in flags any call whose
    // post-conditions a node would abort it for, and with-standin.sh fails the run.
    // Plan 7: the price in µSTX for an hour; durations and expiry are seconds of chain time.
    let price = 400_000u64;
    let duration = 3_600u64;
    let deployer = account(DEPLOYER);
    let _turn = DEPLOYER_TURN.lock().await;
    let set_plan = chain.call(
        "subscription",
        "set-plan",
        vec![
            uint(7),
            uint(u128::from(price)),
            uint(u128::from(duration)),
            ClarityValue::Bool(true),
        ],
    );
    chain.succeed(&deployer, set_plan).await;
    let treasury_before = chain.balance(&deployer.address).await;
    // The subscriber signs for the price and duration it was shown (`get-plan`): the plan
    // costing more than that is u305.
    let plan = some(chain.read("subscription", "get-plan", vec![uint(7)]).await);
    let (shown_price, shown_duration) = (field(&plan, "price"), field(&plan, "duration"));
    assert_eq!(
        (shown_price, shown_duration),
        (&uint(u128::from(price)), &uint(u128::from(duration)))
    );
    let subscribe = |max_price: ClarityValue| {
        chain.call(
            "subscription",
            "subscribe",
            vec![uint(7), max_price, shown_duration.clone()],
        )
    };
    assert_eq!(
        chain
            .abort(&fresh, subscribe(uint(u128::from(price - 1))))
            .await,
        uint(305)
    );
    let options = TransactionOptions {
        post_conditions: vec![PostCondition::Stx {
            principal: PostConditionPrincipal::Origin,
            condition: FungibleCondition::Eq,
            amount: price,
        }],
        ..TransactionOptions::new(Network::Testnet, chain.nonce(&fresh).await, FEE)
    };
    let subscribe =
        Transaction::sign_new(subscribe(shown_price.clone()), &options, &fresh.key).unwrap();
    let txid = chain.client.broadcast(&subscribe).await.unwrap();
    let expires_at = match chain.confirm(&txid).await {
        TxStatus::Success {
            block_height: Some(_),
            result: Some(ClarityValue::Response(Ok(expires_at))),
        } => *expires_at,
        other => panic!("subscribe: {other:?}"),
    };
    // Expiry = the block's stacks-block-time (the API's block_time) + the duration.
    let subscribed_at = chain.block_time(&txid).await;
    assert_eq!(expires_at, uint(u128::from(subscribed_at + duration)));
    assert_eq!(
        chain.balance(&deployer.address).await,
        treasury_before + u128::from(price)
    );
    assert_eq!(
        chain.balance(&fresh.address).await,
        u128::from(amount - back - FEE - FEE - price - FEE)
    );
    let is_active = || chain.read("subscription", "is-active", vec![principal(&fresh.address)]);
    assert_eq!(is_active().await, ClarityValue::Bool(true));

    // Chain time passes in burn blocks of 600 s (the first may only finish the current one):
    // seven of them are past the hour.
    let advanced = chain
        .control(&format!("advance/{}", duration.div_ceil(600) + 1))
        .await;
    let now = advanced["block_time"].as_u64().unwrap();
    assert!(now >= subscribed_at + duration, "{now} {subscribed_at}");
    assert_eq!(is_active().await, ClarityValue::Bool(false));
}
