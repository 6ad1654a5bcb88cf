//! The validate handler on S3 event notifications shaped like AWS's
//! (`tests/events/s3-object-created-put.json`), over the in-memory adapters, with the
//! repository's real read file.

#![allow(clippy::unwrap_used)]

use genoflow_aws::lambda::s3::{S3Event, S3EventError};
use genoflow_core::{
    keys::upload_key,
    lifecycle::Status,
    ports::{BlobStore, Message, Table},
};
use genoflow_function_validate::{Ports, Validate};
use genoflow_testkit::{
    fixtures::{data, s3_event_key},
    keys::ALICE,
    world::World,
};
use serde_json::Value;

/// The function over the world's ports.
fn validate(world: &World) -> Validate {
    Validate::new(Ports {
        table: world.table.clone(),
        blobs: world.blobs.clone(),
        queue: world.queue.clone(),
        clock: world.clock.clone(),
    })
}

/// Alice uploads `bytes` as `filename` (a sample of one file); answers the dataset id and the
/// object key.
async fn upload(world: &World, filename: &str, bytes: &[u8]) -> (String, String) {
    let created = world.upload(ALICE, &[(filename, bytes)]).await;
    let id = created.datasets[0].dataset_id.clone();
    let key = upload_key(ALICE, &id, filename);
    (id, key)
}

async fn status(world: &World, dataset_id: &str) -> Status {
    world
        .table
        .get_dataset(dataset_id)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// The fixture with its records' keys set to `keys` (as S3 writes them: URL-encoded).
fn s3_event(keys: &[&str]) -> S3Event {
    let mut value: Value =
        serde_json::from_str(include_str!("events/s3-object-created-put.json")).unwrap();
    let template = value["Records"][0].clone();
    value["Records"] = keys
        .iter()
        .map(|key| {
            let mut record = template.clone();
            record["s3"]["object"]["key"] = (*key).into();
            record
        })
        .collect();
    serde_json::from_value(value).unwrap()
}

fn read_file() -> Vec<u8> {
    data("samples/tb-demo_R1.fastq.gz")
}

#[tokio::test]
async fn a_valid_upload_is_validated_once_and_a_duplicate_event_does_nothing() {
    let world = World::new();
    let validate = validate(&world);
    let (id, key) = upload(&world, "tb-demo_R1.fastq.gz", &read_file()).await;
    let event = s3_event(&[&key]);

    let summary = validate.handle(&event).await.unwrap();
    let handled = &summary.objects[0];
    assert_eq!(
        (handled.outcome, handled.status.as_deref(), handled.sample),
        ("validated", Some("valid"), Some("analysis_requested"))
    );
    assert_eq!(handled.key, key);
    assert_eq!(status(&world, &id).await, Status::Valid);
    let sent = world.queue.sent();
    assert_eq!(sent.len(), 1);
    assert!(matches!(&sent[0], Message::AnalysisRequested(_)));

    // S3 delivers at least once: the same event again changes nothing and sends nothing.
    let revision = world
        .table
        .get_dataset(&id)
        .await
        .unwrap()
        .unwrap()
        .revision;
    let again = validate.handle(&event).await.unwrap();
    assert_eq!(again.objects[0].outcome, "duplicate");
    assert_eq!(world.queue.sent().len(), 1);
    assert_eq!(
        world
            .table
            .get_dataset(&id)
            .await
            .unwrap()
            .unwrap()
            .revision,
        revision
    );
}

#[tokio::test]
async fn a_url_encoded_key_names_its_dataset() {
    let world = World::new();
    let validate = validate(&world);
    let (id, key) = upload(&world, "tb demo+R1.fastq.gz", &read_file()).await;
    let encoded = s3_event_key(&key);
    assert!(encoded.ends_with("/tb+demo%2BR1.fastq.gz"), "{encoded}");

    let summary = validate.handle(&s3_event(&[&encoded])).await.unwrap();
    assert_eq!(summary.objects[0].key, key);
    assert_eq!(summary.objects[0].dataset_id.as_deref(), Some(id.as_str()));
    assert_eq!(status(&world, &id).await, Status::Valid);
}

#[tokio::test]
async fn an_object_no_dataset_expects_is_quarantined_not_processed() {
    let world = World::new();
    let validate = validate(&world);
    let stray = format!("uploads/{ALICE}/not-a-dataset/evil.fastq");
    world
        .blobs
        .put(&stray, b"@r\nA\n+\nI\n".to_vec())
        .await
        .unwrap();

    let summary = validate.handle(&s3_event(&[&stray])).await.unwrap();
    assert_eq!(summary.objects[0].outcome, "quarantined");
    assert!(world.blobs.object(&stray).is_none());
    assert!(world.blobs.object(&format!("quarantine/{stray}")).is_some());
    assert!(world.queue.sent().is_empty());
}

#[tokio::test]
async fn a_corrupt_upload_ends_invalid_and_requests_no_analysis() {
    let world = World::new();
    let validate = validate(&world);
    let (id, key) = upload(&world, "broken.fastq", b"@r1\nACGT\n+\nII\n").await;
    let summary = validate.handle(&s3_event(&[&key])).await.unwrap();
    assert_eq!(
        (
            summary.objects[0].status.as_deref(),
            summary.objects[0].sample
        ),
        (Some("invalid"), Some("failed"))
    );
    assert_eq!(status(&world, &id).await, Status::Invalid);
    assert!(world.queue.sent().is_empty());
}

#[tokio::test]
async fn a_failed_object_fails_the_invocation_after_the_others_are_handled() {
    let world = World::new();
    let validate = validate(&world);
    let (id, key) = upload(&world, "tb-demo_R1.fastq.gz", &read_file()).await;
    // `%FF` decodes to a byte that is not UTF-8: no retry can fix this key.
    let undecodable = format!("uploads/{ALICE}/x/%FF.fq");
    let error = validate
        .handle(&s3_event(&[&undecodable, &key]))
        .await
        .unwrap_err();
    let S3EventError::Objects { failed, total } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*total, 2);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].key, undecodable);
    assert!(!failed[0].retryable);
    assert!(error.to_string().contains("final"), "{error}");
    // The good record of the same event was handled.
    assert_eq!(status(&world, &id).await, Status::Valid);
}

#[tokio::test]
async fn a_storage_outage_is_retryable_and_the_retry_validates() {
    let world = World::new();
    let validate = validate(&world);
    let (id, key) = upload(&world, "tb-demo_R1.fastq.gz", &read_file()).await;
    world.blobs.fail_next_reads(1);
    let error = validate.handle(&s3_event(&[&key])).await.unwrap_err();
    let S3EventError::Objects { failed, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(failed[0].retryable, "{error}");
    assert_eq!(status(&world, &id).await, Status::Pending);

    // Lambda's retry of the same event.
    let summary = validate.handle(&s3_event(&[&key])).await.unwrap();
    assert_eq!(summary.objects[0].status.as_deref(), Some("valid"));
    assert_eq!(world.queue.sent().len(), 1);
}
