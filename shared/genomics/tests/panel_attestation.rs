//! The panel's NCBI Gene ids and the `catalogue` attestation the oracle signs for it: stable for
//! the built-in panel, recomputable by hand from the panel's files, and different as soon as one
//! catalogue line changes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
};

use genoflow_genomics::analysis::Panel;
use sha2::{Digest, Sha256};

/// SHA-256 of `catalogue:tb-who-2023`, written out so a change to how keys are made shows here.
const BUILT_IN_KEY: &str = "ab48ab32569904590c2fde81aa49cfc8d811d0a952d26c1eeccf17dcc35e2b37";

fn built_in_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("panels/tb-who-2023")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

const PANEL_FILES: [&str; 5] = [
    "panel.tsv",
    "reference.fa.gz",
    "catalogue.tsv.gz",
    "lineage-barcode.bed",
    "mtbc-sketch.bin",
];

/// A fresh directory holding a copy of the built-in panel's files.
fn copy_of_built_in(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("genoflow-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in PANEL_FILES {
        std::fs::copy(built_in_dir().join(file), dir.join(file)).unwrap();
    }
    dir
}

#[test]
fn built_in_catalogue_attestation_is_recomputable_by_hand() {
    let dir = built_in_dir();
    let panel_tsv = sha256_hex(&std::fs::read(dir.join("panel.tsv")).unwrap());
    let reference_fa = sha256_hex(&gunzip(
        &std::fs::read(dir.join("reference.fa.gz")).unwrap(),
    ));
    let catalogue_tsv = sha256_hex(&gunzip(
        &std::fs::read(dir.join("catalogue.tsv.gz")).unwrap(),
    ));
    let barcode = sha256_hex(&std::fs::read(dir.join("lineage-barcode.bed")).unwrap());
    let sketch = sha256_hex(&std::fs::read(dir.join("mtbc-sketch.bin")).unwrap());
    // Canonical JSON written by hand: keys sorted by their bytes, no whitespace.
    let canonical = format!(
        concat!(
            r#"{{"catalogue":"WHO 2023 2nd edition","#,
            r#""files":{{"catalogue.tsv":"{}","lineage-barcode.bed":"{}","mtbc-sketch.bin":"{}","#,
            r#""panel.tsv":"{}","reference.fa":"{}"}},"#,
            r#""id":"tb-who-2023","panel":"tb-who-2023","reference":"NC_000962.3","#,
            r#""source":"catalogue"}}"#
        ),
        catalogue_tsv, barcode, sketch, panel_tsv, reference_fa
    );

    let panel = Panel::load("tb-who-2023").unwrap();
    let document = panel.catalogue_document();
    assert_eq!(
        document,
        serde_json::from_str::<serde_json::Value>(&canonical).unwrap()
    );
    let attestation = panel.catalogue_attestation();
    assert_eq!(attestation.source, "catalogue");
    assert_eq!(attestation.id, "tb-who-2023");
    assert_eq!(attestation.key, BUILT_IN_KEY);
    assert_eq!(attestation.key, sha256_hex(b"catalogue:tb-who-2023"));
    assert_eq!(attestation.value, sha256_hex(canonical.as_bytes()));

    // The same files as a directory are the same catalogue, and loading again changes nothing.
    let from_dir = Panel::load(dir.to_str().unwrap()).unwrap();
    assert_eq!(from_dir.catalogue_attestation(), attestation);
    assert_eq!(
        Panel::load("tb-who-2023").unwrap().catalogue_attestation(),
        attestation
    );
}

#[test]
fn a_changed_catalogue_line_changes_the_attested_value() {
    let dir = copy_of_built_in("changed-catalogue");
    let catalogue = gunzip(&std::fs::read(dir.join("catalogue.tsv.gz")).unwrap());
    let text = String::from_utf8(catalogue).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Regrade the first entry: still a valid catalogue, no longer the same one.
    assert!(
        lines[1].ends_with("\t2) Assoc w R - Interim"),
        "{}",
        lines[1]
    );
    lines[1] = lines[1].replace("\t2) Assoc w R - Interim", "\t1) Assoc w R");
    let changed = lines.join("\n") + "\n";
    std::fs::write(dir.join("catalogue.tsv.gz"), gzip(changed.as_bytes())).unwrap();

    let changed = Panel::load(dir.to_str().unwrap()).unwrap();
    let built_in = Panel::load("tb-who-2023").unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let (before, after) = (
        built_in.catalogue_attestation(),
        changed.catalogue_attestation(),
    );
    assert_eq!(after.key, before.key, "same panel name, same key");
    assert_ne!(after.value, before.value);
    assert_ne!(changed.files.catalogue_tsv, built_in.files.catalogue_tsv);
    assert_eq!(changed.files.panel_tsv, built_in.files.panel_tsv);
    assert_eq!(changed.files.reference_fa, built_in.files.reference_fa);
    assert_ne!(changed.sha256, built_in.sha256);
}

