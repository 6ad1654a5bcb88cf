//! [`HttpFetcher`] with canned answers.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use genoflow_core::ports::{FetchError, FetchResponse, HttpFetcher};

use super::lock;

/// Canned HTTP answers by URL; an unknown URL is a connection failure. Records what was asked.
#[derive(Default)]
pub struct MemoryFetcher {
    answers: Mutex<HashMap<String, FetchResponse>>,
    requests: Mutex<Vec<String>>,
}

impl MemoryFetcher {
    /// Answers `url` with `status` and `body` from now on.
    pub fn answer(&self, url: &str, status: u16, body: impl Into<Vec<u8>>) {
        lock(&self.answers).insert(
            url.to_owned(),
            FetchResponse {
                status,
                body: body.into(),
            },
        );
    }

    /// Every URL fetched so far, in order.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.requests).clone()
    }
}

#[async_trait]
impl HttpFetcher for MemoryFetcher {
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
        lock(&self.requests).push(url.to_owned());
        lock(&self.answers)
            .get(url)
            .cloned()
            .ok_or_else(|| FetchError {
                url: url.to_owned(),
                message: "connection refused (no canned answer)".to_owned(),
            })
    }
}
