//! Analysed samples → Merkle batches → `registry.anchor-batch` transactions on an in-memory
//! node that checks signatures and nonces → confirmation, re-sends and recovery.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    lifecycle::{SampleStatus, Status},
    model::{AnchorRef, Lease, LeaseKind, Proof, SubmissionStatus},
    ports::{AnchorRequested, BlobStore, Chain, Clock, Message, Table},
    usecases::{
        anchor::{AnchorBatches, Anchorer, PROOF_FILE},
        submit::ContractSender,
    },
};
use genoflow_stacks::{
    clarity::ClarityValue,
    keys::PrivateKey,
    merkle::verify_inclusion,
    node::{BroadcastRejection, TxStatus},
    transaction::{Network, Payload, Transaction, TransactionOptions},
};
use genoflow_testkit::memory::MemoryChain;
use genoflow_testkit::{
    keys::{ALICE, BOB},
    world::World,
};

use genoflow_testkit::keys::ANCHOR_KEY;
const REGISTRY: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry";

fn anchorer() -> Anchorer {
    Anchorer {
        sender: ContractSender {
            key: PrivateKey::from_hex(ANCHOR_KEY).unwrap(),
            network: Network::Testnet,
            fee: 2_000,
        },
        registry: REGISTRY.to_owned(),
    }
}

struct Anchoring {
    world: World,
    chain: Arc<MemoryChain>,
    anchor: AnchorBatches,
}

fn anchoring(with_node: bool) -> Anchoring {
    let world = World::new();
    let chain = Arc::new(MemoryChain::default());
    let anchor = AnchorBatches {
        table: world.table.clone(),
        blobs: world.blobs.clone(),
        queue: world.queue.clone(),
        clock: world.clock.clone(),
        chain: with_node.then(|| chain.clone() as Arc<dyn Chain>),
        anchorer: anchorer(),
        claim_lease: time::Duration::minutes(15),
    };
    Anchoring {
        world,
        chain,
        anchor,
    }
}

/// What an anchor run that died between its claim and its batch's write leaves.
async fn claim_into_a_batch_never_stored(world: &World, sample_id: &str) {
    let mut sample = world.table.get_sample(sample_id).await.unwrap().unwrap();
    sample.status = SampleStatus::Anchoring;
    sample.anchor = Some(AnchorRef {
        batch_id: "never-stored".to_owned(),
        index: 0,
    });
    world
        .table
        .update_sample(&sample, SampleStatus::Analyzed)
        .await
        .unwrap();
}

async fn stored_proof(world: &World, name: &str) -> Proof {
    let bytes = world
        .blobs
        .object(&format!("results/d-{name}/{PROOF_FILE}"))
        .unwrap_or_else(|| panic!("no proof for {name}"));
    serde_json::from_slice(&bytes).unwrap()
}

