//! The [`Chain`] port over a node's HTTP API.

use async_trait::async_trait;
use genoflow_core::ports::{Chain, ChainError};
use genoflow_stacks::{
    address::StacksAddress,
    clarity::{ClarityValue, Principal},
    node::TxStatus,
    transaction::{ContractCall, Transaction},
};

use crate::client::{NodeClient, NodeError};

impl From<NodeError> for ChainError {
    fn from(error: NodeError) -> Self {
        match error {
            NodeError::Rejected { rejection, .. } => Self::Rejected(rejection),
            NodeError::ReadOnlyFailed { .. } => Self::ReadOnly(error.to_string()),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

#[async_trait]
impl Chain for NodeClient {
    async fn account_nonce(&self, address: &StacksAddress) -> Result<u64, ChainError> {
        Ok(self.account(&address.to_string()).await?.nonce)
    }

    async fn broadcast(&self, transaction: &Transaction) -> Result<[u8; 32], ChainError> {
        Ok(NodeClient::broadcast(self, transaction).await?)
    }

    async fn transaction_status(&self, txid: &[u8; 32]) -> Result<TxStatus, ChainError> {
        Ok(NodeClient::transaction_status(self, txid).await?)
    }

    async fn call_read_only(
        &self,
        call: &ContractCall,
        sender: &Principal,
    ) -> Result<ClarityValue, ChainError> {
        Ok(NodeClient::call_read_only(self, call, sender).await?)
    }
}
