//! A Stacks node API client: account nonce, broadcast, transaction status and
//! read-only calls.
//!
//! Every request has a timeout. Transient failures (connection errors,
//! timeouts, HTTP 429, 500, 502, 503, 504) are retried a bounded number of times
//! with exponential backoff; anything else (a rejected transaction, a 404, a
//! malformed answer) is returned at once. A rejected broadcast becomes a
//! [`BroadcastRejection`] built from the node's `{error, reason, reason_data}`. What the answers
//! mean is `genoflow_stacks::node`'s: this module only carries them.
//!
//! ```no_run
//! use genoflow_node::{ClientConfig, NodeClient};
//! # async fn example(tx: genoflow_stacks::transaction::Transaction) -> Result<(), genoflow_node::NodeError> {
//! let client = NodeClient::new("http://127.0.0.1:20443", ClientConfig::default())?;
//! let nonce = client.account(&tx.sender().to_string()).await?.nonce;
//! let txid = client.broadcast(&tx).await?;
//! let status = client.transaction_status(&txid).await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use genoflow_stacks::clarity::{ClarityValue, Principal};
use genoflow_stacks::node::{self, AccountInfo, AnswerError, BroadcastRejection, TxStatus};
use genoflow_stacks::transaction::{ContractCall, Transaction};
use reqwest::StatusCode;
use serde_json::{Value, json};

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

    /// The node could not run the read-only call.
    #[error("read-only call {function} failed: {cause}")]
    ReadOnlyFailed {
        /// `contract.function`.
        function: String,
        /// The node's `cause`.
        cause: String,
    },
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
            .user_agent(concat!("genoflow-node/", env!("CARGO_PKG_VERSION")))
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
        AccountInfo::from_node_json(&body).map_err(|error| NodeError::BadResponse {
            url,
            reason: error.to_string(),
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
                rejection: BroadcastRejection::from_node_json(&body),
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
        TxStatus::from_api_json(&body).map_err(|error| NodeError::BadResponse {
            url,
            reason: error.to_string(),
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
        node::read_only_result(&answer).map_err(|error| match error {
            AnswerError::ReadOnlyFailed(cause) => NodeError::ReadOnlyFailed {
                function: format!("{}.{}", call.contract_id(), call.function_name),
                cause,
            },
            other => NodeError::BadResponse {
                url,
                reason: other.to_string(),
            },
        })
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

#[cfg(test)]
mod tests {
    use super::*;

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
