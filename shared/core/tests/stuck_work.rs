//! No stuck work, and delete means delete, on the in-memory adapters: a redelivery inside a live
//! lease is "in progress" (retried later), a crash mid-analysis leaves a claim the sweeper
//! returns, the last delivery fails what cannot finish, the sweeper fails a claim after its last
//! return, and a delete during an analysis leaves nothing behind.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    Error,
    keys::{decode_event_key, upload_key},
    lifecycle::{SampleStatus, Status},
    model::{Lease, LeaseKind},
    ports::{AnalysisRequested, BlobStore, Clock, Message, Table},
    usecases::{
        Attempt,
        analyze::AnalysisOutcome,
        object_created::{ObjectCreated, ObjectOutcome, SampleProgress},
    },
};
use genoflow_testkit::memory::{Pause, PausePoint};
use genoflow_testkit::{
    fixtures::{data, s3_event_key},
    keys::ALICE,
    world::World,
};
use time::Duration;
use tokio::task::JoinHandle;

const R1: &str = "tb-demo_R1.fastq.gz";
const R2: &str = "tb-demo_R2.fastq.gz";
const LAST: Attempt = Attempt {
    receive_count: 5,
    max_receive_count: 5,
};

/// Uploads and validates `names` (tb-demo files) as one sample; answers its id and dataset ids.
async fn validated(world: &World, names: &[&str]) -> (String, Vec<String>) {
    let files: Vec<(&str, Vec<u8>)> = names
        .iter()
        .map(|name| (*name, data(&format!("samples/{name}"))))
        .collect();
    world.validated_sample(&files).await
}

/// An analysis of the sample on a task of its own, stopped at `point` (once it got there).
async fn stopped_analysis(
    world: &World,
    sample_id: &str,
    point: PausePoint,
) -> (JoinHandle<Result<AnalysisOutcome, Error>>, Arc<Pause>) {
    let pause = world.blobs.pause_next(point);
    let analyze = world.analyzer();
    let request = request(sample_id);
    let run = tokio::spawn(async move { analyze.handle(&request).await });
    pause.reached().await;
    (run, pause)
}

fn request(sample_id: &str) -> AnalysisRequested {
    AnalysisRequested {
        sample_id: sample_id.to_owned(),
    }
}

async fn sample_status(world: &World, sample_id: &str) -> Option<SampleStatus> {
    let sample = world.table.get_sample(sample_id).await.unwrap();
    sample.map(|s| s.status)
}

async fn lease(world: &World, kind: LeaseKind, id: &str) -> Option<Lease> {
    world.table.get_lease(kind, id).await.unwrap()
}

/// What an analyser killed right after its claim leaves: its lease, the sample and its datasets
/// `analyzing`.
async fn claim_and_die(world: &World, sample_id: &str) {
    let now = world.clock.now();
    let mut lease = lease(world, LeaseKind::Analysis, sample_id).await.unwrap();
    lease.expires_at = now + Duration::minutes(15);
    lease.updated_at = now;
    world.table.put_lease(&lease).await.unwrap();
    let mut sample = world.table.get_sample(sample_id).await.unwrap().unwrap();
    sample.status = SampleStatus::Analyzing;
    sample.updated_at = now;
    world
        .table
        .update_sample(&sample, SampleStatus::AnalysisRequested)
        .await
        .unwrap();
    for id in &sample.dataset_ids {
        world.force_status(id, Status::Analyzing).await;
    }
}

