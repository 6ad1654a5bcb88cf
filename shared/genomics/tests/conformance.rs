//! Runs every file of the vendored conformance suites (tests/data/conformance, listed in its
//! files.tsv) through the validator.
//!
//! Every file the suites call valid must be accepted, except the few whose label contradicts the
//! specification, each listed with its reason in docs/CONFORMANCE.md (a listed file that is
//! accepted fails the test too, so the list stays true). For invalid files the test counts how
//! many are rejected (by an error, and by an error or a warning) per suite, and fails when a count
//! drops below what docs/CONFORMANCE.md claims. `CONFORMANCE_TABLE=path` writes the measured table
//! in the document's format.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::BTreeMap,
    fs::File,
    path::{Path, PathBuf},
};

use genoflow_genomics::{Options, validate};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Measured or claimed figures of one suite.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    valid: u64,
    accepted: u64,
    invalid: u64,
    rejected_errors: u64,
    rejected_errors_or_warnings: u64,
}

/// The suite a file is counted in, or `None` for files that are not test inputs.
fn suite_of(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let extension = path.rsplit('.').next().unwrap_or_default();
    match parts.as_slice() {
        ["ebi-vcf-validator", "test", "input_files", version, ..] => {
            Some(format!("EBI vcf-validator {version}"))
        }
        ["hts-specs", "test", "vcf", version, ..] => Some(format!("hts-specs VCF {version}")),
        ["hts-specs", "test", "sam", ..] => Some("hts-specs SAM".to_owned()),
        ["hts-specs", "test", "SAMtags", ..] => Some("hts-specs SAMtags".to_owned()),
        ["hts-specs", "test", "bam", ..] => Some("hts-specs BAM".to_owned()),
        ["hts-specs", "test", "cram", version, ..] if extension == "cram" => {
            Some(format!("hts-specs CRAM {version}"))
        }
        ["hts-specs", "test", "cram", version, ..] if extension == "sam" => {
            Some(format!("hts-specs CRAM {version} expected SAM"))
        }
        ["htslib-test-debian", ..] => {
            Some(format!("htslib-test (Debian) {}", extension.to_uppercase()))
        }
        ["samtools-test-debian", ..] => Some(format!(
            "samtools-test (Debian) {}",
            extension.to_uppercase()
        )),
        _ => None,
    }
}

/// Where a file of files.tsv is: vendored, or installed by Debian's htslib-test and samtools-test
/// packages (tests/run-all.sh installs them; without them those suites are not measured).
fn locate(path: &str) -> PathBuf {
    if let Some(rest) = path.strip_prefix("htslib-test-debian/") {
        return PathBuf::from("/usr/share/htslib-test/test").join(rest);
    }
    if let Some(rest) = path.strip_prefix("samtools-test-debian/") {
        return PathBuf::from("/usr/share/samtools/test").join(rest);
    }
    repo_root().join("tests/data/conformance").join(path)
}

fn is_debian_suite(suite: &str) -> bool {
    suite.contains("(Debian)")
}

fn measure() -> (BTreeMap<String, Counts>, BTreeMap<String, String>) {
    let base = repo_root().join("tests/data/conformance");
    let table = std::fs::read_to_string(base.join("files.tsv")).expect("files.tsv is vendored");
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut rejected_valid = BTreeMap::new();
    for row in table.lines().skip(1) {
        let fields: Vec<&str> = row.split('\t').collect();
        let (path, expected) = (fields[0], fields[2]);
        if !matches!(expected, "valid" | "invalid") {
            continue;
        }
        let Some(suite) = suite_of(path) else {
            continue;
        };
        let file_path = locate(path);
        if !file_path.exists() {
            continue;
        }
        let file = File::open(&file_path).unwrap();
        let report = validate(file, &Options::default()).unwrap_or_else(|e| panic!("{path}: {e}"));
        let entry = counts.entry(suite).or_default();
        if expected == "valid" {
            entry.valid += 1;
            if report.valid {
                entry.accepted += 1;
            } else {
                rejected_valid.insert(path.to_owned(), report.error.unwrap().to_string());
            }
        } else {
            entry.invalid += 1;
            if !report.valid {
                entry.rejected_errors += 1;
            }
            if !report.valid || !report.warnings.is_empty() {
                entry.rejected_errors_or_warnings += 1;
            }
        }
    }
    (counts, rejected_valid)
}

