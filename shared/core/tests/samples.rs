//! Samples as the unit: the name and specimen given at upload kept everywhere (views,
//! `report.json`, the VCF), `GET /samples` one row per read pair with search, filters, sorts and
//! paging, the whole-sample status, and who may read a sample.

#![allow(clippy::unwrap_used)]

use genoflow_core::{
    http::{ApiRequest, DatasetRoutes, HeaderMap, Method, UploadRoutes},
    lifecycle::{SampleStatus, Status},
    model::{AnalysisRecord, SampleResult},
    ports::{AnalysisRequested, BlobStore, Claims, Clock, Table, TokenSigner},
    usecases::upload::UploadLimits,
};
use genoflow_stacks::transaction::Network;
use genoflow_testkit::{
    fixtures::{data, declare},
    keys::{ALICE, BOB},
    world::World,
};
use http::{HeaderValue, header};
use serde_json::{Value, json};

struct Api {
    world: World,
    datasets: DatasetRoutes,
    uploads: UploadRoutes,
}

impl Api {
    fn new() -> Self {
        let world = World::new();
        let ports = world.route_ports();
        Self {
            datasets: DatasetRoutes::new(ports.clone()),
            uploads: UploadRoutes::new(
                ports,
                Network::Testnet,
                time::Duration::hours(1),
                UploadLimits::default(),
            ),
            world,
        }
    }

