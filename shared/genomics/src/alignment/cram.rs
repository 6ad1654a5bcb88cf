//! CRAM 3.x: file definition, the SAM header container (its text checked like SAM's), then
//! containers, each with a compression header and slices whose records are decoded by noodles and
//! checked like BAM records, up to the mandatory end-of-file container.
//!
//! Before noodles sees a container, `budget` checks what its blocks declare against the slice
//! memory limit, so no declared size can make the decoder allocate more than the limit.
//!
//! Records of slices that need the external reference are decoded only with `--reference`;
//! without it their container and slice structure is still read, and a warning says how many
//! records were not decoded.

mod budget;
mod legacy;

use std::{
    error::Error as StdError,
    fmt,
    io::{self, BufRead, Read},
    path::Path,
};

use noodles::{cram, fasta, sam};

use super::{
    AlignmentStats,
    bam::{Counting, check_quality_scores, check_record, structure_error},
    header::{Header, HeaderChecker},
    record::{CoordinateOrder, RecordState},
    syntax::shown,
};
use crate::{
    context::Context,
    diagnostic::{Diagnostic, Failure},
    input::EXPANSION_ALLOWANCE,
};

/// The reference sequence a slice needs is not available (no `--reference`, or not in it).
#[derive(Debug)]
struct ReferenceUnavailable(String);

impl fmt::Display for ReferenceUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reference sequence {} is not available", self.0)
    }
}

impl StdError for ReferenceUnavailable {}

fn is_reference_unavailable(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<ReferenceUnavailable>())
}

/// Serves reference sequences to noodles; a missing one is an error rather than `None`, which
/// noodles would treat as a broken invariant.
struct ReferenceAdapter {
    reader: Option<Box<dyn fasta::repository::Adapter>>,
}

impl fasta::repository::Adapter for ReferenceAdapter {
    fn get(&mut self, name: &[u8]) -> Option<io::Result<fasta::Record>> {
        let unavailable = || {
            io::Error::new(
                io::ErrorKind::NotFound,
                ReferenceUnavailable(String::from_utf8_lossy(name).into_owned()),
            )
        };
        match self.reader.as_mut() {
            None => Some(Err(unavailable())),
            Some(reader) => match reader.get(name) {
                None => Some(Err(unavailable())),
                Some(Err(e)) if e.kind() == io::ErrorKind::InvalidInput => Some(Err(unavailable())),
                found => found,
            },
        }
    }
}

/// Opens the FASTA reference, with its `.fai` index or one built now.
fn open_reference(path: &Path) -> io::Result<Box<dyn fasta::repository::Adapter>> {
    let mut index_path = path.as_os_str().to_owned();
    index_path.push(".fai");
    let builder = fasta::io::indexed_reader::Builder::default();
    let reader = if Path::new(&index_path).exists() {
        builder.build_from_path(path)?
    } else {
        let index = fasta::fs::index(path)?;
        builder.set_index(index).build_from_path(path)?
    };
    Ok(Box::new(fasta::repository::adapters::IndexedReader::new(
        reader,
    )))
}

