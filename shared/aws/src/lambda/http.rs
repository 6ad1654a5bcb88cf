//! API Gateway HTTP API (payload format 2.0) requests in, JSON responses out.
//!
//! A function's handler is `serve(event, |request| async { match (method, segments) {...} })`:
//! [`serve`] parses the event, runs the route, turns its `Result` into a response with the
//! documented error body `{"error": {"code", "message"}}`, and logs one line per request.

use std::future::Future;

use aws_lambda_events::{
    apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse},
    encodings::Body,
    http::{HeaderMap, HeaderValue, header},
    query_map::QueryMap,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use genoflow_core::{
    ports::{Clock, TokenSigner},
    usecases::login::authenticate,
};
use percent_encoding::percent_decode_str;
use serde::{Serialize, de::DeserializeOwned};

pub use aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest as HttpEvent, ApiGatewayV2httpResponse as HttpResponse,
};

/// Why a request gets an error response.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The use case refused or failed: its own status and code.
    #[error(transparent)]
    Core(#[from] genoflow_core::Error),
    /// No route of this function has this method and path.
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

/// A parsed request: what routes look at. `Debug` leaves out header values and the body (they
/// carry the bearer token and login signatures).
#[derive(Clone)]
pub struct ApiRequest {
    /// `GET`, `POST`, …
    pub method: Method,
    /// The path's segments, percent-decoded, without the stage prefix of a named stage:
    /// `/uploads/d1/complete` is `["uploads", "d1", "complete"]`.
    pub segments: Vec<String>,
    /// The path as the event carries it (for logs and errors).
    pub path: String,
    /// API Gateway's request id.
    pub request_id: String,
    headers: HeaderMap,
    query: QueryMap,
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
    /// Reads an HTTP API event. The path is `rawPath` (or `requestContext.http.path`), minus
    /// `/{stage}` when the stage is not `$default`; a base64 body is decoded.
    ///
    /// ```
    /// use genoflow_aws::lambda::http::{ApiRequest, HttpEvent};
    /// let event: HttpEvent = serde_json::from_value(serde_json::json!({
    ///     "version": "2.0", "routeKey": "POST /uploads/{id}/complete",
    ///     "rawPath": "/prod/uploads/d%201/complete", "rawQueryString": "",
    ///     "headers": {"authorization": "Bearer t"},
    ///     "requestContext": {"stage": "prod", "requestId": "r1", "http": {"method": "POST", "path": "/prod/uploads/d%201/complete"}},
    ///     "body": "e30=", "isBase64Encoded": true
    /// }))?;
    /// let request = ApiRequest::from_event(&event)?;
    /// assert_eq!(request.segments, ["uploads", "d 1", "complete"]);
    /// assert_eq!(request.authorization(), Some("Bearer t"));
    /// assert_eq!(request.body(), b"{}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ApiError::BadBody`] when `isBase64Encoded` is set and the body is not base64.
    pub fn from_event(event: &ApiGatewayV2httpRequest) -> Result<Self, ApiError> {
        let context = &event.request_context;
        let path = event
            .raw_path
            .clone()
            .or_else(|| context.http.path.clone())
            .unwrap_or_else(|| "/".to_owned());
        let routed = match context.stage.as_deref() {
            Some(stage) if stage != "$default" => path
                .strip_prefix(&format!("/{stage}"))
                .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                .unwrap_or(&path),
            _ => &path,
        };
        let segments = routed
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
            .collect();
        let body = match &event.body {
            None => Vec::new(),
            Some(text) if event.is_base64_encoded => STANDARD
                .decode(text)
                .map_err(|e| ApiError::BadBody(format!("base64 body: {e}")))?,
            Some(text) => text.clone().into_bytes(),
        };
        Ok(Self {
            method: context.http.method.clone(),
            segments,
            path,
            request_id: context.request_id.clone().unwrap_or_default(),
            headers: event.headers.clone(),
            query: event.query_string_parameters.clone(),
            body,
        })
    }

    /// The path segments as `&str`s, for `match` on slice patterns.
    pub fn route(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }

    /// The `Authorization` header (API Gateway lower-cases header names; lookup ignores case).
    pub fn authorization(&self) -> Option<&str> {
        self.headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
    }

    /// The caller: the owner address of the `Authorization: Bearer TOKEN` header
    /// ([`genoflow_core::usecases::login::authenticate`]).
    ///
    /// # Errors
    /// `401 unauthenticated` for a missing, malformed, forged or expired token.
    pub fn owner(&self, tokens: &dyn TokenSigner, clock: &dyn Clock) -> Result<String, ApiError> {
        Ok(authenticate(tokens, clock, self.authorization())?)
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.first(name)
    }

    /// The body's bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as JSON of type `T`.
    ///
    /// # Errors
    /// [`ApiError::BadBody`] naming what does not parse.
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

/// A JSON response. `Cache-Control: no-store`: bodies carry tokens and presigned URLs.
///
/// ```
/// let response = genoflow_aws::lambda::http::json_response(201, &serde_json::json!({"ok": true}));
/// assert_eq!(response.status_code, 201);
/// ```
pub fn json_response(status: u16, body: &impl Serialize) -> HttpResponse {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        // Our bodies are plain structs; this would be a bug, answered as one.
        tracing::error!(error = %e, "response body did not serialise");
        r#"{"error":{"code":"internal","message":"the response could not be encoded"}}"#.to_owned()
    });
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.body = Some(Body::Text(text));
    response
}

