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
    alphabet::{Alphabet, count_bases},
    context::Context,
    diagnostic::{Diagnostic, Failure},
    lanes::{self, LANES, LaneCounter},
    shown::shown_byte,
    text::{DEFAULT_MAX_LINE_BYTES, LineReader},
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

impl Totals {
    /// Counts a complete read of `length` bases into the lengths.
    fn add_read(&mut self, length: u64) {
        self.bases += length;
        self.min_length = Some(self.min_length.map_or(length, |m| m.min(length)));
        self.max_length = self.max_length.max(length);
    }
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
    let mut parser = Parser::new();
    loop {
        // Most records lie whole in the buffer and are checked in place; a record that straddles
        // the buffer's end, and any record the fast path does not accept as it is (wrapped lines,
        // errors, blank lines), goes through the line-piece state machine below, which holds every
        // rule and says what is wrong.
        if parser.at_record_start()
            && let Some(buffer) = lines.buffered_lines()?
        {
            let (bytes, records) = parser.whole_records(buffer);
            if records > 0 {
                ctx.records += records;
                lines.skip_whole_lines(bytes, records * LINES_PER_RECORD);
                continue;
            }
        }
        let Some(piece) = lines.next_piece()? else {
            break;
        };
        let line = piece.line;
        parser.piece(piece.data, piece.end_of_line, line, ctx)?;
    }
    parser.finish(lines.line(), ctx)?;
    Ok(parser.stats(ctx.records))
}

/// Lines of a record whose sequence and quality are not wrapped.
const LINES_PER_RECORD: u64 = 4;

/// A record's four lines found in place, without their line terminators.
struct WholeRecord<'a> {
    title: &'a [u8],
    sequence: &'a [u8],
    plus: &'a [u8],
    quality: &'a [u8],
    /// Bytes of the record with its line terminators.
    len: usize,
}

/// The line at the start of `buf` without its terminator (`\n` or `\r\n`), and the length with
/// it; `None` when the line does not end inside `buf`.
fn whole_line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let end = memchr::memchr(b'\n', buf)?;
    let line = &buf[..end];
    Some((line.strip_suffix(b"\r").unwrap_or(line), end + 1))
}

impl<'a> WholeRecord<'a> {
    /// A four-line record at the start of `buf`, if it ends inside `buf`.
    fn find(buf: &'a [u8]) -> Option<Self> {
        let (title, title_len) = whole_line(buf)?;
        let rest = &buf[title_len..];
        let (sequence, sequence_len) = whole_line(rest)?;
        let rest = &rest[sequence_len..];
        let (plus, plus_len) = whole_line(rest)?;
        let rest = &rest[plus_len..];
        // A single quality line is as long as the sequence: look for its end there rather than
        // searching for it.
        let quality = rest.get(..sequence.len())?;
        let terminator = match rest.get(sequence.len())? {
            b'\n' => 1,
            b'\r' if rest.get(sequence.len() + 1) == Some(&b'\n') => 2,
            _ => return None,
        };
        Some(Self {
            title,
            sequence,
            plus,
            quality,
            len: title_len + sequence_len + plus_len + sequence.len() + terminator,
        })
    }
}

impl Parser {
    fn new() -> Self {
        Self {
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
        }
    }

    /// Whether the parser stands where a record may start, with nothing pending.
    fn at_record_start(&self) -> bool {
        self.state == State::Title && self.at_line_start && self.blank_line.is_none()
    }

    /// Checks and counts the records lying whole at the start of `buf` for as long as they are
    /// plainly valid (four lines, nothing the line-piece path would flag or treat specially);
    /// returns the bytes and the number of records passed.
    fn whole_records(&mut self, buf: &[u8]) -> (usize, u64) {
        let (mut passed, mut records) = (0, 0);
        while let Some(record) = WholeRecord::find(&buf[passed..]) {
            if !self.count_whole_record(&record) {
                break;
            }
            passed += record.len;
            records += 1;
        }
        (passed, records)
    }

