//! BAM (decoded from BGZF by the pipeline): magic, the SAM text header (checked like SAM's), the
//! binary reference dictionary (which must match the text's `@SQ` lines), then records framed by
//! noodles and checked field by field.

use std::io::{self, BufRead, Read};

use noodles::{
    bam,
    sam::{
        self,
        alignment::record::{
            cigar::op::Kind,
            data::field::{Value, value::Array},
        },
    },
};

use super::{
    AlignmentStats,
    header::{Header, HeaderChecker, MAX_POSITION, Reference},
    record::{
        Alignment, AuxType, CigarChecker, CigarSummary, CoordinateOrder, RecordState,
        check_alignment,
    },
    syntax::{TagName, check_query_name, is_reference_name, is_tag, shown},
};
use crate::{
    context::Context,
    diagnostic::{Diagnostic, Failure},
    text::{DEFAULT_MAX_LINE_BYTES, LineReader},
};

/// Counts the decoded bytes read, and remembers whether the stream below failed (so a BGZF error
/// is reported as such, not as a corrupt record).
pub(super) struct Counting<R> {
    inner: R,
    pub offset: u64,
    pub failed: bool,
    /// While `Some`, keeps up to [`CAPTURE_LIMIT`] of the bytes consumed (a CRAM container).
    pub capture: Option<Vec<u8>>,
    /// Bytes handed back with [`Counting::unread`], served before the inner reader's.
    pending: Vec<u8>,
    pending_position: usize,
}

/// Bytes kept by [`Counting::capture`]: a whole CRAM container of the largest size accepted.
const CAPTURE_LIMIT: usize = (256 << 20) + 4096;

impl<R> Counting<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            failed: false,
            capture: None,
            pending: Vec::new(),
            pending_position: 0,
        }
    }

    /// Hands back bytes just read, so the next reads return them again.
    pub(super) fn unread(&mut self, bytes: &[u8]) {
        self.pending.clear();
        self.pending.extend_from_slice(bytes);
        self.pending_position = 0;
        self.offset -= bytes.len() as u64;
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        crate::reading::read_from_buffer(self, buf)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pending_position < self.pending.len() {
            return Ok(&self.pending[self.pending_position..]);
        }
        match self.inner.fill_buf() {
            Ok(buf) => Ok(buf),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    fn consume(&mut self, amt: usize) {
        self.offset += amt as u64;
        if self.pending_position < self.pending.len() {
            let taken = &self.pending[self.pending_position..self.pending_position + amt];
            if let Some(capture) = self.capture.as_mut() {
                let wanted = CAPTURE_LIMIT.saturating_sub(capture.len()).min(amt);
                capture.extend_from_slice(&taken[..wanted]);
            }
            self.pending_position += amt;
            return;
        }
        if let Some(capture) = self.capture.as_mut() {
            let wanted = CAPTURE_LIMIT.saturating_sub(capture.len()).min(amt);
            if wanted > 0 {
                // The bytes being consumed are still at the front of the inner buffer.
                if let Ok(buf) = self.inner.fill_buf() {
                    capture.extend_from_slice(&buf[..wanted.min(buf.len())]);
                }
            }
        }
        self.inner.consume(amt);
    }
}

/// Turns an error met while reading structure at `offset` into a failure: the stream's own errors
/// pass through, anything else means the content is damaged.
pub(super) fn structure_error<R>(
    reader: &Counting<R>,
    error: io::Error,
    what: &str,
    record: Option<u64>,
    offset: u64,
) -> Failure {
    if reader.failed {
        return Failure::Io(error);
    }
    let message = if error.kind() == io::ErrorKind::UnexpectedEof {
        format!("{what} is cut short: the file is truncated")
    } else {
        format!("{what} is corrupt: {error}")
    };
    Failure::Invalid(Diagnostic::at_offset(message, record, offset))
}

fn read_u32<R: BufRead>(reader: &mut Counting<R>, what: &str) -> Result<u32, Failure> {
    let offset = reader.offset;
    let mut buf = [0; 4];
    reader
        .read_exact(&mut buf)
        .map_err(|e| structure_error(reader, e, what, None, offset))?;
    Ok(u32::from_le_bytes(buf))
}

/// Validates decoded BAM from `reader`.
pub(crate) fn validate<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    let mut reader = Counting::new(reader);
    let mut magic = [0; 4];
    reader
        .read_exact(&mut magic)
        .map_err(|e| structure_error(&reader, e, "the BAM magic number", None, 0))?;
    if &magic != b"BAM\x01" {
        return Err(Diagnostic::at_offset(
            format!(
                "not BAM: the decompressed data starts with {}, not BAM\\1",
                shown(&magic)
            ),
            None,
            0,
        )
        .into());
    }
    let mut header = read_text_header(&mut reader, ctx)?;
    read_reference_dictionary(&mut reader, &mut header)?;

    let mut stats = AlignmentStats::default();
    let mut state = RecordState {
        order: CoordinateOrder::new(&header),
        ..RecordState::default()
    };
    // BAM records resolve reference IDs without the noodles header.
    let no_header = sam::Header::default();
    let mut record = bam::Record::default();
    let mut frame = Vec::new();
    loop {
        let offset = reader.offset;
        let number = ctx.records + 1;
        if !read_frame(&mut reader, &mut frame, number)? {
            break;
        }
        // noodles decodes the record from the frame read (and bounded) here.
        bam::io::Reader::from(&frame[..])
            .read_record(&mut record)
            .map_err(|e| {
                Diagnostic::at_offset(format!("the record is corrupt: {e}"), Some(number), offset)
            })?;
        ctx.records = number;
        let mut warnings = Vec::new();
        let outcome = check_name_terminator(&frame[4..])
            .and_then(|()| bam_quality(&record))
            .and_then(|quality| {
                check_record(
                    &record,
                    &no_header,
                    quality,
                    &header,
                    &mut state,
                    &mut stats,
                    &mut |w| warnings.push(w),
                )
            });
        for message in warnings {
            ctx.warn(Diagnostic::at_offset(message, Some(number), offset));
        }
        outcome.map_err(|message| Diagnostic::at_offset(message, Some(number), offset))?;
    }
    stats.references = header.references.len() as u64;
    stats.sort_order = header.sort_order.unwrap_or_else(|| "unknown".to_owned());
    Ok(stats)
}