/// Validates CRAM from `reader` (the stored bytes).
pub(crate) fn validate<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    let adapter = ReferenceAdapter {
        reader: match &ctx.options.reference {
            Some(path) => Some(open_reference(path).map_err(Failure::Reference)?),
            None => None,
        },
    };
    let has_reference = adapter.reader.is_some();
    let repository = fasta::Repository::new(adapter);

    let mut cram_reader = cram::io::Reader::new(Counting::new(reader));
    let (header, noodles_header) = read_header(&mut cram_reader, ctx)?;

    let mut stats = AlignmentStats::default();
    let mut state = RecordState {
        order: CoordinateOrder::new(&header),
        ..RecordState::default()
    };
    let mut container = cram::io::reader::Container::default();
    let mut undecoded = 0u64;
    let mut current_reference = None;
    // What the containers read so far declare (records and decoded blocks), in bytes.
    let mut declared = 0u64;
    loop {
        let offset = cram_reader.get_ref().offset;
        check_container_length(cram_reader.get_mut(), ctx.records + 1)?;
        cram_reader.get_mut().capture = Some(Vec::new());
        let outcome = cram_reader.read_container(&mut container);
        let captured = cram_reader.get_mut().capture.take().unwrap_or_default();
        let size = match outcome {
            Ok(0) => {
                // noodles stops after the EOF container's header; its block follows.
                let length = captured
                    .get(..4)
                    .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                if length == 0 {
                    // noodles also stops at an empty container, which is not the EOF container.
                    return Err(Diagnostic::at_offset(
                        "an empty container (length 0) where the end-of-file container or data was expected",
                        None,
                        offset,
                    )
                    .into());
                }
                let mut block = Vec::new();
                let offset = cram_reader.get_ref().offset;
                cram_reader
                    .get_mut()
                    .by_ref()
                    .take(u64::from(length))
                    .read_to_end(&mut block)
                    .map_err(|e| {
                        structure_error(
                            cram_reader.get_ref(),
                            e,
                            "the end-of-file container",
                            None,
                            offset,
                        )
                    })?;
                if block.len() as u64 != u64::from(length) {
                    return Err(Diagnostic::at_offset(
                        "the end-of-file container is cut short",
                        None,
                        offset,
                    )
                    .into());
                }
                break;
            }
            Ok(size) => size,
            Err(e)
                if e.kind() == io::ErrorKind::UnexpectedEof
                    && cram_reader.get_ref().offset == offset =>
            {
                return Err(Diagnostic::at_offset(
                    "the CRAM end-of-file container is missing: the file is truncated or was not closed properly",
                    None,
                    offset,
                )
                .into());
            }
            Err(e) => {
                return Err(structure_error(
                    cram_reader.get_ref(),
                    e,
                    "the container",
                    Some(ctx.records + 1),
                    offset,
                ));
            }
        };
        let container_header = container.header();
        let expected = container_header.record_count() as u64;
        let landmarks = container_header.landmarks();
        if landmarks.windows(2).any(|w| w[0] > w[1]) || landmarks.iter().any(|&l| l > size) {
            return Err(Diagnostic::at_offset(
                format!("the container's slice offsets {landmarks:?} do not fit its {size} bytes"),
                Some(ctx.records + 1),
                offset,
            )
            .into());
        }
        if let Some((id, end)) = container_reference(&captured) {
            if id >= header.references.len() {
                return Err(Diagnostic::at_offset(
                    format!(
                        "the container is on reference #{id}, but the header has {} references",
                        header.references.len()
                    ),
                    Some(ctx.records + 1),
                    offset,
                )
                .into());
            }
            if has_reference {
                if current_reference != Some(id) {
                    // Keep one reference sequence in memory at a time (containers come sorted).
                    repository.clear();
                    current_reference = Some(id);
                }
                check_reference_span(&repository, &header, id, end)?;
            }
        }
        let data = captured
            .get(captured.len().saturating_sub(size)..)
            .unwrap_or_default();
        let cost = budget::check_container(data, landmarks, ctx.options.max_slice_bytes)
            .map_err(|message| Diagnostic::at_offset(message, Some(ctx.records + 1), offset))?;
        // Decoding work must stay proportional to the file, like decompression: a few bytes of
        // rANS can declare hundreds of MiB, container after container.
        declared = declared.saturating_add(cost);
        let stored = offset + captured.len() as u64;
        let allowed = stored
            .saturating_mul(ctx.options.max_expansion)
            .saturating_add(EXPANSION_ALLOWANCE);
        if declared > allowed {
            return Err(Diagnostic::at_offset(
                format!(
                    "the containers up to here declare {} of records and decoded blocks in {stored} stored bytes, more than {} times the stored size (--max-expansion)",
                    budget::mib(declared),
                    ctx.options.max_expansion
                ),
                Some(ctx.records + 1),
                offset,
            )
            .into());
        }
        check_slice_headers(
            data,
            landmarks,
            &header,
            has_reference.then_some(&repository),
        )
        .map_err(|failure| match failure {
            Failure::Invalid(diagnostic) => Failure::Invalid(Diagnostic::at_offset(
                diagnostic.message,
                Some(ctx.records + 1),
                offset,
            )),
            other => other,
        })?;
        // Empty HUFFMAN tables are rewritten to fail cleanly when read (see the budget module);
        // the compression header is then read from the rewritten bytes.
        let rewritten =
            budget::disarm_empty_huffman(&captured, captured.len().saturating_sub(size));
        let has_empty_huffman = rewritten.is_some();
        let compression_header = match rewritten {
            Some(rewritten) => {
                let mut reread = cram::io::reader::Container::default();
                cram::io::Reader::new(&rewritten[..])
                    .read_container(&mut reread)
                    .and_then(|_| reread.compression_header())
            }
            None => container.compression_header(),
        }
        .map_err(|e| {
            Diagnostic::at_offset(
                format!("the compression header is corrupt: {e}"),
                Some(ctx.records + 1),
                offset,
            )
        })?;
        if let Some(problem) = unsupported_encoding(&compression_header) {
            return Err(Diagnostic::at_offset(problem, Some(ctx.records + 1), offset).into());
        }
        let mut decoded = 0u64;
        let mut skipped_slices = false;
        for slice in container.slices() {
            let corrupt = |e: io::Error, records: u64| {
                Diagnostic::at_offset(
                    format!("a slice is corrupt: {e}"),
                    Some(records + 1),
                    offset,
                )
            };
            let slice = slice.map_err(|e| corrupt(e, ctx.records))?;
            let (core, external) = slice.decode_blocks().map_err(|e| corrupt(e, ctx.records))?;
            let records = match slice.records(
                repository.clone(),
                &noodles_header,
                &compression_header,
                &core,
                &external,
            ) {
                Err(e)
                    if has_empty_huffman
                        && e.to_string().contains(&format!(
                            "missing external block: {}",
                            budget::NO_SUCH_BLOCK
                        )) =>
                {
                    return Err(Diagnostic::at_offset(
                        "a record reads a data series whose HUFFMAN table in the compression header has no symbols",
                        Some(ctx.records + 1),
                        offset,
                    )
                    .into());
                }
                Ok(records) => records,
                Err(e) if is_reference_unavailable(&e) => {
                    if has_reference {
                        return Err(Failure::Reference(e));
                    }
                    skipped_slices = true;
                    continue;
                }
                Err(e)
                    if has_reference
                        && e.to_string()
                            .starts_with("reference sequence checksum mismatch") =>
                {
                    // The slice records the MD5 of the reference it was written against.
                    return Err(Failure::Reference(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "it is not the reference this CRAM was written with (a slice's reference MD5 differs near record {})",
                            ctx.records + 1
                        ),
                    )));
                }
                Err(e) => return Err(corrupt(e, ctx.records).into()),
            };
            for record in &records {
                ctx.records += 1;
                decoded += 1;
                let number = ctx.records;
                let mut warnings = Vec::new();
                let quality = cram_quality(record);
                let outcome = quality.and_then(|quality| {
                    check_record(
                        record,
                        &noodles_header,
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
        }
        if skipped_slices {
            let missing = expected.saturating_sub(decoded);
            undecoded += missing;
            ctx.records += missing;
            stats.records += missing;
        } else if decoded != expected {
            return Err(Diagnostic::at_offset(
                format!("the container header announces {expected} records but its slices hold {decoded}"),
                Some(ctx.records),
                offset,
            )
            .into());
        }
    }
    let end = cram_reader.get_ref().offset;
    let trailing = cram_reader
        .get_mut()
        .fill_buf()
        .map(|rest| !rest.is_empty());
    if trailing.map_err(Failure::Io)? {
        // Decoders stop at the end-of-file container, so what follows is never read.
        ctx.warn(Diagnostic::at_offset(
            "data follows the CRAM end-of-file container and is ignored",
            None,
            end,
        ));
    }
    if undecoded > 0 {
        ctx.warn(Diagnostic::new(format!(
            "{undecoded} records were not decoded fully without --reference: their slices need the external reference, so only the container and slice structure was checked and their flags are not in the statistics"
        )));
    }
    stats.references = header.references.len() as u64;
    stats.sort_order = header.sort_order.unwrap_or_else(|| "unknown".to_owned());
    Ok(stats)
}

/// Largest HUFFMAN table accepted: noodles rebuilds the table for every value it decodes, so a
/// large one turns a small file into hours of work. Encoders use HUFFMAN for a handful of symbols
/// (most often one: a constant).
const MAX_HUFFMAN_SYMBOLS: usize = 1024;

/// Why the compression header's encodings cannot be decoded, if they cannot: the integer
/// encodings noodles does not implement (it would panic on the first record: GOLOMB and
/// GOLOMB_RICE are obsolete since CRAM 3.0, SUBEXP is rarely written), and HUFFMAN tables it
/// would panic or stall on.
fn unsupported_encoding(header: &cram::container::CompressionHeader) -> Option<String> {
    // noodles keeps the encodings private; their debug form names every one, nested ones
    // included (the header is a few kilobytes, read once per container).
    let described = format!("{header:?}");
    let unsupported = [
        ("Subexp {", "SUBEXP"),
        ("GolombRice {", "GOLOMB_RICE"),
        ("Golomb {", "GOLOMB"),
    ];
    if let Some((_, name)) = unsupported
        .into_iter()
        .find(|(variant, _)| described.contains(variant))
    {
        return Some(format!(
            "the compression header uses the {name} encoding, which GenoFlow cannot decode (re-encode the file with `samtools view -C`)"
        ));
    }
    described
        .split("Huffman { alphabet: [")
        .skip(1)
        .find_map(|table| check_huffman(table).err())
        .map(|problem| format!("the compression header has a HUFFMAN table {problem}"))
}

/// Checks one HUFFMAN table given as the debug text after `alphabet: [`. Tables of no symbols
/// never get here: they are rewritten first (`budget::disarm_empty_huffman`).
fn check_huffman(table: &str) -> Result<(), String> {
    let list = |text: &str| -> Vec<i64> {
        text.split(", ")
            .filter(|item| !item.is_empty())
            .map(|item| item.parse().unwrap_or(i64::MAX))
            .collect()
    };
    let (alphabet, rest) = table.split_once(']').unwrap_or_default();
    let lengths = rest
        .strip_prefix(", bit_lens: [")
        .and_then(|rest| rest.split_once(']'))
        .map(|(lengths, _)| lengths)
        .unwrap_or_default();
    let (alphabet, lengths) = (list(alphabet), list(lengths));
    if alphabet.len() != lengths.len() {
        return Err(format!(
            "of {} symbols but {} code lengths",
            alphabet.len(),
            lengths.len()
        ));
    }
    if alphabet.is_empty() {
        return Err("of no symbols in a compressed compression header (GenoFlow rewrites such tables in raw headers only, as encoders write them)".to_owned());
    }
    if alphabet.len() > MAX_HUFFMAN_SYMBOLS {
        return Err(format!(
            "of {} symbols, more than GenoFlow decodes ({MAX_HUFFMAN_SYMBOLS})",
            alphabet.len()
        ));
    }
    if let Some(length) = lengths.iter().find(|&&length| length > 31) {
        return Err(format!("with a code of {length} bits (at most 31)"));
    }
    Ok(())
}

/// The largest container accepted: a bound on memory for a corrupt length.
const MAX_CONTAINER_BYTES: u32 = 256 << 20;

/// Reads an LTF8 integer (CRAM §2.3).
fn read_ltf8(src: &mut &[u8]) -> Option<i64> {
    let (&first, rest) = src.split_first()?;
    let extra = first.leading_ones() as usize;
    let bytes = rest.get(..extra)?;
    *src = &rest[extra..];
    let initial = if extra >= 7 {
        0
    } else {
        u64::from(first & (0xff >> (extra + 1)))
    };
    let value = bytes
        .iter()
        .fold(initial, |acc, &b| (acc << 8) | u64::from(b));
    Some(value as i64)
}

/// Checks what noodles takes on trust in each slice header (SAMv1 CRAM §8.5): the reference ID is
/// one the header declares and the span fits the reference given. `data` is the container after its header.
fn check_slice_headers(
    data: &[u8],
    landmarks: &[usize],
    header: &Header,
    repository: Option<&fasta::Repository>,
) -> Result<(), Failure> {
    for (index, &landmark) in landmarks.iter().enumerate() {
        let invalid = |what: &str| {
            Failure::Invalid(Diagnostic::new(format!(
                "slice {} of the container {what}",
                index + 1
            )))
        };
        let slice = data
            .get(landmark..)
            .ok_or_else(|| invalid("lies outside its container"))?;
        let fields = budget::slice_header_fields(slice).map_err(|e| invalid(&e))?;
        let mut fields: &[u8] = &fields;
        // The embedded reference's block is checked by the budget walk, against the blocks the
        // slice really has.
        let (Some(id), Some(start), Some(span)) = (
            read_itf8(&mut fields),
            read_itf8(&mut fields),
            read_itf8(&mut fields),
        ) else {
            return Err(invalid("has a header cut short"));
        };
        match usize::try_from(id) {
            Ok(id) if id >= header.references.len() => {
                return Err(invalid(&format!(
                    "is on reference #{id}, but the header has {} references",
                    header.references.len()
                )));
            }
            Ok(id) => {
                if let Some(repository) = repository {
                    let end = (i64::from(start) + i64::from(span) - 1).max(0);
                    check_reference_span(
                        repository,
                        header,
                        id,
                        usize::try_from(end).unwrap_or(0),
                    )?;
                }
            }
            Err(_) if id == -1 || id == -2 => {}
            Err(_) => return Err(invalid(&format!("has the invalid reference ID {id}"))),
        }
    }
    Ok(())
}

/// Peeks at the next container's length and refuses one too large to hold.
fn check_container_length<R: BufRead>(
    reader: &mut Counting<R>,
    record: u64,
) -> Result<(), Failure> {
    let offset = reader.offset;
    let mut length = Vec::with_capacity(4);
    reader
        .by_ref()
        .take(4)
        .read_to_end(&mut length)
        .map_err(|e| structure_error(reader, e, "the container", Some(record), offset))?;
    reader.unread(&length);
    if let Ok(bytes) = <[u8; 4]>::try_from(length.as_slice()) {
        let length = i32::from_le_bytes(bytes);
        if u32::try_from(length).map_or(true, |n| n > MAX_CONTAINER_BYTES) {
            return Err(Diagnostic::at_offset(
                format!("the container length {length} is negative or above the {MAX_CONTAINER_BYTES}-byte limit: the data is corrupt"),
                Some(record),
                offset,
            )
            .into());
        }
    }
    Ok(())
}

/// Reads an ITF8 integer (CRAM §2.3).
fn read_itf8(src: &mut &[u8]) -> Option<i32> {
    let (&first, rest) = src.split_first()?;
    let extra = first.leading_ones().min(4) as usize;
    let bytes = rest.get(..extra)?;
    *src = &rest[extra..];
    let value = match extra {
        0 => u32::from(first),
        4 => {
            bytes[..3]
                .iter()
                .fold(u32::from(first & 0x0f), |acc, &b| (acc << 8) | u32::from(b))
                << 4
                | u32::from(bytes[3] & 0x0f)
        }
        _ => bytes
            .iter()
            .fold(u32::from(first & (0xff >> (extra + 1))), |acc, &b| {
                (acc << 8) | u32::from(b)
            }),
    };
    Some(value as i32)
}

/// The reference ID and the last position a container covers, from its header's first fields
/// (length, reference ID, start, span), when it sits on one reference.
fn container_reference(header: &[u8]) -> Option<(usize, usize)> {
    let mut src = header.get(4..)?;
    let id = read_itf8(&mut src)?;
    let start = read_itf8(&mut src)?;
    let span = read_itf8(&mut src)?;
    let id = usize::try_from(id).ok()?;
    let end = i64::from(start) + i64::from(span) - 1;
    Some((id, usize::try_from(end.max(0)).ok()?))
}

/// The reference given must hold the container's reference and be long enough for its span, or
/// noodles would read past its end.
fn check_reference_span(
    repository: &fasta::Repository,
    header: &Header,
    id: usize,
    end: usize,
) -> Result<(), Failure> {
    let name = &header.references[id].name;
    let problem = match repository.get(name) {
        Some(Ok(sequence)) if sequence.len() >= end => return Ok(()),
        Some(Ok(sequence)) => io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "a container reaches position {end} of {}, but the reference has only {} bases there",
                shown(name),
                sequence.len()
            ),
        ),
        Some(Err(e)) => e,
        None => io::Error::new(
            io::ErrorKind::NotFound,
            ReferenceUnavailable(String::from_utf8_lossy(name).into_owned()),
        ),
    };
    Err(Failure::Reference(problem))
}

