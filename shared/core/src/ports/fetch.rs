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
