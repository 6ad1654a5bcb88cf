//! The optional upload gate: `subscription.is-active` answered by an in-memory node.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{ports::Chain, usecases::subscription::SubscriptionGate};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    transaction::ContractCall,
};
use genoflow_testkit::memory::MemoryChain;

use genoflow_testkit::keys::DEPLOYER as ALICE;
use genoflow_testkit::keys::WALLET_2 as BOB;
const CONTRACT: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.subscription";

fn is_active(who: &str) -> ContractCall {
    ContractCall::new(
        CONTRACT,
        "is-active",
        vec![ClarityValue::Principal(Principal::parse(who).unwrap())],
    )
    .unwrap()
}

#[tokio::test]
async fn only_active_subscribers_pass_and_an_outage_is_retryable() {
    let chain = Arc::new(MemoryChain::default());
    chain.answer_read_only(&is_active(ALICE), ClarityValue::Bool(true));
    chain.answer_read_only(&is_active(BOB), ClarityValue::Bool(false));
    let gate = SubscriptionGate {
        chain: chain.clone() as Arc<dyn Chain>,
        contract: CONTRACT.to_owned(),
    };
    gate.require_active(ALICE).await.unwrap();

    let refused = gate.require_active(BOB).await.unwrap_err();
    assert_eq!(
        (refused.http_status(), refused.code()),
        (403, "subscription_required")
    );
    assert!(
        refused.to_string().contains("subscription.subscribe"),
        "{refused}"
    );
    assert!(!refused.is_retryable());

    chain.set_unavailable(true);
    let down = gate.require_active(ALICE).await.unwrap_err();
    assert_eq!(down.http_status(), 503);
    assert!(down.is_retryable());
    chain.set_unavailable(false);

    // A contract that answers something else is an operator's problem, not the user's.
    chain.answer_read_only(&is_active(ALICE), ClarityValue::UInt(1));
    assert_eq!(
        gate.require_active(ALICE).await.unwrap_err().http_status(),
        500
    );
    assert!(gate.require_active("not-an-address").await.is_err());
}
