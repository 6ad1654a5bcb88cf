//! External records → canonical documents → signed values → `oracle.submit` transactions, on
//! in-memory sources and an in-memory node.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    Error,
    http::{ApiRequest, HeaderMap, Method, OracleRoutes, RoutePorts},
    model::SubmissionStatus,
    ports::{BlobStore, Chain, HmacSecret, HmacTokenSigner, Table},
    usecases::{
        analyze::PanelSource,
        attestations::{AttestationState, Attestations, OracleContract},
        onchain::ChainReads,
        oracle::{
            OracleOutcome, OracleRequested, OracleSigner, OracleUpdates, Source, SourceUrls,
            canonical_json, message_hash,
        },
        submit::ContractSender,
    },
};
use genoflow_genomics::analysis::{BUILTIN_TB, Panel};
use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::{PrivateKey, RecoverableSignature},
    node::TxStatus,
    transaction::{Network, Payload},
};
use genoflow_testkit::memory::{
    ManualClock, MemoryBlobStore, MemoryChain, MemoryFetcher, MemoryTable,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use genoflow_testkit::keys::ORACLE_KEY;
const ORACLE_CONTRACT: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle";
const CLINVAR: &str = "http://ncbi.test/eutils";
const GENE: &str = "http://genes.test/eutils";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn clinvar_url(id: &str) -> String {
    format!("{CLINVAR}/esummary.fcgi?db=clinvar&id={id}&retmode=json")
}

struct Oracle {
    table: Arc<MemoryTable>,
    blobs: Arc<MemoryBlobStore>,
    chain: Arc<MemoryChain>,
    fetcher: Arc<MemoryFetcher>,
    clock: Arc<ManualClock>,
    oracle: OracleUpdates,
}

fn oracle() -> Oracle {
    let table = Arc::new(MemoryTable::default());
    let blobs = Arc::new(MemoryBlobStore::default());
    let chain = Arc::new(MemoryChain::default());
    let fetcher = Arc::new(MemoryFetcher::default());
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    ));
    fetcher.answer(
        &clinvar_url("12345"),
        200,
        fixture("clinvar-esummary-12345.json"),
    );
    fetcher.answer(
        &format!("{GENE}/esummary.fcgi?db=gene&id=888164&retmode=json"),
        200,
        fixture("gene-esummary-888164.json"),
    );
    let oracle = OracleUpdates {
        table: table.clone(),
        blobs: blobs.clone(),
        clock: clock.clone(),
        chain: Some(chain.clone() as Arc<dyn Chain>),
        fetcher: fetcher.clone(),
        urls: SourceUrls {
            clinvar: CLINVAR.to_owned(),
            gene: format!("{GENE}/"),
        },
        signer: OracleSigner {
            sender: ContractSender {
                key: PrivateKey::from_hex(ORACLE_KEY).unwrap(),
                network: Network::Testnet,
                fee: 1_000,
            },
            contract: ORACLE_CONTRACT.to_owned(),
        },
        panel: Some(Arc::new(PanelSource::named(BUILTIN_TB))),
    };
    Oracle {
        table,
        blobs,
        chain,
        fetcher,
        clock,
        oracle,
    }
}

fn request(source: Source, id: &str) -> OracleRequested {
    OracleRequested {
        source,
        id: id.to_owned(),
    }
}

