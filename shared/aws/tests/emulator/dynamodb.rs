//! DynamoDB passes every table scenario of the test kit, plus what only DynamoDB shows: nested
//! records as maps and lists, the owner index and the nonces' TTL attribute docs/AWS.md
//! describes.

use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use genoflow_aws::dynamodb::{OWNER_INDEX, SAMPLE_INDEX, TTL_ATTRIBUTE};
use genoflow_core::{
    lifecycle::Status,
    model::{AnalysisRecord, AnchorRef, LoginNonce, Problem, UploadKind},
    ports::Table,
};
use genoflow_testkit::{
    fixtures::{at, dataset, sample},
    keys::{ALICE, START},
};

use super::emulator;

genoflow_testkit::table_scenarios!(
    [
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
    ]
    async { (emulator().await.table, ()) }
);

/// Nested JSON with floats and nulls, problems, multipart uploads, analyses and anchors read
/// back equal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
async fn nested_records_read_back_as_written() {
    let aws = emulator().await;
    let table = &aws.table;
    let mut validated = dataset("d1", ALICE, START);
    validated.filename = "r 1+x.fq.gz".to_owned();
    validated.size = 6 << 30;
    validated.status = Status::Invalid;
    validated.upload = UploadKind::Multipart {
        upload_id: "u-1".to_owned(),
        part_size: 64 << 20,
        part_count: 96,
    };
    validated.validation = Some(serde_json::json!({
        "valid": false, "records": 7500, "stats": {"mean_quality": 35.25, "gc": 0.4321, "lengths": [150, 151]},
        "error": null, "warnings": [],
    }));
    validated.error = Some(Problem {
        message: "quality line shorter".into(),
        record: Some(2),
        line: Some(8),
        offset: None,
    });
    table.create_dataset(&validated).await.unwrap();
    assert_eq!(table.get_dataset("d1").await.unwrap(), Some(validated));

    let mut analysed = sample("s1");
    analysed.analysis = Some(AnalysisRecord {
        inputs_hash: "01".repeat(32),
        report_sha256: "02".repeat(32),
        pipeline_id: "03".repeat(32),
        item: "04".repeat(32),
        artifacts: vec!["report.json".to_owned(), "variants.vcf".to_owned()],
        result: None,
        analyzed_at: None,
    });
    analysed.anchor = Some(AnchorRef {
        batch_id: "b-1".to_owned(),
        index: 3,
    });
    table.create_sample(&analysed).await.unwrap();
    assert_eq!(table.get_sample("s1").await.unwrap(), Some(analysed));
}

/// The owner index and the TTL attribute are the ones docs/AWS.md describes; a claimed nonce
/// carries its expiry in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an S3/DynamoDB/SQS emulator at AWS_ENDPOINT_URL (tests/with-moto.sh starts moto)"]
async fn the_owner_index_and_the_nonces_ttl_are_as_documented() {
    let aws = emulator().await;
    let table = &aws.table;
    let described = table
        .client()
        .describe_table()
        .table_name(&aws.resources.table)
        .send()
        .await
        .unwrap();
    let mut indexes: Vec<&str> = described
        .table()
        .unwrap()
        .global_secondary_indexes()
        .iter()
        .filter_map(|index| index.index_name())
        .collect();
    indexes.sort_unstable();
    assert_eq!(indexes, [OWNER_INDEX, SAMPLE_INDEX]);

    let expires_at = START + 600;
    let nonce = LoginNonce {
        address: ALICE.into(),
        nonce: 42,
        expires_at,
    };
    table.claim_nonce(&nonce, at(START)).await.unwrap();
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
        AttributeValue::N(expires_at.to_string())
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
