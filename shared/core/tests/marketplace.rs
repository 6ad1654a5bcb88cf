//! The chain block, entitlements and the marketplace through the core routes, with the chain
//! answered by an in-memory node (`MemoryChain`): what a purchase opens, what a conflict or an
//! outage never opens, what the marketplace shows, and the 30 s cache.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    http::{
        ApiRequest, ChainReads, DatasetRoutes, HeaderMap, MarketplaceRoutes, Method, RoutePorts,
    },
    lifecycle::SampleStatus,
    model::{AnalysisRecord, Proof, SampleResult},
    ports::{BlobStore, Chain, Claims, Clock, HmacSecret, HmacTokenSigner, Table, TokenSigner},
    usecases::{
        marketplace::MAX_EXAMINED,
        onchain::{self, CACHE_TTL},
    },
};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    transaction::{ContractCall, Network},
};
use genoflow_testkit::memory::MemoryChain;
use genoflow_testkit::{
    keys::{ALICE, BOB},
    world::World,
};
use http::{HeaderValue, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use genoflow_testkit::keys::DEPLOYER;
use genoflow_testkit::keys::WALLET_3 as CAROL;
const PRICE: u64 = 2_000_000;

fn contract(name: &str) -> String {
    format!("{DEPLOYER}.{name}")
}

fn principal(who: &str) -> ClarityValue {
    ClarityValue::Principal(Principal::parse(who).unwrap())
}

fn uint(value: u64) -> ClarityValue {
    ClarityValue::UInt(value.into())
}

fn some_tuple(fields: Vec<(&str, ClarityValue)>) -> ClarityValue {
    ClarityValue::some(ClarityValue::tuple(fields).unwrap())
}

/// The routes on a world of in-memory adapters, with or without a node.
struct Market {
    world: World,
    chain: Arc<MemoryChain>,
    datasets: DatasetRoutes,
    marketplace: MarketplaceRoutes,
    tokens: Arc<HmacTokenSigner>,
}

/// A sample of ALICE, validated and analysed, with its report and proof stored.
struct Sample {
    sample_id: String,
    dataset_id: String,
    inputs_hash: Vec<u8>,
    report_sha256: Vec<u8>,
}

impl Market {
    fn new(with_node: bool) -> Self {
        let world = World::new();
        let chain = Arc::new(MemoryChain::default());
        let tokens = Arc::new(HmacTokenSigner::new(
            HmacSecret::new(b"marketplace-route-tests-secret-0123456789".to_vec()).unwrap(),
        ));
        let ports = RoutePorts {
            table: world.table.clone(),
            blobs: world.blobs.clone(),
            clock: world.clock.clone(),
            tokens: tokens.clone(),
        };
        let reads = with_node.then(|| {
            Arc::new(
                ChainReads::new(
                    chain.clone() as Arc<dyn Chain>,
                    &contract("registry"),
                    Network::Testnet,
                    world.clock.clone(),
                )
                .unwrap(),
            )
        });
        let mut datasets = DatasetRoutes::new(ports.clone());
        if let Some(reads) = &reads {
            datasets = datasets.with_chain(reads.clone());
        }
        // What an empty chain answers.
        for (name, function, answer) in [
            ("registry", "get-dataset-id", ClarityValue::none()),
            ("registry", "get-dataset", ClarityValue::none()),
            ("registry", "get-result", ClarityValue::none()),
            ("marketplace", "get-listing", ClarityValue::none()),
            ("marketplace", "get-active-listing", ClarityValue::none()),
            ("marketplace", "get-purchase", ClarityValue::none()),
            ("marketplace", "has-access", ClarityValue::Bool(false)),
            ("identity", "get-identity", ClarityValue::none()),
        ] {
            chain.answer_function(&contract(name), function, answer);
        }
        chain.answer_function(&contract("reputation"), "get-reputation", reputation(0, 0));
        Self {
            marketplace: MarketplaceRoutes::new(ports, reads),
            datasets,
            world,
            chain,
            tokens,
        }
    }

    fn answer(&self, name: &str, function: &str, args: Vec<ClarityValue>, value: ClarityValue) {
        let call = ContractCall::new(&contract(name), function, args).unwrap();
        self.chain.answer_read_only(&call, value);
    }

    /// `GET`/`DELETE path` as `who` (no token when `None`): status and JSON body.
    async fn call(&self, method: Method, path: &str, who: Option<&str>) -> (u16, Value) {
        let mut headers = HeaderMap::new();
        if let Some(who) = who {
            let now = self.world.clock.now().unix_timestamp();
            let token = self.tokens.issue(&Claims {
                sub: who.to_owned(),
                iat: now,
                exp: now + 3600,
            });
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
            );
        }
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let query = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        let request = ApiRequest::new(method, path, headers, query, Vec::new());
        let response = if path.starts_with("/marketplace") || path.starts_with("/purchases") {
            self.marketplace.handle(request).await
        } else {
            self.datasets.handle(request).await
        };
        (
            response.status,
            serde_json::from_str(&response.body).unwrap(),
        )
    }

    async fn get(&self, path: &str, who: &str) -> (u16, Value) {
        self.call(Method::GET, path, Some(who)).await
    }

    /// `owner` uploads `fastq` as a one-file sample; it is validated, then recorded as
    /// analysed with a report that calls it resistant to rifampicin, and put in a batch.
    async fn analysed_sample(&self, owner: &str, fastq: &[u8]) -> Sample {
        let world = &self.world;
        let created = world.upload(owner, &[("reads.fastq", fastq)]).await;
        let dataset_id = created.datasets[0].dataset_id.clone();
        world
            .object_created(owner, &dataset_id, "reads.fastq")
            .await;
        let report = serde_json::to_vec(&json!({"resistance": [
            {"drug": "Rifampicin", "call": "resistant"},
            {"drug": "Isoniazid", "call": "susceptible"},
        ]}))
        .unwrap();
        let report_sha256 = Sha256::digest(&report).to_vec();
        let inputs_hash = Sha256::digest(Sha256::digest(fastq)).to_vec();
        let results = format!("results/{dataset_id}/");
        world
            .blobs
            .put(&format!("{results}report.json"), report)
            .await
            .unwrap();
        let proof = Proof {
            item: "aa".repeat(32),
            inputs_hash: hex::encode(&inputs_hash),
            report_sha256: hex::encode(&report_sha256),
            pipeline_id: "bb".repeat(32),
            batch_id: Some(1),
            root: "cc".repeat(32),
            index: 0,
            proof: vec![],
            size: 1,
            txid: "dd".repeat(32),
            tx_status: "confirmed".into(),
            registry: contract("registry"),
        };
        world
            .blobs
            .put(
                &format!("{results}proof.json"),
                serde_json::to_vec(&proof).unwrap(),
            )
            .await
            .unwrap();
        let mut sample = world
            .table
            .get_sample(&created.sample_id)
            .await
            .unwrap()
            .unwrap();
        let expected = sample.status;
        assert_eq!(expected, SampleStatus::AnalysisRequested);
        sample.status = SampleStatus::Analyzed;
        sample.analysis = Some(AnalysisRecord {
            inputs_hash: hex::encode(&inputs_hash),
            report_sha256: hex::encode(&report_sha256),
            pipeline_id: "bb".repeat(32),
            item: "aa".repeat(32),
            artifacts: vec!["report.json".into()],
            result: None,
            analyzed_at: None,
        });
        world.table.update_sample(&sample, expected).await.unwrap();
        // The link rule computes the same hash from the declared SHA-256 before the analysis.
        let mut unanalysed = sample.clone();
        unanalysed.analysis = None;
        assert_eq!(
            onchain::inputs_hash(world.table.as_ref(), &unanalysed)
                .await
                .unwrap()
                .unwrap(),
            inputs_hash
        );
        Sample {
            sample_id: created.sample_id,
            dataset_id,
            inputs_hash,
            report_sha256,
        }
    }

    /// Record `id` of `hash` owned by `owner` with `kind` and `uri`.
    fn record(&self, id: u64, hash: &[u8], owner: &str, kind: &str, uri: &str) {
        self.answer(
            "registry",
            "get-dataset-id",
            vec![ClarityValue::Buffer(hash.to_vec())],
            ClarityValue::some(uint(id)),
        );
        self.answer(
            "registry",
            "get-dataset",
            vec![uint(id)],
            some_tuple(vec![
                ("owner", principal(owner)),
                ("hash", ClarityValue::Buffer(hash.to_vec())),
                ("kind", ClarityValue::string_ascii(kind).unwrap()),
                ("uri", ClarityValue::string_ascii(uri).unwrap()),
                ("registered-at", uint(5)),
            ]),
        );
    }

    /// `sample` registered by ALICE as record `id`.
    fn register(&self, id: u64, sample: &Sample) {
        let uri = format!("genoflow:sample:{}", sample.sample_id);
        self.record(id, &sample.inputs_hash, ALICE, "sample", &uri);
    }

    /// Listing `id` of record `dataset_id` by `seller`.
    fn listing(&self, id: u64, dataset_id: u64, seller: &str, active: bool) {
        self.answer(
            "marketplace",
            "get-listing",
            vec![uint(id)],
            some_tuple(vec![
                ("dataset-id", uint(dataset_id)),
                ("seller", principal(seller)),
                ("price", uint(PRICE)),
                ("active", ClarityValue::Bool(active)),
            ]),
        );
        if active {
            self.answer(
                "marketplace",
                "get-active-listing",
                vec![uint(dataset_id)],
                ClarityValue::some(uint(id)),
            );
        }
    }

    /// `buyer` bought listing `listing_id` of record `dataset_id`.
    fn purchase(&self, listing_id: u64, dataset_id: u64, buyer: &str) {
        self.answer(
            "marketplace",
            "has-access",
            vec![uint(dataset_id), principal(buyer)],
            ClarityValue::Bool(true),
        );
        self.answer(
            "marketplace",
            "get-purchase",
            vec![uint(listing_id), principal(buyer)],
            some_tuple(vec![("price", uint(PRICE)), ("purchased-at", uint(9))]),
        );
    }

    fn seller_profile(&self) {
        self.answer(
            "identity",
            "get-identity",
            vec![principal(ALICE)],
            some_tuple(vec![
                ("name", ClarityValue::string_utf8("TB lab")),
                ("role", uint(3)),
                ("verified", ClarityValue::Bool(true)),
                ("registered-at", uint(2)),
            ]),
        );
        self.answer(
            "reputation",
            "get-reputation",
            vec![principal(ALICE)],
            reputation(2, 9),
        );
    }

    fn advance_past_cache(&self) {
        self.world
            .clock
            .advance(CACHE_TTL + time::Duration::seconds(1));
    }
}

