//! The anchor use case against the real registry contract (the chain stand-in at
//! `GENOFLOW_STANDIN_URL`) with faults: several batches in flight take consecutive nonces, a
//! dropped transaction is sent again, a nonce taken by another transaction of the same key is
//! re-signed, a `BadNonce` answer re-syncs the nonce, and nothing is anchored twice. Every proof
//! is then checked with `registry.verify-inclusion`.

#![allow(clippy::unwrap_used)]

use std::{sync::Arc, time::Duration};

use faults::NodeWithoutAccounts;
use genoflow_core::{
    lifecycle::SampleStatus,
    model::Proof,
    ports::{AnchorRequested, Chain, SystemClock, Table},
    usecases::{
        anchor::{AnchorBatches, Anchorer},
        submit::ContractSender,
        verify::verify_on_chain,
    },
};
use genoflow_node::{ClientConfig, NodeClient};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::PrivateKey,
    node::TxStatus,
    transaction::{ContractCall, Network, Payload, Transaction, TransactionOptions},
};
use genoflow_testkit::{
    fixtures::store_analysed,
    memory::{MemoryBlobStore, MemoryQueue, MemoryTable},
};
use sha2::{Digest, Sha256};

use genoflow_testkit::keys::DEPLOYER_KEY;
use genoflow_testkit::keys::WALLET_2_KEY as ANCHOR_KEY;
const FEE: u64 = 10_000;

fn address(key: &str) -> String {
    PrivateKey::from_hex(key)
        .unwrap()
        .address(Network::Testnet.single_sig_version())
        .to_string()
}

/// The real node, except that its account endpoint is unreachable: the anchor function then
/// relies on its own nonce counter, which another user of the key has left behind.
mod faults {
    use genoflow_core::ports::{Chain, ChainError};
    use genoflow_node::NodeClient;
    use genoflow_stacks::{
        address::StacksAddress,
        clarity::{ClarityValue, Principal},
        node::TxStatus,
        transaction::{ContractCall, Transaction},
    };

    pub struct NodeWithoutAccounts(pub NodeClient);

    #[async_trait::async_trait]
    impl Chain for NodeWithoutAccounts {
        async fn account_nonce(&self, _address: &StacksAddress) -> Result<u64, ChainError> {
            Err(ChainError::Unavailable(
                "GET /v2/accounts: connection reset".to_owned(),
            ))
        }
        async fn broadcast(&self, transaction: &Transaction) -> Result<[u8; 32], ChainError> {
            Chain::broadcast(&self.0, transaction).await
        }
        async fn transaction_status(&self, txid: &[u8; 32]) -> Result<TxStatus, ChainError> {
            Chain::transaction_status(&self.0, txid).await
        }
        async fn call_read_only(
            &self,
            call: &ContractCall,
            sender: &Principal,
        ) -> Result<ClarityValue, ChainError> {
            Chain::call_read_only(&self.0, call, sender).await
        }
    }
}

struct Setup {
    url: String,
    node: NodeClient,
    http: reqwest::Client,
    table: Arc<MemoryTable>,
    blobs: Arc<MemoryBlobStore>,
}

impl Setup {
    async fn new() -> Self {
        let url = std::env::var("GENOFLOW_STANDIN_URL")
            .expect("GENOFLOW_STANDIN_URL: start tests/chain-standin");
        let setup = Self {
            node: NodeClient::new(&url, ClientConfig::default()).unwrap(),
            url,
            http: reqwest::Client::new(),
            table: Arc::new(MemoryTable::default()),
            blobs: Arc::new(MemoryBlobStore::default()),
        };
        let status = setup
            .send(
                DEPLOYER_KEY,
                ContractCall::new(
                    &format!("{}.registry", address(DEPLOYER_KEY)),
                    "set-anchorer",
                    vec![
                        ClarityValue::Principal(Principal::parse(&address(ANCHOR_KEY)).unwrap()),
                        ClarityValue::Bool(true),
                    ],
                )
                .unwrap()
                .into(),
            )
            .await;
        assert!(matches!(status, TxStatus::Success { .. }), "{status:?}");
        setup
    }

    fn anchor(&self, chain: Arc<dyn Chain>) -> AnchorBatches {
        AnchorBatches {
            table: self.table.clone(),
            blobs: self.blobs.clone(),
            queue: Arc::new(MemoryQueue::default()),
            clock: Arc::new(SystemClock),
            chain: Some(chain),
            anchorer: Anchorer {
                sender: ContractSender {
                    key: PrivateKey::from_hex(ANCHOR_KEY).unwrap(),
                    network: Network::Testnet,
                    fee: FEE,
                },
                registry: format!("{}.registry", address(DEPLOYER_KEY)),
            },
            claim_lease: time::Duration::minutes(5),
        }
    }

