//! FASTQ validation per the Sanger definition (Cock et al. 2010, NAR 38:1767).
//!
//! Accepted: wrapped (multi-line) sequence and quality, CRLF line ends, empty sequences (with an
//! empty quality line), `@` or `+` as the first quality character, a `+` line that repeats the
//! title exactly or is bare. Rejected: a `+` line with a different title, quality and sequence of
//! different lengths, a record cut anywhere, quality characters outside `!`..`~`, sequence
//! characters that are not IUPAC nucleotide codes (so no spaces, tabs, digits or punctuation),
//! blank lines between records (a warning when only at the end).
//!
//! The reader never holds more than one title: sequence and quality lines are checked and
//! counted piece by piece as they stream past.

use std::io::BufRead;

use serde::Serialize;

use crate::{
    alphabet::{Alphabet, count_bases, shown_byte},
    diagnostic::{Diagnostic, Failure},
    text::{DEFAULT_MAX_LINE_BYTES, LineReader},
    validate::Context,
};

/// Statistics of a FASTQ file. Qualities are Phred scores in the Sanger (offset 33) encoding.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FastqStats {
    /// Records.
    pub reads: u64,
    /// Sequence characters over all reads.
    pub bases: u64,
    /// Shortest read (0 when there are no reads).
    pub min_length: u64,
    /// Longest read.
    pub max_length: u64,
    /// Mean read length.
    pub mean_length: f64,
    /// Fraction of bases that are G or C (either case).
    pub gc_fraction: f64,
    /// Fraction of bases that are N (either case).
    pub n_fraction: f64,
    /// Mean Phred quality over all bases.
    pub mean_quality: f64,
    /// Fraction of bases with Phred quality ≥ 20.
    pub q20_fraction: f64,
    /// Fraction of bases with Phred quality ≥ 30.
    pub q30_fraction: f64,
}

/// The lowest and highest quality characters (`!` = Phred 0, `~` = Phred 93).
const QUALITY_MIN: u8 = b'!';
const QUALITY_MAX: u8 = b'~';
const PHRED_OFFSET: u64 = 33;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting or reading a `@` title line.
    Title,
    /// Reading sequence lines until a `+` line.
    Sequence,
    /// Reading the `+` line.
    Plus,
    /// Reading quality lines until they are as long as the sequence.
    Quality,
}

/// Running totals; per-line counters are folded in at line ends.
#[derive(Debug, Default)]
struct Totals {
    bases: u64,
    gc: u64,
    n: u64,
    quality_sum: u64,
    q20: u64,
    q30: u64,
    min_length: Option<u64>,
    max_length: u64,
}

struct Parser {
    state: State,
    at_line_start: bool,
    column: u64,
    title: Vec<u8>,
    title_line: u64,
    /// How much of the `+` line's repeated title matched the title so far.
    plus_len: usize,
    plus_matches: bool,
    sequence_length: u64,
    sequence_lines: u64,
    quality_length: u64,
    /// A blank line seen where a record should start; an error if more records follow.
    blank_line: Option<u64>,
    totals: Totals,
}

/// Validates FASTQ from `reader`, counting records into `ctx`.
pub(crate) fn validate<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<FastqStats, Failure> {
    let mut lines = LineReader::new(reader);
    let mut parser = Parser {
        state: State::Title,
        at_line_start: true,
        column: 0,
        title: Vec::new(),
        title_line: 0,
        plus_len: 0,
        plus_matches: true,
        sequence_length: 0,
        sequence_lines: 0,
        quality_length: 0,
        blank_line: None,
        totals: Totals::default(),
    };
    while let Some(piece) = lines.next_piece()? {
        let line = piece.line;
        parser.piece(piece.data, piece.end_of_line, line, ctx)?;
    }
    parser.finish(lines.line(), ctx)?;
    Ok(parser.stats(ctx.records))
}

impl Parser {
    fn error(&self, ctx: &Context<'_>, line: u64, message: String) -> Failure {
        Failure::Invalid(Diagnostic::at_line(message, Some(ctx.records.max(1)), line))
    }