fn reputation(ratings: u64, total: u64) -> ClarityValue {
    ClarityValue::tuple([
        ("ratings", uint(ratings)),
        ("total", uint(total)),
        ("verified-ratings", uint(1)),
        ("verified-total", uint(5)),
        ("endorsements", uint(0)),
    ])
    .unwrap()
}

const FASTQ: &[u8] = b"@r1\nACGTACGT\n+\nIIIIIIII\n@r2\nGGCC\n+\nIIII\n";

fn has_key(value: &Value, key: &str) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(name, value)| name == key || has_key(value, key)),
        Value::Array(items) => items.iter().any(|item| has_key(item, key)),
        _ => false,
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_owner_sees_unregistered_registered_and_conflict_and_a_conflict_grants_nothing() {
    let market = Market::new(true);
    let sample = market.analysed_sample(ALICE, FASTQ).await;
    let path = format!("/datasets/{}", sample.dataset_id);

    let (status, body) = market.get(&path, ALICE).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access"], "owner");
    assert_eq!(
        body["chain"],
        json!({"dataset_id": null, "state": "unregistered", "listing": null, "result_recorded": false})
    );
    assert!(body.get("chain_error").is_none(), "{body}");

    // Registered, listed, the result recorded (seen once the cached answers expire).
    market.register(4, &sample);
    market.listing(1, 4, ALICE, true);
    market.answer(
        "registry",
        "get-result",
        vec![uint(4), ClarityValue::Buffer(sample.report_sha256.clone())],
        some_tuple(vec![
            ("pipeline", ClarityValue::Buffer(vec![0xbb; 32])),
            ("recorder", principal(ALICE)),
            ("recorded-at", uint(8)),
        ]),
    );
    market.advance_past_cache();
    let (_, body) = market.get(&path, ALICE).await;
    assert_eq!(
        body["chain"],
        json!({"dataset_id": 4, "state": "registered",
               "listing": {"listing_id": 1, "price": PRICE, "active": true},
               "result_recorded": true})
    );
    // The file's other fields are the dataset view's.
    assert_eq!(body["dataset_id"], sample.dataset_id.as_str());
    assert_eq!(body["owner"], ALICE);
    assert_eq!(body["sample"]["status"], "analyzed");

    // The same hash registered by someone else: a conflict, whatever has-access says.
    let uri = format!("genoflow:sample:{}", sample.sample_id);
    market.record(4, &sample.inputs_hash, CAROL, "sample", &uri);
    market.listing(1, 4, CAROL, true);
    market.purchase(1, 4, BOB);
    market.advance_past_cache();
    let (_, body) = market.get(&path, ALICE).await;
    assert_eq!(
        body["chain"],
        json!({"dataset_id": 4, "state": "conflict", "listing": null, "result_recorded": false})
    );
    for suffix in ["", "/report", "/proof", "/download"] {
        let (status, body) = market.get(&format!("{path}{suffix}"), BOB).await;
        assert_eq!(
            (status, code(&body)),
            (404, "not_found"),
            "{suffix}: {body}"
        );
    }
    // Nor does a conflicting record put the sample on the marketplace.
    let (status, body) = market.call(Method::GET, "/marketplace", None).await;
    assert_eq!((status, body), (200, json!({"listings": []})));
}

