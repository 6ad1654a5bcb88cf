//! The functions' settings beyond the resource names ([`crate::config::Resources`]): the bearer
//! token secret and the Stacks network.
//!
//! | variable | what |
//! | --- | --- |
//! | `GENOFLOW_TOKEN_SECRET_ARN` | a Secrets Manager secret (ARN or name) whose `SecretString` is the token secret (the SAM template generates one) |
//! | `GENOFLOW_TOKEN_SECRET` | the token secret itself, when no ARN is set (local runs, `cargo lambda watch`) |
//! | `GENOFLOW_STACKS_NETWORK` | `mainnet` or `testnet` (the login domain's chain id and the addresses answered) |
//! | `GENOFLOW_TOKEN_TTL_SECONDS` | bearer token lifetime, default 3600 |
//! | `GENOFLOW_STACKS_NODE_URL` | the Stacks node API (anchor, oracle, the subscription gate, the api function's chain reads) |
//! | `GENOFLOW_REGISTRY_CONTRACT` | `ADDRESS.registry` (anchor; the api function reads the six contracts deployed next to it) |

use aws_config::SdkConfig;
use genoflow_core::ports::{HmacSecret, WeakSecret};
use genoflow_node::{ClientConfig, NodeClient};
use genoflow_stacks::{keys::PrivateKey, transaction::Network};

use crate::config::MissingSetting;

/// A Secrets Manager secret holding the token secret.
pub const TOKEN_SECRET_ARN_ENV: &str = "GENOFLOW_TOKEN_SECRET_ARN";
/// The token secret itself (when [`TOKEN_SECRET_ARN_ENV`] is unset).
pub const TOKEN_SECRET_ENV: &str = "GENOFLOW_TOKEN_SECRET";
/// `mainnet` or `testnet`.
pub const STACKS_NETWORK_ENV: &str = "GENOFLOW_STACKS_NETWORK";
/// The Stacks node API the anchor, oracle and presign (subscription gate) functions use.
pub const STACKS_NODE_URL_ENV: &str = "GENOFLOW_STACKS_NODE_URL";
/// The registry contract, `ADDRESS.registry`.
pub const REGISTRY_CONTRACT_ENV: &str = "GENOFLOW_REGISTRY_CONTRACT";
/// Bearer token lifetime in seconds.
pub const TOKEN_TTL_ENV: &str = "GENOFLOW_TOKEN_TTL_SECONDS";
/// The default bearer token lifetime.
pub const DEFAULT_TOKEN_TTL: time::Duration = time::Duration::hours(1);

/// A setting that is missing or wrong. Prints as its message under `Debug` too (what a
/// function's `main` shows when its cold start returns it).
#[derive(thiserror::Error)]
pub enum SettingError {
    /// Unset.
    #[error(transparent)]
    Missing(#[from] MissingSetting),
    /// Set to something unusable.
    #[error("{name}={value:?} is not valid: {expected}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value (never a secret's).
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// The secret is too short.
    #[error("the token secret from {source_name}: {error}")]
    WeakSecret {
        /// Where it came from.
        source_name: String,
        /// Why it is refused.
        error: WeakSecret,
    },
    /// Secrets Manager refused or failed.
    #[error(
        "could not read the secret {secret_id} from Secrets Manager: {message} (the function's role needs secretsmanager:GetSecretValue on it: the template grants it on the ARN its parameter names, so pass the secret's full ARN, not its name)"
    )]
    SecretsManager {
        /// The secret's ARN or name.
        secret_id: String,
        /// The service's message.
        message: String,
    },
}

impl std::fmt::Debug for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// The bearer token secret: from Secrets Manager when `GENOFLOW_TOKEN_SECRET_ARN` is set (its
/// `SecretString`'s bytes), else `GENOFLOW_TOKEN_SECRET`'s bytes; at least 32 bytes. Read once
/// at cold start.
///
/// # Errors
/// [`SettingError`]: neither variable set, Secrets Manager failing, or a short secret.
pub async fn token_secret(sdk: &SdkConfig) -> Result<HmacSecret, SettingError> {
    let (text, source_name) = secret_text(
        sdk,
        TOKEN_SECRET_ARN_ENV,
        TOKEN_SECRET_ENV,
        "bearer token secret (or set GENOFLOW_TOKEN_SECRET_ARN to a Secrets Manager secret)",
    )
    .await?;
    HmacSecret::new(text.into_bytes())
        .map_err(|error| SettingError::WeakSecret { source_name, error })
}

/// A secp256k1 signing key (64 hex digits, or 66 with the `01` compressed suffix): from Secrets
/// Manager when `arn_env` names a secret, else from `value_env` (local runs). Read once at cold
/// start; the key never appears in errors or logs.
///
/// # Errors
/// [`SettingError`]: neither variable set, Secrets Manager failing, or not a key.
pub async fn signing_key(
    sdk: &SdkConfig,
    arn_env: &'static str,
    value_env: &'static str,
    what: &'static str,
) -> Result<PrivateKey, SettingError> {
    let (text, source_name) = secret_text(sdk, arn_env, value_env, what).await?;
    PrivateKey::from_hex(text.trim()).map_err(|_| SettingError::Invalid {
        name: value_env,
        value: format!("(the secret from {source_name}, not shown)"),
        expected: "a secp256k1 private key in hex (64 digits, or 66 ending in 01)",
    })
}

