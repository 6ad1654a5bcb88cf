//! A node's HTTP API, through [`NodeClient`], passes the test kit's `Chain` scenarios as the
//! memory chain does, against the chain stand-in (ignored without one; `tests/run-all.sh` runs
//! them with `tests/chain-standin/with-standin.sh`, after the `standin` binary).
#![allow(clippy::unwrap_used)]

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use genoflow_core::ports::Chain;
use genoflow_node::{ClientConfig, NodeClient};
use genoflow_stacks::{keys::PrivateKey, node::TxStatus};
use genoflow_testkit::{
    keys::{WALLET_1_KEY, WALLET_2_KEY, WALLET_4_KEY},
    scenarios::chain::Miner,
};

/// The stand-in's funded accounts the scenarios send from: one per scenario, so scenarios running
/// at once never share a nonce.
const SENDERS: [&str; 3] = [WALLET_1_KEY, WALLET_2_KEY, WALLET_4_KEY];
static NEXT_SENDER: AtomicUsize = AtomicUsize::new(0);

/// The stand-in mines on its own: waiting for a block is polling the status.
struct Standin {
    client: NodeClient,
    sender: PrivateKey,
}

impl Standin {
    fn from_env() -> Self {
        let url = std::env::var("GENOFLOW_STANDIN_URL").expect(
            "GENOFLOW_STANDIN_URL is not set: run under tests/chain-standin/with-standin.sh",
        );
        let index = NEXT_SENDER.fetch_add(1, Ordering::SeqCst) % SENDERS.len();
        Self {
            client: NodeClient::new(&url, ClientConfig::default()).unwrap(),
            sender: PrivateKey::from_hex(SENDERS[index]).unwrap(),
        }
    }
}

#[async_trait]
impl Miner for Standin {
    fn chain(&self) -> &dyn Chain {
        &self.client
    }

    fn sender(&self) -> &PrivateKey {
        &self.sender
    }

    async fn settle(&self, txid: &[u8; 32]) {
        let start = Instant::now();
        while matches!(
            self.client.transaction_status(txid).await.unwrap(),
            TxStatus::Pending | TxStatus::NotFound
        ) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{} still pending after 60 s",
                hex::encode(txid)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

genoflow_testkit::chain_scenarios!(
    [#[tokio::test] #[ignore = "needs the chain stand-in (GENOFLOW_STANDIN_URL)"]]
    async { (Standin::from_env(), ()) }
);