    /// Counts a record into the totals if it is plainly valid; `false` (nothing counted) if the
    /// line-piece path must look at it.
    fn count_whole_record(&mut self, record: &WholeRecord<'_>) -> bool {
        let Some(title) = record.title.strip_prefix(b"@") else {
            return false;
        };
        let Some(plus_title) = record.plus.strip_prefix(b"+") else {
            return false;
        };
        // An empty sequence, or a sequence line that is the '+' line, takes the general path.
        if record.sequence.first().is_none_or(|&b| b == b'+')
            || (!plus_title.is_empty() && plus_title != title)
            || title.len() > DEFAULT_MAX_LINE_BYTES
            || memchr::memchr2(b'\r', 0, title).is_some()
        {
            return false;
        }
        let Ok(bases) = count_bases(record.sequence, Alphabet::Nucleotides) else {
            return false;
        };
        let (bad, sum, q20, q30) = quality_counts(record.quality);
        if bad {
            return false;
        }
        let length = record.sequence.len() as u64;
        let totals = &mut self.totals;
        totals.gc += bases.gc;
        totals.n += bases.n;
        totals.quality_sum += sum;
        totals.q20 += q20;
        totals.q30 += q30;
        totals.add_read(length);
        true
    }

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
                        "expected a title line starting with '@', found a line starting with {}",
                        data.first().map_or_else(String::new, |&b| shown_byte(b))
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
        // The first problem by position, whatever pieces the line arrived in: a bad character
        // within the sequence's length, else a character too many.
        let room =
            usize::try_from(self.sequence_length - self.quality_length).unwrap_or(usize::MAX);
        let within = &data[..data.len().min(room)];
        let (bad, sum, q20, q30) = quality_counts(within);
        if bad {
            let i = within
                .iter()
                .position(|&b| !(QUALITY_MIN..=QUALITY_MAX).contains(&b))
                .unwrap_or_default();
            return Err(self.error(
                ctx,
                line,
                format!(
                    "invalid quality character {} at column {}: qualities are '!' to '~'",
                    shown_byte(within[i]),
                    self.column + i as u64 + 1
                ),
            ));
        }
        if within.len() < data.len() {
            return Err(self.error(
                ctx,
                line,
                format!(
                    "quality is longer than the sequence ({} characters): one too many at column {}",
                    self.sequence_length,
                    self.column + room as u64 + 1
                ),
            ));
        }
        self.column += data.len() as u64;
        self.quality_length += data.len() as u64;
        let totals = &mut self.totals;
        totals.quality_sum += sum;
        totals.q20 += q20;
        totals.q30 += q30;
        if end_of_line && self.quality_length == self.sequence_length {
            totals.add_read(self.sequence_length);
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

/// Checks quality characters and counts them in one pass over 16-lane blocks (see [`lanes`]):
/// (any invalid, sum of bytes, count >= Q20, count >= Q30).
fn quality_counts(data: &[u8]) -> (bool, u64, u64, u64) {
    let mut counter = QualityCounter::default();
    lanes::count(data, &mut counter);
    let sum = counter.score_sum + u64::from(QUALITY_MIN) * counter.kept;
    (counter.bad_seen, sum, counter.q20, counter.q30)
}

#[derive(Default)]
struct QualityCounter {
    bad: [u8; LANES],
    q20_lanes: [u8; LANES],
    q30_lanes: [u8; LANES],
    bad_seen: bool,
    /// Sum of the Phred scores.
    score_sum: u64,
    /// Characters counted.
    kept: u64,
    q20: u64,
    q30: u64,
}

impl LaneCounter for QualityCounter {
    #[inline(always)]
    fn block(&mut self, bytes: &[u8; LANES], keep: &[u8; LANES]) {
        const Q20: u8 = 20 + QUALITY_MIN;
        const Q30: u8 = 30 + QUALITY_MIN;
        // Phred scores (quality minus the offset) of the kept lanes, 0 in the others.
        let mut scores = [0u8; LANES];
        for i in 0..LANES {
            scores[i] = bytes[i].wrapping_sub(QUALITY_MIN) & keep[i];
            self.bad[i] |= u8::from(scores[i] > QUALITY_MAX - QUALITY_MIN);
            self.q20_lanes[i] += u8::from(scores[i] >= Q20 - QUALITY_MIN) & keep[i];
            self.q30_lanes[i] += u8::from(scores[i] >= Q30 - QUALITY_MIN) & keep[i];
        }
        // Summed per block (one `psadbw`): the lanes would overflow 8 bits.
        self.score_sum += lanes::sum(&scores);
        self.kept += lanes::sum(keep) / 0xFF;
    }

    #[inline(always)]
    fn fold(&mut self) {
        self.bad_seen |= u128::from_ne_bytes(self.bad) != 0;
        self.q20 += lanes::sum(&self.q20_lanes);
        self.q30 += lanes::sum(&self.q30_lanes);
        self.bad = [0; LANES];
        self.q20_lanes = [0; LANES];
        self.q30_lanes = [0; LANES];
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::BufReader;

    use proptest::{collection::vec, prelude::*, sample::select};

    use super::*;
    use crate::{diagnostic::Warnings, format::Compression, options::Options};

    /// Everything validation says about `input` read through buffers of `capacity` bytes.
    fn outcome(input: &[u8], capacity: usize) -> String {
        let options = Options::default();
        let mut ctx = Context {
            options: &options,
            warnings: Warnings::default(),
            records: 0,
            compression: Compression::None,
        };
        let result = validate(&mut BufReader::with_capacity(capacity, input), &mut ctx);
        format!(
            "{result:?}; records {}; warnings {:?}",
            ctx.records,
            ctx.warnings.into_vec()
        )
    }

    /// A record, mostly valid: optional repeated title, CRLF, wrapped lines, a quality one
    /// character short or long.
    fn record() -> impl Strategy<Value = Vec<u8>> {
        (
            vec(select(b"ab1 :/".to_vec()), 0..6),
            vec(select(b"ACGTNacgtnRY".to_vec()), 0..12),
            vec(select(b"!#5?IJ~".to_vec()), 14),
            any::<bool>(),
            any::<bool>(),
            0..4usize,
            prop_oneof![8 => Just(0isize), 1 => Just(-1isize), 1 => Just(1isize)],
        )
            .prop_map(|(title, sequence, quality, repeat, crlf, wrap, delta)| {
                let end: &[u8] = if crlf { b"\r\n" } else { b"\n" };
                let wrapped = |text: &[u8]| -> Vec<u8> {
                    if wrap == 0 || text.is_empty() {
                        return [text, end].concat();
                    }
                    text.chunks(wrap)
                        .flat_map(|line| [line, end].concat())
                        .collect()
                };
                let quality_len = sequence
                    .len()
                    .saturating_add_signed(delta)
                    .min(quality.len());
                let mut out = [b"@".as_slice(), &title, end].concat();
                out.extend(wrapped(&sequence));
                let repeated: &[u8] = if repeat { &title } else { b"" };
                out.extend([b"+".as_slice(), repeated, end].concat());
                out.extend(wrapped(&quality[..quality_len]));
                out
            })
    }

    /// Records, then a few bytes overwritten with characters that matter to FASTQ, maybe cut.
    fn input() -> impl Strategy<Value = Vec<u8>> {
        (
            vec(record(), 0..8),
            vec(
                (
                    any::<prop::sample::Index>(),
                    select(b"\n\r@+AN! ~\0\x7fR".to_vec()),
                ),
                0..3,
            ),
            prop::option::of(any::<prop::sample::Index>()),
        )
            .prop_map(|(records, damage, cut)| {
                let mut bytes = records.concat();
                if !bytes.is_empty() {
                    for (at, byte) in damage {
                        let i = at.index(bytes.len());
                        bytes[i] = byte;
                    }
                }
                if let Some(cut) = cut {
                    bytes.truncate(cut.index(bytes.len() + 1));
                }
                bytes
            })
    }

    proptest! {
        /// Records checked whole in the buffer give exactly what the line-piece path gives (a
        /// one-byte buffer never holds a whole record, so it takes that path only).
        #[test]
        fn whole_record_path_agrees_with_the_line_piece_path(input in input()) {
            let pieces = outcome(&input, 1);
            for capacity in [7, 64, 1 << 16] {
                prop_assert_eq!(&outcome(&input, capacity), &pieces, "buffer of {} bytes", capacity);
            }
        }
    }

    #[test]
    fn quality_counts_match_a_byte_by_byte_count() {
        for len in [0, 1, 15, 16, 17, 150, 151, 255 * 16 + 3, 10_000] {
            for offset in [0u8, 7, 60] {
                let mut data: Vec<u8> = (0..len)
                    .map(|i| QUALITY_MIN + ((i * 13) as u8).wrapping_add(offset) % 94)
                    .collect();
                let expected = (
                    false,
                    data.iter().map(|&b| u64::from(b)).sum(),
                    data.iter().filter(|&&b| b >= QUALITY_MIN + 20).count() as u64,
                    data.iter().filter(|&&b| b >= QUALITY_MIN + 30).count() as u64,
                );
                assert_eq!(quality_counts(&data), expected, "length {len}");
                if let Some(last) = data.last_mut() {
                    *last = b' ';
                    assert!(quality_counts(&data).0, "a space at the end of {len}");
                }
            }
        }
    }

    #[test]
    fn whole_records_are_counted_in_place() {
        let mut parser = Parser::new();
        let input = b"@r1\nACGN\n+r1\nII#!\n@r2\r\nGG\r\n+\r\n~~\r\n@r3\nAC";
        let (bytes, records) = parser.whole_records(input);
        assert_eq!((bytes, records), (34, 2));
        let totals = &parser.totals;
        assert_eq!((totals.bases, totals.gc, totals.n), (6, 4, 1));
        assert_eq!((totals.min_length, totals.max_length), (Some(2), 4));
        assert_eq!(totals.quality_sum, 2 * 73 + 35 + 33 + 2 * 126);
        assert_eq!((totals.q20, totals.q30), (4, 4));
    }
}
