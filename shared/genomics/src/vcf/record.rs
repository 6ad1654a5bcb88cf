//! Data lines: each checked against the header, one at a time.

mod alleles;
mod info;
mod repeated_variants;
mod samples;
mod typing;

use std::collections::{HashSet, VecDeque};

use super::{
    Issue, LineWarnings, Repeats, Version,
    header::{Definition, Header, check_contig_name, colon_in_name},
    shown, sv,
    values::{float_value, is_float},
};

use typing::Meaning;

/// Counts gathered over the records.
#[derive(Debug, Default)]
pub(crate) struct RecordStats {
    pub snvs: u64,
    pub indels: u64,
    pub other: u64,
    pub filtered: u64,
}

/// How many names of one kind are remembered as reported undeclared (beyond, no more reports).
const MAX_REPORTED: usize = 10_000;

/// How many bytes of names of one kind are remembered as reported undeclared: names may be
/// megabytes long.
const MAX_REPORTED_BYTES: usize = 4 << 20;

/// How many contigs are remembered for the contiguity check (beyond, contigs that end are no
/// longer checked).
const MAX_FINISHED_CONTIGS: usize = 100_000;

/// How many bytes of contig names are remembered for the contiguity check: with the count
/// above, a few MB at most, whatever the file.
const MAX_FINISHED_BYTES: usize = 16 << 20;

/// Appended to warnings given once per name.
const ONCE: &str = " (reported once)";

/// Kinds of names used without a declaration.
#[derive(Clone, Copy, Debug)]
enum Undeclared {
    Contig,
    Alt,
    Filter,
    Info,
    Format,
}

/// Names already reported as undeclared, so that each is reported once, not on every record.
#[derive(Debug, Default)]
struct Reported {
    names: [HashSet<Vec<u8>>; 5],
    /// The bytes of the names of each kind.
    bytes: [usize; 5],
}

impl Reported {
    /// Whether `name` of `kind` is reported for the first time (and remembers it).
    fn first(&mut self, kind: Undeclared, name: &[u8]) -> bool {
        let (names, bytes) = (
            &mut self.names[kind as usize],
            &mut self.bytes[kind as usize],
        );
        if names.len() >= MAX_REPORTED
            || *bytes + name.len() > MAX_REPORTED_BYTES
            || names.contains(name)
        {
            return false;
        }
        names.insert(name.to_vec());
        *bytes += name.len();
        true
    }
}

/// Checks records in order, keeping only what ordering checks need.
pub(crate) struct Records {
    header: Header,
    pub stats: RecordStats,
    /// The contig of the previous record.
    chrom: Vec<u8>,
    last_pos: u64,
    /// Contigs whose block of records has ended.
    finished: HashSet<Vec<u8>>,
    /// The bytes of the names in `finished`.
    finished_bytes: usize,
    /// Hashes and positions of recent normalised variants on `chrom`.
    recent: VecDeque<(u64, u64)>,
    /// The FORMAT keys of the current record: byte range in the line and definition.
    format_keys: Vec<(usize, usize, Definition, Meaning)>,
    reported: Reported,
}