#[tokio::test]
async fn a_buyer_reads_by_purchase_but_cannot_delete_and_a_third_address_sees_nothing() {
    let market = Market::new(true);
    let sample = market.analysed_sample(ALICE, FASTQ).await;
    market.register(1, &sample);
    market.listing(1, 1, ALICE, true);
    let path = format!("/datasets/{}", sample.dataset_id);

    // Before the purchase the buyer is refused like anyone else.
    let (status, body) = market.get(&path, BOB).await;
    assert_eq!((status, code(&body)), (404, "not_found"), "{body}");
    let (_, purchases) = market.get("/purchases", BOB).await;
    assert_eq!(purchases, json!({"purchases": []}));

    // Bought: `has-access` is true, and a false answer was never cached.
    market.purchase(1, 1, BOB);
    let (status, body) = market.get(&path, BOB).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access"], "purchase");
    assert_eq!(body["owner"], ALICE);
    assert_eq!(body["chain"]["state"], "registered");
    let (status, report) = market.get(&format!("{path}/report"), BOB).await;
    assert_eq!(
        (status, &report["access"]),
        (200, &json!("purchase")),
        "{report}"
    );
    assert_eq!(report["report"]["resistance"][0]["drug"], "Rifampicin");
    assert_eq!(report["report_sha256"], hex::encode(&sample.report_sha256));
    let (status, proof) = market.get(&format!("{path}/proof"), BOB).await;
    assert_eq!(
        (status, &proof["access"]),
        (200, &json!("purchase")),
        "{proof}"
    );
    assert_eq!(proof["inputs_hash"], hex::encode(&sample.inputs_hash));
    let (status, download) = market.get(&format!("{path}/download"), BOB).await;
    assert_eq!(status, 200, "{download}");
    assert_eq!(download["access"], "purchase");
    assert_eq!(download["filename"], "reads.fastq");
    let now = market.world.clock.now();
    let bytes = market
        .world
        .blobs
        .get_presigned(download["url"].as_str().unwrap(), now)
        .unwrap();
    assert_eq!(bytes, FASTQ, "the link serves the stored file itself");

    // Reading is not owning: no delete, no listing among the buyer's own datasets.
    let (status, body) = market.call(Method::DELETE, &path, Some(BOB)).await;
    assert_eq!((status, code(&body)), (404, "not_found"), "{body}");
    let (_, own) = market.get("/datasets", BOB).await;
    assert_eq!(own, json!({"datasets": []}));
    let (status, _) = market.get(&path, ALICE).await;
    assert_eq!(status, 200, "the dataset is still there");

    // A third address: nothing, exactly like a missing dataset.
    for suffix in ["", "/report", "/proof", "/download"] {
        let (status, body) = market.get(&format!("{path}{suffix}"), CAROL).await;
        assert_eq!(
            (status, code(&body)),
            (404, "not_found"),
            "{suffix}: {body}"
        );
    }
    let (status, missing) = market.get("/datasets/no-such-id", CAROL).await;
    assert_eq!((status, code(&missing)), (404, "not_found"));

    // Purchases: the buyer's only.
    let (status, purchases) = market.get("/purchases", BOB).await;
    assert_eq!(status, 200);
    assert_eq!(
        purchases,
        json!({"purchases": [{"sample_id": sample.sample_id, "listing_id": 1,
            "chain_dataset_id": 1, "seller": ALICE, "dataset_ids": [sample.dataset_id]}]})
    );
    for who in [CAROL, ALICE] {
        let (_, none) = market.get("/purchases", who).await;
        assert_eq!(none, json!({"purchases": []}), "{who}");
    }
    let (status, body) = market.call(Method::GET, "/purchases", None).await;
    assert_eq!((status, code(&body)), (401, "unauthenticated"));
}