const TABLE_HEADER: &str = "| suite | valid files | accepted | invalid files | rejected by an error | rejected by an error or a warning |";

fn render(counts: &BTreeMap<String, Counts>) -> String {
    let mut out = format!("{TABLE_HEADER}\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (suite, c) in counts {
        out += &format!(
            "| {suite} | {} | {} | {} | {} | {} |\n",
            c.valid, c.accepted, c.invalid, c.rejected_errors, c.rejected_errors_or_warnings
        );
    }
    out
}

const DISPUTED_HEADING: &str = "## Valid-labelled files GenoFlow rejects";

/// The files of docs/CONFORMANCE.md's disputed list: rows `| `path` | why |` under its heading.
fn disputed_labels() -> Vec<String> {
    let doc = std::fs::read_to_string(repo_root().join("docs/CONFORMANCE.md"))
        .expect("docs/CONFORMANCE.md exists");
    doc.lines()
        .skip_while(|line| *line != DISPUTED_HEADING)
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(path, _)| path.to_owned())
        .collect()
}

/// The claims of docs/CONFORMANCE.md: the rows of the table under `TABLE_HEADER`.
fn claimed() -> BTreeMap<String, Counts> {
    let doc = std::fs::read_to_string(repo_root().join("docs/CONFORMANCE.md"))
        .expect("docs/CONFORMANCE.md exists");
    let mut lines = doc.lines().skip_while(|line| *line != TABLE_HEADER).skip(2);
    let mut claims = BTreeMap::new();
    while let Some(line) = lines.next().filter(|line| line.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let number = |i: usize| {
            cells[i]
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("bad number in row {line}"))
        };
        claims.insert(
            cells[0].to_owned(),
            Counts {
                valid: number(1),
                accepted: number(2),
                invalid: number(3),
                rejected_errors: number(4),
                rejected_errors_or_warnings: number(5),
            },
        );
    }
    assert!(
        !claims.is_empty(),
        "docs/CONFORMANCE.md has no conformance table"
    );
    claims
}

#[test]
fn conformance_suites_meet_the_documented_figures() {
    let (measured, rejected_valid) = measure();
    let table = render(&measured);
    println!("{table}");
    if let Ok(path) = std::env::var("CONFORMANCE_TABLE") {
        std::fs::write(path, &table).unwrap();
    }
    let disputed = disputed_labels();
    let unexplained: Vec<String> = rejected_valid
        .iter()
        .filter(|(path, _)| !disputed.contains(*path))
        .map(|(path, error)| format!("{path}: {error}"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "valid files rejected:\n{}",
        unexplained.join("\n")
    );
    for path in &disputed {
        let measured_here = !path.contains("-debian/") || locate(path).exists();
        assert!(
            !measured_here || rejected_valid.contains_key(path),
            "{path} is listed as a disputed label in docs/CONFORMANCE.md but is now accepted: remove it from the list"
        );
    }
    for (suite, claim) in claimed() {
        let Some(got) = measured.get(&suite).copied() else {
            assert!(
                is_debian_suite(&suite),
                "suite {suite:?} of the document was not measured"
            );
            println!("{suite}: not measured (install Debian's htslib-test and samtools-test)");
            continue;
        };
        assert_eq!(
            (got.valid, got.invalid),
            (claim.valid, claim.invalid),
            "{suite}: file counts changed"
        );
        assert!(
            got.accepted >= claim.accepted
                && got.rejected_errors >= claim.rejected_errors
                && got.rejected_errors_or_warnings >= claim.rejected_errors_or_warnings,
            "{suite}: measured {got:?} is below the documented {claim:?}"
        );
    }
}
