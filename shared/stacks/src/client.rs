//! A Stacks node API client: account nonce, broadcast, transaction status and
//! read-only calls.
//!
//! Every request has a timeout. Transient failures (connection errors,
//! timeouts, HTTP 429, 500, 502, 503, 504) are retried a bounded number of times
//! with exponential backoff; anything else (a rejected transaction, a 404, a
//! malformed answer) is returned at once. A rejected broadcast becomes a
//! [`BroadcastRejection`] built from the node's `{error, reason, reason_data}`.
//!
//! ```no_run
//! use genoflow_stacks::client::{ClientConfig, NodeClient};
//! # async fn example(tx: genoflow_stacks::transaction::Transaction) -> Result<(), genoflow_stacks::client::NodeError> {
//! let client = NodeClient::new("http://127.0.0.1:20443", ClientConfig::default())?;
//! let nonce = client.account(&tx.sender().to_string()).await?.nonce;
//! let txid = client.broadcast(&tx).await?;
//! let status = client.transaction_status(&txid).await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::clarity::{ClarityError, ClarityValue, Principal};
use crate::transaction::{ContractCall, Transaction};

/// Timeouts and retry policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Retries after the first attempt, for transient failures only.
    pub max_retries: u32,
    /// Wait before the first retry; doubled each time.
    pub initial_backoff: Duration,
    /// Longest wait between retries.
    pub max_backoff: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            max_retries: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
        }
    }
}

/// Why the node refused a transaction (`reason` of its 400 answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastRejection {
    /// The nonce is not the account's next one.
    BadNonce {
        /// Nonce the node expected.
        expected: u64,
        /// Nonce the transaction had.
        actual: u64,
    },
    /// The fee is below the node's minimum.
    FeeTooLow {
        /// Minimum fee.
        expected: u64,
        /// Fee offered.
        actual: u64,
    },
    /// The sender cannot pay the fee plus the amount.
    NotEnoughFunds {
        /// Micro-STX needed.
        expected: u128,
        /// Micro-STX available.
        actual: u128,
    },
    /// The signature is invalid (wrong key, high-S, ...).
    SignatureValidation {
        /// The node's explanation.
        message: String,
    },
    /// Another transaction with this nonce is already in the mempool.
    ConflictingNonceInMempool,
    /// Too many unconfirmed transactions from this sender.
    TooMuchChaining,
    /// The called contract does not exist.
    NoSuchContract,
    /// The called function does not exist or is not public.
    NoSuchPublicFunction,
    /// An argument does not match the function's signature.
    BadFunctionArgument {
        /// The node's explanation.
        message: String,
    },
    /// Any other reason, as the node gave it.
    Other {
        /// `reason`.
        reason: String,
        /// `reason_data`, if any.
        reason_data: Option<Value>,
    },
}

impl std::fmt::Display for BroadcastRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadNonce { expected, actual } => write!(
                f,
                "bad nonce: the node expected {expected}, the transaction has {actual}"
            ),
            Self::FeeTooLow { expected, actual } => write!(
                f,
                "fee too low: at least {expected} micro-STX needed, {actual} offered"
            ),
            Self::NotEnoughFunds { expected, actual } => {
                write!(
                    f,
                    "not enough funds: {expected} micro-STX needed, {actual} available"
                )
            }
            Self::SignatureValidation { message } => {
                write!(f, "signature validation failed: {message}")
            }
            Self::ConflictingNonceInMempool => {
                f.write_str("another transaction with this nonce is in the mempool")
            }
            Self::TooMuchChaining => {
                f.write_str("too many unconfirmed transactions from this sender")
            }
            Self::NoSuchContract => f.write_str("no such contract"),
            Self::NoSuchPublicFunction => f.write_str("no such public function"),
            Self::BadFunctionArgument { message } => write!(f, "bad function argument: {message}"),
            Self::Other {
                reason,
                reason_data: Some(data),
            } => write!(f, "{reason}: {data}"),
            Self::Other {
                reason,
                reason_data: None,
            } => f.write_str(reason),
        }
    }
}