fn analysis_requests(world: &World) -> usize {
    world
        .queue
        .sent()
        .iter()
        .filter(|m| matches!(m, Message::AnalysisRequested(_)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_analysis_is_returned_by_the_sweeper_and_the_sample_ends_analyzed() {
    let world = World::new();
    let (sample_id, ids) = validated(&world, &[R1]).await;

    // The analyser claims the sample, then dies while reading its file (a timeout, an abort).
    let (run, pause) = stopped_analysis(&world, &sample_id, PausePoint::OpenRead).await;
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    pause.resume();
    assert_eq!(
        sample_status(&world, &sample_id).await,
        Some(SampleStatus::Analyzing)
    );

    // A redelivery inside the live lease does nothing and says so: the queue retries it later.
    let claimed_at = world
        .table
        .get_sample(&sample_id)
        .await
        .unwrap()
        .unwrap()
        .updated_at;
    let redelivered = world.analyze.handle(&request(&sample_id)).await.unwrap();
    assert_eq!(
        redelivered,
        AnalysisOutcome::InProgress {
            sample_id: sample_id.clone(),
            until: claimed_at + Duration::minutes(15),
        }
    );
    // The sweeper leaves a live claim alone.
    let early = world.sweeper.sweep().await.unwrap();
    assert!(early.returned.is_empty(), "{early:?}");

    // Past the lease, the sweeper hands the claim back and requests the analysis again.
    let requests_before = analysis_requests(&world);
    world.clock.advance(Duration::minutes(15));
    let swept = world.sweeper.sweep().await.unwrap();
    assert_eq!(swept.returned, [format!("analysis:{sample_id}")]);
    assert_eq!(
        sample_status(&world, &sample_id).await,
        Some(SampleStatus::AnalysisRequested)
    );
    assert_eq!(world.view(ALICE, &ids[0]).await.status, Status::Valid);
    assert_eq!(analysis_requests(&world), requests_before + 1);

    let outcome = world.analyze.handle(&request(&sample_id)).await.unwrap();
    assert!(
        matches!(outcome, AnalysisOutcome::Analyzed { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        sample_status(&world, &sample_id).await,
        Some(SampleStatus::Analyzed)
    );
    assert_eq!(world.view(ALICE, &ids[0]).await.status, Status::Analyzed);
    assert_eq!(lease(&world, LeaseKind::Analysis, &sample_id).await, None);
    assert_eq!(world.sweeper.sweep().await.unwrap().returned.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_last_delivery_an_outage_fails_the_sample_with_its_reason() {
    let world = World::new();
    let (sample_id, ids) = validated(&world, &[R1]).await;

    world.blobs.fail_next_reads(1);
    let outcome = world
        .analyze
        .handle_attempt(&request(&sample_id), LAST)
        .await
        .unwrap();
    let AnalysisOutcome::Failed { error, .. } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(
        error
            .error
            .message
            .starts_with("the analysis could not finish"),
        "{}",
        error.error.message
    );
    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::Failed);
    assert_eq!(sample.error, Some(error.clone()));
    let dataset = world.view(ALICE, &ids[0]).await;
    assert_eq!(dataset.status, Status::Failed);
    assert_eq!(lease(&world, LeaseKind::Analysis, &sample_id).await, None);
}

#[tokio::test]
async fn the_sweeper_fails_an_analysis_claim_after_its_last_return() {
    let world = World::new();
    let (sample_id, ids) = validated(&world, &[R1]).await;
    let max = world.sweeper.settings.max_returns;
    for returned in 1..=max {
        claim_and_die(&world, &sample_id).await;
        world.clock.advance(Duration::minutes(16));
        let swept = world.sweeper.sweep().await.unwrap();
        assert_eq!(
            swept.returned,
            [format!("analysis:{sample_id}")],
            "{returned}"
        );
        let held = lease(&world, LeaseKind::Analysis, &sample_id)
            .await
            .unwrap();
        assert_eq!(held.returns, returned);
    }
    claim_and_die(&world, &sample_id).await;
    world.clock.advance(Duration::minutes(16));
    let swept = world.sweeper.sweep().await.unwrap();
    assert_eq!(swept.failed, [format!("analysis:{sample_id}")]);

    let sample = world.table.get_sample(&sample_id).await.unwrap().unwrap();
    assert_eq!(sample.status, SampleStatus::Failed);
    let reason = sample.error.unwrap().error.message;
    assert!(reason.contains("could not finish"), "{reason}");
    assert_eq!(world.view(ALICE, &ids[0]).await.status, Status::Failed);
    assert_eq!(lease(&world, LeaseKind::Analysis, &sample_id).await, None);
    assert_eq!(world.sweeper.sweep().await.unwrap().failed.len(), 0);
}

#[tokio::test]
async fn a_dead_validation_claim_is_returned_and_the_last_attempt_fails_the_dataset() {
    let world = World::new();
    let bytes = data("samples/tb-demo_R1.fastq.gz");
    let created = world.upload(ALICE, &[(R1, &bytes)]).await;
    let dataset_id = created.datasets[0].dataset_id.clone();
    let key = upload_key(ALICE, &dataset_id, R1);

    // A validator claimed the dataset and died.
    let now = world.clock.now();
    let until = now + Duration::minutes(16);
    let dead = Lease::new(LeaseKind::Validation, &dataset_id, until, now);
    world.table.put_lease(&dead).await.unwrap();
    world.force_status(&dataset_id, Status::Uploaded).await;

    // S3's retry of the event finds the live claim.
    let event = ObjectCreated {
        key: s3_event_key(&key),
    };
    let retried = world.validate.handle(&event).await.unwrap();
    assert!(
        matches!(retried, ObjectOutcome::InProgress { .. }),
        "{retried:?}"
    );

    // Past the lease the sweeper hands it back and queues the validation again.
    world.clock.advance(Duration::minutes(17));
    let swept = world.sweeper.sweep().await.unwrap();
    assert_eq!(swept.returned, [format!("validation:{dataset_id}")]);
    assert_eq!(world.view(ALICE, &dataset_id).await.status, Status::Pending);
    let Some(Message::ObjectStored(stored)) = world.queue.sent().last().cloned() else {
        panic!("no validation queued: {:?}", world.queue.sent());
    };
    assert_eq!(decode_event_key(&stored.key).unwrap(), key);

    // Its last attempt cannot read the object: failed, with the sample, not left `uploaded`.
    world.blobs.fail_next_reads(1);
    let last = world
        .validate
        .handle_attempt(&ObjectCreated { key: stored.key }, LAST)
        .await
        .unwrap();
    let ObjectOutcome::Failed { sample, .. } = last else {
        panic!("{last:?}");
    };
    assert!(matches!(sample, SampleProgress::Failed(_)), "{sample:?}");
    assert_eq!(world.view(ALICE, &dataset_id).await.status, Status::Failed);
    assert_eq!(
        sample_status(&world, &created.sample_id).await,
        Some(SampleStatus::Failed)
    );
    assert_eq!(
        lease(&world, LeaseKind::Validation, &dataset_id).await,
        None
    );
}

/// Every object key of the store.
async fn all_objects(world: &World) -> Vec<String> {
    world.blobs.list("").await.unwrap()
}

/// Waits for the stopped analysis of a deleted sample: it wrote nothing, and nothing of the
/// sample is left.
async fn ends_with_nothing_left(
    world: &World,
    run: JoinHandle<Result<AnalysisOutcome, Error>>,
    sample_id: &str,
) {
    let outcome = run.await.unwrap().unwrap();
    let sample_id = sample_id.to_owned();
    assert_eq!(
        outcome,
        AnalysisOutcome::Gone {
            sample_id: sample_id.clone()
        }
    );
    assert_eq!(all_objects(world).await, Vec::<String>::new());
    assert_eq!(world.table.get_sample(&sample_id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_during_the_analysis_stops_it_and_leaves_nothing() {
    let world = World::new();
    let (sample_id, ids) = validated(&world, &[R1, R2]).await;
    let (run, pause) = stopped_analysis(&world, &sample_id, PausePoint::OpenRead).await;
    let now = world.clock.now();
    for id in &ids {
        world.datasets.delete(ALICE, id, now).await.unwrap();
    }
    // An upload through a URL issued before the delete is removed, not quarantined.
    let late = upload_key(ALICE, &ids[0], R1);
    world.blobs.put(&late, b"late".to_vec()).await.unwrap();
    let discarded = world.object_created(ALICE, &ids[0], R1).await;
    assert!(
        matches!(discarded, ObjectOutcome::Discarded { .. }),
        "{discarded:?}"
    );
    pause.resume();

    ends_with_nothing_left(&world, run, &sample_id).await;
    for id in &ids {
        assert_eq!(world.table.get_dataset(id).await.unwrap(), None);
    }
    assert_eq!(lease(&world, LeaseKind::Analysis, &sample_id).await, None);

    // The deletions' leases remove what a crashed run might still write, then go.
    world
        .blobs
        .put(&format!("results/{}/report.json", ids[1]), b"{}".to_vec())
        .await
        .unwrap();
    world.clock.advance(Duration::hours(2));
    let swept = world.sweeper.sweep().await.unwrap();
    assert_eq!(swept.purged.len(), 2, "{swept:?}");
    assert_eq!(all_objects(&world).await, Vec::<String>::new());
    assert_eq!(
        world
            .table
            .expired_leases(world.clock.now() + Duration::days(30), 10)
            .await
            .unwrap(),
        []
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_written_while_a_delete_ran_are_removed() {
    let world = World::new();
    let (sample_id, ids) = validated(&world, &[R1]).await;

    // The delete lands after the pipeline's check, while the results are being written.
    let results = PausePoint::PutUnder("results/".to_owned());
    let (run, pause) = stopped_analysis(&world, &sample_id, results).await;
    world
        .datasets
        .delete(ALICE, &ids[0], world.clock.now())
        .await
        .unwrap();
    pause.resume();

    ends_with_nothing_left(&world, run, &sample_id).await;
    assert!(
        world
            .queue
            .sent()
            .iter()
            .all(|m| !matches!(m, Message::AnchorRequested(_))),
        "a deleted sample is not anchored"
    );
}