impl Records {
    pub(crate) fn new(header: Header) -> Self {
        Self {
            header,
            stats: RecordStats::default(),
            chrom: Vec::new(),
            last_pos: 0,
            finished: HashSet::new(),
            finished_bytes: 0,
            recent: VecDeque::new(),
            format_keys: Vec::new(),
            reported: Reported::default(),
        }
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    /// Checks one data line.
    pub(crate) fn check(&mut self, line: &[u8], warnings: &mut LineWarnings) -> Result<(), Issue> {
        if line[0] == b'#' {
            return Err(format!(
                "header line after the first record (or after #CHROM): {}",
                shown(line)
            ));
        }
        let expected = if self.header.has_format {
            9 + self.header.samples
        } else {
            8
        };
        let columns = memchr::memchr_iter(b'\t', line).count() + 1;
        if columns != expected {
            return Err(format!(
                "the record has {columns} tab-separated columns, the header line defines {expected}"
            ));
        }
        let mut fields = line.split(|&b| b == b'\t');
        let mut next = || fields.next().unwrap_or_default();
        let (chrom, pos, id, reference, alt, qual, filter, info) = (
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
        );

        self.check_chrom(chrom, warnings)?;
        let pos = self.check_pos(chrom, pos, warnings)?;
        check_id(id, self.header.version, warnings)?;
        check_ref(reference)?;
        let alleles = self.check_alt(reference, alt, warnings)?;
        check_qual(qual)?;
        self.check_filter(filter, warnings)?;
        let sv_info = self.check_info(info, pos, alleles, warnings)?;
        if self.header.version >= Version::V44 {
            sv::check_record(alt, &sv_info, warnings);
        }
        if self.header.has_format {
            let format_start = offset_in(line, next());
            self.check_samples(line, format_start, alleles, warnings)?;
            let has_copy_number = self
                .format_keys
                .iter()
                .any(|&(start, end, _, _)| &line[start..end] == b"CN");
            if self.header.version >= Version::V44 && has_copy_number {
                sv::check_copy_number_lengths(alt, &sv_info, warnings);
            }
        }
        self.remember(chrom, pos, reference, alt, warnings);
        self.count(reference, alt);
        Ok(())
    }

    fn check_chrom(&mut self, chrom: &[u8], warnings: &mut LineWarnings) -> Result<(), Issue> {
        let version = self.header.version;
        // An angle-bracketed ID points into the assembly file.
        let name = chrom
            .strip_prefix(b"<")
            .and_then(|c| c.strip_suffix(b">"))
            .unwrap_or(chrom);
        check_contig_name(name, version).map_err(|why| format!("CHROM {}: {why}", shown(chrom)))?;
        if chrom != self.chrom.as_slice() {
            if let Some(why) = colon_in_name(name, version) {
                warnings.push(format!("CHROM {}: {why}", shown(chrom)));
            }
            if !self.header.contigs.is_empty()
                && name.len() == chrom.len()
                && !self.header.contigs.contains_key(chrom)
                && self.reported.first(Undeclared::Contig, chrom)
            {
                warnings.push(format!(
                    "CHROM {} is not declared by a ##contig line{ONCE}",
                    shown(chrom)
                ));
            }
            if self.finished.contains(chrom) {
                let message = format!(
                    "the records of CHROM {} are not contiguous: it appeared before another contig",
                    shown(chrom)
                );
                // A "must" from VCF 4.3, but the EBI suites have valid files that break it.
                warnings.push(message);
            }
            if !self.chrom.is_empty()
                && self.finished.len() < MAX_FINISHED_CONTIGS
                && self.finished_bytes + self.chrom.len() <= MAX_FINISHED_BYTES
            {
                let length = self.chrom.len();
                if self.finished.insert(std::mem::take(&mut self.chrom)) {
                    self.finished_bytes += length;
                }
            }
            self.chrom.clear();
            self.chrom.extend_from_slice(chrom);
            self.last_pos = 0;
            self.recent.clear();
        }
        Ok(())
    }

    fn check_pos(
        &mut self,
        chrom: &[u8],
        pos: &[u8],
        warnings: &mut LineWarnings,
    ) -> Result<u64, Issue> {
        let value = (!pos.is_empty() && pos.len() <= 19 && pos.iter().all(u8::is_ascii_digit))
            .then(|| pos.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
            .ok_or_else(|| format!("POS {} is not a non-negative integer", shown(pos)))?;
        if value < self.last_pos {
            warnings.push(format!(
                "POS {value} comes after POS {} on CHROM {}: records are not sorted by position",
                self.last_pos,
                shown(chrom)
            ));
        }
        if let Some(Some(length)) = self.header.contigs.get(chrom)
            && value > length.saturating_add(1)
        {
            return Err(format!(
                "POS {value} is beyond the end of CHROM {} (length {length} in its ##contig line)",
                shown(chrom)
            ));
        }
        self.last_pos = value;
        Ok(value)
    }

    fn check_filter(&mut self, filter: &[u8], warnings: &mut LineWarnings) -> Result<(), Issue> {
        if filter == b"." || filter == b"PASS" {
            return Ok(());
        }
        self.stats.filtered += 1;
        let mut codes = Repeats::new();
        for code in filter.split(|&b| b == b';') {
            if code.is_empty() {
                return Err(format!(
                    "FILTER {} has an empty code (misplaced ';')",
                    shown(filter)
                ));
            }
            if code == b"." {
                return Err(format!(
                    "FILTER {}: '.' cannot be combined with filter codes",
                    shown(filter)
                ));
            }
            if code == b"0" {
                return Err("FILTER code '0' is reserved by the specification".into());
            }
            if let Some(&b) = code.iter().find(|b| !b.is_ascii_graphic() && b.is_ascii()) {
                return Err(format!(
                    "FILTER {} has the character {}",
                    shown(filter),
                    shown(&[b])
                ));
            }
            if codes.seen(code) {
                duplicate_value(self.header.version, warnings, || {
                    format!("FILTER {} lists {} twice", shown(filter), shown(code))
                })?;
            }
            if code == b"PASS" {
                warnings.push_with(|| {
                    format!("FILTER {} combines PASS with failed filters", shown(filter))
                });
            } else if !self.header.filters.contains(code)
                && self.reported.first(Undeclared::Filter, code)
            {
                warnings.push(format!(
                    "FILTER {} is not declared by a ##FILTER line{ONCE}",
                    shown(code)
                ));
            }
        }
        Ok(())
    }
}

/// The byte offset of `part` inside `line` (`part` is a sub-slice of it).
fn offset_in(line: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize)
}

fn check_id(id: &[u8], version: Version, warnings: &mut LineWarnings) -> Result<(), Issue> {
    if id == b"." {
        return Ok(());
    }
    let mut parts = Repeats::new();
    for part in id.split(|&b| b == b';') {
        if part.is_empty() {
            return Err(format!(
                "ID {} has an empty identifier (misplaced ';')",
                shown(id)
            ));
        }
        if let Some(&b) = part
            .iter()
            .find(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(format!(
                "ID {} has the whitespace {}",
                shown(id),
                shown(&[b])
            ));
        }
        if parts.seen(part) {
            duplicate_value(version, warnings, || {
                format!("ID {} lists {} twice", shown(id), shown(part))
            })?;
        }
    }
    Ok(())
}

/// A value repeated in ID or FILTER: not allowed from VCF 4.3, suspicious before.
///
/// A line may repeat a value millions of times: the message is made only if it is kept.
fn duplicate_value(
    version: Version,
    warnings: &mut LineWarnings,
    message: impl FnOnce() -> Issue,
) -> Result<(), Issue> {
    if version >= Version::V43 {
        return Err(message());
    }
    warnings.push_with(message);
    Ok(())
}

fn check_ref(reference: &[u8]) -> Result<(), Issue> {
    if reference.is_empty() || reference == b"." {
        return Err("REF is missing: it must hold the reference base(s)".into());
    }
    if reference.contains(&b',') {
        return Err(format!(
            "REF {} lists several alleles: REF is one allele",
            shown(reference)
        ));
    }
    if let Some(&b) = reference.iter().find(|b| !b"ACGTNacgtn".contains(b)) {
        return Err(format!(
            "REF {} has the character {}: REF bases are A, C, G, T, N",
            shown(reference),
            shown(&[b])
        ));
    }
    Ok(())
}

fn check_qual(qual: &[u8]) -> Result<(), Issue> {
    if qual == b"." {
        return Ok(());
    }
    if !is_float(qual) {
        return Err(format!("QUAL {} is not a number or '.'", shown(qual)));
    }
    if float_value(qual).is_some_and(|q| q < 0.0) {
        return Err(format!(
            "QUAL {} is negative: it is a Phred-scaled probability",
            shown(qual)
        ));
    }
    Ok(())
}
