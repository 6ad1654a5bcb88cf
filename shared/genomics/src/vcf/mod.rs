//! VCF validation (VCFv4.1 to VCFv4.5), streaming line by line.
//!
//! The header is checked and kept (definitions of INFO/FORMAT keys, FILTER, ALT and contig IDs,
//! sample names); records are then checked one at a time against it, in constant memory beyond
//! what the header defines. The rules, and which are errors or warnings, are listed in
//! docs/CONFORMANCE.md ("VCF rules").
//!
//! ```
//! use genoflow_genomics::{validate, Options, Stats};
//!
//! let vcf = [
//!     "##fileformat=VCFv4.3",
//!     "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">",
//!     "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
//!     "1\t100\t.\tA\tG\t.\tPASS\tDP=12",
//!     "1\t200\t.\tA\tG\t.\tPASS\tDP=abc\n",
//! ]
//! .join("\n");
//! let report = validate(std::io::Cursor::new(vcf.clone()), &Options::default()).unwrap();
//! assert!(!report.valid);
//! let error = report.error.unwrap();
//! assert_eq!((error.line, error.record), (Some(5), Some(2)));
//! assert_eq!(error.message, "INFO key 'DP' has Type=Integer but value 'abc'");
//!
//! let report = validate(std::io::Cursor::new(vcf.replace("abc", "7")), &Options::default()).unwrap();
//! let Stats::Vcf(stats) = report.stats else { panic!("not VCF") };
//! assert_eq!((stats.records, stats.snvs, stats.file_format.as_str()), (2, 2, "VCFv4.3"));
//! ```

mod header;
mod record;
mod sv;
mod values;

use std::{collections::HashSet, io::BufRead};

use serde::Serialize;

use crate::{
    context::Context,
    diagnostic::{Diagnostic, Failure, MAX_WARNINGS},
    text::{DEFAULT_MAX_LINE_BYTES, LineReader},
};

use header::Header;
use record::Records;

/// Statistics of a VCF file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VcfStats {
    /// Variant records.
    pub records: u64,
    /// Samples in the header line.
    pub samples: u64,
    /// Records whose alleles are all single-base substitutions.
    pub snvs: u64,
    /// Records with an insertion or deletion allele.
    pub indels: u64,
    /// Other records (MNPs, symbolic alleles, breakends, reference-only).
    pub other: u64,
    /// Records with a FILTER other than PASS or missing.
    pub filtered: u64,
    /// `##contig` lines in the header.
    pub contigs: u64,
    /// The `##fileformat` version, e.g. `VCFv4.3`.
    pub file_format: String,
}

/// The VCF versions validated, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Version {
    V41,
    V42,
    V43,
    V44,
    V45,
}

impl Version {
    const ALL: [Self; 5] = [Self::V41, Self::V42, Self::V43, Self::V44, Self::V45];

    /// The `##fileformat` value.
    fn name(self) -> &'static str {
        match self {
            Self::V41 => "VCFv4.1",
            Self::V42 => "VCFv4.2",
            Self::V43 => "VCFv4.3",
            Self::V44 => "VCFv4.4",
            Self::V45 => "VCFv4.5",
        }
    }

    fn parse(text: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name().as_bytes() == text)
    }
}

/// What is wrong, before the caller adds where.
pub(crate) type Issue = String;

/// The warnings of one line, before the caller adds where.
///
/// Only as many are kept as the report still has room for (see [`Warnings`]); the rest are
/// counted, so that a line repeating one suspicious value millions of times holds a few
/// messages, not millions. The report is the same as if every warning had been kept.
///
/// [`Warnings`]: crate::diagnostic::Warnings
#[derive(Debug)]
pub(crate) struct LineWarnings {
    kept: Vec<Issue>,
    /// How many more are kept.
    room: usize,
    /// Warnings beyond `room`, counted only.
    dropped: u64,
}

impl Default for LineWarnings {
    fn default() -> Self {
        Self {
            kept: Vec::new(),
            room: MAX_WARNINGS,
            dropped: 0,
        }
    }
}

impl LineWarnings {
    pub(crate) fn push(&mut self, message: Issue) {
        self.push_with(|| message);
    }

    /// Pushes the message `message()` makes, made only if it is kept.
    pub(crate) fn push_with(&mut self, message: impl FnOnce() -> Issue) {
        if self.kept.len() < self.room {
            self.kept.push(message());
        } else {
            self.dropped += 1;
        }
    }

    /// Moves the warnings into `ctx`, located at `record` and `line`.
    fn flush(&mut self, ctx: &mut Context<'_>, record: Option<u64>, line: u64) {
        for message in self.kept.drain(..) {
            ctx.warn(Diagnostic::at_line(message, record, line));
        }
        ctx.warnings.add_dropped(std::mem::take(&mut self.dropped));
        // Warnings given directly to `ctx` meanwhile only make this larger than the report's
        // room: the report then counts what it cannot keep.
        self.room = ctx.warnings.room();
    }
}

/// Up to this many items, `Repeats` compares each item with the earlier ones.
const FEW: usize = 16;