/// The largest record accepted, like the cap on a SAM line: a bound on memory for a corrupt
/// `block_size`.
const MAX_RECORD_BYTES: usize = DEFAULT_MAX_LINE_BYTES;

/// Reads one record's `block_size` and bytes into `frame` (both); `false` at the end of the data.
fn read_frame<R: BufRead>(
    reader: &mut Counting<R>,
    frame: &mut Vec<u8>,
    number: u64,
) -> Result<bool, Failure> {
    let offset = reader.offset;
    if reader.fill_buf().map_err(Failure::Io)?.is_empty() {
        return Ok(false);
    }
    let mut size_bytes = [0; 4];
    reader
        .read_exact(&mut size_bytes)
        .map_err(|e| structure_error(reader, e, "the record", Some(number), offset))?;
    let block_size = u32::from_le_bytes(size_bytes);
    let size = block_size as usize;
    if size > MAX_RECORD_BYTES {
        return Err(Diagnostic::at_offset(
            format!("the record's block_size is {block_size} bytes, more than the {MAX_RECORD_BYTES}-byte limit for one record: the data is corrupt"),
            Some(number),
            offset,
        )
        .into());
    }
    frame.clear();
    frame.extend_from_slice(&block_size.to_le_bytes());
    frame.resize(4 + size, 0);
    reader
        .read_exact(&mut frame[4..])
        .map_err(|e| structure_error(reader, e, "the record", Some(number), offset))?;
    Ok(true)
}

