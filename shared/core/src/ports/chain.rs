use async_trait::async_trait;
use genoflow_stacks::{
    address::StacksAddress,
    clarity::{ClarityValue, Principal},
    node::{BroadcastRejection, TxStatus},
    transaction::{ContractCall, Transaction},
};

/// A chain failure.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node refused the transaction as made (bad nonce, fee, signature, ...).
    #[error("the Stacks node rejected the transaction: {0}")]
    Rejected(BroadcastRejection),
    /// A read-only call could not run (a contract error, not an outage).
    #[error("the read-only call failed: {0}")]
    ReadOnly(String),
    /// The node could not be reached or answered garbage; retrying may work.
    #[error("the Stacks node is unavailable: {0}")]
    Unavailable(String),
}

/// A Stacks node: what the anchor, oracle and subscription gate need of it.
#[async_trait]
pub trait Chain: Send + Sync {
    /// The next nonce the chain expects from `address` (confirmed transactions only).
    async fn account_nonce(&self, address: &StacksAddress) -> Result<u64, ChainError>;

    /// Broadcasts a signed transaction; answers its txid.
    async fn broadcast(&self, transaction: &Transaction) -> Result<[u8; 32], ChainError>;

    /// Where the transaction is.
    async fn transaction_status(&self, txid: &[u8; 32]) -> Result<TxStatus, ChainError>;

    /// Runs a read-only function as `sender`.
    async fn call_read_only(
        &self,
        call: &ContractCall,
        sender: &Principal,
    ) -> Result<ClarityValue, ChainError>;
}
