//! Every port against a real S3 / DynamoDB / SQS API: moto's server, which `tests/with-moto.sh`
//! starts and points `AWS_ENDPOINT_URL` at. Each test creates its own bucket, table and queues
//! (random prefix), so they run in parallel. One test binary (the AWS SDK is slow to link):
//!
//! | module | what |
//! | --- | --- |
//! | [`dynamodb`] | the table scenarios of the test kit, and what only DynamoDB shows |
//! | [`s3`] | the blob scenarios, and S3's streamed reads, copies and URL signing |
//! | [`sqs`] | the queue scenarios, and SQS's dead-letter queues and errors |
//! | [`flow`] | uploads put, validated and requested for analysis, end to end |
//!
//! By hand: `bash tests/with-moto.sh cargo test -p genoflow-aws --test emulator --
//! --include-ignored`. Without an emulator every test here is ignored.

#![allow(clippy::unwrap_used)]

mod dynamodb;
mod flow;
mod s3;
mod sqs;

use std::{collections::BTreeMap, io::Read};

use aws_config::SdkConfig;
use genoflow_aws::{
    DynamoTable, S3BlobStore, SqsQueue,
    config::{self, Resources},
    setup::{ResourceNames, create_resources},
};
use genoflow_core::ports::QueueName;

/// Fresh resources on the emulator and the adapters over them.
struct Emulator {
    sdk: SdkConfig,
    resources: Resources,
    blobs: S3BlobStore,
    table: DynamoTable,
    queue: SqsQueue,
}

/// Creates a bucket, a table and queues under a random prefix.
async fn emulator() -> Emulator {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto): \
         AWS_ENDPOINT_URL is not set"
    );
    let sdk = config::load().await;
    let prefix = format!("gf-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let resources = create_resources(&sdk, &ResourceNames::with_prefix(&prefix))
        .await
        .unwrap();
    let mut queue = SqsQueue::new(
        &sdk,
        &resources.analysis_queue_url,
        &resources.anchor_queue_url,
    );
    if let Some(url) = &resources.validation_queue_url {
        queue = queue.with_validation_queue(url);
    }
    Emulator {
        blobs: S3BlobStore::new(&sdk, &resources.bucket),
        table: DynamoTable::new(&sdk, &resources.table),
        queue,
        sdk,
        resources,
    }
}

/// Bytes that differ at most positions, so misplaced ranges show.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Reads a blocking reader to its end, off the runtime.
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

/// Receives and deletes every message `queue` holds now (SQS answers at most 10 at a time).
async fn receive_all(sqs: &SqsQueue, queue: QueueName) -> Vec<String> {
    let url = sqs.url(queue).expect("an SQS queue");
    let mut bodies = Vec::new();
    loop {
        let output = sqs
            .client()
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if output.messages().is_empty() {
            return bodies;
        }
        for message in output.messages() {
            bodies.extend(message.body().map(str::to_owned));
            sqs.client()
                .delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}