/// Why a node request failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The configured URL is not an absolute http(s) URL.
    #[error("invalid node URL {0:?}: expected http://host:port or https://host")]
    BadUrl(String),
    /// The HTTP client could not be built (TLS set-up).
    #[error("could not set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// Connection failure or timeout, after all retries.
    #[error("request to {url} failed after {attempts} attempt(s): {source}")]
    Transport {
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        #[source]
        source: reqwest::Error,
    },
    /// A non-success status that is not a rejection (after retries if transient).
    #[error("{url} answered HTTP {status} after {attempts} attempt(s): {body}")]
    Http {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The start of the body.
        body: String,
    },
    /// The node refused the transaction.
    #[error("the node rejected transaction {txid}: {rejection}")]
    Rejected {
        /// Hex txid of the refused transaction.
        txid: String,
        /// Why.
        rejection: BroadcastRejection,
    },
    /// The answer could not be understood.
    #[error("unexpected answer from {url}: {reason}")]
    BadResponse {
        /// The URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The result of a read-only call is not a Clarity value.
    #[error("the read-only call returned an undecodable value: {0}")]
    BadValue(#[from] ClarityError),
    /// The node could not run the read-only call.
    #[error("read-only call {function} failed: {cause}")]
    ReadOnlyFailed {
        /// `contract.function`.
        function: String,
        /// The node's `cause`.
        cause: String,
    },
}

/// An account's balance and next nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// Unlocked balance in micro-STX.
    pub balance: u128,
    /// Locked (stacked) micro-STX.
    pub locked: u128,
    /// The nonce the next transaction must use.
    pub nonce: u64,
}

/// Why a transaction left the mempool without being mined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// Replaced by a higher-fee transaction with the same nonce.
    ReplaceByFee,
    /// Replaced across a fork.
    ReplaceAcrossFork,
    /// Too expensive to mine.
    TooExpensive,
    /// Garbage-collected as stale.
    StaleGarbageCollect,
    /// Marked problematic by the miner.
    Problematic,
    /// A `dropped_*` status this client does not know.
    Other(String),
}

/// A transaction's state, as the Stacks API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxStatus {
    /// Unknown to the API (not yet seen, or never broadcast).
    NotFound,
    /// In the mempool.
    Pending,
    /// Mined with an `(ok ...)` result.
    Success {
        /// Block height, when given.
        block_height: Option<u64>,
        /// The result value, when given.
        result: Option<ClarityValue>,
    },
    /// Mined, but the function returned `(err ...)`: state changes were rolled back.
    AbortByResponse {
        /// Block height, when given.
        block_height: Option<u64>,
        /// The result value, when given.
        result: Option<ClarityValue>,
    },
    /// Mined, but a post-condition failed.
    AbortByPostCondition {
        /// Block height, when given.
        block_height: Option<u64>,
    },
    /// Dropped from the mempool; it will not be mined.
    Dropped(DropReason),
}

/// A client for one Stacks node (and the Stacks API at the same base URL).
#[derive(Debug, Clone)]
pub struct NodeClient {
    http: reqwest::Client,
    base_url: String,
    config: ClientConfig,
}

enum Attempt {
    Done(reqwest::Response),
    Retry(NodeError),
}

