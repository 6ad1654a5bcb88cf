//! GenoFlow's AWS adapters: the ports of `genoflow-core` over S3 ([`S3BlobStore`]), DynamoDB
//! ([`DynamoTable`]) and SQS ([`SqsQueue`]), configured from the standard AWS environment.
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | the SDK configuration (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL` for emulators) and the resource names (`GENOFLOW_*`) |
//! | [`s3`] | [`BlobStore`](genoflow_core::ports::BlobStore): parallel ranged reads, presigned PUTs bound to length and SHA-256, multipart |
//! | [`dynamodb`] | [`Table`](genoflow_core::ports::Table): conditional writes, consistent reads, the owner index, nonces with a TTL |
//! | [`sqs`] | [`Queue`](genoflow_core::ports::Queue): JSON messages |
//! | [`emf`] | [`Metrics`](genoflow_core::ports::Metrics): business metrics as CloudWatch embedded metric format lines on stdout |
//! | [`setup`] | creates the bucket, table and queues, as the SAM template does (tests, local emulators) |
//! | [`lambda`] | Lambda event mapping: HTTP API requests and responses, S3 notifications, SQS partial batch responses; JSON logs; the functions' settings |
//!
//! The table design, key layout and environment are in `docs/AWS.md`.
//!
//! A function builds its adapters once at cold start:
//!
//! ```no_run
//! use std::sync::Arc;
//! use genoflow_aws::{DynamoTable, S3BlobStore, SqsQueue, config::{self, Resources}};
//! use genoflow_core::ports::{BlobStore, Queue, Table};
//!
//! # async fn cold_start() -> Result<(), Box<dyn std::error::Error>> {
//! let sdk = config::load().await;
//! let resources = Resources::from_env()?;
//! let blobs: Arc<dyn BlobStore> = Arc::new(S3BlobStore::new(&sdk, &resources.bucket));
//! let table: Arc<dyn Table> = Arc::new(DynamoTable::new(&sdk, &resources.table));
//! let queue: Arc<dyn Queue> = Arc::new(SqsQueue::new(&sdk, &resources.analysis_queue_url, &resources.anchor_queue_url));
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod config;
pub mod dynamodb;
pub mod emf;
pub mod lambda;
pub mod s3;
pub mod setup;
pub mod sqs;

pub use dynamodb::DynamoTable;
pub use s3::S3BlobStore;
pub use sqs::SqsQueue;

/// The service's error code and HTTP status of an SDK error (of any of the three clients: they
/// share the smithy runtime's types), and a one-line message: `code (HTTP status): message` for
/// a service's answer, the error and its sources otherwise (timeouts, connection failures). The
/// raw response is left out: these messages reach API clients in error bodies.
pub(crate) fn describe<E>(
    error: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> ServiceFailure
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
    let code = error.code().map(str::to_owned);
    let status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    let message = match error {
        SdkError::ServiceError(_) => format!(
            "{} (HTTP {}): {}",
            code.as_deref().unwrap_or("unrecognised error"),
            status.map_or_else(|| "?".to_owned(), |s| s.to_string()),
            error.message().unwrap_or("no message"),
        ),
        other => error_chain(other),
    };
    ServiceFailure {
        code,
        status,
        message,
    }
}

/// The error and its sources' `Display`, joined by `: ` (the SDK's own `Display` stops at
/// "dispatch failure", and its `DisplayErrorContext` appends a `Debug` dump).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// What [`describe`] found.
pub(crate) struct ServiceFailure {
    /// The service's error code (`NoSuchKey`, `ConditionalCheckFailedException`).
    pub(crate) code: Option<String>,
    /// The HTTP status, when a response arrived.
    pub(crate) status: Option<u16>,
    /// The error and its sources.
    pub(crate) message: String,
}

#[cfg(test)]
pub(crate) mod tests {
    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};

    use crate::{DynamoTable, S3BlobStore, SqsQueue};

    pub(crate) const SECRET: &str = "wJalrXUtnFEMI-not-a-real-secret-K7MDENG";

    /// A configuration with static credentials and an endpoint nothing listens on: enough for
    /// what is computed locally (presigning, `Debug`).
    pub(crate) fn offline_config() -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                SECRET,
                Some("session-token-secret".to_owned()),
                None,
                "test",
            )))
            .build()
    }

    #[test]
    fn adapters_never_print_the_secret_key() {
        let config = offline_config();
        let printed = format!(
            "{:?} {:?} {:?}",
            S3BlobStore::new(&config, "bucket"),
            DynamoTable::new(&config, "table"),
            SqsQueue::new(&config, "https://a", "https://b"),
        );
        assert!(printed.contains("bucket"), "{printed}");
        assert!(!printed.contains(SECRET), "{printed}");
        assert!(!printed.contains("session-token-secret"), "{printed}");
    }
}
