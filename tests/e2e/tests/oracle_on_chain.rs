//! The oracle path against the real `oracle` contract (the chain stand-in at
//! `GENOFLOW_STANDIN_URL`): a local HTTP fixture server answers like NCBI E-utilities; the
//! oracle use case fetches over HTTP, canonicalises, signs and submits; the contract accepts the
//! value. A forged signature, an unknown oracle key and a stale timestamp are refused by the
//! contract; a source that is down or answers garbage produces no signed record.

#![allow(clippy::unwrap_used)]

use std::{sync::Arc, time::Duration};

use genoflow_core::{
    memory::{MemoryBlobStore, MemoryTable},
    model::SubmissionStatus,
    ports::{BlobStore, Chain, SystemClock, Table},
    usecases::{
        oracle::{
            OracleOutcome, OracleRequested, OracleSigner, OracleUpdates, Source, SourceUrls,
            message_hash,
        },
        submit::ContractSender,
    },
};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    client::{ClientConfig, NodeClient, TxStatus},
    keys::PrivateKey,
    transaction::{ContractCall, Network, Transaction, TransactionOptions},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

const DEPLOYER_KEY: &str = "753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601";
/// wallet_3 of the devnet: the oracle here (it signs and pays).
const ORACLE_KEY: &str = "d655b2523bcd65e34889725c73064feb17ceb796831c0e111ba1a552b0f31b3901";
/// wallet_4: a key the contract does not know as an oracle.
const STRANGER_KEY: &str = "f9d7206a47f14d2870c163ebab4bf3e70d18f5d14ce1031f3902fbbc894fe4c701";
const FEE: u64 = 10_000;

fn deployer() -> String {
    PrivateKey::from_hex(DEPLOYER_KEY)
        .unwrap()
        .address(Network::Testnet.single_sig_version())
        .to_string()
}

