//! Upload → object-created → validation → analysis request, on the in-memory adapters with the
//! repository's real read pair and invalid FASTQ files.

#![allow(clippy::unwrap_used)]

use genoflow_core::{
    Error,
    lifecycle::{SampleStatus, Status},
    model::Problem,
    ports::{
        AnalysisRequested, BlobError, BlobStore, Clock, CompletedPart, DatasetState, Message,
        Table, TableError,
    },
    usecases::{
        object_created::{ObjectCreated, ObjectOutcome, SampleProgress},
        upload::{UploadInstructions, UploadLimits, UploadRequest},
    },
};
use genoflow_testkit::{
    fixtures::{data, declare, s3_event_key},
    keys::{ALICE, BOB},
    world::World,
};
use time::Duration;

const R1: &str = "tb demo_R1.fastq.gz";
const R2: &str = "tb demo+R2.fastq.gz";

fn read_pair() -> (Vec<u8>, Vec<u8>) {
    (
        data("samples/tb-demo_R1.fastq.gz"),
        data("samples/tb-demo_R2.fastq.gz"),
    )
}

fn analysis_requested(sample_id: &str) -> Message {
    Message::from(AnalysisRequested {
        sample_id: sample_id.to_owned(),
    })
}

#[tokio::test]
async fn a_read_pair_is_validated_and_requested_for_analysis_once() {
    let world = World::new();
    let (r1, r2) = read_pair();
    let created = world.upload(ALICE, &[(R1, &r1), (R2, &r2)]).await;
    let (d1, d2) = (
        &created.datasets[0].dataset_id,
        &created.datasets[1].dataset_id,
    );
    assert_eq!(world.view(ALICE, d1).await.status, Status::Pending);

    let first = world.object_created(ALICE, d1, R1).await;
    assert_eq!(
        first,
        ObjectOutcome::Validated {
            dataset_id: d1.clone(),
            status: Status::Valid,
            error: None,
            sample: SampleProgress::Waiting,
        }
    );
    assert!(world.queue.sent().is_empty(), "R2 is not valid yet");

    let second = world.object_created(ALICE, d2, R2).await;
    assert!(matches!(
        second,
        ObjectOutcome::Validated {
            status: Status::Valid,
            sample: SampleProgress::AnalysisRequested,
            ..
        }
    ));
    assert_eq!(world.queue.sent(), [analysis_requested(&created.sample_id)]);

    let view = world.view(ALICE, d1).await;
    assert_eq!(view.status, Status::Valid);
    assert_eq!(view.format.as_deref(), Some("fastq"));
    assert_eq!(view.filename, R1);
    let validation = view.validation.unwrap();
    assert_eq!(validation["valid"], true);
    assert_eq!(validation["compression"], "gzip");
    assert_eq!(validation["records"], 7500);
    assert_eq!(validation["stats"]["reads"], 7500);
    assert_eq!(validation["bytes"], r1.len());
    assert_eq!(validation["sha256"], view.sha256.as_str());
    let sample = world
        .table
        .get_sample(&created.sample_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sample.status, SampleStatus::AnalysisRequested);
    assert_eq!(sample.dataset_ids, [d1.clone(), d2.clone()]);
}

#[tokio::test]
async fn duplicate_events_do_no_work_twice() {
    let world = World::new();
    let (r1, r2) = read_pair();
    let created = world.upload(ALICE, &[(R1, &r1), (R2, &r2)]).await;
    let (d1, d2) = (
        &created.datasets[0].dataset_id,
        &created.datasets[1].dataset_id,
    );

    // The same event delivered twice at once: one validates, the other finds it claimed.
    let (a, b) = tokio::join!(
        world.object_created(ALICE, d1, R1),
        world.object_created(ALICE, d1, R1)
    );
    let validated = [&a, &b]
        .iter()
        .filter(|o| matches!(o, ObjectOutcome::Validated { .. }))
        .count();
    assert_eq!(validated, 1, "{a:?} / {b:?}");
    let updated_at = world
        .table
        .get_dataset(d1)
        .await
        .unwrap()
        .unwrap()
        .updated_at;

    world.object_created(ALICE, d2, R2).await;
    for _ in 0..3 {
        for (id, name) in [(d1, R1), (d2, R2)] {
            let outcome = world.object_created(ALICE, id, name).await;
            assert!(
                matches!(
                    outcome,
                    ObjectOutcome::Duplicate {
                        status: Status::Valid,
                        sample: SampleProgress::AlreadyDecided,
                        ..
                    }
                ),
                "{outcome:?}"
            );
        }
    }
    assert_eq!(world.queue.sent(), [analysis_requested(&created.sample_id)]);
    assert_eq!(
        world
            .table
            .get_dataset(d1)
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        updated_at,
        "a duplicate rewrote the record"
    );
}

