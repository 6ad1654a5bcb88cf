//! No stuck work and delete means delete over S3, DynamoDB and SQS (moto's server, which
//! `tests/run-all.sh` starts): the analyze function killed mid-analysis, its message delivered
//! again inside the live lease (a batch item failure), the sweeper function returning the claim
//! through the real queue, and a delete during an analysis leaving nothing in S3.
//!
//! By hand: `bash tests/with-moto.sh cargo test -p genoflow-function-sweeper -- --include-ignored`.

#![allow(clippy::unwrap_used)]

use std::{
    io::Read,
    ops::Range,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use genoflow_aws::{
    DynamoTable, S3BlobStore, SqsQueue, config,
    lambda::{leases::Leases, sqs::SqsEvent},
    setup::{ResourceNames, create_resources},
};
use genoflow_core::{
    keys::upload_key,
    lifecycle::{SampleStatus, Status},
    model::{Lease, LeaseKind},
    ports::{
        BlobError, BlobStore, Clock, CompletedPart, MultipartUpload, ObjectIntegrity, PresignedPut,
        Table,
    },
    usecases::{
        datasets::Datasets,
        object_created::{DEFAULT_VALIDATION_LEASE, ObjectCreated, ValidateObjects},
        upload::{FileDeclaration, UploadRequest, Uploads},
    },
};
use genoflow_function_analyze::Analyze;
use genoflow_function_sweeper::{Ports, Sweep};
use genoflow_function_validate::Validate;
use genoflow_testkit::memory::{ManualClock, Pause};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use genoflow_testkit::keys::DEPLOYER as ALICE;
const READS: &str = "tb-demo_R1.fastq.gz";

/// S3, stopping the next `open_read` until told (an analyser mid-way).
struct Pausing {
    inner: S3BlobStore,
    next: Mutex<Option<Arc<Pause>>>,
}

impl Pausing {
    fn pause_next_read(&self) -> Arc<Pause> {
        let pause = Arc::new(Pause::default());
        *self.next.lock().unwrap() = Some(pause.clone());
        pause
    }
}

#[async_trait]
impl BlobStore for Pausing {
    async fn open_read(&self, key: &str) -> Result<Box<dyn Read + Send>, BlobError> {
        let pause = self.next.lock().unwrap().take();
        if let Some(pause) = pause {
            pause.hold().await;
        }
        self.inner.open_read(key).await
    }
    async fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, BlobError> {
        self.inner.read_range(key, range).await
    }
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.inner.put(key, bytes).await
    }
    async fn copy(&self, from: &str, to: &str) -> Result<(), BlobError> {
        self.inner.copy(from, to).await
    }
    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        self.inner.list(prefix).await
    }
    async fn presign_put(
        &self,
        key: &str,
        integrity: ObjectIntegrity,
        expires: OffsetDateTime,
    ) -> Result<PresignedPut, BlobError> {
        self.inner.presign_put(key, integrity, expires).await
    }
    async fn presign_get(&self, key: &str, expires: OffsetDateTime) -> Result<String, BlobError> {
        self.inner.presign_get(key, expires).await
    }
    async fn start_multipart(
        &self,
        key: &str,
        part_count: u32,
        expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        self.inner.start_multipart(key, part_count, expires).await
    }
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), BlobError> {
        self.inner.complete_multipart(key, upload_id, parts).await
    }
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), BlobError> {
        self.inner.abort_multipart(key, upload_id).await
    }
}

struct Stack {
    sqs: aws_sdk_sqs::Client,
    analysis_url: String,
    validation_url: String,
    table: Arc<DynamoTable>,
    blobs: Arc<Pausing>,
    queue: Arc<SqsQueue>,
    clock: Arc<ManualClock>,
    uploads: Uploads,
    datasets: Datasets,
    analyze: Arc<Analyze>,
    sweep: Sweep,
}

