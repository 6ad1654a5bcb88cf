//! API Gateway HTTP API (payload format 2.0) events to the core's HTTP routes and back.
//!
//! A function's handler is `handle(event, |request| routes.handle(request))`: [`handle`] reads
//! the event into a [`genoflow_core::http::ApiRequest`] ([`request_from_event`]), runs the
//! route set, and turns its [`ApiResponse`] into API Gateway's response. The routes themselves,
//! their errors and logs are `genoflow_core::http`'s, shared with `genoflow serve`.

use std::future::Future;

use aws_lambda_events::{
    apigw::ApiGatewayV2httpResponse,
    encodings::Body,
    http::{HeaderName, HeaderValue},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use genoflow_core::http::{ApiError, ApiRequest, ApiResponse, error_response};

pub use aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest as HttpEvent, ApiGatewayV2httpResponse as HttpResponse,
};

/// Reads an HTTP API event. The path is `rawPath` (or `requestContext.http.path`), routed
/// without `/{stage}` when the stage is not `$default`; a base64 body is decoded.
///
/// ```
/// use genoflow_aws::lambda::http::{HttpEvent, request_from_event};
/// let event: HttpEvent = serde_json::from_value(serde_json::json!({
///     "version": "2.0", "routeKey": "POST /uploads/{id}/complete",
///     "rawPath": "/prod/uploads/d%201/complete", "rawQueryString": "",
///     "headers": {"authorization": "Bearer t"},
///     "requestContext": {"stage": "prod", "requestId": "r1", "http": {"method": "POST", "path": "/prod/uploads/d%201/complete"}},
///     "body": "e30=", "isBase64Encoded": true
/// }))?;
/// let request = request_from_event(&event)?;
/// assert_eq!(request.segments, ["uploads", "d 1", "complete"]);
/// assert_eq!(request.authorization(), Some("Bearer t"));
/// assert_eq!(request.body(), b"{}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ApiError::BadBody`] when `isBase64Encoded` is set and the body is not base64.
pub fn request_from_event(event: &HttpEvent) -> Result<ApiRequest, ApiError> {
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
    }
    .to_owned();
    let body = match &event.body {
        None => Vec::new(),
        Some(text) if event.is_base64_encoded => STANDARD
            .decode(text)
            .map_err(|e| ApiError::BadBody(format!("base64 body: {e}")))?,
        Some(text) => text.clone().into_bytes(),
    };
    let query = event
        .query_string_parameters
        .iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    Ok(ApiRequest::new(
        context.http.method.clone(),
        path,
        event.headers.clone(),
        query,
        body,
    )
    .routed_at(&routed)
    .with_request_id(context.request_id.clone().unwrap_or_default()))
}

/// The core's response as API Gateway expects it.
pub fn to_http_response(response: ApiResponse) -> HttpResponse {
    let mut answer = ApiGatewayV2httpResponse::default();
    answer.status_code = i64::from(response.status);
    for (name, value) in ApiResponse::HEADERS {
        answer.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    answer.body = Some(Body::Text(response.body));
    answer
}

/// Reads `event`, runs `routes` on it and answers; an event that cannot be read is answered
/// with its error (400).
///
/// ```
/// use genoflow_aws::lambda::http::{HttpEvent, handle};
/// use genoflow_core::http::{Method, json_response, serve};
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let event: HttpEvent = serde_json::from_value(serde_json::json!({
///     "version": "2.0", "rawPath": "/health",
///     "requestContext": {"stage": "$default", "http": {"method": "GET", "path": "/health"}}
/// }))?;
/// let response = handle(event, |request| serve(request, |request| async move {
///     match (&request.method, request.route().as_slice()) {
///         (&Method::GET, ["health"]) => Ok(json_response(200, &serde_json::json!({"status": "ok"}))),
///         _ => Err(request.no_route()),
///     }
/// })).await;
/// assert_eq!(response.status_code, 200);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn handle<F, Fut>(event: HttpEvent, routes: F) -> HttpResponse
where
    F: FnOnce(ApiRequest) -> Fut,
    Fut: Future<Output = ApiResponse>,
{
    let response = match request_from_event(&event) {
        Ok(request) => routes(request).await,
        Err(error) => error_response(&error),
    };
    to_http_response(response)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use genoflow_core::http::Method;

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
        let named = request_from_event(&event("GET", "/prod/datasets/x", "prod")).unwrap();
        assert_eq!(named.route(), ["datasets", "x"]);
        assert_eq!(named.path, "/prod/datasets/x");
        let default = request_from_event(&event("GET", "/prod/datasets", "$default")).unwrap();
        assert_eq!(default.route(), ["prod", "datasets"]);
        // A path that merely starts with the stage's letters keeps them.
        let prefix = request_from_event(&event("GET", "/products", "prod")).unwrap();
        assert_eq!(prefix.route(), ["products"]);
    }

    #[test]
    fn headers_query_and_body_are_read() {
        let request = request_from_event(&event("POST", "/uploads", "$default")).unwrap();
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.authorization(), Some("Bearer abc"));
        assert_eq!(request.query("limit"), Some("2"));
        assert_eq!(request.query("cursor"), None);
        let body: serde_json::Value = request.json().unwrap();
        assert_eq!(body["a"], 1);
        assert_eq!(request.request_id, "id-1");
    }

    #[tokio::test]
    async fn a_body_that_is_not_base64_is_a_400() {
        let mut bad = event("POST", "/uploads", "$default");
        bad.body = Some("not base64!".into());
        bad.is_base64_encoded = true;
        let response = handle(bad, |_| async { unreachable!("not routed") }).await;
        assert_eq!(response.status_code, 400);
        let Some(Body::Text(text)) = response.body else {
            panic!("no text body")
        };
        assert!(text.contains("bad_request_body"), "{text}");
    }

    #[test]
    fn responses_serialise_as_api_gateway_expects() {
        let error = ApiError::from(genoflow_core::Error::NotFound {
            what: "dataset",
            id: "d1".into(),
        });
        let response = serde_json::to_value(to_http_response(error_response(&error))).unwrap();
        assert_eq!(response["statusCode"], 404);
        assert_eq!(response["headers"]["content-type"], "application/json");
        assert_eq!(response["headers"]["cache-control"], "no-store");
        assert_eq!(response["isBase64Encoded"], false);
        let body: serde_json::Value =
            serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "not_found", "message": "no dataset d1"}})
        );
    }
}
