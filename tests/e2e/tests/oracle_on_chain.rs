//! The oracle path against the real `oracle` contract (the chain stand-in at
//! `GENOFLOW_STANDIN_URL`): a local HTTP fixture server answers like NCBI E-utilities; the
//! oracle use case fetches over HTTP, canonicalises, signs and submits; the contract accepts the
//! value. A signature by shared/core over the version 2 message (bound to this contract and
//! chain id) is accepted; a signature for another network, a forged signature, an unknown oracle
//! key, a stale timestamp and one more than an hour ahead of the chain's clock are refused by the
//! contract; a source that is down or answers garbage produces no signed record. The committed
//! `tests/vectors/oracle.json`, made for this very deployment, is checked against it too: its
//! version 2 signatures are accepted, its version 1 signatures refused.

#![allow(clippy::unwrap_used)]

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use genoflow_core::{
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
use genoflow_node::{ClientConfig, NodeClient};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::PrivateKey,
    node::TxStatus,
    transaction::{ContractCall, Network, Transaction, TransactionOptions},
};
use genoflow_testkit::memory::{MemoryBlobStore, MemoryTable};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use genoflow_testkit::keys::DEPLOYER_KEY;
use genoflow_testkit::keys::WALLET_3_KEY as ORACLE_KEY;
use genoflow_testkit::keys::WALLET_4_KEY as STRANGER_KEY;
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

fn is_ok_true(status: &TxStatus) -> bool {
    matches!(status, TxStatus::Success { result: Some(ClarityValue::Response(Ok(value))), .. } if **value == ClarityValue::Bool(true))
}

/// The deployer's calls come from both tests: one at a time keeps its nonces in order.
static DEPLOYER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `oracle.submit(key, value, timestamp, signature)` relayed by `relayer` (anyone may relay).
async fn submit(
    node: &NodeClient,
    relayer: &str,
    key: &[u8],
    value: &[u8],
    timestamp: u64,
    signature: &[u8],
) -> TxStatus {
    let args = vec![
        ClarityValue::Buffer(key.to_vec()),
        ClarityValue::Buffer(value.to_vec()),
        ClarityValue::UInt(timestamp.into()),
        ClarityValue::Buffer(signature.to_vec()),
    ];
    send(node, relayer, "oracle", "submit", args).await
}

/// `oracle.get-value(key)`: the stored value's fields by name.
async fn stored_value(node: &NodeClient, key: &[u8]) -> BTreeMap<String, ClarityValue> {
    let get_value = ContractCall::new(
        &format!("{}.oracle", deployer()),
        "get-value",
        vec![ClarityValue::Buffer(key.to_vec())],
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
        panic!("not a tuple: {tuple:?}");
    };
    fields
        .into_iter()
        .map(|(name, value)| (name.as_str().to_owned(), value))
        .collect()
}

/// `key`'s RSV signature over `hash`.
fn rsv(key: &PrivateKey, hash: &[u8; 32]) -> Vec<u8> {
    key.sign(hash).unwrap().to_rsv().to_vec()
}

/// The deployer enables `key` as an oracle.
async fn set_oracle(node: &NodeClient, key: &[u8]) {
    let _turn = DEPLOYER_TURN.lock().await;
    let status = send(
        node,
        DEPLOYER_KEY,
        "oracle",
        "set-oracle",
        vec![ClarityValue::Buffer(key.to_vec()), ClarityValue::Bool(true)],
    )
    .await;
    assert!(matches!(status, TxStatus::Success { .. }), "{status:?}");
}

/// The stand-in's URL and a client of it.
fn standin() -> (String, NodeClient) {
    let url = std::env::var("GENOFLOW_STANDIN_URL")
        .expect("GENOFLOW_STANDIN_URL: start tests/chain-standin");
    let node = NodeClient::new(&url, ClientConfig::default()).unwrap();
    (url, node)
}