/// Reads `l_text` and the SAM header text (NUL padding allowed at its end) and checks it.
fn read_text_header<R: BufRead>(
    reader: &mut Counting<R>,
    ctx: &mut Context<'_>,
) -> Result<Header, Failure> {
    let length = read_u32(reader, "the header length")?;
    let start = reader.offset;
    let mut checker = HeaderChecker::default();
    let mut text = LineReader::new(reader.by_ref().take(u64::from(length)));
    let mut line = Vec::new();
    let mut padding = false;
    loop {
        let line_offset = start + text.offset();
        let more = text.read_line(&mut line, DEFAULT_MAX_LINE_BYTES)?;
        if !more {
            break;
        }
        let content = match line.iter().position(|&b| b == 0) {
            Some(nul) => {
                if !line[nul..].iter().all(|&b| b == 0) || (padding && nul > 0) {
                    return Err(Diagnostic::at_offset(
                        "the header text has data after its NUL padding",
                        None,
                        line_offset,
                    )
                    .into());
                }
                padding = true;
                &line[..nul]
            }
            None if padding => {
                return Err(Diagnostic::at_offset(
                    "the header text has data after its NUL padding",
                    None,
                    line_offset,
                )
                .into());
            }
            None => &line[..],
        };
        if content.is_empty() && padding {
            continue;
        }
        checker.check_binary_line(content, line_offset, ctx)?;
    }
    let read = text.offset();
    if read < u64::from(length) {
        return Err(structure_error(
            reader,
            io::Error::from(io::ErrorKind::UnexpectedEof),
            "the header text",
            None,
            start,
        ));
    }
    checker.finish().map_err(|e| {
        Diagnostic::at_offset(
            format!("header line {}: {}", e.line, e.message),
            None,
            start,
        )
        .into()
    })
}

/// Reads `n_ref` references; they must match the text's `@SQ` lines when there are any.
fn read_reference_dictionary<R: BufRead>(
    reader: &mut Counting<R>,
    header: &mut Header,
) -> Result<(), Failure> {
    let count = read_u32(reader, "the reference count")?;
    if header.has_sq_lines && count as usize != header.references.len() {
        return Err(Diagnostic::at_offset(
            format!(
                "the binary reference dictionary has {count} references but the header text has {} @SQ lines",
                header.references.len()
            ),
            None,
            reader.offset - 4,
        )
        .into());
    }
    let mut name = Vec::new();
    for index in 0..count as usize {
        let offset = reader.offset;
        let name_length = read_u32(reader, "a reference name length")?;
        if name_length == 0 || name_length as usize > DEFAULT_MAX_LINE_BYTES {
            return Err(Diagnostic::at_offset(
                format!("reference {} has a name length of {name_length}", index + 1),
                None,
                offset,
            )
            .into());
        }
        name.resize(name_length as usize, 0);
        reader
            .read_exact(&mut name)
            .map_err(|e| structure_error(reader, e, "a reference name", None, offset))?;
        if name.pop() != Some(0) || name.contains(&0) || !is_reference_name(&name) {
            return Err(Diagnostic::at_offset(
                format!(
                    "reference {} name {} is not a NUL-terminated valid reference name",
                    index + 1,
                    shown(&name)
                ),
                None,
                offset,
            )
            .into());
        }
        let length = u64::from(read_u32(reader, "a reference length")?);
        if !(1..=MAX_POSITION).contains(&length) {
            return Err(Diagnostic::at_offset(
                format!(
                    "reference {} length {length} is not in 1..2147483647",
                    shown(&name)
                ),
                None,
                offset,
            )
            .into());
        }
        let reference = Reference {
            name: name.clone(),
            length,
        };
        if header.has_sq_lines {
            if header.references[index] != reference {
                return Err(Diagnostic::at_offset(
                    format!(
                        "binary reference {} ({}, length {length}) differs from @SQ line {} ({}, LN {})",
                        index + 1,
                        shown(&name),
                        index + 1,
                        shown(&header.references[index].name),
                        header.references[index].length
                    ),
                    None,
                    offset,
                )
                .into());
            }
        } else {
            if header.reference_index.insert(name.clone(), index).is_some() {
                return Err(Diagnostic::at_offset(
                    format!("reference {} is listed twice", shown(&name)),
                    None,
                    offset,
                )
                .into());
            }
            header.references.push(reference);
        }
    }
    Ok(())
}

fn reference_id(
    field: &str,
    id: Option<io::Result<usize>>,
    header: &Header,
) -> Result<Option<usize>, String> {
    match id {
        None => Ok(None),
        Some(Ok(id)) if id < header.references.len() => Ok(Some(id)),
        Some(Ok(id)) => Err(format!(
            "{field} is reference #{id}, but the header has {} references",
            header.references.len()
        )),
        Some(Err(e)) => Err(format!("{field} is invalid: {e}")),
    }
}

