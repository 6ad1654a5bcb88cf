//! Lambda event mapping: what the function crates share between the event AWS delivers and the
//! core use case they call.
//!
//! | module | event | mapping |
//! | --- | --- | --- |
//! | [`http`] | API Gateway HTTP API, payload 2.0 | method + path segments, `Authorization`, query, body (base64 undone); a core result or [`genoflow_core::Error`] to a JSON response with its status |
//! | [`s3`] | S3 event notification | `ObjectCreated:*` records to [`ObjectCreated`](genoflow_core::usecases::object_created::ObjectCreated) keys (core decodes them); failures fail the invocation, so Lambda retries and then sends it to the on-failure destination |
//! | [`sqs`] | SQS batch | each body to a core [`Message`](genoflow_core::ports::Message); a partial batch response naming every message that failed or did not parse, so SQS redelivers them and its redrive policy moves them to the dead-letter queue |
//! | [`settings`] | the environment | the bearer-token secret (environment or Secrets Manager), the Stacks network |
//! | [`leases`] | the environment | the claim leases, the queues' `maxReceiveCount`, the sweeper's limits |
//!
//! [`init_logging`] sets up JSON logs for CloudWatch. Nothing here logs request bodies, headers
//! or secrets: only methods, paths, statuses, ids and error messages.

pub mod http;
pub mod leases;
pub mod s3;
pub mod settings;
pub mod sqs;

use std::sync::Arc;

use genoflow_core::ports::{BlobStore, Queue, Table};
use tracing_subscriber::EnvFilter;

use crate::{
    DynamoTable, S3BlobStore, SqsQueue,
    config::{self, MissingSetting, Resources},
};

/// The adapters every function builds once at cold start, from the environment
/// (`GENOFLOW_BUCKET`, `GENOFLOW_TABLE`, `GENOFLOW_ANALYSIS_QUEUE_URL`,
/// `GENOFLOW_ANCHOR_QUEUE_URL`, optionally `GENOFLOW_VALIDATION_QUEUE_URL`, and the standard AWS
/// variables).
pub struct Adapters {
    /// The SDK configuration (for further clients, e.g. Secrets Manager).
    pub sdk: aws_config::SdkConfig,
    /// S3.
    pub blobs: Arc<dyn BlobStore>,
    /// DynamoDB.
    pub table: Arc<dyn Table>,
    /// SQS.
    pub queue: Arc<dyn Queue>,
}

impl Adapters {
    /// Loads the SDK configuration and builds the three adapters.
    ///
    /// # Errors
    /// [`MissingSetting`] naming the first unset `GENOFLOW_*` variable.
    pub async fn from_env() -> Result<Self, MissingSetting> {
        let resources = Resources::from_env()?;
        Ok(Self::new(config::load().await, &resources))
    }

    /// The three adapters over `resources` (tests and local runs name them themselves).
    pub fn new(sdk: aws_config::SdkConfig, resources: &Resources) -> Self {
        let mut queue = SqsQueue::new(
            &sdk,
            &resources.analysis_queue_url,
            &resources.anchor_queue_url,
        );
        if let Some(url) = &resources.validation_queue_url {
            queue = queue.with_validation_queue(url);
        }
        Self {
            blobs: Arc::new(S3BlobStore::new(&sdk, &resources.bucket)),
            table: Arc::new(DynamoTable::new(&sdk, &resources.table)),
            queue: Arc::new(queue),
            sdk,
        }
    }
}

impl Adapters {
    /// The ports of the HTTP route sets (`presign`, `api`): these adapters, the system clock and
    /// bearer tokens signed with the secret of [`settings::token_secret`].
    ///
    /// # Errors
    /// [`settings::SettingError`] when the token secret is missing, unreadable or short.
    pub async fn route_ports(
        &self,
    ) -> Result<genoflow_core::http::RoutePorts, settings::SettingError> {
        let secret = settings::token_secret(&self.sdk).await?;
        Ok(genoflow_core::http::RoutePorts {
            table: self.table.clone(),
            blobs: self.blobs.clone(),
            clock: Arc::new(genoflow_core::ports::SystemClock),
            tokens: Arc::new(genoflow_core::ports::HmacTokenSigner::new(secret)),
        })
    }
}

/// Installs a JSON log subscriber on stdout (one object per line: `timestamp`, `level`,
/// `fields`, `span`), at the level `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls)
/// or `RUST_LOG` names, `info` otherwise. A second call does nothing.
///
/// ```
/// genoflow_aws::lambda::init_logging();
/// tracing::info!(dataset_id = "d1", "validated");
/// ```
pub fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    let filter =
        EnvFilter::try_new(level.to_ascii_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"));
    // Already installed (a second call, or tests): keep the first.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_current_span(true)
        .with_span_list(false)
        .try_init();
}
