//! FASTA validation.
//!
//! Rules: the first line is a `>` header (old-style `;` comment lines are allowed before and
//! between records); a header has a non-empty name (the text up to the first space); sequence
//! lines hold IUPAC nucleotide codes and the gaps `-` and `.`. Flagged as warnings: records with
//! no sequence, blank lines. Sequence lines are checked piece by piece, so unwrapped chromosomes
//! of any length stream through in constant memory.

use std::io::BufRead;

use serde::Serialize;

use crate::{
    alphabet::{Alphabet, count_bases},
    context::Context,
    diagnostic::{Diagnostic, Failure},
    shown::{shown_byte, shown_line},
    text::LineReader,
};

/// Statistics of a FASTA file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FastaStats {
    /// Records.
    pub sequences: u64,
    /// Sequence characters over all records, gaps included.
    pub bases: u64,
    /// Shortest sequence (0 when there are none).
    pub min_length: u64,
    /// Longest sequence.
    pub max_length: u64,
    /// Fraction of characters that are G or C.
    pub gc_fraction: f64,
    /// Fraction of characters that are N.
    pub n_fraction: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Header,
    Comment,
    Sequence,
}

/// Validates FASTA from `reader`, counting records into `ctx`.
pub(crate) fn validate<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<FastaStats, Failure> {
    let mut lines = LineReader::new(reader);
    let mut kind = LineKind::Sequence;
    let mut at_line_start = true;
    let mut column = 0u64;
    let mut header_name_seen = false;
    let mut header_line = 0u64;
    let mut current_length: Option<u64> = None;
    let (mut bases, mut gc, mut n, mut max_length) = (0u64, 0u64, 0u64, 0u64);
    let mut min_length: Option<u64> = None;

    let mut end_record = |length: Option<u64>, header_line: u64, ctx: &mut Context<'_>| {
        if let Some(length) = length {
            if length == 0 {
                ctx.warn(Diagnostic::at_line(
                    "record has no sequence",
                    Some(ctx.records),
                    header_line,
                ));
            }
            min_length = Some(min_length.map_or(length, |m: u64| m.min(length)));
            max_length = max_length.max(length);
        }
    };

    while let Some(piece) = lines.next_piece()? {
        let line = piece.line;
        let mut data = piece.data;
        if at_line_start {
            column = 0;
            match data.first() {
                Some(b'>') => {
                    end_record(current_length, header_line, ctx);
                    ctx.records += 1;
                    kind = LineKind::Header;
                    header_name_seen = false;
                    header_line = line;
                    current_length = Some(0);
                    data = &data[1..];
                }
                Some(b';') => kind = LineKind::Comment,
                None if piece.end_of_line => {
                    ctx.warn(Diagnostic::at_line(
                        "blank line",
                        Some(ctx.records.max(1)),
                        line,
                    ));
                    kind = LineKind::Comment;
                }
                _ if current_length.is_none() => {
                    return Err(Failure::Invalid(Diagnostic::at_line(
                        format!(
                            "expected a header line starting with '>', found {}",
                            shown_line(data)
                        ),
                        None,
                        line,
                    )));
                }
                _ => kind = LineKind::Sequence,
            }
        }
        match kind {
            LineKind::Header => {
                if !header_name_seen {
                    if data.first().is_some_and(|b| b.is_ascii_whitespace()) {
                        return Err(invalid(
                            ctx,
                            line,
                            "the header has no name: a name must follow '>' directly",
                        ));
                    }
                    header_name_seen = !data.is_empty();
                    if piece.end_of_line && !header_name_seen {
                        return Err(invalid(
                            ctx,
                            line,
                            "the header has no name: a name must follow '>' directly",
                        ));
                    }
                }
                if let Some(&b) = data.iter().find(|&&b| b < b' ' && b != b'\t') {
                    return Err(invalid(
                        ctx,
                        line,
                        &format!("control character {} in the header", shown_byte(b)),
                    ));
                }
            }
            LineKind::Comment => {}
            LineKind::Sequence => {
                let counts = count_bases(data, Alphabet::NucleotidesAndGaps).map_err(|i| {
                    let what = format!(
                        "invalid sequence character {} at column {}: {}",
                        shown_byte(data[i]),
                        column + i as u64 + 1,
                        Alphabet::NucleotidesAndGaps.describe()
                    );
                    invalid(ctx, line, &what)
                })?;
                let length = data.len() as u64;
                column += length;
                bases += length;
                gc += counts.gc;
                n += counts.n;
                if let Some(current) = current_length.as_mut() {
                    *current += length;
                }
            }
        }
        at_line_start = piece.end_of_line;
    }
    end_record(current_length, header_line, ctx);
    if ctx.records == 0 {
        return Err(Failure::Invalid(Diagnostic::new(
            "no FASTA records: the file holds only comments or blank lines",
        )));
    }
    let fraction = |count: u64| {
        if bases == 0 {
            0.0
        } else {
            count as f64 / bases as f64
        }
    };
    Ok(FastaStats {
        sequences: ctx.records,
        bases,
        min_length: min_length.unwrap_or(0),
        max_length,
        gc_fraction: fraction(gc),
        n_fraction: fraction(n),
    })
}

fn invalid(ctx: &Context<'_>, line: u64, message: &str) -> Failure {
    Failure::Invalid(Diagnostic::at_line(message, Some(ctx.records), line))
}