/// CRAM keeps no quality scores for some records; noodles gives them as empty.
fn cram_quality(record: &cram::Record<'_>) -> Result<Option<u64>, String> {
    use sam::alignment::Record as _;
    let scores = record.quality_scores();
    if scores.is_empty() {
        return Ok(None);
    }
    let scores: Vec<u8> = scores
        .iter()
        .collect::<io::Result<_>>()
        .map_err(|e| format!("quality scores are corrupt: {e}"))?;
    if scores.iter().all(|&q| q == 0xff) {
        return Ok(None);
    }
    check_quality_scores(scores.iter().map(|&q| Ok(q)))?;
    Ok(Some(scores.len() as u64))
}

/// Reads the file definition and the SAM header container; checks the text like SAM's.
fn read_header<R: BufRead>(
    reader: &mut cram::io::Reader<Counting<R>>,
    ctx: &mut Context<'_>,
) -> Result<(Header, sam::Header), Failure> {
    let mut header_reader = reader.header_reader();
    let magic = header_reader.read_magic_number().map_err(|e| {
        Diagnostic::at_offset(
            format!("the CRAM file definition is cut short: {e}"),
            None,
            0,
        )
    })?;
    if &magic != b"CRAM" {
        return Err(Diagnostic::at_offset(
            format!("not CRAM: the file starts with {}", shown(&magic)),
            None,
            0,
        )
        .into());
    }
    let version = header_reader
        .read_format_version()
        .map_err(|e| Diagnostic::at_offset(format!("the CRAM version is invalid: {e}"), None, 4))?;
    match (version.major(), version.minor()) {
        (3, 0 | 1) => {}
        // Versions that exist but whose records noodles cannot decode: CRAM 2's structure is
        // walked (a damaged file is invalid), then the file is reported unsupported.
        (major @ 2, minor @ (0 | 1)) => {
            return Err(legacy::check(reader.get_mut(), major, minor, ctx));
        }
        (major @ (1 | 4), minor @ 0) => {
            return Err(Failure::Unsupported(Diagnostic::at_offset(
                legacy::unsupported_message(major, minor, None),
                None,
                4,
            )));
        }
        (major, minor) => {
            return Err(Diagnostic::at_offset(
                format!(
                    "CRAM version {major}.{minor} does not exist (CRAM versions are 1.0, 2.0, 2.1, 3.0, 3.1 and 4.0)"
                ),
                None,
                4,
            )
            .into());
        }
    }
    header_reader.read_file_id().map_err(|e| {
        Diagnostic::at_offset(format!("the CRAM file ID is cut short: {e}"), None, 6)
    })?;
    const HEADER_OFFSET: u64 = 26;
    let header_error = |e: io::Error| {
        Diagnostic::at_offset(
            format!("the SAM header container is damaged: {e}"),
            None,
            HEADER_OFFSET,
        )
    };
    let mut text = Vec::new();
    {
        let mut container_reader = header_reader.container_reader().map_err(header_error)?;
        let mut raw = container_reader
            .raw_sam_header_reader()
            .map_err(header_error)?;
        raw.read_to_end(&mut text).map_err(header_error)?;
        raw.discard_to_end().map_err(header_error)?;
        drop(raw);
        container_reader.discard_to_end().map_err(header_error)?;
    }
    check_header_text(&text, HEADER_OFFSET, ctx)
}