impl NodeClient {
    /// A client for the node at `base_url` (e.g. `http://127.0.0.1:20443`).
    ///
    /// # Errors
    /// [`NodeError::BadUrl`] or [`NodeError::Client`].
    pub fn new(base_url: &str, config: ClientConfig) -> Result<Self, NodeError> {
        let trimmed = base_url.trim_end_matches('/');
        let parsed =
            reqwest::Url::parse(trimmed).map_err(|_| NodeError::BadUrl(base_url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(NodeError::BadUrl(base_url.to_owned()));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("genoflow-stacks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(NodeError::Client)?;
        Ok(Self {
            http,
            base_url: trimmed.to_owned(),
            config,
        })
    }

    fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(16));
        self.config
            .initial_backoff
            .saturating_mul(factor)
            .min(self.config.max_backoff)
    }

    /// Sends a request, retrying transient failures. Non-transient HTTP errors
    /// are returned as responses for the caller to interpret.
    async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        url: &str,
    ) -> Result<reqwest::Response, NodeError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let attempt = match build().send().await {
                Ok(response) if is_transient_status(response.status()) => {
                    let status = response.status().as_u16();
                    let body = body_excerpt(response).await;
                    Attempt::Retry(NodeError::Http {
                        url: url.to_owned(),
                        status,
                        attempts,
                        body,
                    })
                }
                Ok(response) => Attempt::Done(response),
                Err(source) => Attempt::Retry(NodeError::Transport {
                    url: url.to_owned(),
                    attempts,
                    source,
                }),
            };
            match attempt {
                Attempt::Done(response) => return Ok(response),
                Attempt::Retry(error) if attempts > self.config.max_retries => return Err(error),
                Attempt::Retry(error) => {
                    let wait = self.backoff(attempts - 1);
                    tracing::warn!(%url, attempt = attempts, ?wait, %error, "transient Stacks node failure; retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn get_json(&self, path: &str) -> Result<(StatusCode, Value), NodeError> {
        let url = format!("{}{path}", self.base_url);
        let response = self.send(|| self.http.get(&url), &url).await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok((status, Value::Null));
        }
        if !status.is_success() {
            return Err(NodeError::Http {
                url,
                status: status.as_u16(),
                attempts: 1,
                body: body_excerpt(response).await,
            });
        }
        let value = response
            .json()
            .await
            .map_err(|error| NodeError::BadResponse {
                url,
                reason: error.to_string(),
            })?;
        Ok((status, value))
    }

    /// Balance and next nonce of `principal` (`GET /v2/accounts/{principal}?proof=0`).
    ///
    /// # Errors
    /// Transport, HTTP or parse failures.
    pub async fn account(&self, principal: &str) -> Result<AccountInfo, NodeError> {
        let path = format!("/v2/accounts/{principal}?proof=0");
        let url = format!("{}{path}", self.base_url);
        let (status, body) = self.get_json(&path).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(NodeError::Http {
                url,
                status: 404,
                attempts: 1,
                body: String::new(),
            });
        }
        #[derive(Deserialize)]
        struct Account {
            balance: String,
            #[serde(default)]
            locked: Option<String>,
            nonce: u64,
        }
        let account: Account =
            serde_json::from_value(body).map_err(|error| NodeError::BadResponse {
                url: url.clone(),
                reason: error.to_string(),
            })?;
        let amount = |text: &str| {
            parse_amount(&Value::String(text.to_owned())).ok_or_else(|| NodeError::BadResponse {
                url: url.clone(),
                reason: format!("balance {text:?} is not a number"),
            })
        };
        Ok(AccountInfo {
            balance: amount(&account.balance)?,
            locked: account
                .locked
                .as_deref()
                .map(amount)
                .transpose()?
                .unwrap_or(0),
            nonce: account.nonce,
        })
    }

