//! The optional subscription gate of `POST /uploads`: uploads only for addresses with an active
//! `subscription` (a read-only call to `is-active`). A subscription is active while its expiry,
//! unix seconds of chain time, is after the time of the node's latest block
//! (`stacks-block-time`): the answer is as of that block, not of the server's clock.

use std::sync::Arc;

use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    contracts::subscription,
};

use crate::{
    error::Error,
    ports::{Chain, ChainError},
};

/// The gate.
pub struct SubscriptionGate {
    /// The node answering the read-only call.
    pub chain: Arc<dyn Chain>,
    /// The subscription contract, `ADDRESS.subscription`.
    pub contract: String,
}

impl SubscriptionGate {
    /// Passes when `subscription.is-active(owner)` is `true` at the node's latest block.
    ///
    /// # Errors
    /// [`Error::SubscriptionRequired`] when it is `false`; [`Error::Chain`] when the call cannot
    /// be made or answers something else; node outages are retryable ([`Error::ChainUnavailable`]).
    pub async fn require_active(&self, owner: &str) -> Result<(), Error> {
        let principal = Principal::parse(owner)
            .map_err(|e| Error::Chain(format!("{owner} is not a principal: {e}")))?;
        let call = subscription::is_active(&self.contract, &principal).map_err(|e| {
            Error::Chain(format!("the subscription contract {}: {e}", self.contract))
        })?;
        match self.chain.call_read_only(&call, &principal).await {
            Ok(ClarityValue::Bool(true)) => Ok(()),
            Ok(ClarityValue::Bool(false)) => Err(Error::SubscriptionRequired {
                address: owner.to_owned(),
                contract: self.contract.clone(),
            }),
            Ok(other) => Err(Error::Chain(format!(
                "{}.{} answered {} instead of a bool",
                self.contract,
                subscription::IS_ACTIVE.function,
                other.to_hex()
            ))),
            Err(ChainError::Unavailable(message)) => Err(Error::ChainUnavailable(message)),
            Err(other) => Err(Error::Chain(other.to_string())),
        }
    }
}