/// Finds repeated items of a list (ID parts, alleles, keys, ...) in time linear in the list:
/// the first few are compared one by one, without allocating; beyond, a hash set holds them.
pub(crate) struct Repeats<'a> {
    few: [&'a [u8]; FEW],
    /// Items in `few`.
    len: usize,
    many: HashSet<&'a [u8]>,
}

impl<'a> Repeats<'a> {
    pub(crate) fn new() -> Self {
        Self {
            few: [&[]; FEW],
            len: 0,
            many: HashSet::new(),
        }
    }

    /// Whether `item` came before (otherwise it is remembered).
    pub(crate) fn seen(&mut self, item: &'a [u8]) -> bool {
        if self.len < FEW {
            if self.few[..self.len].contains(&item) {
                return true;
            }
            self.few[self.len] = item;
            self.len += 1;
            return false;
        }
        if self.many.is_empty() {
            self.many.reserve(4 * FEW);
            self.many.extend(self.few);
        }
        !self.many.insert(item)
    }
}

/// A value as shown in messages: quoted, shortened when long.
pub(crate) fn shown(text: &[u8]) -> String {
    crate::shown::shown_line(text).replace('"', "'")
}

/// Validates VCF from `reader`, counting records into `ctx`.
pub(crate) fn validate<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<VcfStats, Failure> {
    let mut lines = LineReader::new(reader);
    let mut line = Vec::new();
    let mut warnings = LineWarnings::default();

    if !read_line(&mut lines, &mut line, ctx)? {
        return Err(Diagnostic::new("the file is empty").into());
    }
    let version = file_format(&line).map_err(|why| Diagnostic::at_line(why, None, 1))?;
    let mut header = Header::new(version);
    loop {
        if !read_line(&mut lines, &mut line, ctx)? {
            return Err(Diagnostic::new(
                "the file ends before the #CHROM header line: a VCF needs a header line even without records",
            )
            .into());
        }
        let number = lines.line();
        let outcome = if let Some(meta) = line.strip_prefix(b"##") {
            header.meta_line(meta, &mut warnings)
        } else if line.starts_with(b"#CHROM") {
            let outcome = header.header_line(&line, &mut warnings);
            warnings.flush(ctx, None, number);
            outcome.map_err(|why| Diagnostic::at_line(why, None, number))?;
            break;
        } else {
            Err(format!(
                "expected a ##meta-information line or the #CHROM header line, found {}",
                shown(&line)
            ))
        };
        warnings.flush(ctx, None, number);
        outcome.map_err(|why| Diagnostic::at_line(why, None, number))?;
    }

    let mut records = Records::new(header);
    while read_line(&mut lines, &mut line, ctx)? {
        let number = lines.line();
        if line.is_empty() {
            ctx.warn(Diagnostic::at_line(
                "empty line among the records",
                None,
                number,
            ));
            continue;
        }
        ctx.records += 1;
        let outcome = records.check(&line, &mut warnings);
        warnings.flush(ctx, Some(ctx.records), number);
        outcome.map_err(|why| Diagnostic::at_line(why, Some(ctx.records), number))?;
    }
    if lines.missing_final_newline() {
        ctx.warn(Diagnostic::at_line(
            "the last line has no line terminator: the file may be truncated",
            (ctx.records > 0).then_some(ctx.records),
            lines.line(),
        ));
    }
    let header = records.header();
    Ok(VcfStats {
        records: ctx.records,
        samples: header.samples as u64,
        snvs: records.stats.snvs,
        indels: records.stats.indels,
        other: records.stats.other,
        filtered: records.stats.filtered,
        contigs: header.contig_lines,
        file_format: version.name().to_owned(),
    })
}

/// Checks the first line, `##fileformat=VCFv4.x`.
fn file_format(line: &[u8]) -> Result<Version, Issue> {
    let Some(value) = line.strip_prefix(b"##fileformat=") else {
        return Err(format!(
            "the first line must be ##fileformat=VCFv4.x, found {}",
            shown(line)
        ));
    };
    if value.is_empty() {
        return Err("##fileformat has no version: expected VCFv4.1 to VCFv4.5".into());
    }
    Version::parse(value).ok_or_else(|| {
        format!(
            "##fileformat {} is not a supported version: expected VCFv4.1, VCFv4.2, VCFv4.3, VCFv4.4 or VCFv4.5",
            shown(value)
        )
    })
}

/// Reads one line, whole, up to the line-length cap.
fn read_line<R: BufRead>(
    lines: &mut LineReader<R>,
    line: &mut Vec<u8>,
    ctx: &Context<'_>,
) -> Result<bool, Failure> {
    line.clear();
    loop {
        let Some(piece) = lines.next_piece()? else {
            return Ok(false);
        };
        if line.len() + piece.data.len() > DEFAULT_MAX_LINE_BYTES {
            let number = piece.line;
            return Err(Diagnostic::at_line(
                format!("the line is longer than the {DEFAULT_MAX_LINE_BYTES}-byte limit for one VCF line"),
                Some(ctx.records + 1),
                number,
            )
            .into());
        }
        line.extend_from_slice(piece.data);
        if piece.end_of_line {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests;