    /// `method path` as `who` (no token when `None`) with a JSON body: status and JSON.
    async fn call(
        &self,
        method: Method,
        path: &str,
        who: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut headers = HeaderMap::new();
        if let Some(who) = who {
            let now = self.world.clock.now().unix_timestamp();
            let token = self.world.tokens.issue(&Claims {
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
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .into_owned()
        };
        let query = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| (decode(name), decode(value)))
            .collect();
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let request = ApiRequest::new(method, path, headers, query, body);
        let response = if path.starts_with("/uploads") {
            self.uploads.handle(request).await
        } else {
            self.datasets.handle(request).await
        };
        (
            response.status,
            serde_json::from_str(&response.body).unwrap(),
        )
    }

    async fn get(&self, path: &str, who: &str) -> (u16, Value) {
        self.call(Method::GET, path, Some(who), None).await
    }

    /// Declares `files` (name and bytes) as one sample of `who` with `extra` fields in the
    /// body; answers the 201 body.
    async fn declare(&self, who: &str, files: &[(&str, &[u8])], extra: Value) -> Value {
        let (status, body) = self.declare_answer(who, files, extra).await;
        assert_eq!(status, 201, "{body}");
        body
    }

    async fn declare_answer(
        &self,
        who: &str,
        files: &[(&str, &[u8])],
        extra: Value,
    ) -> (u16, Value) {
        let mut body = json!({"files": files
            .iter()
            .map(|(name, bytes)| serde_json::to_value(declare(name, bytes)).unwrap())
            .collect::<Vec<_>>()});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        self.call(Method::POST, "/uploads", Some(who), Some(body))
            .await
    }

    /// Stores `bytes` as the upload of dataset `id` (`filename`) and delivers its event.
    async fn arrive(&self, who: &str, id: &str, filename: &str, bytes: &[u8]) {
        let key = genoflow_core::keys::upload_key(who, id, filename);
        self.world.blobs.put(&key, bytes.to_vec()).await.unwrap();
        self.world.object_created(who, id, filename).await;
    }
}

fn ids(created: &Value) -> Vec<String> {
    created["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dataset_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_named_read_pair_is_one_sample_with_its_name_everywhere() {
    let api = Api::new();
    let r1 = data("samples/tb-demo_R1.fastq.gz");
    let r2 = data("samples/tb-demo_R2.fastq.gz");
    let specimen = json!({"specimen_id": "SPC-0042", "collection_date": "2024-03-15", "submitter": "Clinic A"});
    let created = api
        .declare(
            ALICE,
            &[("R1.fastq.gz", &r1), ("R2.fastq.gz", &r2)],
            json!({"sample_name": "TB 042 ward 3", "specimen": specimen}),
        )
        .await;
    let sample_id = created["sample_id"].as_str().unwrap().to_owned();
    let [d1, d2] = <[String; 2]>::try_from(ids(&created)).unwrap();

    // Before any byte arrived: one row, uploading, named, with both files.
    let (status, listed) = api.get("/samples", ALICE).await;
    assert_eq!(status, 200, "{listed}");
    let rows = listed["samples"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "one row per read pair: {listed}");
    assert_eq!(rows[0]["sample_name"], "TB 042 ward 3");
    assert_eq!(rows[0]["specimen"], specimen);
    assert_eq!(rows[0]["status"], "uploading");
    assert_eq!(rows[0]["files"].as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["files"][0]["filename"], "R1.fastq.gz");
    assert!(listed.get("next").is_none());

    api.arrive(ALICE, &d1, "R1.fastq.gz", &r1).await;
    let (_, one) = api.get(&format!("/samples/{sample_id}"), ALICE).await;
    assert_eq!(one["status"], "uploading", "{one}");
    assert_eq!(one["status_reason"], "waiting for the bytes of R2.fastq.gz");
    api.arrive(ALICE, &d2, "R2.fastq.gz", &r2).await;
    let (_, one) = api.get(&format!("/samples/{sample_id}"), ALICE).await;
    assert_eq!(one["status"], "analyzing", "{one}");

    api.world
        .analyze
        .handle(&AnalysisRequested {
            sample_id: sample_id.clone(),
        })
        .await
        .unwrap();
    let (status, one) = api.get(&format!("/samples/{sample_id}"), ALICE).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["status"], "analyzed", "{one}");
    assert_eq!(one["access"], "owner");
    assert_eq!(one["dataset_ids"], json!([d1, d2]));
    assert_eq!(one["result"]["classification"], "MDR-TB", "{one}");
    let resistant = one["result"]["resistant_drugs"].as_array().unwrap();
    assert_eq!(&resistant[..2], [json!("Rifampicin"), json!("Isoniazid")]);
    assert!(
        one["result"]["not_assessed_drugs"]
            .as_array()
            .unwrap()
            .contains(&json!("Bedaquiline"))
    );
    assert!(one["report_date"].is_string(), "{one}");

    // Each file's view names the sample and says where it is.
    for id in [&d1, &d2] {
        let (_, view) = api.get(&format!("/datasets/{id}"), ALICE).await;
        assert_eq!(view["sample_name"], "TB 042 ward 3");
        assert_eq!(view["sample_status"], "analyzed");
    }
    let (_, list) = api.get("/datasets", ALICE).await;
    for row in list["datasets"].as_array().unwrap() {
        assert_eq!(row["sample_name"], "TB 042 ward 3");
        assert_eq!(row["sample_status"], "analyzed");
    }

    // report.json names the sample and its specimen; the report route dates it.
    let (status, report) = api.get(&format!("/datasets/{d2}/report"), ALICE).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["report"]["sample"],
        json!({"name": "TB 042 ward 3", "specimen_id": "SPC-0042", "collection_date": "2024-03-15", "submitter": "Clinic A"})
    );
    assert_eq!(report["report"]["classification"], "MDR-TB");
    assert!(report["report_date"].is_string(), "{report}");
    assert!(report["report"].get("report_date").is_none());

    // The VCF's sample column is the name, made VCF-safe.
    let vcf = api
        .world
        .blobs
        .read_range(&format!("results/{d1}/variants.vcf"), 0..u64::MAX)
        .await
        .unwrap();
    let vcf = String::from_utf8(vcf).unwrap();
    let columns = vcf.lines().find(|line| line.starts_with("#CHROM")).unwrap();
    assert!(columns.ends_with("\tFORMAT\tTB_042_ward_3"), "{columns}");
    let first = vcf.lines().find(|line| !line.starts_with('#')).unwrap();
    assert!(first.split('\t').nth(8) == Some("GT:DP"), "{first}");
}