fn hash(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

/// Checks a proof offline, like `genoflow verify`.
fn verifies(proof: &Proof) -> bool {
    let siblings: Vec<[u8; 32]> = proof.proof.iter().map(|p| hash(p)).collect();
    verify_inclusion(
        &hash(&proof.root),
        &hash(&proof.item),
        proof.index,
        proof.size,
        &siblings,
    )
}

async fn sample_status(world: &World, name: &str) -> SampleStatus {
    let sample = world.table.get_sample(&format!("s-{name}")).await.unwrap();
    sample.unwrap().status
}

async fn dataset_status(world: &World, name: &str) -> Status {
    let dataset = world.table.get_dataset(&format!("d-{name}")).await.unwrap();
    dataset.unwrap().status
}

fn anchor_txs(chain: &MemoryChain) -> Vec<(Transaction, TxStatus)> {
    let mut txs = chain.transactions();
    txs.sort_by_key(|(tx, _)| tx.auth.nonce);
    txs
}

#[tokio::test]
async fn analysed_items_are_anchored_in_one_batch_then_confirmed() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    let names = ["a", "b", "c"];
    let mut requests = Vec::new();
    for name in names {
        requests.push(world.analysed(name).await);
    }

    let outcome = anchor.anchor(&requests).await.unwrap();
    let batch = outcome.batch.unwrap();
    assert_eq!((batch.size, batch.status), (3, SubmissionStatus::Broadcast));

    // One transaction: registry.anchor-batch(root, u3), signed by the anchorer, nonce 0.
    let txs = anchor_txs(&chain);
    assert_eq!(txs.len(), 1);
    let (tx, status) = &txs[0];
    assert_eq!(*status, TxStatus::Pending);
    assert_eq!(hex::encode(tx.txid()), batch.txid);
    assert_eq!(tx.sender(), anchorer().sender.address());
    assert_eq!((tx.auth.nonce, tx.auth.fee), (0, 2_000));
    tx.verify_signature().unwrap();
    let Payload::ContractCall(call) = &tx.payload else {
        panic!("not a contract call");
    };
    assert_eq!(call.contract_id(), REGISTRY);
    assert_eq!(call.function_name.as_str(), "anchor-batch");
    assert_eq!(
        call.args,
        [
            ClarityValue::Buffer(hash(&batch.root).to_vec()),
            ClarityValue::UInt(3)
        ]
    );

    for (index, name) in names.iter().enumerate() {
        assert_eq!(sample_status(&world, name).await, SampleStatus::Anchored);
        assert_eq!(dataset_status(&world, name).await, Status::Anchored);
        let proof = stored_proof(&world, name).await;
        assert_eq!(proof.index, index as u64);
        assert_eq!((proof.size, proof.batch_id), (3, None));
        assert_eq!(proof.tx_status, "pending");
        assert_eq!(proof.item, requests[index].item);
        assert!(verifies(&proof), "{name}: {proof:?}");
        let mut forged = proof.clone();
        forged.index = (forged.index + 1) % 3;
        assert!(!verifies(&forged));
    }

    // Not in a block yet: the schedule leaves it pending.
    let report = anchor.confirm().await.unwrap();
    assert_eq!(report.pending, std::slice::from_ref(&batch.batch_id));

    assert_eq!(chain.mine(), 1);
    let report = anchor.confirm().await.unwrap();
    assert_eq!(report.confirmed, std::slice::from_ref(&batch.batch_id));
    for name in names {
        assert_eq!(sample_status(&world, name).await, SampleStatus::Confirmed);
        assert_eq!(dataset_status(&world, name).await, Status::Confirmed);
        let proof = stored_proof(&world, name).await;
        assert_eq!(
            (proof.batch_id, proof.tx_status.as_str()),
            (Some(1), "confirmed")
        );
        assert!(verifies(&proof));
    }
    // The proof route serves the same document to the owner only.
    let served = world.datasets.proof(ALICE, "d-b").await.unwrap();
    assert_eq!(served.proof, stored_proof(&world, "b").await);
    let refused = world.datasets.proof(BOB, "d-b").await.unwrap_err();
    assert_eq!(refused.http_status(), 404);
    // Nothing left to do.
    assert_eq!(anchor.confirm().await.unwrap(), Default::default());
}

#[tokio::test]
async fn redelivered_requests_anchor_nothing_twice() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    let requests = vec![world.analysed("a").await, world.analysed("b").await];
    let first = anchor.anchor(&requests).await.unwrap();
    assert!(first.batch.is_some());

    // The same messages again, twice in one batch, plus one for an unknown sample.
    let mut again = requests.clone();
    again.extend(requests.clone());
    again.push(AnchorRequested {
        sample_id: "gone".to_owned(),
        item: "00".repeat(32),
    });
    let second = anchor.anchor(&again).await.unwrap();
    assert_eq!(second.batch, None);
    assert_eq!(second.skipped, ["s-a", "s-b", "gone"]);
    assert_eq!(chain.transactions().len(), 1);

    // A request whose item differs from the sample's record is not anchored.
    let analysed_c = world.analysed("c").await;
    let wrong = AnchorRequested {
        item: "ff".repeat(32),
        ..analysed_c
    };
    let third = anchor.anchor(&[wrong]).await.unwrap();
    assert_eq!((third.batch, third.skipped), (None, vec!["s-c".to_owned()]));
}