#[tokio::test]
async fn an_invalid_file_marks_its_dataset_invalid_and_fails_the_sample() {
    let world = World::new();
    let (r1, _) = read_pair();
    let broken = data("fastq/invalid/quality_shorter.fq");
    let created = world
        .upload(ALICE, &[("R1.fastq.gz", &r1), ("R2.fq", &broken)])
        .await;
    let (d1, d2) = (
        &created.datasets[0].dataset_id,
        &created.datasets[1].dataset_id,
    );

    let outcome = world.object_created(ALICE, d2, "R2.fq").await;
    let ObjectOutcome::Validated {
        status,
        error: Some(error),
        sample: SampleProgress::Failed(sample_error),
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(status, Status::Invalid);
    // tests/data/fastq/manifest.tsv: quality shorter than sequence, line 8 (record 2).
    assert_eq!((error.line, error.record), (Some(8), Some(2)));
    assert!(error.message.contains("quality"), "{}", error.message);
    assert_eq!(sample_error.dataset_id, *d2);
    assert_eq!(sample_error.filename, "R2.fq");
    assert_eq!(sample_error.error, error);

    let view = world.view(ALICE, d2).await;
    assert_eq!(view.status, Status::Invalid);
    assert_eq!(view.error, Some(error));
    assert_eq!(view.validation.unwrap()["valid"], false);

    // The valid mate validates but the sample stays failed and nothing is analysed.
    let mate = world.object_created(ALICE, d1, "R1.fastq.gz").await;
    assert!(matches!(
        mate,
        ObjectOutcome::Validated {
            status: Status::Valid,
            sample: SampleProgress::AlreadyDecided,
            ..
        }
    ));
    let sample = world
        .table
        .get_sample(&created.sample_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sample.status, SampleStatus::Failed);
    assert!(world.queue.sent().is_empty());
    // The valid mate's page says why nothing happens.
    let mate = world.view(ALICE, d1).await;
    assert_eq!(mate.status, Status::Valid);
    let summary = mate.sample.unwrap();
    assert_eq!(summary.status, SampleStatus::Failed);
    assert_eq!(summary.error.unwrap().filename, "R2.fq");
}

#[tokio::test]
async fn a_truncated_gzip_is_invalid_saying_how_far_it_got() {
    let world = World::new();
    let truncated = data("fastq/invalid/truncated.fq.gz");
    let created = world.upload(ALICE, &[("cut.fq.gz", &truncated)]).await;
    let outcome = world
        .object_created(ALICE, &created.datasets[0].dataset_id, "cut.fq.gz")
        .await;
    let ObjectOutcome::Validated {
        status: Status::Invalid,
        error: Some(error),
        sample: SampleProgress::Failed(_),
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    // The validator names the damage and how far it got (the second read).
    assert!(error.message.contains("truncated"), "{error:?}");
    assert_eq!(error.record, Some(2), "{error:?}");
}

#[tokio::test]
async fn objects_no_dataset_expects_are_quarantined_not_processed() {
    let world = World::new();
    let (r1, _) = read_pair();
    let created = world.upload(ALICE, &[(R1, &r1)]).await;
    let dataset_id = &created.datasets[0].dataset_id;

    let strays = [
        // No such dataset.
        format!("uploads/{ALICE}/00000000-0000-0000-0000-000000000000/x.fq"),
        // A real dataset, another owner's prefix.
        format!("uploads/{BOB}/{dataset_id}/{R1}"),
        // A real dataset, another file name.
        format!("uploads/{ALICE}/{dataset_id}/other.fq"),
        // Not the key shape.
        format!("uploads/{ALICE}/loose.fq"),
    ];
    for key in &strays {
        world
            .blobs
            .put(key, b"@r\nA\n+\nI\n".to_vec())
            .await
            .unwrap();
        let outcome = world
            .validate
            .handle(&ObjectCreated {
                key: s3_event_key(key),
            })
            .await
            .unwrap();
        let ObjectOutcome::Quarantined {
            key: decoded,
            quarantine_key,
            reason,
        } = outcome
        else {
            panic!("{key}: {outcome:?}");
        };
        assert_eq!(&decoded, key);
        assert_eq!(quarantine_key, format!("quarantine/{key}"));
        assert!(!reason.is_empty());
        assert!(world.blobs.object(key).is_none(), "{key} was left in place");
        assert!(world.blobs.object(&quarantine_key).is_some());
        // A duplicate event of a quarantined object changes nothing.
        let again = world
            .validate
            .handle(&ObjectCreated {
                key: s3_event_key(key),
            })
            .await
            .unwrap();
        assert!(matches!(again, ObjectOutcome::Quarantined { .. }));
    }
    assert_eq!(
        world.view(ALICE, dataset_id).await.status,
        Status::Pending,
        "the real dataset was touched"
    );

    // Outside uploads/ (results, quarantine itself) is not ours.
    let outcome = world
        .validate
        .handle(&ObjectCreated {
            key: "results/x/report.json".into(),
        })
        .await
        .unwrap();
    assert!(matches!(outcome, ObjectOutcome::Ignored { .. }));
    assert!(world.queue.sent().is_empty());
}

#[tokio::test]
async fn a_body_that_differs_from_the_declaration_is_refused_or_made_invalid() {
    let world = World::new();
    let (r1, r2) = read_pair();

    // Declared R1's hash, stored R2's bytes: the presigned PUT refuses, as S3 does.
    let created = world
        .uploads
        .create(
            ALICE,
            &UploadRequest {
                files: vec![declare("a.fastq.gz", &r1)],
                sample_name: None,
                specimen: None,
            },
        )
        .await
        .unwrap();
    let UploadInstructions::Single(put) = &created.datasets[0].upload else {
        panic!()
    };
    assert!(matches!(
        world
            .blobs
            .put_presigned(put, &put.headers, r2.clone(), world.clock.now()),
        Err(BlobError::Rejected { .. })
    ));
    // Bytes that arrive another way (a multipart upload has no whole-object checksum) are
    // checked by the validator: another SHA-256 makes the dataset invalid.
    let dataset_id = &created.datasets[0].dataset_id;
    let key = genoflow_core::keys::upload_key(ALICE, dataset_id, "a.fastq.gz");
    let mut same_size = r1.clone();
    let last = same_size.len() - 1;
    same_size[last] ^= 1;
    world.blobs.put(&key, same_size).await.unwrap();
    let outcome = world.object_created(ALICE, dataset_id, "a.fastq.gz").await;
    let ObjectOutcome::Validated {
        status: Status::Invalid,
        error: Some(error),
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert!(error.message.contains("SHA-256"), "{}", error.message);

    // A different size.
    let created = world
        .uploads
        .create(
            ALICE,
            &UploadRequest {
                files: vec![declare("b.fastq.gz", &r1)],
                sample_name: None,
                specimen: None,
            },
        )
        .await
        .unwrap();
    let dataset_id = &created.datasets[0].dataset_id;
    let key = genoflow_core::keys::upload_key(ALICE, dataset_id, "b.fastq.gz");
    world.blobs.put(&key, r2.clone()).await.unwrap();
    let outcome = world.object_created(ALICE, dataset_id, "b.fastq.gz").await;
    let ObjectOutcome::Validated {
        status: Status::Invalid,
        error: Some(error),
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(
        error,
        Problem {
            message: format!(
                "the stored object is {} bytes but the upload declared {}; upload the declared file again",
                r2.len(),
                r1.len()
            ),
            record: None,
            line: None,
            offset: Some(r1.len().min(r2.len()) as u64),
        }
    );
    assert!(world.queue.sent().is_empty());
}

#[tokio::test]
async fn a_large_file_goes_multipart_and_validates_after_completion() {
    let limits = UploadLimits {
        single_put_max: 100_000,
        min_part_size: 200_000,
        ..UploadLimits::default()
    };
    let world = World::with_limits(limits);
    let (r1, _) = read_pair();
    let created = world
        .uploads
        .create(
            ALICE,
            &UploadRequest {
                files: vec![declare("big.fastq.gz", &r1)],
                sample_name: None,
                specimen: None,
            },
        )
        .await
        .unwrap();
    let dataset_id = &created.datasets[0].dataset_id;
    let UploadInstructions::Multipart(multipart) = &created.datasets[0].upload else {
        panic!("expected multipart");
    };
    // 483,488 bytes in parts of 200,000.
    assert_eq!(multipart.part_size, 200_000);
    assert_eq!(multipart.parts.len(), 3);
    let json = serde_json::to_value(&created).unwrap();
    assert_eq!(json["datasets"][0]["upload"]["multipart"], true);

    let mut completed = Vec::new();
    for (part, chunk) in multipart
        .parts
        .iter()
        .zip(r1.chunks(multipart.part_size as usize))
    {
        let etag = world.blobs.put_part(&part.url, chunk.to_vec()).unwrap();
        completed.push(CompletedPart {
            number: part.number,
            etag,
        });
    }
    // Only the owner completes; a wrong ETag is refused by the store.
    assert!(matches!(
        world.uploads.complete(BOB, dataset_id, &completed).await,
        Err(Error::NotFound { .. })
    ));
    let mut wrong_etag = completed.clone();
    wrong_etag[2].etag = "\"0\"".into();
    assert!(matches!(
        world.uploads.complete(ALICE, dataset_id, &wrong_etag).await,
        Err(Error::Blob(BlobError::Rejected { .. }))
    ));
    assert!(matches!(
        world
            .uploads
            .complete(ALICE, dataset_id, &completed[..2])
            .await,
        Err(Error::Upload(_))
    ));
    world
        .uploads
        .complete(ALICE, dataset_id, &completed)
        .await
        .unwrap();
    assert_eq!(
        world
            .blobs
            .object(&genoflow_core::keys::upload_key(
                ALICE,
                dataset_id,
                "big.fastq.gz"
            ))
            .unwrap(),
        r1
    );

    let outcome = world
        .object_created(ALICE, dataset_id, "big.fastq.gz")
        .await;
    assert!(matches!(
        outcome,
        ObjectOutcome::Validated {
            status: Status::Valid,
            sample: SampleProgress::AnalysisRequested,
            ..
        }
    ));
    assert!(matches!(
        world.uploads.complete(ALICE, dataset_id, &completed).await,
        Err(Error::Conflict {
            code: "already_uploaded",
            ..
        })
    ));
}

#[tokio::test]
async fn a_queue_outage_hands_the_request_back_and_the_retry_sends_it_once() {
    let world = World::new();
    let (r1, _) = read_pair();
    let created = world.upload(ALICE, &[(R1, &r1)]).await;
    let dataset_id = &created.datasets[0].dataset_id;
    let key = s3_event_key(&genoflow_core::keys::upload_key(ALICE, dataset_id, R1));

    world.queue.refuse_next(1);
    let error = world
        .validate
        .handle(&ObjectCreated { key: key.clone() })
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error}");
    let sample = world
        .table
        .get_sample(&created.sample_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sample.status, SampleStatus::Waiting);
    assert!(world.queue.sent().is_empty());

    // The platform retries the event: the dataset is already valid, the sample step resumes.
    let retry = world
        .validate
        .handle(&ObjectCreated { key: key.clone() })
        .await
        .unwrap();
    assert!(matches!(
        retry,
        ObjectOutcome::Duplicate {
            status: Status::Valid,
            sample: SampleProgress::AnalysisRequested,
            ..
        }
    ));
    world.validate.handle(&ObjectCreated { key }).await.unwrap();
    assert_eq!(world.queue.sent(), [analysis_requested(&created.sample_id)]);
}

#[tokio::test]
async fn a_storage_outage_during_validation_releases_the_claim_for_the_retry() {
    let world = World::new();
    world.blobs.fail_next_reads(1);
    let (r1, _) = read_pair();
    let created = world.upload(ALICE, &[(R1, &r1)]).await;
    let dataset_id = &created.datasets[0].dataset_id;
    let key = s3_event_key(&genoflow_core::keys::upload_key(ALICE, dataset_id, R1));

    let error = world
        .validate
        .handle(&ObjectCreated { key: key.clone() })
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert_eq!(world.view(ALICE, dataset_id).await.status, Status::Pending);

    let retry = world.validate.handle(&ObjectCreated { key }).await.unwrap();
    assert!(
        matches!(
            retry,
            ObjectOutcome::Validated {
                status: Status::Valid,
                ..
            }
        ),
        "{retry:?}"
    );
    assert_eq!(world.queue.sent(), [analysis_requested(&created.sample_id)]);
}

#[tokio::test]
async fn a_pair_that_is_not_two_fastq_files_fails_the_sample() {
    let world = World::new();
    let (r1, _) = read_pair();
    let fasta = b">chr1\nACGT\n".to_vec();
    let created = world
        .upload(ALICE, &[("R1.fq.gz", &r1), ("R2.fa", &fasta)])
        .await;
    let (d1, d2) = (
        &created.datasets[0].dataset_id,
        &created.datasets[1].dataset_id,
    );
    world.object_created(ALICE, d1, "R1.fq.gz").await;
    let outcome = world.object_created(ALICE, d2, "R2.fa").await;
    let ObjectOutcome::Validated {
        status: Status::Valid,
        sample: SampleProgress::Failed(error),
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(error.filename, "R2.fa");
    assert!(
        error.error.message.contains("FASTQ read pair"),
        "{}",
        error.error.message
    );
    assert!(world.queue.sent().is_empty());
}

#[tokio::test]
async fn a_claim_left_by_a_dead_validator_is_taken_over_after_the_lease() {
    let world = World::new();
    let (r1, _) = read_pair();
    let created = world.upload(ALICE, &[(R1, &r1)]).await;
    let dataset_id = &created.datasets[0].dataset_id;

    // A validator claimed the dataset, then died (a Lambda timeout) before recording a result.
    let pending = world.table.get_dataset(dataset_id).await.unwrap().unwrap();
    let mut claimed = pending.clone();
    claimed.status = Status::Uploaded;
    claimed.revision += 1;
    world
        .table
        .update_dataset(&claimed, DatasetState::of(&pending))
        .await
        .unwrap();

    // Within the lease (15 minutes and the margin) a retried event leaves the claim alone and
    // says it is in progress.
    world.clock.advance(Duration::minutes(15));
    let early = world.object_created(ALICE, dataset_id, R1).await;
    assert!(
        matches!(early, ObjectOutcome::InProgress { .. }),
        "{early:?}"
    );

    // After it, the retry takes over and finishes.
    world.clock.advance(Duration::minutes(1));
    let late = world.object_created(ALICE, dataset_id, R1).await;
    assert!(
        matches!(
            late,
            ObjectOutcome::Validated {
                status: Status::Valid,
                sample: SampleProgress::AnalysisRequested,
                ..
            }
        ),
        "{late:?}"
    );
    assert_eq!(world.queue.sent(), [analysis_requested(&created.sample_id)]);

    // Had the first validator been alive after all, its late write would be refused.
    let mut late_result = claimed.clone();
    late_result.status = Status::Invalid;
    late_result.revision += 1;
    assert!(matches!(
        world
            .table
            .update_dataset(&late_result, DatasetState::of(&claimed))
            .await,
        Err(TableError::ConditionFailed { .. })
    ));
    assert_eq!(world.view(ALICE, dataset_id).await.status, Status::Valid);
}

/// `POST /uploads` for `owner` of files of these names and sizes, whose bytes are never sent.
async fn request(
    world: &World,
    owner: &str,
    files: &[(&str, u64)],
) -> Result<genoflow_core::usecases::upload::UploadResponse, Error> {
    let files = files
        .iter()
        .map(
            |&(filename, size)| genoflow_core::usecases::upload::FileDeclaration {
                filename: filename.into(),
                size,
                sha256: "ab".repeat(32),
                format: None,
            },
        )
        .collect();
    let request = UploadRequest {
        files,
        sample_name: None,
        specimen: None,
    };
    world.uploads.create(owner, &request).await
}

#[tokio::test]
async fn quotas_refuse_past_the_bytes_stored_with_413_and_past_the_uploads_in_flight_with_429() {
    let limits = UploadLimits {
        max_bytes_per_user: 1_000,
        max_uploads_in_flight: 3,
        max_sample_size: 600,
        ..UploadLimits::default()
    };
    let world = World::with_limits(limits.clone());
    let refused = |result: Result<_, Error>| {
        let error = result.unwrap_err();
        (
            error.http_status(),
            error.code(),
            error.body()["error"]["message"].to_string(),
        )
    };
    // A sample above its limit: refused whatever the quota.
    let (status, code, message) =
        refused(request(&world, ALICE, &[("a.fq", 400), ("b.fq", 201)]).await);
    assert_eq!((status, code), (400, "bad_upload_request"));
    assert!(
        message.contains("above the 600-byte limit of one sample"),
        "{message}"
    );

    request(&world, ALICE, &[("a.fq", 300), ("b.fq", 300)])
        .await
        .unwrap();
    // Two in flight: two more would be four.
    let (status, code, _) = refused(request(&world, ALICE, &[("c.fq", 10), ("d.fq", 10)]).await);
    assert_eq!((status, code), (429, "too_many_uploads"));
    // 600 stored (declared, in flight): 500 more would pass 1,000.
    let (status, code, message) = refused(request(&world, ALICE, &[("c.fq", 500)]).await);
    assert_eq!((status, code), (413, "quota_exceeded"));
    assert!(message.contains("1000-byte quota"), "{message}");
    // Another user is not counted against Alice; Alice may fill her quota exactly.
    request(&world, BOB, &[("c.fq", 500)]).await.unwrap();
    request(&world, ALICE, &[("c.fq", 400)]).await.unwrap();

    // Uploads whose URLs expired can no longer arrive: they count neither way.
    world
        .clock
        .advance(limits.put_url_ttl + Duration::seconds(1));
    request(&world, ALICE, &[("e.fq", 500), ("f.fq", 100)])
        .await
        .unwrap();
}

#[tokio::test]
async fn the_part_urls_of_the_largest_sample_fit_one_lambda_response() {
    // Every limit at its widest: the file size is then bound by the plan itself.
    let limits = UploadLimits {
        max_file_size: u64::MAX,
        max_sample_size: u64::MAX,
        max_bytes_per_user: u64::MAX,
        ..UploadLimits::default()
    };
    let largest = genoflow_core::usecases::upload::MAX_PLANNED_FILE;
    let world = World::with_limits(limits);
    let error = request(&world, ALICE, &[("a.fq", largest + 1)])
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), 400, "{error}");
    let created = request(&world, ALICE, &[("a.fq", largest), ("b.fq", largest)])
        .await
        .unwrap();
    let json = serde_json::to_string(&created).unwrap();
    // The memory store's URLs are short; an S3 part URL is at most about 3,100 bytes of JSON
    // (a 63-byte bucket, a 255-byte file name percent-encoded, the upload id, the Lambda role's
    // session token, the signature): the answer as S3 would make it.
    let mut urls = (0usize, 0usize);
    for dataset in &created.datasets {
        let UploadInstructions::Multipart(plan) = &dataset.upload else {
            panic!("expected multipart");
        };
        assert!(plan.parts.len() as u64 <= genoflow_core::usecases::upload::MAX_PARTS_PER_FILE);
        assert!(plan.part_size <= genoflow_core::usecases::upload::S3_MAX_PART);
        urls.0 += plan.parts.len();
        urls.1 += plan.parts.iter().map(|part| part.url.len()).sum::<usize>();
    }
    let as_s3 = json.len() - urls.1 + urls.0 * 3_100;
    println!(
        "two files of {largest} bytes: {} part URLs, about {as_s3} bytes with S3's URLs",
        urls.0
    );
    assert!(as_s3 < 6_291_456 / 2 + 100_000, "{as_s3} bytes");
}