#[tokio::test]
async fn a_clinvar_record_is_canonicalised_signed_and_submitted() {
    let o = oracle();
    let outcome = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    let OracleOutcome::Submitted {
        key,
        value,
        txid,
        status,
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(status, SubmissionStatus::Broadcast);
    assert_eq!(key, hex::encode(Sha256::digest(b"clinvar:12345")));

    // The stored document is the canonical JSON of the attested fields; its hash is the value.
    let record = o.table.get_oracle_value(&key).await.unwrap().unwrap();
    let document = o.blobs.object(&record.document).unwrap();
    assert_eq!(record.document, "oracle/clinvar/12345/1800000000.json");
    assert_eq!(hex::encode(Sha256::digest(&document)), value);
    let parsed: serde_json::Value = serde_json::from_slice(&document).unwrap();
    assert_eq!(canonical_json(&parsed).as_bytes(), document.as_slice());
    assert_eq!(parsed["accession"], "VCV000012345");
    assert_eq!(parsed["classification"]["description"], "Pathogenic");
    assert_eq!(parsed["genes"], serde_json::json!(["TP53"]));

    // The signature recovers the oracle's key over the contract's message for this deployment
    // (contract and chain id).
    let signature =
        RecoverableSignature::from_rsv(&hex::decode(&record.signature).unwrap()).unwrap();
    assert!(signature.is_low_s());
    let hash = message_hash(
        &Principal::parse(ORACLE_CONTRACT).unwrap(),
        Network::Testnet.chain_id(),
        &hex::decode(&key).unwrap().try_into().unwrap(),
        &hex::decode(&value).unwrap().try_into().unwrap(),
        record.timestamp,
    );
    let oracle_key = PrivateKey::from_hex(ORACLE_KEY).unwrap().public_key();
    assert_eq!(signature.recover(&hash).unwrap(), oracle_key);
    assert_eq!(record.oracle_public_key, hex::encode(oracle_key.to_bytes()));

    // One oracle.submit(key, value, timestamp, signature) call, signed by the oracle account.
    let txs = o.chain.transactions();
    assert_eq!(txs.len(), 1);
    let (tx, _) = &txs[0];
    assert_eq!(hex::encode(tx.txid()), txid);
    let Payload::ContractCall(call) = &tx.payload else {
        panic!("not a contract call");
    };
    assert_eq!(
        (call.contract_id().as_str(), call.function_name.as_str()),
        (ORACLE_CONTRACT, "submit")
    );
    assert_eq!(
        call.args,
        [
            ClarityValue::Buffer(hex::decode(&key).unwrap()),
            ClarityValue::Buffer(hex::decode(&value).unwrap()),
            ClarityValue::UInt(1_800_000_000),
            ClarityValue::Buffer(signature.to_rsv().to_vec()),
        ]
    );

    o.chain.mine();
    assert_eq!(
        o.oracle.confirm().await.unwrap(),
        [(key.clone(), SubmissionStatus::Confirmed)]
    );
    assert!(matches!(
        o.chain.transaction_status(&tx.txid()).await.unwrap(),
        TxStatus::Success { .. }
    ));
}

#[tokio::test]
async fn an_unchanged_record_is_not_signed_again_and_a_changed_one_is_newer() {
    let o = oracle();
    let first = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    let OracleOutcome::Submitted { key, value, .. } = first else {
        panic!("{first:?}");
    };
    let again = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    assert_eq!(again, OracleOutcome::Unchanged { key: key.clone() });
    assert_eq!(o.chain.transactions().len(), 1);

    // ClinVar reclassifies the variant, within the same second.
    let changed = String::from_utf8(fixture("clinvar-esummary-12345.json"))
        .unwrap()
        .replace("\"Pathogenic\"", "\"Likely pathogenic\"");
    o.fetcher.answer(&clinvar_url("12345"), 200, changed);
    let second = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    let OracleOutcome::Submitted { value: newer, .. } = second else {
        panic!("{second:?}");
    };
    assert_ne!(newer, value);
    let record = o.table.get_oracle_value(&key).await.unwrap().unwrap();
    assert_eq!(
        record.timestamp, 1_800_000_001,
        "strictly newer than the stored value"
    );
    let mut nonces: Vec<u64> = o
        .chain
        .transactions()
        .iter()
        .map(|(t, _)| t.auth.nonce)
        .collect();
    nonces.sort_unstable();
    assert_eq!(nonces, [0, 1]);
}

#[tokio::test]
async fn a_gene_record_is_attested_too() {
    let o = oracle();
    let outcome = o
        .oracle
        .refresh(&request(Source::Gene, "888164"))
        .await
        .unwrap();
    let OracleOutcome::Submitted { key, .. } = outcome else {
        panic!("{outcome:?}");
    };
    let record = o.table.get_oracle_value(&key).await.unwrap().unwrap();
    let document: serde_json::Value =
        serde_json::from_slice(&o.blobs.object(&record.document).unwrap()).unwrap();
    assert_eq!(document["symbol"], "rpoB");
    assert_eq!(document["location"]["accession"], "NC_000962.3");
    assert_eq!(document["location"]["start"], 759806);
}

#[tokio::test]
async fn a_source_that_is_down_or_answers_garbage_produces_no_signed_record() {
    let o = oracle();
    let id_url = |id: &str| clinvar_url(id);
    o.fetcher.answer(&id_url("500"), 503, "Service Unavailable");
    o.fetcher.answer(&id_url("404"), 404, "not found");
    o.fetcher
        .answer(&id_url("77"), 200, "<html>maintenance</html>");
    o.fetcher
        .answer(&id_url("78"), 200, r#"{"result": {"uids": []}}"#);
    o.fetcher.answer(
        &id_url("79"),
        200,
        r#"{"result": {"uids": ["79"], "79": {"uid": "79", "error": "cannot get document summary"}}}"#,
    );
    o.fetcher.answer(
        &id_url("80"),
        200,
        r#"{"result": {"uids": ["80"], "80": {"uid": "80", "accession": "VCV000000080", "title": "x"}}}"#,
    );
    for (id, retryable, says) in [
        ("1", true, "connection refused"),
        ("500", true, "HTTP 503"),
        ("404", false, "HTTP 404"),
        ("77", false, "not JSON"),
        ("78", false, "no result.78"),
        ("79", false, "no record 79"),
        ("80", false, "no classification"),
    ] {
        let error = o
            .oracle
            .refresh(&request(Source::Clinvar, id))
            .await
            .unwrap_err();
        assert_eq!(error.is_retryable(), retryable, "{id}: {error}");
        assert!(error.to_string().contains(says), "{id}: {error}");
    }
    assert!(o.chain.transactions().is_empty());
    assert!(o.blobs.list("oracle/").await.unwrap().is_empty());
    assert!(o.table.open_oracle_values().await.unwrap().is_empty());

    // An id that is not a number is refused before anything is fetched.
    let before = o.fetcher.requests().len();
    let error = o
        .oracle
        .refresh(&request(Source::Clinvar, "1&db=gene"))
        .await
        .unwrap_err();
    assert!(!error.is_retryable());
    assert_eq!(o.fetcher.requests().len(), before);
}

#[tokio::test]
async fn without_a_node_the_value_is_signed_and_kept_for_the_schedule() {
    let mut o = oracle();
    o.oracle.chain = None;
    let outcome = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    assert!(matches!(
        outcome,
        OracleOutcome::Submitted {
            status: SubmissionStatus::Signed,
            ..
        }
    ));
    assert!(o.chain.transactions().is_empty());
    assert_eq!(o.table.open_oracle_values().await.unwrap().len(), 1);

    // With the node back, the schedule broadcasts it.
    o.oracle.chain = Some(o.chain.clone() as Arc<dyn Chain>);
    let report = o.oracle.confirm().await.unwrap();
    assert_eq!(report[0].1, SubmissionStatus::Broadcast);
    assert_eq!(o.chain.transactions().len(), 1);
}

#[test]
fn queue_messages_parse_and_the_key_stays_out_of_debug() {
    let message =
        OracleRequested::from_json(r#"{"type":"oracle_requested","source":"gene","id":"888164"}"#)
            .unwrap();
    assert_eq!(message, request(Source::Gene, "888164"));
    assert!(
        OracleRequested::from_json(r#"{"type":"oracle_requested","source":"omim","id":"1"}"#)
            .is_err()
    );
    let shown = format!("{:?}", oracle().oracle.signer);
    assert!(!shown.contains(&ORACLE_KEY[..16]), "{shown}");
}

const REGISTRY: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry";

fn catalogue_request() -> OracleRequested {
    request(Source::Catalogue, BUILTIN_TB)
}

#[tokio::test]
async fn the_catalogue_source_signs_the_panel_document() {
    let o = oracle();
    let panel = Panel::load(BUILTIN_TB).unwrap();
    let outcome = o.oracle.refresh(&catalogue_request()).await.unwrap();
    let OracleOutcome::Submitted { key, value, .. } = outcome else {
        panic!("{outcome:?}");
    };
    // The key and value a report names for its catalogue.
    let named = panel.catalogue_attestation();
    assert_eq!(
        (named.source.as_str(), named.id.as_str()),
        ("catalogue", BUILTIN_TB)
    );
    assert_eq!(
        (key.as_str(), value.as_str()),
        (named.key.as_str(), named.value.as_str())
    );
    let record = o.table.get_oracle_value(&key).await.unwrap().unwrap();
    assert_eq!(record.source, "catalogue");
    assert_eq!(
        record.document,
        format!("oracle/catalogue/{BUILTIN_TB}/1800000000.json")
    );
    let document = o.blobs.object(&record.document).unwrap();
    assert_eq!(
        document,
        canonical_json(&panel.catalogue_document()).into_bytes()
    );
    // Nothing was fetched for it.
    assert!(o.fetcher.requests().is_empty());
    // The same panel again: nothing signed.
    let again = o.oracle.refresh(&catalogue_request()).await.unwrap();
    assert_eq!(again, OracleOutcome::Unchanged { key });
    assert_eq!(o.chain.transactions().len(), 1);
}

#[tokio::test]
async fn a_catalogue_of_another_panel_is_refused_and_nothing_signed() {
    let o = oracle();
    for id in ["tb-who-2021", "TB-WHO-2023", "../tb-who-2023"] {
        let error = o
            .oracle
            .refresh(&request(Source::Catalogue, id))
            .await
            .unwrap_err();
        assert!(!error.is_retryable(), "{error}");
        assert!(matches!(error, Error::Source { .. }), "{error}");
        assert!(error.to_string().contains(BUILTIN_TB), "{error}");
    }
    // A deployment without a panel attests no catalogue.
    let mut o = o;
    o.oracle.panel = None;
    let error = o.oracle.refresh(&catalogue_request()).await.unwrap_err();
    assert!(error.to_string().contains("no panel"), "{error}");
    assert!(o.chain.transactions().is_empty());
    assert!(o.table.open_oracle_values().await.unwrap().is_empty());
    assert!(o.blobs.list("oracle/").await.unwrap().is_empty());
}

#[tokio::test]
async fn the_panel_requests_are_its_genes_with_an_ncbi_id_and_its_catalogue() {
    let o = oracle();
    let requests = o.oracle.panel_requests().await.unwrap();
    let panel = Panel::load(BUILTIN_TB).unwrap();
    let with_ids = panel
        .genes
        .iter()
        .filter(|gene| gene.ncbi_gene_id.is_some())
        .count();
    assert!(with_ids > 0);
    assert_eq!(requests.len(), with_ids + 1);
    assert!(requests.contains(&request(Source::Gene, "888164")));
    assert_eq!(requests.last(), Some(&catalogue_request()));

    // One record answering garbage fails alone; the others are signed.
    o.fetcher.answer(
        &format!("{GENE}/esummary.fcgi?db=gene&id=888164&retmode=json"),
        200,
        "<html>maintenance</html>",
    );
    let list = [
        request(Source::Gene, "888164"),
        catalogue_request(),
        catalogue_request(),
    ];
    let results = o.oracle.refresh_all(&list).await;
    assert_eq!(results.len(), 2, "a repeated record is refreshed once");
    assert!(
        results[0]
            .outcome
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("not JSON")
    );
    assert!(matches!(
        results[1].outcome,
        Ok(OracleOutcome::Submitted { .. })
    ));
}

/// The attestation use case over `o`'s table, blobs and node, reading `ADDR.oracle`.
fn attestations(o: &Oracle, node: bool) -> Attestations {
    Attestations {
        table: o.table.clone(),
        blobs: o.blobs.clone(),
        panel: Arc::new(PanelSource::named(BUILTIN_TB)),
        chain: node.then(|| OracleContract {
            reads: Arc::new(
                ChainReads::new(o.chain.clone(), REGISTRY, Network::Testnet, o.clock.clone())
                    .unwrap(),
            ),
            contract: ORACLE_CONTRACT.to_owned(),
        }),
    }
}

#[tokio::test]
async fn an_attestation_is_signed_then_broadcast_then_confirmed_against_get_value() {
    let mut o = oracle();
    o.oracle.chain = None;
    let outcome = o
        .oracle
        .refresh(&request(Source::Gene, "888164"))
        .await
        .unwrap();
    let OracleOutcome::Submitted { key, value, .. } = outcome else {
        panic!("{outcome:?}");
    };

    // Signed, no node: the record alone; nothing said of the chain but why.
    let view = attestations(&o, false).gene("rpoB").await.unwrap();
    assert_eq!(view.state, AttestationState::Signed);
    assert_eq!(
        (view.key.as_str(), view.value.as_str()),
        (key.as_str(), value.as_str())
    );
    assert_eq!((view.source.as_str(), view.id.as_str()), ("gene", "888164"));
    assert_eq!(view.symbol.as_deref(), Some("rpoB"));
    assert_eq!(view.document["symbol"], "rpoB");
    assert_eq!(
        hex::encode(Sha256::digest(canonical_json(&view.document))),
        view.value
    );
    assert_eq!((view.on_chain.as_ref(), view.matches_chain), (None, None));
    assert!(view.on_chain_error.unwrap().contains("no Stacks node"));
    assert_eq!(view.txid, None);
    assert_eq!(view.contract, None);

    // Signed, with a node holding nothing for the key.
    let reads = attestations(&o, true);
    let view = reads.get("gene", "888164").await.unwrap();
    assert_eq!(view.state, AttestationState::Signed);
    assert_eq!(
        (view.on_chain.as_ref(), view.matches_chain),
        (None, Some(false))
    );
    assert_eq!(view.on_chain_error, None);
    assert_eq!(view.contract.as_deref(), Some(ORACLE_CONTRACT));

    // Broadcast.
    o.oracle.chain = Some(o.chain.clone() as Arc<dyn Chain>);
    o.oracle.confirm().await.unwrap();
    o.clock.advance(time::Duration::seconds(60));
    let view = reads.get("gene", "888164").await.unwrap();
    assert_eq!(view.state, AttestationState::Broadcast);
    assert_eq!(view.submission, SubmissionStatus::Broadcast);
    let txid = view.txid.clone().unwrap();
    assert_eq!(view.block_height, None);

    // Mined and confirmed: the contract holds this value and timestamp. The kept `none` is
    // not what the page shows once the oracle saw the block.
    o.chain.mine();
    o.oracle.confirm().await.unwrap();
    let view = reads.get("gene", "888164").await.unwrap();
    assert_eq!(view.state, AttestationState::Confirmed);
    assert_eq!(view.matches_chain, Some(true));
    assert_eq!(view.txid.as_deref(), Some(txid.as_str()));
    assert_eq!(view.block_height, Some(1));
    let on_chain = view.on_chain.unwrap();
    assert_eq!(
        (on_chain.value.as_str(), on_chain.timestamp),
        (value.as_str(), 1_800_000_000)
    );
    assert_eq!(on_chain.submitted_at, 1);
    assert_eq!(on_chain.signer, view.signer);

    // The body's names, as docs/API.md promises them.
    let body = serde_json::to_value(reads.get("gene", "888164").await.unwrap()).unwrap();
    for field in [
        "source",
        "id",
        "key",
        "value",
        "timestamp",
        "signature",
        "signer",
        "document",
        "state",
        "txid",
        "block_height",
        "on_chain",
        "matches_chain",
    ] {
        assert!(body.get(field).is_some(), "{field}: {body}");
    }
    assert_eq!(body["state"], "confirmed");
    assert_eq!(body["on_chain"]["timestamp"], 1_800_000_000_u64);
}

#[tokio::test]
async fn a_newer_value_on_chain_supersedes_and_a_node_down_is_said() {
    let o = oracle();
    let outcome = o
        .oracle
        .refresh(&request(Source::Clinvar, "12345"))
        .await
        .unwrap();
    let OracleOutcome::Submitted { key, .. } = outcome else {
        panic!("{outcome:?}");
    };
    o.chain.mine();
    o.oracle.confirm().await.unwrap();

    // Another oracle submitted a newer value for the key.
    let key_bytes: [u8; 32] = hex::decode(&key).unwrap().try_into().unwrap();
    let newer = ClarityValue::some(
        ClarityValue::tuple([
            ("oracle", ClarityValue::Buffer(vec![3; 33])),
            ("submitted-at", ClarityValue::UInt(9)),
            ("timestamp", ClarityValue::UInt(1_800_000_500)),
            ("value", ClarityValue::Buffer(vec![7; 32])),
        ])
        .unwrap(),
    );
    o.chain.answer_read_only(
        &genoflow_stacks::contracts::oracle::get_value(ORACLE_CONTRACT, &key_bytes).unwrap(),
        newer,
    );
    let reads = attestations(&o, true);
    let view = reads.get("clinvar", "12345").await.unwrap();
    assert_eq!(view.state, AttestationState::Superseded);
    assert_eq!(view.matches_chain, Some(false));
    assert_eq!(view.submission, SubmissionStatus::Confirmed);
    assert_eq!(view.block_height, None);
    let on_chain = view.on_chain.unwrap();
    assert_eq!(on_chain.value, "07".repeat(32));
    assert_eq!(on_chain.timestamp, 1_800_000_500);

    // The node is down: the record's own state, the chain unknown and why.
    o.chain.set_unavailable(true);
    let view = attestations(&o, true)
        .get("clinvar", "12345")
        .await
        .unwrap();
    assert_eq!(view.state, AttestationState::Confirmed);
    assert_eq!((view.on_chain, view.matches_chain), (None, None));
    assert!(
        view.on_chain_error.unwrap().contains("did not answer"),
        "the reason is said"
    );
}

#[tokio::test]
async fn unknown_sources_genes_and_records_are_404s_with_their_codes() {
    let o = oracle();
    o.oracle
        .refresh(&request(Source::Gene, "888164"))
        .await
        .unwrap();
    let tokens = Arc::new(HmacTokenSigner::new(HmacSecret::new(vec![1; 32]).unwrap()));
    let routes = OracleRoutes::new(
        RoutePorts {
            table: o.table.clone(),
            blobs: o.blobs.clone(),
            clock: o.clock.clone(),
            tokens,
        },
        Arc::new(PanelSource::named(BUILTIN_TB)),
    );
    let get = |path: &str| {
        let request = ApiRequest::new(Method::GET, path, HeaderMap::new(), vec![], vec![]);
        let routes = &routes;
        async move {
            let response = routes.handle(request).await;
            let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
            (response.status, body)
        }
    };
    let (status, body) = get("/oracle/gene/rpoB").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["state"].as_str(), body["id"].as_str()),
        (Some("broadcast"), Some("888164"))
    );
    let (status, by_id) = get("/oracle/gene/888164").await;
    assert_eq!(status, 200);
    assert_eq!(by_id["key"], body["key"]);
    for (path, code, says) in [
        ("/oracle/gene/notagene", "unknown_gene", "notagene"),
        ("/oracle/gene/RPOB", "unknown_gene", "case-sensitive"),
        ("/oracle/gene/katG", "not_attested", "katG"),
        ("/oracle/clinvar/12345", "not_attested", "clinvar 12345"),
        ("/oracle/catalogue/tb-who-2023", "not_attested", "catalogue"),
        (
            "/oracle/omim/1",
            "unknown_source",
            "clinvar, gene and catalogue",
        ),
        ("/oracle/gene", "no_route", "/oracle/gene"),
    ] {
        let (status, body) = get(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{path}: {body}"
        );
    }
}
