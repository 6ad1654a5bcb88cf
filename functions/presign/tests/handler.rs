//! The presign handler on API Gateway HTTP API (payload 2.0) events shaped like AWS's
//! (`tests/events/*.json`), over the in-memory adapters.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use base64::{Engine, engine::general_purpose::STANDARD};
use genoflow_aws::lambda::http::HttpEvent;
use genoflow_core::{
    ports::{Claims, HmacSecret, HmacTokenSigner, PresignedPut, TokenSigner},
    usecases::{
        login::{LoginMessage, LoginRequest, login_domain},
        subscription::SubscriptionGate,
        upload::UploadLimits,
    },
};
use genoflow_function_presign::Presign;
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::PrivateKey,
    sip018,
    transaction::{ContractCall, Network},
};
use genoflow_testkit::{
    fixtures::{at, declare, http_event},
    keys::{ALICE, ALICE_KEY, BOB, BOB_KEY, START},
    world::World,
};
use serde_json::{Value, json};

/// A world with these upload limits, and the function over its route ports.
fn world(limits: UploadLimits) -> (World, Presign) {
    let world = World::with_limits(limits.clone());
    let presign = Presign::new(
        world.route_ports(),
        Network::Testnet,
        time::Duration::hours(1),
        limits,
    );
    (world, presign)
}

/// A fixture event with `body` (and a bearer token, or no `authorization` header).
fn event(fixture: &str, body: &str, token: Option<&str>) -> HttpEvent {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/events")
        .join(fixture);
    serde_json::from_value(http_event(&path, None, Some(body), token)).unwrap()
}

/// The response as API Gateway reads it: `(statusCode, parsed body)`.
async fn call(presign: &Presign, event: HttpEvent) -> (u16, Value) {
    let response = serde_json::to_value(presign.handle(event).await).unwrap();
    assert_eq!(response["headers"]["content-type"], "application/json");
    assert_eq!(response["headers"]["cache-control"], "no-store");
    let body = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    (response["statusCode"].as_u64().unwrap() as u16, body)
}

fn login_body(signer: &str, nonce: u64) -> String {
    let message = LoginMessage {
        action: "login".into(),
        nonce,
        expires: (START + 300) as u64,
    };
    let key = PrivateKey::from_hex(signer).unwrap();
    let signature = sip018::sign(
        &login_domain(Network::Testnet),
        &message.to_clarity().unwrap(),
        &key,
    )
    .unwrap();
    serde_json::to_string(&LoginRequest {
        public_key: hex::encode(key.public_key().to_bytes()),
        signature: hex::encode(signature),
        message,
    })
    .unwrap()
}

async fn login(presign: &Presign, signer: &str) -> String {
    let (status, body) = call(
        presign,
        event("post-auth-login.json", &login_body(signer, 7), None),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn declaration(name: &str, bytes: &[u8]) -> Value {
    json!(declare(name, bytes))
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap()
}

#[tokio::test]
async fn login_answers_a_token_for_the_signer_and_refuses_the_replayed_nonce() {
    let (_, presign) = world(UploadLimits::default());
    let login = event("post-auth-login.json", &login_body(ALICE_KEY, 1), None);

    let (status, body) = call(&presign, login.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["address"], ALICE);
    assert_eq!(body["expires"], START + 3600);
    assert!(!body["token"].as_str().unwrap().is_empty());

    let (status, body) = call(&presign, login).await;
    assert_eq!((status, error_code(&body)), (401, "nonce_used"), "{body}");
}

#[tokio::test]
async fn a_login_body_that_is_not_json_or_not_signed_by_its_key_is_refused() {
    let (_, presign) = world(UploadLimits::default());
    let (status, body) = call(
        &presign,
        event("post-auth-login.json", "{\"public_key\":", None),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "bad_request_body"),
        "{body}"
    );

    let mut forged: Value = serde_json::from_str(&login_body(ALICE_KEY, 2)).unwrap();
    let bob: Value = serde_json::from_str(&login_body(BOB_KEY, 2)).unwrap();
    forged["public_key"] = bob["public_key"].clone();
    let (status, body) = call(
        &presign,
        event("post-auth-login.json", &forged.to_string(), None),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "signature_mismatch"),
        "{body}"
    );
}

#[tokio::test]
async fn uploads_need_a_valid_bearer_token() {
    let (_, presign) = world(UploadLimits::default());
    let request = json!({"files": [declaration("r1.fastq.gz", b"@r\nA\n+\nI\n")]}).to_string();

    let (status, body) = call(&presign, event("post-uploads.json", &request, None)).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "unauthenticated"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no Authorization header")
    );

    let (status, body) = call(
        &presign,
        event("post-uploads.json", &request, Some("e30.e30")),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "unauthenticated"),
        "{body}"
    );

    // A token of another deployment (another secret) is refused too.
    let other = HmacTokenSigner::new(HmacSecret::new(vec![7; 32]).unwrap());
    let foreign = other.issue(&Claims {
        sub: ALICE.into(),
        iat: START,
        exp: START + 3600,
    });
    let (status, body) = call(
        &presign,
        event("post-uploads.json", &request, Some(&foreign)),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "unauthenticated"),
        "{body}"
    );
}

