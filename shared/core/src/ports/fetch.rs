use async_trait::async_trait;

/// An HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchResponse {
    /// The status code.
    pub status: u16,
    /// The body (at most [`MAX_FETCH_BYTES`]).
    pub body: Vec<u8>,
}

/// The largest body a fetch reads: external records are small; anything bigger is refused
/// rather than buffered.
pub const MAX_FETCH_BYTES: usize = 4 << 20;

/// A fetch that got no answer (DNS, connection, timeout, a body over the limit).
#[derive(Debug, thiserror::Error)]
#[error("GET {url} failed: {message}")]
pub struct FetchError {
    /// The URL.
    pub url: String,
    /// Why.
    pub message: String,
}

/// HTTP GETs to external sources (the oracle's), so tests can answer them.
#[async_trait]
pub trait HttpFetcher: Send + Sync {
    /// GETs `url`.
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError>;
}

/// The adapter over `reqwest` (timeouts are the client's).
#[async_trait]
impl HttpFetcher for reqwest::Client {
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
        let failed = |message: String| FetchError {
            url: url.to_owned(),
            message,
        };
        let mut response = reqwest::Client::get(self, url)
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
