//! Requests in, JSON responses out, whatever server carried them.

use std::future::Future;

use http::{HeaderMap, Method, header};
use percent_encoding::percent_decode_str;
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    ports::{Clock, TokenSigner},
    usecases::login::authenticate,
};

/// Why a request gets an error response.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The use case refused or failed: its own status and code.
    #[error(transparent)]
    Core(#[from] crate::Error),
    /// No route has this method and path.
    #[error("no route {method} {path}")]
    NoRoute {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
    },
    /// The body is not the JSON the route takes.
    #[error("the request body is not valid JSON of the documented shape: {0}")]
    BadBody(String),
    /// A query parameter is not what the route takes.
    #[error("query parameter {name}: {message}")]
    BadQuery {
        /// The parameter.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl ApiError {
    /// The message the response carries ([`crate::Error::public_message`]: no internals in a
    /// 5xx).
    pub fn public_message(&self) -> String {
        match self {
            Self::Core(error) => error.public_message(),
            other => other.to_string(),
        }
    }

    /// The HTTP status.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Core(error) => error.http_status(),
            Self::NoRoute { .. } => 404,
            Self::BadBody(_) | Self::BadQuery { .. } => 400,
        }
    }

    /// The snake_case `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Core(error) => error.code(),
            Self::NoRoute { .. } => "no_route",
            Self::BadBody(_) => "bad_request_body",
            Self::BadQuery { .. } => "bad_query",
        }
    }
}

/// A request, as the routes see it. `Debug` leaves out header values and the body (they carry
/// the bearer token and login signatures).
#[derive(Clone)]
pub struct ApiRequest {
    /// `GET`, `POST`, …
    pub method: Method,
    /// The routed path's segments, percent-decoded: `/uploads/d1/complete` is
    /// `["uploads", "d1", "complete"]`.
    pub segments: Vec<String>,
    /// The path as received (for logs and errors).
    pub path: String,
    /// The carrier's request id (API Gateway's; a fresh one locally).
    pub request_id: String,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    body: Vec<u8>,
}

impl std::fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("request_id", &self.request_id)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl ApiRequest {
    /// A request for `path` (routed as it is; see [`ApiRequest::routed_at`]) with its headers,
    /// decoded query parameters and body.
    ///
    /// ```
    /// use genoflow_core::http::{ApiRequest, HeaderMap, Method};
    /// let request = ApiRequest::new(Method::POST, "/uploads/d%201/complete", HeaderMap::new(), vec![], b"{}".to_vec());
    /// assert_eq!(request.route(), ["uploads", "d 1", "complete"]);
    /// ```
    pub fn new(
        method: Method,
        path: impl Into<String>,
        headers: HeaderMap,
        query: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        let path = path.into();
        let segments = segments(&path);
        Self {
            method,
            segments,
            path,
            request_id: String::new(),
            headers,
            query,
            body,
        }
    }

    /// Routes by `routed` instead of the received path (API Gateway's path minus its stage).
    #[must_use]
    pub fn routed_at(mut self, routed: &str) -> Self {
        self.segments = segments(routed);
        self
    }

    /// Names the request in logs.
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = request_id.into();
        self
    }

    /// The segments as `&str`, for `match`.
    pub fn route(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }

    /// The `Authorization` header.
    pub fn authorization(&self) -> Option<&str> {
        self.headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
    }

    /// The caller, from the bearer token.
    ///
    /// # Errors
    /// [`ApiError::Core`] with [`crate::Error::Unauthenticated`] (401).
    pub fn owner(&self, tokens: &dyn TokenSigner, clock: &dyn Clock) -> Result<String, ApiError> {
        Ok(authenticate(tokens, clock, self.authorization())?)
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body's bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as JSON of type `T`.
    ///
    /// # Errors
    /// [`ApiError::BadBody`] with serde's message.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::BadBody(e.to_string()))
    }

    /// The error for a method and path no route takes.
    pub fn no_route(&self) -> ApiError {
        ApiError::NoRoute {
            method: self.method.to_string(),
            path: self.path.clone(),
        }
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect()
}

/// `?limit=`: 1 to `max`, `default` when absent.
///
/// # Errors
/// [`ApiError::BadQuery`] for anything else.
pub(crate) fn page_limit(
    value: Option<&str>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    let Some(value) = value else {
        return Ok(default);
    };
    value
        .parse::<usize>()
        .ok()
        .filter(|limit| (1..=max).contains(limit))
        .ok_or_else(|| ApiError::BadQuery {
            name: "limit",
            message: format!("{value:?} is not a whole number from 1 to {max}"),
        })
}

/// A JSON answer; every response is `application/json` and `Cache-Control: no-store`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON text.
    pub body: String,
}

impl ApiResponse {
    /// The headers every response carries.
    pub const HEADERS: [(&'static str, &'static str); 2] = [
        ("content-type", "application/json"),
        ("cache-control", "no-store"),
    ];
}

