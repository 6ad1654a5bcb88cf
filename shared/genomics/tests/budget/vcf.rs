//! VCF inputs whose checks once took memory or time out of proportion to their size.
//!
//! Each generator writes one hostile line (or header) into a buffer sized up front, so that the
//! generator's own peak stays below what the validator is allowed.

use std::{io::Write, time::Duration};

use flate2::{Compression, write::GzEncoder};
use serde_json::Value;

use crate::{MIB, Measured, detected, measure};

/// The `#CHROM` line without samples.
const COLUMNS: &str = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";

/// The messages of the report's warnings.
fn warnings(measured: &Measured) -> Vec<&str> {
    measured.report["warnings"]
        .as_array()
        .map(|warnings| {
            warnings
                .iter()
                .map(|w| w["message"].as_str().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a valid report whose warnings are the cap's 100 (the first containing `first`) and
/// the count of the `dropped` ones not shown.
fn assert_capped_warnings(measured: &Measured, first: &str, dropped: u64) {
    assert_eq!(measured.report["valid"], true, "{}", measured.report);
    let messages = warnings(measured);
    assert_eq!(messages.len(), 101, "{messages:?}");
    assert!(messages[0].contains(first), "{messages:?}");
    assert_eq!(
        messages[100],
        format!("{dropped} more warnings not shown (only the first 100 are kept)")
    );
}

/// Gzip-compresses what `write` writes, streaming (the plain text is never held whole).
fn gzip(write: impl FnOnce(&mut GzEncoder<Vec<u8>>) -> std::io::Result<()>) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    write(&mut encoder).unwrap();
    encoder.finish().unwrap()
}

/// Writes `item(i)` for `i` in `0..count`, separated by `separator`.
fn write_list(
    out: &mut impl Write,
    count: usize,
    separator: &str,
    mut item: impl FnMut(&mut dyn Write, usize) -> std::io::Result<()>,
) -> std::io::Result<()> {
    for i in 0..count {
        if i > 0 {
            out.write_all(separator.as_bytes())?;
        }
        item(out, i)?;
    }
    Ok(())
}

/// How many times one part is repeated in the ID and FILTER cases.
const REPEATS: usize = 1_000_000;

/// VCF 4.2 (where a repeated ID is a warning, not an error): one record whose ID is `rs1`
/// repeated a million times, gzip-compressed (a few kB), as the fuzzer found it.
fn repeated_ids_vcf() -> Vec<u8> {
    gzip(|out| {
        out.write_all(b"##fileformat=VCFv4.2\n")?;
        out.write_all(COLUMNS.as_bytes())?;
        out.write_all(b"1\t1\t")?;
        write_list(out, REPEATS, ";", |out, _| out.write_all(b"rs1"))?;
        out.write_all(b"\tA\tG\t.\tPASS\t.\n")
    })
}

#[test]
fn repeated_ids() {
    let measured = measure("vcf::repeated_ids", repeated_ids_vcf, detected);
    // Measured (debug build): 9 MiB, 0.3 s; before the fix 152 MiB, growing with the repeats.
    measured.within(32 * MIB, Duration::from_secs(5));
    assert_capped_warnings(&measured, "lists 'rs1' twice", REPEATS as u64 - 1 - 100);
    assert_eq!(measured.report["warnings"][0]["line"], 3);
    assert_eq!(measured.report["warnings"][0]["record"], 1);
}

/// VCF 4.2: one record whose FILTER is `q10` repeated a million times, gzip-compressed.
fn repeated_filters_vcf() -> Vec<u8> {
    gzip(|out| {
        out.write_all(b"##fileformat=VCFv4.2\n")?;
        out.write_all(b"##FILTER=<ID=q10,Description=\"Quality below 10\">\n")?;
        out.write_all(COLUMNS.as_bytes())?;
        out.write_all(b"1\t1\t.\tA\tG\t.\t")?;
        write_list(out, REPEATS, ";", |out, _| out.write_all(b"q10"))?;
        out.write_all(b"\t.\n")
    })
}

#[test]
fn repeated_filters() {
    let measured = measure("vcf::repeated_filters", repeated_filters_vcf, detected);
    // Measured: 8 MiB, 0.6 s; before the fix 106 MiB.
    measured.within(32 * MIB, Duration::from_secs(5));
    assert_capped_warnings(&measured, "lists 'q10' twice", REPEATS as u64 - 1 - 100);
}

/// A buffer for a generated input of at most `bytes`, so that it never grows (growing would
/// briefly hold it twice, which would count as the validator's peak).
fn buffer(bytes: usize) -> Vec<u8> {
    Vec::with_capacity(bytes)
}

/// How many distinct ID parts.
const DISTINCT_IDS: usize = 1_000_000;

/// VCF 4.3: one record with a million distinct ID parts, then the first one again (an error
/// from VCF 4.3, found only at the end of the line).
fn distinct_ids_vcf() -> Vec<u8> {
    let mut out = buffer(200 + DISTINCT_IDS * 10);
    out.extend_from_slice(b"##fileformat=VCFv4.3\n");
    out.extend_from_slice(COLUMNS.as_bytes());
    out.extend_from_slice(b"1\t1\t");
    write_list(&mut out, DISTINCT_IDS, ";", |out, i| write!(out, "rs{i}")).unwrap();
    out.extend_from_slice(b";rs0\tA\tG\t.\tPASS\t.\n");
    out
}

#[test]
fn distinct_ids() {
    let measured = measure("vcf::distinct_ids", distinct_ids_vcf, detected);
    // Measured: 70 MiB (the set of a million parts), 1.7 s; before the fix over 5 minutes.
    measured.within(224 * MIB, Duration::from_secs(30));
    let error = measured.error();
    assert!(error.contains("lists 'rs0' twice"), "{error}");
    assert_eq!(measured.report["error"]["record"], 1);
}

/// How many field names in the ##INFO line.
const HEADER_FIELDS: usize = 200_000;

/// One ##INFO line with 200,000 extra fields, the first of them again at the end.
fn header_fields_vcf() -> Vec<u8> {
    let mut out = buffer(300 + HEADER_FIELDS * 10);
    out.extend_from_slice(b"##fileformat=VCFv4.3\n");
    out.extend_from_slice(b"##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\",");
    write_list(&mut out, HEADER_FIELDS, ",", |out, i| write!(out, "F{i}=1")).unwrap();
    out.extend_from_slice(b",F0=1>\n");
    out.extend_from_slice(COLUMNS.as_bytes());
    out
}

#[test]
fn header_fields() {
    let measured = measure("vcf::header_fields", header_fields_vcf, detected);
    // Measured: 20 MiB, 0.3 s; before the fix 167 s.
    measured.within(64 * MIB, Duration::from_secs(5));
    let error = measured.error();
    assert_eq!(error, "##INFO has the field 'F0' twice");
    assert_eq!(measured.report["error"]["line"], 2);
}

/// How many lines in the repeated-header case.
const HEADER_LINES: usize = 200_000;

/// 200,000 identical ##INFO lines: each after the first declares DP twice (a warning).
fn repeated_header_lines_vcf() -> Vec<u8> {
    const LINE: &[u8] = b"##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n";
    let mut out = buffer(200 + HEADER_LINES * LINE.len());
    out.extend_from_slice(b"##fileformat=VCFv4.3\n");
    for _ in 0..HEADER_LINES {
        out.extend_from_slice(LINE);
    }
    out.extend_from_slice(COLUMNS.as_bytes());
    out
}

#[test]
fn repeated_header_lines() {
    let measured = measure(
        "vcf::repeated_header_lines",
        repeated_header_lines_vcf,
        detected,
    );
    // Measured: 2 MiB, 1 s.
    measured.within(8 * MIB, Duration::from_secs(5));
    assert_capped_warnings(
        &measured,
        "##INFO 'DP' is declared twice",
        HEADER_LINES as u64 - 1 - 100,
    );
}

/// How many INFO keys.
const INFO_KEYS: usize = 100_000;

/// VCF 4.3: one record with 100,000 distinct undeclared INFO flags, then the first again.
fn info_keys_vcf() -> Vec<u8> {
    let mut out = buffer(200 + INFO_KEYS * 8);
    out.extend_from_slice(b"##fileformat=VCFv4.3\n");
    out.extend_from_slice(COLUMNS.as_bytes());
    out.extend_from_slice(b"1\t1\t.\tA\tG\t.\tPASS\t");
    write_list(&mut out, INFO_KEYS, ";", |out, i| write!(out, "K{i}")).unwrap();
    out.extend_from_slice(b";K0\n");
    out
}

#[test]
fn info_keys() {
    let measured = measure("vcf::info_keys", info_keys_vcf, detected);
    // Measured: 5 MiB, 0.2 s; before the fix 55 s.
    measured.within(16 * MIB, Duration::from_secs(5));
    assert_eq!(measured.error(), "INFO key 'K0' appears twice");
    // One warning per undeclared key, up to the 10,000 names remembered.
    let messages = warnings(&measured);
    assert_eq!(messages.len(), 101);
    assert_eq!(
        messages[100],
        "9900 more warnings not shown (only the first 100 are kept)"
    );
}

/// How many ALT alleles.
const ALT_ALLELES: usize = 100_000;

/// Writes the `i`-th of 4^`length` distinct alleles of `length` bases from `bases`.
fn write_allele(out: &mut dyn Write, bases: &[u8], length: u32, i: usize) -> std::io::Result<()> {
    let mut allele = Vec::with_capacity(length as usize);
    let mut rest = i;
    for _ in 0..length {
        allele.push(bases[rest % bases.len()]);
        rest /= bases.len();
    }
    out.write_all(&allele)
}

/// VCF 4.3: one record with 100,000 distinct ALT alleles of 9 bases, then the first again.
fn alt_alleles_vcf() -> Vec<u8> {
    let mut out = buffer(200 + ALT_ALLELES * 10);
    out.extend_from_slice(b"##fileformat=VCFv4.3\n");
    out.extend_from_slice(COLUMNS.as_bytes());
    out.extend_from_slice(b"1\t1\t.\tA\t");
    write_list(&mut out, ALT_ALLELES, ",", |out, i| {
        write_allele(out, b"ACGT", 9, i)
    })
    .unwrap();
    out.extend_from_slice(b",AAAAAAAAA\t.\tPASS\t.\n");
    out
}

#[test]
fn alt_alleles() {
    let measured = measure("vcf::alt_alleles", alt_alleles_vcf, detected);
    // Measured: 5 MiB, 0.2 s; before the fix over 5 minutes.
    measured.within(16 * MIB, Duration::from_secs(5));
    assert_eq!(measured.error(), "ALT allele 'AAAAAAAAA' is listed twice");
}

/// The length of REF in the long-REF case.
const LONG_REF: usize = 1_000_000;

/// VCF 4.3: two records at the same place with a REF of a million bases and the same 100,000
/// short ALT alleles: each allele is a variant of the whole REF, and the second record repeats
/// every one of them (a warning each).
fn long_ref_vcf() -> Vec<u8> {
    let mut out = buffer(200 + 2 * (LONG_REF + ALT_ALLELES * 12 + 30));
    out.extend_from_slice(b"##fileformat=VCFv4.3\n");
    out.extend_from_slice(COLUMNS.as_bytes());
    for _ in 0..2 {
        out.extend_from_slice(b"1\t1\t.\t");
        out.resize(out.len() + LONG_REF, b'A');
        out.push(b'\t');
        // Bases other than the REF's, so that no allele shares an end with it.
        write_list(&mut out, ALT_ALLELES, ",", |out, i| {
            write_allele(out, b"CGT", 11, i)
        })
        .unwrap();
        out.extend_from_slice(b"\t.\tPASS\t.\n");
    }
    out
}

#[test]
fn long_ref() {
    let measured = measure("vcf::long_ref", long_ref_vcf, detected);
    // Measured: 11 MiB, 0.6 s; before the fix over 5 minutes.
    measured.within(48 * MIB, Duration::from_secs(5));
    assert_capped_warnings(
        &measured,
        "repeats one of an earlier record",
        // The first record's last 255 variants are remembered.
        255 - 100,
    );
}

/// How many FORMAT keys.
const FORMAT_KEYS: usize = 50_000;

/// VCF 4.3: one record with GT and 49,999 distinct undeclared FORMAT keys, and two samples with
/// a value for each.
fn format_keys_vcf() -> Vec<u8> {
    let mut out = buffer(300 + FORMAT_KEYS * 12);
    out.extend_from_slice(b"##fileformat=VCFv4.3\n");
    out.extend_from_slice(b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n");
    out.extend_from_slice(b"1\t1\t.\tA\tG\t.\tPASS\t.\tGT");
    for i in 1..FORMAT_KEYS {
        write!(out, ":F{i}").unwrap();
    }
    for genotype in [&b"0/1"[..], b"1|1"] {
        out.push(b'\t');
        out.extend_from_slice(genotype);
        for _ in 1..FORMAT_KEYS {
            out.extend_from_slice(b":1");
        }
    }
    out.push(b'\n');
    out
}

#[test]
fn format_keys() {
    let measured = measure("vcf::format_keys", format_keys_vcf, detected);
    // Measured: 5 MiB, 0.2 s; before the fix 12 s.
    measured.within(16 * MIB, Duration::from_secs(5));
    // GT is reserved but undeclared, F1... undeclared: a warning for each of the first 10,000
    // names remembered.
    assert_capped_warnings(
        &measured,
        "FORMAT key 'GT' is not declared by a ##FORMAT line",
        10_000 - 100,
    );
    assert_eq!(measured.report["stats"]["samples"], 2);
}

/// How many samples.
const SAMPLES: usize = 1_000_000;

/// VCF 4.3: a million samples and one record with a genotype for each.
fn many_samples_vcf() -> Vec<u8> {
    let mut out = buffer(300 + SAMPLES * 12);
    out.extend_from_slice(b"##fileformat=VCFv4.3\n");
    out.extend_from_slice(b"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n");
    out.extend_from_slice(b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT");
    for i in 0..SAMPLES {
        write!(out, "\tS{i}").unwrap();
    }
    out.extend_from_slice(b"\n1\t1\t.\tA\tG\t.\tPASS\t.\tGT");
    for _ in 0..SAMPLES {
        out.extend_from_slice(b"\t0/1");
    }
    out.push(b'\n');
    out
}

#[test]
fn many_samples() {
    let measured = measure("vcf::many_samples", many_samples_vcf, detected);
    // Measured: 77 MiB (mostly the set that finds repeated names), 1.5 s; before the fix
    // 91 MiB (a String a name).
    measured.within(240 * MIB, Duration::from_secs(30));
    assert_eq!(measured.report["valid"], true, "{}", measured.report);
    assert_eq!(measured.report["warnings"], Value::Null);
    assert_eq!(measured.report["stats"]["samples"], SAMPLES as u64);
}
