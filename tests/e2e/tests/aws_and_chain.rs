//! A read pair from login to a confirmed anchor, through the functions' handlers over the real
//! AWS APIs (moto's server at `AWS_ENDPOINT_URL`) and a Stacks node API (the chain stand-in at
//! `GENOFLOW_STANDIN_URL`, running the real contracts):
//!
//! login → `POST /uploads` → PUT to the presigned URLs → S3 event → validate → SQS → analyze
//! → SQS → anchor (one `anchor-batch`) → schedule → confirmed → `GET /datasets/{id}`,
//! `/report`, `/proof` → `registry.verify-inclusion` on chain.
//!
//! Events are built in AWS's shapes (the functions' fixtures; SQS records from the messages
//! SQS hands out), and delivered the way Lambda's pollers do: messages a handler lists as
//! failed become visible again, the others are deleted. `tests/run-all.sh` starts both servers.
//!
//! The api function reads the contracts like its `main` does: a purchase on chain opens a
//! sample to its buyer only (`a_purchase_on_chain_opens_the_sample_through_the_api_function`).

#![allow(clippy::unwrap_used)]

use genoflow_testkit::{fixtures, serve as support};
mod wallet;

use std::{path::Path, sync::Arc, time::Duration};

use aws_sdk_sqs::types::QueueAttributeName;
use genoflow_aws::{
    DynamoTable, S3BlobStore, SqsQueue, config,
    lambda::{
        http::HttpEvent,
        s3::S3Event,
        sqs::{SqsEvent, poll_once},
    },
    setup::{MAX_RECEIVES, ResourceNames, create_resources},
};
use genoflow_core::{
    http::ChainReads,
    ports::{BlobStore, Chain, Clock, HmacSecret, HmacTokenSigner, Queue, SystemClock, Table},
    usecases::{
        anchor::Anchorer,
        submit::ContractSender,
        upload::UploadLimits,
        verify::{verify_offline, verify_on_chain},
    },
};
use genoflow_function_analyze::Analyze;
use genoflow_function_anchor::{Anchor, AnchorEvent};
use genoflow_function_api::Api;
use genoflow_function_presign::Presign;
use genoflow_function_validate::Validate;
use genoflow_node::{ClientConfig, NodeClient};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::PrivateKey,
    node::TxStatus,
    transaction::{ContractCall, Network, Transaction, TransactionOptions},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use genoflow_testkit::keys::DEPLOYER_KEY;
use genoflow_testkit::keys::WALLET_1_KEY;
use genoflow_testkit::keys::WALLET_2_KEY;
const FEE: u64 = 10_000;