#[tokio::test]
async fn specimen_fields_are_checked_with_precise_messages() {
    let api = Api::new();
    let file: &[u8] = b"@r\nACGT\n+\nIIII\n";
    for (specimen, needle) in [
        (
            json!({"collection_date": "2024-02-30"}),
            "specimen.collection_date \"2024-02-30\" is not a date",
        ),
        (json!({"collection_date": "15/03/2024"}), "YYYY-MM-DD"),
        (
            json!({"specimen_id": "x".repeat(201)}),
            "specimen.specimen_id is 201 characters long; at most 200",
        ),
        (
            json!({"submitter": "Clinic\u{7}A"}),
            "specimen.submitter contains the control character",
        ),
        (json!({"submitter": "  "}), "specimen.submitter is empty"),
        (
            json!({"specimen_number": "1"}),
            "unknown field `specimen_number`",
        ),
    ] {
        let (status, body) = api
            .declare_answer(ALICE, &[("r.fastq", file)], json!({"specimen": specimen}))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "bad_upload_request");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(needle),
            "{message:?} should say {needle:?}"
        );
    }
    // Every field is optional; a good one is stored and shown.
    let created = api
        .declare(
            ALICE,
            &[("r.fastq", file)],
            json!({"specimen": {"collection_date": "2024-02-29"}}),
        )
        .await;
    let (_, one) = api
        .get(
            &format!("/samples/{}", created["sample_id"].as_str().unwrap()),
            ALICE,
        )
        .await;
    assert_eq!(one["specimen"], json!({"collection_date": "2024-02-29"}));
    assert_eq!(one["sample_name"], Value::Null);
}

#[tokio::test]
async fn a_pair_with_one_corrupt_mate_is_a_failed_sample_on_every_view() {
    let api = Api::new();
    let r1 = data("samples/tb-demo_R1.fastq.gz");
    let mut r2 = data("samples/tb-demo_R2.fastq.gz");
    let middle = r2.len() / 2;
    r2[middle..middle + 64].fill(0);
    let created = api
        .declare(
            ALICE,
            &[("R1.fastq.gz", &r1), ("R2.fastq.gz", &r2)],
            json!({}),
        )
        .await;
    let sample_id = created["sample_id"].as_str().unwrap().to_owned();
    let [d1, d2] = <[String; 2]>::try_from(ids(&created)).unwrap();
    api.arrive(ALICE, &d1, "R1.fastq.gz", &r1).await;
    api.arrive(ALICE, &d2, "R2.fastq.gz", &r2).await;

    let (_, valid) = api.get(&format!("/datasets/{d1}"), ALICE).await;
    assert_eq!(
        valid["status"], "valid",
        "the good file stays valid: {valid}"
    );
    let (_, invalid) = api.get(&format!("/datasets/{d2}"), ALICE).await;
    assert_eq!(invalid["status"], "invalid");
    for view in [&valid, &invalid] {
        assert_eq!(view["sample_status"], "failed", "{view}");
        let reason = view["sample_status_reason"].as_str().unwrap();
        assert!(reason.starts_with("R2.fastq.gz is invalid: "), "{reason}");
    }
    let (_, one) = api.get(&format!("/samples/{sample_id}"), ALICE).await;
    assert_eq!(one["status"], "failed");
    assert_eq!(one["status_reason"], valid["sample_status_reason"]);
    assert_eq!(one["files"][1]["status"], "invalid");
    assert!(one["files"][1]["error"]["message"].is_string(), "{one}");
    assert!(one["files"][0].get("error").is_none());
    let (_, failed) = api.get("/samples?status=failed", ALICE).await;
    assert_eq!(failed["samples"].as_array().unwrap().len(), 1);
    let (_, list) = api.get("/datasets", ALICE).await;
    for row in list["datasets"].as_array().unwrap() {
        assert_eq!(row["sample_status"], "failed", "{row}");
    }
}

