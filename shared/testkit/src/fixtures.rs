//! Records and files to test with: the repository's test data, and records of every kind with
//! plausible values.

use std::path::{Path, PathBuf};

use genoflow_core::{
    lifecycle::{SampleStatus, Status},
    model::{
        AnalysisRecord, Batch, BatchItem, ChainTransaction, Dataset, OracleValue, Sample,
        SubmissionStatus, UploadKind,
    },
    ports::{AnchorRequested, NonceClaim, Table, TableError},
    usecases::upload::FileDeclaration,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// The repository's `tests/data`.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

/// A file of the repository's `tests/data`.
///
/// # Panics
/// When it cannot be read (a test set-up error).
pub fn data(relative: &str) -> Vec<u8> {
    let path = data_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The dataset id the functions' HTTP event fixtures (`functions/*/tests/events/*.json`) carry
/// in their paths.
pub const FIXTURE_DATASET_ID: &str = "00000000-0000-4000-8000-000000000000";

/// An API Gateway HTTP event from the fixture file at `path`, with `dataset_id` in place of
/// [`FIXTURE_DATASET_ID`], `body` (and its `content-length`) when given, and a bearer `token`,
/// or no `authorization` header. As JSON: a test reads it into its runtime's event type.
///
/// # Panics
/// When the fixture cannot be read or is not a JSON object with `headers`.
pub fn http_event(
    path: &Path,
    dataset_id: Option<&str>,
    body: Option<&str>,
    token: Option<&str>,
) -> serde_json::Value {
    let mut text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Some(id) = dataset_id {
        text = text.replace(FIXTURE_DATASET_ID, id);
    }
    let mut event: serde_json::Value = serde_json::from_str(&text).unwrap();
    if let Some(body) = body {
        event["body"] = body.into();
        event["headers"]["content-length"] = body.len().to_string().into();
    }
    let headers = event["headers"].as_object_mut().unwrap();
    match token {
        Some(token) => headers.insert("authorization".into(), format!("Bearer {token}").into()),
        None => headers.remove("authorization"),
    };
    event
}

/// The tb-demo read pair (the README's sample) as (file name, bytes).
pub fn tb_demo() -> Vec<(&'static str, Vec<u8>)> {
    ["tb-demo_R1.fastq.gz", "tb-demo_R2.fastq.gz"]
        .into_iter()
        .map(|name| (name, data(&format!("samples/{name}"))))
        .collect()
}

/// The declaration of `bytes` as `filename`, as a browser sends it.
pub fn declare(filename: &str, bytes: &[u8]) -> FileDeclaration {
    FileDeclaration {
        filename: filename.to_owned(),
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        format: None,
    }
}

/// A key as S3 puts it in an event: URL-encoded, space as `+` (our file names allow only these
/// two characters that need it).
pub fn s3_event_key(key: &str) -> String {
    key.replace('+', "%2B").replace(' ', "+")
}

/// The instant `seconds` after the Unix epoch.
pub fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).expect("a time in range")
}

/// A pending single-upload FASTQ dataset `id` of `owner`, created at `created`.
pub fn dataset(id: &str, owner: &str, created: i64) -> Dataset {
    Dataset {
        dataset_id: id.into(),
        sample_id: format!("sample-{id}"),
        owner: owner.into(),
        filename: "reads.fastq.gz".into(),
        key: format!("uploads/{owner}/{id}/reads.fastq.gz"),
        size: 42,
        sha256: "ab".repeat(32),
        format: Some("fastq".into()),
        status: Status::Pending,
        validation: None,
        error: None,
        upload: UploadKind::Single,
        revision: 0,
        created_at: at(created),
        updated_at: at(created),
    }
}

/// A waiting sample `id` of `SP1` with two datasets, named `tumour`.
pub fn sample(id: &str) -> Sample {
    Sample {
        sample_id: id.into(),
        owner: "SP1".into(),
        sample_name: Some("tumour".into()),
        specimen: None,
        dataset_ids: vec!["d1".into(), "d2".into()],
        status: SampleStatus::Waiting,
        error: None,
        analysis: None,
        anchor: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// Stores `owner`'s analysed sample `s-{name}` of one dataset `d-{name}`, as the analyze
/// function leaves them, whose anchor item is `item`; answers its anchor request.
///
/// # Panics
/// When the table refuses the records (a test set-up error).
pub async fn store_analysed(
    table: &dyn Table,
    owner: &str,
    name: &str,
    item: String,
    now: OffsetDateTime,
) -> AnchorRequested {
    let dataset = Dataset {
        dataset_id: format!("d-{name}"),
        sample_id: format!("s-{name}"),
        filename: format!("{name}.fq"),
        key: format!("uploads/{owner}/d-{name}/{name}.fq"),
        size: 10,
        sha256: "00".repeat(32),
        status: Status::Analyzed,
        revision: 4,
        created_at: now,
        updated_at: now,
        ..dataset(&format!("d-{name}"), owner, 0)
    };
    table.create_dataset(&dataset).await.unwrap();
    let sample = Sample {
        sample_id: dataset.sample_id.clone(),
        owner: owner.to_owned(),
        sample_name: None,
        dataset_ids: vec![dataset.dataset_id.clone()],
        status: SampleStatus::Analyzed,
        analysis: Some(AnalysisRecord {
            inputs_hash: "11".repeat(32),
            report_sha256: "22".repeat(32),
            pipeline_id: "33".repeat(32),
            item: item.clone(),
            artifacts: vec![],
            result: None,
            analyzed_at: None,
        }),
        created_at: now,
        updated_at: now,
        ..sample(&dataset.sample_id)
    };
    table.create_sample(&sample).await.unwrap();
    AnchorRequested {
        sample_id: sample.sample_id,
        item,
    }
}

/// A signed anchor batch `id` of one item, its transaction at `nonce`.
pub fn batch(id: &str, created: i64, nonce: u64) -> Batch {
    Batch {
        batch_id: id.into(),
        root: "cd".repeat(32),
        items: vec![BatchItem {
            sample_id: "s1".into(),
            item: "ef".repeat(32),
        }],
        status: SubmissionStatus::Signed,
        transaction: ChainTransaction {
            txid: "01".repeat(32),
            sender: "ST1ANCHOR".into(),
            nonce,
            fee: 1_000,
            raw: "00".into(),
        },
        broadcasts: 0,
        chain_batch_id: None,
        block_height: None,
        error: None,
        revision: 0,
        created_at: at(created),
        updated_at: at(created),
    }
}

/// A signed ClinVar oracle value under `key`.
pub fn oracle_value(key: &str, created: i64) -> OracleValue {
    OracleValue {
        key: key.into(),
        source: "clinvar".into(),
        record_id: "12345".into(),
        value: "aa".repeat(32),
        timestamp: 1_700_000_000,
        signature: "bb".repeat(65),
        oracle_public_key: "02".repeat(33),
        document: format!("oracle/{key}.json"),
        transaction: ChainTransaction::default(),
        status: SubmissionStatus::Signed,
        block_height: None,
        error: None,
        revision: 0,
        created_at: at(created),
        updated_at: at(created),
    }
}

/// A claim of the anchor account's nonce counter from `expected` to `next`.
pub fn claim(expected: Option<u64>, next: u64) -> NonceClaim {
    NonceClaim {
        address: "ST1ANCHOR".into(),
        expected,
        next,
    }
}

/// Whether a table call was refused by its condition (and not by an outage).
pub fn is_condition_failed<T: std::fmt::Debug>(result: Result<T, TableError>) -> bool {
    matches!(result, Err(TableError::ConditionFailed { .. }))
}
