//! Creates GenoFlow's bucket, table and queues the way `infra/template.yaml` declares them, for
//! tests and local emulators (on AWS the SAM template owns them). Running it again on existing
//! resources changes nothing.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::{
    config::{Resources, s3_uses_path_style},
    describe,
    dynamodb::{
        OWNER_INDEX, OWNER_INDEX_PARTITION, OWNER_INDEX_SORT, PARTITION_KEY, SAMPLE_INDEX,
        SAMPLE_INDEX_PARTITION, SAMPLE_INDEX_SORT, SORT_KEY, TTL_ATTRIBUTE,
    },
};

/// Receives before a message moves to its dead-letter queue.
pub const MAX_RECEIVES: u32 = 5;
/// The queues' visibility timeout, seconds: six times Lambda's longest run (900 s), as AWS
/// advises for SQS triggers and as the claim leases need (a lease is the function timeout plus a
/// minute, so a redelivery after a timeout always finds the lease over).
pub const VISIBILITY_TIMEOUT_SECONDS: u32 = 6 * 900;
/// How long the dead-letter queues keep a message, seconds (14 days, SQS's longest).
pub const DLQ_RETENTION_SECONDS: u32 = 1_209_600;

/// The names to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceNames {
    /// The bucket.
    pub bucket: String,
    /// The table.
    pub table: String,
    /// The analysis queue (its dead-letter queue is `{name}-dlq`).
    pub analysis_queue: String,
    /// The anchor queue (its dead-letter queue is `{name}-dlq`).
    pub anchor_queue: String,
    /// The validation queue the sweeper re-drives validations through (`{name}-dlq` behind it).
    pub validation_queue: String,
}

impl ResourceNames {
    /// `{prefix}-data`, `{prefix}-records`, `{prefix}-analysis`, `{prefix}-anchor`.
    ///
    /// ```
    /// let names = genoflow_aws::setup::ResourceNames::with_prefix("genoflow-dev");
    /// assert_eq!(names.bucket, "genoflow-dev-data");
    /// assert_eq!(names.anchor_queue, "genoflow-dev-anchor");
    /// ```
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            bucket: format!("{prefix}-data"),
            table: format!("{prefix}-records"),
            analysis_queue: format!("{prefix}-analysis"),
            anchor_queue: format!("{prefix}-anchor"),
            validation_queue: format!("{prefix}-validation"),
        }
    }
}

/// A resource could not be created.
#[derive(Debug, thiserror::Error)]
#[error("could not create {what}: {message}")]
pub struct SetupError {
    /// Which resource.
    pub what: String,
    /// The service's message.
    pub message: String,
}

fn failed(what: impl Into<String>, message: impl Into<String>) -> SetupError {
    SetupError {
        what: what.into(),
        message: message.into(),
    }
}

/// Creates (or finds) the bucket, the table with its owner index and nonce TTL, and the analysis,
/// anchor and validation queues with their dead-letter queues; answers the names the adapters
/// need.
///
/// # Errors
/// [`SetupError`] naming the resource that failed.
pub async fn create_resources(
    config: &SdkConfig,
    names: &ResourceNames,
) -> Result<Resources, SetupError> {
    create_bucket(config, &names.bucket).await?;
    create_table(config, &names.table).await?;
    let sqs = aws_sdk_sqs::Client::new(config);
    let analysis_queue_url = create_queue(&sqs, &names.analysis_queue).await?;
    let anchor_queue_url = create_queue(&sqs, &names.anchor_queue).await?;
    let validation_queue_url = create_queue(&sqs, &names.validation_queue).await?;
    Ok(Resources {
        bucket: names.bucket.clone(),
        table: names.table.clone(),
        analysis_queue_url,
        anchor_queue_url,
        validation_queue_url: Some(validation_queue_url),
    })
}

async fn create_bucket(config: &SdkConfig, bucket: &str) -> Result<(), SetupError> {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(s3_uses_path_style(config))
            .build(),
    );
    let mut request = s3.create_bucket().bucket(bucket);
    // us-east-1 takes no location constraint; every other region requires one.
    if let Some(region) = config
        .region()
        .map(|r| r.as_ref())
        .filter(|r| *r != "us-east-1")
    {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => Ok(()),
        Err(error) => match describe(&error) {
            failure if failure.code.as_deref() == Some("BucketAlreadyOwnedByYou") => Ok(()),
            failure => Err(failed(format!("bucket {bucket}"), failure.message)),
        },
    }
}