    /// Broadcasts a signed transaction (`POST /v2/transactions`, octet-stream)
    /// and returns its txid.
    ///
    /// # Errors
    /// [`NodeError::Rejected`] with the node's reason, or transport/HTTP failures.
    pub async fn broadcast(&self, transaction: &Transaction) -> Result<[u8; 32], NodeError> {
        let url = format!("{}/v2/transactions", self.base_url);
        let bytes = transaction.serialize();
        let txid = transaction.txid();
        let response = self
            .send(
                || {
                    self.http
                        .post(&url)
                        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                        .body(bytes.clone())
                },
                &url,
            )
            .await?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| NodeError::BadResponse {
                url: url.clone(),
                reason: error.to_string(),
            })?;
        if status.is_success() {
            // The node answers with the txid as a JSON string.
            let answered = text.trim().trim_matches('"').trim_start_matches("0x");
            if answered != hex::encode(txid) {
                return Err(NodeError::BadResponse {
                    url,
                    reason: format!(
                        "node answered txid {answered:?}, expected {}",
                        hex::encode(txid)
                    ),
                });
            }
            return Ok(txid);
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(body) if body.get("reason").is_some() => Err(NodeError::Rejected {
                txid: hex::encode(txid),
                rejection: rejection(&body),
            }),
            _ => Err(NodeError::Http {
                url,
                status: status.as_u16(),
                attempts: 1,
                body: excerpt(&text),
            }),
        }
    }

    /// Status of a transaction (`GET /extended/v1/tx/0x{txid}` of the Stacks API).
    ///
    /// # Errors
    /// Transport, HTTP or parse failures; an unknown txid is [`TxStatus::NotFound`].
    pub async fn transaction_status(&self, txid: &[u8; 32]) -> Result<TxStatus, NodeError> {
        let path = format!("/extended/v1/tx/0x{}", hex::encode(txid));
        let url = format!("{}{path}", self.base_url);
        let (status, body) = self.get_json(&path).await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(TxStatus::NotFound);
        }
        let tx_status = body["tx_status"]
            .as_str()
            .ok_or_else(|| NodeError::BadResponse {
                url: url.clone(),
                reason: "no tx_status field".to_owned(),
            })?;
        let block_height = body["block_height"].as_u64();
        let result = match body["tx_result"]["hex"].as_str() {
            Some(hex) => Some(ClarityValue::from_hex(hex)?),
            None => None,
        };
        Ok(match tx_status {
            "pending" => TxStatus::Pending,
            "success" => TxStatus::Success {
                block_height,
                result,
            },
            "abort_by_response" => TxStatus::AbortByResponse {
                block_height,
                result,
            },
            "abort_by_post_condition" => TxStatus::AbortByPostCondition { block_height },
            "dropped_replace_by_fee" => TxStatus::Dropped(DropReason::ReplaceByFee),
            "dropped_replace_across_fork" => TxStatus::Dropped(DropReason::ReplaceAcrossFork),
            "dropped_too_expensive" => TxStatus::Dropped(DropReason::TooExpensive),
            "dropped_stale_garbage_collect" => TxStatus::Dropped(DropReason::StaleGarbageCollect),
            "dropped_problematic" => TxStatus::Dropped(DropReason::Problematic),
            other if other.starts_with("dropped_") => {
                TxStatus::Dropped(DropReason::Other(other.to_owned()))
            }
            other => {
                return Err(NodeError::BadResponse {
                    url,
                    reason: format!("unknown tx_status {other:?}"),
                });
            }
        })
    }

    /// Runs a read-only function (`POST /v2/contracts/call-read/{address}/{contract}/{function}`)
    /// as `sender` and returns its result.
    ///
    /// # Errors
    /// [`NodeError::ReadOnlyFailed`] when the node could not run it, or transport/HTTP/parse failures.
    pub async fn call_read_only(
        &self,
        call: &ContractCall,
        sender: &Principal,
    ) -> Result<ClarityValue, NodeError> {
        let url = format!(
            "{}/v2/contracts/call-read/{}/{}/{}",
            self.base_url, call.contract_address, call.contract_name, call.function_name
        );
        let body = json!({
            "sender": sender.to_string(),
            "arguments": call.args.iter().map(|arg| format!("0x{}", arg.to_hex())).collect::<Vec<_>>(),
        });
        let response = self.send(|| self.http.post(&url).json(&body), &url).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(NodeError::Http {
                url,
                status: status.as_u16(),
                attempts: 1,
                body: body_excerpt(response).await,
            });
        }
        let answer: Value = response
            .json()
            .await
            .map_err(|error| NodeError::BadResponse {
                url: url.clone(),
                reason: error.to_string(),
            })?;
        match (answer["okay"].as_bool(), answer["result"].as_str()) {
            (Some(true), Some(result)) => Ok(ClarityValue::from_hex(result)?),
            (Some(false), _) => Err(NodeError::ReadOnlyFailed {
                function: format!("{}.{}", call.contract_id(), call.function_name),
                cause: answer["cause"]
                    .as_str()
                    .unwrap_or("no cause given")
                    .to_owned(),
            }),
            _ => Err(NodeError::BadResponse {
                url,
                reason: "expected {okay, result}".to_owned(),
            }),
        }
    }
}

fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

