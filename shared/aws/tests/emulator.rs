//! Every port operation against a real S3 / DynamoDB / SQS API: moto's server, which
//! `tests/run-all.sh` starts and points `AWS_ENDPOINT_URL` at. Each test creates its own bucket,
//! table and queues (random prefix), so they run in parallel.
//!
//! Run by hand: `moto_server -H 127.0.0.1 -p 5000 &`, then
//! `AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
//! AWS_REGION=us-east-1 cargo test -p genoflow-aws -- --include-ignored`.

#![allow(clippy::unwrap_used)]

use std::{collections::BTreeMap, io::Read, path::PathBuf, sync::Arc};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use aws_sdk_sqs::types::QueueAttributeName;
use base64::{Engine, engine::general_purpose::STANDARD};
use genoflow_aws::{
    DynamoTable, S3BlobStore, SqsQueue,
    config::{self, Resources},
    dynamodb::{OWNER_INDEX, TTL_ATTRIBUTE},
    setup::{ResourceNames, create_resources},
};
use genoflow_core::{
    lifecycle::{SampleStatus, Status},
    memory::MemoryTable,
    model::{
        AnalysisRecord, AnchorRef, Batch, BatchItem, ChainTransaction, Dataset, LoginNonce,
        OracleValue, Problem, Sample, SubmissionStatus, UploadKind,
    },
    ports::{
        AnalysisRequested, AnchorRequested, BlobError, BlobStore, CompletedPart, DatasetState,
        Message, NonceClaim, ObjectIntegrity, Queue, QueueName, SystemClock, Table, TableError,
    },
    usecases::{
        object_created::{
            DEFAULT_VALIDATION_LEASE, ObjectCreated, ObjectOutcome, SampleProgress, ValidateObjects,
        },
        upload::{
            CompleteRequest, FileDeclaration, UploadInstructions, UploadLimits, UploadRequest,
            Uploads,
        },
    },
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

const EMULATOR: &str =
    "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)";
const ALICE: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
const BOB: &str = "ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG";
const MIB: usize = 1024 * 1024;

struct Emulator {
    sdk: SdkConfig,
    resources: Resources,
    blobs: S3BlobStore,
    table: DynamoTable,
    queue: SqsQueue,
}

async fn emulator() -> Emulator {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "{EMULATOR}: AWS_ENDPOINT_URL is not set"
    );
    let sdk = config::load().await;
    let prefix = format!("gf-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let resources = create_resources(&sdk, &ResourceNames::with_prefix(&prefix))
        .await
        .unwrap();
    Emulator {
        blobs: S3BlobStore::new(&sdk, &resources.bucket),
        table: DynamoTable::new(&sdk, &resources.table),
        queue: SqsQueue::new(
            &sdk,
            &resources.analysis_queue_url,
            &resources.anchor_queue_url,
        ),
        sdk,
        resources,
    }
}

fn sample_file(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/samples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn integrity(bytes: &[u8]) -> ObjectIntegrity {
    ObjectIntegrity {
        size: bytes.len() as u64,
        sha256: Sha256::digest(bytes).into(),
    }
}

/// Bytes that differ at every position, so misplaced ranges show.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

async fn read_all(reader: Box<dyn Read + Send>) -> std::io::Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || {
        let mut reader = reader;
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map(|_| bytes)
    })
    .await
    .unwrap()
}

/// A PUT as a browser sends it: exactly `headers` (reqwest sets `content-length` from the body).
async fn http_put(
    url: &str,
    headers: &BTreeMap<String, String>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new().put(url).body(body);
    for (name, value) in headers {
        if name != "content-length" {
            request = request.header(name, value);
        }
    }
    request.send().await.unwrap()
}

/// `X-Amz-Date` (`20270115T080000Z`) as a time.
fn amz_date(text: &str) -> OffsetDateTime {
    let number = |range: std::ops::Range<usize>| text[range].parse::<u8>().unwrap();
    let year: i32 = text[..4].parse().unwrap();
    let month = time::Month::try_from(number(4..6)).unwrap();
    time::Date::from_calendar_date(year, month, number(6..8))
        .unwrap()
        .with_hms(number(9..11), number(11..13), number(13..15))
        .unwrap()
        .assume_utc()
}