#[tokio::test]
async fn a_node_that_is_down_is_503_for_others_and_chain_null_for_the_owner() {
    let market = Market::new(true);
    let sample = market.analysed_sample(ALICE, FASTQ).await;
    market.register(1, &sample);
    market.listing(1, 1, ALICE, true);
    market.purchase(1, 1, BOB);
    market.chain.set_unavailable(true);
    let path = format!("/datasets/{}", sample.dataset_id);

    let (status, body) = market.get(&path, ALICE).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["chain"], Value::Null);
    let chain_error = body["chain_error"].as_str().unwrap();
    assert!(
        chain_error.contains("did not answer") && chain_error.contains("try again"),
        "{chain_error}"
    );
    for suffix in ["/report", "/proof", "/download"] {
        let (status, body) = market.get(&format!("{path}{suffix}"), ALICE).await;
        assert_eq!((status, &body["access"]), (200, &json!("owner")), "{body}");
    }

    // The buyer and a stranger: 503, never the data.
    for who in [BOB, CAROL] {
        for suffix in ["", "/report", "/proof", "/download"] {
            let (status, body) = market.get(&format!("{path}{suffix}"), who).await;
            assert_eq!(
                (status, code(&body)),
                (503, "chain_unavailable"),
                "{who}{suffix}: {body}"
            );
            assert!(
                !has_key(&body, "url") && !has_key(&body, "report"),
                "{body}"
            );
        }
    }
    for route in ["/marketplace", "/marketplace/1"] {
        let (status, body) = market.call(Method::GET, route, None).await;
        assert_eq!((status, code(&body)), (503, "chain_unavailable"), "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("try again shortly")
        );
    }
    let (status, body) = market.get("/purchases", BOB).await;
    assert_eq!((status, code(&body)), (503, "chain_unavailable"), "{body}");

    // Back up: the buyer reads again.
    market.chain.set_unavailable(false);
    let (status, body) = market.get(&path, BOB).await;
    assert_eq!(
        (status, &body["access"]),
        (200, &json!("purchase")),
        "{body}"
    );
}

