//! Structural-variant rules of VCF 4.4+: SVCLAIM, tandem repeats (`<CNV:TR>`), phase-set
//! lists. All are warnings: they concern the meaning of reserved keys, not the syntax.

use super::{LineWarnings, shown, values::float_value};

/// The INFO values the structural-variant rules read, as found in one record.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SvInfo<'a> {
    pub svclaim: Option<&'a [u8]>,
    pub svlen: Option<&'a [u8]>,
    pub rn: Option<&'a [u8]>,
    pub rus: Option<&'a [u8]>,
    pub rul: Option<&'a [u8]>,
    pub rb: Option<&'a [u8]>,
    pub cirb: Option<&'a [u8]>,
    pub ruc: Option<&'a [u8]>,
    pub rub: Option<&'a [u8]>,
    pub ciruc: Option<&'a [u8]>,
}

impl<'a> SvInfo<'a> {
    /// Keeps `value` if `key` is one the rules read.
    pub(crate) fn note(&mut self, key: &[u8], value: &'a [u8]) {
        let slot = match key {
            b"SVCLAIM" => &mut self.svclaim,
            b"SVLEN" => &mut self.svlen,
            b"RN" => &mut self.rn,
            b"RUS" => &mut self.rus,
            b"RUL" => &mut self.rul,
            b"RB" => &mut self.rb,
            b"CIRB" => &mut self.cirb,
            b"RUC" => &mut self.ruc,
            b"RUB" => &mut self.rub,
            b"CIRUC" => &mut self.ciruc,
            _ => return,
        };
        *slot = Some(value);
    }
}

fn items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',')
}

fn count(value: Option<&[u8]>) -> Option<usize> {
    value.map(|v| items(v).count())
}

/// Checks SVCLAIM and the tandem-repeat keys against the ALT alleles.
pub(crate) fn check_record(alt: &[u8], info: &SvInfo<'_>, warnings: &mut LineWarnings) {
    let alleles = || items(alt);
    if let Some(claims) = info.svclaim {
        if let Some(bad) = items(claims).find(|c| !matches!(*c, b"D" | b"J" | b"DJ" | b".")) {
            warnings.push(format!(
                "INFO SVCLAIM value {} is not D, J or DJ",
                shown(bad)
            ));
        }
    } else if let Some(allele) =
        alleles().find(|a| a.starts_with(b"<DEL") || a.starts_with(b"<DUP"))
    {
        warnings.push(format!(
            "ALT {} is a deletion or duplication but INFO has no SVCLAIM (required from VCF 4.4)",
            shown(allele)
        ));
    }
    let tandem = alleles().filter(|a| a.starts_with(b"<CNV:TR")).count();
    if tandem > 0 {
        check_tandem_repeats(alleles().count(), info, warnings);
    }
}

/// With FORMAT CN (one copy number per sample), the copy-number alleles `<DEL>`, `<DUP>`,
/// `<CNV>` of a record must describe the same region: the same SVLEN.
pub(crate) fn check_copy_number_lengths(
    alt: &[u8],
    info: &SvInfo<'_>,
    warnings: &mut LineWarnings,
) {
    let Some(svlen) = info.svlen else { return };
    let mut lengths = items(alt).zip(items(svlen)).filter(|(allele, _)| {
        [&b"<DEL"[..], b"<DUP", b"<CNV"]
            .iter()
            .any(|kind| allele.starts_with(kind))
    });
    let Some((_, first)) = lengths.next() else {
        return;
    };
    if let Some((allele, other)) = lengths.find(|(_, length)| length != &first) {
        warnings.push(format!(
            "FORMAT CN gives one copy number, but ALT {} has SVLEN {} where another copy-number allele has {}",
            shown(allele),
            shown(other),
            shown(first)
        ));
    }
}

