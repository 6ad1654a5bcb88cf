//! The SAM header (also the text header of BAM and CRAM), checked line by line.
//!
//! Rules (SAMv1 §1.3): `@HD` first and once, `VN` as `major.minor`, `SO`/`GO`/`SS` from their
//! value sets; `@SQ` with `SN` (a valid reference name, unique) and `LN` in 1..2^31-1, `AH`, `AN`
//! (names distinct from every `SN` and other `AN`), `M5` (32 lowercase hex digits), `TP`; `@RG`
//! with a unique `ID`, `DT` (ISO 8601), `FO`, `PI` (integer), `PL` (the spec's platforms); `@PG`
//! with a unique `ID` and `PP` naming an existing `@PG`; every line `@XX` followed by tab-separated
//! `TAG:VALUE` fields (tag `[A-Za-z][A-Za-z0-9]`, no tag twice, values printable ASCII, UTF-8 only
//! in `DS` and `CL`); `@CO` free text. Unknown uppercase tags are warnings.

use std::collections::{HashMap, HashSet};

use super::syntax::{is_reference_name, shown};

/// The largest reference length (and position) SAM allows: 2^31 - 1.
pub(super) const MAX_POSITION: u64 = (1 << 31) - 1;

/// A reference sequence declared by `@SQ` (or BAM's binary dictionary).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Reference {
    pub name: Vec<u8>,
    pub length: u64,
}

/// What the records are checked against once the header has been read.
#[derive(Debug, Default)]
pub(super) struct Header {
    pub references: Vec<Reference>,
    pub reference_index: HashMap<Vec<u8>, usize>,
    /// `@RG ID`s; `RG` tags must name one of them when there are any.
    pub read_groups: HashSet<Vec<u8>>,
    /// `@HD SO`, if given.
    pub sort_order: Option<String>,
    /// Whether the text header has `@SQ` lines (BAM may keep its dictionary only in binary).
    pub has_sq_lines: bool,
}

impl Header {
    /// The index of a reference by name.
    pub(super) fn reference(&self, name: &[u8]) -> Option<usize> {
        self.reference_index.get(name).copied()
    }
}

/// A header problem: what, and the 1-based header line.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct HeaderError {
    pub message: String,
    pub line: u64,
}

/// Checks header lines one by one; [`HeaderChecker::finish`] checks what spans lines.
#[derive(Debug, Default)]
pub(super) struct HeaderChecker {
    lines: u64,
    hd_seen: bool,
    header: Header,
    alternative_names: Vec<(Vec<u8>, u64)>,
    programs: HashSet<Vec<u8>>,
    previous_programs: Vec<(Vec<u8>, u64)>,
    warnings: Vec<(String, u64)>,
}

/// Platforms allowed in `@RG PL` (SAMv1 §1.3).
const PLATFORMS: &[&str] = &[
    "CAPILLARY",
    "DNBSEQ",
    "ELEMENT",
    "HELICOS",
    "ILLUMINA",
    "IONTORRENT",
    "LS454",
    "ONT",
    "PACBIO",
    "SINGULAR",
    "SOLID",
    "ULTIMA",
];

/// The tags the spec defines per line type.
fn defined_tags(kind: &[u8]) -> &'static [&'static [u8; 2]] {
    match kind {
        b"HD" => &[b"VN", b"SO", b"GO", b"SS"],
        b"SQ" => &[
            b"SN", b"LN", b"AH", b"AN", b"AS", b"DS", b"M5", b"SP", b"TP", b"UR",
        ],
        b"RG" => &[
            b"ID", b"BC", b"CN", b"DS", b"DT", b"FO", b"KS", b"LB", b"PG", b"PI", b"PL", b"PM",
            b"PU", b"SM",
        ],
        b"PG" => &[b"ID", b"PN", b"CL", b"PP", b"DS", b"VN"],
        _ => &[],
    }
}

