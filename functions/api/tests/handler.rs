//! The api handler on API Gateway HTTP API (payload 2.0) events shaped like AWS's
//! (`tests/events/*.json`), over the in-memory adapters.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use genoflow_aws::lambda::http::HttpEvent;
use genoflow_core::{
    ports::{Claims, Message, TokenSigner},
    usecases::object_created::ObjectOutcome,
};
use genoflow_function_api::Api;
use genoflow_testkit::{
    fixtures::{data, http_event},
    keys::{ALICE, BOB, START},
    world::World,
};
use serde_json::Value;

/// The function over the world's route ports.
fn world() -> (World, Api) {
    let world = World::new();
    let api = Api::new(world.route_ports());
    (world, api)
}

/// `owner` uploads one file (through the presigned PUT), as the presign function and a browser
/// would; answers its dataset id.
async fn upload(world: &World, owner: &str, name: &str, bytes: &[u8]) -> String {
    let created = world.upload(owner, &[(name, bytes)]).await;
    created.datasets[0].dataset_id.clone()
}

/// The response as API Gateway reads it: `(statusCode, parsed body)`.
async fn call(api: &Api, event: HttpEvent) -> (u16, Value) {
    let response = serde_json::to_value(api.handle(event).await).unwrap();
    assert_eq!(response["headers"]["content-type"], "application/json");
    let body = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    (response["statusCode"].as_u64().unwrap() as u16, body)
}

/// A fixture event for `dataset_id` (when the route has one) with `token` (or none).
fn event(fixture: &str, dataset_id: Option<&str>, token: Option<&str>) -> HttpEvent {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/events")
        .join(fixture);
    serde_json::from_value(http_event(&path, dataset_id, None, token)).unwrap()
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap()
}

#[tokio::test]
async fn health_needs_no_token() {
    let (_, api) = world();
    let (status, body) = call(&api, event("get-health.json", None, None)).await;
    assert_eq!((status, body), (200, serde_json::json!({"status": "ok"})));
}

#[tokio::test]
async fn dataset_routes_refuse_a_missing_or_bad_token() {
    let (world, api) = world();
    let id = upload(&world, ALICE, "a.fq", b"@r\nA\n+\nI\n").await;
    for (fixture, dataset) in [
        ("get-datasets.json", None),
        ("get-dataset.json", Some(id.as_str())),
        ("delete-dataset.json", Some(id.as_str())),
    ] {
        let (status, body) = call(&api, event(fixture, dataset, None)).await;
        assert_eq!(
            (status, error_code(&body)),
            (401, "unauthenticated"),
            "{fixture}: {body}"
        );
        let (status, body) = call(&api, event(fixture, dataset, Some("not-a-token"))).await;
        assert_eq!(
            (status, error_code(&body)),
            (401, "unauthenticated"),
            "{fixture}: {body}"
        );
    }
    // An expired token.
    let expired = world.tokens.issue(&Claims {
        sub: ALICE.into(),
        iat: START - 7200,
        exp: START - 3600,
    });
    let (status, body) = call(&api, event("get-datasets.json", None, Some(&expired))).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "unauthenticated"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}

#[tokio::test]
async fn an_owner_sees_their_datasets_and_someone_elses_is_a_404() {
    let (world, api) = world();
    let alice_id = upload(&world, ALICE, "a.fq", b"@r\nA\n+\nI\n").await;
    let (alice, bob) = (world.token(ALICE), world.token(BOB));

    let (status, body) = call(
        &api,
        event("get-dataset.json", Some(&alice_id), Some(&alice)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dataset_id"], alice_id.as_str());
    assert_eq!(body["owner"], ALICE);
    assert_eq!(body["filename"], "a.fq");
    assert_eq!(body["status"], "pending");

    let (status, body) = call(&api, event("get-dataset.json", Some(&alice_id), Some(&bob))).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"), "{body}");
    let (status, missing) = call(
        &api,
        event("get-dataset.json", Some("no-such-dataset"), Some(&bob)),
    )
    .await;
    assert_eq!(status, 404);
    // Someone else's and a missing dataset differ only by the id in the message.
    assert_eq!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .replace(&alice_id, "ID"),
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .replace("no-such-dataset", "ID")
    );

    let (status, body) = call(&api, event("get-datasets.json", None, Some(&alice))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["datasets"].as_array().unwrap().len(), 1);
    assert_eq!(body["datasets"][0]["dataset_id"], alice_id.as_str());
    let (status, body) = call(&api, event("get-datasets.json", None, Some(&bob))).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["datasets"].as_array().unwrap().is_empty(), "{body}");
}

