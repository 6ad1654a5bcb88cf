//! `genoflow serve --stacks-node`: the page's `/node/...` requests reach a node (here a fake one
//! that records what it got) on exactly four paths, with method, body, content type and query;
//! the node's status, content type and body come back; a node that is down is 503
//! `chain_unavailable`. `config.json` tells the page where the node and the contracts are.

#![allow(clippy::unwrap_used)]

use genoflow_testkit::serve as support;

use std::sync::{Arc, Mutex};

use axum::{
    Router,
    body::{Bytes, to_bytes},
    extract::{Request, State},
    http::{StatusCode, header},
    response::IntoResponse,
};
use reqwest::Method;
use support::start_with;
use tokio::sync::oneshot;

#[derive(Clone, Debug, PartialEq)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    content_type: Option<String>,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A node that records each request and answers 202 with its own content type, or 404 for
/// transactions it does not know.
async fn fake_node() -> (
    String,
    Log,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    async fn record(State(log): State<Log>, request: Request) -> impl IntoResponse {
        let (parts, body) = request.into_parts();
        let seen = Seen {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            content_type: parts
                .headers
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_owned()),
            body: to_bytes(body, 1 << 20).await.unwrap(),
        };
        let status = if seen.path.starts_with("/extended/v1/tx/") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::ACCEPTED
        };
        log.lock().unwrap().push(seen);
        (
            status,
            [(header::CONTENT_TYPE, "application/x-node")],
            "node answer",
        )
    }
    let log: Log = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new().fallback(record).with_state(log.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (url, log, stop, task)
}

use genoflow_testkit::keys::DEPLOYER;

#[tokio::test(flavor = "multi_thread")]
async fn the_four_node_paths_pass_through_and_nothing_else_does() {
    let (node_url, log, stop_node, node_task) = fake_node().await;
    let server = start_with(|config| config.stacks_node = Some(node_url)).await;
    let client = &server.client;
    let (status, config) = client.call(Method::GET, "/config.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(config["node_base"], "/node");
    assert_eq!(config["contracts"], DEPLOYER);

    let send = |method: Method, path: &str, content_type: &str, body: &'static [u8]| {
        let request = client
            .http
            .request(method, format!("{}{path}", client.base))
            .header(header::CONTENT_TYPE, content_type)
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_owned();
            (status, content_type, response.text().await.unwrap())
        }
    };
    let read = format!("/v2/contracts/call-read/{DEPLOYER}/marketplace/get-listing");
    let cases = [
        (
            Method::POST,
            format!("{read}?tip=latest"),
            "application/json",
            &b"{\"sender\":\"x\"}"[..],
            202,
        ),
        (
            Method::GET,
            "/extended/v1/tx/0xab12".to_owned(),
            "text/plain",
            &b""[..],
            404,
        ),
        (
            Method::POST,
            "/v2/transactions".to_owned(),
            "application/octet-stream",
            &[0, 1, 2, 255][..],
            202,
        ),
        (
            Method::GET,
            format!("/v2/accounts/{DEPLOYER}?proof=0"),
            "text/plain",
            &b""[..],
            202,
        ),
    ];
    for (method, path, content_type, body, expected) in cases.clone() {
        let (status, answered_type, text) =
            send(method, &format!("/node{path}"), content_type, body).await;
        assert_eq!(
            (status, answered_type.as_str(), text.as_str()),
            (expected, "application/x-node", "node answer"),
            "{path}"
        );
    }
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), cases.len());
    for (seen, (method, path, content_type, body, _)) in seen.iter().zip(cases) {
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
            None => (path, None),
        };
        assert_eq!(
            seen,
            &Seen {
                method: method.to_string(),
                path,
                query,
                content_type: Some(content_type.to_owned()),
                body: Bytes::from_static(body),
            }
        );
    }

    // Nothing else of the node is reachable.
    for (method, path) in [
        (Method::GET, "/node/v2/info"),
        (Method::GET, "/node/v2/transactions"),
        (Method::POST, "/node/v2/contracts/call-read/a/b"),
        (Method::GET, "/node/v2/accounts/..%2Fv2%2Finfo"),
        (Method::GET, "/node/extended/v1/tx/ab/raw"),
    ] {
        let (status, body) = client.call(method.clone(), path, None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("no_route")),
            "{method} {path}"
        );
    }
    assert_eq!(log.lock().unwrap().len(), 4, "the node saw none of them");

    // The node goes away: 503, in the API's error shape.
    stop_node.send(()).unwrap();
    node_task.await.unwrap();
    let (status, body) = client
        .call(Method::GET, &format!("/node/v2/accounts/{DEPLOYER}"), None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("chain_unavailable")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again shortly")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_node_the_page_is_told_no_chain_is_connected() {
    let server = start_with(|_| {}).await;
    let client = &server.client;
    let (_, config) = client.call(Method::GET, "/config.json", None).await;
    assert_eq!(config["node_base"], serde_json::Value::Null);
    assert_eq!(config["contracts"], DEPLOYER);
    for path in ["/node/v2/transactions", "/marketplace", "/marketplace/1"] {
        let method = if path.starts_with("/node") {
            Method::POST
        } else {
            Method::GET
        };
        let (status, body) = client.call(method, path, None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (503, Some("chain_not_configured")),
            "{path}: {body}"
        );
    }
    server.stop().await;
}