fn excerpt(text: &str) -> String {
    text.chars().take(300).collect()
}

async fn body_excerpt(response: reqwest::Response) -> String {
    response
        .text()
        .await
        .map(|text| excerpt(&text))
        .unwrap_or_default()
}

/// A JSON amount: a number, a decimal string or a `0x` hex string.
fn parse_amount(value: &Value) -> Option<u128> {
    match value {
        Value::Number(number) => number.as_u64().map(u128::from),
        Value::String(text) => match text.strip_prefix("0x") {
            Some(hex) => u128::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        },
        _ => None,
    }
}

/// Turns the node's `{error, reason, reason_data}` into a [`BroadcastRejection`].
fn rejection(body: &Value) -> BroadcastRejection {
    let reason = body["reason"].as_str().unwrap_or_default();
    let data = &body["reason_data"];
    let number = |field: &str| parse_amount(&data[field]);
    let message = || {
        data["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| data.to_string())
    };
    let typed = match reason {
        "BadNonce" => number("expected")
            .zip(number("actual"))
            .and_then(|(expected, actual)| {
                Some(BroadcastRejection::BadNonce {
                    expected: u64::try_from(expected).ok()?,
                    actual: u64::try_from(actual).ok()?,
                })
            }),
        "FeeTooLow" => number("expected")
            .zip(number("actual"))
            .and_then(|(expected, actual)| {
                Some(BroadcastRejection::FeeTooLow {
                    expected: u64::try_from(expected).ok()?,
                    actual: u64::try_from(actual).ok()?,
                })
            }),
        "NotEnoughFunds" => number("expected")
            .zip(number("actual"))
            .map(|(expected, actual)| BroadcastRejection::NotEnoughFunds { expected, actual }),
        "SignatureValidation" => {
            Some(BroadcastRejection::SignatureValidation { message: message() })
        }
        "ConflictingNonceInMempool" => Some(BroadcastRejection::ConflictingNonceInMempool),
        "TooMuchChaining" => Some(BroadcastRejection::TooMuchChaining),
        "NoSuchContract" => Some(BroadcastRejection::NoSuchContract),
        "NoSuchPublicFunction" => Some(BroadcastRejection::NoSuchPublicFunction),
        "BadFunctionArgument" => {
            Some(BroadcastRejection::BadFunctionArgument { message: message() })
        }
        _ => None,
    };
    typed.unwrap_or_else(|| BroadcastRejection::Other {
        reason: reason.to_owned(),
        reason_data: (!data.is_null()).then(|| data.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_are_typed() {
        let bad_nonce = json!({"error": "transaction rejected", "reason": "BadNonce", "reason_data": {"expected": 5, "actual": 3, "is_origin": true, "principal": true}});
        assert_eq!(
            rejection(&bad_nonce),
            BroadcastRejection::BadNonce {
                expected: 5,
                actual: 3
            }
        );
        let funds = json!({"error": "transaction rejected", "reason": "NotEnoughFunds", "reason_data": {"expected": "0x0100", "actual": "0x0a"}});
        assert_eq!(
            rejection(&funds),
            BroadcastRejection::NotEnoughFunds {
                expected: 256,
                actual: 10
            }
        );
        let other = json!({"error": "transaction rejected", "reason": "EstimatorError"});
        assert_eq!(
            rejection(&other),
            BroadcastRejection::Other {
                reason: "EstimatorError".to_owned(),
                reason_data: None
            }
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let client =
            NodeClient::new("http://127.0.0.1:1", ClientConfig::default()).expect("client");
        assert_eq!(client.backoff(0), Duration::from_millis(250));
        assert_eq!(client.backoff(2), Duration::from_secs(1));
        assert_eq!(client.backoff(10), Duration::from_secs(4));
    }

    #[test]
    fn bad_urls_are_refused() {
        assert!(matches!(
            NodeClient::new("localhost:20443", ClientConfig::default()),
            Err(NodeError::BadUrl(_))
        ));
        assert!(matches!(
            NodeClient::new("ftp://node", ClientConfig::default()),
            Err(NodeError::BadUrl(_))
        ));
    }
}