    async fn control(&self, path: &str) {
        let response = self
            .http
            .post(format!("{}/standin/{path}", self.url))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    async fn send(&self, key: &str, payload: Payload) -> TxStatus {
        let nonce = self.node.account(&address(key)).await.unwrap().nonce;
        let tx = Transaction::sign_new(
            payload,
            &TransactionOptions::new(Network::Testnet, nonce, FEE),
            &PrivateKey::from_hex(key).unwrap(),
        )
        .unwrap();
        let txid = self.node.broadcast(&tx).await.unwrap();
        self.wait(&txid).await
    }

    async fn wait(&self, txid: &[u8; 32]) -> TxStatus {
        for _ in 0..100 {
            match self.node.transaction_status(txid).await.unwrap() {
                TxStatus::Pending | TxStatus::NotFound => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                done => return done,
            }
        }
        panic!("not mined");
    }

    /// An analysed sample of one dataset, as the analyze function leaves it (a fresh item on
    /// each run: the chain stand-in outlives the test).
    async fn analysed(&self, name: &str) -> AnchorRequested {
        let item = hex::encode(Sha256::digest(format!("{name}-{}", uuid::Uuid::new_v4())));
        let owner = address(DEPLOYER_KEY);
        store_analysed(
            self.table.as_ref(),
            &owner,
            name,
            item,
            time::OffsetDateTime::now_utc(),
        )
        .await
    }

    fn proof(&self, name: &str) -> Proof {
        serde_json::from_slice(
            &self
                .blobs
                .object(&format!("results/d-{name}/proof.json"))
                .unwrap(),
        )
        .unwrap()
    }

    /// Runs the schedule until every open batch is confirmed.
    async fn confirm_all(&self, anchor: &AnchorBatches) {
        for _ in 0..50 {
            let report = anchor.confirm().await.unwrap();
            assert!(report.failed.is_empty(), "{report:?}");
            if report.pending.is_empty()
                && report.rebroadcast.is_empty()
                && self.table.open_batches().await.unwrap().is_empty()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "batches left open: {:?}",
            self.table.open_batches().await.unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
async fn batches_in_flight_drops_and_nonce_faults_end_confirmed_and_verified_once() {
    let setup = Setup::new().await;
    let node: Arc<dyn Chain> = Arc::new(setup.node.clone());
    let anchor = setup.anchor(node.clone());
    let anchorer = address(ANCHOR_KEY);

    // Three batches while no block is mined: consecutive nonces, all pending.
    setup.control("pause").await;
    let start = setup.node.account(&anchorer).await.unwrap().nonce;
    let mut txids = Vec::new();
    for name in ["a", "b", "c"] {
        let request = setup.analysed(name).await;
        let batch = anchor.anchor(&[request]).await.unwrap().batch.unwrap();
        txids.push(batch.txid);
    }
    let mut nonces = Vec::new();
    for name in ["a", "b", "c"] {
        let batch = setup
            .table
            .get_batch(
                &setup
                    .table
                    .get_sample(&format!("s-{name}"))
                    .await
                    .unwrap()
                    .unwrap()
                    .anchor
                    .unwrap()
                    .batch_id,
            )
            .await
            .unwrap()
            .unwrap();
        nonces.push(batch.transaction.nonce);
    }
    assert_eq!(nonces, [start, start + 1, start + 2]);

    // The middle one is dropped from the mempool: the schedule sends it again.
    setup.control(&format!("drop/{}", txids[1])).await;
    let report = anchor.confirm().await.unwrap();
    assert!(
        report.rebroadcast.contains(
            &setup
                .table
                .get_sample("s-b")
                .await
                .unwrap()
                .unwrap()
                .anchor
                .unwrap()
                .batch_id
        ),
        "{report:?}"
    );
    setup.control("resume").await;
    setup.confirm_all(&anchor).await;

    // Another user of the key takes the next nonce in the mempool: re-signed with the next one.
    setup.control("pause").await;
    let taken = Transaction::sign_new(
        Payload::token_transfer(Principal::parse(&address(DEPLOYER_KEY)).unwrap(), 1, "").unwrap(),
        &TransactionOptions::new(
            Network::Testnet,
            setup.node.account(&anchorer).await.unwrap().nonce,
            FEE,
        ),
        &PrivateKey::from_hex(ANCHOR_KEY).unwrap(),
    )
    .unwrap();
    setup.node.broadcast(&taken).await.unwrap();
    let request = setup.analysed("d").await;
    anchor.anchor(&[request]).await.unwrap();
    setup.control("resume").await;
    setup.confirm_all(&anchor).await;

    // The key is used elsewhere and the account endpoint is down: the counter is behind, the
    // node answers BadNonce, the anchor re-syncs to the nonce it names.
    let status = setup
        .send(
            ANCHOR_KEY,
            Payload::token_transfer(Principal::parse(&address(DEPLOYER_KEY)).unwrap(), 1, "")
                .unwrap(),
        )
        .await;
    assert!(matches!(status, TxStatus::Success { .. }));
    let blind = setup.anchor(Arc::new(NodeWithoutAccounts(setup.node.clone())));
    let request = setup.analysed("e").await;
    let batch = blind.anchor(&[request]).await.unwrap().batch.unwrap();
    let stored = setup
        .table
        .get_batch(&batch.batch_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("already used"),
        "{stored:?}"
    );
    setup.confirm_all(&anchor).await;

    // Every sample confirmed, each in its own batch on chain, each proof holding there; a
    // redelivered request anchors nothing.
    let mut chain_ids = Vec::new();
    for name in ["a", "b", "c", "d", "e"] {
        let sample = setup
            .table
            .get_sample(&format!("s-{name}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sample.status, SampleStatus::Confirmed, "{name}");
        let proof = setup.proof(name);
        let checks = verify_on_chain(node.as_ref(), &proof, &proof.registry).await;
        assert!(checks.iter().all(|c| c.holds), "{name}: {checks:?}");
        chain_ids.push(proof.batch_id.unwrap());
    }
    chain_ids.sort_unstable();
    chain_ids.dedup();
    assert_eq!(chain_ids.len(), 5);
    let again = AnchorRequested {
        sample_id: "s-a".to_owned(),
        item: setup.proof("a").item,
    };
    let outcome = anchor.anchor(&[again]).await.unwrap();
    assert_eq!(
        (outcome.batch, outcome.skipped),
        (None, vec!["s-a".to_owned()])
    );
}
