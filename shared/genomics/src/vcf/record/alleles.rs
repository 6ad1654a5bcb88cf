//! ALT alleles: symbolic alleles, breakends, and the record counted as SNV, indel or other.

use crate::vcf::{
    Issue, LineWarnings, Repeats, Version, header::check_contig_name, shown, values::is_bases,
};

use super::{ONCE, Records, Undeclared};

/// What a record's alleles tell the value checks.
#[derive(Clone, Copy)]
pub(super) struct Alleles {
    /// ALT alleles (0 when ALT is `.`).
    pub(super) alts: usize,
}

impl Records {
    /// Checks ALT against REF, and says how many ALT alleles the value checks count with.
    pub(super) fn check_alt(
        &mut self,
        reference: &[u8],
        alt: &[u8],
        warnings: &mut LineWarnings,
    ) -> Result<Alleles, Issue> {
        let version = self.header.version;
        if alt == b"." {
            return Ok(Alleles { alts: 0 });
        }
        let mut alts = 0;
        let mut earlier = Repeats::new();
        for allele in alt.split(|&b| b == b',') {
            alts += 1;
            if allele.is_empty() {
                return Err(format!(
                    "ALT {} has an empty allele (misplaced ',')",
                    shown(alt)
                ));
            }
            if allele == b"." {
                return Err(format!(
                    "ALT {}: '.' (no alternate allele) cannot be one of several alleles",
                    shown(alt)
                ));
            }
            if allele == b"*" {
                if version == Version::V41 {
                    warnings.push(
                        "ALT '*' (allele missing due to a deletion) is defined from VCF 4.2".into(),
                    );
                }
            } else if allele[0] == b'<' {
                self.check_symbolic(allele, warnings)?;
                // The same symbolic allele may repeat (e.g. <DUP> with several copy numbers).
                continue;
            } else if allele.iter().any(|b| matches!(b, b'[' | b']')) {
                check_breakend(allele, version)?;
            } else if allele.len() > 1 && (allele[0] == b'.' || allele[allele.len() - 1] == b'.') {
                let bases = if allele[0] == b'.' {
                    &allele[1..]
                } else {
                    &allele[..allele.len() - 1]
                };
                if !is_bases(bases) {
                    return Err(format!(
                        "ALT allele {} is not a single breakend (bases with a leading or trailing '.')",
                        shown(allele)
                    ));
                }
            } else if !is_bases(allele) {
                let bad = allele
                    .iter()
                    .find(|b| !b"ACGTNacgtn".contains(b))
                    .copied()
                    .unwrap_or(b' ');
                return Err(format!(
                    "ALT allele {} has the character {}: alleles are bases A, C, G, T, N, '*', <ID>, or breakends",
                    shown(allele),
                    shown(&[bad])
                ));
            } else if allele.eq_ignore_ascii_case(reference) {
                return Err(format!("ALT allele {} is the same as REF", shown(allele)));
            }
            // Symbolic alleles are not remembered: they never equal these.
            if earlier.seen(allele) {
                return Err(format!("ALT allele {} is listed twice", shown(allele)));
            }
        }
        Ok(Alleles { alts })
    }

    /// Checks a symbolic allele `<ID>`; an ID neither predefined nor declared is warned about.
    fn check_symbolic(&mut self, allele: &[u8], warnings: &mut LineWarnings) -> Result<(), Issue> {
        let Some(id) = allele.strip_prefix(b"<").and_then(|a| a.strip_suffix(b">")) else {
            return Err(format!(
                "symbolic ALT allele {} does not end with '>'",
                shown(allele)
            ));
        };
        if id.is_empty()
            || id
                .iter()
                .any(|b| matches!(b, b'<' | b'>' | b',') || !b.is_ascii_graphic())
        {
            return Err(format!(
                "symbolic ALT allele {}: the ID inside <> is non-empty, without '<', '>', ',' or whitespace",
                shown(allele)
            ));
        }
        let top = id.split(|&b| b == b':').next().unwrap_or_default();
        let predefined = matches!(top, b"DEL" | b"INS" | b"DUP" | b"INV" | b"CNV" | b"BND")
            || matches!(id, b"*" | b"NON_REF");
        if !predefined && !self.header.alts.contains(id) && self.reported.first(Undeclared::Alt, id)
        {
            warnings.push(format!(
                "symbolic ALT allele {} is not declared by an ##ALT line{ONCE}",
                shown(allele)
            ));
        }
        Ok(())
    }

    /// Counts the record as SNV, indel or other. `*` and the gVCF "any other allele" (`<*>`,
    /// `<NON_REF>`) stand for no particular sequence and are left out.
    pub(super) fn count(&mut self, reference: &[u8], alt: &[u8]) {
        let mut any_bases = false;
        let (mut indel, mut snv_only) = (false, true);
        for allele in alt.split(|&b| b == b',') {
            if matches!(allele, b"*" | b"<*>" | b"<NON_REF>") {
                continue;
            }
            if !is_bases(allele) {
                snv_only = false;
                continue;
            }
            any_bases = true;
            if allele.len() != reference.len() {
                indel = true;
            } else if allele.len() != 1 {
                snv_only = false;
            }
        }
        if indel {
            self.stats.indels += 1;
        } else if any_bases && snv_only && reference.len() == 1 {
            self.stats.snvs += 1;
        } else {
            self.stats.other += 1;
        }
    }
}

/// Checks a breakend replacement: `t[p[`, `t]p]`, `]p]t` or `[p[t`, with `p` = `chrom:pos`.
fn check_breakend(allele: &[u8], version: Version) -> Result<(), Issue> {
    let bad = |why: &str| format!("ALT breakend {}: {why}", shown(allele));
    let is_bracket = |b: &u8| matches!(b, b'[' | b']');
    let open = allele.iter().position(is_bracket).unwrap_or_default();
    let close = allele.iter().rposition(is_bracket).unwrap_or_default();
    if allele.iter().filter(|b| is_bracket(b)).count() != 2 || allele[open] != allele[close] {
        return Err(bad(
            "a breakend has two matching brackets, '[' or ']', around chrom:pos",
        ));
    }
    let (before, mate, after) = (
        &allele[..open],
        &allele[open + 1..close],
        &allele[close + 1..],
    );
    let bases = match (before.is_empty(), after.is_empty()) {
        (false, true) => before,
        (true, false) => after,
        _ => {
            return Err(bad(
                "bases are needed on exactly one side of the bracketed mate position",
            ));
        }
    };
    if !is_bases(bases) {
        return Err(bad("the replacement bases must be A, C, G, T, N"));
    }
    let Some(colon) = mate.iter().rposition(|&b| b == b':') else {
        return Err(bad("the mate position must be chrom:pos"));
    };
    let (chrom, pos) = (&mate[..colon], &mate[colon + 1..]);
    let chrom = chrom
        .strip_prefix(b"<")
        .and_then(|c| c.strip_suffix(b">"))
        .unwrap_or(chrom);
    if chrom.is_empty() || pos.is_empty() || !pos.iter().all(u8::is_ascii_digit) {
        return Err(bad(
            "the mate position must be chrom:pos with a numeric position",
        ));
    }
    if version >= Version::V43 {
        check_contig_name(chrom, version).map_err(bad)?;
    }
    Ok(())
}
