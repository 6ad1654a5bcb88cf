//! The upload flow end to end on S3, DynamoDB and SQS: a browser's PUT (single or multipart),
//! the validate step, the analysis request sent once.

use std::{collections::BTreeMap, sync::Arc};

use genoflow_aws::DynamoTable;
use genoflow_core::{
    lifecycle::{SampleStatus, Status},
    ports::{AnalysisRequested, BlobStore, Message, QueueName, SystemClock, Table},
    usecases::{
        object_created::{
            DEFAULT_VALIDATION_LEASE, ObjectCreated, ObjectOutcome, SampleProgress, ValidateObjects,
        },
        upload::{CompleteRequest, UploadInstructions, UploadLimits, UploadRequest, Uploads},
    },
};
use genoflow_testkit::{fixtures, keys::ALICE};

use super::{Emulator, emulator, http_put, receive_all};

const MIB: usize = 1024 * 1024;

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
        files: vec![fixtures::declare(filename, bytes)],
        sample_name: None,
        specimen: None,
    }
}

/// The key as an S3 event carries it.
fn event(key: &str) -> ObjectCreated {
    ObjectCreated {
        key: fixtures::s3_event_key(key),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
async fn an_upload_is_put_validated_and_requested_for_analysis_once() {
    let flow = flow(UploadLimits::default()).await;
    let r1 = fixtures::data("samples/tb-demo_R1.fastq.gz");
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
        receive_all(&flow.aws.queue, QueueName::Analysis).await,
        [expected.to_json()]
    );
    assert!(
        receive_all(&flow.aws.queue, QueueName::Anchor)
            .await
            .is_empty()
    );

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
        receive_all(&flow.aws.queue, QueueName::Analysis)
            .await
            .is_empty(),
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
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
async fn a_multipart_upload_is_completed_and_a_corrupt_one_ends_invalid() {
    // Small limits so the 483 KB sample goes multipart: one part (the last may be small).
    let limits = UploadLimits {
        single_put_max: 100_000,
        min_part_size: 5 * MIB as u64,
        ..UploadLimits::default()
    };
    let flow = flow(limits).await;
    let r1 = fixtures::data("samples/tb-demo_R1.fastq.gz");
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
    let sent = receive_all(&flow.aws.queue, QueueName::Analysis).await;
    assert_eq!(sent.len(), 1, "only the valid upload is analysed: {sent:?}");
}