#[tokio::test]
async fn without_a_node_the_transaction_is_signed_and_kept_unbroadcast() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(false);
    let request = world.analysed("a").await;
    let outcome = anchor.anchor(&[request]).await.unwrap();
    let batch = outcome.batch.unwrap();
    assert_eq!(batch.status, SubmissionStatus::Signed);
    assert!(chain.transactions().is_empty());
    assert_eq!(sample_status(&world, "a").await, SampleStatus::Anchoring);
    assert_eq!(dataset_status(&world, "a").await, Status::Analyzed);
    let proof = stored_proof(&world, "a").await;
    assert_eq!(proof.tx_status, "unbroadcast");
    assert_eq!(proof.txid, batch.txid);
    assert!(verifies(&proof), "a one-leaf batch: the root is the leaf");
    assert!(proof.proof.is_empty());
}

#[tokio::test]
async fn a_node_outage_leaves_the_batch_signed_and_the_schedule_broadcasts_it() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    let request = world.analysed("a").await;
    chain.set_unavailable(true);
    let outcome = anchor.anchor(std::slice::from_ref(&request)).await.unwrap();
    assert_eq!(outcome.batch.unwrap().status, SubmissionStatus::Signed);
    assert_eq!(sample_status(&world, "a").await, SampleStatus::Anchoring);
    assert_eq!(stored_proof(&world, "a").await.tx_status, "signed");

    // A redelivered request tries the stored batch again; it makes no second batch.
    let again = anchor.anchor(&[request]).await.unwrap();
    assert_eq!(
        (again.batch, again.rebroadcast),
        (None, vec!["s-a".to_owned()])
    );

    // Still down: the schedule keeps it for later.
    let report = anchor.confirm().await.unwrap();
    assert!(report.rebroadcast.is_empty() && report.confirmed.is_empty());

    chain.set_unavailable(false);
    let report = anchor.confirm().await.unwrap();
    assert_eq!(report.rebroadcast.len(), 1);
    assert_eq!(sample_status(&world, "a").await, SampleStatus::Anchored);
    chain.mine();
    assert_eq!(anchor.confirm().await.unwrap().confirmed.len(), 1);
    assert_eq!(dataset_status(&world, "a").await, Status::Confirmed);
}

#[tokio::test]
async fn a_dropped_transaction_is_sent_again_unchanged() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    let request = world.analysed("a").await;
    let batch = anchor.anchor(&[request]).await.unwrap().batch.unwrap();
    chain.drop_pending(&hash(&batch.txid));

    let report = anchor.confirm().await.unwrap();
    assert_eq!(report.rebroadcast, std::slice::from_ref(&batch.batch_id));
    let txs = anchor_txs(&chain);
    assert_eq!(txs.len(), 1, "the same transaction, same txid");
    assert_eq!(txs[0].1, TxStatus::Pending);
    chain.mine();
    assert_eq!(anchor.confirm().await.unwrap().confirmed, [batch.batch_id]);
}

fn transfer_from_the_anchor_key(nonce: u64) -> Transaction {
    Transaction::sign_new(
        Payload::token_transfer(
            genoflow_stacks::clarity::Principal::parse(BOB).unwrap(),
            1,
            "",
        )
        .unwrap(),
        &TransactionOptions::new(Network::Testnet, nonce, 180),
        &PrivateKey::from_hex(ANCHOR_KEY).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_nonce_held_in_the_mempool_by_another_transaction_is_re_signed() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    // Another tool spends nonce 0 of the anchor key; it waits in the mempool.
    chain
        .broadcast(&transfer_from_the_anchor_key(0))
        .await
        .unwrap();
    let request = world.analysed("a").await;
    let batch = anchor.anchor(&[request]).await.unwrap().batch.unwrap();
    assert_eq!(batch.status, SubmissionStatus::Broadcast);
    let txs = anchor_txs(&chain);
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[1].0.auth.nonce, 1);
    assert_eq!(hex::encode(txs[1].0.txid()), batch.txid);
    assert_eq!(stored_proof(&world, "a").await.txid, batch.txid);
    assert_eq!(chain.mine(), 2);
    assert_eq!(anchor.confirm().await.unwrap().confirmed.len(), 1);
}