#[tokio::test]
async fn a_mate_invalid_before_the_other_arrives_fails_the_sample() {
    let api = Api::new();
    let created = api
        .declare(
            ALICE,
            &[
                ("a_R1.fastq", b"@r\nACGT\n+\nIIII\n"),
                ("a_R2.fastq", b"not fastq at all\n"),
            ],
            json!({}),
        )
        .await;
    let [_, d2] = <[String; 2]>::try_from(ids(&created)).unwrap();
    api.arrive(ALICE, &d2, "a_R2.fastq", b"not fastq at all\n")
        .await;
    let (_, one) = api
        .get(
            &format!("/samples/{}", created["sample_id"].as_str().unwrap()),
            ALICE,
        )
        .await;
    assert_eq!(one["status"], "failed", "{one}");
    assert!(
        one["status_reason"]
            .as_str()
            .unwrap()
            .starts_with("a_R2.fastq is invalid: "),
        "{one}"
    );
}

/// Marks `sample_id` analysed with `result`, as the analyser leaves it.
async fn analysed(world: &World, sample_id: &str, result: SampleResult) {
    let sample = world.table.get_sample(sample_id).await.unwrap().unwrap();
    for id in &sample.dataset_ids {
        world.force_status(id, Status::Analyzed).await;
    }
    let mut next = sample.clone();
    next.status = SampleStatus::Analyzed;
    next.analysis = Some(AnalysisRecord {
        inputs_hash: "11".repeat(32),
        report_sha256: "22".repeat(32),
        pipeline_id: "33".repeat(32),
        item: "44".repeat(32),
        artifacts: vec![],
        result: Some(result),
        analyzed_at: Some(world.clock.now()),
    });
    world
        .table
        .update_sample(&next, sample.status)
        .await
        .unwrap();
}

fn result(classification: &str, resistant: &[&str], not_assessed: &[&str]) -> SampleResult {
    SampleResult {
        classification: classification.into(),
        resistant_drugs: resistant.iter().map(|d| (*d).into()).collect(),
        not_assessed_drugs: not_assessed.iter().map(|d| (*d).into()).collect(),
    }
}

