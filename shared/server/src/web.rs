//! The web page (`web/`), embedded at build time and served at `/`.

use axum::{
    extract::Request,
    http::{Method, StatusCode, header},
    response::{IntoResponse, Response},
};

include!(concat!(env!("OUT_DIR"), "/web_files.rs"));

/// The `Content-Type` of a page file.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// `GET /` is `index.html`; other paths name a file; anything else is the API's 404.
pub(crate) async fn page(request: Request) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let file = FILES.iter().find(|(name, _)| *name == path);
    match (request.method(), file) {
        (&Method::GET | &Method::HEAD, Some((name, bytes))) => (
            [
                (header::CONTENT_TYPE, content_type(name)),
                // The page and the binary change together.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *bytes,
        )
            .into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({"error": {"code": "no_route",
                "message": format!("no route {} {}", request.method(), request.uri().path())}})
            .to_string(),
        )
            .into_response(),
    }
}
