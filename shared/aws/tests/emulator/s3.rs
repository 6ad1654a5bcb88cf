//! S3 passes every blob scenario of the test kit (moto's gaps declared: docs/AWS.md), plus what
//! only S3 shows: streamed reads of parallel ranged GETs, part-by-part copies, SigV4 URLs that
//! sign the bound headers, S3's part limits, its errors in one line.

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::STANDARD};
use genoflow_aws::S3BlobStore;
use genoflow_core::ports::{BlobError, BlobStore, ObjectIntegrity, PresignedPut};
use genoflow_testkit::{fixtures::data, scenarios::blob::Browser};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{emulator, http_put, pattern, read_all};

const MIB: usize = 1024 * 1024;

/// The bucket, its URLs taken by HTTP as a browser does.
struct Http(S3BlobStore);

#[async_trait]
impl Browser for Http {
    fn store(&self) -> &dyn BlobStore {
        &self.0
    }

    /// S3 checks URLs against the real clock.
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// moto 5.2 checks no presigned URL and no part order.
    fn emulator_gaps(&self) -> bool {
        true
    }

    async fn put_presigned(
        &self,
        put: &PresignedPut,
        body: Vec<u8>,
        _at: OffsetDateTime,
    ) -> Result<(), String> {
        let response = http_put(&put.url, &put.headers, body).await;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(response.status().to_string())
        }
    }

    async fn put_part(&self, url: &str, body: Vec<u8>) -> Result<String, String> {
        let response = http_put(url, &BTreeMap::new(), body).await;
        if !response.status().is_success() {
            return Err(response.status().to_string());
        }
        Ok(response.headers()["etag"].to_str().unwrap().to_owned())
    }

    async fn get_presigned(&self, url: &str, _at: OffsetDateTime) -> Result<Vec<u8>, String> {
        let response = reqwest::get(url).await.unwrap();
        if !response.status().is_success() {
            return Err(response.status().to_string());
        }
        Ok(response.bytes().await.unwrap().to_vec())
    }
}

genoflow_testkit::blob_scenarios!(
    [
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
    ]
    async { (Http(emulator().await.blobs), ()) }
);

fn integrity(bytes: &[u8]) -> ObjectIntegrity {
    ObjectIntegrity {
        size: bytes.len() as u64,
        sha256: Sha256::digest(bytes).into(),
    }
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
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
async fn a_missing_bucket_is_named_in_one_line() {
    let aws = emulator().await;
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
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
async fn streamed_reads_come_in_order_from_parallel_ranged_gets() {
    let aws = emulator().await;
    let r1 = data("samples/tb-demo_R1.fastq.gz");
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
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
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
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
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
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
async fn a_presigned_put_binds_length_and_checksum_into_the_signature() {
    let aws = emulator().await;
    let r1 = data("samples/tb-demo_R1.fastq.gz");
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
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
async fn part_urls_name_their_number_within_s3s_limit() {
    let aws = emulator().await;
    let expires = OffsetDateTime::now_utc() + time::Duration::hours(1);
    let upload = aws
        .blobs
        .start_multipart("uploads/SP1/d2/big.fq", 3, expires)
        .await
        .unwrap();
    for part in &upload.parts {
        assert_eq!(
            query_parameter(&part.url, "partNumber"),
            Some(part.number.to_string())
        );
    }
    let refused = aws
        .blobs
        .start_multipart("uploads/SP1/d4/y.fq", 10_001, expires)
        .await;
    assert!(
        matches!(refused, Err(BlobError::Rejected { .. })),
        "{refused:?}"
    );
    // An aborted upload is no longer in progress.
    aws.blobs
        .abort_multipart("uploads/SP1/d2/big.fq", &upload.upload_id)
        .await
        .unwrap();
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
