//! The HTTP routes: the API (core's route sets), the presigned blob URLs and the page.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    Router,
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use futures_util::TryStreamExt;
use genoflow_core::{
    http::{ApiRequest, ApiResponse, json_response},
    ports::BlobError,
};
use genoflow_local::AcceptError;
use time::OffsetDateTime;
use tokio_util::io::{ReaderStream, StreamReader, SyncIoBridge};

use crate::{App, web};

/// API request bodies are small JSON documents (uploads declare files, they do not carry them).
const MAX_API_BODY: usize = 1024 * 1024;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/auth/{*rest}", any(upload_routes))
        .route("/uploads", any(upload_routes))
        .route("/uploads/{*rest}", any(upload_routes))
        .route("/health", any(dataset_routes))
        .route("/datasets", any(dataset_routes))
        .route("/datasets/{*rest}", any(dataset_routes))
        .route("/marketplace", any(marketplace_routes))
        .route("/marketplace/{*rest}", any(marketplace_routes))
        .route("/purchases", any(marketplace_routes))
        .route("/node/{*rest}", any(node_proxy))
        .route(
            "/blobs/{*key}",
            get(get_blob)
                .put(put_blob)
                .options(blob_preflight)
                .layer(axum::middleware::map_response(blob_cors)),
        )
        .route("/config.json", get(web_config))
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

async fn upload_routes(State(app): State<Arc<App>>, request: Request) -> Response {
    match api_request(request).await {
        Ok(request) => respond(app.uploads.handle(request).await),
        Err(response) => respond(response),
    }
}

async fn dataset_routes(State(app): State<Arc<App>>, request: Request) -> Response {
    match api_request(request).await {
        Ok(request) => respond(app.datasets.handle(request).await),
        Err(response) => respond(response),
    }
}

async fn marketplace_routes(State(app): State<Arc<App>>, request: Request) -> Response {
    match api_request(request).await {
        Ok(request) => respond(app.marketplace.handle(request).await),
        Err(response) => respond(response),
    }
}

async fn node_proxy(State(app): State<Arc<App>>, request: Request) -> Response {
    match &app.node {
        Some(node) => node.forward(request).await,
        None => crate::node::not_configured(),
    }
}

/// The core's view of an HTTP request; a body over [`MAX_API_BODY`] is refused (413).
async fn api_request(request: Request) -> Result<ApiRequest, ApiResponse> {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, MAX_API_BODY).await.map_err(|_| {
        json_response(
            413,
            &serde_json::json!({"error": {"code": "body_too_large",
                "message": format!("request bodies are at most {MAX_API_BODY} bytes")}}),
        )
    })?;
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

/// What a presigned URL request got wrong, as the API's error body.
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
        AcceptError::Store(_) => (500, "store_unavailable"),
    };
    if status >= 500 {
        tracing::error!(%error, "presigned request failed");
    } else {
        tracing::info!(code, %error, "presigned request refused");
    }
    respond(json_response(
        status,
        &serde_json::json!({"error": {"code": code, "message": error.to_string()}}),
    ))
}

fn internal(message: impl std::fmt::Display) -> Response {
    tracing::error!(%message, "request failed");
    respond(json_response(
        500,
        &serde_json::json!({"error": {"code": "internal", "message": message.to_string()}}),
    ))
}

/// A presigned `PUT`: the whole object, or a part (`?uploadId=&partNumber=`). The body streams
/// to disk through the store's checks; the object-created event is queued once it is stored.
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
    let reader = StreamReader::new(body.into_data_stream().map_err(std::io::Error::other));
    let body = SyncIoBridge::new(reader);
    let files = app.store.files.clone();
    let now = OffsetDateTime::now_utc();
    let accepted = tokio::task::spawn_blocking(move || {
        if is_part {
            files
                .accept_part(&path_and_query, body, now)
                .map(Accepted::Part)
        } else {
            files
                .accept_put(&path_and_query, &headers, body, now)
                .map(Accepted::Object)
        }
    })
    .await;
    match accepted {
        Err(panic) => internal(format!("the upload worker failed: {panic}")),
        Ok(Err(error)) => refused(&error),
        Ok(Ok(Accepted::Part(etag))) => (StatusCode::OK, [(header::ETAG, etag)]).into_response(),
        Ok(Ok(Accepted::Object(stored))) => match app.store.object_created(&stored.key).await {
            Ok(()) => StatusCode::OK.into_response(),
            Err(error) => internal(error),
        },
    }
}

enum Accepted {
    Object(genoflow_local::StoredObject),
    Part(String),
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
