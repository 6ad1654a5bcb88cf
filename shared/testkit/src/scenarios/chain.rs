//! What every [`Chain`] adapter must do the same way: a signed transaction is accepted, mined
//! and counted in its sender's nonce; a used nonce is refused as such; an unknown transaction
//! is not found.
//!
//! Each scenario takes a [`Miner`]: the chain, a funded sender no other running test uses, and a
//! way to wait for a block (the memory chain mines when told; a node mines on its own).

use async_trait::async_trait;
use genoflow_core::ports::{Chain, ChainError};
use genoflow_stacks::{
    address::StacksAddress,
    clarity::Principal,
    keys::PrivateKey,
    node::{BroadcastRejection, TxStatus},
    transaction::{Network, Payload, Transaction, TransactionOptions},
};

use crate::keys::WALLET_3;

/// What a transfer pays: well above a node's 1 µSTX/byte minimum.
const FEE: u64 = 10_000;

/// The chain under test, a sender and blocks.
#[async_trait]
pub trait Miner: Send + Sync {
    /// The chain under test.
    fn chain(&self) -> &dyn Chain;

    /// A key with STX on this chain, whose transactions no other running test sends.
    fn sender(&self) -> &PrivateKey;

    /// Returns once `txid` has left the mempool (mined or dropped).
    async fn settle(&self, txid: &[u8; 32]);
}

fn address(key: &PrivateKey) -> StacksAddress {
    key.address(Network::Testnet.single_sig_version())
}

/// A transfer of `amount` µSTX to `wallet_3`, signed at `nonce`.
fn transfer(key: &PrivateKey, nonce: u64, amount: u64) -> Transaction {
    let recipient = Principal::parse(WALLET_3).expect("a test address");
    let payload = Payload::token_transfer(recipient, amount, "scenario").expect("a short memo");
    Transaction::sign_new(
        payload,
        &TransactionOptions::new(Network::Testnet, nonce, FEE),
        key,
    )
    .expect("a test key signs")
}

/// A signed transfer is accepted under its txid, mined with `(ok true)`, and the sender's next
/// nonce moves by one.
pub async fn a_signed_transfer_is_mined_and_moves_the_nonce(miner: &dyn Miner) {
    let sender = address(miner.sender());
    let nonce = miner.chain().account_nonce(&sender).await.unwrap();
    let transaction = transfer(miner.sender(), nonce, 1_000);
    let txid = miner.chain().broadcast(&transaction).await.unwrap();
    assert_eq!(txid, transaction.txid());
    miner.settle(&txid).await;
    match miner.chain().transaction_status(&txid).await.unwrap() {
        TxStatus::Success {
            block_height: Some(_),
            result: Some(result),
        } => assert_eq!(result.to_string(), "(ok true)"),
        other => panic!("expected a mined transfer, got {other:?}"),
    }
    assert_eq!(
        miner.chain().account_nonce(&sender).await.unwrap(),
        nonce + 1
    );
}

/// Once a nonce is mined, another transaction at that nonce is refused as a bad nonce naming the
/// expected one, and nothing is added to the mempool.
pub async fn a_used_nonce_is_refused_as_bad_nonce(miner: &dyn Miner) {
    let sender = address(miner.sender());
    let nonce = miner.chain().account_nonce(&sender).await.unwrap();
    let first = miner
        .chain()
        .broadcast(&transfer(miner.sender(), nonce, 1_000))
        .await
        .unwrap();
    miner.settle(&first).await;
    let stale = transfer(miner.sender(), nonce, 2_000);
    match miner.chain().broadcast(&stale).await {
        Err(ChainError::Rejected(BroadcastRejection::BadNonce { expected, actual })) => {
            assert_eq!((expected, actual), (nonce + 1, nonce));
        }
        other => panic!("expected BadNonce, got {other:?}"),
    }
    assert_eq!(
        miner
            .chain()
            .transaction_status(&stale.txid())
            .await
            .unwrap(),
        TxStatus::NotFound
    );
}

/// A txid the chain never saw is not found (not an error: the anchor polls before the node
/// has seen a broadcast).
pub async fn an_unknown_transaction_is_not_found(miner: &dyn Miner) {
    let unknown = transfer(miner.sender(), u64::MAX - 1, 1).txid();
    assert_eq!(
        miner.chain().transaction_status(&unknown).await.unwrap(),
        TxStatus::NotFound
    );
}
