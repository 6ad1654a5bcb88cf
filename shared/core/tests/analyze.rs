//! Analysis request → report, attestation hashes and anchor request, on the in-memory adapters
//! with the repository's real read pair.

#![allow(clippy::unwrap_used)]

use genoflow_core::{
    lifecycle::{SampleStatus, Status},
    ports::{AnalysisRequested, AnchorRequested, BlobStore, Clock, Message, Table},
    usecases::analyze::{AnalysisOutcome, REPORT_FILE, VARIANTS_FILE},
};
use genoflow_testkit::{
    fixtures::data,
    keys::{ALICE, BOB},
    world::World,
};
use sha2::{Digest, Sha256};

const R1: &str = "tb-demo_R1.fastq.gz";
const R2: &str = "tb-demo_R2.fastq.gz";

/// Uploads and validates `files` as one sample; answers its id and dataset ids.
async fn validated_sample(world: &World, files: &[(&str, Vec<u8>)]) -> (String, Vec<String>) {
    world.validated_sample(files).await
}

fn request(sample_id: &str) -> AnalysisRequested {
    AnalysisRequested {
        sample_id: sample_id.to_owned(),
    }
}

fn anchor_requests(world: &World) -> Vec<AnchorRequested> {
    world
        .queue
        .sent()
        .into_iter()
        .filter_map(|m| match m {
            Message::AnchorRequested(a) => Some(a),
            Message::AnalysisRequested(_) | Message::ObjectStored(_) => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_pair_is_analysed_once_and_its_item_sent_for_anchoring() {
    let world = World::new();
    let (r1, r2) = (
        data("samples/tb-demo_R1.fastq.gz"),
        data("samples/tb-demo_R2.fastq.gz"),
    );
    let (sample_id, ids) = validated_sample(&world, &[(R1, r1.clone()), (R2, r2.clone())]).await;

    let outcome = world.analyze.handle(&request(&sample_id)).await.unwrap();
    let AnalysisOutcome::Analyzed { record, .. } = outcome else {
        panic!("{outcome:?}");
    };

    // The report is the pipeline's, written for both files of the pair.
    let report_bytes = world
        .blobs
        .object(&format!("results/{}/{REPORT_FILE}", ids[0]))
        .unwrap();
    assert_eq!(
        world
            .blobs
            .object(&format!("results/{}/{REPORT_FILE}", ids[1]))
            .unwrap(),
        report_bytes
    );
    let report: serde_json::Value = serde_json::from_slice(&report_bytes).unwrap();
    assert_eq!(
        report["inputs"][0]["path"], R1,
        "inputs are named as uploaded"
    );
    assert_eq!(
        report["inputs"][1]["sha256"],
        hex::encode(Sha256::digest(&r2))
    );
    let resistant: Vec<&str> = report["resistance"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["call"] == "resistant")
        .map(|d| d["drug"].as_str().unwrap())
        .collect();
    assert_eq!(
        resistant,
        ["Ethionamide", "Isoniazid", "Pyrazinamide", "Rifampicin"]
    );
    let vcf = world
        .blobs
        .object(&format!("results/{}/{VARIANTS_FILE}", ids[0]))
        .unwrap();
    assert_eq!(
        vcf.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty() && l[0] != b'#')
            .count(),
        report["variants"].as_array().unwrap().len()
    );

    // The attestation hashes, recomputed from their definition in docs/ARCHITECTURE.md.
    let inputs_hash: [u8; 32] = Sha256::new()
        .chain_update(Sha256::digest(&r1))
        .chain_update(Sha256::digest(&r2))
        .finalize()
        .into();
    let report_sha256: [u8; 32] = Sha256::digest(&report_bytes).into();
    let pipeline_id = hex::decode(report["pipeline_id"].as_str().unwrap()).unwrap();
    let item = Sha256::new()
        .chain_update(inputs_hash)
        .chain_update(report_sha256)
        .chain_update(&pipeline_id)
        .finalize();
    assert_eq!(record.inputs_hash, hex::encode(inputs_hash));
    assert_eq!(record.report_sha256, hex::encode(report_sha256));
    assert_eq!(record.item, hex::encode(item));

    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::Analyzed);
    assert_eq!(sample.analysis.as_ref(), Some(&record));
    for id in &ids {
        assert_eq!(world.view(ALICE, id).await.status, Status::Analyzed);
    }
    assert_eq!(
        anchor_requests(&world),
        [AnchorRequested {
            sample_id: sample_id.clone(),
            item: record.item.clone()
        }]
    );

    // A redelivery does no analysis: the records stay as they are, and the anchor request is
    // sent again (the anchor function ignores items it holds) in case the first send was lost.
    let revisions: Vec<u64> = {
        let mut revisions = Vec::new();
        for id in &ids {
            revisions.push(world.table.get_dataset(id).await.unwrap().unwrap().revision);
        }
        revisions
    };
    let again = world.analyze.handle(&request(&sample_id)).await.unwrap();
    assert_eq!(
        again,
        AnalysisOutcome::AlreadyAnalyzed {
            sample_id: sample_id.clone()
        }
    );
    for (id, revision) in ids.iter().zip(revisions) {
        assert_eq!(
            world.table.get_dataset(id).await.unwrap().unwrap().revision,
            revision
        );
    }
    assert_eq!(
        world.table.get_sample(&sample_id).await.unwrap().unwrap(),
        sample
    );
    assert_eq!(anchor_requests(&world).len(), 2);
    assert_eq!(anchor_requests(&world)[1].item, record.item);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_outage_hands_the_claim_back_and_the_redelivery_analyses() {
    let world = World::new();
    let (sample_id, ids) =
        validated_sample(&world, &[(R1, data("samples/tb-demo_R1.fastq.gz"))]).await;

    world.blobs.fail_next_reads(1);
    let error = world
        .analyze
        .handle(&request(&sample_id))
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error}");
    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::AnalysisRequested);
    assert_eq!(world.view(ALICE, &ids[0]).await.status, Status::Valid);
    assert!(anchor_requests(&world).is_empty());
    assert!(
        world
            .blobs
            .object(&format!("results/{}/{REPORT_FILE}", ids[0]))
            .is_none()
    );

    let retry = world.analyze.handle(&request(&sample_id)).await.unwrap();
    assert!(
        matches!(retry, AnalysisOutcome::Analyzed { .. }),
        "{retry:?}"
    );
    assert_eq!(anchor_requests(&world).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_claim_is_left_alone_and_a_stale_one_taken_over() {
    let world = World::new();
    let (sample_id, _) =
        validated_sample(&world, &[(R1, data("samples/tb-demo_R1.fastq.gz"))]).await;
    // An analyser claimed the sample and died before finishing.
    let mut sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    sample.status = SampleStatus::Analyzing;
    world
        .table
        .update_sample(&sample, SampleStatus::AnalysisRequested)
        .await
        .unwrap();

    let fresh = world.analyze.handle(&request(&sample_id)).await.unwrap();
    assert_eq!(
        fresh,
        AnalysisOutcome::InProgress {
            sample_id: sample_id.clone(),
            until: sample.updated_at + time::Duration::minutes(15),
        }
    );
    assert!(anchor_requests(&world).is_empty());

    world.clock.advance(time::Duration::minutes(15));
    let taken_over = world.analyze.handle(&request(&sample_id)).await.unwrap();
    assert!(
        matches!(taken_over, AnalysisOutcome::Analyzed { .. }),
        "{taken_over:?}"
    );
    assert_eq!(anchor_requests(&world).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_the_pipeline_refuses_fails_the_sample_with_its_file_named() {
    let world = World::new();
    // A valid FASTA is a valid upload, but not something analyze takes.
    let fasta = b">chr1 test\nACGTACGTNNACGT\n".to_vec();
    let (sample_id, ids) = validated_sample(&world, &[("contigs.fa", fasta)]).await;

    let outcome = world.analyze.handle(&request(&sample_id)).await.unwrap();
    let AnalysisOutcome::Failed { error, .. } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(error.dataset_id, ids[0]);
    assert!(
        error.error.message.starts_with("contigs.fa: fasta input"),
        "{}",
        error.error.message
    );
    assert!(
        !error.error.message.contains('/'),
        "{}",
        error.error.message
    );

    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::Failed);
    assert_eq!(sample.error.as_ref(), Some(&error));
    let dataset = world.view(ALICE, &ids[0]).await;
    assert_eq!(dataset.status, Status::Failed);
    assert_eq!(dataset.error.as_ref(), Some(&error.error));
    assert!(anchor_requests(&world).is_empty());

    // Failed is final: a redelivery does nothing.
    let again = world.analyze.handle(&request(&sample_id)).await.unwrap();
    assert_eq!(
        again,
        AnalysisOutcome::Skipped {
            sample_id,
            status: SampleStatus::Failed
        }
    );
}

#[tokio::test]
async fn a_deleted_sample_is_gone_not_an_error() {
    let world = World::new();
    let outcome = world
        .analyze
        .handle(&request("no-such-sample"))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        AnalysisOutcome::Gone {
            sample_id: "no-such-sample".into()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_route_serves_the_owner_once_analysed_with_expiring_downloads() {
    let world = World::new();
    let (sample_id, ids) =
        validated_sample(&world, &[(R1, data("samples/tb-demo_R1.fastq.gz"))]).await;
    let now = world.clock.now();

    let early = world
        .datasets
        .report(ALICE, &ids[0], now)
        .await
        .unwrap_err();
    assert_eq!(
        (early.http_status(), early.code()),
        (409, "not_analyzed"),
        "{early}"
    );

    let AnalysisOutcome::Analyzed { record, .. } =
        world.analyze.handle(&request(&sample_id)).await.unwrap()
    else {
        panic!("not analysed");
    };
    let view = world.datasets.report(ALICE, &ids[0], now).await.unwrap();
    assert_eq!(view.sample_id, sample_id);
    assert_eq!(view.report_sha256, record.report_sha256);
    assert_eq!(view.report["schema"], "genoflow.report/1");
    let names: Vec<&str> = view.artifacts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, [REPORT_FILE, VARIANTS_FILE]);

    // The link downloads the bytes whose hash is anchored, until it expires.
    let link = &view.artifacts[0];
    let bytes = world.blobs.get_presigned(&link.url, now).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&bytes)), record.report_sha256);
    let expired = time::OffsetDateTime::from_unix_timestamp(link.expires).unwrap();
    assert!(world.blobs.get_presigned(&link.url, expired).is_err());

    // Someone else's dataset looks like a missing one.
    let refused = world.datasets.report(BOB, &ids[0], now).await.unwrap_err();
    assert_eq!((refused.http_status(), refused.code()), (404, "not_found"));

    // Deleting the dataset removes its results with it.
    let deleted = world.datasets.delete(ALICE, &ids[0], now).await.unwrap();
    assert!(
        deleted
            .removed
            .contains(&format!("results/{}/{REPORT_FILE}", ids[0]))
    );
    assert!(
        world
            .blobs
            .list(&format!("results/{}/", ids[0]))
            .await
            .unwrap()
            .is_empty()
    );
}