    fn piece(
        &mut self,
        data: &[u8],
        end_of_line: bool,
        line: u64,
        ctx: &mut Context<'_>,
    ) -> Result<(), Failure> {
        let line_start = self.at_line_start;
        if line_start {
            self.column = 0;
        }
        self.at_line_start = end_of_line;
        match self.state {
            State::Title => self.title_piece(data, end_of_line, line_start, line, ctx),
            State::Sequence if line_start && data.first() == Some(&b'+') => {
                self.state = State::Plus;
                self.plus_len = 0;
                self.plus_matches = true;
                self.plus_piece(&data[1..], end_of_line, line, ctx)
            }
            State::Sequence => {
                // An empty sequence is written as one empty line; blank lines after that are errors.
                if line_start && data.is_empty() && end_of_line && self.sequence_lines > 0 {
                    return Err(self.error(
                        ctx,
                        line,
                        "blank line inside the sequence: expected sequence or a '+' line".into(),
                    ));
                }
                if end_of_line {
                    self.sequence_lines += 1;
                }
                self.sequence_piece(data, line, ctx)
            }
            State::Plus => self.plus_piece(data, end_of_line, line, ctx),
            State::Quality => self.quality_piece(data, end_of_line, line_start, line, ctx),
        }
    }

    fn title_piece(
        &mut self,
        data: &[u8],
        end_of_line: bool,
        line_start: bool,
        line: u64,
        ctx: &mut Context<'_>,
    ) -> Result<(), Failure> {
        let mut data = data;
        if line_start {
            if data.is_empty() && end_of_line {
                self.blank_line.get_or_insert(line);
                return Ok(());
            }
            if let Some(blank) = self.blank_line {
                return Err(self.error(ctx, blank, "blank line between records".into()));
            }
            if data.first() != Some(&b'@') {
                ctx.records += 1;
                return Err(self.error(
                    ctx,
                    line,
                    format!(
                        "expected a title line starting with '@', found {}",
                        shown_line(data)
                    ),
                ));
            }
            ctx.records += 1;
            self.title.clear();
            self.title_line = line;
            data = &data[1..];
        }
        if self.title.len() + data.len() > DEFAULT_MAX_LINE_BYTES {
            return Err(self.error(
                ctx,
                line,
                format!("title longer than the {DEFAULT_MAX_LINE_BYTES}-byte limit"),
            ));
        }
        if let Some(i) = data.iter().position(|&b| b == b'\r' || b == 0) {
            return Err(self.error(
                ctx,
                line,
                format!("control character {} in the title", shown_byte(data[i])),
            ));
        }
        self.title.extend_from_slice(data);
        if end_of_line {
            self.state = State::Sequence;
            self.sequence_length = 0;
            self.sequence_lines = 0;
        }
        Ok(())
    }

    fn sequence_piece(&mut self, data: &[u8], line: u64, ctx: &Context<'_>) -> Result<(), Failure> {
        let counts = count_bases(data, Alphabet::Nucleotides).map_err(|i| {
            self.error(
                ctx,
                line,
                format!(
                    "invalid sequence character {} at column {}: {}",
                    shown_byte(data[i]),
                    self.column + i as u64 + 1,
                    Alphabet::Nucleotides.describe()
                ),
            )
        })?;
        self.column += data.len() as u64;
        self.sequence_length += data.len() as u64;
        self.totals.gc += counts.gc;
        self.totals.n += counts.n;
        Ok(())
    }

    fn plus_piece(
        &mut self,
        data: &[u8],
        end_of_line: bool,
        line: u64,
        ctx: &Context<'_>,
    ) -> Result<(), Failure> {
        let expected = self.title.get(self.plus_len..).unwrap_or_default();
        if data.len() > expected.len() || data != &expected[..data.len()] {
            self.plus_matches = false;
        }
        self.plus_len += data.len();
        if end_of_line {
            if self.plus_len > 0 && (!self.plus_matches || self.plus_len != self.title.len()) {
                return Err(self.error(
                    ctx,
                    line,
                    format!(
                        "the '+' line repeats a different title than '@{}' (line {})",
                        String::from_utf8_lossy(&self.title),
                        self.title_line
                    ),
                ));
            }
            self.state = State::Quality;
            self.quality_length = 0;
        }
        Ok(())
    }

