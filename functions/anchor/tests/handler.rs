//! The anchor handler on an SQS batch and the schedule's payload shaped like AWS delivers them
//! (`tests/events/`), over the in-memory adapters and an in-memory node.

#![allow(clippy::unwrap_used)]

use genoflow_core::{lifecycle::SampleStatus, model::Proof, ports::Table};
use genoflow_function_anchor::{Anchor, AnchorAnswer, AnchorEvent, Ports};
use genoflow_stacks::merkle::verify_inclusion;
use genoflow_testkit::world::{World, anchorer};

/// Alice's analysed samples `s-a` and `s-b`, and the function over the same ports and node.
async fn world() -> (World, Anchor, [String; 2]) {
    let world = World::new();
    let items = [
        world.analysed("a").await.item,
        world.analysed("b").await.item,
    ];
    let anchor = Anchor::new(
        Ports {
            table: world.table.clone(),
            blobs: world.blobs.clone(),
            queue: world.queue.clone(),
            clock: world.clock.clone(),
            chain: world.node(),
        },
        anchorer(),
    );
    (world, anchor, items)
}

fn sqs_event([a, b]: &[String; 2]) -> AnchorEvent {
    let text = include_str!("events/sqs-anchor-requested.json")
        .replace("ITEM_A", a)
        .replace("ITEM_B", b);
    serde_json::from_str(&text).unwrap()
}

fn schedule_event() -> AnchorEvent {
    serde_json::from_str(include_str!("events/schedule-confirm-pending.json")).unwrap()
}

fn answer_json(answer: &AnchorAnswer) -> serde_json::Value {
    serde_json::to_value(answer).unwrap()
}

#[tokio::test]
async fn one_sqs_batch_is_one_transaction_and_the_schedule_confirms_it() {
    let (world, anchor, items) = world().await;
    let answer = anchor.handle(sqs_event(&items)).await.unwrap();
    // The message without an item is poison; the two requests are done.
    assert_eq!(
        answer_json(&answer),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "a1f3c5e7-0000-4000-8000-000000000003"}]})
    );
    assert_eq!(world.chain.transactions().len(), 1);
    let proof: Proof =
        serde_json::from_slice(&world.blobs.object("results/d-b/proof.json").unwrap()).unwrap();
    assert_eq!(
        (proof.index, proof.size, proof.tx_status.as_str()),
        (1, 2, "pending")
    );

    // Redelivered: nothing new on chain.
    anchor.handle(sqs_event(&items)).await.unwrap();
    assert_eq!(world.chain.transactions().len(), 1);

    world.chain.mine();
    let answer = anchor.handle(schedule_event()).await.unwrap();
    assert_eq!(
        answer_json(&answer)["confirmed"].as_array().unwrap().len(),
        1
    );
    for name in ["a", "b"] {
        let sample = world
            .table
            .get_sample(&format!("s-{name}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sample.status, SampleStatus::Confirmed);
        let proof: Proof = serde_json::from_slice(
            &world
                .blobs
                .object(&format!("results/d-{name}/proof.json"))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(proof.batch_id, Some(1));
        let hash = |h: &str| -> [u8; 32] { hex::decode(h).unwrap().try_into().unwrap() };
        let siblings: Vec<[u8; 32]> = proof.proof.iter().map(|p| hash(p)).collect();
        assert!(verify_inclusion(
            &hash(&proof.root),
            &hash(&proof.item),
            proof.index,
            proof.size,
            &siblings
        ));
    }
}

#[tokio::test]
async fn a_node_refusal_lists_every_request_and_an_unknown_payload_is_refused() {
    let (world, anchor, items) = world().await;
    world
        .chain
        .reject_next(vec![genoflow_stacks::node::BroadcastRejection::FeeTooLow {
            expected: 20_000,
            actual: 10_000,
        }]);
    let answer = anchor.handle(sqs_event(&items)).await.unwrap();
    let failures = answer_json(&answer)["batchItemFailures"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        failures, 3,
        "the two requests (final: fee) and the poison message"
    );
    assert!(
        serde_json::from_str::<AnchorEvent>(r#"{"type": "something_else"}"#).is_err(),
        "neither a schedule task nor an SQS batch"
    );
}