#[tokio::test]
async fn a_bad_nonce_answer_re_syncs_to_the_nonce_the_node_expects() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    // The node knows of transactions up to nonce 4 that neither its account endpoint nor
    // our counter reflect yet (another deployment with the same key).
    for nonce in 0..5 {
        chain
            .broadcast(&transfer_from_the_anchor_key(nonce))
            .await
            .unwrap();
    }
    chain.reject_next(vec![BroadcastRejection::BadNonce {
        expected: 5,
        actual: 0,
    }]);
    let request = world.analysed("a").await;
    let batch = anchor.anchor(&[request]).await.unwrap().batch.unwrap();
    let txs = anchor_txs(&chain);
    assert_eq!(txs.len(), 6);
    assert_eq!(txs[5].0.auth.nonce, 5);
    assert_eq!(hex::encode(txs[5].0.txid()), batch.txid);
    assert_eq!(chain.mine(), 6);
    assert_eq!(anchor.confirm().await.unwrap().confirmed.len(), 1);
}

#[tokio::test]
async fn batches_in_flight_take_consecutive_nonces() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    for name in ["a", "b", "c"] {
        let request = world.analysed(name).await;
        anchor.anchor(&[request]).await.unwrap();
    }
    let nonces: Vec<u64> = anchor_txs(&chain)
        .iter()
        .map(|(t, _)| t.auth.nonce)
        .collect();
    assert_eq!(nonces, [0, 1, 2]);
    assert_eq!(chain.mine(), 3);
    let report = anchor.confirm().await.unwrap();
    assert_eq!(report.confirmed.len(), 3);
    let mut chain_ids = Vec::new();
    for name in ["a", "b", "c"] {
        chain_ids.push(stored_proof(&world, name).await.batch_id.unwrap());
    }
    chain_ids.sort_unstable();
    assert_eq!(chain_ids, [1, 2, 3]);
}

#[tokio::test]
async fn an_aborted_batch_hands_its_samples_back_for_the_next_batch() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    let request = world.analysed("a").await;
    let first = anchor
        .anchor(std::slice::from_ref(&request))
        .await
        .unwrap()
        .batch
        .unwrap();
    chain.abort_next_block();
    chain.mine();
    let report = anchor.confirm().await.unwrap();
    assert_eq!(report.failed, std::slice::from_ref(&first.batch_id));
    assert_eq!(sample_status(&world, "a").await, SampleStatus::Analyzed);
    assert_eq!(dataset_status(&world, "a").await, Status::Analyzed);
    assert_eq!(
        world.queue.sent(),
        [Message::from(request.clone())],
        "requested again"
    );
    assert_eq!(stored_proof(&world, "a").await.tx_status, "failed");

    let second = anchor.anchor(&[request]).await.unwrap().batch.unwrap();
    assert_ne!(second.batch_id, first.batch_id);
    chain.mine();
    anchor.confirm().await.unwrap();
    let proof = stored_proof(&world, "a").await;
    assert_eq!(
        (proof.tx_status.as_str(), proof.batch_id),
        ("confirmed", Some(1))
    );
}

#[tokio::test]
async fn a_claim_whose_batch_was_never_stored_is_released_after_the_lease() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    let request = world.analysed("a").await;
    // A run claimed the sample and died before storing its batch.
    claim_into_a_batch_never_stored(&world, "s-a").await;

    let early = anchor.anchor(std::slice::from_ref(&request)).await.unwrap();
    assert_eq!((early.batch, early.skipped), (None, vec!["s-a".to_owned()]));
    world.clock.advance(time::Duration::minutes(15));
    let late = anchor.anchor(&[request]).await.unwrap();
    assert!(late.batch.is_some());
    assert_eq!(chain.transactions().len(), 1);
    assert_eq!(sample_status(&world, "a").await, SampleStatus::Anchored);
}