/// `<CNV:TR>`: RUS or RUL present; RUS, RUL, RUC, RB one per repeat sequence (the sum of RN);
/// CIRB, CIRUC two per RB, RUC; RUB one per repeat unit (the sum of RUC, which must then be
/// whole); RB close to RUL × RUC.
fn check_tandem_repeats(alts: usize, info: &SvInfo<'_>, warnings: &mut LineWarnings) {
    let mut warn = |what: String| warnings.push(format!("<CNV:TR> record: {what}"));
    if info.rus.is_none() && info.rul.is_none() {
        warn("INFO has neither RUS nor RUL (one is required)".into());
        return;
    }
    let sequences: usize = match info.rn {
        Some(rn) => items(rn)
            .map(|n| {
                std::str::from_utf8(n)
                    .ok()
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(1)
            })
            // Saturating: RN values may be as large as the text allows.
            .fold(0, usize::saturating_add),
        None => alts,
    };
    for (key, value) in [
        ("RUS", info.rus),
        ("RUL", info.rul),
        ("RUC", info.ruc),
        ("RB", info.rb),
    ] {
        if let Some(n) = count(value)
            && n != sequences
        {
            warn(format!(
                "INFO {key} has {n} values but there are {sequences} repeat sequences (the sum of RN)"
            ));
            return;
        }
    }
    if let (Some(rus), Some(rul)) = (info.rus, info.rul) {
        for (sequence, length) in items(rus).zip(items(rul)) {
            if sequence != b"." && length != b"." && length != sequence.len().to_string().as_bytes()
            {
                warn(format!(
                    "INFO RUL {} is not the length of RUS {}",
                    shown(length),
                    shown(sequence)
                ));
                return;
            }
        }
    }
    for (key, ci, of) in [
        ("CIRB", info.cirb, info.rb),
        ("CIRUC", info.ciruc, info.ruc),
    ] {
        let Some(ci) = ci else { continue };
        let want = 2 * count(of).unwrap_or(0);
        let values: Vec<Option<f64>> = items(ci).map(float_value).collect();
        if values.len() != want {
            warn(format!(
                "INFO {key} has {} values, expected two per {}",
                values.len(),
                &key[2..]
            ));
            return;
        }
        for pair in values.chunks(2) {
            if pair[0].is_some_and(|low| low > 0.0) || pair[1].is_some_and(|high| high < 0.0) {
                warn(format!(
                    "INFO {key} {}: a confidence interval is (≤ 0, ≥ 0)",
                    shown(ci)
                ));
                return;
            }
        }
    }
    if let Some(rub) = info.rub {
        let Some(ruc) = info.ruc else {
            warn("INFO RUB is given without RUC".into());
            return;
        };
        let mut units = 0usize;
        for value in items(ruc) {
            match float_value(value) {
                Some(n) if n.fract() == 0.0 && n >= 0.0 => units = units.saturating_add(n as usize),
                _ => {
                    warn(format!(
                        "INFO RUC {} must be whole counts when RUB is given",
                        shown(ruc)
                    ));
                    return;
                }
            }
        }
        let n = items(rub).count();
        if n != units {
            warn(format!(
                "INFO RUB has {n} values but RUC counts {units} repeat units"
            ));
            return;
        }
    }
    let unit_lengths: Vec<Option<f64>> = match (info.rul, info.rus) {
        (Some(rul), _) => items(rul).map(float_value).collect(),
        (None, Some(rus)) => items(rus)
            .map(|s| (s != b".").then_some(s.len() as f64))
            .collect(),
        (None, None) => Vec::new(),
    };
    if let (Some(rb), Some(ruc)) = (info.rb, info.ruc) {
        for ((bases, units), length) in items(rb).zip(items(ruc)).zip(unit_lengths) {
            if let (Some(bases), Some(units), Some(length)) =
                (float_value(bases), float_value(units), length)
                && (bases - units * length).abs() >= length.max(1.0)
            {
                warn(format!(
                    "INFO RB {bases} is not about RUL × RUC = {length} × {units}"
                ));
                return;
            }
        }
    }
}

/// PSL (VCF 4.4+): one phase set per allele of GT, `.` for alleles not preceded by `|`.
pub(crate) fn check_phase_sets(
    sample: &str,
    genotype: &[u8],
    psl: &[u8],
    warnings: &mut LineWarnings,
) {
    if psl == b"." {
        return;
    }
    let mut phased = Vec::with_capacity(4);
    // Without a leading separator the first allele is phased like the second (`0|1`).
    let (body_start, mut previous_separator) = match genotype.first() {
        Some(&b @ (b'|' | b'/')) => (1, Some(b)),
        _ => (
            0,
            genotype.iter().find(|b| matches!(b, b'/' | b'|')).copied(),
        ),
    };
    for part in genotype[body_start..].split_inclusive(|&b| b == b'/' || b == b'|') {
        phased.push(previous_separator == Some(b'|'));
        previous_separator = part.last().filter(|b| matches!(b, b'/' | b'|')).copied();
    }
    let sets: Vec<&[u8]> = items(psl).collect();
    if sets.len() != phased.len() {
        return; // the Number=P count check reports this
    }
    if let Some((set, _)) = sets
        .iter()
        .zip(&phased)
        .find(|(set, phased)| !**phased && **set != b".")
    {
        warnings.push(format!(
            "sample {sample}: PSL {} names phase set {} for an unphased allele of GT {} (unphased alleles take '.')",
            shown(psl),
            shown(set),
            shown(genotype)
        ));
    }
}