async fn stack() -> Stack {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "needs moto at AWS_ENDPOINT_URL (tests/with-moto.sh)"
    );
    let sdk = config::load().await;
    let prefix = format!("gf-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let resources = create_resources(&sdk, &ResourceNames::with_prefix(&prefix))
        .await
        .unwrap();
    let validation_url = resources.validation_queue_url.clone().unwrap();
    let table = Arc::new(DynamoTable::new(&sdk, &resources.table));
    let blobs = Arc::new(Pausing {
        inner: S3BlobStore::new(&sdk, &resources.bucket),
        next: Mutex::default(),
    });
    let queue = Arc::new(
        SqsQueue::new(
            &sdk,
            &resources.analysis_queue_url,
            &resources.anchor_queue_url,
        )
        .with_validation_queue(&validation_url),
    );
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let leases = Leases::default();
    Stack {
        sqs: aws_sdk_sqs::Client::new(&sdk),
        analysis_url: resources.analysis_queue_url.clone(),
        validation_url,
        uploads: Uploads {
            table: table.clone(),
            blobs: blobs.clone(),
            clock: clock.clone(),
            limits: Default::default(),
        },
        datasets: Datasets {
            table: table.clone(),
            blobs: blobs.clone(),
            chain: None,
        },
        analyze: Arc::new(
            Analyze::new(genoflow_function_analyze::Ports {
                table: table.clone(),
                blobs: blobs.clone(),
                queue: queue.clone(),
                clock: clock.clone(),
            })
            .with_leases(&leases),
        ),
        sweep: Sweep::new(
            Ports {
                table: table.clone(),
                blobs: blobs.clone(),
                queue: queue.clone(),
                clock: clock.clone(),
            },
            &leases,
        ),
        table,
        blobs,
        queue,
        clock,
    }
}