    fn quality_piece(
        &mut self,
        data: &[u8],
        end_of_line: bool,
        line_start: bool,
        line: u64,
        ctx: &mut Context<'_>,
    ) -> Result<(), Failure> {
        if line_start && data.is_empty() && end_of_line && self.sequence_length > 0 {
            return Err(self.error(
                ctx,
                line,
                format!(
                    "blank line where quality was expected ({} of {} quality characters read)",
                    self.quality_length, self.sequence_length
                ),
            ));
        }
        let (bad, sum, q20, q30) = quality_counts(data);
        if bad {
            let i = data
                .iter()
                .position(|&b| !(QUALITY_MIN..=QUALITY_MAX).contains(&b))
                .unwrap_or_default();
            return Err(self.error(
                ctx,
                line,
                format!(
                    "invalid quality character {} at column {}: qualities are '!' to '~'",
                    shown_byte(data[i]),
                    self.column + i as u64 + 1
                ),
            ));
        }
        self.column += data.len() as u64;
        self.quality_length += data.len() as u64;
        if self.quality_length > self.sequence_length {
            return Err(self.error(
                ctx,
                line,
                format!(
                    "quality is longer than the sequence ({} > {} characters)",
                    self.quality_length, self.sequence_length
                ),
            ));
        }
        let totals = &mut self.totals;
        totals.quality_sum += sum;
        totals.q20 += q20;
        totals.q30 += q30;
        if end_of_line && self.quality_length == self.sequence_length {
            totals.bases += self.sequence_length;
            totals.min_length = Some(
                totals
                    .min_length
                    .map_or(self.sequence_length, |m| m.min(self.sequence_length)),
            );
            totals.max_length = totals.max_length.max(self.sequence_length);
            self.state = State::Title;
        }
        Ok(())
    }

    fn finish(&self, line: u64, ctx: &mut Context<'_>) -> Result<(), Failure> {
        let cut = match self.state {
            State::Title if self.at_line_start => None,
            State::Title | State::Sequence => {
                Some("the file ends before the record's '+' line".to_owned())
            }
            State::Plus => Some("the file ends in the record's '+' line".to_owned()),
            State::Quality => Some(format!(
                "the file ends inside the record's quality ({} of {} characters)",
                self.quality_length, self.sequence_length
            )),
        };
        if let Some(what) = cut {
            return Err(self.error(ctx, line, format!("truncated record: {what}")));
        }
        if let Some(blank) = self.blank_line {
            ctx.warn(Diagnostic::at_line(
                "blank lines at the end of the file",
                None,
                blank,
            ));
        }
        Ok(())
    }

    fn stats(&self, reads: u64) -> FastqStats {
        let t = &self.totals;
        let per_base = |count: u64| {
            if t.bases == 0 {
                0.0
            } else {
                count as f64 / t.bases as f64
            }
        };
        FastqStats {
            reads,
            bases: t.bases,
            min_length: t.min_length.unwrap_or(0),
            max_length: t.max_length,
            mean_length: if reads == 0 {
                0.0
            } else {
                t.bases as f64 / reads as f64
            },
            gc_fraction: per_base(t.gc),
            n_fraction: per_base(t.n),
            mean_quality: if t.bases == 0 {
                0.0
            } else {
                (t.quality_sum - PHRED_OFFSET * t.bases) as f64 / t.bases as f64
            },
            q20_fraction: per_base(t.q20),
            q30_fraction: per_base(t.q30),
        }
    }
}

/// Checks quality characters and sums them in one pass the compiler vectorises (8- and 16-bit
/// lanes over chunks of 255 bytes): (any invalid, sum of bytes, count ≥ Q20, count ≥ Q30).
fn quality_counts(data: &[u8]) -> (bool, u64, u64, u64) {
    const Q20: u8 = 20 + QUALITY_MIN;
    const Q30: u8 = 30 + QUALITY_MIN;
    let (mut bad, mut sum, mut q20, mut q30) = (false, 0u64, 0u64, 0u64);
    // Within 255 bytes, 8-bit counts and a 16-bit sum (≤ 255 × 255) cannot overflow.
    for chunk in data.chunks(255) {
        let (mut chunk_bad, mut chunk_sum, mut chunk_q20, mut chunk_q30) = (0u8, 0u16, 0u8, 0u8);
        for &b in chunk {
            chunk_bad |= u8::from(b.wrapping_sub(QUALITY_MIN) > QUALITY_MAX - QUALITY_MIN);
            chunk_sum += u16::from(b);
            chunk_q20 += u8::from(b >= Q20);
            chunk_q30 += u8::from(b >= Q30);
        }
        bad |= chunk_bad != 0;
        sum += u64::from(chunk_sum);
        q20 += u64::from(chunk_q20);
        q30 += u64::from(chunk_q30);
    }
    (bad, sum, q20, q30)
}

/// The start of a line, quoted, for messages.
pub(crate) fn shown_line(data: &[u8]) -> String {
    const SHOWN: usize = 40;
    let text = String::from_utf8_lossy(&data[..data.len().min(SHOWN)]);
    if data.len() > SHOWN {
        format!("{text:?}…")
    } else {
        format!("{text:?}")
    }
}
