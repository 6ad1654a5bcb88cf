//! VCF input: variants already called on the panel's reference, annotated without reads.

use std::io::Read;

use sha2::{Digest, Sha256};

use super::{Error, panel::Panel, pileup::Call, reads::InputSummary};

/// How many stored bytes [`sniff`] looks at.
pub(crate) const HEAD_BYTES: u64 = 1 << 16;

/// Whether a stream's first (decoded) bytes, as [`sniff`] returns them, are a VCF's.
pub(crate) fn is_vcf(decoded_head: &[u8]) -> bool {
    decoded_head.starts_with(b"##fileformat=VCF")
}

/// The first (up to 64) decoded bytes of the first [`HEAD_BYTES`] stored bytes of a plain or
/// gzip/BGZF stream.
pub(crate) fn sniff(head: &[u8]) -> Vec<u8> {
    let mut text = Vec::new();
    if head.starts_with(&[0x1f, 0x8b]) {
        // A truncated gzip prefix decodes as far as it goes; the error at its end is expected.
        let _ = flate2::read::MultiGzDecoder::new(head)
            .take(64)
            .read_to_end(&mut text);
    } else {
        text = head.to_vec();
    }
    text.truncate(64);
    text
}

/// Reads the variants of a VCF on the panel's reference: PASS (or unfiltered) records whose first
/// sample, if any, carries the allele. Depth and allele fraction come from INFO DP and AF when
/// present (else 0 and 1).
pub(crate) fn read_calls(
    name: &str,
    mut source: impl Read,
    panel: &Panel,
) -> Result<(Vec<Call>, InputSummary), Error> {
    let shown = name.to_owned();
    let mut stored = Vec::new();
    source
        .read_to_end(&mut stored)
        .map_err(|source| Error::Io {
            path: shown.clone(),
            source,
        })?;
    let mut text = String::new();
    let decoded = if stored.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&stored[..]).read_to_string(&mut text)
    } else {
        (&stored[..]).read_to_string(&mut text)
    };
    decoded.map_err(|source| Error::Io {
        path: shown.clone(),
        source,
    })?;
    let fail = |line: usize, message: String| Error::Vcf {
        path: shown.clone(),
        line: line + 1,
        message,
    };
    let mut calls = Vec::new();
    let mut records = 0;
    for (line_index, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        records += 1;
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 8 {
            return Err(fail(
                line_index,
                "expected at least 8 tab-separated fields".to_owned(),
            ));
        }
        if fields[0] != panel.reference {
            return Err(fail(
                line_index,
                format!(
                    "CHROM {} is not the panel's reference {}: the VCF must be called on it",
                    fields[0], panel.reference
                ),
            ));
        }
        if !matches!(fields[6], "PASS" | ".") {
            continue;
        }
        let pos: u64 = fields[1]
            .parse()
            .map_err(|_| fail(line_index, "POS is not a number".to_owned()))?;
        let info = |key: &str| {
            fields[7]
                .split(';')
                .find_map(|item| item.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        };
        let depth = info("DP").and_then(|v| v.parse().ok()).unwrap_or(0);
        let fractions: Vec<f64> = info("AF").map_or_else(Vec::new, |v| {
            v.split(',').filter_map(|f| f.parse().ok()).collect()
        });
        let genotype: Vec<&str> = match (fields.get(8), fields.get(9)) {
            (Some(format), Some(sample)) if format.split(':').next() == Some("GT") => sample
                .split(':')
                .next()
                .unwrap_or(".")
                .split(['/', '|'])
                .collect(),
            _ => Vec::new(),
        };
        for (allele_index, alt) in fields[4].split(',').enumerate() {
            let allele_number = (allele_index + 1).to_string();
            if alt.starts_with('<') || alt == "*" || alt == "." || alt.contains(['[', ']']) {
                continue;
            }
            if !genotype.is_empty() && !genotype.contains(&allele_number.as_str()) {
                continue;
            }
            if panel.bases(pos, fields[3].len()) != Some(fields[3].as_bytes()) {
                return Err(fail(
                    line_index,
                    "REF differs from the panel's reference (or lies outside the panel)".to_owned(),
                ));
            }
            let Some((pos, reference, alt)) =
                panel.normalise(pos, fields[3].as_bytes(), alt.as_bytes())
            else {
                continue;
            };
            let alt_fraction = fractions.get(allele_index).copied().unwrap_or(1.0);
            calls.push(Call {
                pos,
                reference,
                alt,
                depth,
                alt_reads: 0,
                alt_fraction,
            });
        }
    }
    calls.sort_by(|a, b| (a.pos, &a.reference, &a.alt).cmp(&(b.pos, &b.reference, &b.alt)));
    calls.dedup_by(|a, b| (a.pos, &a.reference, &a.alt) == (b.pos, &b.reference, &b.alt));
    let summary = InputSummary {
        sha256: hex::encode(Sha256::digest(&stored)),
        format: "vcf",
        records,
        bases: 0,
        quality_sum: 0,
    };
    Ok((calls, summary))
}
