//! The [`HttpFetcher`] port over `reqwest`: the oracle's GETs to external sources.

use std::time::Duration;

use async_trait::async_trait;
use genoflow_core::ports::{FetchError, FetchResponse, HttpFetcher, MAX_FETCH_BYTES};

/// GETs with a whole-request timeout, bodies capped at [`MAX_FETCH_BYTES`].
///
/// ```
/// let fetcher = genoflow_node::WebFetcher::new(std::time::Duration::from_secs(10))?;
/// # Ok::<(), reqwest::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct WebFetcher {
    http: reqwest::Client,
}

impl WebFetcher {
    /// A fetcher whose requests give up after `timeout`.
    ///
    /// # Errors
    /// The HTTP client could not be built (TLS set-up).
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("genoflow/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http })
    }
}

#[async_trait]
impl HttpFetcher for WebFetcher {
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
        let failed = |message: String| FetchError {
            url: url.to_owned(),
            message,
        };
        let mut response = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
            if body.len() + chunk.len() > MAX_FETCH_BYTES {
                return Err(failed(format!("the body is over {MAX_FETCH_BYTES} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchResponse { status, body })
    }
}