/// `stacks-block-time` of the stand-in's latest block (unix seconds).
async fn chain_time(url: &str) -> u64 {
    let status: serde_json::Value = reqwest::get(format!("{url}/standin/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    status["block_time"]
        .as_u64()
        .expect("block_time in /standin/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
async fn oracle_values_reach_the_contract_and_forgeries_do_not() {
    let (url, node) = standin();
    let sources = fixture_server().await;
    let oracle_key = PrivateKey::from_hex(ORACLE_KEY).unwrap();
    set_oracle(&node, &oracle_key.public_key().to_bytes()).await;

    let table = Arc::new(MemoryTable::default());
    let blobs = Arc::new(MemoryBlobStore::default());
    let oracle = OracleUpdates {
        table: table.clone(),
        blobs: blobs.clone(),
        clock: Arc::new(SystemClock),
        chain: Some(Arc::new(node.clone()) as Arc<dyn Chain>),
        fetcher: Arc::new(genoflow_node::WebFetcher::new(Duration::from_secs(10)).unwrap()),
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
        panel: None,
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
    let stored = stored_value(&node, &hex::decode(&record.key).unwrap()).await;
    assert_eq!(
        stored["value"],
        ClarityValue::Buffer(hex::decode(&record.value).unwrap())
    );
    assert_eq!(
        stored["timestamp"],
        ClarityValue::UInt(record.timestamp.into())
    );
    assert_eq!(
        stored["oracle"],
        ClarityValue::Buffer(oracle_key.public_key().to_bytes().to_vec())
    );

    // Refused by the contract: a timestamp more than an hour ahead of the chain's clock (u604),
    // a stale timestamp (u603), a forged signature (u602 or u601: it recovers another key), an
    // unknown oracle key (u601), the oracle's own signature over the version 2 message for
    // another network (u601: it recovers another key).
    let contract = Principal::parse(&format!("{}.oracle", deployer())).unwrap();
    let key: [u8; 32] = hex::decode(&record.key).unwrap().try_into().unwrap();
    let value: [u8; 32] = hex::decode(&record.value).unwrap().try_into().unwrap();
    let v2_message =
        |chain_id: u32, timestamp: u64| message_hash(&contract, chain_id, &key, &value, timestamp);
    let testnet = Network::Testnet.chain_id();
    let stale = record.timestamp;
    let newer = record.timestamp + 10;
    // Each refused call below is one more block, 10 s: the first is still far more than an
    // hour ahead.
    let ahead = chain_time(&url).await + 3_600 + 600;
    let mut forged = rsv(&oracle_key, &v2_message(testnet, newer));
    forged[10] ^= 1;
    let stranger = PrivateKey::from_hex(STRANGER_KEY).unwrap();
    let refusals: [(&str, u64, Vec<u8>, &[u128]); 5] = [
        (
            "an hour ahead",
            ahead,
            oracle.signer.sign(&key, &value, ahead).unwrap().to_vec(),
            &[604],
        ),
        (
            "stale",
            stale,
            rsv(&oracle_key, &v2_message(testnet, stale)),
            &[603],
        ),
        ("forged", newer, forged, &[601, 602]),
        (
            "unknown oracle",
            newer,
            rsv(&stranger, &v2_message(testnet, newer)),
            &[601],
        ),
        (
            "signed for mainnet",
            newer,
            rsv(&oracle_key, &v2_message(Network::Mainnet.chain_id(), newer)),
            &[601],
        ),
    ];
    for (what, timestamp, signature, codes) in refusals {
        let status = submit(&node, STRANGER_KEY, &key, &value, timestamp, &signature).await;
        assert!(
            codes.iter().any(|&code| is_err(&status, code)),
            "{what}: {status:?}"
        );
    }

    // shared/core's signature over the version 2 message, relayed by anyone: (ok true), stored.
    let signature = oracle.signer.sign(&key, &value, newer).unwrap();
    let status = submit(&node, STRANGER_KEY, &key, &value, newer, &signature).await;
    assert!(is_ok_true(&status), "version 2 message: {status:?}");
    assert_eq!(
        stored_value(&node, &key).await["timestamp"],
        ClarityValue::UInt(newer.into())
    );

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
async fn committed_oracle_vectors_version_2_accepted_version_1_refused() {
    let (_, node) = standin();
    // Written by shared/core's OracleSigner::sign for the devnet deployer's oracle on testnet:
    // the stand-in's deployment.
    let path = format!(
        "{}/../../tests/vectors/oracle.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(vectors["contract"], format!("{}.oracle", deployer()));
    assert_eq!(
        vectors["chain_id"].as_u64(),
        Some(u64::from(Network::Testnet.chain_id()))
    );
    let bytes = |value: &serde_json::Value| hex::decode(value.as_str().unwrap()).unwrap();
    set_oracle(&node, &bytes(&vectors["oracle_public_key"])).await;

    /// wallet_2: relays the vectors' values.
    const RELAYER_KEY: &str = "530d9f61984c888536871c6573073bdfc0058896dc1adfe9a6a10dfacadc209101";
    for message in vectors["messages"].as_array().unwrap() {
        let (key, value) = (bytes(&message["key"]), bytes(&message["value"]));
        let timestamp = message["timestamp"].as_u64().unwrap();
        // The enabled key's signature over the version 1 message recovers another key (u601);
        // its signature over the version 2 message is accepted.
        for (signature, accepted) in [("v1_signature", false), ("signature", true)] {
            let signature_bytes = bytes(&message[signature]);
            let status = submit(
                &node,
                RELAYER_KEY,
                &key,
                &value,
                timestamp,
                &signature_bytes,
            )
            .await;
            let expected = if accepted {
                is_ok_true(&status)
            } else {
                is_err(&status, 601)
            };
            assert!(expected, "{signature}: {status:?}");
        }
    }
}
