//! Contract calls the functions send themselves (`registry.anchor-batch`, `oracle.submit`):
//! signing with a nonce nobody else uses, and reading the node's answer to a broadcast.
//!
//! Nonces come from a counter in the table, moved in the same atomic write that stores the
//! signed transaction with its record (a batch, an oracle value), so a crash never leaves a
//! claimed nonce without its transaction, and two transactions never share one.

use std::fmt;

use genoflow_stacks::{
    address::StacksAddress,
    keys::PrivateKey,
    node::{BroadcastRejection, TxStatus},
    transaction::{ContractCall, Network, Transaction, TransactionOptions},
};

use crate::{
    error::Error,
    model::ChainTransaction,
    ports::{Chain, ChainError, NonceClaim, Table},
};

/// How many times a nonce claim is retried when another writer moved the counter.
pub(crate) const NONCE_CLAIM_ATTEMPTS: usize = 3;

/// The account that signs and pays for a function's transactions.
pub struct ContractSender {
    /// Its key (`Debug` shows the address only).
    pub key: PrivateKey,
    /// The network (address version and chain id).
    pub network: Network,
    /// Fee per transaction, micro-STX.
    pub fee: u64,
}

impl ContractSender {
    /// The sender address.
    pub fn address(&self) -> StacksAddress {
        self.key.address(self.network.single_sig_version())
    }

    /// Signs `call` with `nonce`: the record a table stores and a node is sent.
    pub(crate) fn sign(&self, call: ContractCall, nonce: u64) -> Result<ChainTransaction, Error> {
        let contract = call.contract_id();
        let options = TransactionOptions::new(self.network, nonce, self.fee);
        let transaction = Transaction::sign_new(call.into(), &options, &self.key)
            .map_err(|e| Error::Chain(format!("cannot sign the call to {contract}: {e}")))?;
        Ok(ChainTransaction {
            txid: hex::encode(transaction.txid()),
            sender: self.address().to_string(),
            nonce,
            fee: self.fee,
            raw: hex::encode(transaction.serialize()),
        })
    }

    /// The nonce claim for the next transaction: at least `min_nonce`, the counter's value and
    /// the node's account nonce (when a node is configured and answers).
    pub(crate) async fn next_nonce(
        &self,
        table: &dyn Table,
        chain: Option<&dyn Chain>,
        min_nonce: u64,
    ) -> Result<NonceClaim, Error> {
        let address = self.address();
        let stored = table.account_nonce(&address.to_string()).await?;
        let node = match chain {
            Some(chain) => chain.account_nonce(&address).await.ok(),
            None => None,
        };
        let nonce = stored.unwrap_or(0).max(node.unwrap_or(0)).max(min_nonce);
        Ok(NonceClaim {
            address: address.to_string(),
            expected: stored,
            next: nonce + 1,
        })
    }
}

impl fmt::Debug for ContractSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContractSender")
            .field("address", &self.address().to_string())
            .field("network", &self.network)
            .field("fee", &self.fee)
            .finish_non_exhaustive()
    }
}

/// What became of a broadcast.
pub(crate) enum Broadcast {
    /// In the mempool (or already mined).
    Accepted,
    /// The nonce is taken: sign again with at least this nonce.
    Resign {
        /// The lowest nonce worth trying.
        min_nonce: u64,
        /// What happened.
        why: String,
    },
    /// The node could not be reached: try again later, unchanged.
    Unavailable(String),
    /// Refused for good (fee, funds, signature, contract): an operator has to look.
    Refused(String),
}

/// Broadcasts the stored transaction and classifies the answer. A transaction the node already
/// holds (a redelivery sending it again) counts as accepted.
pub(crate) async fn broadcast(
    chain: &dyn Chain,
    transaction: &ChainTransaction,
) -> Result<Broadcast, Error> {
    let raw = hex::decode(&transaction.raw)
        .map_err(|e| Error::Chain(format!("stored transaction {}: {e}", transaction.txid)))?;
    let signed = Transaction::deserialize(&raw)
        .map_err(|e| Error::Chain(format!("stored transaction {}: {e}", transaction.txid)))?;
    Ok(match chain.broadcast(&signed).await {
        Ok(_) => Broadcast::Accepted,
        Err(ChainError::Rejected(BroadcastRejection::BadNonce { expected, actual }))
            if expected > actual =>
        {
            Broadcast::Resign {
                min_nonce: expected,
                why: format!("nonce {actual} was already used (the node expects {expected})"),
            }
        }
        Err(ChainError::Rejected(BroadcastRejection::ConflictingNonceInMempool)) => {
            match chain.transaction_status(&signed.txid()).await {
                Ok(TxStatus::Pending | TxStatus::Success { .. }) => Broadcast::Accepted,
                _ => Broadcast::Resign {
                    min_nonce: transaction.nonce + 1,
                    why: format!(
                        "another transaction holds nonce {} in the mempool",
                        transaction.nonce
                    ),
                },
            }
        }
        Err(ChainError::Rejected(rejection)) => {
            Broadcast::Refused(format!("the node refused the transaction: {rejection}"))
        }
        Err(other) => Broadcast::Unavailable(other.to_string()),
    })
}

/// A 32-byte hash from its hex.
pub(crate) fn hash32(text: &str) -> Result<[u8; 32], Error> {
    let mut hash = [0; 32];
    hex::decode_to_slice(text, &mut hash)
        .map_err(|e| Error::Chain(format!("{text:?} is not a 32-byte hex hash: {e}")))?;
    Ok(hash)
}