fn query_parameter(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.replace("%3B", ";").replace("%3b", ";"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn objects_are_written_read_by_range_copied_listed_and_deleted() {
    let aws = emulator().await;
    let blobs = &aws.blobs;
    let key = "uploads/SP1/d1/tb demo+R1.fq";
    let bytes = pattern(1000);
    blobs.put(key, bytes.clone()).await.unwrap();

    assert_eq!(blobs.read_range(key, 0..3).await.unwrap(), bytes[..3]);
    assert_eq!(
        blobs.read_range(key, 990..5000).await.unwrap(),
        bytes[990..]
    );
    assert_eq!(blobs.read_range(key, 10..10).await.unwrap(), b"");
    #[allow(clippy::reversed_empty_ranges)] // a backwards range is one of the refused cases
    for outside in [1000..1001, 1000..1000, 5..4] {
        assert!(
            matches!(
                blobs.read_range(key, outside.clone()).await,
                Err(BlobError::Rejected { .. })
            ),
            "{outside:?}"
        );
    }
    let missing = "uploads/SP1/d1/missing.fq";
    assert!(matches!(
        blobs.read_range(missing, 0..1).await,
        Err(BlobError::NotFound { .. })
    ));
    assert!(matches!(
        blobs.open_read(missing).await,
        Err(BlobError::NotFound { .. })
    ));
    assert!(matches!(
        blobs.copy(missing, "x").await,
        Err(BlobError::NotFound { .. })
    ));

    let quarantined = format!("quarantine/{key}");
    blobs.copy(key, &quarantined).await.unwrap();
    blobs.delete(key).await.unwrap();
    blobs.delete(key).await.unwrap(); // deleting a missing object succeeds
    assert!(matches!(
        blobs.read_range(key, 0..1).await,
        Err(BlobError::NotFound { .. })
    ));
    assert_eq!(
        read_all(blobs.open_read(&quarantined).await.unwrap())
            .await
            .unwrap(),
        bytes
    );

    for extra in [
        "results/d1/report.json",
        "results/d1/variants.vcf",
        "results/d10/report.json",
    ] {
        blobs.put(extra, b"{}".to_vec()).await.unwrap();
    }
    assert_eq!(
        blobs.list("results/d1/").await.unwrap(),
        ["results/d1/report.json", "results/d1/variants.vcf"]
    );
    assert_eq!(blobs.list("quarantine/").await.unwrap(), [quarantined]);
    assert!(blobs.list("nothing/").await.unwrap().is_empty());

    let elsewhere = S3BlobStore::new(&aws.sdk, "gf-no-such-bucket-here");
    let error = elsewhere.put("k", b"x".to_vec()).await.unwrap_err();
    assert!(error.to_string().contains("GENOFLOW_BUCKET"), "{error}");
    // One line with the service's code and status, no raw response dump.
    assert!(
        error.to_string().contains("NoSuchBucket (HTTP 404)"),
        "{error}"
    );
    assert!(!error.to_string().contains("Response {"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn streamed_reads_come_in_order_from_parallel_ranged_gets() {
    let aws = emulator().await;
    let r1 = sample_file("tb-demo_R1.fastq.gz");
    let key = "uploads/SP1/d1/r1.fastq.gz";
    aws.blobs.put(key, r1.clone()).await.unwrap();
    // 483 488 bytes in 16 KiB ranges, 5 in flight: 30 GETs, the last one short.
    let store = aws.blobs.clone().with_read_chunking(16 * 1024, 5);
    assert_eq!(
        read_all(store.open_read(key).await.unwrap()).await.unwrap(),
        r1
    );
    // One range for the whole object, and an empty object.
    let whole = aws.blobs.clone().with_read_chunking(10 * MIB as u64, 1);
    assert_eq!(
        read_all(whole.open_read(key).await.unwrap()).await.unwrap(),
        r1
    );
    aws.blobs.put("empty", Vec::new()).await.unwrap();
    assert!(
        read_all(store.open_read("empty").await.unwrap())
            .await
            .unwrap()
            .is_empty()
    );

    // The validator reads straight from the stream.
    let report = tokio::task::spawn_blocking({
        let reader = store.open_read(key).await.unwrap();
        move || genoflow_genomics::validate(reader, &genoflow_genomics::Options::default())
    })
    .await
    .unwrap()
    .unwrap();
    assert!(report.valid);
    assert_eq!(report.records, 7500);
    assert_eq!(report.sha256, hex::encode(Sha256::digest(&r1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn an_object_replaced_mid_read_fails_the_reader_instead_of_mixing_versions() {
    let aws = emulator().await;
    let key = "uploads/SP1/d1/r.fq";
    let first = pattern(64 * 1024);
    aws.blobs.put(key, first.clone()).await.unwrap();
    let store = aws.blobs.clone().with_read_chunking(1024, 1);
    let mut reader = store.open_read(key).await.unwrap();
    let (mut reader, head) = tokio::task::spawn_blocking(move || {
        let mut head = vec![0; 1024];
        reader.read_exact(&mut head).unwrap();
        (reader, head)
    })
    .await
    .unwrap();
    assert_eq!(head, first[..1024]);
    aws.blobs.put(key, pattern(64 * 1024 + 1)).await.unwrap();
    let rest = tokio::task::spawn_blocking(move || {
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).map(|_| rest)
    })
    .await
    .unwrap();
    let error = rest.unwrap_err();
    assert!(
        error.to_string().contains("changed while it was read"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn large_objects_are_copied_part_by_part() {
    let aws = emulator().await;
    let bytes = pattern(11 * MIB);
    aws.blobs.put("uploads/big", bytes.clone()).await.unwrap();
    let store = aws
        .blobs
        .clone()
        .with_copy_limits(5 * MIB as u64, 5 * MIB as u64);
    store
        .copy("uploads/big", "quarantine/uploads/big")
        .await
        .unwrap();
    let copied = read_all(store.open_read("quarantine/uploads/big").await.unwrap())
        .await
        .unwrap();
    assert_eq!(copied.len(), bytes.len());
    assert!(copied == bytes, "the part-by-part copy differs");
    // No multipart upload is left behind.
    let uploads = aws
        .blobs
        .client()
        .list_multipart_uploads()
        .bucket(&aws.resources.bucket)
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn a_presigned_put_binds_length_and_checksum_into_the_signature() {
    let aws = emulator().await;
    let r1 = sample_file("tb-demo_R1.fastq.gz");
    let key = "uploads/SP1/d1/tb demo_R1.fastq.gz";
    let expires = OffsetDateTime::now_utc() + time::Duration::minutes(10);
    let bound = integrity(&r1);
    let put = aws.blobs.presign_put(key, bound, expires).await.unwrap();

    assert_eq!(put.method, "PUT");
    assert_eq!(put.expires, expires.unix_timestamp());
    assert_eq!(
        put.headers,
        bound.put_headers(),
        "the client sends exactly these"
    );
    assert_eq!(
        put.headers["x-amz-checksum-sha256"],
        STANDARD.encode(Sha256::digest(&r1))
    );
    // SigV4 query signing: both headers are signed, so S3 refuses any other length or hash.
    assert_eq!(
        query_parameter(&put.url, "X-Amz-SignedHeaders").as_deref(),
        Some("content-length;host;x-amz-checksum-sha256"),
        "{}",
        put.url
    );
    let signed_at = query_parameter(&put.url, "X-Amz-Date").unwrap();
    let lifetime: i64 = query_parameter(&put.url, "X-Amz-Expires")
        .unwrap()
        .parse()
        .unwrap();
    let signed_at = amz_date(&signed_at);
    assert_eq!(signed_at.unix_timestamp() + lifetime, put.expires);
    assert!(put.url.contains("X-Amz-Signature="));
    assert!(put.url.contains(&format!(
        "/{}/uploads/SP1/d1/tb%20demo_R1.fastq.gz?",
        aws.resources.bucket
    )));

    // The browser's PUT lands the object.
    let response = http_put(&put.url, &put.headers, r1.clone()).await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        aws.blobs.read_range(key, 0..r1.len() as u64).await.unwrap(),
        r1
    );

    // A presigned GET downloads it (the report route's links) until the requested second.
    let download = aws.blobs.presign_get(key, expires).await.unwrap();
    assert_eq!(
        query_parameter(&download, "X-Amz-Expires").map(|s| s.parse::<i64>().unwrap()),
        Some(
            expires.unix_timestamp()
                - amz_date(&query_parameter(&download, "X-Amz-Date").unwrap()).unix_timestamp()
        )
    );
    let got = reqwest::get(&download).await.unwrap();
    assert!(got.status().is_success(), "{}", got.status());
    assert_eq!(got.bytes().await.unwrap().as_ref(), r1.as_slice());

    for bad_expiry in [
        OffsetDateTime::now_utc() - time::Duration::SECOND,
        OffsetDateTime::now_utc() + time::Duration::days(8),
    ] {
        assert!(matches!(
            aws.blobs.presign_put(key, bound, bad_expiry).await,
            Err(BlobError::Rejected { .. })
        ));
        assert!(matches!(
            aws.blobs.presign_get(key, bad_expiry).await,
            Err(BlobError::Rejected { .. })
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn multipart_uploads_assemble_parts_put_to_their_urls() {
    let aws = emulator().await;
    let key = "uploads/SP1/d2/big.fq";
    let bytes = pattern(10 * MIB + 1000);
    let expires = OffsetDateTime::now_utc() + time::Duration::hours(1);
    let upload = aws.blobs.start_multipart(key, 3, expires).await.unwrap();
    assert_eq!(
        upload.parts.iter().map(|p| p.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let mut completed = Vec::new();
    for (part, chunk) in upload.parts.iter().zip(bytes.chunks(5 * MIB)) {
        assert_eq!(
            query_parameter(&part.url, "partNumber"),
            Some(part.number.to_string())
        );
        let response = http_put(&part.url, &BTreeMap::new(), chunk.to_vec()).await;
        assert!(response.status().is_success(), "{}", response.status());
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        completed.push(CompletedPart {
            number: part.number,
            etag,
        });
    }

    // (Real S3 also refuses parts out of order; moto 5.2 does not check the order, and core's
    // `Uploads::complete` refuses such a list before it reaches the store.)
    let mut wrong_etag = completed.clone();
    wrong_etag[2].etag = "\"00000000000000000000000000000000\"".into();
    let mut unknown_part = completed.clone();
    unknown_part.push(CompletedPart {
        number: 4,
        etag: completed[2].etag.clone(),
    });
    for parts in [wrong_etag, unknown_part] {
        assert!(matches!(
            aws.blobs
                .complete_multipart(key, &upload.upload_id, &parts)
                .await,
            Err(BlobError::Rejected { .. })
        ));
    }
    aws.blobs
        .complete_multipart(key, &upload.upload_id, &completed)
        .await
        .unwrap();
    assert!(
        read_all(aws.blobs.open_read(key).await.unwrap())
            .await
            .unwrap()
            == bytes
    );
    // A retried completion (the client's response was lost) changes nothing: S3 answers it
    // as done, or as an upload no longer in progress.
    let retried = aws
        .blobs
        .complete_multipart(key, &upload.upload_id, &completed)
        .await;
    assert!(
        matches!(retried, Ok(()) | Err(BlobError::Rejected { .. })),
        "{retried:?}"
    );
    assert!(
        read_all(aws.blobs.open_read(key).await.unwrap())
            .await
            .unwrap()
            == bytes
    );

    let abandoned = aws
        .blobs
        .start_multipart("uploads/SP1/d3/x.fq", 1, expires)
        .await
        .unwrap();
    aws.blobs
        .abort_multipart("uploads/SP1/d3/x.fq", &abandoned.upload_id)
        .await
        .unwrap();
    aws.blobs
        .abort_multipart("uploads/SP1/d3/x.fq", &abandoned.upload_id)
        .await
        .unwrap();
    for impossible in [0, 10_001] {
        let refused = aws
            .blobs
            .start_multipart("uploads/SP1/d4/y.fq", impossible, expires)
            .await;
        assert!(
            matches!(refused, Err(BlobError::Rejected { .. })),
            "{refused:?}"
        );
    }
    // (moto answers 500 to completing an aborted upload; S3 answers NoSuchUpload.)
    let in_progress = aws
        .blobs
        .client()
        .list_multipart_uploads()
        .bucket(&aws.resources.bucket)
        .send()
        .await
        .unwrap();
    assert!(
        in_progress.uploads().is_empty(),
        "{:?}",
        in_progress.uploads()
    );
}

fn dataset(id: &str, owner: &str, created_at: i64) -> Dataset {
    let at = OffsetDateTime::from_unix_timestamp(created_at).unwrap();
    Dataset {
        dataset_id: id.to_owned(),
        sample_id: format!("sample-{id}"),
        owner: owner.to_owned(),
        filename: "r 1+x.fq.gz".to_owned(),
        key: format!("uploads/{owner}/{id}/r 1+x.fq.gz"),
        size: 6 << 30,
        sha256: "ab".repeat(32),
        format: None,
        status: Status::Pending,
        validation: None,
        error: None,
        upload: UploadKind::Multipart {
            upload_id: "u-1".to_owned(),
            part_size: 64 << 20,
            part_count: 96,
        },
        revision: 0,
        created_at: at,
        updated_at: at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn dataset_writes_are_conditional_and_reads_return_what_was_written() {
    let aws = emulator().await;
    let table = &aws.table;
    let mut stored = dataset("d1", ALICE, 1_800_000_000);
    table.create_dataset(&stored).await.unwrap();
    assert!(matches!(
        table.create_dataset(&stored).await,
        Err(TableError::ConditionFailed { .. })
    ));
    assert_eq!(table.get_dataset("d1").await.unwrap(), Some(stored.clone()));
    assert_eq!(table.get_dataset("d2").await.unwrap(), None);

    // A validated record, with nested JSON, floats and nulls, reads back equal.
    let read = DatasetState::of(&stored);
    let mut valid = stored.clone();
    valid.status = Status::Uploaded;
    valid.revision = 1;
    valid.validation = Some(serde_json::json!({
        "valid": false, "records": 7500, "stats": {"mean_quality": 35.25, "gc": 0.4321, "lengths": [150, 151]},
        "error": null, "warnings": [],
    }));
    valid.error = Some(Problem {
        message: "quality line shorter".into(),
        record: Some(2),
        line: Some(8),
        offset: None,
    });
    valid.format = Some("fastq".into());
    table.update_dataset(&valid, read).await.unwrap();
    assert_eq!(table.get_dataset("d1").await.unwrap(), Some(valid.clone()));

    // The same read state again (a second handler): refused, whatever the status.
    let mut late = stored.clone();
    late.revision = 1;
    late.status = Status::Uploaded;
    assert!(matches!(
        table.update_dataset(&late, read).await,
        Err(TableError::ConditionFailed { .. })
    ));
    // Right status, stale revision; right revision, wrong status.
    for expected in [
        DatasetState {
            status: Status::Uploaded,
            revision: 0,
        },
        DatasetState {
            status: Status::Pending,
            revision: 1,
        },
    ] {
        assert!(matches!(
            table.update_dataset(&late, expected).await,
            Err(TableError::ConditionFailed { .. })
        ));
    }
    stored = table.get_dataset("d1").await.unwrap().unwrap();
    assert_eq!(stored, valid, "a refused write changed the record");

    // A missing record is never "updated" into existence.
    let ghost = dataset("ghost", ALICE, 1_800_000_000);
    assert!(matches!(
        table.update_dataset(&ghost, DatasetState::of(&ghost)).await,
        Err(TableError::ConditionFailed { .. })
    ));
    assert_eq!(table.get_dataset("ghost").await.unwrap(), None);

    table.delete_dataset("d1").await.unwrap();
    table.delete_dataset("d1").await.unwrap();
    assert_eq!(table.get_dataset("d1").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn owners_list_their_datasets_newest_first_in_pages_like_the_memory_table() {
    let aws = emulator().await;
    let memory = MemoryTable::default();
    let base = 1_800_000_000;
    let records = [
        dataset("a1", ALICE, base),
        dataset("a2", ALICE, base + 10),
        dataset("a3", ALICE, base + 5),
        dataset("a4", ALICE, base + 10), // same second as a2: the id breaks the tie
        dataset("a5", ALICE, base - 100_000),
        dataset("b1", BOB, base + 1),
        dataset("b2", BOB, base + 20),
    ];
    for record in &records {
        aws.table.create_dataset(record).await.unwrap();
        memory.create_dataset(record).await.unwrap();
    }
    // A sample of ALICE's must not show up in her dataset list.
    aws.table.create_sample(&sample("s1", ALICE)).await.unwrap();

    for limit in [1, 2, 3, 5, 10] {
        let (mut cursor, mut seen) = (None, Vec::new());
        loop {
            let page = aws
                .table
                .list_datasets(ALICE, limit, cursor.as_deref())
                .await
                .unwrap();
            let expected = memory
                .list_datasets(ALICE, limit, cursor.as_deref())
                .await
                .unwrap();
            assert_eq!(page, expected, "limit {limit}, cursor {cursor:?}");
            seen.extend(page.datasets.iter().map(|d| d.dataset_id.clone()));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ["a4", "a2", "a3", "a1", "a5"], "limit {limit}");
    }
    let bob = aws.table.list_datasets(BOB, 10, None).await.unwrap();
    assert_eq!(
        bob.datasets
            .iter()
            .map(|d| d.dataset_id.as_str())
            .collect::<Vec<_>>(),
        ["b2", "b1"]
    );
    assert_eq!(
        aws.table
            .list_datasets(ALICE, 0, None)
            .await
            .unwrap()
            .datasets,
        []
    );
    assert!(
        aws.table
            .list_datasets("SPNOBODY", 10, None)
            .await
            .unwrap()
            .datasets
            .is_empty()
    );
    assert!(matches!(
        aws.table
            .list_datasets(ALICE, 10, Some("not a cursor"))
            .await,
        Err(TableError::Corrupt { .. })
    ));

    // The index is the one docs/AWS.md describes.
    let described = aws
        .table
        .client()
        .describe_table()
        .table_name(&aws.resources.table)
        .send()
        .await
        .unwrap();
    let index = &described.table().unwrap().global_secondary_indexes()[0];
    assert_eq!(index.index_name(), Some(OWNER_INDEX));
}

fn sample(id: &str, owner: &str) -> Sample {
    let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    Sample {
        sample_id: id.to_owned(),
        owner: owner.to_owned(),
        sample_name: Some("TB demo".to_owned()),
        dataset_ids: vec!["d1".to_owned(), "d2".to_owned()],
        status: SampleStatus::Waiting,
        error: None,
        // Nested records round-trip as DynamoDB maps and lists.
        analysis: Some(AnalysisRecord {
            inputs_hash: "01".repeat(32),
            report_sha256: "02".repeat(32),
            pipeline_id: "03".repeat(32),
            item: "04".repeat(32),
            artifacts: vec!["report.json".to_owned(), "variants.vcf".to_owned()],
        }),
        anchor: Some(AnchorRef {
            batch_id: "b-1".to_owned(),
            index: 3,
        }),
        created_at: at,
        updated_at: at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn samples_move_only_from_the_expected_status_and_nonces_are_claimed_once() {
    let aws = emulator().await;
    let table = &aws.table;
    let waiting = sample("s1", ALICE);
    table.create_sample(&waiting).await.unwrap();
    assert!(matches!(
        table.create_sample(&waiting).await,
        Err(TableError::ConditionFailed { .. })
    ));
    assert_eq!(table.get_sample("s1").await.unwrap(), Some(waiting.clone()));
    assert_eq!(table.get_sample("s2").await.unwrap(), None);
    let mut requested = waiting.clone();
    requested.status = SampleStatus::AnalysisRequested;
    table
        .update_sample(&requested, SampleStatus::Waiting)
        .await
        .unwrap();
    assert!(matches!(
        table.update_sample(&requested, SampleStatus::Waiting).await,
        Err(TableError::ConditionFailed { .. })
    ));
    assert!(matches!(
        table
            .update_sample(&sample("s9", ALICE), SampleStatus::Waiting)
            .await,
        Err(TableError::ConditionFailed { .. })
    ));
    assert_eq!(table.get_sample("s1").await.unwrap(), Some(requested));

    let expires_at = 1_800_000_600;
    let nonce = LoginNonce {
        address: ALICE.into(),
        nonce: 42,
        expires_at,
    };
    let before = OffsetDateTime::from_unix_timestamp(expires_at - 600).unwrap();
    table.claim_nonce(&nonce, before).await.unwrap();
    assert!(matches!(
        table.claim_nonce(&nonce, before).await,
        Err(TableError::ConditionFailed { .. })
    ));
    let just_before = OffsetDateTime::from_unix_timestamp(expires_at - 1).unwrap();
    assert!(matches!(
        table.claim_nonce(&nonce, just_before).await,
        Err(TableError::ConditionFailed { .. })
    ));
    // Another address may use the same number.
    table
        .claim_nonce(
            &LoginNonce {
                address: BOB.into(),
                ..nonce.clone()
            },
            before,
        )
        .await
        .unwrap();
    // Once the message has expired, its record (still there: TTL deletion lags) is free again.
    let later = LoginNonce {
        expires_at: expires_at + 600,
        ..nonce.clone()
    };
    table
        .claim_nonce(
            &later,
            OffsetDateTime::from_unix_timestamp(expires_at).unwrap(),
        )
        .await
        .unwrap();

    let item = table
        .client()
        .get_item()
        .table_name(table.table_name())
        .key("pk", AttributeValue::S(format!("nonce#{ALICE}#42")))
        .key("sk", AttributeValue::S("nonce".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        item[TTL_ATTRIBUTE],
        AttributeValue::N((expires_at + 600).to_string())
    );
    let ttl = table
        .client()
        .describe_time_to_live()
        .table_name(table.table_name())
        .send()
        .await
        .unwrap();
    let description = ttl.time_to_live_description().unwrap();
    assert_eq!(description.attribute_name(), Some(TTL_ATTRIBUTE));
    assert_eq!(
        description.time_to_live_status(),
        Some(&TimeToLiveStatus::Enabled)
    );
}

async fn receive_all(aws: &Emulator, queue: QueueName) -> Vec<String> {
    let output = aws
        .queue
        .client()
        .receive_message()
        .queue_url(aws.queue.url(queue).expect("an SQS queue"))
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    output
        .messages()
        .iter()
        .filter_map(|m| m.body().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn messages_go_to_their_queue_as_json_with_a_dead_letter_queue_behind() {
    let aws = emulator().await;
    let analysis = Message::from(AnalysisRequested {
        sample_id: "s1".into(),
    });
    let anchor = Message::from(AnchorRequested {
        sample_id: "s1".into(),
        item: "ab".repeat(32),
    });
    aws.queue.send(&analysis).await.unwrap();
    aws.queue.send(&anchor).await.unwrap();
    assert_eq!(
        receive_all(&aws, QueueName::Analysis).await,
        [analysis.to_json()]
    );
    assert_eq!(
        receive_all(&aws, QueueName::Anchor).await,
        [anchor.to_json()]
    );

    for queue in [QueueName::Analysis, QueueName::Anchor] {
        let attributes = aws
            .queue
            .client()
            .get_queue_attributes()
            .queue_url(aws.queue.url(queue).expect("an SQS queue"))
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        let policy: serde_json::Value =
            serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).unwrap();
        assert!(
            policy["deadLetterTargetArn"]
                .as_str()
                .unwrap()
                .ends_with("-dlq"),
            "{policy}"
        );
    }

    // A queue that does not exist: a one-line message, retryable (a deployment being updated).
    let missing = format!("{}-gone", aws.resources.analysis_queue_url);
    let error = SqsQueue::new(&aws.sdk, &missing, &missing)
        .send(&analysis)
        .await
        .unwrap_err();
    assert_eq!(error.queue, QueueName::Analysis);
    assert!(
        error.message.contains("NonExistentQueue (HTTP 400)"),
        "{}",
        error.message
    );
    assert!(!error.message.contains('{'), "{}", error.message);
    assert!(genoflow_core::Error::from(error).is_retryable());
}

struct Flow {
    aws: Emulator,
    uploads: Uploads,
    validate: ValidateObjects,
    table: Arc<DynamoTable>,
}

async fn flow(limits: UploadLimits) -> Flow {
    let aws = emulator().await;
    let table = Arc::new(aws.table.clone());
    let blobs = Arc::new(aws.blobs.clone().with_read_chunking(64 * 1024, 4));
    let queue = Arc::new(aws.queue.clone());
    Flow {
        uploads: Uploads {
            table: table.clone(),
            blobs: blobs.clone(),
            clock: Arc::new(SystemClock),
            limits,
        },
        validate: ValidateObjects {
            table: table.clone(),
            blobs,
            queue,
            clock: Arc::new(SystemClock),
            options: genoflow_genomics::Options::default(),
            validation_lease: DEFAULT_VALIDATION_LEASE,
        },
        table,
        aws,
    }
}

fn declare(filename: &str, bytes: &[u8]) -> UploadRequest {
    UploadRequest {
        files: vec![FileDeclaration {
            filename: filename.to_owned(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
            format: None,
        }],
        sample_name: None,
    }
}

/// The key as an S3 event carries it (URL-encoded, space as `+`).
fn event(key: &str) -> ObjectCreated {
    ObjectCreated {
        key: key.replace('+', "%2B").replace(' ', "+"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn an_upload_is_put_validated_and_requested_for_analysis_once() {
    let flow = flow(UploadLimits::default()).await;
    let r1 = sample_file("tb-demo_R1.fastq.gz");
    let filename = "tb demo+R1.fastq.gz";
    let created = flow
        .uploads
        .create(ALICE, &declare(filename, &r1))
        .await
        .unwrap();
    let dataset_id = &created.datasets[0].dataset_id;
    let UploadInstructions::Single(put) = &created.datasets[0].upload else {
        panic!("{:?}", created.datasets[0].upload)
    };
    let response = http_put(&put.url, &put.headers, r1.clone()).await;
    assert!(response.status().is_success(), "{}", response.status());

    let key = format!("uploads/{ALICE}/{dataset_id}/{filename}");
    let outcome = flow.validate.handle(&event(&key)).await.unwrap();
    assert_eq!(
        outcome,
        ObjectOutcome::Validated {
            dataset_id: dataset_id.clone(),
            status: Status::Valid,
            error: None,
            sample: SampleProgress::AnalysisRequested,
        }
    );
    let dataset = flow.table.get_dataset(dataset_id).await.unwrap().unwrap();
    assert_eq!(dataset.status, Status::Valid);
    assert_eq!(dataset.format.as_deref(), Some("fastq"));
    assert_eq!(dataset.validation.as_ref().unwrap()["records"], 7500);
    let sample = flow
        .table
        .get_sample(&created.sample_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sample.status, SampleStatus::AnalysisRequested);

    // A duplicate event changes nothing and sends nothing.
    let again = flow.validate.handle(&event(&key)).await.unwrap();
    assert!(
        matches!(
            again,
            ObjectOutcome::Duplicate {
                status: Status::Valid,
                ..
            }
        ),
        "{again:?}"
    );
    assert_eq!(
        flow.table.get_dataset(dataset_id).await.unwrap().unwrap(),
        dataset
    );
    let expected = Message::from(AnalysisRequested {
        sample_id: created.sample_id.clone(),
    });
    assert_eq!(
        receive_all(&flow.aws, QueueName::Analysis).await,
        [expected.to_json()]
    );
    assert!(receive_all(&flow.aws, QueueName::Anchor).await.is_empty());

    // Other bytes of the same length sent to a presigned URL under the signed checksum header.
    // Real S3 refuses them (signature and checksum); moto 5.2 stores the header's checksum
    // without computing the body's, so here the validator's own SHA-256 check must catch them.
    let created = flow
        .uploads
        .create(ALICE, &declare("tampered.fq.gz", &r1))
        .await
        .unwrap();
    let tampered_id = &created.datasets[0].dataset_id;
    let UploadInstructions::Single(put) = &created.datasets[0].upload else {
        panic!()
    };
    let mut tampered = r1.clone();
    tampered[1000] ^= 0xff;
    let response = http_put(&put.url, &put.headers, tampered).await;
    let tampered_key = format!("uploads/{ALICE}/{tampered_id}/tampered.fq.gz");
    if response.status().is_success() {
        let outcome = flow.validate.handle(&event(&tampered_key)).await.unwrap();
        let ObjectOutcome::Validated {
            status: Status::Invalid,
            error: Some(error),
            sample: SampleProgress::Failed(_),
            ..
        } = outcome
        else {
            panic!("{outcome:?}")
        };
        assert!(error.message.contains("SHA-256"), "{}", error.message);
    } else {
        assert!(response.status().is_client_error(), "{}", response.status());
        assert!(flow.aws.blobs.list(&tampered_key).await.unwrap().is_empty());
    }
    assert!(
        receive_all(&flow.aws, QueueName::Analysis).await.is_empty(),
        "a tampered upload was sent for analysis"
    );
    flow.aws.blobs.delete(&tampered_key).await.unwrap();

    // An object no dataset expects is moved to quarantine, not validated.
    let stray = format!("uploads/{ALICE}/00000000-0000-0000-0000-000000000000/x y.fq");
    flow.aws
        .blobs
        .put(&stray, b"@r\nA\n+\nI\n".to_vec())
        .await
        .unwrap();
    let outcome = flow.validate.handle(&event(&stray)).await.unwrap();
    assert!(
        matches!(outcome, ObjectOutcome::Quarantined { .. }),
        "{outcome:?}"
    );
    assert_eq!(flow.aws.blobs.list("uploads/").await.unwrap(), [key]);
    assert_eq!(
        flow.aws.blobs.list("quarantine/").await.unwrap(),
        [format!("quarantine/{stray}")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn a_multipart_upload_is_completed_and_a_corrupt_one_ends_invalid() {
    // Small limits so the 483 KB sample goes multipart: one part (the last may be small).
    let limits = UploadLimits {
        single_put_max: 100_000,
        min_part_size: 5 * MIB as u64,
        ..UploadLimits::default()
    };
    let flow = flow(limits).await;
    let r1 = sample_file("tb-demo_R1.fastq.gz");
    let mut corrupt = r1.clone();
    corrupt.truncate(r1.len() / 2);
    for (filename, declared, sent) in [("good.fq.gz", &r1, &r1), ("cut.fq.gz", &corrupt, &corrupt)]
    {
        let created = flow
            .uploads
            .create(ALICE, &declare(filename, declared))
            .await
            .unwrap();
        let dataset_id = &created.datasets[0].dataset_id;
        let UploadInstructions::Multipart(multipart) = &created.datasets[0].upload else {
            panic!("{:?}", created.datasets[0].upload)
        };
        assert_eq!(multipart.parts.len(), 1);
        let response = http_put(&multipart.parts[0].url, &BTreeMap::new(), sent.to_vec()).await;
        assert!(response.status().is_success(), "{}", response.status());
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let complete: CompleteRequest =
            serde_json::from_value(serde_json::json!({"parts": [{"number": 1, "etag": etag}]}))
                .unwrap();
        flow.uploads
            .complete(ALICE, dataset_id, &complete.parts)
            .await
            .unwrap();

        let key = format!("uploads/{ALICE}/{dataset_id}/{filename}");
        let outcome = flow.validate.handle(&event(&key)).await.unwrap();
        let ObjectOutcome::Validated { status, error, .. } = outcome else {
            panic!("{outcome:?}")
        };
        if filename == "good.fq.gz" {
            assert_eq!((status, error), (Status::Valid, None));
        } else {
            assert_eq!(status, Status::Invalid);
            assert!(error.unwrap().message.contains("truncated"));
            let stored = flow.table.get_dataset(dataset_id).await.unwrap().unwrap();
            assert_eq!(stored.status, Status::Invalid);
        }
    }
    let sent = receive_all(&flow.aws, QueueName::Analysis).await;
    assert_eq!(sent.len(), 1, "only the valid upload is analysed: {sent:?}");
}

fn batch(id: &str, status: SubmissionStatus, created: i64) -> Batch {
    let at = OffsetDateTime::from_unix_timestamp(created).unwrap();
    Batch {
        batch_id: id.to_owned(),
        root: "ab".repeat(32),
        items: vec![BatchItem {
            sample_id: "s1".to_owned(),
            item: "cd".repeat(32),
        }],
        status,
        transaction: ChainTransaction {
            txid: "ef".repeat(32),
            sender: ALICE.to_owned(),
            nonce: 0,
            fee: 2_000,
            raw: "00".repeat(100),
        },
        broadcasts: 0,
        chain_batch_id: None,
        block_height: None,
        error: None,
        revision: 0,
        created_at: at,
        updated_at: at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn batches_and_the_nonce_counter_are_written_together_and_conditionally() {
    let aws = emulator().await;
    let table = &aws.table;
    let claim = |expected, next| NonceClaim {
        address: ALICE.to_owned(),
        expected,
        next,
    };
    assert_eq!(table.account_nonce(ALICE).await.unwrap(), None);
    let first = batch("b1", SubmissionStatus::Signed, 1_800_000_000);
    table.create_batch(&first, &claim(None, 1)).await.unwrap();
    assert_eq!(table.account_nonce(ALICE).await.unwrap(), Some(1));
    assert_eq!(table.get_batch("b1").await.unwrap(), Some(first.clone()));

    // A stale counter refuses the whole write: no batch without its nonce.
    let second = batch("b2", SubmissionStatus::Signed, 1_800_000_100);
    assert!(matches!(
        table.create_batch(&second, &claim(None, 1)).await,
        Err(TableError::ConditionFailed { .. })
    ));
    assert_eq!(table.get_batch("b2").await.unwrap(), None);
    // ... as does an existing batch id, leaving the counter alone.
    assert!(matches!(
        table.create_batch(&first, &claim(Some(1), 2)).await,
        Err(TableError::ConditionFailed { .. })
    ));
    assert_eq!(table.account_nonce(ALICE).await.unwrap(), Some(1));
    table
        .create_batch(&second, &claim(Some(1), 2))
        .await
        .unwrap();

    // Updates check the revision; a re-sign moves the counter with it.
    let mut resigned = first.clone();
    resigned.revision = 1;
    resigned.transaction.nonce = 2;
    table
        .update_batch(&resigned, 0, Some(&claim(Some(2), 3)))
        .await
        .unwrap();
    assert_eq!(table.account_nonce(ALICE).await.unwrap(), Some(3));
    assert!(matches!(
        table.update_batch(&resigned, 0, None).await,
        Err(TableError::ConditionFailed { .. })
    ));

    // Only open batches are listed, oldest first.
    let ids = |batches: Vec<Batch>| batches.into_iter().map(|b| b.batch_id).collect::<Vec<_>>();
    assert_eq!(ids(table.open_batches().await.unwrap()), ["b1", "b2"]);
    let mut confirmed = resigned.clone();
    confirmed.status = SubmissionStatus::Confirmed;
    confirmed.chain_batch_id = Some(7);
    confirmed.revision = 2;
    table.update_batch(&confirmed, 1, None).await.unwrap();
    assert_eq!(ids(table.open_batches().await.unwrap()), ["b2"]);
    assert_eq!(table.get_batch("b1").await.unwrap(), Some(confirmed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn oracle_values_are_replaced_only_at_their_revision_and_listed_while_open() {
    let aws = emulator().await;
    let table = &aws.table;
    let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let value = OracleValue {
        key: "aa".repeat(32),
        source: "clinvar".to_owned(),
        record_id: "12345".to_owned(),
        value: "bb".repeat(32),
        timestamp: 1_800_000_000,
        signature: "cc".repeat(65),
        oracle_public_key: "02".repeat(33),
        document: "oracle/clinvar/12345/1800000000.json".to_owned(),
        transaction: ChainTransaction::default(),
        status: SubmissionStatus::Broadcast,
        error: None,
        revision: 0,
        created_at: at,
        updated_at: at,
    };
    let claim = NonceClaim {
        address: BOB.to_owned(),
        expected: None,
        next: 1,
    };
    table
        .write_oracle_value(&value, None, Some(&claim))
        .await
        .unwrap();
    assert_eq!(table.account_nonce(BOB).await.unwrap(), Some(1));
    assert!(matches!(
        table.write_oracle_value(&value, None, None).await,
        Err(TableError::ConditionFailed { .. })
    ));
    let open = table.open_oracle_values().await.unwrap();
    assert_eq!(open, std::slice::from_ref(&value));

    let confirmed = OracleValue {
        status: SubmissionStatus::Confirmed,
        revision: 1,
        ..value.clone()
    };
    assert!(matches!(
        table.write_oracle_value(&confirmed, Some(5), None).await,
        Err(TableError::ConditionFailed { .. })
    ));
    table
        .write_oracle_value(&confirmed, Some(0), None)
        .await
        .unwrap();
    assert_eq!(
        table.get_oracle_value(&value.key).await.unwrap(),
        Some(confirmed)
    );
    assert!(table.open_oracle_values().await.unwrap().is_empty());
}