fn position(
    field: &str,
    position: Option<io::Result<noodles::core::Position>>,
) -> Result<u64, String> {
    match position {
        None => Ok(0),
        Some(Ok(p)) if (usize::from(p) as u64) <= MAX_POSITION => Ok(usize::from(p) as u64),
        Some(Ok(p)) => Err(format!("{field} {p} is beyond 2147483647")),
        Some(Err(e)) => Err(format!("{field} is invalid: {e}")),
    }
}

fn op_code(kind: Kind) -> u8 {
    match kind {
        Kind::Match => b'M',
        Kind::Insertion => b'I',
        Kind::Deletion => b'D',
        Kind::Skip => b'N',
        Kind::SoftClip => b'S',
        Kind::HardClip => b'H',
        Kind::Pad => b'P',
        Kind::SequenceMatch => b'=',
        Kind::SequenceMismatch => b'X',
    }
}

/// `read_name` must be at least one character and its NUL terminator (`l_read_name` counts it).
fn check_name_terminator(record: &[u8]) -> Result<(), String> {
    const NAME_LENGTH: usize = 8;
    const NAME_START: usize = 32;
    let length = usize::from(record.get(NAME_LENGTH).copied().unwrap_or(0));
    match record.get(NAME_START..NAME_START + length) {
        Some([_, .., 0]) => Ok(()),
        _ => Err(format!(
            "read_name (l_read_name {length}) is not a name followed by its NUL terminator"
        )),
    }
}

/// The quality scores of a BAM record: `None` when missing (all 0xff).
fn bam_quality(record: &bam::Record) -> Result<Option<u64>, String> {
    let quality = record.quality_scores().as_bytes();
    // Branch-free passes (they vectorise); the per-score check only when one is out of range.
    let all_missing = quality.iter().fold(true, |all, &q| all & (q == 0xff));
    if all_missing {
        return Ok(None);
    }
    if quality.iter().fold(0, |max, &q| max.max(q)) > 93 {
        check_quality_scores(quality.iter().map(|&q| Ok(q)))?;
    }
    Ok(Some(quality.len() as u64))
}

/// Quality scores must fit SAM's printable range (0..93).
pub(super) fn check_quality_scores(
    scores: impl Iterator<Item = io::Result<u8>>,
) -> Result<(), String> {
    for score in scores {
        let score = score.map_err(|e| format!("quality scores are corrupt: {e}"))?;
        if score > 93 {
            return Err(format!(
                "quality score {score} is above 93, the highest SAM can write"
            ));
        }
    }
    Ok(())
}

