//! The SDK configuration and the names of GenoFlow's resources, both from the environment.
//!
//! The SDK reads the standard variables: `AWS_REGION`, the credential chain (`AWS_ACCESS_KEY_ID`
//! / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, profiles, web identity, the Lambda
//! execution role), and `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`, `_DYNAMODB`, `_SQS`) to
//! talk to a local emulator. The resources are named by [`Resources::from_env`].

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// The bucket of uploads, quarantine and results.
pub const BUCKET_ENV: &str = "GENOFLOW_BUCKET";
/// The DynamoDB table.
pub const TABLE_ENV: &str = "GENOFLOW_TABLE";
/// The URL of the analysis queue.
pub const ANALYSIS_QUEUE_URL_ENV: &str = "GENOFLOW_ANALYSIS_QUEUE_URL";
/// The URL of the anchor queue.
pub const ANCHOR_QUEUE_URL_ENV: &str = "GENOFLOW_ANCHOR_QUEUE_URL";
/// The URL of the validation queue (optional: the sweeper re-drives stuck validations through
/// it, and the validate function consumes it beside S3's notifications).
pub const VALIDATION_QUEUE_URL_ENV: &str = "GENOFLOW_VALIDATION_QUEUE_URL";

/// A missing or empty setting. It prints as its message under `Debug` too: a function's
/// `main` returning it at cold start shows the variable and how to set it, not a struct.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the environment variable {name} is not set (or empty): it is the {what}. {how}",
    how = how_to_set(.name)
)]
pub struct MissingSetting {
    /// The variable.
    pub name: &'static str,
    /// What it names.
    pub what: &'static str,
}

impl std::fmt::Debug for MissingSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// How a function's variable gets its value on AWS (the SAM template parameter behind it) and
/// in a local run, for the cold start's error message.
///
/// ```
/// use genoflow_aws::config::how_to_set;
/// assert!(how_to_set("GENOFLOW_REGISTRY_CONTRACT").contains("RegistryContract"));
/// ```
pub fn how_to_set(name: &str) -> &'static str {
    match name {
        "GENOFLOW_REGISTRY_CONTRACT" => {
            "On AWS it comes from the template parameter RegistryContract (`sam deploy --parameter-overrides RegistryContract=ADDRESS.registry`, infra/README.md); locally, set it to ADDRESS.registry."
        }
        "GENOFLOW_SIGNER_KEY" | "GENOFLOW_SIGNER_KEY_SECRET_ARN" => {
            "On AWS, store the key in Secrets Manager and deploy with its ARN as the template parameter AnchorKeySecretArn (infra/README.md, \"First deploy\"), which sets GENOFLOW_SIGNER_KEY_SECRET_ARN; locally, set GENOFLOW_SIGNER_KEY to the key in hex."
        }
        "GENOFLOW_ORACLE_CONTRACT" => {
            "On AWS it comes from the template parameter OracleContract (ADDRESS.oracle; the oracle function exists only when it and OracleKeySecretArn are set); locally, set it to ADDRESS.oracle."
        }
        "GENOFLOW_ORACLE_KEY" | "GENOFLOW_ORACLE_KEY_SECRET_ARN" => {
            "On AWS, store the key in Secrets Manager and deploy with its ARN as the template parameter OracleKeySecretArn, which sets GENOFLOW_ORACLE_KEY_SECRET_ARN; locally, set GENOFLOW_ORACLE_KEY to the key in hex."
        }
        "GENOFLOW_TOKEN_SECRET" | "GENOFLOW_TOKEN_SECRET_ARN" => {
            "On AWS the template generates the secret and sets GENOFLOW_TOKEN_SECRET_ARN; locally, set GENOFLOW_TOKEN_SECRET to at least 32 random characters."
        }
        "GENOFLOW_STACKS_NETWORK" => {
            "On AWS it comes from the template parameter StacksNetwork; locally, set it to testnet or mainnet."
        }
        _ => {
            "On AWS the SAM template (infra/template.yaml) sets it for every function: redeploy the stack rather than editing the function; locally, copy infra/local.env.example (infra/README.md, \"Local recipe\")."
        }
    }
}

/// The names of GenoFlow's resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resources {
    /// The bucket.
    pub bucket: String,
    /// The table.
    pub table: String,
    /// The analysis queue's URL.
    pub analysis_queue_url: String,
    /// The anchor queue's URL.
    pub anchor_queue_url: String,
    /// The validation queue's URL, when there is one ([`VALIDATION_QUEUE_URL_ENV`]).
    pub validation_queue_url: Option<String>,
}

impl Resources {
    /// Reads [`BUCKET_ENV`], [`TABLE_ENV`], [`ANALYSIS_QUEUE_URL_ENV`] and
    /// [`ANCHOR_QUEUE_URL_ENV`].
    ///
    /// # Errors
    /// [`MissingSetting`] naming the first variable that is unset or empty.
    pub fn from_env() -> Result<Self, MissingSetting> {
        Ok(Self {
            bucket: required_env(BUCKET_ENV, "S3 bucket name")?,
            table: required_env(TABLE_ENV, "DynamoDB table name")?,
            analysis_queue_url: required_env(ANALYSIS_QUEUE_URL_ENV, "analysis SQS queue URL")?,
            anchor_queue_url: required_env(ANCHOR_QUEUE_URL_ENV, "anchor SQS queue URL")?,
            validation_queue_url: std::env::var(VALIDATION_QUEUE_URL_ENV)
                .ok()
                .filter(|url| !url.is_empty()),
        })
    }
}

/// The value of `name`, which must be set and non-empty; `what` says what it names in the error.
///
/// ```
/// use genoflow_aws::config::required_env;
/// let error = required_env("GENOFLOW_SURELY_UNSET", "thing").unwrap_err();
/// assert!(error.to_string().contains("GENOFLOW_SURELY_UNSET"));
/// ```
///
/// # Errors
/// [`MissingSetting`].
pub fn required_env(name: &'static str, what: &'static str) -> Result<String, MissingSetting> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .ok_or(MissingSetting { name, what })
}

/// The SDK configuration from the environment, over an HTTPS client on rustls with ring (the
/// SDK's default client would build aws-lc; ring is already in the tree).
pub async fn load() -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .load()
        .await
}

/// Whether S3 must be addressed by path (`http://host/bucket/key`): with an endpoint override,
/// as emulators have no per-bucket host names.
pub(crate) fn s3_uses_path_style(config: &SdkConfig) -> bool {
    config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
}
