//! INFO and FORMAT values against their key's declared Number and Type, and against what the
//! specification says the values of its reserved keys mean.

use crate::vcf::{
    Issue, LineWarnings, Version,
    header::{Definition, Number, ValueType},
    shown,
    values::{float_value, genotype_count, is_cigar, is_float, parse_integer},
};

use super::alleles::Alleles;

/// Checks how many values (`count`) one INFO or FORMAT key has against its Number.
///
/// `ploidy` is `Some` for FORMAT values (`Some(None)` when the sample has no GT).
pub(super) fn check_count(
    what: &str,
    key: &[u8],
    value: &[u8],
    count: usize,
    definition: Definition,
    alleles: Alleles,
    ploidy: Option<Option<usize>>,
) -> Result<(), Issue> {
    if value == b"." {
        return Ok(());
    }
    if alleles.alts == 0 && matches!(definition.number, Number::A | Number::R | Number::G) {
        // Without ALT alleles, per-allele counts are not checked.
        return Ok(());
    }
    let alleles_total = alleles.alts + 1;
    let expected: Option<(usize, Option<usize>)> = match definition.number {
        Number::Count(n) => Some((n as usize, None)),
        Number::A => Some((alleles.alts, None)),
        Number::R => Some((alleles_total, None)),
        Number::G => match ploidy {
            Some(Some(ploidy)) => Some((genotype_count(alleles_total, ploidy), None)),
            // Without a GT the ploidy is unknown: haploid or diploid counts are accepted.
            _ => Some((
                genotype_count(alleles_total, 2),
                Some(genotype_count(alleles_total, 1)),
            )),
        },
        Number::P => match ploidy {
            Some(Some(ploidy)) => Some((ploidy, None)),
            _ => None,
        },
        Number::Local | Number::Unbounded => None,
    };
    if let Some((want, alternative)) = expected
        && count != want
        && Some(count) != alternative
    {
        return Err(count_error(
            what,
            key,
            value,
            definition.number,
            (count, want, alternative),
        ));
    }
    Ok(())
}

#[cold]
fn count_error(
    what: &str,
    key: &[u8],
    value: &[u8],
    number: Number,
    (count, want, alternative): (usize, usize, Option<usize>),
) -> Issue {
    format!(
        "{what} {} has Number={} so {} value{} expected, found {count}: {}",
        shown(key),
        number.as_text(),
        alternative.map_or_else(|| want.to_string(), |other| format!("{want} (or {other})")),
        if want == 1 && alternative.is_none() {
            " is"
        } else {
            "s are"
        },
        shown(value)
    )
}

/// What one pass over a comma-separated value found.
pub(super) struct Scan<'v> {
    /// How many items.
    pub(super) count: usize,
    /// The first item not of the key's Type.
    pub(super) bad: Option<&'v [u8]>,
    /// The first item with a minus sign.
    negative: Option<&'v [u8]>,
}

/// One pass over a comma-separated value: how many items, the first not of `value_type`, the
/// first negative one.
pub(super) fn scan_items(value: &[u8], value_type: ValueType, version: Version) -> Scan<'_> {
    let mut scan = Scan {
        count: 0,
        bad: None,
        negative: None,
    };
    for item in value.split(|&b| b == b',') {
        scan.count += 1;
        if item.first() == Some(&b'-') && scan.negative.is_none() {
            scan.negative = Some(item);
        }
        if scan.bad.is_none() && item != b"." && !is_of_type(item, value_type, version) {
            scan.bad = Some(item);
        }
    }
    scan
}

#[inline]
fn is_of_type(item: &[u8], value_type: ValueType, version: Version) -> bool {
    match value_type {
        ValueType::Integer => parse_integer(item, version).is_some(),
        ValueType::Float => is_float(item),
        ValueType::Character => std::str::from_utf8(item).is_ok_and(|s| s.chars().count() == 1),
        ValueType::String => !item.is_empty(),
        ValueType::Flag => false,
    }
}

/// The error for an item not of the key's Type.
#[cold]
pub(super) fn type_error(what: &str, key: &[u8], value_type: ValueType, item: &[u8]) -> Issue {
    format!(
        "{what} {} has Type={} but value {}",
        shown(key),
        value_type.name(),
        shown(item)
    )
}

/// What the specification says the values of a reserved key mean, for `meaning_warnings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Meaning {
    Plain,
    /// Counts, depths and qualities: never negative.
    NonNegative,
    /// Between 0 and 1.
    Frequency,
    Cigar,
    /// An end position, not before POS.
    End,
}

impl Meaning {
    pub(crate) fn of(key: &[u8]) -> Self {
        match key {
            b"AC" | b"AN" | b"DP" | b"NS" | b"MQ0" | b"AD" | b"ADF" | b"ADR" | b"GQ" | b"HQ"
            | b"PL" | b"BQ" | b"MQ" | b"EC" => Self::NonNegative,
            b"AF" => Self::Frequency,
            b"CIGAR" => Self::Cigar,
            b"END" => Self::End,
            _ => Self::Plain,
        }
    }
}

/// Warnings for values the specification's reserved keys cannot take (counts below zero, ...).
pub(super) fn meaning_warnings(
    what: &str,
    key: &[u8],
    meaning: Meaning,
    (value, scan): (&[u8], &Scan<'_>),
    pos: u64,
    warnings: &mut LineWarnings,
) {
    match meaning {
        Meaning::Plain => return,
        Meaning::NonNegative => {
            if let Some(item) = scan.negative {
                warnings.push(format!(
                    "{what} {} is a count or quality but has the negative value {}",
                    shown(key),
                    shown(item)
                ));
            }
            return;
        }
        _ => {}
    }
    for item in value.split(|&b| b == b',').filter(|item| *item != b".") {
        let problem = match meaning {
            Meaning::Plain | Meaning::NonNegative => None,
            Meaning::Frequency => float_value(item)
                .is_some_and(|n| !(0.0..=1.0).contains(&n))
                .then(|| {
                    format!(
                        "is a frequency but has the value {} outside 0..1",
                        shown(item)
                    )
                }),
            Meaning::Cigar => {
                (!is_cigar(item)).then(|| format!("value {} is not a CIGAR string", shown(item)))
            }
            Meaning::End => float_value(item)
                .is_some_and(|end| end < 0.0 || (what == "INFO key" && end < pos as f64))
                .then(|| format!("{} is before POS {pos}", shown(item))),
        };
        if let Some(problem) = problem {
            warnings.push(format!("{what} {} {problem}", shown(key)));
            return;
        }
    }
}