/// Serves `esummary.fcgi?db=...&id=...` like NCBI: the fixtures of shared/core/tests, a 503
/// for id 503, HTML for id 77.
async fn fixture_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let fixtures = format!(
        "{}/../../shared/core/tests/fixtures",
        env!("CARGO_MANIFEST_DIR")
    );
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let fixtures = fixtures.clone();
            tokio::spawn(async move {
                let mut request = vec![0; 4096];
                let read = socket.read(&mut request).await.unwrap_or(0);
                let line = String::from_utf8_lossy(&request[..read])
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let (status, body) = if line.contains("db=clinvar&id=12345&") {
                    (
                        "200 OK",
                        std::fs::read(format!("{fixtures}/clinvar-esummary-12345.json")).unwrap(),
                    )
                } else if line.contains("db=gene&id=888164&") {
                    (
                        "200 OK",
                        std::fs::read(format!("{fixtures}/gene-esummary-888164.json")).unwrap(),
                    )
                } else if line.contains("id=503&") {
                    ("503 Service Unavailable", b"busy".to_vec())
                } else if line.contains("id=77&") {
                    ("200 OK", b"<html>maintenance</html>".to_vec())
                } else {
                    ("404 Not Found", b"{}".to_vec())
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    format!("http://{address}/entrez/eutils")
}

async fn wait(node: &NodeClient, txid: &[u8; 32]) -> TxStatus {
    for _ in 0..100 {
        match node.transaction_status(txid).await.unwrap() {
            TxStatus::Pending | TxStatus::NotFound => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            done => return done,
        }
    }
    panic!("not mined");
}

async fn send(
    node: &NodeClient,
    key: &str,
    contract: &str,
    function: &str,
    args: Vec<ClarityValue>,
) -> TxStatus {
    let key = PrivateKey::from_hex(key).unwrap();
    let sender = key
        .address(Network::Testnet.single_sig_version())
        .to_string();
    let nonce = node.account(&sender).await.unwrap().nonce;
    let call = ContractCall::new(&format!("{}.{contract}", deployer()), function, args).unwrap();
    let tx = Transaction::sign_new(
        call.into(),
        &TransactionOptions::new(Network::Testnet, nonce, FEE),
        &key,
    )
    .unwrap();
    let txid = node.broadcast(&tx).await.unwrap();
    wait(node, &txid).await
}

fn is_err(status: &TxStatus, code: u128) -> bool {
    matches!(status, TxStatus::AbortByResponse { result: Some(ClarityValue::Response(Err(value))), .. } if **value == ClarityValue::UInt(code))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
async fn oracle_values_reach_the_contract_and_forgeries_do_not() {
    let url = std::env::var("GENOFLOW_STANDIN_URL")
        .expect("GENOFLOW_STANDIN_URL: start tests/chain-standin");
    let node = NodeClient::new(&url, ClientConfig::default()).unwrap();
    let sources = fixture_server().await;
    let oracle_key = PrivateKey::from_hex(ORACLE_KEY).unwrap();
    let status = send(
        &node,
        DEPLOYER_KEY,
        "oracle",
        "set-oracle",
        vec![
            ClarityValue::Buffer(oracle_key.public_key().to_bytes().to_vec()),
            ClarityValue::Bool(true),
        ],
    )
    .await;
    assert!(matches!(status, TxStatus::Success { .. }), "{status:?}");

    let table = Arc::new(MemoryTable::default());
    let blobs = Arc::new(MemoryBlobStore::default());
    let oracle = OracleUpdates {
        table: table.clone(),
        blobs: blobs.clone(),
        clock: Arc::new(SystemClock),
        chain: Some(Arc::new(node.clone()) as Arc<dyn Chain>),
        fetcher: Arc::new(reqwest::Client::new()),
        urls: SourceUrls {
            clinvar: sources.clone(),
            gene: sources.clone(),
        },
        signer: OracleSigner {
            sender: ContractSender {
                key: oracle_key.clone(),
                network: Network::Testnet,
                fee: FEE,
            },
            contract: format!("{}.oracle", deployer()),
        },
    };

    // Both sources, fetched over HTTP, signed, submitted, mined, confirmed.
    let mut keys = Vec::new();
    for request in [
        OracleRequested {
            source: Source::Clinvar,
            id: "12345".into(),
        },
        OracleRequested {
            source: Source::Gene,
            id: "888164".into(),
        },
    ] {
        let outcome = oracle.refresh(&request).await.unwrap();
        let OracleOutcome::Submitted { key, status, .. } = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(status, SubmissionStatus::Broadcast);
        keys.push(key);
    }
    let mut confirmed = Vec::new();
    for _ in 0..50 {
        confirmed = oracle.confirm().await.unwrap();
        if confirmed
            .iter()
            .all(|(_, s)| *s == SubmissionStatus::Confirmed)
            && !confirmed.is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        confirmed
            .iter()
            .all(|(_, s)| *s == SubmissionStatus::Confirmed),
        "{confirmed:?}"
    );

    // The contract holds exactly what the oracle signed.
    let record = table.get_oracle_value(&keys[0]).await.unwrap().unwrap();
    let get_value = ContractCall::new(
        &format!("{}.oracle", deployer()),
        "get-value",
        vec![ClarityValue::Buffer(hex::decode(&record.key).unwrap())],
    )
    .unwrap();
    let stored = node
        .call_read_only(&get_value, &Principal::parse(&deployer()).unwrap())
        .await
        .unwrap();
    let ClarityValue::Optional(Some(tuple)) = stored else {
        panic!("no value on chain: {stored:?}");
    };
    let ClarityValue::Tuple(fields) = *tuple else {
        panic!("not a tuple");
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        field("value"),
        ClarityValue::Buffer(hex::decode(&record.value).unwrap())
    );
    assert_eq!(
        field("timestamp"),
        ClarityValue::UInt(record.timestamp.into())
    );
    assert_eq!(
        field("oracle"),
        ClarityValue::Buffer(oracle_key.public_key().to_bytes().to_vec())
    );

    // Refused by the contract: a stale timestamp (u603), a forged signature (u602 or u601: it
    // recovers another key), an unknown oracle key (u601).
    let key: [u8; 32] = hex::decode(&record.key).unwrap().try_into().unwrap();
    let value: [u8; 32] = hex::decode(&record.value).unwrap().try_into().unwrap();
    let submit = |timestamp: u64, signature: Vec<u8>| {
        vec![
            ClarityValue::Buffer(key.to_vec()),
            ClarityValue::Buffer(value.to_vec()),
            ClarityValue::UInt(timestamp.into()),
            ClarityValue::Buffer(signature),
        ]
    };
    let stale = record.timestamp;
    let signature = oracle_key
        .sign(&message_hash(&key, &value, stale))
        .unwrap()
        .to_rsv()
        .to_vec();
    let status = send(
        &node,
        STRANGER_KEY,
        "oracle",
        "submit",
        submit(stale, signature),
    )
    .await;
    assert!(is_err(&status, 603), "stale: {status:?}");

    let newer = record.timestamp + 10;
    let mut forged = oracle_key
        .sign(&message_hash(&key, &value, newer))
        .unwrap()
        .to_rsv()
        .to_vec();
    forged[10] ^= 1;
    let status = send(
        &node,
        STRANGER_KEY,
        "oracle",
        "submit",
        submit(newer, forged),
    )
    .await;
    assert!(
        is_err(&status, 601) || is_err(&status, 602),
        "forged: {status:?}"
    );

    let stranger = PrivateKey::from_hex(STRANGER_KEY).unwrap();
    let signature = stranger
        .sign(&message_hash(&key, &value, newer))
        .unwrap()
        .to_rsv()
        .to_vec();
    let status = send(
        &node,
        STRANGER_KEY,
        "oracle",
        "submit",
        submit(newer, signature),
    )
    .await;
    assert!(is_err(&status, 601), "unknown oracle: {status:?}");

    // A source that is down, or answers garbage: no signed record, nothing submitted.
    let before = blobs.list("oracle/").await.unwrap().len();
    for id in ["503", "77"] {
        let error = oracle
            .refresh(&OracleRequested {
                source: Source::Clinvar,
                id: id.into(),
            })
            .await
            .unwrap_err();
        assert!(error.to_string().contains(&sources), "{error}");
    }
    assert_eq!(blobs.list("oracle/").await.unwrap().len(), before);
    assert_eq!(table.open_oracle_values().await.unwrap().len(), 0);
}