/// The text of a secret and where it came from: the `SecretString` of the Secrets Manager
/// secret `arn_env` names, else `value_env`'s value.
async fn secret_text(
    sdk: &SdkConfig,
    arn_env: &'static str,
    value_env: &'static str,
    what: &'static str,
) -> Result<(String, String), SettingError> {
    if let Some(secret_id) = non_empty_env(arn_env) {
        let client = aws_sdk_secretsmanager::Client::new(sdk);
        let answer = client
            .get_secret_value()
            .secret_id(&secret_id)
            .send()
            .await
            .map_err(|error| SettingError::SecretsManager {
                secret_id: secret_id.clone(),
                message: crate::describe(&error).message,
            })?;
        let text = answer.secret_string().map(str::to_owned).ok_or_else(|| {
            SettingError::SecretsManager {
                secret_id: secret_id.clone(),
                message: "the secret has no SecretString (binary secrets are not supported)"
                    .to_owned(),
            }
        })?;
        return Ok((text, secret_id));
    }
    let text = non_empty_env(value_env).ok_or(MissingSetting {
        name: value_env,
        what,
    })?;
    Ok((text, value_env.to_owned()))
}

/// The Stacks node API of `GENOFLOW_STACKS_NODE_URL`; `None` when unset (the functions then sign
/// and keep their transactions).
///
/// # Errors
/// [`SettingError::Invalid`] for a URL the client refuses.
pub fn stacks_node() -> Result<Option<NodeClient>, SettingError> {
    stacks_node_with(ClientConfig::default())
}

/// The client the api function reads the chain with: an HTTP request answers within API
/// Gateway's 30 s, so a node that is down is reported after about 7 s (2 s to connect, two
/// attempts) rather than after the broadcasting functions' patient retries.
pub fn read_client_config() -> ClientConfig {
    ClientConfig {
        timeout: std::time::Duration::from_secs(5),
        connect_timeout: std::time::Duration::from_secs(2),
        max_retries: 1,
        ..ClientConfig::default()
    }
}

/// [`stacks_node`] with `config`'s timeouts and retries.
///
/// # Errors
/// [`SettingError::Invalid`] for a URL the client refuses.
pub fn stacks_node_with(config: ClientConfig) -> Result<Option<NodeClient>, SettingError> {
    let Some(url) = non_empty_env(STACKS_NODE_URL_ENV) else {
        return Ok(None);
    };
    NodeClient::new(&url, config)
        .map(Some)
        .map_err(|_| SettingError::Invalid {
            name: STACKS_NODE_URL_ENV,
            value: url,
            expected: "http://host:port or https://host",
        })
}

/// An optional setting (`None` when unset or empty).
pub fn optional(name: &str) -> Option<String> {
    non_empty_env(name)
}

/// A whole number setting, `default` when unset.
///
/// # Errors
/// [`SettingError::Invalid`] when set to something else.
pub fn number(name: &'static str, default: u64) -> Result<u64, SettingError> {
    match non_empty_env(name) {
        None => Ok(default),
        Some(value) => value.parse().map_err(|_| SettingError::Invalid {
            name,
            value,
            expected: "a whole number",
        }),
    }
}

/// The Stacks network of `GENOFLOW_STACKS_NETWORK`.
///
/// # Errors
/// [`SettingError`] when unset or neither `mainnet` nor `testnet`.
pub fn stacks_network() -> Result<Network, SettingError> {
    let value = non_empty_env(STACKS_NETWORK_ENV).ok_or(MissingSetting {
        name: STACKS_NETWORK_ENV,
        what: "Stacks network (mainnet or testnet)",
    })?;
    parse_network(&value)
}

/// `mainnet` or `testnet`, any case.
///
/// ```
/// use genoflow_aws::lambda::settings::parse_network;
/// use genoflow_stacks::transaction::Network;
/// assert_eq!(parse_network("Testnet").unwrap(), Network::Testnet);
/// assert!(parse_network("devnet").is_err());
/// ```
///
/// # Errors
/// [`SettingError::Invalid`].
pub fn parse_network(value: &str) -> Result<Network, SettingError> {
    match value.to_ascii_lowercase().as_str() {
        "mainnet" => Ok(Network::Mainnet),
        "testnet" => Ok(Network::Testnet),
        _ => Err(SettingError::Invalid {
            name: STACKS_NETWORK_ENV,
            value: value.to_owned(),
            expected: "mainnet or testnet",
        }),
    }
}

/// The token lifetime of `GENOFLOW_TOKEN_TTL_SECONDS`, [`DEFAULT_TOKEN_TTL`] when unset.
///
/// # Errors
/// [`SettingError::Invalid`] unless 60 to 86400 seconds.
pub fn token_ttl() -> Result<time::Duration, SettingError> {
    match non_empty_env(TOKEN_TTL_ENV) {
        None => Ok(DEFAULT_TOKEN_TTL),
        Some(value) => value
            .parse::<i64>()
            .ok()
            .filter(|seconds| (60..=86_400).contains(seconds))
            .map(time::Duration::seconds)
            .ok_or(SettingError::Invalid {
                name: TOKEN_TTL_ENV,
                value,
                expected: "whole seconds from 60 to 86400",
            }),
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}