#[tokio::test]
async fn an_upload_answers_a_presigned_put_under_the_owners_prefix_and_the_put_works() {
    let (world, presign) = world(UploadLimits::default());
    let token = login(&presign, ALICE_KEY).await;
    let fastq = b"@r1\nACGT\n+\nIIII\n".to_vec();
    let request = json!({"files": [declaration("r1.fastq", &fastq)], "sample_name": "demo"});

    let (status, body) = call(
        &presign,
        event("post-uploads.json", &request.to_string(), Some(&token)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let dataset = &body["datasets"][0];
    let dataset_id = dataset["dataset_id"].as_str().unwrap();
    let upload = &dataset["upload"];
    assert_eq!(upload["method"], "PUT");
    assert!(
        upload["url"]
            .as_str()
            .unwrap()
            .contains(&format!("uploads/{ALICE}/{dataset_id}/r1.fastq")),
        "{upload}"
    );
    assert_eq!(upload["headers"]["content-length"], fastq.len().to_string());

    // The browser's PUT with exactly those headers is accepted by the store.
    let put: PresignedPut = serde_json::from_value(upload.clone()).unwrap();
    world
        .blobs
        .put_presigned(&put, &put.headers, fastq.clone(), at(START + 1))
        .unwrap();
    assert_eq!(
        world
            .blobs
            .object(&format!("uploads/{ALICE}/{dataset_id}/r1.fastq"))
            .unwrap(),
        fastq
    );
}

#[tokio::test]
async fn a_base64_body_is_decoded_and_a_bad_request_is_a_400() {
    let (_, presign) = world(UploadLimits::default());
    let token = login(&presign, ALICE_KEY).await;
    let mut encoded = event("post-uploads.json", "", Some(&token));
    let request = json!({"files": [declaration("a.fq", b"@r\nA\n+\nI\n")]}).to_string();
    encoded.body = Some(STANDARD.encode(request.as_bytes()));
    encoded.is_base64_encoded = true;
    let (status, body) = call(&presign, encoded).await;
    assert_eq!(status, 201, "{body}");

    let three = json!({"files": [declaration("a.fq", b"1"), declaration("b.fq", b"2"), declaration("c.fq", b"3")]});
    let (status, body) = call(
        &presign,
        event("post-uploads.json", &three.to_string(), Some(&token)),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "bad_upload_request"),
        "{body}"
    );
}

#[tokio::test]
async fn multipart_completion_is_the_owners_only() {
    let limits = UploadLimits {
        single_put_max: 8,
        min_part_size: 8,
        ..UploadLimits::default()
    };
    let (world, presign) = world(limits);
    let alice = login(&presign, ALICE_KEY).await;
    let bob = login(&presign, BOB_KEY).await;
    let bytes = b"@r1\nACGTACGT\n+\nIIIIIIII\n".to_vec();
    let request = json!({"files": [declaration("big.fastq", &bytes)]});
    let (status, body) = call(
        &presign,
        event("post-uploads.json", &request.to_string(), Some(&alice)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let dataset_id = body["datasets"][0]["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let upload = &body["datasets"][0]["upload"];
    assert_eq!(upload["multipart"], true, "{upload}");
    let part_size = upload["part_size"].as_u64().unwrap() as usize;
    let parts: Vec<Value> = upload["parts"]
        .as_array()
        .unwrap()
        .iter()
        .zip(bytes.chunks(part_size))
        .map(|(part, chunk)| {
            let etag = world
                .blobs
                .put_part(part["url"].as_str().unwrap(), chunk.to_vec())
                .unwrap();
            json!({"number": part["number"], "etag": etag})
        })
        .collect();
    let complete = json!({ "parts": parts }).to_string();
    let completion = |token: &str| {
        let mut event = event("post-uploads-complete.json", &complete, Some(token));
        let path = format!("/uploads/{dataset_id}/complete");
        event.raw_path = Some(path.clone());
        event.request_context.http.path = Some(path);
        event
            .path_parameters
            .insert("dataset_id".into(), dataset_id.clone());
        event
    };

    // Someone else's dataset looks exactly like a missing one.
    let (status, body) = call(&presign, completion(&bob)).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"), "{body}");
    let (status, body) = call(&presign, completion(&alice)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dataset_id"], dataset_id.as_str());
    assert_eq!(
        world
            .blobs
            .object(&format!("uploads/{ALICE}/{dataset_id}/big.fastq"))
            .unwrap(),
        bytes
    );
}

#[tokio::test]
async fn an_unknown_route_is_a_404() {
    let (_, presign) = world(UploadLimits::default());
    let mut event = event("post-uploads.json", "{}", None);
    event.raw_path = Some("/datasets".into());
    let (status, body) = call(&presign, event).await;
    assert_eq!((status, error_code(&body)), (404, "no_route"), "{body}");
}

#[tokio::test]
async fn with_the_subscription_gate_only_active_subscribers_get_upload_urls() {
    let (world, presign) = world(UploadLimits::default());
    let chain = &world.chain;
    let contract = format!("{ALICE}.subscription");
    let is_active = |who: &str| {
        ContractCall::new(
            &contract,
            "is-active",
            vec![ClarityValue::Principal(Principal::parse(who).unwrap())],
        )
        .unwrap()
    };
    chain.answer_read_only(&is_active(ALICE), ClarityValue::Bool(true));
    chain.answer_read_only(&is_active(BOB), ClarityValue::Bool(false));
    let presign = presign.with_subscription_gate(SubscriptionGate {
        chain: chain.clone(),
        contract: contract.clone(),
    });
    let request = json!({"files": [declaration("r1.fastq", b"@r\nA\n+\nI\n")]}).to_string();

    let alice = login(&presign, ALICE_KEY).await;
    let (status, body) = call(&presign, event("post-uploads.json", &request, Some(&alice))).await;
    assert_eq!(status, 201, "{body}");

    let bob_token = login(&presign, BOB_KEY).await;
    let (status, body) = call(
        &presign,
        event("post-uploads.json", &request, Some(&bob_token)),
    )
    .await;
    assert_eq!((status, error_code(&body)), (403, "subscription_required"));

    chain.set_unavailable(true);
    let (status, body) = call(&presign, event("post-uploads.json", &request, Some(&alice))).await;
    assert_eq!((status, error_code(&body)), (503, "chain_unavailable"));
}