/// `body` as JSON with `status`.
pub fn json_response(status: u16, body: &impl Serialize) -> ApiResponse {
    let body = serde_json::to_string(body).unwrap_or_else(|e| {
        // Our bodies are plain structs; this would be a bug, answered as one.
        tracing::error!(error = %e, "response body did not serialise");
        r#"{"error":{"code":"internal","message":"the response could not be encoded"}}"#.to_owned()
    });
    ApiResponse { status, body }
}

/// The documented error body with the error's status (a 5xx says nothing of the server's
/// internals: [`ApiError::public_message`]).
pub fn error_response(error: &ApiError) -> ApiResponse {
    json_response(
        error.http_status(),
        &serde_json::json!({"error": {"code": error.code(), "message": error.public_message()}}),
    )
}

/// Runs `route` on `request` and answers: the route's response, or the error's. Logs one line
/// per request (method, path, status, request id; a refusal at `warn` and a 5xx at `error` with
/// its message; never headers or bodies).
///
/// ```
/// use genoflow_core::http::{ApiRequest, HeaderMap, Method, json_response, serve};
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let request = ApiRequest::new(Method::GET, "/health", HeaderMap::new(), vec![], vec![]);
/// let response = serve(request, |request| async move {
///     match (&request.method, request.route().as_slice()) {
///         (&Method::GET, ["health"]) => Ok(json_response(200, &serde_json::json!({"status": "ok"}))),
///         _ => Err(request.no_route()),
///     }
/// }).await;
/// assert_eq!((response.status, response.body.as_str()), (200, r#"{"status":"ok"}"#));
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn serve<F, Fut>(request: ApiRequest, route: F) -> ApiResponse
where
    F: FnOnce(ApiRequest) -> Fut,
    Fut: Future<Output = Result<ApiResponse, ApiError>>,
{
    let (method, path, request_id) = (
        request.method.clone(),
        request.path.clone(),
        request.request_id.clone(),
    );
    let response = match route(request).await {
        Ok(response) => response,
        Err(error) => {
            if error.http_status() >= 500 {
                tracing::error!(%method, %path, %request_id, code = error.code(), error = %error, "request failed");
            } else {
                tracing::warn!(%method, %path, %request_id, code = error.code(), error = %error, "request refused");
            }
            error_response(&error)
        }
    };
    tracing::info!(%method, %path, %request_id, status = response.status, "request");
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use http::HeaderValue;

    use super::*;

    fn request() -> ApiRequest {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        ApiRequest::new(
            Method::POST,
            "/prod/uploads",
            headers,
            vec![("limit".into(), "2".into())],
            br#"{"a": 1}"#.to_vec(),
        )
        .with_request_id("id-1")
    }

    #[test]
    fn headers_query_body_and_the_routed_path_are_read() {
        let request = request().routed_at("/uploads");
        assert_eq!(request.route(), ["uploads"]);
        assert_eq!(request.path, "/prod/uploads");
        assert_eq!(request.authorization(), Some("Bearer abc"));
        assert_eq!(request.query("limit"), Some("2"));
        assert_eq!(request.query("cursor"), None);
        let body: serde_json::Value = request.json().unwrap();
        assert_eq!(body["a"], 1);
    }

    #[test]
    fn debug_shows_neither_the_token_nor_the_body() {
        let printed = format!("{:?}", request());
        assert!(printed.contains("authorization"), "{printed}");
        assert!(!printed.contains("Bearer abc"), "{printed}");
        assert!(!printed.contains("\"a\""), "{printed}");
    }

    #[test]
    fn errors_answer_the_documented_body() {
        let error = ApiError::from(crate::Error::NotFound {
            what: "dataset",
            id: "d1".into(),
        });
        let response = error_response(&error);
        assert_eq!(response.status, 404);
        let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "not_found", "message": "no dataset d1"}})
        );
    }

    #[tokio::test]
    async fn serve_answers_unknown_routes_with_404() {
        let response = serve(request(), |request| async move {
            Err::<ApiResponse, _>(request.no_route())
        })
        .await;
        assert_eq!(response.status, 404);
        assert!(
            response.body.contains("no route POST /prod/uploads"),
            "{}",
            response.body
        );
    }

    #[test]
    fn a_5xx_body_names_no_internals_and_a_4xx_keeps_its_message() {
        use crate::ports::{BlobError, TableError};
        let outage = ApiError::from(crate::Error::Table(TableError::Unavailable {
            operation: "update dataset",
            message: "SQLITE_FULL: INSERT INTO datasets failed in /srv/data/genoflow.sqlite3"
                .into(),
        }));
        let blob = ApiError::from(crate::Error::Blob(BlobError::Unavailable {
            operation: "PUT",
            key: "uploads/SP1/d1/r.fq".into(),
            message: "/srv/data/blobs/uploads: No space left on device".into(),
        }));
        for error in [outage, blob] {
            let response = error_response(&error);
            assert_eq!(response.status, 503);
            for internal in ["/srv", "INSERT", "SQLITE", "uploads/"] {
                assert!(!response.body.contains(internal), "{}", response.body);
            }
        }
        let refused = ApiError::from(crate::Error::NotFound {
            what: "dataset",
            id: "d1".into(),
        });
        assert!(error_response(&refused).body.contains("no dataset d1"));
    }
}