fn repo(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn address(key: &str) -> String {
    PrivateKey::from_hex(key)
        .unwrap()
        .address(Network::Testnet.single_sig_version())
        .to_string()
}

struct Stack {
    sqs: aws_sdk_sqs::Client,
    bucket: String,
    analysis_url: String,
    anchor_url: String,
    table: Arc<dyn Table>,
    blobs: Arc<dyn BlobStore>,
    node: NodeClient,
    presign: Presign,
    validate: Validate,
    analyze: Analyze,
    anchor: Anchor,
    api: Api,
}

async fn stack() -> Stack {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL must point at moto's server (tests/run-all.sh starts it)"
    );
    let standin = std::env::var("GENOFLOW_STANDIN_URL").expect(
        "GENOFLOW_STANDIN_URL must point at the chain stand-in (tests/run-all.sh starts it)",
    );
    let sdk = config::load().await;
    let prefix = format!("e2e-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let resources = create_resources(&sdk, &ResourceNames::with_prefix(&prefix))
        .await
        .unwrap();
    let table: Arc<dyn Table> = Arc::new(DynamoTable::new(&sdk, &resources.table));
    let blobs: Arc<dyn BlobStore> = Arc::new(S3BlobStore::new(&sdk, &resources.bucket));
    let queue: Arc<dyn Queue> = Arc::new(SqsQueue::new(
        &sdk,
        &resources.analysis_queue_url,
        &resources.anchor_queue_url,
    ));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let tokens = Arc::new(HmacTokenSigner::new(
        HmacSecret::new(b"end-to-end-test-secret-0123456789abcdef".to_vec()).unwrap(),
    ));
    let node = NodeClient::new(&standin, ClientConfig::default()).unwrap();
    let chain: Arc<dyn Chain> = Arc::new(node.clone());
    Stack {
        sqs: aws_sdk_sqs::Client::new(&sdk),
        bucket: resources.bucket.clone(),
        analysis_url: resources.analysis_queue_url.clone(),
        anchor_url: resources.anchor_queue_url.clone(),
        presign: Presign::new(
            genoflow_function_presign::Ports {
                table: table.clone(),
                blobs: blobs.clone(),
                clock: clock.clone(),
                tokens: tokens.clone(),
            },
            Network::Testnet,
            time::Duration::hours(1),
            UploadLimits::default(),
        ),
        validate: Validate::new(genoflow_function_validate::Ports {
            table: table.clone(),
            blobs: blobs.clone(),
            queue: queue.clone(),
            clock: clock.clone(),
        }),
        analyze: Analyze::new(genoflow_function_analyze::Ports {
            table: table.clone(),
            blobs: blobs.clone(),
            queue: queue.clone(),
            clock: clock.clone(),
        }),
        anchor: Anchor::new(
            genoflow_function_anchor::Ports {
                table: table.clone(),
                blobs: blobs.clone(),
                queue,
                clock: clock.clone(),
                chain: Some(chain),
            },
            Anchorer {
                sender: ContractSender {
                    key: PrivateKey::from_hex(WALLET_2_KEY).unwrap(),
                    network: Network::Testnet,
                    fee: FEE,
                },
                registry: format!("{}.registry", address(DEPLOYER_KEY)),
            },
        ),
        api: Api::with_chain(
            genoflow_function_api::Ports {
                table: table.clone(),
                blobs: blobs.clone(),
                clock: clock.clone(),
                tokens,
            },
            Some(Arc::new(
                ChainReads::new(
                    Arc::new(node.clone()),
                    &format!("{}.registry", address(DEPLOYER_KEY)),
                    Network::Testnet,
                    clock,
                )
                .unwrap(),
            )),
        ),
        table,
        blobs,
        node,
    }
}

/// An HTTP API event from a function's fixture, with `path_id` in place of the fixture's
/// dataset id, `body`, and a bearer `token`.
fn http_event(fixture: &str, path_id: Option<&str>, body: &str, token: Option<&str>) -> HttpEvent {
    let event = fixtures::http_event(Path::new(&repo(fixture)), path_id, Some(body), token);
    serde_json::from_value(event).unwrap()
}

fn answer(response: impl serde::Serialize) -> (u16, Value) {
    let response = serde_json::to_value(response).unwrap();
    let body = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    (response["statusCode"].as_u64().unwrap() as u16, body)
}

/// The S3 notification S3 sends for `key` (URL-encoded, `+` for spaces, as S3 does).
fn s3_event(bucket: &str, key: &str, size: usize) -> S3Event {
    let mut event: Value = serde_json::from_slice(&read(
        "functions/validate/tests/events/s3-object-created-put.json",
    ))
    .unwrap();
    let encoded = genoflow_core::keys::encode_event_key(key);
    event["Records"][0]["s3"]["bucket"]["name"] = bucket.into();
    event["Records"][0]["s3"]["bucket"]["arn"] = format!("arn:aws:s3:::{bucket}").into();
    event["Records"][0]["s3"]["object"]["key"] = encoded.into();
    event["Records"][0]["s3"]["object"]["size"] = size.into();
    serde_json::from_value(event).unwrap()
}

impl Stack {
    async fn login(&self, key: &str, nonce: u64) -> String {
        let body = serde_json::to_string(&support::Client::login_body(key, nonce)).unwrap();
        let event = http_event(
            "functions/presign/tests/events/post-auth-login.json",
            None,
            &body,
            None,
        );
        let (status, body) = answer(self.presign.handle(event).await);
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// `POST /uploads` for `files`, then each PUT to its presigned URL as a browser does.
    async fn upload(&self, token: &str, files: &[(&str, &[u8])]) -> Vec<(String, String)> {
        let declared: Vec<Value> = files
            .iter()
            .map(|(name, bytes)| {
                json!({"filename": name, "size": bytes.len(), "sha256": hex::encode(Sha256::digest(bytes))})
            })
            .collect();
        let body = json!({"files": declared}).to_string();
        let event = http_event(
            "functions/presign/tests/events/post-uploads.json",
            None,
            &body,
            Some(token),
        );
        let (status, created) = answer(self.presign.handle(event).await);
        assert_eq!(status, 201, "{created}");
        let http = reqwest::Client::new();
        let mut ids = Vec::new();
        for ((name, bytes), dataset) in files.iter().zip(created["datasets"].as_array().unwrap()) {
            let upload = &dataset["upload"];
            let mut put = http
                .put(upload["url"].as_str().unwrap())
                .body(bytes.to_vec());
            for (header, value) in upload["headers"].as_object().unwrap() {
                put = put.header(header.as_str(), value.as_str().unwrap());
            }
            let response = put.send().await.unwrap();
            assert!(
                response.status().is_success(),
                "PUT {name}: {}",
                response.status()
            );
            let id = dataset["dataset_id"].as_str().unwrap().to_owned();
            ids.push((id, (*name).to_owned()));
        }
        ids
    }

    async fn object_created(&self, owner: &str, dataset_id: &str, name: &str, size: usize) {
        let key = genoflow_core::keys::upload_key(owner, dataset_id, name);
        self.validate
            .handle(&s3_event(&self.bucket, &key, size))
            .await
            .unwrap();
    }

    /// One Lambda poll of `queue_url`: the messages SQS hands out as an SQS event; `handle`
    /// answers the ids that failed; the others are deleted, the failed ones made visible again.
    async fn poll<F, Fut>(&self, queue_url: &str, handle: F) -> (usize, Vec<String>)
    where
        F: FnOnce(SqsEvent) -> Fut,
        Fut: Future<Output = Vec<String>>,
    {
        poll_once(&self.sqs, queue_url, 10, handle).await.unwrap()
    }

    async fn poll_analysis(&self) -> (usize, Vec<String>) {
        self.poll(&self.analysis_url.clone(), |event| async move {
            failures(&self.analyze.handle(&event).await)
        })
        .await
    }

    async fn poll_anchor(&self) -> (usize, Vec<String>) {
        self.poll(&self.anchor_url.clone(), |event| async move {
            let answer = self.anchor.handle(AnchorEvent::Sqs(event)).await.unwrap();
            failures(&answer)
        })
        .await
    }

    async fn get(&self, fixture: &str, id: &str, token: &str) -> (u16, Value) {
        let event = http_event(
            &format!("functions/api/tests/events/{fixture}"),
            Some(id),
            "",
            Some(token),
        );
        answer(self.api.handle(event).await)
    }

    /// Broadcasts a deployer call and waits for its block.
    async fn deployer_call(&self, function: &str, args: Vec<ClarityValue>) {
        let deployer = PrivateKey::from_hex(DEPLOYER_KEY).unwrap();
        let nonce = self
            .node
            .account(&address(DEPLOYER_KEY))
            .await
            .unwrap()
            .nonce;
        let call = ContractCall::new(
            &format!("{}.registry", address(DEPLOYER_KEY)),
            function,
            args,
        )
        .unwrap();
        let tx = Transaction::sign_new(
            call.into(),
            &TransactionOptions::new(Network::Testnet, nonce, FEE),
            &deployer,
        )
        .unwrap();
        let txid = self.node.broadcast(&tx).await.unwrap();
        for _ in 0..100 {
            match self.node.transaction_status(&txid).await.unwrap() {
                TxStatus::Success { .. } => return,
                TxStatus::Pending | TxStatus::NotFound => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                other => panic!("{function}: {other:?}"),
            }
        }
        panic!("{function} was not mined");
    }
}

fn failures(response: impl serde::Serialize) -> Vec<String> {
    serde_json::to_value(response).unwrap()["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto at AWS_ENDPOINT_URL and the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
async fn a_read_pair_goes_from_login_to_a_confirmed_anchor_that_verifies_on_chain() {
    let stack = stack().await;
    let owner = address(WALLET_1_KEY);
    stack
        .deployer_call(
            "set-anchorer",
            vec![
                ClarityValue::Principal(Principal::parse(&address(WALLET_2_KEY)).unwrap()),
                ClarityValue::Bool(true),
            ],
        )
        .await;

    let token = stack.login(WALLET_1_KEY, 1).await;
    let (r1, r2) = (
        read("tests/data/samples/tb-demo_R1.fastq.gz"),
        read("tests/data/samples/tb-demo_R2.fastq.gz"),
    );
    let ids = stack
        .upload(
            &token,
            &[("tb demo_R1.fastq.gz", &r1), ("tb demo_R2.fastq.gz", &r2)],
        )
        .await;

    // S3 notifies each object; a duplicate notification changes nothing.
    for ((id, name), size) in ids.iter().zip([r1.len(), r2.len()]) {
        stack.object_created(&owner, id, name, size).await;
    }
    let validated = stack.table.get_dataset(&ids[0].0).await.unwrap().unwrap();
    stack
        .object_created(&owner, &ids[0].0, &ids[0].1, r1.len())
        .await;
    assert_eq!(
        stack.table.get_dataset(&ids[0].0).await.unwrap().unwrap(),
        validated
    );

    // One analysis request for the pair, analysed once.
    let (received, failed) = stack.poll_analysis().await;
    assert_eq!((received, failed.len()), (1, 0));
    assert_eq!(
        stack.poll_analysis().await.0,
        0,
        "nothing left on the analysis queue"
    );

    // One anchor request → one anchor-batch transaction → confirmed by the schedule.
    let (received, failed) = stack.poll_anchor().await;
    assert_eq!((received, failed.len()), (1, 0), "{failed:?}");
    let mut confirmed = false;
    for _ in 0..50 {
        let answer = stack
            .anchor
            .handle(serde_json::from_str(r#"{"type": "confirm_pending"}"#).unwrap())
            .await
            .unwrap();
        if !serde_json::to_value(&answer).unwrap()["confirmed"]
            .as_array()
            .unwrap()
            .is_empty()
        {
            confirmed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(confirmed, "the batch was not confirmed");

    // The API, as the browser reads it.
    for (id, _) in &ids {
        let (status, dataset) = stack.get("get-dataset.json", id, &token).await;
        assert_eq!(
            (status, dataset["status"].as_str()),
            (200, Some("confirmed")),
            "{dataset}"
        );
    }
    let (status, report) = stack
        .get("get-dataset-report.json", &ids[0].0, &token)
        .await;
    assert_eq!(status, 200, "{report}");
    let resistant: Vec<&str> = report["report"]["resistance"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["call"] == "resistant")
        .map(|d| d["drug"].as_str().unwrap())
        .collect();
    assert_eq!(
        resistant,
        ["Ethionamide", "Isoniazid", "Pyrazinamide", "Rifampicin"]
    );
    let (status, proof) = stack.get("get-dataset-proof.json", &ids[1].0, &token).await;
    assert_eq!(
        (status, proof["tx_status"].as_str()),
        (200, Some("confirmed")),
        "{proof}"
    );
    assert_eq!(proof["report_sha256"], report["report_sha256"]);
    let inputs_hash = Sha256::new()
        .chain_update(Sha256::digest(&r1))
        .chain_update(Sha256::digest(&r2))
        .finalize();
    assert_eq!(proof["inputs_hash"], hex::encode(inputs_hash));

    // The proof holds on chain, and a changed byte does not.
    let verify = |item: &str| {
        let siblings: Vec<ClarityValue> = proof["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| ClarityValue::Buffer(hex::decode(p.as_str().unwrap()).unwrap()))
            .collect();
        ContractCall::new(
            &format!("{}.registry", address(DEPLOYER_KEY)),
            "verify-inclusion",
            vec![
                ClarityValue::UInt(proof["batch_id"].as_u64().unwrap().into()),
                ClarityValue::Buffer(hex::decode(item).unwrap()),
                ClarityValue::UInt(proof["index"].as_u64().unwrap().into()),
                ClarityValue::list(siblings).unwrap(),
            ],
        )
        .unwrap()
    };
    let sender = Principal::parse(&owner).unwrap();
    let item = proof["item"].as_str().unwrap();
    assert_eq!(
        stack
            .node
            .call_read_only(&verify(item), &sender)
            .await
            .unwrap(),
        ClarityValue::Bool(true)
    );
    let mut forged = hex::decode(item).unwrap();
    forged[0] ^= 1;
    assert_eq!(
        stack
            .node
            .call_read_only(&verify(&hex::encode(forged)), &sender)
            .await
            .unwrap(),
        ClarityValue::Bool(false)
    );

    // The report bytes are the ones whose hash is anchored.
    let report_bytes = stack
        .blobs
        .read_range(&format!("results/{}/report.json", ids[0].0), 0..u64::MAX)
        .await
        .unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&report_bytes)),
        report["report_sha256"].as_str().unwrap()
    );

    // What `genoflow verify --node` checks: everything holds, offline and on chain.
    let parsed: genoflow_core::model::Proof = serde_json::from_value(proof.clone()).unwrap();
    let offline = verify_offline(&report_bytes, &parsed);
    assert!(offline.iter().all(|c| c.holds), "{offline:?}");
    let on_chain = verify_on_chain(&stack.node, &parsed, &parsed.registry).await;
    assert!(on_chain.iter().all(|c| c.holds), "{on_chain:?}");
    let mut moved = parsed.clone();
    moved.index = 1 - moved.index;
    assert!(
        verify_on_chain(&stack.node, &moved, &parsed.registry)
            .await
            .iter()
            .any(|c| !c.holds)
    );

    // A redelivered anchor request changes nothing: same transaction, same proof.
    let body = json!({"type": "anchor_requested", "sample_id": report["sample_id"], "item": item});
    stack
        .sqs
        .send_message()
        .queue_url(&stack.anchor_url)
        .message_body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(stack.poll_anchor().await, (1, vec![]));
    let (_, again) = stack.get("get-dataset-proof.json", &ids[1].0, &token).await;
    assert_eq!(again, proof);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto at AWS_ENDPOINT_URL and the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
async fn a_corrupt_upload_ends_invalid_and_a_poison_message_lands_in_the_dead_letter_queue() {
    let stack = stack().await;
    let owner = address(WALLET_1_KEY);
    let token = stack.login(WALLET_1_KEY, 2).await;

    // A gzip cut in half: uploaded as declared, then found invalid, with where it broke.
    let r1 = read("tests/data/samples/tb-demo_R1.fastq.gz");
    let cut = &r1[..r1.len() / 2];
    let ids = stack.upload(&token, &[("cut.fastq.gz", cut)]).await;
    stack
        .object_created(&owner, &ids[0].0, &ids[0].1, cut.len())
        .await;
    let (status, dataset) = stack.get("get-dataset.json", &ids[0].0, &token).await;
    assert_eq!(
        (status, dataset["status"].as_str()),
        (200, Some("invalid")),
        "{dataset}"
    );
    assert!(
        !dataset["error"]["message"].as_str().unwrap().is_empty(),
        "{dataset}"
    );
    assert_eq!(
        stack.poll_analysis().await.0,
        0,
        "an invalid file is not analysed"
    );

    // A message no function understands: listed at every delivery, then moved by SQS's redrive
    // policy to the dead-letter queue.
    stack
        .sqs
        .send_message()
        .queue_url(&stack.analysis_url)
        .message_body("this is not a message")
        .send()
        .await
        .unwrap();
    let mut deliveries = 0;
    for _ in 0..(MAX_RECEIVES + 2) {
        let (received, failed) = stack.poll_analysis().await;
        assert_eq!(
            received,
            failed.len(),
            "a poison message is never acknowledged"
        );
        deliveries += received;
    }
    assert_eq!(deliveries, MAX_RECEIVES as usize);
    let dlq_url = stack
        .sqs
        .get_queue_attributes()
        .queue_url(&stack.analysis_url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(
        dlq_url
            .attributes()
            .unwrap()
            .get(&QueueAttributeName::RedrivePolicy)
            .unwrap(),
    )
    .unwrap();
    let dlq_name = policy["deadLetterTargetArn"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let dlq = stack
        .sqs
        .get_queue_url()
        .queue_name(dlq_name)
        .send()
        .await
        .unwrap();
    let parked = stack
        .sqs
        .receive_message()
        .queue_url(dlq.queue_url().unwrap())
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        parked
            .messages()
            .iter()
            .map(|m| m.body().unwrap())
            .collect::<Vec<_>>(),
        ["this is not a message"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto at AWS_ENDPOINT_URL and the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
async fn a_purchase_on_chain_opens_the_sample_through_the_api_function() {
    const PRICE: u64 = 2_000_000;
    let stack = stack().await;
    let wallets = wallet::Wallets::from_env();
    let keys = [
        wallet::fresh_key(),
        wallet::fresh_key(),
        wallet::fresh_key(),
    ];
    let [seller, buyer, _] = keys.each_ref().map(|key| address(key));
    wallets
        .fund(wallet::WALLET_4_KEY, &[&seller, &buyer], 10 * PRICE)
        .await;
    let [seller_token, buyer_token, third_token] = [
        stack.login(&keys[0], 1).await,
        stack.login(&keys[1], 1).await,
        stack.login(&keys[2], 1).await,
    ];

    // The seller's one-file sample, validated and analysed by the functions.
    let r1 = read("tests/data/samples/tb-demo_R1.fastq.gz");
    let ids = stack
        .upload(&seller_token, &[("tb-demo_R1.fastq.gz", &r1)])
        .await;
    let (id, name) = &ids[0];
    stack.object_created(&seller, id, name, r1.len()).await;
    assert_eq!(stack.poll_analysis().await, (1, vec![]));
    let (_, dataset) = stack.get("get-dataset.json", id, &seller_token).await;
    assert_eq!(dataset["chain"]["state"], "unregistered", "{dataset}");
    let inputs_hash = Sha256::digest(Sha256::digest(&r1)).to_vec();
    let sample_id = dataset["sample_id"].as_str().unwrap();
    let record = wallets
        .register_sample(&keys[0], "TB lab", &inputs_hash, sample_id)
        .await;
    let listing = wallets.list(&keys[0], record, PRICE).await;

    let (status, _) = stack.get("get-dataset.json", id, &buyer_token).await;
    assert_eq!(status, 404, "not before the purchase");
    wallets.buy(&keys[1], listing, PRICE).await;

    for fixture in [
        "get-dataset.json",
        "get-dataset-report.json",
        "get-dataset-download.json",
    ] {
        let (status, body) = stack.get(fixture, id, &buyer_token).await;
        assert_eq!(
            (status, &body["access"]),
            (200, &json!("purchase")),
            "{fixture}: {body}"
        );
        let (status, _) = stack.get(fixture, id, &third_token).await;
        assert_eq!(status, 404, "{fixture}: a third account");
    }
    let (_, download) = stack
        .get("get-dataset-download.json", id, &buyer_token)
        .await;
    let file = reqwest::get(download["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(
        &file.bytes().await.unwrap()[..],
        &r1[..],
        "the stored file itself"
    );
    // Not anchored here: the buyer is let through to the same answer the owner gets.
    let (status, body) = stack.get("get-dataset-proof.json", id, &buyer_token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("not_anchored"))
    );
    let (status, _) = answer(
        stack
            .api
            .handle(http_event(
                "functions/api/tests/events/delete-dataset.json",
                Some(id),
                "",
                Some(&buyer_token),
            ))
            .await,
    );
    assert_eq!(status, 404, "a buyer cannot delete");

    // The marketplace (no sign-in) and the buyer's purchases.
    let (status, page) = answer(
        stack
            .api
            .handle(http_event(
                "functions/api/tests/events/get-marketplace.json",
                None,
                "",
                None,
            ))
            .await,
    );
    assert_eq!(status, 200, "{page}");
    let shown = wallet::listing_in(&page, listing);
    assert_eq!(shown["seller"]["name"], "TB lab");
    assert_eq!(shown["sample"]["sample_id"], sample_id);
    assert!(!page.to_string().contains("\"url\""), "{page}");
    let purchases = |token: &str| {
        stack.api.handle(http_event(
            "functions/api/tests/events/get-purchases.json",
            None,
            "",
            Some(token),
        ))
    };
    let (status, bought) = answer(purchases(&buyer_token).await);
    assert_eq!(status, 200, "{bought}");
    assert_eq!(
        bought["purchases"],
        json!([{"sample_id": sample_id, "listing_id": listing, "chain_dataset_id": record,
                "seller": seller, "dataset_ids": [id]}])
    );
    let (_, none) = answer(purchases(&third_token).await);
    assert_eq!(none["purchases"], json!([]));
}
