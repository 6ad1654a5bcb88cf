//! The HTTP routes: the API (core's route sets), the presigned blob URLs and the page.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use axum::{
    Router,
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{any, get, post},
};
use futures_util::StreamExt;
use genoflow_core::{
    http::{ApiRequest, ApiResponse, json_response},
    ports::BlobError,
};
use genoflow_local::{AcceptError, Accepted, PendingUpload};
use time::OffsetDateTime;
use tokio_util::io::ReaderStream;

use crate::{App, web};

/// API request bodies are small JSON documents (uploads declare files, they do not carry them).
const MAX_API_BODY: usize = 1024 * 1024;
/// Upload bodies are gathered into writes of this size: the blocking pool sees one short write
/// per 256 KiB, never a wait on the network.
const WRITE_BYTES: usize = 256 * 1024;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/auth/{*rest}", any(upload_routes))
        .route("/uploads", any(upload_routes))
        .route("/uploads/{*rest}", any(upload_routes))
        .route("/health", any(dataset_routes))
        .route("/datasets", any(dataset_routes))
        .route("/datasets/{*rest}", any(dataset_routes))
        .route("/samples", any(dataset_routes))
        .route("/samples/{*rest}", any(dataset_routes))
        .route("/marketplace", any(marketplace_routes))
        .route("/marketplace/{*rest}", any(marketplace_routes))
        .route("/purchases", any(marketplace_routes))
        .route("/oracle/{*rest}", any(oracle_routes))
        .route("/node/{*rest}", any(node_proxy))
        .route(
            "/blobs/{*key}",
            get(get_blob)
                .put(put_blob)
                .options(blob_preflight)
                .layer(axum::middleware::map_response(blob_cors)),
        )
        .route("/config.json", get(web_config))
        .route("/admin/dead-letters", get(admin_dead_letters))
        .route("/admin/oracle/refresh", post(admin_oracle_refresh))
        .route("/metrics", get(metrics))
        .fallback(web::page)
        .with_state(app)
}

/// The presigned URLs work from any origin, as an S3 bucket with a CORS rule for browser
/// uploads: a page opened as `localhost` uploads to URLs naming `127.0.0.1`. The signature, not
/// the origin, is what authorises the request.
async fn blob_preflight() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

