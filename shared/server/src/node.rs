//! `/node/...`: the Stacks node API paths the web page uses, passed through to `--stacks-node`
//! so the page needs no CORS from the node. Exactly four:
//!
//! | path | what the page does with it |
//! | --- | --- |
//! | `POST /node/v2/contracts/call-read/{address}/{contract}/{function}` | read-only calls |
//! | `GET /node/extended/v1/tx/{txid}` | follows a transaction to its outcome |
//! | `POST /node/v2/transactions` | broadcasts a transaction it signed (the development key) |
//! | `GET /node/v2/accounts/{principal}` | the account's nonce and balance |
//!
//! The method, body (at most 1 MiB), `Content-Type` and query string are forwarded; the node's
//! status, `Content-Type` and body (at most 4 MiB) come back. Path segments are limited to
//! letters, digits, `.`, `-` and `_`, so nothing but these paths of the node is reachable. A node
//! that does not answer is `503 chain_unavailable`; any other path is `404 no_route`.

use std::time::Duration;

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use genoflow_core::http::{ApiResponse, json_response};

/// The largest request body passed on (a signed contract call is a few hundred bytes).
const MAX_REQUEST: usize = 1024 * 1024;
/// The largest answer passed back.
const MAX_ANSWER: usize = 4 * 1024 * 1024;
/// How long the node may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// The node the page's `/node/...` requests go to.
pub(crate) struct NodeProxy {
    base: String,
    http: reqwest::Client,
}

impl NodeProxy {
    /// A proxy to the node API at `base` (`http(s)://host[:port]`).
    pub(crate) fn new(base: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// Passes `request` (its path without `/node`) on, if it is one of the four.
    pub(crate) async fn forward(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let Some(path) = parts.uri.path().strip_prefix("/node") else {
            return no_route(&parts.method, parts.uri.path());
        };
        if !allowed(&parts.method, path) {
            return no_route(&parts.method, parts.uri.path());
        }
        let Ok(body) = to_bytes(body, MAX_REQUEST).await else {
            return answer(json_response(
                413,
                &serde_json::json!({"error": {"code": "body_too_large",
                    "message": format!("node requests are at most {MAX_REQUEST} bytes")}}),
            ));
        };
        let mut url = format!("{}{path}", self.base);
        if let Some(query) = parts.uri.query() {
            url.push('?');
            url.push_str(query);
        }
        let mut forwarded = self
            .http
            .request(parts.method.clone(), &url)
            .body(body.to_vec());
        if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE) {
            forwarded = forwarded.header(header::CONTENT_TYPE, content_type.clone());
        }
        let response = match forwarded.send().await {
            Ok(response) => response,
            Err(error) => return unavailable(&error.to_string()),
        };
        let status =
            StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| HeaderValue::from_bytes(value.as_bytes()).ok());
        let bytes = match read_capped(response).await {
            Ok(bytes) => bytes,
            Err(message) => return unavailable(&message),
        };
        let mut answered = (status, Body::from(bytes)).into_response();
        let headers = answered.headers_mut();
        if let Some(content_type) = content_type {
            headers.insert(header::CONTENT_TYPE, content_type);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        answered
    }
}

/// One of the four paths, with plain segments.
fn allowed(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    if !segments.iter().all(|segment| plain(segment)) {
        return false;
    }
    matches!(
        (method, segments.as_slice()),
        (&Method::POST, ["v2", "contracts", "call-read", _, _, _])
            | (&Method::GET, ["extended", "v1", "tx", _])
            | (&Method::POST, ["v2", "transactions"])
            | (&Method::GET, ["v2", "accounts", _])
    )
}

/// 1 to 128 letters, digits, `.`, `-`, `_`; not `.` or `..`.
fn plain(segment: &str) -> bool {
    (1..=128).contains(&segment.len())
        && segment
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_'))
        && segment != "."
        && segment != ".."
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if bytes.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("the node's answer is over {MAX_ANSWER} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn unavailable(message: &str) -> Response {
    tracing::warn!(%message, "the Stacks node did not answer");
    answer(error_response(&genoflow_core::Error::ChainUnavailable(
        message.to_owned(),
    )))
}

fn error_response(error: &genoflow_core::Error) -> ApiResponse {
    json_response(error.http_status(), &error.body())
}

fn no_route(method: &Method, path: &str) -> Response {
    answer(json_response(
        404,
        &serde_json::json!({"error": {"code": "no_route",
            "message": format!("no route {method} {path}")}}),
    ))
}

/// `/node/...` with no node configured.
pub(crate) fn not_configured() -> Response {
    answer(error_response(&genoflow_core::Error::ChainNotConfigured))
}

fn answer(response: ApiResponse) -> Response {
    crate::routes::respond(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_four_paths_with_plain_segments_pass() {
        let passes = [
            (
                Method::POST,
                "/v2/contracts/call-read/ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM/marketplace/get-listing",
            ),
            (Method::GET, "/extended/v1/tx/0x0123abcd"),
            (Method::POST, "/v2/transactions"),
            (
                Method::GET,
                "/v2/accounts/ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM",
            ),
        ];
        for (method, path) in passes {
            assert!(allowed(&method, path), "{method} {path}");
        }
        let refused = [
            (Method::GET, "/v2/transactions"),
            (Method::GET, "/v2/info"),
            (Method::POST, "/v2/contracts/call-read/A/b"),
            (Method::GET, "/v2/accounts/.."),
            (Method::GET, "/v2/accounts/a%2Fb"),
            (Method::GET, "/v2/accounts/"),
            (Method::GET, "/v2/accounts/a/b"),
            (Method::DELETE, "/v2/transactions"),
            (Method::GET, "/extended/v1/tx/abc/raw"),
        ];
        for (method, path) in refused {
            assert!(!allowed(&method, path), "{method} {path}");
        }
    }
}