/// Checks a record decoded by noodles (BAM or CRAM); `quality_length` is `None` when QUAL is
/// missing.
pub(super) fn check_record(
    record: &dyn sam::alignment::Record,
    noodles_header: &sam::Header,
    quality_length: Option<u64>,
    header: &Header,
    state: &mut RecordState,
    stats: &mut AlignmentStats,
    warn: &mut dyn FnMut(String),
) -> Result<(), String> {
    if let Some(name) = record.name() {
        check_query_name(name)?;
    }
    let flags = record
        .flags()
        .map_err(|e| format!("FLAG is invalid: {e}"))?;
    let reference = reference_id(
        "the reference",
        record.reference_sequence_id(noodles_header),
        header,
    )?;
    let mate_reference = reference_id(
        "the mate reference",
        record.mate_reference_sequence_id(noodles_header),
        header,
    )?;
    let alignment_position = position("POS", record.alignment_start())?;
    let mate_position = position("PNEXT", record.mate_alignment_start())?;
    let template_length = record
        .template_length()
        .map_err(|e| format!("TLEN is invalid: {e}"))?;
    if template_length == i32::MIN {
        return Err("TLEN -2147483648 is out of range".to_owned());
    }
    let sequence_length = record.sequence().len() as u64;

    state.aux.start_record();
    let mut long_cigar = None;
    for field in record.data().iter() {
        let (tag, value) = field.map_err(|e| format!("optional fields are corrupt: {e}"))?;
        let tag: [u8; 2] = *tag.as_ref();
        if !is_tag(&tag) {
            return Err(format!(
                "optional field tag {} is not [A-Za-z][A-Za-z0-9]",
                shown(&tag)
            ));
        }
        let name = TagName(tag);
        let (ty, string) = match &value {
            Value::Character(c) => {
                if !c.is_ascii_graphic() {
                    return Err(format!(
                        "{name}:A value 0x{c:02x} is not a printable character"
                    ));
                }
                (AuxType::Character, None)
            }
            Value::Int8(_)
            | Value::UInt8(_)
            | Value::Int16(_)
            | Value::UInt16(_)
            | Value::Int32(_)
            | Value::UInt32(_) => (AuxType::Integer, None),
            Value::Float(f) => {
                if !f.is_finite() {
                    return Err(format!("{name}:f value {f} is not a finite number"));
                }
                (AuxType::Float, None)
            }
            Value::String(s) => {
                if let Some(&b) = s.iter().find(|&&b| !(b' '..=b'~').contains(&b)) {
                    return Err(format!(
                        "{name}:Z value holds byte 0x{b:02x}: Z strings are printable ASCII or space"
                    ));
                }
                (AuxType::String, Some(s.as_ref()))
            }
            Value::Hex(h) => {
                if h.len() % 2 != 0 || !h.iter().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F')) {
                    return Err(format!(
                        "{name}:H value {} is not an even number of upper-case hexadecimal digits",
                        shown(h)
                    ));
                }
                (AuxType::Hex, None)
            }
            Value::Array(array) => {
                let subtype = match array {
                    Array::Int8(_) => b'c',
                    Array::UInt8(_) => b'C',
                    Array::Int16(_) => b's',
                    Array::UInt16(_) => b'S',
                    Array::Int32(_) => b'i',
                    Array::UInt32(values) => {
                        if &tag == b"CG" {
                            long_cigar = Some(
                                values
                                    .iter()
                                    .collect::<io::Result<Vec<u32>>>()
                                    .map_err(|e| format!("CG array is corrupt: {e}"))?,
                            );
                        }
                        b'I'
                    }
                    Array::Float(values) => {
                        for value in values.iter() {
                            let value =
                                value.map_err(|e| format!("{name}:B:f array is corrupt: {e}"))?;
                            if !value.is_finite() {
                                return Err(format!(
                                    "{name}:B:f holds {value}, not a finite number"
                                ));
                            }
                        }
                        b'f'
                    }
                };
                (AuxType::Array(subtype), None)
            }
        };
        state.aux.field(tag, ty, string, header, warn)?;
    }

    let cigar = check_cigar(record, long_cigar.as_deref(), sequence_length)?;
    let alignment = Alignment {
        flags: flags.bits(),
        reference,
        position: alignment_position,
        mate_reference,
        mate_position,
        sequence_length: (sequence_length > 0).then_some(sequence_length),
        quality_length: if sequence_length == 0 {
            None
        } else {
            quality_length
        },
    };
    check_alignment(&alignment, &cigar, header, &mut state.order, stats, warn)
}

/// The CIGAR, or the real one kept in `CG:B:I` when it has more than 65535 operations (SAMv1
/// §4.2.2: the record then holds `<l_seq>S<ref length>N`).
fn check_cigar(
    record: &dyn sam::alignment::Record,
    long_cigar: Option<&[u32]>,
    sequence_length: u64,
) -> Result<CigarSummary, String> {
    let mut checker = CigarChecker::default();
    let mut ops = Vec::with_capacity(2);
    for op in record.cigar().iter() {
        let op = op.map_err(|e| format!("CIGAR is corrupt: {e}"))?;
        if ops.len() < 3 {
            ops.push((op_code(op.kind()), op.len() as u64));
        }
        checker.push(op_code(op.kind()), op.len() as u64)?;
    }
    if let Some(real) = long_cigar {
        let placeholder = matches!(ops.as_slice(), [(b'S', k), (b'N', _)] if *k == sequence_length);
        if placeholder {
            let mut checker = CigarChecker::default();
            for &raw in real {
                let op = *b"MIDNSHP=X".get((raw & 0xf) as usize).ok_or_else(|| {
                    format!("CG holds CIGAR operation code {}, not 0..8", raw & 0xf)
                })?;
                checker.push(op, u64::from(raw >> 4))?;
            }
            return Ok(checker.finish());
        }
    }
    Ok(checker.finish())
}