#[test]
fn the_lineage_barcode_and_the_species_sketch_are_attested_when_the_panel_has_them() {
    let built_in = Panel::load("tb-who-2023").unwrap();
    let attested = built_in.catalogue_attestation();

    // One barcode site less: the lineage would rest on other data, and the value says so.
    let dir = copy_of_built_in("changed-barcode");
    let bed = std::fs::read_to_string(dir.join("lineage-barcode.bed")).unwrap();
    let (kept, _last_site) = bed.trim_end().rsplit_once('\n').unwrap();
    std::fs::write(dir.join("lineage-barcode.bed"), format!("{kept}\n")).unwrap();
    let changed = Panel::load(dir.to_str().unwrap());

    // Without the two optional files, the document names the three others only.
    for file in ["lineage-barcode.bed", "mtbc-sketch.bin"] {
        std::fs::remove_file(dir.join(file)).unwrap();
    }
    let without = Panel::load(dir.to_str().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();

    let changed = changed.unwrap().catalogue_attestation();
    assert_eq!(changed.key, attested.key);
    assert_ne!(changed.value, attested.value);
    let without = without.unwrap().catalogue_document();
    let names: Vec<&String> = without["files"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["catalogue.tsv", "panel.tsv", "reference.fa"]);
    let document = built_in.catalogue_document();
    let names: Vec<&String> = document["files"].as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "catalogue.tsv",
            "lineage-barcode.bed",
            "mtbc-sketch.bin",
            "panel.tsv",
            "reference.fa"
        ]
    );
}

#[test]
fn every_built_in_gene_has_an_ncbi_gene_id() {
    let panel = Panel::load("tb-who-2023").unwrap();
    assert_eq!(panel.genes.len(), 25);
    for gene in &panel.genes {
        let id = gene.ncbi_gene_id.as_deref().unwrap_or_default();
        assert!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
            "{}: {:?}",
            gene.name,
            gene.ncbi_gene_id
        );
    }
    let id = |name: &str| {
        panel
            .genes
            .iter()
            .find(|gene| gene.name == name)
            .and_then(|gene| gene.ncbi_gene_id.clone())
            .unwrap()
    };
    // rpoB as in NCBI's own record; rrs and rrl, the rRNAs tagged Rvnr01 and Rvnr02.
    assert_eq!(id("rpoB"), "888164");
    assert_eq!(id("rrs"), "2700429");
    assert_eq!(id("rrl"), "2700466");
    let mut ids: Vec<&str> = panel
        .genes
        .iter()
        .filter_map(|gene| gene.ncbi_gene_id.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 25, "one id per gene");
}

#[test]
fn a_panel_tsv_without_the_ncbi_gene_column_still_loads() {
    let dir = copy_of_built_in("panel-without-ncbi");
    let text = std::fs::read_to_string(dir.join("panel.tsv")).unwrap();
    // Drop the last column of the column line and of every gene line.
    let old: String = text
        .lines()
        .map(|line| {
            if line.starts_with('#') {
                return format!("{line}\n");
            }
            let (kept, _ncbi) = line.rsplit_once('\t').unwrap();
            format!("{kept}\n")
        })
        .collect();
    assert!(old.contains("\ngene\tlocus_tag\tkind\tstrand\tstart\tend\tpromoter\n"));
    std::fs::write(dir.join("panel.tsv"), &old).unwrap();

    let loaded = Panel::load(dir.to_str().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
    let old_panel = loaded.unwrap();
    let built_in = Panel::load("tb-who-2023").unwrap();
    assert_eq!(old_panel.genes.len(), built_in.genes.len());
    for (old, new) in old_panel.genes.iter().zip(&built_in.genes) {
        assert_eq!(old.ncbi_gene_id, None);
        assert_eq!(
            (
                &old.name,
                old.kind,
                old.forward,
                old.start,
                old.end,
                old.promoter
            ),
            (
                &new.name,
                new.kind,
                new.forward,
                new.start,
                new.end,
                new.promoter
            )
        );
    }
}

#[test]
fn an_ncbi_gene_id_that_is_not_digits_is_a_clear_error() {
    let dir = copy_of_built_in("panel-bad-ncbi");
    let text = std::fs::read_to_string(dir.join("panel.tsv")).unwrap();
    std::fs::write(
        dir.join("panel.tsv"),
        text.replace("\t888164\n", "\tGeneID:888164\n"),
    )
    .unwrap();
    let error = Panel::load(dir.to_str().unwrap()).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        error.contains("panel.tsv") && error.contains("ncbi_gene"),
        "{error}"
    );
}
