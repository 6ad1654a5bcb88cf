//! `genoflow serve`'s routes over the embedded stack, through real HTTP: sign-in refusals,
//! someone else's dataset, tampered presigned URLs, the whole pipeline to a signed anchor.

#![allow(clippy::unwrap_used)]

use genoflow_testkit::serve as support;

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use support::{ALICE, ALICE_KEY, BOB_KEY, Client, start, start_with, tb_demo};

#[tokio::test(flavor = "multi_thread")]
async fn health_page_and_config_answer_without_a_token() {
    let server = start().await;
    let (status, body) = server.client.call(Method::GET, "/health", None).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, config) = server.client.call(Method::GET, "/config.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(config["chain_id"], 2_147_483_648_u64);
    let page = server
        .client
        .http
        .get(format!("{}/", server.client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // A page opened as localhost uploads to URLs naming 127.0.0.1: the blob URLs allow it.
    let preflight = server
        .client
        .http
        .request(
            Method::OPTIONS,
            format!("{}/blobs/uploads/a/b/c.fq", server.client.base),
        )
        .header("origin", "http://localhost:8080")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert_eq!(preflight.headers()["access-control-expose-headers"], "etag");
    let (status, body) = server
        .client
        .call(Method::GET, "/no/such/thing", None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("no_route"))
    );
    // Without an oracle key nothing is attested, the routes still answer, and the operator's
    // refresh says why it does nothing (the operator's token only).
    let (status, body) = server
        .client
        .call(Method::GET, "/oracle/gene/rpoB", None)
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_attested"))
    );
    let refresh = "/admin/oracle/refresh";
    let (status, _) = server
        .client
        .call_as(Method::POST, refresh, None, None)
        .await;
    assert_eq!(status, 401);
    let token = server.admin_token();
    let (status, body) = server
        .client
        .call_as(Method::POST, refresh, Some(&token), None)
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "oracle_not_configured");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_refuses_replays_forgeries_and_missing_tokens() {
    let server = start().await;
    let mut client = Client::new(&server.client.base);
    let body = serde_json::to_value(Client::login_body(ALICE_KEY, 41)).unwrap();
    let (status, answer) = client.call(Method::POST, "/auth/login", Some(&body)).await;
    assert_eq!(
        (status, answer["address"].as_str()),
        (200, Some(ALICE)),
        "{answer}"
    );
    // The same signed message again: the nonce is spent.
    let (status, answer) = client.call(Method::POST, "/auth/login", Some(&body)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (401, Some("nonce_used")),
        "{answer}"
    );
    // Bob's public key on Alice's signature.
    let mut forged = serde_json::to_value(Client::login_body(ALICE_KEY, 42)).unwrap();
    forged["public_key"] = Client::login_body(BOB_KEY, 42).public_key.into();
    let (status, answer) = client
        .call(Method::POST, "/auth/login", Some(&forged))
        .await;
    assert_eq!(status, 401, "{answer}");
    // No token, a made-up token.
    let (status, _) = client.call(Method::GET, "/datasets", None).await;
    assert_eq!(status, 401);
    client.token = Some("not-a-token".into());
    let (status, _) = client
        .call(Method::POST, "/uploads", Some(&json!({"files": []})))
        .await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_presigned_urls_are_refused_and_nothing_is_stored() {
    let server = start().await;
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    let fastq = b"@r1\nACGT\n+\nIIII\n".to_vec();
    let answer = client.declare(&[("r.fq", fastq.clone())]).await;
    let dataset_id = answer["datasets"][0]["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let upload = &answer["datasets"][0]["upload"];
    let url = upload["url"].as_str().unwrap();
    let headers = &upload["headers"];
    let cases: Vec<(String, Value, Vec<u8>, u16, &str)> = vec![
        // Another size in the URL: the signature no longer matches.
        (
            url.replace("size=16", "size=17"),
            headers.clone(),
            fastq.clone(),
            403,
            "bad_signature",
        ),
        // Another key.
        (
            url.replace("/r.fq?", "/s.fq?"),
            headers.clone(),
            fastq.clone(),
            403,
            "bad_signature",
        ),
        // Other bytes of the same length.
        (
            url.to_owned(),
            headers.clone(),
            b"@r1\nACGT\n+\nIIIJ\n".to_vec(),
            400,
            "wrong_checksum",
        ),
        // No checksum header.
        (
            url.to_owned(),
            json!({"content-length": "16"}),
            fastq.clone(),
            400,
            "wrong_header",
        ),
    ];
    for (url, headers, body, status, code) in cases {
        let (got, text) = client.put(&url, &headers, body).await;
        assert_eq!(got, status, "{url}: {text}");
        assert!(text.contains(code), "{url}: {text}");
    }
    let (_, dataset) = client
        .call(Method::GET, &format!("/datasets/{dataset_id}"), None)
        .await;
    assert_eq!(dataset["status"], "pending", "{dataset}");
    // The untouched URL works, once.
    let (status, text) = client.put(url, headers, fastq.clone()).await;
    assert_eq!(status, 200, "{text}");
    client
        .wait_for(
            &dataset_id,
            &["valid", "analyzing", "analyzed", "failed", "anchored"],
            Duration::from_secs(30),
        )
        .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_read_pair_goes_to_a_signed_anchor_and_only_its_owner_sees_it() {
    let server = start().await;
    let mut alice = Client::new(&server.client.base);
    alice.login(ALICE_KEY, 1).await;
    let ids = alice.upload(&tb_demo()).await;
    let started = std::time::Instant::now();
    let dataset = alice
        .wait_for(
            &ids[0],
            &["analyzed", "anchored", "confirmed"],
            Duration::from_secs(300),
        )
        .await;
    eprintln!("analyzed after {:?}", started.elapsed());
    assert_eq!(dataset["owner"], ALICE);
    let (status, report) = alice
        .call(Method::GET, &format!("/datasets/{}/report", ids[1]), None)
        .await;
    assert_eq!(status, 200, "{report}");
    let call = |drug: &str| {
        report["report"]["resistance"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["drug"] == drug)
            .map(|entry| entry["call"].as_str().unwrap().to_owned())
    };
    assert_eq!(call("Rifampicin").as_deref(), Some("resistant"));
    assert_eq!(call("Isoniazid").as_deref(), Some("resistant"));
    // The report download link is served by this server and is the hashed report.
    let bytes = alice.download_artifact(&report, "report.json").await;
    assert_eq!(
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        report["report_sha256"].as_str().unwrap()
    );
    // Without a node the anchor is signed and kept, and the proof says so.
    let proof = loop {
        let (status, proof) = alice
            .call(Method::GET, &format!("/datasets/{}/proof", ids[0]), None)
            .await;
        if status == 200 {
            break proof;
        }
        assert_eq!(proof["error"]["code"], "not_anchored", "{proof}");
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no proof: {proof}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(proof["tx_status"], "unbroadcast", "{proof}");
    assert_eq!(proof["report_sha256"], report["report_sha256"], "{proof}");

    // Bob sees none of it.
    let mut bob = Client::new(&server.client.base);
    bob.login(BOB_KEY, 2).await;
    for path in [
        format!("/datasets/{}", ids[0]),
        format!("/datasets/{}/report", ids[0]),
        format!("/datasets/{}/proof", ids[0]),
    ] {
        let (status, body) = bob.call(Method::GET, &path, None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let (status, _) = bob
        .call(Method::DELETE, &format!("/datasets/{}", ids[0]), None)
        .await;
    assert_eq!(status, 404);
    let (_, listed) = bob.call(Method::GET, "/datasets", None).await;
    assert_eq!(listed["datasets"], json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_upload_is_invalid_with_its_error() {
    let server = start().await;
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    let mut corrupt = tb_demo().remove(0).1;
    corrupt.truncate(corrupt.len() / 2);
    let ids = client.upload(&[("cut.fastq.gz", corrupt)]).await;
    let (status, dataset) = loop {
        let (status, dataset) = client
            .call(Method::GET, &format!("/datasets/{}", ids[0]), None)
            .await;
        if dataset["status"] != "pending" && dataset["status"] != "uploaded" {
            break (status, dataset);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (status, dataset["status"].as_str()),
        (200, Some("invalid")),
        "{dataset}"
    );
    assert!(dataset["error"].to_string().contains("gzip"), "{dataset}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_links_name_the_public_url_when_one_is_given() {
    let server = start_with(|config| {
        config.public_url = Some("https://genoflow.example.org/".into());
    })
    .await;
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    let answer = client
        .declare(&[("r.fq", b"@r1\nACGT\n+\nIIII\n".to_vec())])
        .await;
    let url = answer["datasets"][0]["upload"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://genoflow.example.org/blobs/uploads/"),
        "{url}"
    );
    server.stop().await;
}
