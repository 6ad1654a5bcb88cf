//! `GET /samples` and `GET /samples/{id}` through `genoflow serve`: a named read pair with its
//! specimen is one sample from upload to report, named in `report.json` and the VCF; only its
//! owner reads it.

#![allow(clippy::unwrap_used)]

use genoflow_testkit::serve as support;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{ALICE_KEY, BOB_KEY, Client, start, tb_demo};

#[tokio::test(flavor = "multi_thread")]
async fn a_named_read_pair_is_one_sample_from_upload_to_report() {
    let server = start().await;
    let mut alice = Client::new(&server.client.base);
    alice.login(ALICE_KEY, 1).await;
    let files = tb_demo();
    let declared: Vec<Value> = files
        .iter()
        .map(|(name, bytes)| {
            json!({"filename": name, "size": bytes.len(), "sha256": hex::encode(Sha256::digest(bytes))})
        })
        .collect();
    let body = json!({
        "files": declared,
        "sample_name": "TB-042 ward 3",
        "specimen": {"specimen_id": "SPC-0042", "collection_date": "2024-03-15", "submitter": "Clinic A"},
    });
    let (status, created) = alice.call(Method::POST, "/uploads", Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    let sample_id = created["sample_id"].as_str().unwrap().to_owned();
    let (status, listed) = alice.call(Method::GET, "/samples", None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["samples"][0]["status"], "uploading", "{listed}");
    for (dataset, (_, bytes)) in created["datasets"].as_array().unwrap().iter().zip(&files) {
        let upload = &dataset["upload"];
        let (status, answer) = alice
            .put(
                upload["url"].as_str().unwrap(),
                &upload["headers"],
                bytes.clone(),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
    }

    let started = Instant::now();
    let listed = loop {
        let (status, listed) = alice.call(Method::GET, "/samples", None).await;
        assert_eq!(status, 200, "{listed}");
        let state = listed["samples"][0]["status"].as_str().unwrap().to_owned();
        if ["analyzed", "anchoring", "anchored"].contains(&state.as_str()) {
            break listed;
        }
        assert_ne!(state, "failed", "{listed}");
        assert!(started.elapsed() < Duration::from_secs(300), "{listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "GET /samples: {}",
        serde_json::to_string_pretty(&listed).unwrap()
    );
    let rows = listed["samples"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "one row for the read pair: {listed}");
    let row = &rows[0];
    assert_eq!(row["sample_id"], sample_id.as_str());
    assert_eq!(row["sample_name"], "TB-042 ward 3");
    assert_eq!(row["specimen"]["specimen_id"], "SPC-0042");
    assert_eq!(row["files"].as_array().unwrap().len(), 2);
    assert_eq!(row["result"]["classification"], "MDR-TB", "{row}");
    assert!(row["report_date"].is_string(), "{row}");

    let (status, one) = alice
        .call(Method::GET, &format!("/samples/{sample_id}"), None)
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["access"], "owner");
    let dataset_id = one["dataset_ids"][1].as_str().unwrap().to_owned();
    let (status, report) = alice
        .call(Method::GET, &format!("/datasets/{dataset_id}/report"), None)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["report"]["sample"]["name"], "TB-042 ward 3");
    assert_eq!(report["report"]["sample"]["collection_date"], "2024-03-15");
    assert_eq!(report["report"]["classification"], "MDR-TB");
    let vcf = alice.download_artifact(&report, "variants.vcf").await;
    let vcf = String::from_utf8(vcf).unwrap();
    let columns = vcf.lines().find(|l| l.starts_with("#CHROM")).unwrap();
    assert!(columns.ends_with("\tFORMAT\tTB-042_ward_3"), "{columns}");
    let (_, view) = alice
        .call(Method::GET, &format!("/datasets/{dataset_id}"), None)
        .await;
    assert_eq!(view["sample_name"], "TB-042 ward 3");
    assert!(view["sample_status"].is_string(), "{view}");

    // Bob reads none of it; nobody reads without a token.
    let mut bob = Client::new(&server.client.base);
    bob.login(BOB_KEY, 2).await;
    let (status, body) = bob
        .call(Method::GET, &format!("/samples/{sample_id}"), None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (_, listed) = bob.call(Method::GET, "/samples", None).await;
    assert_eq!(listed["samples"], json!([]));
    let anonymous = Client::new(&server.client.base);
    let (status, _) = anonymous.call(Method::GET, "/samples", None).await;
    assert_eq!(status, 401);
    server.stop().await;
}