fn names(list: &Value) -> Vec<String> {
    list["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_name"].as_str().unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn samples_are_searched_filtered_sorted_and_paged() {
    let api = Api::new();
    let file: &[u8] = b"@r\nACGT\n+\nIIII\n";
    let mut created = Vec::new();
    for (name, specimen) in [
        ("delta", "SPC-4"),
        ("Alpha", "SPC-1"),
        ("charlie", "SPC-3"),
        ("bravo", "SPC-2"),
    ] {
        api.world.clock.advance(time::Duration::seconds(10));
        let body = api
            .declare(
                ALICE,
                &[(&format!("{name}.fastq"), file)],
                json!({"sample_name": name, "specimen": {"specimen_id": specimen}}),
            )
            .await;
        created.push(body["sample_id"].as_str().unwrap().to_owned());
    }
    // One unnamed sample, newest.
    api.world.clock.advance(time::Duration::seconds(10));
    api.declare(ALICE, &[("zulu.fastq", file)], json!({})).await;
    // Bob's never show.
    api.declare(
        BOB,
        &[("alpha-bob.fastq", file)],
        json!({"sample_name": "Alpha"}),
    )
    .await;
    analysed(
        &api.world,
        &created[0],
        result("MDR-TB", &["Rifampicin", "Isoniazid"], &["Bedaquiline"]),
    )
    .await;
    analysed(&api.world, &created[1], result("none", &[], &[])).await;
    analysed(
        &api.world,
        &created[2],
        result("Hr-TB", &["Isoniazid"], &[]),
    )
    .await;

    let api = &api;
    let get = |query: &str| {
        let path = format!("/samples{query}");
        async move { api.get(&path, ALICE).await }
    };
    let (_, all) = get("").await;
    assert_eq!(names(&all), ["-", "bravo", "charlie", "Alpha", "delta"]);
    assert_eq!(all["samples"][1]["status"], "uploading");

    // Paging, newest first.
    let (_, first) = get("?limit=2").await;
    assert_eq!(names(&first), ["-", "bravo"]);
    let next = first["next"].as_str().unwrap().to_owned();
    let (_, second) = get(&format!("?limit=2&cursor={next}")).await;
    assert_eq!(names(&second), ["charlie", "Alpha"]);
    let (_, third) = get(&format!(
        "?limit=2&cursor={}",
        second["next"].as_str().unwrap()
    ))
    .await;
    assert_eq!(names(&third), ["delta"]);
    assert!(third.get("next").is_none());

    // Search: name, specimen id or file name, without case.
    assert_eq!(names(&get("?q=ALPHA").await.1), ["Alpha"]);
    assert_eq!(names(&get("?q=spc-3").await.1), ["charlie"]);
    assert_eq!(names(&get("?q=zulu.fastq").await.1), ["-"]);
    assert_eq!(
        names(&get("?q=nothing-like-it").await.1),
        Vec::<String>::new()
    );

    // Filters.
    assert_eq!(
        names(&get("?status=analyzed").await.1),
        ["charlie", "Alpha", "delta"]
    );
    assert_eq!(names(&get("?status=uploading").await.1), ["-", "bravo"]);
    assert_eq!(names(&get("?result=MDR-TB").await.1), ["delta"]);
    assert_eq!(names(&get("?result=mdr-tb").await.1), ["delta"]);
    assert_eq!(
        names(&get("?result=resistant").await.1),
        ["charlie", "delta"]
    );
    assert_eq!(names(&get("?result=susceptible").await.1), ["Alpha"]);
    assert_eq!(names(&get("?result=not_assessed").await.1), ["delta"]);
    assert_eq!(names(&get("?result=resistant&q=del").await.1), ["delta"]);

    // A filtered page holds at most `limit` and continues after the last sample it read.
    let (_, filtered) = get("?status=analyzed&limit=1").await;
    assert_eq!(names(&filtered), ["charlie"]);
    let (_, rest) = get(&format!(
        "?status=analyzed&limit=5&cursor={}",
        filtered["next"].as_str().unwrap()
    ))
    .await;
    assert_eq!(names(&rest), ["Alpha", "delta"]);

    // Sorts.
    assert_eq!(
        names(&get("?sort=oldest").await.1),
        ["delta", "Alpha", "charlie", "bravo", "-"]
    );
    assert_eq!(
        names(&get("?sort=name").await.1),
        ["Alpha", "bravo", "charlie", "delta", "-"]
    );
    let (_, page) = get("?sort=name&limit=3").await;
    assert_eq!(names(&page), ["Alpha", "bravo", "charlie"]);
    assert_eq!(page["next"], "+3");
    let (_, page) = get("?sort=name&limit=3&cursor=%2B3").await;
    assert_eq!(names(&page), ["delta", "-"]);
    assert!(page.get("next").is_none());
    assert_eq!(
        names(&get("?sort=name&status=analyzed").await.1),
        ["Alpha", "charlie", "delta"]
    );

    // Bad parameters say what is allowed.
    for (query, name, needle) in [
        (
            "?status=done",
            "status",
            "use one of uploading, validating, failed",
        ),
        (
            "?result=maybe",
            "result",
            "use resistant, susceptible, not_assessed or a classification",
        ),
        ("?sort=size", "sort", "use newest, oldest or name"),
        ("?limit=0", "limit", "from 1 to 100"),
        ("?cursor=yesterday", "cursor", "not a cursor"),
        ("?sort=name&cursor=12:x", "cursor", "not a cursor"),
    ] {
        let (status, body) = get(query).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_query")),
            "{query}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(name) && message.contains(needle),
            "{query}: {message}"
        );
    }
}

#[tokio::test]
async fn only_the_owner_reads_a_sample() {
    let api = Api::new();
    let created = api
        .declare(
            ALICE,
            &[("r.fastq", b"@r\nACGT\n+\nIIII\n")],
            json!({"sample_name": "mine"}),
        )
        .await;
    let path = format!("/samples/{}", created["sample_id"].as_str().unwrap());
    let (status, body) = api.get(&path, BOB).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, body) = api.get("/samples/no-such-sample", ALICE).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    for path in [path.as_str(), "/samples"] {
        let (status, body) = api.call(Method::GET, path, None, None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("unauthenticated")),
            "{path}"
        );
    }
    let (status, listed) = api.get("/samples", BOB).await;
    assert_eq!(status, 200);
    assert_eq!(listed["samples"], json!([]));
    let (status, _) = api.get(&path, ALICE).await;
    assert_eq!(status, 200);
}
