//! The FORMAT column and the sample columns it describes.

use crate::vcf::{
    Issue, LineWarnings, Repeats, Version,
    header::{Definition, Number, ValueType, check_key},
    shown, sv,
    values::parse_genotype,
};

use super::{
    ONCE, Records, Undeclared,
    alleles::Alleles,
    typing::{Meaning, check_count, meaning_warnings, scan_items, type_error},
};

impl Records {
    /// Checks FORMAT, which starts at `format_start` in `line`, and the sample columns after it.
    pub(super) fn check_samples(
        &mut self,
        line: &[u8],
        format_start: usize,
        alleles: Alleles,
        warnings: &mut LineWarnings,
    ) -> Result<(), Issue> {
        let version = self.header.version;
        let format_end =
            memchr::memchr(b'\t', &line[format_start..]).map_or(line.len(), |i| format_start + i);
        let format = &line[format_start..format_end];
        self.format_keys.clear();
        if format.is_empty() {
            return Err("FORMAT is empty".into());
        }
        if format == b"." {
            // No keys: every sample column is missing too.
            let samples = line[format_end..].split(|&b| b == b'\t').skip(1);
            if let Some((i, column)) = samples.enumerate().find(|(_, c)| *c != b".") {
                return Err(format!(
                    "FORMAT is '.' (no keys) but sample {} has {}",
                    i + 1,
                    shown(column)
                ));
            }
            return Ok(());
        }
        let mut start = format_start;
        let mut keys = Repeats::new();
        for (i, key) in format.split(|&b| b == b':').enumerate() {
            let key_start = start;
            start += key.len() + 1;
            if key.is_empty() {
                return Err(format!(
                    "FORMAT {} has an empty key (misplaced ':')",
                    shown(format)
                ));
            }
            check_key(key, version).map_err(|why| format!("FORMAT key {}: {why}", shown(key)))?;
            if keys.seen(key) {
                // Not allowed from VCF 4.3, but htslib's suite has such a valid file; which
                // value is which is then unclear, so the samples are not checked.
                warnings.push(format!(
                    "FORMAT key {} appears twice: the sample values of this record are not checked",
                    shown(key)
                ));
                return Ok(());
            } else if key == b"GT" && i > 0 {
                return Err(format!(
                    "FORMAT {}: GT must be the first key",
                    shown(format)
                ));
            }
            let definition = match self.header.format(key) {
                Some(definition) => {
                    if !definition.declared && self.reported.first(Undeclared::Format, key) {
                        warnings.push(format!(
                            "FORMAT key {} is not declared by a ##FORMAT line (checked as the specification reserves it){ONCE}",
                            shown(key)
                        ));
                    }
                    definition
                }
                None => {
                    if self.reported.first(Undeclared::Format, key) {
                        warnings.push(format!(
                            "FORMAT key {} is not declared by a ##FORMAT line{ONCE}",
                            shown(key)
                        ));
                    }
                    Definition {
                        number: Number::Unbounded,
                        value_type: ValueType::String,
                        declared: false,
                    }
                }
            };
            self.format_keys.push((
                key_start,
                key_start + key.len(),
                definition,
                Meaning::of(key),
            ));
        }
        let has_gt = line[self.format_keys[0].0..self.format_keys[0].1] == *b"GT";
        if version >= Version::V44 {
            let has = |name: &[u8]| {
                self.format_keys
                    .iter()
                    .any(|&(s, e, _, _)| &line[s..e] == name)
            };
            if has(b"CICN") && !has(b"CN") {
                warnings.push("FORMAT has CICN (a confidence interval around CN) but no CN".into());
            }
        }
        let samples = line[format_end.min(line.len())..]
            .split(|&b| b == b'\t')
            .skip(1);
        for (sample, column) in samples.enumerate() {
            // The column count was checked, so every sample column has a name.
            let sample_name = self.header.sample_name(sample);
            if column.is_empty() {
                empty_value(version, sample_name, b"", warnings)?;
                continue;
            }
            let mut ploidy = None;
            let mut genotype_text: &[u8] = b".";
            for (i, value) in column.split(|&b| b == b':').enumerate() {
                let Some(&(key_start, key_end, definition, meaning)) = self.format_keys.get(i)
                else {
                    let values = column.iter().filter(|&&b| b == b':').count() + 1;
                    return Err(format!(
                        "sample {sample_name} has {values} ':'-separated values but FORMAT {} has {} keys",
                        shown(format),
                        self.format_keys.len()
                    ));
                };
                let key = &line[key_start..key_end];
                if value.is_empty() {
                    empty_value(version, sample_name, key, warnings)?;
                    continue;
                }
                if i == 0 && has_gt {
                    if value == b"." {
                        continue;
                    }
                    let genotype = parse_genotype(value, version, warnings).map_err(|why| {
                        format!(
                            "sample {sample_name}: GT {} is not a genotype: {why}",
                            shown(value)
                        )
                    })?;
                    if let Some(max) = genotype.max_allele
                        && max > alleles.alts as u64
                    {
                        let message = format!(
                            "sample {sample_name}: GT {} calls allele {max} but the record has {} ALT allele{}",
                            shown(value),
                            alleles.alts,
                            if alleles.alts == 1 { "" } else { "s" }
                        );
                        // With ALT '.', the EBI suites still call such a file valid.
                        if alleles.alts == 0 {
                            warnings.push(message);
                        } else {
                            return Err(message);
                        }
                    }
                    ploidy = Some(genotype.ploidy);
                    genotype_text = value;
                    continue;
                }
                if key == b"PSL" && version >= Version::V44 {
                    sv::check_phase_sets(sample_name, genotype_text, value, warnings);
                }
                let scan = scan_items(value, definition.value_type, version);
                if let Err(why) = check_count(
                    "FORMAT key",
                    key,
                    value,
                    scan.count,
                    definition,
                    alleles,
                    Some(ploidy),
                ) {
                    let message = format!("sample {sample_name}: {why}");
                    if definition.declared {
                        return Err(message);
                    }
                    warnings.push(message);
                }
                // The EBI 4.4 suite has a valid file with a malformed Float in a sample, so a
                // sample value of the wrong Type is a warning, unlike INFO.
                if let Some(bad) = scan.bad {
                    let why = type_error("FORMAT key", key, definition.value_type, bad);
                    warnings.push(format!("sample {sample_name}: {why}"));
                }
                meaning_warnings("FORMAT key", key, meaning, (value, &scan), 0, warnings);
            }
        }
        Ok(())
    }
}

/// An empty sample column or value: allowed from VCF 4.5, suspicious before.
fn empty_value(
    version: Version,
    sample: &str,
    key: &[u8],
    warnings: &mut LineWarnings,
) -> Result<(), Issue> {
    if version < Version::V45 {
        warnings.push_with(|| {
            let what = if key.is_empty() {
                "column".to_owned()
            } else {
                format!("value of FORMAT key {}", shown(key))
            };
            format!("sample {sample} has an empty {what} (use '.' for missing)")
        });
    }
    Ok(())
}