/// Checks the SAM header text of a CRAM file (NUL padding allowed at its end) like SAM's, and
/// parses it for noodles.
fn check_header_text(
    text: &[u8],
    header_offset: u64,
    ctx: &mut Context<'_>,
) -> Result<(Header, sam::Header), Failure> {
    let text = match text.iter().position(|&b| b == 0) {
        Some(nul) if text[nul..].iter().all(|&b| b == 0) => &text[..nul],
        Some(_) => {
            return Err(Diagnostic::at_offset(
                "the SAM header text holds a NUL byte",
                None,
                header_offset,
            )
            .into());
        }
        None => text,
    };
    let mut checker = HeaderChecker::default();
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        checker.check_binary_line(line, header_offset, ctx)?;
    }
    let header = checker.finish().map_err(|e| {
        Diagnostic::at_offset(
            format!("header line {}: {}", e.line, e.message),
            None,
            header_offset,
        )
    })?;
    let noodles_header = std::str::from_utf8(text)
        .map_err(|e| e.to_string())
        .and_then(|text| text.parse::<sam::Header>().map_err(|e| e.to_string()))
        .map_err(|e| {
            Diagnostic::at_offset(
                format!("the SAM header cannot be decoded: {e}"),
                None,
                header_offset,
            )
        })?;
    Ok((header, noodles_header))
}
