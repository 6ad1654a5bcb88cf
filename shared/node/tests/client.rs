//! The node client against a real HTTP server on 127.0.0.1 (a small HTTP/1.1
//! responder over tokio): requests, answers, retries, timeouts and rejections.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use genoflow_node::{ClientConfig, NodeClient, NodeError};

use genoflow_stacks::clarity::{ClarityValue, Principal};
use genoflow_stacks::keys::PrivateKey;
use genoflow_stacks::node::{BroadcastRejection, DropReason, TxStatus};
use genoflow_stacks::transaction::{ContractCall, Network, Transaction, TransactionOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

struct Reply {
    status: u16,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: impl Into<String>) -> Reply {
    Reply {
        status,
        body: body.into(),
        delay: Duration::ZERO,
    }
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

struct Server {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next()?.split_whitespace();
    let (method, path) = (
        request_line.next()?.to_owned(),
        request_line.next()?.to_owned(),
    );
    let mut content_length = 0;
    let mut content_type = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse().ok()?,
                "content-type" => content_type = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = buffer[header_end..].to_vec();
    while body.len() < content_length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some(Request {
        method,
        path,
        content_type,
        body,
    })
}

async fn serve(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let handler: Arc<Handler> = Arc::new(handler);
    let seen = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                let count = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(request.clone());
                    seen.len()
                };
                let answer = handler(&request, count);
                tokio::time::sleep(answer.delay).await;
                let response = format!(
                    "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                    answer.status,
                    answer.body.len(),
                    answer.body
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Server { url, requests }
}

fn fast_config() -> ClientConfig {
    ClientConfig {
        // Generous for a loaded CI machine; the timeout test sets its own.
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        max_retries: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
    }
}

fn signed_call() -> Transaction {
    let key =
        PrivateKey::from_hex("753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601")
            .unwrap();
    let call = ContractCall::new(
        "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry",
        "anchor-batch",
        vec![ClarityValue::Buffer(vec![7; 32]), ClarityValue::UInt(3)],
    )
    .unwrap();
    Transaction::sign_new(
        call.into(),
        &TransactionOptions::new(Network::Testnet, 4, 2000),
        &key,
    )
    .unwrap()
}

#[tokio::test]
async fn account_reads_nonce_and_hex_balance() {
    let server = serve(|_, _| reply(200, r#"{"balance":"0x0000000000000000000000003b9aca00","locked":"0x00","unlock_height":0,"nonce":12}"#)).await;
    let client = NodeClient::new(&server.url, fast_config()).unwrap();
    let account = client
        .account("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")
        .await
        .unwrap();
    assert_eq!(
        (account.balance, account.locked, account.nonce),
        (1_000_000_000, 0, 12)
    );
    let requests = server.requests.lock().unwrap();
    assert_eq!(requests[0].method, "GET");
    assert_eq!(
        requests[0].path,
        "/v2/accounts/ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM?proof=0"
    );
}

#[tokio::test]
async fn broadcast_posts_octet_stream_and_returns_txid() {
    let transaction = signed_call();
    let txid = hex::encode(transaction.txid());
    let answer = format!("\"{txid}\"");
    let server = serve(move |_, _| reply(200, answer.clone())).await;
    let client = NodeClient::new(&server.url, fast_config()).unwrap();
    assert_eq!(
        client.broadcast(&transaction).await.unwrap(),
        transaction.txid()
    );
    let requests = server.requests.lock().unwrap();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/v2/transactions")
    );
    assert_eq!(
        requests[0].content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(requests[0].body, transaction.serialize());
}

#[tokio::test]
async fn node_rejections_become_typed_errors_without_retry() {
    let cases = [
        (
            r#"{"error":"transaction rejected","reason":"BadNonce","reason_data":{"expected":5,"actual":4,"is_origin":true,"principal":true},"txid":"00"}"#,
            BroadcastRejection::BadNonce {
                expected: 5,
                actual: 4,
            },
        ),
        (
            r#"{"error":"transaction rejected","reason":"FeeTooLow","reason_data":{"expected":180,"actual":1},"txid":"00"}"#,
            BroadcastRejection::FeeTooLow {
                expected: 180,
                actual: 1,
            },
        ),
        (
            r#"{"error":"transaction rejected","reason":"NotEnoughFunds","reason_data":{"expected":"0x07d0","actual":"0x00"},"txid":"00"}"#,
            BroadcastRejection::NotEnoughFunds {
                expected: 2000,
                actual: 0,
            },
        ),
        (
            r#"{"error":"transaction rejected","reason":"SignatureValidation","reason_data":{"message":"high-S"},"txid":"00"}"#,
            BroadcastRejection::SignatureValidation {
                message: "high-S".to_owned(),
            },
        ),
    ];
    for (body, expected) in cases {
        let server = serve(move |_, _| reply(400, body)).await;
        let client = NodeClient::new(&server.url, fast_config()).unwrap();
        match client.broadcast(&signed_call()).await {
            Err(NodeError::Rejected { rejection, .. }) => assert_eq!(rejection, expected),
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert_eq!(
            server.requests.lock().unwrap().len(),
            1,
            "a rejection must not be retried"
        );
    }
}

#[tokio::test]
async fn transient_failures_are_retried_then_succeed() {
    let server = serve(|_, count| {
        if count < 3 {
            reply(503, "busy")
        } else {
            reply(200, r#"{"balance":"0x01","nonce":1}"#)
        }
    })
    .await;
    let client = NodeClient::new(&server.url, fast_config()).unwrap();
    assert_eq!(
        client
            .account("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")
            .await
            .unwrap()
            .nonce,
        1
    );
    assert_eq!(server.requests.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = serve(|_, _| reply(502, "bad gateway")).await;
    let client = NodeClient::new(&server.url, fast_config()).unwrap();
    match client
        .account("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")
        .await
    {
        Err(NodeError::Http {
            status: 502,
            attempts: 3,
            ..
        }) => {}
        other => panic!("expected a 502 after 3 attempts, got {other:?}"),
    }
    assert_eq!(server.requests.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = serve(|_, _| reply(400, "no")).await;
    let client = NodeClient::new(&server.url, fast_config()).unwrap();
    assert!(matches!(
        client
            .account("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")
            .await,
        Err(NodeError::Http { status: 400, .. })
    ));
    assert_eq!(server.requests.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn slow_node_times_out() {
    let server = serve(|_, _| Reply {
        status: 200,
        body: "{}".to_owned(),
        delay: Duration::from_secs(10),
    })
    .await;
    let config = ClientConfig {
        max_retries: 1,
        timeout: Duration::from_millis(300),
        ..fast_config()
    };
    let client = NodeClient::new(&server.url, config).unwrap();
    let started = Instant::now();
    match client
        .account("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")
        .await
    {
        Err(NodeError::Transport {
            attempts: 2,
            source,
            ..
        }) => assert!(source.is_timeout()),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn unreachable_node_is_a_transport_error() {
    // Bind then drop a listener so the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = NodeClient::new(&format!("http://127.0.0.1:{port}"), fast_config()).unwrap();
    assert!(matches!(
        client
            .account("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM")
            .await,
        Err(NodeError::Transport { attempts: 3, .. })
    ));
}

#[tokio::test]
async fn transaction_status_maps_every_state() {
    let ok_hex = ClarityValue::ok(ClarityValue::UInt(9)).to_hex();
    let cases = [
        (200, r#"{"tx_status":"pending"}"#.to_owned(), TxStatus::Pending),
        (
            200,
            format!(r#"{{"tx_status":"success","block_height":42,"tx_result":{{"hex":"0x{ok_hex}","repr":"(ok u9)"}}}}"#),
            TxStatus::Success { block_height: Some(42), result: Some(ClarityValue::ok(ClarityValue::UInt(9))) },
        ),
        (
            200,
            r#"{"tx_status":"abort_by_response","block_height":43,"tx_result":{"hex":"0x080100000000000000000000000000000065"}}"#.to_owned(),
            TxStatus::AbortByResponse { block_height: Some(43), result: Some(ClarityValue::err(ClarityValue::UInt(101))) },
        ),
        (200, r#"{"tx_status":"abort_by_post_condition","block_height":44}"#.to_owned(), TxStatus::AbortByPostCondition { block_height: Some(44) }),
        (200, r#"{"tx_status":"dropped_replace_by_fee"}"#.to_owned(), TxStatus::Dropped(DropReason::ReplaceByFee)),
        (200, r#"{"tx_status":"dropped_stale_garbage_collect"}"#.to_owned(), TxStatus::Dropped(DropReason::StaleGarbageCollect)),
        (404, r#"{"error":"could not find transaction"}"#.to_owned(), TxStatus::NotFound),
    ];
    let txid = [0xab; 32];
    for (status, body, expected) in cases {
        let server = serve(move |_, _| reply(status, body.clone())).await;
        let client = NodeClient::new(&server.url, fast_config()).unwrap();
        assert_eq!(client.transaction_status(&txid).await.unwrap(), expected);
        assert_eq!(
            server.requests.lock().unwrap()[0].path,
            format!("/extended/v1/tx/0x{}", "ab".repeat(32))
        );
    }
}

#[tokio::test]
async fn read_only_call_sends_hex_arguments_and_decodes_the_result() {
    let result = ClarityValue::Bool(true).to_hex();
    let server =
        serve(move |_, _| reply(200, format!(r#"{{"okay":true,"result":"0x{result}"}}"#))).await;
    let client = NodeClient::new(&server.url, fast_config()).unwrap();
    let call = ContractCall::new(
        "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry",
        "verify-inclusion",
        vec![ClarityValue::UInt(1)],
    )
    .unwrap();
    let sender = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap();
    assert_eq!(
        client.call_read_only(&call, &sender).await.unwrap(),
        ClarityValue::Bool(true)
    );
    let request = server.requests.lock().unwrap()[0].clone();
    assert_eq!(
        request.path,
        "/v2/contracts/call-read/ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM/registry/verify-inclusion"
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["sender"], "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM");
    assert_eq!(
        body["arguments"][0],
        format!("0x{}", ClarityValue::UInt(1).to_hex())
    );
}

#[tokio::test]
async fn read_only_failure_carries_the_cause() {
    let server =
        serve(|_, _| reply(200, r#"{"okay":false,"cause":"Unchecked(NoSuchContract)"}"#)).await;
    let client = NodeClient::new(&server.url, fast_config()).unwrap();
    let call = ContractCall::new(
        "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.nothing",
        "f",
        vec![],
    )
    .unwrap();
    let sender = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM").unwrap();
    match client.call_read_only(&call, &sender).await {
        Err(NodeError::ReadOnlyFailed { cause, .. }) => {
            assert_eq!(cause, "Unchecked(NoSuchContract)")
        }
        other => panic!("expected ReadOnlyFailed, got {other:?}"),
    }
}