async fn blob_cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, PUT"),
        (
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "content-type, x-amz-checksum-sha256",
        ),
        (header::ACCESS_CONTROL_EXPOSE_HEADERS, "etag"),
        (header::ACCESS_CONTROL_MAX_AGE, "600"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn admin_dead_letters(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    respond(crate::admin::dead_letters(&app.admin, &app.queue, &headers).await)
}

async fn admin_oracle_refresh(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    respond(crate::oracle::admin_refresh(&app.admin, app.oracle.as_deref(), &headers).await)
}

/// `GET /metrics` with `--metrics`: the workers' counts as Prometheus text; without it, the
/// API's 404.
async fn metrics(State(app): State<Arc<App>>) -> Response {
    match &app.metrics {
        Some(metrics) => (
            [(header::CONTENT_TYPE, genoflow_local::metrics::CONTENT_TYPE)],
            metrics.render(),
        )
            .into_response(),
        None => respond(json_response(
            404,
            &serde_json::json!({"error": {"code": "no_route",
                "message": "metrics are off: start genoflow serve with --metrics"}}),
        )),
    }
}

async fn upload_routes(State(app): State<Arc<App>>, request: Request) -> Response {
    match api_request(request, app.body_idle_timeout).await {
        Ok(request) => respond(app.uploads.handle(request).await),
        Err(response) => respond(response),
    }
}

async fn dataset_routes(State(app): State<Arc<App>>, request: Request) -> Response {
    match api_request(request, app.body_idle_timeout).await {
        Ok(request) => respond(app.datasets.handle(request).await),
        Err(response) => respond(response),
    }
}

async fn marketplace_routes(State(app): State<Arc<App>>, request: Request) -> Response {
    match api_request(request, app.body_idle_timeout).await {
        Ok(request) => respond(app.marketplace.handle(request).await),
        Err(response) => respond(response),
    }
}

async fn oracle_routes(State(app): State<Arc<App>>, request: Request) -> Response {
    match api_request(request, app.body_idle_timeout).await {
        Ok(request) => respond(app.attestations.handle(request).await),
        Err(response) => respond(response),
    }
}

async fn node_proxy(State(app): State<Arc<App>>, request: Request) -> Response {
    match &app.node {
        Some(node) => node.forward(request).await,
        None => crate::node::not_configured(),
    }
}

/// The core's view of an HTTP request; a body over [`MAX_API_BODY`] is refused (413), one
/// not whole within `timeout` too (408).
async fn api_request(request: Request, timeout: Duration) -> Result<ApiRequest, ApiResponse> {
    let (parts, body) = request.into_parts();
    let body = match tokio::time::timeout(timeout, to_bytes(body, MAX_API_BODY)).await {
        Err(_) => {
            tracing::warn!(path = parts.uri.path(), "request body too slow: refused");
            return Err(json_response(
                408,
                &serde_json::json!({"error": {"code": "body_timeout",
                    "message": format!("the request body did not arrive within {} s", timeout.as_secs())}}),
            ));
        }
        Ok(Err(_)) => {
            return Err(json_response(
                413,
                &serde_json::json!({"error": {"code": "body_too_large",
                    "message": format!("request bodies are at most {MAX_API_BODY} bytes")}}),
            ));
        }
        Ok(Ok(body)) => body,
    };
    let query = parts
        .uri
        .query()
        .map(|query| {
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    Ok(ApiRequest::new(
        parts.method,
        parts.uri.path(),
        parts.headers,
        query,
        body.to_vec(),
    )
    .with_request_id(uuid::Uuid::new_v4().to_string()))
}

pub(crate) fn respond(response: ApiResponse) -> Response {
    let mut headers = HeaderMap::new();
    for (name, value) in ApiResponse::HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, headers, response.body).into_response()
}

async fn web_config(State(app): State<Arc<App>>) -> Response {
    respond(json_response(200, &app.web_config))
}

/// What a presigned URL request got wrong, as the API's error body: the caller's mistakes are
/// 4xx (logged as warnings), the store's failures 503 with a message that names no path (the
/// log has it).
fn refused(error: &AcceptError) -> Response {
    let (status, code) = match error {
        AcceptError::Malformed { .. } => (400, "malformed_url"),
        AcceptError::BadSignature => (403, "bad_signature"),
        AcceptError::Expired { .. } => (403, "url_expired"),
        AcceptError::Header { .. } => (400, "wrong_header"),
        AcceptError::WrongLength { .. } => (400, "wrong_length"),
        AcceptError::WrongChecksum { .. } => (400, "wrong_checksum"),
        AcceptError::NoSuchUpload { .. } => (404, "no_such_upload"),
        AcceptError::Body(_) => (400, "body_unreadable"),
        AcceptError::Store(BlobError::NotFound { .. }) => (404, "not_found"),
        AcceptError::Store(BlobError::Rejected { .. }) => (400, "bad_key"),
        AcceptError::Store(BlobError::Unavailable { .. }) => (503, "store_unavailable"),
    };
    if status >= 500 {
        tracing::error!(%error, "presigned request failed");
        return unavailable();
    }
    tracing::warn!(code, %error, "presigned request refused");
    respond(json_response(
        status,
        &serde_json::json!({"error": {"code": code, "message": error.to_string()}}),
    ))
}

/// A failure of the server's side: logged whole, answered without internals.
fn internal(message: impl std::fmt::Display) -> Response {
    tracing::error!(%message, "request failed");
    respond(json_response(
        500,
        &serde_json::json!({"error": {"code": "internal",
            "message": "the server failed to answer; its operator can find why in its log"}}),
    ))
}

/// The store or the queue did not answer (logged by the caller).
fn unavailable() -> Response {
    respond(json_response(
        503,
        &serde_json::json!({"error": {"code": "store_unavailable",
            "message": "the server's storage did not answer; try again shortly"}}),
    ))
}

/// No byte of an upload's body arrived for `idle`: refused, and the connection closed.
fn body_timeout(idle: Duration) -> Response {
    tracing::warn!(
        idle_seconds = idle.as_secs(),
        "upload stalled: refused, nothing stored"
    );
    let mut response = respond(json_response(
        408,
        &serde_json::json!({"error": {"code": "body_timeout",
            "message": format!("no bytes of the body arrived for {} s; nothing was stored, upload again", idle.as_secs())}}),
    ));
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A presigned `PUT`: the whole object, or a part (`?uploadId=&partNumber=`). The body is read
/// asynchronously (no thread waits on a slow client) and written through the store's checks in
/// [`WRITE_BYTES`] steps; one longer than the URL allows is refused at the first chunk past it,
/// and one that stalls for the idle timeout is refused. The object-created event is queued once
/// the object is stored.
async fn put_blob(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some(path_and_query) = parts.uri.path_and_query().map(|pq| pq.as_str().to_owned()) else {
        return internal("a request without a path");
    };
    let is_part = parts.uri.query().is_some_and(|query| {
        form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "uploadId")
    });
    let headers: BTreeMap<String, String> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let files = app.store.files.clone();
    let now = OffsetDateTime::now_utc();
    // A part's upload record is read from disk: quick blocking work.
    let begun = tokio::task::spawn_blocking(move || {
        if is_part {
            files.begin_part(&path_and_query, now)
        } else {
            files.begin_put(&path_and_query, &headers, now)
        }
    })
    .await;
    let mut pending = match begun {
        Err(panic) => return internal(format!("the upload worker failed: {panic}")),
        Ok(Err(error)) => return refused(&error),
        Ok(Ok(pending)) => pending,
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if let Some(Err(error)) = declared.map(|length| pending.check_declared_length(length)) {
        return refused(&error);
    }
    let mut stream = body.into_data_stream();
    let mut buffer: Vec<u8> = Vec::with_capacity(WRITE_BYTES);
    let mut buffered_from = 0u64;
    loop {
        let next = match tokio::time::timeout(app.body_idle_timeout, stream.next()).await {
            Err(_) => return body_timeout(app.body_idle_timeout),
            Ok(next) => next,
        };
        match next {
            Some(Ok(chunk)) => {
                let total = buffered_from + (buffer.len() + chunk.len()) as u64;
                if total > pending.max_bytes() {
                    return refused(&AcceptError::WrongLength {
                        expected: pending.max_bytes(),
                        actual: total,
                        more: true,
                    });
                }
                buffer.extend_from_slice(&chunk);
                if buffer.len() >= WRITE_BYTES {
                    buffered_from += buffer.len() as u64;
                    pending = match write(pending, std::mem::take(&mut buffer)).await {
                        Ok(pending) => pending,
                        Err(response) => return response,
                    };
                }
            }
            Some(Err(error)) => {
                return refused(&AcceptError::Body(std::io::Error::other(error)));
            }
            None => break,
        }
    }
    if !buffer.is_empty() {
        pending = match write(pending, buffer).await {
            Ok(pending) => pending,
            Err(response) => return response,
        };
    }
    match tokio::task::spawn_blocking(move || pending.finish()).await {
        Err(panic) => internal(format!("the upload worker failed: {panic}")),
        Ok(Err(error)) => refused(&error),
        Ok(Ok(Accepted::Part { etag })) => (StatusCode::OK, [(header::ETAG, etag)]).into_response(),
        Ok(Ok(Accepted::Object(stored))) => match app.store.object_created(&stored.key).await {
            Ok(()) => StatusCode::OK.into_response(),
            Err(error) => {
                tracing::error!(%error, "the object-created event could not be queued");
                unavailable()
            }
        },
    }
}

/// Writes `bytes` to the upload in the blocking pool (a short write to disk).
async fn write(mut pending: PendingUpload, bytes: Vec<u8>) -> Result<PendingUpload, Response> {
    match tokio::task::spawn_blocking(move || pending.write(&bytes).map(|()| pending)).await {
        Err(panic) => Err(internal(format!("the upload worker failed: {panic}"))),
        Ok(Err(error)) => Err(refused(&error)),
        Ok(Ok(pending)) => Ok(pending),
    }
}

/// A presigned `GET`: streams the object.
async fn get_blob(State(app): State<Arc<App>>, request: Request) -> Response {
    let Some(path_and_query) = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
    else {
        return internal("a request without a path");
    };
    let files = app.store.files.clone();
    let now = OffsetDateTime::now_utc();
    let opened = tokio::task::spawn_blocking(move || files.accept_get(&path_and_query, now)).await;
    let download = match opened {
        Err(panic) => return internal(format!("the download worker failed: {panic}")),
        Ok(Err(error)) => return refused(&error),
        Ok(Ok(download)) => download,
    };
    let filename = download
        .key
        .rsplit('/')
        .next()
        .unwrap_or("download")
        .replace('"', "");
    let content_type = if filename.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    };
    let stream = ReaderStream::new(tokio::fs::File::from_std(download.file));
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_LENGTH, download.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