#[tokio::test]
async fn the_list_pages_with_limit_and_cursor_and_refuses_a_bad_limit() {
    let (world, api) = world();
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(upload(&world, ALICE, &format!("f{n}.fq"), b"@r\nA\n+\nI\n").await);
        world.clock.advance(time::Duration::seconds(1));
    }
    let alice = world.token(ALICE);
    let mut first = event("get-datasets.json", None, Some(&alice));
    first.query_string_parameters = "limit=2".parse().unwrap();
    let (status, page) = call(&api, first).await;
    assert_eq!(status, 200, "{page}");
    let listed: Vec<_> = page["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dataset_id"].clone())
        .collect();
    assert_eq!(listed, [ids[2].as_str(), ids[1].as_str()]);
    let cursor = page["next"].as_str().unwrap();

    let mut second = event("get-datasets.json", None, Some(&alice));
    second.query_string_parameters = format!("limit=2&cursor={cursor}").parse().unwrap();
    let (status, page) = call(&api, second).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["datasets"][0]["dataset_id"], ids[0].as_str());
    assert!(page.get("next").is_none(), "{page}");

    for bad in ["0", "101", "ten"] {
        let mut request = event("get-datasets.json", None, Some(&alice));
        request.query_string_parameters = format!("limit={bad}").parse().unwrap();
        let (status, body) = call(&api, request).await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "bad_query"),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn only_the_owner_deletes_and_the_object_goes_with_the_record() {
    let (world, api) = world();
    let id = upload(&world, ALICE, "a.fq", b"@r\nA\n+\nI\n").await;
    let key = format!("uploads/{ALICE}/{id}/a.fq");
    let (alice, bob) = (world.token(ALICE), world.token(BOB));

    let (status, body) = call(&api, event("delete-dataset.json", Some(&id), Some(&bob))).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"), "{body}");
    assert!(
        world.blobs.object(&key).is_some(),
        "Bob's refused delete removed the object"
    );

    let (status, body) = call(&api, event("delete-dataset.json", Some(&id), Some(&alice))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dataset_id"], id.as_str());
    assert!(world.blobs.object(&key).is_none());
    let (status, body) = call(&api, event("get-dataset.json", Some(&id), Some(&alice))).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"), "{body}");
}

#[tokio::test]
async fn a_route_this_function_does_not_serve_is_a_404_after_authentication() {
    let (world, api) = world();
    let alice = world.token(ALICE);
    let mut post = event("get-datasets.json", None, Some(&alice));
    post.request_context.http.method = genoflow_core::http::Method::POST;
    let (status, body) = call(&api, post).await;
    assert_eq!((status, error_code(&body)), (404, "no_route"), "{body}");
}

/// Validates, analyses and anchors (signed, no node) Alice's upload `dataset_id` of the
/// repository's R1 file, with the core use cases the other functions run.
async fn analysed_and_anchored(world: &World, dataset_id: &str) {
    let outcome = world.object_created(ALICE, dataset_id, READS).await;
    assert!(
        matches!(outcome, ObjectOutcome::Validated { .. }),
        "{outcome:?}"
    );
    let Message::AnalysisRequested(request) = world.queue.sent()[0].clone() else {
        panic!("no analysis request");
    };
    world.analyze.handle(&request).await.unwrap();
    let Message::AnchorRequested(anchor_request) = world.queue.sent()[1].clone() else {
        panic!("no anchor request");
    };
    world
        .anchor_batches(false)
        .anchor(&[anchor_request])
        .await
        .unwrap();
}

const READS: &str = "tb-demo_R1.fastq.gz";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_proof_are_the_owners_once_they_exist() {
    let (world, api) = world();
    let bytes = data(&format!("samples/{READS}"));
    let id = upload(&world, ALICE, READS, &bytes).await;
    let alice = world.token(ALICE);
    let bob = world.token(BOB);

    let (status, body) = call(
        &api,
        event("get-dataset-report.json", Some(&id), Some(&alice)),
    )
    .await;
    assert_eq!((status, error_code(&body)), (409, "not_analyzed"));
    let (status, body) = call(
        &api,
        event("get-dataset-proof.json", Some(&id), Some(&alice)),
    )
    .await;
    assert_eq!((status, error_code(&body)), (409, "not_anchored"));

    analysed_and_anchored(&world, &id).await;

    let (status, report) = call(
        &api,
        event("get-dataset-report.json", Some(&id), Some(&alice)),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["report"]["schema"], "genoflow.report/1");
    assert_eq!(report["artifacts"][0]["name"], "report.json");
    let (status, proof) = call(
        &api,
        event("get-dataset-proof.json", Some(&id), Some(&alice)),
    )
    .await;
    assert_eq!(status, 200, "{proof}");
    assert_eq!(proof["report_sha256"], report["report_sha256"]);
    assert_eq!(proof["tx_status"], "unbroadcast");
    assert_eq!(
        (proof["index"].as_u64(), proof["size"].as_u64()),
        (Some(0), Some(1))
    );

    // Someone else, or no one: refused exactly like a missing dataset or route.
    for fixture in ["get-dataset-report.json", "get-dataset-proof.json"] {
        let (status, body) = call(&api, event(fixture, Some(&id), Some(&bob))).await;
        assert_eq!((status, error_code(&body)), (404, "not_found"), "{fixture}");
        let (status, _) = call(&api, event(fixture, Some(&id), None)).await;
        assert_eq!(status, 401, "{fixture}");
    }
}

#[tokio::test]
async fn the_marketplace_paths_are_routed_and_say_when_no_node_is_connected() {
    let (world, api) = world();
    let id = upload(&world, ALICE, "r.fq", b"@r\nACGT\n+\nIIII\n").await;
    let alice = world.token(ALICE);
    for (fixture, token) in [
        ("get-marketplace.json", None),
        ("get-marketplace-listing.json", None),
        ("get-purchases.json", Some(alice.as_str())),
    ] {
        let (status, body) = call(&api, event(fixture, Some("1"), token)).await;
        assert_eq!(
            (status, error_code(&body)),
            (503, "chain_not_configured"),
            "{fixture}: {body}"
        );
    }
    let (status, body) = call(&api, event("get-purchases.json", None, None)).await;
    assert_eq!((status, error_code(&body)), (401, "unauthenticated"));

    // Without a node the owner still reads, with `chain: null`; the file is downloadable once
    // it is validated.
    let (status, dataset) = call(&api, event("get-dataset.json", Some(&id), Some(&alice))).await;
    assert_eq!(
        (status, &dataset["chain"]),
        (200, &Value::Null),
        "{dataset}"
    );
    assert_eq!(dataset["access"], "owner");
    let (status, body) = call(
        &api,
        event("get-dataset-download.json", Some(&id), Some(&alice)),
    )
    .await;
    assert_eq!((status, error_code(&body)), (409, "not_uploaded"), "{body}");
    let bob = world.token(BOB);
    let (status, body) = call(
        &api,
        event("get-dataset-download.json", Some(&id), Some(&bob)),
    )
    .await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
}

#[tokio::test]
async fn the_oracle_paths_are_routed_without_a_login() {
    let (_world, api) = world();
    for (id, code) in [
        ("rpoB", "not_attested"),
        ("notagene", "unknown_gene"),
        ("888164", "not_attested"),
    ] {
        let (status, body) = call(&api, event("get-oracle-record.json", Some(id), None)).await;
        assert_eq!((status, error_code(&body)), (404, code), "{id}: {body}");
    }
}