impl HeaderChecker {
    /// Warnings found so far, with their header line; taken out.
    pub(super) fn take_warnings(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.warnings)
    }

    /// Checks one line of a binary format's header text; its warnings and error become
    /// diagnostics at `offset` (BAM and CRAM have no lines to point at).
    pub(super) fn check_binary_line(
        &mut self,
        line: &[u8],
        offset: u64,
        ctx: &mut crate::context::Context<'_>,
    ) -> Result<(), crate::diagnostic::Diagnostic> {
        use crate::diagnostic::Diagnostic;
        let outcome = self.check_line(line);
        for (message, number) in self.take_warnings() {
            ctx.warn(Diagnostic::at_offset(
                format!("header line {number}: {message}"),
                None,
                offset,
            ));
        }
        outcome.map_err(|e| {
            Diagnostic::at_offset(
                format!("header line {}: {}", e.line, e.message),
                None,
                offset,
            )
        })
    }

    /// Checks one header line (without its line terminator).
    pub(super) fn check_line(&mut self, line: &[u8]) -> Result<(), HeaderError> {
        self.lines += 1;
        let number = self.lines;
        self.check_line_inner(line).map_err(|message| HeaderError {
            message,
            line: number,
        })
    }

    fn check_line_inner(&mut self, line: &[u8]) -> Result<(), String> {
        let kind = match line {
            [b'@', a, b, rest @ ..] if rest.is_empty() || rest[0] == b'\t' => [*a, *b],
            _ => {
                return Err(format!(
                    "a header line must be '@' and a two-letter record type followed by a tab, found {}",
                    shown(line)
                ));
            }
        };
        if &kind == b"CO" {
            return if line.len() > 3 && std::str::from_utf8(&line[4..]).is_err() {
                Err("@CO text is not valid UTF-8".to_owned())
            } else {
                Ok(())
            };
        }
        if !matches!(&kind, b"HD" | b"SQ" | b"RG" | b"PG") {
            return Err(format!(
                "unknown header record type @{}: SAM defines @HD, @SQ, @RG, @PG and @CO",
                String::from_utf8_lossy(&kind)
            ));
        }
        if &kind == b"HD" {
            if self.hd_seen {
                return Err("@HD appears more than once".to_owned());
            }
            if self.lines > 1 {
                return Err("@HD must be the first line of the header".to_owned());
            }
            self.hd_seen = true;
        }
        let fields = parse_fields(&kind, line)?;
        for (tag, _) in &fields {
            if tag[0].is_ascii_uppercase() && !defined_tags(&kind).contains(tag) {
                self.warnings.push((
                    format!(
                        "@{} tag {} is not defined by the SAM specification (lowercase tags are for local use)",
                        String::from_utf8_lossy(&kind),
                        String::from_utf8_lossy(*tag)
                    ),
                    self.lines,
                ));
            }
        }
        let fields = Fields(fields);
        match &kind {
            b"HD" => self.check_hd(&fields),
            b"SQ" => self.check_sq(&fields),
            b"RG" => self.check_rg(&fields),
            _ => self.check_pg(&fields),
        }
    }

    fn check_hd(&mut self, fields: &Fields<'_>) -> Result<(), String> {
        let get = |tag: &[u8; 2]| fields.get(tag);
        let version = get(b"VN").ok_or("@HD has no VN (format version) tag")?;
        if !is_version(version) {
            return Err(format!(
                "@HD VN {} is not a version of the form <major>.<minor>, e.g. 1.6",
                shown(version)
            ));
        }
        if let Some(order) = get(b"SO") {
            if !matches!(
                order,
                b"unknown" | b"unsorted" | b"queryname" | b"coordinate"
            ) {
                return Err(format!(
                    "@HD SO {} is not one of unknown, unsorted, queryname, coordinate",
                    shown(order)
                ));
            }
            self.header.sort_order = Some(String::from_utf8_lossy(order).into_owned());
        }
        if let Some(grouping) = get(b"GO")
            && !matches!(grouping, b"none" | b"query" | b"reference")
        {
            return Err(format!(
                "@HD GO {} is not one of none, query, reference",
                shown(grouping)
            ));
        }
        if let Some(sub_sort) = get(b"SS") {
            let mut parts = sub_sort.split(|&b| b == b':');
            let order = parts.next().unwrap_or_default();
            let mut rest = parts.peekable();
            let well_formed = matches!(order, b"coordinate" | b"queryname" | b"unsorted")
                && rest.peek().is_some()
                && rest.all(|part| {
                    !part.is_empty()
                        && part
                            .iter()
                            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                });
            if !well_formed {
                return Err(format!(
                    "@HD SS {} is not <coordinate|queryname|unsorted>:<sub-sort>[:<sub-sort>...] with sub-sorts of [A-Za-z0-9_-]",
                    shown(sub_sort)
                ));
            }
        }
        Ok(())
    }

    fn check_sq(&mut self, fields: &Fields<'_>) -> Result<(), String> {
        let get = |tag: &[u8; 2]| fields.get(tag);
        let name = get(b"SN").ok_or("@SQ has no SN (reference name) tag")?;
        if !is_reference_name(name) {
            return Err(format!(
                "@SQ SN {} is not a valid reference name (printable, not starting with '*' or '=', no \\ , \" ' ` () [] {{}} <>)",
                shown(name)
            ));
        }
        let length = get(b"LN").ok_or_else(|| {
            format!(
                "@SQ {} has no LN (reference length) tag",
                String::from_utf8_lossy(name)
            )
        })?;
        let length = parse_decimal(length)
            .filter(|n| (1..=MAX_POSITION).contains(n))
            .ok_or_else(|| {
                format!(
                    "@SQ {} LN {} is not an integer in 1..2147483647",
                    String::from_utf8_lossy(name),
                    shown(length)
                )
            })?;
        if let Some(alternative_locus) = get(b"AH")
            && !is_alternative_locus(alternative_locus)
        {
            return Err(format!(
                "@SQ AH {} is not '*', a reference name, or name:start-end",
                shown(alternative_locus)
            ));
        }
        if let Some(alternative_names) = get(b"AN") {
            for alias in alternative_names.split(|&b| b == b',') {
                if !is_reference_name(alias) {
                    return Err(format!(
                        "@SQ AN {} is not a comma-separated list of valid reference names",
                        shown(alternative_names)
                    ));
                }
                self.alternative_names.push((alias.to_vec(), self.lines));
            }
        }
        if let Some(md5) = get(b"M5")
            && (md5.len() != 32 || !md5.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        {
            return Err(format!(
                "@SQ M5 {} is not an MD5 digest of 32 lowercase hexadecimal digits",
                shown(md5)
            ));
        }
        if let Some(topology) = get(b"TP")
            && !matches!(topology, b"linear" | b"circular")
        {
            return Err(format!(
                "@SQ TP {} is not linear or circular",
                shown(topology)
            ));
        }
        self.add_reference(Reference {
            name: name.to_vec(),
            length,
        })?;
        self.header.has_sq_lines = true;
        Ok(())
    }

    fn check_rg(&mut self, fields: &Fields<'_>) -> Result<(), String> {
        let get = |tag: &[u8; 2]| fields.get(tag);
        let id = get(b"ID").ok_or("@RG has no ID tag")?;
        if !self.header.read_groups.insert(id.to_vec()) {
            return Err(format!("@RG ID {} is declared twice", shown(id)));
        }
        if let Some(date) = get(b"DT")
            && !is_iso8601(date.trim_ascii_end())
        {
            return Err(format!(
                "@RG DT {} is not an ISO 8601 date or date-time",
                shown(date)
            ));
        }
        if let Some(flow_order) = get(b"FO")
            && flow_order != b"*"
            && !flow_order.iter().all(|b| b"ACMGRSVTWYHKDBN".contains(b))
        {
            return Err(format!(
                "@RG FO {} is not '*' or a string of IUPAC bases",
                shown(flow_order)
            ));
        }
        if let Some(insert_size) = get(b"PI")
            && parse_decimal(insert_size).is_none()
        {
            return Err(format!(
                "@RG PI {} is not an integer (predicted median insert size)",
                shown(insert_size)
            ));
        }
        if let Some(platform) = get(b"PL") {
            let text = String::from_utf8_lossy(platform);
            if !PLATFORMS.contains(&text.as_ref()) {
                if PLATFORMS.contains(&text.to_ascii_uppercase().as_str()) {
                    self.warnings
                        .push((format!("@RG PL {text:?} should be upper case"), self.lines));
                } else {
                    return Err(format!(
                        "@RG PL {text:?} is not a platform of the spec: {}",
                        PLATFORMS.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_pg(&mut self, fields: &Fields<'_>) -> Result<(), String> {
        let get = |tag: &[u8; 2]| fields.get(tag);
        let id = get(b"ID").ok_or("@PG has no ID tag")?;
        if !self.programs.insert(id.to_vec()) {
            return Err(format!("@PG ID {} is declared twice", shown(id)));
        }
        if let Some(previous) = get(b"PP") {
            self.previous_programs.push((previous.to_vec(), self.lines));
        }
        Ok(())
    }

    fn add_reference(&mut self, reference: Reference) -> Result<(), String> {
        let index = self.header.references.len();
        if self
            .header
            .reference_index
            .insert(reference.name.clone(), index)
            .is_some()
        {
            return Err(format!(
                "@SQ SN {} is declared twice",
                shown(&reference.name)
            ));
        }
        self.header.references.push(reference);
        Ok(())
    }

    /// Checks what spans lines (`PP` links, `AN` uniqueness) and returns the header.
    pub(super) fn finish(self) -> Result<Header, HeaderError> {
        for (previous, line) in &self.previous_programs {
            if !self.programs.contains(previous) {
                return Err(HeaderError {
                    message: format!("@PG PP {} names no @PG ID", shown(previous)),
                    line: *line,
                });
            }
        }
        let mut aliases = HashSet::new();
        for (alias, line) in &self.alternative_names {
            if self.header.reference_index.contains_key(alias) || !aliases.insert(alias) {
                return Err(HeaderError {
                    message: format!(
                        "@SQ AN name {} is already used by another SN or AN",
                        shown(alias)
                    ),
                    line: *line,
                });
            }
        }
        Ok(self.header)
    }
}

/// One `TAG:VALUE` field of a header line.
type Field<'a> = (&'a [u8; 2], &'a [u8]);

/// The fields of one header line.
struct Fields<'a>(Vec<Field<'a>>);

impl<'a> Fields<'a> {
    fn get(&self, tag: &[u8; 2]) -> Option<&'a [u8]> {
        self.0.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v)
    }
}

/// Splits `@XX\tTAG:VALUE...` into fields, checking their syntax.
fn parse_fields<'a>(kind: &[u8; 2], line: &'a [u8]) -> Result<Vec<Field<'a>>, String> {
    let record_type = String::from_utf8_lossy(kind);
    let Some(rest) = line.get(4..) else {
        return Err(format!("@{record_type} has no TAG:VALUE fields"));
    };
    let mut fields: Vec<Field<'a>> = Vec::new();
    for field in rest.split(|&b| b == b'\t') {
        let (tag, value) = match field {
            [a, b, b':', value @ ..] if a.is_ascii_alphabetic() && b.is_ascii_alphanumeric() => {
                let tag: &[u8; 2] = field[..2].try_into().map_err(|_| String::new())?;
                (tag, value)
            }
            _ => {
                return Err(format!(
                    "@{record_type} field {} is not TAG:VALUE with a tag of [A-Za-z][A-Za-z0-9]",
                    shown(field)
                ));
            }
        };
        let tag_text = String::from_utf8_lossy(tag);
        if value.is_empty() {
            return Err(format!("@{record_type} {tag_text} has an empty value"));
        }
        if fields.iter().any(|(t, _)| *t == tag) {
            return Err(format!(
                "@{record_type} has the tag {tag_text} more than once"
            ));
        }
        let utf8_allowed = matches!(tag, b"DS" | b"CL");
        if let Some(&b) = value.iter().find(|&&b| !(b' '..=b'~').contains(&b))
            && !(utf8_allowed && b >= 0x80 && std::str::from_utf8(value).is_ok())
        {
            return Err(format!(
                "@{record_type} {tag_text} value {} holds byte 0x{b:02x}: values are printable ASCII{}",
                shown(value),
                if utf8_allowed { " or UTF-8" } else { "" }
            ));
        }
        fields.push((tag, value));
    }
    Ok(fields)
}

/// A non-negative decimal integer without sign.
pub(super) fn parse_decimal(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn is_version(text: &[u8]) -> bool {
    let mut parts = text.split(|&b| b == b'.');
    let (Some(major), Some(minor), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    [major, minor]
        .iter()
        .all(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
}

/// `*`, a reference name, or `name:start-end`.
fn is_alternative_locus(text: &[u8]) -> bool {
    if text == b"*" || is_reference_name(text) && !text.contains(&b':') {
        return true;
    }
    let Some(colon) = text.iter().rposition(|&b| b == b':') else {
        return false;
    };
    let (name, range) = (&text[..colon], &text[colon + 1..]);
    let mut bounds = range.split(|&b| b == b'-');
    match (bounds.next(), bounds.next(), bounds.next()) {
        (Some(start), Some(end), None) => {
            is_reference_name(name)
                && matches!((parse_decimal(start), parse_decimal(end)), (Some(s), Some(e)) if s >= 1 && s <= e)
        }
        _ => is_reference_name(text),
    }
}

/// ISO 8601: `YYYY[-MM[-DD]]`, optionally `T` (or a space) and `hh:mm[:ss[.fff]]` with an
/// optional `Z` or `±hh[:mm]` offset.
fn is_iso8601(text: &[u8]) -> bool {
    fn digits(text: &[u8], n: usize) -> Option<(u32, &[u8])> {
        let (head, tail) = (text.get(..n)?, &text[n..]);
        if !head.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let value = head
            .iter()
            .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'));
        Some((value, tail))
    }
    fn time(text: &[u8]) -> bool {
        let Some((hour, rest)) = digits(text, 2) else {
            return false;
        };
        let Some((minute, mut rest)) = rest.strip_prefix(b":").and_then(|r| digits(r, 2)) else {
            return false;
        };
        if hour > 24 || minute > 59 {
            return false;
        }
        if let Some((second, after)) = rest.strip_prefix(b":").and_then(|r| digits(r, 2)) {
            if second > 60 {
                return false;
            }
            rest = after;
            if let Some(fraction) = rest.strip_prefix(b".").or_else(|| rest.strip_prefix(b",")) {
                let n = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
                if n == 0 {
                    return false;
                }
                rest = &fraction[n..];
            }
        }
        match rest {
            [] | [b'Z'] => true,
            [b'+' | b'-', offset @ ..] => match digits(offset, 2) {
                Some((h, [])) => h <= 14,
                Some((h, tail)) => {
                    let tail = tail.strip_prefix(b":").unwrap_or(tail);
                    matches!(digits(tail, 2), Some((m, [])) if h <= 14 && m <= 59)
                }
                None => false,
            },
            _ => false,
        }
    }
    let Some((_, rest)) = digits(text, 4) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b"-") else {
        return rest.is_empty();
    };
    let Some((month, rest)) = digits(rest, 2) else {
        return false;
    };
    if !(1..=12).contains(&month) {
        return false;
    }
    let Some(rest) = rest.strip_prefix(b"-") else {
        return rest.is_empty();
    };
    let Some((day, rest)) = digits(rest, 2) else {
        return false;
    };
    if !(1..=31).contains(&day) {
        return false;
    }
    match rest {
        [] => true,
        [b'T' | b' ', clock @ ..] => time(clock),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(lines: &[&str]) -> Result<Header, HeaderError> {
        let mut checker = HeaderChecker::default();
        for line in lines {
            checker.check_line(line.as_bytes())?;
        }
        checker.finish()
    }

    #[test]
    fn accepts_a_typical_header() {
        let header = check(&[
            "@HD\tVN:1.6\tSO:coordinate",
            "@SQ\tSN:chr1\tLN:248956422\tM5:7fc56270e7a70fa81a5935b72eacbe29",
            "@RG\tID:rg1\tPL:ILLUMINA\tDT:2020-06-23T12:13:47+01:00\tPI:300",
            "@PG\tID:bwa\tPN:bwa",
            "@PG\tID:samtools\tPP:bwa",
            "@CO\tfree text: anything",
        ])
        .expect("valid header");
        assert_eq!(header.references.len(), 1);
        assert_eq!(header.sort_order.as_deref(), Some("coordinate"));
    }

    #[test]
    fn rejects_broken_rules_with_the_line() {
        let cases: &[(&[&str], u64, &str)] = &[
            (&["@HD\tVN:1"], 1, "VN"),
            (&["@SQ\tSN:a\tLN:1", "@HD\tVN:1.6"], 2, "first line"),
            (&["@SQ\tSN:a\tLN:0"], 1, "LN"),
            (&["@SQ\tSN:a\tLN:5", "@SQ\tSN:a\tLN:5"], 2, "twice"),
            (&["@SQ\tSN:a\tLN:5\tLN:6"], 1, "more than once"),
            (
                &["@SQ\tSN:a\tLN:5\tM5:7FC56270E7A70FA81A5935B72EACBE29"],
                1,
                "M5",
            ),
            (&["@RG\tID:1\tDT:2020-23-06"], 1, "DT"),
            (&["@RG\tID:1\tPL:454"], 1, "PL"),
            (&["@PG\tID:a\tPP:b"], 1, "PP"),
            (&["@SQ\tSN:a\tLN:5\tAN:b", "@SQ\tSN:b\tLN:5"], 1, "AN"),
            (&["@XY\tAB:c"], 1, "unknown header record type"),
        ];
        for (lines, line, needle) in cases {
            let error = check(lines).expect_err(&format!("{lines:?} must be rejected"));
            assert_eq!(error.line, *line, "{lines:?}: {error:?}");
            assert!(error.message.contains(needle), "{lines:?}: {error:?}");
        }
    }

    #[test]
    fn iso8601_forms() {
        for ok in [
            "2020",
            "2020-06",
            "2020-06-23",
            "2020-06-23T12:13",
            "2020-06-23T12:13:47.5Z",
        ] {
            assert!(is_iso8601(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "Tuesday",
            "2020-23-06",
            "2020-06-23T",
            "20-06-23",
            "2020-06-23T25:00",
        ] {
            assert!(!is_iso8601(bad.as_bytes()), "{bad}");
        }
    }
}