#[tokio::test]
async fn a_refused_transaction_is_an_error_that_names_the_reason() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    let request = world.analysed("a").await;
    chain.reject_next(vec![BroadcastRejection::NotEnoughFunds {
        expected: 2_000,
        actual: 0,
    }]);
    let error = anchor.anchor(&[request]).await.unwrap_err();
    assert!(error.to_string().contains("funds"), "{error}");
    assert!(!error.is_retryable());
}

#[test]
fn the_anchor_key_never_shows_in_debug() {
    let shown = format!("{:?}", anchorer());
    assert!(!shown.contains(&ANCHOR_KEY[..16]), "{shown}");
    assert!(shown.contains(&anchorer().sender.address().to_string()));
}

#[tokio::test]
async fn the_proof_route_says_when_a_dataset_is_not_anchored_yet() {
    let Anchoring { world, .. } = anchoring(true);
    world.analysed("a").await;
    let early = world.datasets.proof(ALICE, "d-a").await.unwrap_err();
    assert_eq!((early.http_status(), early.code()), (409, "not_anchored"));
    assert!(world.blobs.list("results/d-a/").await.unwrap().is_empty());
}

#[tokio::test]
async fn the_sweeper_returns_a_claim_whose_batch_was_never_stored() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    world.analysed("a").await;
    // A run claimed the sample (lease first) and died before storing its batch; no request
    // arrives again.
    let now = world.clock.now();
    let until = now + time::Duration::minutes(5);
    let lease = Lease::new(LeaseKind::Anchoring, "s-a", until, now);
    world.table.put_lease(&lease).await.unwrap();
    claim_into_a_batch_never_stored(&world, "s-a").await;

    assert!(world.sweeper.sweep().await.unwrap().returned.is_empty());
    world.clock.advance(time::Duration::minutes(5));
    let swept = world.sweeper.sweep().await.unwrap();
    assert_eq!(swept.returned, ["anchoring:s-a"]);
    assert_eq!(sample_status(&world, "a").await, SampleStatus::Analyzed);
    let Some(Message::AnchorRequested(request)) = world.queue.sent().last().cloned() else {
        panic!("no anchor request sent again");
    };
    let outcome = anchor.anchor(&[request]).await.unwrap();
    assert!(outcome.batch.is_some());
    assert_eq!(chain.transactions().len(), 1);
    assert_eq!(sample_status(&world, "a").await, SampleStatus::Anchored);
    // The stored batch ends the claim's lease: nothing left for the sweeper.
    assert_eq!(
        world
            .table
            .get_lease(LeaseKind::Anchoring, "s-a")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_deleted_dataset_gets_no_proof_back_from_the_anchor_schedule() {
    let Anchoring {
        world,
        chain,
        anchor,
    } = anchoring(true);
    let requests = [world.analysed("a").await, world.analysed("b").await];
    anchor.anchor(&requests).await.unwrap();
    stored_proof(&world, "a").await;

    let deleted = world
        .datasets
        .delete(ALICE, "d-a", world.clock.now())
        .await
        .unwrap();
    assert!(
        deleted
            .removed
            .contains(&format!("results/d-a/{PROOF_FILE}"))
    );
    assert_eq!(world.table.get_sample("s-a").await.unwrap(), None);

    // The batch confirms: the proofs are rewritten, but not the deleted dataset's.
    chain.mine();
    let report = anchor.confirm().await.unwrap();
    assert_eq!(report.confirmed.len(), 1);
    assert_eq!(stored_proof(&world, "b").await.tx_status, "confirmed");
    assert_eq!(
        world.blobs.list("results/d-a/").await.unwrap(),
        Vec::<String>::new()
    );
    // A redelivered request for the deleted sample does nothing either.
    let again = anchor.anchor(&requests[..1]).await.unwrap();
    assert_eq!(again.skipped, ["s-a"]);
    assert_eq!(
        world.blobs.list("results/d-a/").await.unwrap(),
        Vec::<String>::new()
    );
}