fn reads() -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/data/samples/{READS}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Declares and stores the R1 file; answers its dataset and sample ids.
async fn uploaded(stack: &Stack) -> (String, String) {
    let bytes = reads();
    let request = UploadRequest {
        files: vec![FileDeclaration {
            filename: READS.to_owned(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
            format: None,
        }],
        sample_name: None,
        specimen: None,
    };
    let created = stack.uploads.create(ALICE, &request).await.unwrap();
    let dataset_id = created.datasets[0].dataset_id.clone();
    let key = upload_key(ALICE, &dataset_id, READS);
    stack.blobs.put(&key, bytes).await.unwrap();
    (dataset_id, created.sample_id)
}

/// Uploads R1 and validates it: its analysis request is on the (real) analysis queue.
async fn validated(stack: &Stack) -> (String, String) {
    let (dataset_id, sample_id) = uploaded(stack).await;
    let validate = ValidateObjects {
        table: stack.table.clone(),
        blobs: stack.blobs.clone(),
        queue: stack.queue.clone(),
        clock: stack.clock.clone(),
        options: Default::default(),
        validation_lease: DEFAULT_VALIDATION_LEASE,
    };
    let key = upload_key(ALICE, &dataset_id, READS);
    validate.handle(&ObjectCreated { key }).await.unwrap();
    (dataset_id, sample_id)
}

/// The next messages of the queue at `url` as the Lambda trigger delivers them (receive count
/// included), hidden for `visibility` seconds.
async fn receive(stack: &Stack, url: &str, visibility: i32) -> SqsEvent {
    let output = stack
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(visibility)
        .wait_time_seconds(1)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .unwrap();
    let records: Vec<serde_json::Value> = output
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|message| {
            let count = message
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .cloned()
                .unwrap_or_else(|| "1".to_owned());
            serde_json::json!({
                "messageId": message.message_id,
                "receiptHandle": message.receipt_handle,
                "body": message.body,
                "attributes": {"ApproximateReceiveCount": count},
                "eventSource": "aws:sqs",
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
}

/// Deletes the messages the handler did not list, as the event source mapping does.
async fn settle(stack: &Stack, url: &str, event: &SqsEvent, failed: &[String]) {
    for record in &event.records {
        if !failed.contains(record.message_id.as_ref().unwrap()) {
            stack
                .sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(record.receipt_handle.clone().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

fn failed_ids(response: &genoflow_aws::lambda::sqs::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

async fn sample_status(stack: &Stack, sample_id: &str) -> Option<SampleStatus> {
    let sample = stack.table.get_sample(sample_id).await.unwrap();
    sample.map(|s| s.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn a_crash_mid_analysis_is_retried_later_then_returned_and_ends_analyzed() {
    let stack = stack().await;
    let (dataset_id, sample_id) = validated(&stack).await;

    // The first delivery: the analyser claims the sample and is killed while reading.
    let first = receive(&stack, &stack.analysis_url, 1).await;
    assert_eq!(first.records.len(), 1);
    let pause = stack.blobs.pause_next_read();
    let run = tokio::spawn({
        let (analyze, event) = (stack.analyze.clone(), first.clone());
        async move { analyze.handle(&event).await }
    });
    pause.reached().await;
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    pause.resume();
    assert_eq!(
        sample_status(&stack, &sample_id).await,
        Some(SampleStatus::Analyzing)
    );

    // Delivered again inside the live lease: a batch item failure, not "skipped".
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = receive(&stack, &stack.analysis_url, 1).await;
    assert_eq!(second.records[0].attributes["ApproximateReceiveCount"], "2");
    let response = stack.analyze.handle(&second).await;
    assert_eq!(
        failed_ids(&response),
        [second.records[0].message_id.clone().unwrap()]
    );
    assert_eq!(
        sample_status(&stack, &sample_id).await,
        Some(SampleStatus::Analyzing)
    );

    // Past the lease the sweeper function hands the claim back and requests the analysis again.
    stack.clock.advance(time::Duration::seconds(900 + 60));
    let summary = stack.sweep.handle().await.unwrap();
    assert_eq!(summary.returned, [format!("analysis:{sample_id}")]);

    // Whatever the queue delivers next is analysed once; the sample ends analysed.
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let event = receive(&stack, &stack.analysis_url, 1).await;
        let response = stack.analyze.handle(&event).await;
        settle(&stack, &stack.analysis_url, &event, &failed_ids(&response)).await;
        if sample_status(&stack, &sample_id).await == Some(SampleStatus::Analyzed) {
            break;
        }
    }
    assert_eq!(
        sample_status(&stack, &sample_id).await,
        Some(SampleStatus::Analyzed)
    );
    let dataset = stack.table.get_dataset(&dataset_id).await.unwrap().unwrap();
    assert_eq!(dataset.status, Status::Analyzed);
    assert!(
        !stack
            .blobs
            .list(&format!("results/{dataset_id}/"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn a_delete_during_the_analysis_leaves_nothing_in_s3() {
    let stack = stack().await;
    let (dataset_id, sample_id) = validated(&stack).await;
    let event = receive(&stack, &stack.analysis_url, 30).await;
    let pause = stack.blobs.pause_next_read();
    let run = tokio::spawn({
        let analyze = stack.analyze.clone();
        async move { analyze.handle(&event).await }
    });
    pause.reached().await;
    let deleted = stack
        .datasets
        .delete(ALICE, &dataset_id, stack.clock.now())
        .await
        .unwrap();
    assert!(
        deleted
            .removed
            .contains(&upload_key(ALICE, &dataset_id, READS))
    );
    pause.resume();
    let response = run.await.unwrap();
    assert!(
        failed_ids(&response).is_empty(),
        "acknowledged: nothing to retry"
    );

    for prefix in ["uploads/", "results/", "quarantine/"] {
        assert_eq!(
            stack.blobs.list(prefix).await.unwrap(),
            Vec::<String>::new(),
            "{prefix}"
        );
    }
    assert_eq!(stack.table.get_dataset(&dataset_id).await.unwrap(), None);
    assert_eq!(stack.table.get_sample(&sample_id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/run-all.sh starts moto)"]
async fn a_dead_validation_is_re_driven_through_the_validation_queue() {
    let stack = stack().await;
    let (dataset_id, sample_id) = uploaded(&stack).await;
    // A validator claimed the dataset and died: its lease and the `uploaded` claim remain.
    let now = stack.clock.now();
    let until = now + time::Duration::seconds(960);
    let lease = Lease::new(LeaseKind::Validation, &dataset_id, until, now);
    stack.table.put_lease(&lease).await.unwrap();
    let pending = stack.table.get_dataset(&dataset_id).await.unwrap().unwrap();
    let mut claimed = pending.clone();
    claimed.status = Status::Uploaded;
    claimed.revision += 1;
    claimed.updated_at = now;
    stack
        .table
        .update_dataset(&claimed, genoflow_core::ports::DatasetState::of(&pending))
        .await
        .unwrap();

    stack.clock.advance(time::Duration::seconds(960));
    let summary = stack.sweep.handle().await.unwrap();
    assert_eq!(summary.returned, [format!("validation:{dataset_id}")]);

    // The validate function's second trigger: the validation queue.
    let event = receive(&stack, &stack.validation_url, 30).await;
    assert_eq!(event.records.len(), 1);
    let validate = Validate::new(genoflow_function_validate::Ports {
        table: stack.table.clone(),
        blobs: stack.blobs.clone(),
        queue: stack.queue.clone(),
        clock: stack.clock.clone(),
    });
    let json = serde_json::to_value(&event).unwrap();
    let parsed: genoflow_function_validate::Event = serde_json::from_value(json).unwrap();
    let answer = validate.handle_event(&parsed).await.unwrap();
    assert_eq!(answer["batchItemFailures"], serde_json::json!([]));
    let dataset = stack.table.get_dataset(&dataset_id).await.unwrap().unwrap();
    assert_eq!(dataset.status, Status::Valid);
    assert_eq!(
        sample_status(&stack, &sample_id).await,
        Some(SampleStatus::AnalysisRequested)
    );
}
