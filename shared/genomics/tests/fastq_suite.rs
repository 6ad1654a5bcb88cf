//! GenoFlow's own FASTQ suite (tests/data/fastq, written by its make_suite.py): one file per rule
//! of the Sanger FASTQ definition. Valid files must be accepted; invalid ones rejected, at the
//! line the manifest names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{fs::File, path::Path};

use genoflow_genomics::{Format, Options, validate};

#[test]
fn every_fastq_rule_is_enforced() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fastq");
    let manifest = std::fs::read_to_string(base.join("manifest.tsv")).unwrap();
    let options = Options {
        format: Some(Format::Fastq),
        ..Options::default()
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in manifest.lines().skip(1) {
        let fields: Vec<&str> = row.split('\t').collect();
        let (path, expected, line, rule) = (fields[0], fields[1], fields[2], fields[3]);
        let report = validate(File::open(base.join(path)).unwrap(), &options).unwrap();
        checked += 1;
        match (expected, &report.error) {
            ("valid", None) | ("invalid", Some(_)) => {}
            ("valid", Some(error)) => failures.push(format!("{path} ({rule}): rejected: {error}")),
            _ => failures.push(format!("{path} ({rule}): accepted")),
        }
        if let (Ok(line), Some(error)) = (line.parse::<u64>(), &report.error)
            && error.line != Some(line)
        {
            failures.push(format!(
                "{path} ({rule}): error at line {:?}, expected {line}: {error}",
                error.line
            ));
        }
    }
    assert!(checked > 50, "the manifest lists only {checked} files");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