#[tokio::test]
async fn without_a_node_only_owners_read_and_the_marketplace_says_none_is_connected() {
    let market = Market::new(false);
    let sample = market.analysed_sample(ALICE, FASTQ).await;
    market.register(1, &sample);
    market.purchase(1, 1, BOB);
    let path = format!("/datasets/{}", sample.dataset_id);

    let (status, body) = market.get(&path, ALICE).await;
    assert_eq!((status, &body["chain"]), (200, &Value::Null), "{body}");
    assert!(body.get("chain_error").is_none(), "{body}");
    assert_eq!(body["access"], "owner");
    let (status, body) = market.get(&path, BOB).await;
    assert_eq!((status, code(&body)), (404, "not_found"));
    for (route, who) in [
        ("/marketplace", None),
        ("/marketplace/1", None),
        ("/purchases", Some(BOB)),
    ] {
        let (status, body) = market.call(Method::GET, route, who).await;
        assert_eq!(
            (status, code(&body)),
            (503, "chain_not_configured"),
            "{body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no Stacks node is connected"),
            "{body}"
        );
    }
    assert_eq!(market.chain.read_only_calls(), 0);
}

#[tokio::test]
async fn the_marketplace_shows_sellers_and_summaries_and_never_a_download_link() {
    let market = Market::new(true);
    let sample = market.analysed_sample(ALICE, FASTQ).await;
    market.seller_profile();
    market.register(1, &sample);
    // Listing 1: an old, closed listing of the sample; 2: the record of a file that is not a
    // GenoFlow sample; 3: a record that names the sample in its uri but has another hash; 4:
    // the sample's active listing.
    market.listing(1, 1, ALICE, false);
    market.record(2, &[7; 32], ALICE, "fastq", "genoflow://reads.fastq");
    market.listing(2, 2, ALICE, true);
    let forged = format!("genoflow:sample:{}", sample.sample_id);
    market.record(3, &[8; 32], CAROL, "sample", &forged);
    market.listing(3, 3, CAROL, true);
    market.listing(4, 1, ALICE, true);

    let (status, page) = market.call(Method::GET, "/marketplace", None).await;
    assert_eq!(status, 200, "{page}");
    let expected = json!({
        "listing_id": 4,
        "chain_dataset_id": 1,
        "price": PRICE,
        "seller": {"address": ALICE, "name": "TB lab", "role": "lab", "verified": true},
        "reputation": {"ratings": 2, "total": 9, "endorsements": 0, "verified_ratings": 1, "verified_total": 5},
        "sample": {
            "sample_id": sample.sample_id,
            "files": [{"filename": "reads.fastq", "format": "fastq", "size": FASTQ.len(), "records": 2, "bases": 12}],
            "analysed": true,
            "pipeline_id": "bb".repeat(32),
            "resistant_drugs": ["Rifampicin"],
        },
    });
    assert_eq!(page, json!({"listings": [expected.clone()]}));
    let (status, one) = market.call(Method::GET, "/marketplace/4", None).await;
    assert_eq!((status, &one), (200, &expected));
    for body in [&page, &one] {
        assert!(
            !has_key(body, "url"),
            "a listing never carries a link: {body}"
        );
        assert!(!has_key(body, "dataset_id"), "nor a dataset id: {body}");
    }
    for id in ["1", "2", "3", "5", "0", "x"] {
        let (status, body) = market
            .call(Method::GET, &format!("/marketplace/{id}"), None)
            .await;
        assert_eq!((status, code(&body)), (404, "not_found"), "{id}: {body}");
    }
    let (status, body) = market
        .call(Method::GET, "/marketplace?cursor=x", None)
        .await;
    assert_eq!((status, code(&body)), (400, "bad_query"));

    // A sample analysed now keeps its answer: the listing shows its class and its resistant
    // drugs first-line first, from the kept answer rather than from report.json (which names
    // Rifampicin alone here).
    let mut stored = market
        .world
        .table
        .get_sample(&sample.sample_id)
        .await
        .unwrap()
        .unwrap();
    let status_before = stored.status;
    stored.analysis.as_mut().unwrap().result = Some(SampleResult {
        classification: "MDR-TB".into(),
        resistant_drugs: vec!["Rifampicin".into(), "Isoniazid".into()],
        not_assessed_drugs: vec![],
    });
    market
        .world
        .table
        .update_sample(&stored, status_before)
        .await
        .unwrap();
    let (status, one) = market.call(Method::GET, "/marketplace/4", None).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["sample"]["classification"], "MDR-TB");
    assert_eq!(
        one["sample"]["resistant_drugs"],
        json!(["Rifampicin", "Isoniazid"])
    );
}

