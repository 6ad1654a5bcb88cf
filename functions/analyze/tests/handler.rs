//! The analyze handler on SQS events shaped like AWS's (`tests/events/`), over the in-memory
//! adapters, with the repository's real read file uploaded and validated first.

#![allow(clippy::unwrap_used)]

use genoflow_aws::lambda::sqs::SqsEvent;
use genoflow_core::{
    lifecycle::SampleStatus,
    ports::{Clock, Message, Table},
};
use genoflow_function_analyze::{Analyze, Ports};
use genoflow_testkit::{fixtures::data, world::World};
use sha2::{Digest, Sha256};

const READS: &str = "tb-demo_R1.fastq.gz";

/// A sample of the repository's R1 file, uploaded and validated (its analysis is requested), and
/// the function over the same ports.
async fn validated_sample() -> (World, Analyze, String) {
    let world = World::new();
    let (sample_id, _) = world
        .validated_sample(&[(READS, data(&format!("samples/{READS}")))])
        .await;
    let analyze = Analyze::new(Ports {
        table: world.table.clone(),
        blobs: world.blobs.clone(),
        queue: world.queue.clone(),
        clock: world.clock.clone(),
    });
    (world, analyze, sample_id)
}

fn event(sample_id: &str) -> SqsEvent {
    let text = include_str!("events/sqs-analysis-requested.json").replace("SAMPLE_ID", sample_id);
    serde_json::from_str(&text).unwrap()
}

fn failed_ids(response: &genoflow_aws::lambda::sqs::SqsBatchResponse) -> Vec<String> {
    let json = serde_json::to_value(response).unwrap();
    json["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_analyses_its_sample_once_and_leaves_the_stray_message_for_the_dlq() {
    let (world, analyze, sample_id) = validated_sample().await;
    let response = analyze.handle(&event(&sample_id)).await;
    // The anchor request on the analysis queue is poison here: listed, so it reaches the DLQ.
    assert_eq!(
        failed_ids(&response),
        ["2e1424d4-f796-459a-8184-9c92662be6da"]
    );

    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::Analyzed);
    let analysis = sample.analysis.unwrap();
    let dataset_id = &sample.dataset_ids[0];
    let report = world
        .blobs
        .object(&format!("results/{dataset_id}/report.json"))
        .unwrap();
    assert_eq!(hex::encode(Sha256::digest(&report)), analysis.report_sha256);
    let anchors: Vec<Message> = world
        .queue
        .sent()
        .into_iter()
        .filter(|m| matches!(m, Message::AnchorRequested(_)))
        .collect();
    assert_eq!(anchors.len(), 1);

    // Redelivered: no second analysis (the report is the same object), one more anchor request.
    let again = analyze.handle(&event(&sample_id)).await;
    assert_eq!(failed_ids(&again).len(), 1);
    assert_eq!(
        world
            .blobs
            .object(&format!("results/{dataset_id}/report.json"))
            .unwrap(),
        report
    );
    assert_eq!(
        world
            .table
            .get_sample(&sample_id)
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        sample.updated_at
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_outage_lists_the_message_for_redelivery() {
    let (world, analyze, sample_id) = validated_sample().await;
    world.blobs.fail_next_reads(1);
    let response = analyze.handle(&event(&sample_id)).await;
    assert_eq!(
        failed_ids(&response),
        [
            "19dd0b57-b21e-4ac1-bd88-01bbb068cb78",
            "2e1424d4-f796-459a-8184-9c92662be6da"
        ]
    );
    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::AnalysisRequested);
    let retry = analyze.handle(&event(&sample_id)).await;
    assert_eq!(failed_ids(&retry).len(), 1);
    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::Analyzed);
}

/// The analysis request alone, delivered for the `receive_count`th time.
fn delivery(sample_id: &str, receive_count: u32) -> SqsEvent {
    let mut event = event(sample_id);
    event.records.truncate(1);
    event.records[0]
        .attributes
        .insert("ApproximateReceiveCount".into(), receive_count.to_string());
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_inside_a_live_lease_is_a_batch_item_failure_not_skipped() {
    let (world, analyze, sample_id) = validated_sample().await;
    // Another analyser claimed the sample a moment ago and is still running.
    let mut sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    sample.status = SampleStatus::Analyzing;
    sample.updated_at = world.clock.now();
    world
        .table
        .update_sample(&sample, SampleStatus::AnalysisRequested)
        .await
        .unwrap();

    let response = analyze.handle(&delivery(&sample_id, 2)).await;
    assert_eq!(
        failed_ids(&response),
        ["19dd0b57-b21e-4ac1-bd88-01bbb068cb78"],
        "listed, so SQS delivers it again after the visibility timeout"
    );

    // That analyser died: the delivery after the lease (function timeout + margin) takes over.
    world.clock.advance(time::Duration::seconds(900 + 60));
    let response = analyze.handle(&delivery(&sample_id, 3)).await;
    assert!(failed_ids(&response).is_empty());
    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::Analyzed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_last_receive_an_analysis_that_cannot_run_fails_the_sample() {
    let (world, analyze, sample_id) = validated_sample().await;
    world.blobs.fail_next_reads(1);
    let response = analyze.handle(&delivery(&sample_id, 5)).await;
    assert!(
        failed_ids(&response).is_empty(),
        "the failure is recorded on the sample; nothing is left to retry"
    );
    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::Failed);
    let error = sample.error.unwrap().error.message;
    assert!(error.contains("could not finish"), "{error}");
    let dataset = world
        .table
        .get_dataset(&sample.dataset_ids[0])
        .await
        .unwrap();
    assert_eq!(
        dataset.unwrap().status,
        genoflow_core::lifecycle::Status::Failed
    );
}
