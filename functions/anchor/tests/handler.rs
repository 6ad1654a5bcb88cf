//! The anchor handler on an SQS batch and the schedule's payload shaped like AWS delivers them
//! (`tests/events/`), over the in-memory adapters and an in-memory node.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    lifecycle::{SampleStatus, Status},
    model::{AnalysisRecord, Dataset, Proof, Sample, UploadKind},
    ports::{Chain, Clock, Table},
    usecases::{anchor::Anchorer, submit::ContractSender},
};
use genoflow_function_anchor::{Anchor, AnchorAnswer, AnchorEvent, Ports};
use genoflow_stacks::{keys::PrivateKey, merkle::verify_inclusion, transaction::Network};
use genoflow_testkit::memory::{
    ManualClock, MemoryBlobStore, MemoryChain, MemoryQueue, MemoryTable,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use genoflow_testkit::keys::ANCHOR_KEY as KEY;
use genoflow_testkit::keys::DEPLOYER as ALICE;

struct World {
    anchor: Anchor,
    table: Arc<MemoryTable>,
    blobs: Arc<MemoryBlobStore>,
    chain: Arc<MemoryChain>,
}

fn item(name: &str) -> String {
    hex::encode(Sha256::digest(name.as_bytes()))
}

async fn world() -> World {
    let table = Arc::new(MemoryTable::default());
    let blobs = Arc::new(MemoryBlobStore::default());
    let chain = Arc::new(MemoryChain::default());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    ));
    for name in ["a", "b"] {
        let now = clock.now();
        table
            .create_dataset(&Dataset {
                dataset_id: format!("d-{name}"),
                sample_id: format!("s-{name}"),
                owner: ALICE.to_owned(),
                filename: "r.fq".to_owned(),
                key: format!("uploads/{ALICE}/d-{name}/r.fq"),
                size: 1,
                sha256: "00".repeat(32),
                format: Some("fastq".to_owned()),
                status: Status::Analyzed,
                validation: None,
                error: None,
                upload: UploadKind::Single,
                revision: 4,
                created_at: now,
                updated_at: now,
            })
            .await
            .unwrap();
        table
            .create_sample(&Sample {
                sample_id: format!("s-{name}"),
                owner: ALICE.to_owned(),
                sample_name: None,
                dataset_ids: vec![format!("d-{name}")],
                status: SampleStatus::Analyzed,
                error: None,
                analysis: Some(AnalysisRecord {
                    inputs_hash: "11".repeat(32),
                    report_sha256: "22".repeat(32),
                    pipeline_id: "33".repeat(32),
                    item: item(name),
                    artifacts: vec![],
                }),
                anchor: None,
                created_at: now,
                updated_at: now,
            })
            .await
            .unwrap();
    }
    let anchor = Anchor::new(
        Ports {
            table: table.clone(),
            blobs: blobs.clone(),
            queue: Arc::new(MemoryQueue::default()),
            clock,
            chain: Some(chain.clone() as Arc<dyn Chain>),
        },
        Anchorer {
            sender: ContractSender {
                key: PrivateKey::from_hex(KEY).unwrap(),
                network: Network::Testnet,
                fee: 10_000,
            },
            registry: format!("{ALICE}.registry"),
        },
    );
    World {
        anchor,
        table,
        blobs,
        chain,
    }
}

fn sqs_event() -> AnchorEvent {
    let text = include_str!("events/sqs-anchor-requested.json")
        .replace("ITEM_A", &item("a"))
        .replace("ITEM_B", &item("b"));
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
    let world = world().await;
    let answer = world.anchor.handle(sqs_event()).await.unwrap();
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
    world.anchor.handle(sqs_event()).await.unwrap();
    assert_eq!(world.chain.transactions().len(), 1);

    world.chain.mine();
    let answer = world.anchor.handle(schedule_event()).await.unwrap();
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
    let world = world().await;
    world
        .chain
        .reject_next(vec![genoflow_stacks::node::BroadcastRejection::FeeTooLow {
            expected: 20_000,
            actual: 10_000,
        }]);
    let answer = world.anchor.handle(sqs_event()).await.unwrap();
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