fn attribute(name: &str) -> Result<AttributeDefinition, SetupError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|error| failed(format!("attribute {name}"), error.to_string()))
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, SetupError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(|error| failed(format!("key {name}"), error.to_string()))
}

/// A global secondary index of `table` on `partition` and `sort`, projecting every attribute.
fn all_projected(
    table: &str,
    name: &str,
    partition: &str,
    sort: &str,
) -> Result<GlobalSecondaryIndex, SetupError> {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(partition, KeyType::Hash)?)
        .key_schema(key(sort, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(|error| failed(format!("table {table}"), error.to_string()))
}

async fn create_table(config: &SdkConfig, table: &str) -> Result<(), SetupError> {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let what = || format!("table {table}");
    let index = all_projected(table, OWNER_INDEX, OWNER_INDEX_PARTITION, OWNER_INDEX_SORT)?;
    let samples = all_projected(
        table,
        SAMPLE_INDEX,
        SAMPLE_INDEX_PARTITION,
        SAMPLE_INDEX_SORT,
    )?;
    let created = dynamodb
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(PARTITION_KEY)?)
        .attribute_definitions(attribute(SORT_KEY)?)
        .attribute_definitions(attribute(OWNER_INDEX_PARTITION)?)
        .attribute_definitions(attribute(OWNER_INDEX_SORT)?)
        .attribute_definitions(attribute(SAMPLE_INDEX_PARTITION)?)
        .attribute_definitions(attribute(SAMPLE_INDEX_SORT)?)
        .key_schema(key(PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key(SORT_KEY, KeyType::Range)?)
        .global_secondary_indexes(index)
        .global_secondary_indexes(samples)
        .send()
        .await;
    if let Err(error) = created {
        let failure = describe(&error);
        if failure.code.as_deref() != Some("ResourceInUseException") {
            return Err(failed(what(), failure.message));
        }
    }
    // Real DynamoDB takes a few seconds; emulators are ACTIVE at once.
    for _ in 0..120 {
        let described = dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|error| failed(what(), describe(&error).message))?;
        let status = described.table().and_then(|t| t.table_status());
        if status == Some(&TableStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let ttl = dynamodb
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|error| failed(what(), describe(&error).message))?;
    let enabled = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .is_some_and(|status| {
            matches!(
                status,
                TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling
            )
        });
    if !enabled {
        let specification = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(TTL_ATTRIBUTE)
            .build()
            .map_err(|error| failed(what(), error.to_string()))?;
        dynamodb
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(specification)
            .send()
            .await
            .map_err(|error| failed(what(), describe(&error).message))?;
    }
    Ok(())
}

/// Creates `{name}-dlq`, then `name` redriving to it after [`MAX_RECEIVES`]; answers `name`'s URL.
async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, SetupError> {
    let dead_letter = format!("{name}-dlq");
    let dlq_url = sqs
        .create_queue()
        .queue_name(&dead_letter)
        .attributes(
            QueueAttributeName::MessageRetentionPeriod,
            DLQ_RETENTION_SECONDS.to_string(),
        )
        .send()
        .await
        .map_err(|error| failed(format!("queue {dead_letter}"), describe(&error).message))?
        .queue_url
        .ok_or_else(|| failed(format!("queue {dead_letter}"), "no queue URL in the answer"))?;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|error| failed(format!("queue {dead_letter}"), describe(&error).message))?
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| failed(format!("queue {dead_letter}"), "no queue ARN in the answer"))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVES.to_string(),
    });
    sqs.create_queue()
        .queue_name(name)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            VISIBILITY_TIMEOUT_SECONDS.to_string(),
        )
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .map_err(|error| failed(format!("queue {name}"), describe(&error).message))?
        .queue_url
        .ok_or_else(|| failed(format!("queue {name}"), "no queue URL in the answer"))
}
