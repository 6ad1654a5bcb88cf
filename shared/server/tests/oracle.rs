//! `genoflow serve` with an oracle key and `--oracle-source` (no network, no node): the panel's
//! genes and catalogue attested at start, shown by `GET /oracle/...`, refreshed on the
//! operator's `POST /admin/oracle/refresh`; one source document that is garbage fails alone.

#![allow(clippy::unwrap_used)]

use std::{
    path::Path,
    time::{Duration, Instant},
};

use genoflow_genomics::analysis::{BUILTIN_TB, Panel};
use genoflow_stacks::keys::PrivateKey;
use genoflow_testkit::{
    keys::ORACLE_KEY,
    serve::{ALICE_KEY, Client, start_with},
};
use reqwest::Method;
use serde_json::{Value, json};

/// NCBI Gene id of katG, whose document the test turns into garbage.
const KATG: &str = "885638";

/// The repository's oracle source directory, copied, with katG's document garbage.
fn source_dir() -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/oracle-source/gene");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("gene")).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            dir.path().join("gene").join(entry.file_name()),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join(format!("gene/{KATG}.json")),
        "<html>maintenance</html>",
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_attests_the_panel_genes_and_catalogue_and_the_operator_refreshes() {
    let sources = source_dir();
    let source = sources.path().to_owned();
    let server = start_with(move |config| {
        config.oracle_key = Some(PrivateKey::from_hex(ORACLE_KEY).unwrap());
        config.oracle_source = Some(source);
    })
    .await;
    let client = &server.client;

    // Attested at start: the catalogue, refreshed last, shows once the first refresh is
    // through; its key and value are the ones a report names.
    let started = Instant::now();
    let catalogue = loop {
        let (status, body) = client
            .call(
                Method::GET,
                &format!("/oracle/catalogue/{BUILTIN_TB}"),
                None,
            )
            .await;
        if status == 200 {
            break body;
        }
        assert_eq!(status, 404, "{body}");
        assert!(started.elapsed() < Duration::from_secs(30), "{body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let named = Panel::load(BUILTIN_TB).unwrap().catalogue_attestation();
    assert_eq!(
        (&catalogue["key"], &catalogue["value"]),
        (&json!(named.key), &json!(named.value))
    );
    assert_eq!(catalogue["document"]["id"], BUILTIN_TB);
    assert_eq!(catalogue["state"], "signed");

    let (status, rpob) = client.call(Method::GET, "/oracle/gene/rpoB", None).await;
    assert_eq!(status, 200, "{rpob}");
    assert_eq!(rpob["state"], "signed");
    assert_eq!(rpob["source"], "gene");
    assert_eq!(rpob["id"], "888164");
    assert_eq!(rpob["document"]["symbol"], "rpoB");
    assert_eq!(rpob["on_chain"], Value::Null);
    assert_eq!(rpob["matches_chain"], Value::Null);
    assert!(
        rpob["on_chain_error"]
            .as_str()
            .unwrap()
            .contains("no Stacks node")
    );
    let oracle = PrivateKey::from_hex(ORACLE_KEY).unwrap().public_key();
    assert_eq!(rpob["signer"], hex::encode(oracle.to_bytes()));

    // Not a gene of the panel; a gene whose source answered garbage: never attested.
    let (status, body) = client
        .call(Method::GET, "/oracle/gene/notagene", None)
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("unknown_gene"))
    );
    let (status, body) = client.call(Method::GET, "/oracle/gene/katG", None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("not_attested"))
    );

    // The operator refreshes: the others are unchanged, katG's error is named.
    let token = server.admin_token();
    let (status, answer) = client
        .call_as(Method::POST, "/admin/oracle/refresh", Some(&token), None)
        .await;
    assert_eq!(status, 200, "{answer}");
    let records = answer["records"].as_array().unwrap();
    let genes = Panel::load(BUILTIN_TB)
        .unwrap()
        .genes
        .iter()
        .filter(|gene| gene.ncbi_gene_id.is_some())
        .count();
    assert_eq!(records.len(), genes + 1, "{answer}");
    assert_eq!(answer["errors"], 1, "{answer}");
    assert_eq!(answer["unchanged"], genes, "{answer}");
    let katg = records.iter().find(|r| r["id"] == KATG).unwrap();
    assert_eq!(katg["outcome"], "error");
    assert!(
        katg["error"].as_str().unwrap().contains("not JSON"),
        "{katg}"
    );
    let last = records.last().unwrap();
    assert_eq!(
        (&last["source"], &last["id"], &last["outcome"]),
        (&json!("catalogue"), &json!(BUILTIN_TB), &json!("unchanged"))
    );
    let (status, _) = client.call(Method::GET, "/oracle/gene/katG", None).await;
    assert_eq!(status, 404);

    // Anyone but the operator is refused: no token, a user's sign-in token, another token.
    let mut user = Client::new(&client.base);
    user.login(ALICE_KEY, 1).await;
    for bearer in [None, user.token.clone(), Some("0".repeat(64))] {
        let (status, answer) = client
            .call_as(
                Method::POST,
                "/admin/oracle/refresh",
                bearer.as_deref(),
                None,
            )
            .await;
        assert_eq!(
            (status, &answer["error"]["code"]),
            (401, &json!("unauthenticated")),
            "{answer}"
        );
        assert!(answer.get("records").is_none());
    }
    server.stop().await;
}