#[tokio::test]
async fn pages_go_newest_first_within_the_scan_bound_and_a_warm_page_costs_no_call() {
    let market = Market::new(true);
    market.seller_profile();
    // 60 listings of 60 records; every fifth record is a sample of ALICE (12 in all).
    let mut samples = Vec::new();
    for index in 1..=60_u64 {
        if index % 5 == 0 {
            let fastq = format!("@r{index}\nACGT\n+\nIIII\n");
            let created = market
                .world
                .upload(ALICE, &[("r.fastq", fastq.as_bytes())])
                .await;
            let hash = Sha256::digest(Sha256::digest(fastq.as_bytes())).to_vec();
            let uri = format!("genoflow:sample:{}", created.sample_id);
            market.record(index, &hash, ALICE, "sample", &uri);
            samples.push(created.sample_id);
        } else {
            market.record(index, &[index as u8; 32], BOB, "fastq", "elsewhere");
        }
        let seller = if index % 5 == 0 { ALICE } else { BOB };
        market.listing(index, index, seller, true);
    }

    let before = market.chain.read_only_calls();
    let (status, first) = market
        .call(Method::GET, "/marketplace?limit=50", None)
        .await;
    let cold = market.chain.read_only_calls() - before;
    assert_eq!(status, 200, "{first}");
    let ids: Vec<u64> = first["listings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["listing_id"].as_u64().unwrap())
        .collect();
    // 50 listings examined (60 down to 11): 10 samples, and where to go on.
    assert_eq!(ids, [60, 55, 50, 45, 40, 35, 30, 25, 20, 15]);
    assert_eq!(first["next"], "10");
    // The documented cost: the newest id (doubling then halving: at most 2·log2(64)+1 probes),
    // one get-listing and one get-dataset per examined listing, two reads per seller shown.
    let bound = (2 * 6 + 1) + 2 * MAX_EXAMINED as usize + 2;
    assert!(
        cold <= bound,
        "{cold} node calls for a cold page (bound {bound})"
    );
    eprintln!("node calls: cold page of {MAX_EXAMINED} listings examined: {cold}");

    let before = market.chain.read_only_calls();
    let (_, again) = market
        .call(Method::GET, "/marketplace?limit=50", None)
        .await;
    assert_eq!(again, first);
    assert_eq!(
        market.chain.read_only_calls(),
        before,
        "a warm page costs no node call"
    );

    let (_, second) = market
        .call(Method::GET, "/marketplace?limit=50&cursor=10", None)
        .await;
    let ids: Vec<u64> = second["listings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["listing_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [10, 5]);
    assert!(second.get("next").is_none(), "{second}");

    // A small limit stops at the limit; its next is the id after the last listing shown.
    let (_, small) = market.call(Method::GET, "/marketplace?limit=2", None).await;
    assert_eq!(small["listings"].as_array().unwrap().len(), 2);
    assert_eq!(small["next"], "54");

    // A new listing shows once the cached "no listing 61" expires.
    let fastq = b"@new\nACGT\n+\nIIII\n";
    let created = market.world.upload(ALICE, &[("n.fastq", fastq)]).await;
    let uri = format!("genoflow:sample:{}", created.sample_id);
    market.record(
        61,
        &Sha256::digest(Sha256::digest(fastq)),
        ALICE,
        "sample",
        &uri,
    );
    market.listing(61, 61, ALICE, true);
    let (_, stale) = market.call(Method::GET, "/marketplace?limit=1", None).await;
    assert_eq!(stale["listings"][0]["listing_id"], 60);
    market.advance_past_cache();
    let before = market.chain.read_only_calls();
    let (_, fresh) = market.call(Method::GET, "/marketplace?limit=1", None).await;
    assert_eq!(fresh["listings"][0]["listing_id"], 61);
    eprintln!(
        "node calls: a one-listing page after the cache expired: {}",
        market.chain.read_only_calls() - before
    );
    assert_eq!(samples.len(), 12);
}

#[tokio::test]
async fn chain_reads_are_kept_30_seconds_not_yet_answers_5_and_refusals_never() {
    let market = Market::new(true);
    let sample = market.analysed_sample(ALICE, FASTQ).await;
    market.register(1, &sample);
    market.listing(1, 1, ALICE, true);
    market.answer(
        "registry",
        "get-result",
        vec![uint(1), ClarityValue::Buffer(sample.report_sha256.clone())],
        some_tuple(vec![("recorded-at", uint(8))]),
    );
    market.purchase(1, 1, BOB);
    let path = format!("/datasets/{}", sample.dataset_id);
    let calls = || market.chain.read_only_calls();
    let seconds = |n| market.world.clock.advance(time::Duration::seconds(n));

    let start = calls();
    let (status, _) = market.get(&path, ALICE).await;
    assert_eq!(status, 200);
    let first = calls() - start;
    assert_eq!(
        first, 5,
        "get-dataset-id, get-dataset, get-active-listing, get-listing, get-result"
    );
    seconds(29);
    market.get(&path, ALICE).await;
    assert_eq!(
        calls() - start,
        first,
        "a second read within 30 s asks the node nothing"
    );
    seconds(2);
    market.get(&path, ALICE).await;
    assert_eq!(
        calls() - start,
        2 * first,
        "after 30 s the node is asked again"
    );

    // A buyer's true is kept; a stranger's false is asked every time.
    let start = calls();
    market.get(&format!("{path}/report"), BOB).await;
    assert_eq!(calls() - start, 1, "only has-access: the link is kept");
    market.get(&format!("{path}/report"), BOB).await;
    assert_eq!(calls() - start, 1);
    let start = calls();
    for _ in 0..3 {
        let (status, _) = market.get(&format!("{path}/report"), CAROL).await;
        assert_eq!(status, 404);
    }
    assert_eq!(calls() - start, 3);

    // "Not registered (yet)" is kept 5 s for the owner's view...
    let other = market
        .analysed_sample(ALICE, b"@other\nACGT\n+\nIIII\n")
        .await;
    let other_path = format!("/datasets/{}", other.dataset_id);
    let start = calls();
    let (_, body) = market.get(&other_path, ALICE).await;
    assert_eq!(body["chain"]["state"], "unregistered");
    assert_eq!(calls() - start, 1);
    seconds(4);
    market.get(&other_path, ALICE).await;
    assert_eq!(calls() - start, 1);
    // ...but never decides access: registered, listed and bought while that answer is kept, the
    // sample opens to the buyer at once (the kept "none" is asked again), and the fresh answer
    // is what the owner's view shows from then on.
    market.register(2, &other);
    market.listing(2, 2, ALICE, true);
    market.purchase(2, 2, BOB);
    let (status, body) = market.get(&other_path, BOB).await;
    assert_eq!(
        (status, &body["access"]),
        (200, &json!("purchase")),
        "{body}"
    );
    assert_eq!(body["chain"]["state"], "registered");
    let (_, body) = market.get(&other_path, ALICE).await;
    assert_eq!(
        body["chain"]["state"], "registered",
        "the fresh answer was kept"
    );
}
