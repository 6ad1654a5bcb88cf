//! `POST /uploads` shapes and limits, and the dataset routes' owner checks.

#![allow(clippy::unwrap_used)]

use base64::{Engine, engine::general_purpose::STANDARD};
use genoflow_core::{
    Error,
    error::UploadRejection,
    keys::FilenameError,
    lifecycle::Status,
    ports::{BlobError, BlobStore, Clock},
    usecases::upload::{FileDeclaration, UploadInstructions, UploadRequest},
};
use genoflow_testkit::{
    fixtures::{data, declare},
    keys::{ALICE, BOB},
    world::World,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::Duration;

#[tokio::test]
async fn the_upload_response_has_the_documented_shape() {
    let world = World::new();
    let r1 = data("samples/tb-demo_R1.fastq.gz");
    let body = json!({"filename": "R1.fastq.gz", "size": r1.len(), "sha256": hex::encode(Sha256::digest(&r1)), "format": "FASTQ"});
    let request = UploadRequest::from_json(body.to_string().as_bytes()).unwrap();
    let response = world.uploads.create(ALICE, &request).await.unwrap();
    let json = serde_json::to_value(&response).unwrap();

    let dataset_id = json["datasets"][0]["dataset_id"].as_str().unwrap();
    assert_eq!(json["sample_id"].as_str().unwrap(), response.sample_id);
    let upload = &json["datasets"][0]["upload"];
    assert_eq!(upload["method"], "PUT");
    assert!(
        upload["url"]
            .as_str()
            .unwrap()
            .contains(&format!("uploads/{ALICE}/{dataset_id}/R1.fastq.gz"))
    );
    assert_eq!(
        upload["headers"],
        json!({
            "content-length": r1.len().to_string(),
            "x-amz-checksum-sha256": STANDARD.encode(Sha256::digest(&r1)),
        })
    );
    assert_eq!(upload["expires"], genoflow_testkit::keys::START + 3600);
    let view = world.view(ALICE, dataset_id).await;
    assert_eq!(
        view.format.as_deref(),
        Some("fastq"),
        "the declared format, normalised"
    );
    assert_eq!(view.status, Status::Pending);

    // The URL works only with exactly those headers and only until it expires.
    let UploadInstructions::Single(put) = &response.datasets[0].upload else {
        panic!("expected a single PUT");
    };
    let mut other_headers = put.headers.clone();
    other_headers.remove("x-amz-checksum-sha256");
    let now = world.clock.now();
    assert!(
        world
            .blobs
            .put_presigned(put, &other_headers, r1.clone(), now)
            .is_err()
    );
    world.clock.advance(Duration::hours(1));
    assert!(matches!(
        world
            .blobs
            .put_presigned(put, &put.headers, r1.clone(), world.clock.now()),
        Err(BlobError::Rejected { .. })
    ));
    assert!(
        world
            .blobs
            .object(&format!("uploads/{ALICE}/{dataset_id}/R1.fastq.gz"))
            .is_none()
    );
}

async fn refuse(world: &World, files: Vec<FileDeclaration>) -> UploadRejection {
    let request = UploadRequest {
        files,
        sample_name: None,
        specimen: None,
    };
    match world.uploads.create(ALICE, &request).await {
        Err(Error::Upload(rejection)) => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn upload_requests_outside_the_limits_are_refused() {
    let world = World::new();
    let file = |name: &str| declare(name, b"@r\nA\n+\nI\n");
    assert_eq!(refuse(&world, vec![]).await, UploadRejection::FileCount(0));
    assert_eq!(
        refuse(&world, vec![file("a"), file("b"), file("c")]).await,
        UploadRejection::FileCount(3)
    );
    assert!(matches!(
        refuse(&world, vec![file("../../etc/passwd")]).await,
        UploadRejection::Filename(FilenameError::Character { character: '/', .. })
    ));
    assert_eq!(
        refuse(&world, vec![file("same.fq"), file("same.fq")]).await,
        UploadRejection::DuplicateFilename("same.fq".into())
    );
    let mut empty = file("e.fq");
    empty.size = 0;
    assert!(matches!(
        refuse(&world, vec![empty]).await,
        UploadRejection::Size { size: 0, .. }
    ));
    let mut huge = file("h.fq");
    huge.size = 6 << 40;
    assert!(matches!(
        refuse(&world, vec![huge]).await,
        UploadRejection::Size { .. }
    ));
    let mut bad_hash = file("x.fq");
    bad_hash.sha256 = "abc".into();
    assert!(matches!(
        refuse(&world, vec![bad_hash]).await,
        UploadRejection::Sha256 { .. }
    ));
    let mut bed = file("x.bed");
    bed.format = Some("bed".into());
    assert!(matches!(
        refuse(&world, vec![bed]).await,
        UploadRejection::Format { .. }
    ));
    let mut bam = file("R2.bam");
    bam.format = Some("bam".into());
    assert!(matches!(
        refuse(&world, vec![file("R1.fq"), bam]).await,
        UploadRejection::Format { .. }
    ));
    assert!(matches!(
        UploadRequest::from_json(br#"{"files": [], "extra": 1}"#),
        Err(UploadRejection::Body(_))
    ));
    // Nothing was recorded for refused requests.
    assert!(
        world
            .datasets
            .list(ALICE, 100, None)
            .await
            .unwrap()
            .datasets
            .is_empty()
    );
}

#[tokio::test]
async fn someone_elses_dataset_cannot_be_read_or_deleted() {
    let world = World::new();
    let fastq = b"@r1\nACGT\n+\nIIII\n";
    let created = world.upload(ALICE, &[("mine.fq", fastq)]).await;
    let dataset_id = &created.datasets[0].dataset_id;
    let key = genoflow_core::keys::upload_key(ALICE, dataset_id, "mine.fq");

    for result in [
        world.datasets.get(BOB, dataset_id).await.map(|_| ()),
        world
            .datasets
            .delete(BOB, dataset_id, world.clock.now())
            .await
            .map(|_| ()),
    ] {
        let error = result.unwrap_err();
        assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
        assert_eq!(error.http_status(), 404);
    }
    // Indistinguishable from an id that does not exist.
    let missing = world.datasets.get(BOB, "no-such-id").await.unwrap_err();
    let foreign = world.datasets.get(BOB, dataset_id).await.unwrap_err();
    assert_eq!(missing.code(), foreign.code());
    assert!(
        world.blobs.object(&key).is_some(),
        "Bob's delete removed Alice's object"
    );
    assert!(
        world
            .datasets
            .list(BOB, 10, None)
            .await
            .unwrap()
            .datasets
            .is_empty()
    );
    assert_eq!(world.view(ALICE, dataset_id).await.owner, ALICE);
}

#[tokio::test]
async fn the_owner_deletes_the_objects_and_the_record() {
    let world = World::new();
    let fastq = b"@r1\nACGT\n+\nIIII\n";
    let created = world.upload(ALICE, &[("mine.fq", fastq)]).await;
    let dataset_id = &created.datasets[0].dataset_id;
    let key = genoflow_core::keys::upload_key(ALICE, dataset_id, "mine.fq");
    let report = format!("results/{dataset_id}/report.json");
    world.blobs.put(&report, b"{}".to_vec()).await.unwrap();
    world
        .blobs
        .put("results/other/report.json", b"{}".to_vec())
        .await
        .unwrap();

    let deleted = world
        .datasets
        .delete(ALICE, dataset_id, world.clock.now())
        .await
        .unwrap();
    assert_eq!(deleted.removed, [key.clone(), report.clone()]);
    assert!(world.blobs.object(&key).is_none());
    assert!(world.blobs.object(&report).is_none());
    assert!(world.blobs.object("results/other/report.json").is_some());
    assert!(matches!(
        world.datasets.get(ALICE, dataset_id).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn an_owner_lists_only_their_datasets_newest_first_in_pages() {
    let world = World::new();
    let fastq = b"@r1\nACGT\n+\nIIII\n";
    let mut expected = Vec::new();
    for index in 0..5 {
        let name = format!("f{index}.fq");
        let created = world.upload(ALICE, &[(&name, fastq)]).await;
        expected.push(created.datasets[0].dataset_id.clone());
        world.upload(BOB, &[(&name, fastq)]).await;
        world.clock.advance(Duration::seconds(1));
    }
    expected.reverse();

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = world
            .datasets
            .list(ALICE, 2, cursor.as_deref())
            .await
            .unwrap();
        assert!(page.datasets.len() <= 2);
        assert!(page.datasets.iter().all(|d| d.owner == ALICE));
        seen.extend(page.datasets.into_iter().map(|d| d.dataset_id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}