/// The error response `{"error": {"code", "message"}}` with the error's status.
///
/// ```
/// use genoflow_aws::lambda::http::{ApiError, error_response};
/// let response = error_response(&ApiError::BadBody("expected `{`".into()));
/// assert_eq!(response.status_code, 400);
/// ```
pub fn error_response(error: &ApiError) -> HttpResponse {
    json_response(
        error.http_status(),
        &serde_json::json!({"error": {"code": error.code(), "message": error.to_string()}}),
    )
}

/// Parses `event`, runs `route` on it and answers: the route's response, or the error's. Logs
/// one line per request (method, path, status, request id; a 5xx at `error` with its message).
///
/// ```
/// use genoflow_aws::lambda::http::{HttpEvent, json_response, serve};
/// use genoflow_aws::lambda::http::Method;
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let event: HttpEvent = serde_json::from_value(serde_json::json!({
///     "version": "2.0", "rawPath": "/health",
///     "requestContext": {"stage": "$default", "http": {"method": "GET", "path": "/health"}}
/// }))?;
/// let response = serve(event, |request| async move {
///     match (&request.method, request.route().as_slice()) {
///         (&Method::GET, ["health"]) => Ok(json_response(200, &serde_json::json!({"status": "ok"}))),
///         _ => Err(request.no_route()),
///     }
/// }).await;
/// assert_eq!(response.status_code, 200);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn serve<F, Fut>(event: HttpEvent, route: F) -> HttpResponse
where
    F: FnOnce(ApiRequest) -> Fut,
    Fut: Future<Output = Result<HttpResponse, ApiError>>,
{
    let request = match ApiRequest::from_event(&event) {
        Ok(request) => request,
        Err(error) => return error_response(&error),
    };
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
                tracing::info!(%method, %path, %request_id, code = error.code(), error = %error, "request refused");
            }
            error_response(&error)
        }
    };
    tracing::info!(%method, %path, %request_id, status = response.status_code, "request");
    response
}

/// `GET`, `POST`, `DELETE`, … for route patterns.
pub use aws_lambda_events::http::Method;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn event(method: &str, path: &str, stage: &str) -> HttpEvent {
        serde_json::from_value(serde_json::json!({
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "limit=2",
            "headers": {"Authorization": "Bearer abc"},
            "queryStringParameters": {"limit": "2"},
            "requestContext": {"stage": stage, "requestId": "id-1", "http": {"method": method, "path": path}},
            "body": "{\"a\": 1}", "isBase64Encoded": false
        }))
        .unwrap()
    }

    #[test]
    fn a_named_stage_is_stripped_and_the_default_stage_is_not() {
        let named = ApiRequest::from_event(&event("GET", "/prod/datasets/x", "prod")).unwrap();
        assert_eq!(named.route(), ["datasets", "x"]);
        let default = ApiRequest::from_event(&event("GET", "/prod/datasets", "$default")).unwrap();
        assert_eq!(default.route(), ["prod", "datasets"]);
        // A path that merely starts with the stage's letters keeps them.
        let prefix = ApiRequest::from_event(&event("GET", "/products", "prod")).unwrap();
        assert_eq!(prefix.route(), ["products"]);
    }

    #[test]
    fn headers_query_and_body_are_read() {
        let request = ApiRequest::from_event(&event("POST", "/uploads", "$default")).unwrap();
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.authorization(), Some("Bearer abc"));
        assert_eq!(request.query("limit"), Some("2"));
        assert_eq!(request.query("cursor"), None);
        let body: serde_json::Value = request.json().unwrap();
        assert_eq!(body["a"], 1);
        assert_eq!(request.request_id, "id-1");
    }

    #[test]
    fn debug_shows_neither_the_token_nor_the_body() {
        let request = ApiRequest::from_event(&event("POST", "/uploads", "$default")).unwrap();
        let printed = format!("{request:?}");
        assert!(printed.contains("authorization"), "{printed}");
        assert!(!printed.contains("Bearer abc"), "{printed}");
        assert!(!printed.contains("\"a\""), "{printed}");
    }

    #[test]
    fn a_body_that_is_not_base64_is_a_400() {
        let mut bad = event("POST", "/uploads", "$default");
        bad.body = Some("not base64!".into());
        bad.is_base64_encoded = true;
        let error = ApiRequest::from_event(&bad).unwrap_err();
        assert_eq!(
            (error.http_status(), error.code()),
            (400, "bad_request_body")
        );
    }

    #[test]
    fn errors_answer_the_documented_body_and_serialise_as_api_gateway_expects() {
        let error = ApiError::from(genoflow_core::Error::NotFound {
            what: "dataset",
            id: "d1".into(),
        });
        let response = serde_json::to_value(error_response(&error)).unwrap();
        assert_eq!(response["statusCode"], 404);
        assert_eq!(response["headers"]["content-type"], "application/json");
        assert_eq!(response["isBase64Encoded"], false);
        let body: serde_json::Value =
            serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "not_found", "message": "no dataset d1"}})
        );
    }

    #[tokio::test]
    async fn serve_answers_unknown_routes_with_404() {
        let response = serve(event("GET", "/nowhere", "$default"), |request| async move {
            Err::<HttpResponse, _>(request.no_route())
        })
        .await;
        assert_eq!(response.status_code, 404);
        let Some(Body::Text(text)) = response.body else {
            panic!("no text body")
        };
        assert!(text.contains("no route GET /nowhere"), "{text}");
    }
}
