//! What one CRAM container asks of memory, read from its own bytes before noodles decodes it.
//!
//! noodles sizes its buffers from the sizes a file declares — a slice's record count, a block's
//! raw size, the sizes inside a codec's stream — and allocates them before it reads any data: a
//! 700-byte file can ask for hundreds of gigabytes (the process aborts; no `catch_unwind` helps)
//! or decode gigabytes from a few bytes. So each container is walked here first, block by block:
//! every declared size must agree with the sizes around it (a codec stream's own size with its
//! block's, a stripe's parts with the whole, a packed or run-length stream with what it
//! expands to), and what decoding a slice would take — its records, its decoded blocks, the
//! name tokenizer's tables — must fit the slice budget ([`crate::Options::max_slice_bytes`]).
//! Only then are the bytes handed to noodles.

use std::borrow::Cow;
use std::mem::size_of;

use noodles::cram;

use super::{read_itf8, read_ltf8};

/// Memory noodles takes for each record of a slice before reading any of them.
const RECORD_BYTES: u64 = size_of::<cram::Record<'static>>() as u64;

/// Memory the name tokenizer takes per name before decoding: a table of 128 token slots
/// (`Option<Token>`, 32 bytes each), the name's buffer, and its slot in the type stream.
const TOKENIZED_NAME_BYTES: u64 = 128 * 32 + 3 * 24;

/// Header blocks (the compression header, slice headers) are small: a few kilobytes in practice.
const MAX_HEADER_BLOCK_BYTES: usize = 4 << 20;

/// Nested striping (a stripe of stripes) is never written by encoders; bounding it bounds the
/// copies the decoder makes.
const MAX_STRIPE_DEPTH: u8 = 2;

/// CRAM block compression methods (CRAM 3.1 §8).
mod method {
    pub(super) const RAW: u8 = 0;
    pub(super) const GZIP: u8 = 1;
    pub(super) const BZIP2: u8 = 2;
    pub(super) const LZMA: u8 = 3;
    pub(super) const RANS_4X8: u8 = 4;
    pub(super) const RANS_NX16: u8 = 5;
    pub(super) const ARITH: u8 = 6;
    pub(super) const FQZCOMP: u8 = 7;
    pub(super) const TOKENIZER: u8 = 8;
}

/// Flags of rANS Nx16 and arithmetic-coder streams (CRAM codecs §3, §4).
mod flag {
    pub(super) const STRIPE: u8 = 0x08;
    pub(super) const NO_SIZE: u8 = 0x10;
    pub(super) const CAT: u8 = 0x20;
    pub(super) const RLE: u8 = 0x40;
    pub(super) const PACK: u8 = 0x80;
}

/// One block as stored: its header fields and its (still compressed) data.
struct RawBlock<'a> {
    method: u8,
    content_id: i32,
    raw_size: usize,
    data: &'a [u8],
}

/// Checks the blocks of one container (`data`: the bytes after its header; `landmarks`: where
/// each slice starts in them) against `max_slice_bytes`, and returns what decoding it takes in
/// all (the caller bounds that by the file's size too). The error says which slice and block,
/// what was declared and what the limit is.
pub(super) fn check_container(
    data: &[u8],
    landmarks: &[usize],
    max_slice_bytes: u64,
) -> Result<u64, String> {
    let mut src = data;
    let header = read_block(&mut src).map_err(|e| format!("the compression header block {e}"))?;
    check_header_block(&header).map_err(|e| format!("the compression header block {e}"))?;
    check_stream(&header, u64::MAX, 0).map_err(|e| format!("the compression header block {e}"))?;

    let mut cost = 0u64;
    for (index, &start) in landmarks.iter().enumerate() {
        let end = landmarks.get(index + 1).copied().unwrap_or(data.len());
        let slice = data
            .get(start..end)
            .ok_or_else(|| format!("slice {}: it lies outside its container", index + 1))?;
        let slice_cost =
            check_slice(slice, max_slice_bytes).map_err(|e| format!("slice {}: {e}", index + 1))?;
        cost = cost.saturating_add(slice_cost);
    }
    Ok(cost)
}

/// Checks one slice: its header block, then each of the blocks it declares; returns what decoding
/// it takes.
fn check_slice(mut src: &[u8], max_slice_bytes: u64) -> Result<u64, String> {
    let header_block = read_block(&mut src).map_err(|e| format!("its header block {e}"))?;
    check_header_block(&header_block).map_err(|e| format!("its header block {e}"))?;
    let mut cost = check_stream(&header_block, max_slice_bytes, 0)
        .map_err(|e| format!("its header block {e}"))?;
    let fields = header_fields(&header_block)?;
    let SliceHeader {
        records,
        blocks: block_count,
        embedded_reference,
    } = slice_header(&fields)?;
    if block_count < 1 {
        return Err(
            "it declares no blocks, but every slice has at least its core data block".to_owned(),
        );
    }
    cost = cost.saturating_add((records as u64).saturating_mul(RECORD_BYTES));
    if cost > max_slice_bytes {
        return Err(format!(
            "it declares {records} records, which would take {} to decode, above the limit of {} per slice (--max-slice-bytes)",
            mib(cost),
            mib(max_slice_bytes)
        ));
    }
    let mut external_ids = Vec::with_capacity(block_count.min(1 << 10));
    for number in 1..=block_count {
        let block = read_block(&mut src)
            .map_err(|e| format!("it declares {block_count} blocks, but block {number} {e}"))?;
        // The first block is the core data; the others are the external data blocks.
        if number > 1 {
            external_ids.push(block.content_id);
        }
        let remaining = max_slice_bytes.saturating_sub(cost);
        let block_cost = check_stream(&block, remaining, 0)
            .map_err(|e| format!("block {number} of {block_count} {e}"))?;
        cost = cost.saturating_add(block_cost);
        if cost > max_slice_bytes {
            return Err(format!(
                "it would take {} to decode ({records} records and {block_count} blocks; block {number} declares {} bytes), above the limit of {} per slice (--max-slice-bytes)",
                mib(cost),
                block.raw_size,
                mib(max_slice_bytes)
            ));
        }
    }
    if let Some(id) = embedded_reference
        && !external_ids.contains(&id)
    {
        return Err(format!(
            "it names block {id} as its embedded reference, but none of its external blocks has that content ID"
        ));
    }
    Ok(cost)
}

/// Header blocks are small whatever the file: refusing a large one bounds what decoding it takes.
fn check_header_block(block: &RawBlock<'_>) -> Result<(), String> {
    if block.raw_size > MAX_HEADER_BLOCK_BYTES {
        return Err(format!(
            "declares {} bytes, above the {MAX_HEADER_BLOCK_BYTES}-byte limit for a header block",
            block.raw_size
        ));
    }
    Ok(())
}

/// The fields of a slice's header block, decoded when stored compressed: what noodles reads
/// before the records, so checks of them see what noodles will see. `slice`: the slice's bytes.
pub(super) fn slice_header_fields(mut slice: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    let block = read_block(&mut slice).map_err(|e| format!("its header block {e}"))?;
    check_header_block(&block).map_err(|e| format!("its header block {e}"))?;
    header_fields(&block)
}

fn header_fields<'a>(block: &RawBlock<'a>) -> Result<Cow<'a, [u8]>, String> {
    if block.method == method::RAW {
        Ok(Cow::Borrowed(block.data))
    } else {
        decode_header_block(block).map(Cow::Owned)
    }
}

/// Decodes a compressed slice header block (its size already checked). Encoders store slice
/// headers raw; gzip and bzip2 are read too, the other methods are refused.
fn decode_header_block(block: &RawBlock<'_>) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let limit = block.raw_size as u64;
    let mut decoded = Vec::with_capacity(block.raw_size);
    let outcome = match block.method {
        method::GZIP => flate2::read::MultiGzDecoder::new(block.data)
            .take(limit)
            .read_to_end(&mut decoded),
        method::BZIP2 => bzip2::read::MultiBzDecoder::new(block.data)
            .take(limit)
            .read_to_end(&mut decoded),
        other => {
            return Err(format!(
                "header block is compressed with {}; GenoFlow reads slice headers stored raw, with gzip or with bzip2",
                method_name(other)
            ));
        }
    };
    outcome.map_err(|e| format!("header block cannot be decompressed: {e}"))?;
    Ok(decoded)
}

/// What the walk needs of a slice header.
struct SliceHeader {
    records: usize,
    blocks: usize,
    /// The content ID of the external block holding the embedded reference, if any.
    embedded_reference: Option<i32>,
}

/// Reads a slice header (CRAM 3.1 §8.5) up to its embedded reference's block content ID.
fn slice_header(mut fields: &[u8]) -> Result<SliceHeader, String> {
    let cut = || "header is cut short".to_owned();
    for _ in 0..3 {
        read_itf8(&mut fields).ok_or_else(cut)?; // reference ID, start, span
    }
    let records = read_itf8(&mut fields).ok_or_else(cut)?;
    read_ltf8(&mut fields).ok_or_else(cut)?; // record counter
    let blocks = read_itf8(&mut fields).ok_or_else(cut)?;
    let content_ids = read_itf8(&mut fields).ok_or_else(cut)?;
    for _ in 0..content_ids.max(0) {
        read_itf8(&mut fields).ok_or_else(cut)?; // each ITF8 takes a byte at least
    }
    let embedded = read_itf8(&mut fields).ok_or_else(cut)?;
    let records = usize::try_from(records).map_err(|_| format!("declares {records} records"))?;
    let blocks = usize::try_from(blocks).map_err(|_| format!("declares {blocks} blocks"))?;
    Ok(SliceHeader {
        records,
        blocks,
        // -1 means none; any other value, negative ones too, names a block (as the decoder
        // reads it: a -2 with no block of content ID -2 would stop it).
        embedded_reference: (embedded != -1).then_some(embedded),
    })
}

/// Reads one block (CRAM 3.1 §8.1): method, content type, content ID, compressed and raw sizes,
/// data, CRC32.
fn read_block<'a>(src: &mut &'a [u8]) -> Result<RawBlock<'a>, String> {
    let cut = || "is cut short".to_owned();
    let (&method, rest) = src.split_first().ok_or_else(cut)?;
    let rest = rest.get(1..).ok_or_else(cut)?; // content type
    *src = rest;
    let content_id = read_itf8(src).ok_or_else(cut)?;
    let compressed = read_itf8(src).ok_or_else(cut)?;
    let raw = read_itf8(src).ok_or_else(cut)?;
    let (Ok(compressed), Ok(raw_size)) = (usize::try_from(compressed), usize::try_from(raw)) else {
        return Err(format!(
            "declares negative sizes (compressed {compressed}, raw {raw})"
        ));
    };
    if src.len() < compressed.saturating_add(4) {
        return Err(format!(
            "declares {compressed} compressed bytes, but only {} remain in its slice",
            src.len().saturating_sub(4)
        ));
    }
    let (data, rest) = src.split_at(compressed);
    *src = &rest[4..];
    if method > method::TOKENIZER {
        return Err(format!("uses the unknown compression method {method}"));
    }
    Ok(RawBlock {
        method,
        content_id,
        raw_size,
        data,
    })
}

/// Checks that a block's codec stream declares what its block declares, and returns the memory
/// decoding it takes; `limit` is what remains of the budget.
fn check_stream(block: &RawBlock<'_>, limit: u64, depth: u8) -> Result<u64, String> {
    let raw = block.raw_size as u64;
    if raw > limit {
        return Err(format!(
            "declares {} decoded, above what remains of the limit per slice ({}; --max-slice-bytes)",
            mib(raw),
            mib(limit)
        ));
    }
    let data = block.data;
    let mismatch = |what: &str, declared: u64| {
        format!(
            "is {} whose stream declares {declared} {what}, but the block declares {raw}",
            method_name(block.method)
        )
    };
    match block.method {
        // Some writers (htsjdk) store empty blocks as empty streams of any method.
        _ if data.is_empty() && raw == 0 => Ok(0),
        method::RAW => Ok(0),
        method::GZIP | method::BZIP2 | method::LZMA => Ok(raw),
        method::RANS_4X8 => {
            let size = data
                .get(5..9)
                .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .ok_or_else(|| "is a rANS 4x8 stream cut short".to_owned())?;
            if size != raw {
                return Err(mismatch("bytes", size));
            }
            Ok(raw)
        }
        method::RANS_NX16 | method::ARITH => {
            let mut src = data;
            check_entropy_stream(&mut src, raw, Some(raw), block.method, depth)
                .map_err(|e| format!("is {}: {e}", method_name(block.method)))
        }
        method::FQZCOMP => {
            let size = read_uint7(&mut &data[..])
                .ok_or_else(|| "is an fqzcomp stream cut short".to_owned())?;
            if size != raw {
                return Err(mismatch("bytes", size));
            }
            Ok(raw)
        }
        method::TOKENIZER => check_tokenizer(data, raw, limit)
            .map_err(|e| format!("is {}: {e}", method_name(block.method))),
        _ => unreachable!("read_block refuses unknown methods"),
    }
}

/// Walks the headers of a rANS Nx16 or arithmetic-coder stream (their flags share one layout):
/// every size it declares must fit the one expected — the block's, or a stripe's share of it —
/// and the memory decoding takes is returned. `expected` is `None` for a token stream of the
/// name tokenizer, whose size only the stream gives; `limit` bounds it.
fn check_entropy_stream(
    src: &mut &[u8],
    limit: u64,
    expected: Option<u64>,
    method: u8,
    depth: u8,
) -> Result<u64, String> {
    let cut = || "the stream is cut short".to_owned();
    let (&flags, rest) = src.split_first().ok_or_else(cut)?;
    *src = rest;
    let mut size = match (flags & flag::NO_SIZE == 0, expected) {
        (true, _) => {
            let size = read_uint7(src).ok_or_else(cut)?;
            if let Some(expected) = expected.filter(|&e| e != size) {
                return Err(format!(
                    "it declares {size} bytes where {expected} are expected"
                ));
            }
            size
        }
        (false, Some(expected)) => expected,
        (false, None) => return Err("a token stream gives no size".to_owned()),
    };
    if size > limit {
        return Err(format!(
            "it declares {}, above what remains of the limit per slice ({}; --max-slice-bytes)",
            mib(size),
            mib(limit)
        ));
    }
    if flags & flag::STRIPE != 0 {
        if depth >= MAX_STRIPE_DEPTH {
            return Err("its stripes are nested too deeply".to_owned());
        }
        let (&parts, rest) = src.split_first().ok_or_else(cut)?;
        *src = rest;
        if parts == 0 {
            return Err("it has a stripe of no parts".to_owned());
        }
        let mut lengths = Vec::with_capacity(usize::from(parts));
        for _ in 0..parts {
            lengths.push(read_uint7(src).ok_or_else(cut)?);
        }
        let parts = u64::from(parts);
        // The parts and their interleaved copy.
        let mut cost = size;
        for (index, length) in (0..).zip(lengths) {
            let length = usize::try_from(length).map_err(|_| cut())?;
            let (mut part, rest) = (src.get(..length).ok_or_else(cut)?, &src[length..]);
            *src = rest;
            let share = size / parts + u64::from(size % parts > index);
            cost = cost.saturating_add(check_entropy_stream(
                &mut part,
                limit,
                Some(share),
                method,
                depth + 1,
            )?);
        }
        return Ok(cost);
    }
    let mut cost = size;
    if flags & flag::PACK != 0 {
        let (&symbols, rest) = src.split_first().ok_or_else(cut)?;
        *src = rest.get(usize::from(symbols)..).ok_or_else(cut)?;
        let packed = read_uint7(src).ok_or_else(cut)?;
        if packed > size {
            return Err(format!(
                "its packed data declares {packed} bytes, more than the {size} it unpacks to"
            ));
        }
        size = packed;
        cost = cost.saturating_add(size);
    }
    if method == method::RANS_NX16 && flags & flag::RLE != 0 {
        let header = read_uint7(src).ok_or_else(cut)?;
        let literals = read_uint7(src).ok_or_else(cut)?;
        let meta = header >> 1;
        // Run lengths take at most five bytes each, one run per decoded byte, after the
        // alphabet of run symbols.
        if literals > size || meta > size.saturating_mul(5).saturating_add(257) {
            return Err(format!(
                "its run-length data declares {literals} literals and {meta} bytes of runs for {size} bytes"
            ));
        }
        if header & 1 == 0 {
            let compressed = read_uint7(src).ok_or_else(cut)?;
            let compressed = usize::try_from(compressed).map_err(|_| cut())?;
            *src = src.get(compressed..).ok_or_else(cut)?;
        } else {
            *src = src
                .get(usize::try_from(meta).map_err(|_| cut())?..)
                .ok_or_else(cut)?;
        }
        cost = cost.saturating_add(meta).saturating_add(literals);
        size = literals;
    }
    if flags & flag::CAT != 0 && src.len() as u64 != size {
        return Err(format!(
            "its stored data holds {} bytes, but it declares {size}",
            src.len()
        ));
    }
    Ok(cost)
}

/// Checks a name tokenizer stream (CRAM codecs §6): its size, its name count, and its token
/// streams, whose tables noodles allocates per name and per token before decoding.
fn check_tokenizer(data: &[u8], raw: u64, limit: u64) -> Result<u64, String> {
    let cut = || "the stream is cut short".to_owned();
    let word = |at: usize| {
        data.get(at..at + 4)
            .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            .ok_or_else(cut)
    };
    let (size, names) = (word(0)?, word(4)?);
    let coder = *data.get(8).ok_or_else(cut)?;
    if size != raw {
        return Err(format!(
            "it declares {size} bytes, but the block declares {raw}"
        ));
    }
    // Every name ends with a NUL byte.
    if names > size {
        return Err(format!("it declares {names} names in {size} bytes"));
    }
    let method = if coder == 0 {
        method::RANS_NX16
    } else {
        method::ARITH
    };
    let mut cost = size.saturating_add(names.saturating_mul(TOKENIZED_NAME_BYTES));
    let over = |cost: u64| {
        format!(
            "decoding its {names} names would take {}, above what remains of the limit per slice ({}; --max-slice-bytes)",
            mib(cost),
            mib(limit)
        )
    };
    if cost > limit {
        return Err(over(cost));
    }
    let mut src = &data[9..];
    while let Some((&token_type, rest)) = src.split_first() {
        src = rest;
        if token_type & 0x80 != 0 {
            // A new token: its type stream holds one byte per name.
            cost = cost.saturating_add(names);
        }
        if token_type & 0x40 != 0 {
            // A copy of an earlier stream.
            src = src.get(2..).ok_or_else(cut)?;
            cost = cost.saturating_add(names);
        } else {
            let length = read_uint7(&mut src).ok_or_else(cut)?;
            let length = usize::try_from(length).map_err(|_| cut())?;
            let mut stream = src.get(..length).ok_or_else(cut)?;
            src = &src[length..];
            let remaining = limit.saturating_sub(cost);
            cost = cost.saturating_add(check_entropy_stream(
                &mut stream,
                remaining,
                None,
                method,
                0,
            )?);
        }
        if cost > limit {
            return Err(over(cost));
        }
    }
    Ok(cost)
}

/// Reads a uint7 (CRAM codecs §2.1: big-endian 7-bit groups, at most five bytes).
fn read_uint7(src: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for _ in 0..5 {
        let (&byte, rest) = src.split_first()?;
        *src = rest;
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return u32::try_from(value).ok().map(u64::from);
        }
    }
    None
}

fn method_name(method: u8) -> &'static str {
    match method {
        method::RAW => "raw",
        method::GZIP => "gzip",
        method::BZIP2 => "bzip2",
        method::LZMA => "lzma",
        method::RANS_4X8 => "rANS 4x8",
        method::RANS_NX16 => "rANS Nx16",
        method::ARITH => "arithmetic-coded",
        method::FQZCOMP => "fqzcomp",
        method::TOKENIZER => "name-tokenized",
        _ => "an unknown method",
    }
}

/// A size in MiB for messages (one decimal).
pub(super) fn mib(bytes: u64) -> String {
    if bytes == u64::MAX {
        return "no limit".to_owned();
    }
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

/// The block content ID that [`disarm_empty_huffman`] points empty HUFFMAN tables to: no slice
/// has such a block, so reading it fails with "missing external block: 16383".
pub(super) const NO_SUCH_BLOCK: i32 = 0x3fff;

/// The codec IDs of HUFFMAN, EXTERNAL and BYTE_ARRAY_LEN (CRAM 3.1 §13).
const HUFFMAN: i32 = 3;
const EXTERNAL: u8 = 1;
const BYTE_ARRAY_LEN: i32 = 4;

/// The parameters of an EXTERNAL encoding of [`NO_SUCH_BLOCK`] written in exactly `width` bytes
/// (at least 2): an ITF8 in a longer form than it needs, then zeros, which noodles ignores.
fn missing_external_params(width: usize) -> Vec<u8> {
    let id = NO_SUCH_BLOCK as u32;
    let mut params = match width {
        2 => vec![0x80 | (id >> 8) as u8, id as u8],
        3 => vec![0xc0 | (id >> 16) as u8, (id >> 8) as u8, id as u8],
        4 => vec![
            0xe0 | (id >> 24) as u8,
            (id >> 16) as u8,
            (id >> 8) as u8,
            id as u8,
        ],
        _ => vec![
            0xf0 | (id >> 28) as u8,
            (id >> 20) as u8,
            (id >> 12) as u8,
            (id >> 4) as u8,
            (id & 0x0f) as u8,
        ],
    };
    params.resize(width, 0);
    params
}

/// A copy of a container (`container`: its header then its blocks; `blocks_at`: where the
/// blocks begin) with every HUFFMAN table of no symbols in its raw compression header rewritten
/// to an EXTERNAL encoding of a block no slice has, of the same length, and the block's CRC32
/// recomputed; `None` (and no copy) when there is none. noodles panics (an index out of bounds)
/// when a record reads an empty HUFFMAN table, and writers such as htsjdk give one to every data
/// series they do not use; with the rewrite a record that reads one fails with an error instead.
pub(super) fn disarm_empty_huffman(container: &[u8], blocks_at: usize) -> Option<Vec<u8>> {
    let mut src = container.get(blocks_at..)?;
    let header = read_block(&mut src).ok()?;
    if header.method != method::RAW {
        return None;
    }
    let mut found = Vec::new();
    find_empty_huffman(header.data, &mut found);
    if found.is_empty() {
        return None;
    }
    let data_end = container.len() - src.len() - 4;
    let data_start = data_end - header.data.len();
    let mut rewritten = container.to_vec();
    for (codec_at, params_at, width) in found {
        rewritten[data_start + codec_at] = EXTERNAL;
        let params_at = data_start + params_at;
        rewritten[params_at..params_at + width].copy_from_slice(&missing_external_params(width));
    }
    // The CRC32 covers the block from its first byte to the end of its data.
    let crc = crc32(&rewritten[blocks_at..data_end]);
    rewritten[data_end..data_end + 4].copy_from_slice(&crc.to_le_bytes());
    Some(rewritten)
}

/// Every HUFFMAN encoding of no symbols in a compression header's data (CRAM 3.1 §8.4: the
/// preservation map, the data series encodings, the tag encodings, each a size then its
/// content), nested ones included: where its codec ID and its parameters are, and how many bytes
/// of parameters it has (at least 2).
fn find_empty_huffman(data: &[u8], found: &mut Vec<(usize, usize, usize)>) {
    let mut src = data;
    let Some(preservation) = read_itf8(&mut src).and_then(|n| usize::try_from(n).ok()) else {
        return;
    };
    let Some(rest) = src.get(preservation..) else {
        return;
    };
    src = rest;
    for keyed_by_two_bytes in [true, false] {
        let Some(size) = read_itf8(&mut src).and_then(|n| usize::try_from(n).ok()) else {
            return;
        };
        let Some((mut map, rest)) = (size <= src.len()).then(|| src.split_at(size)) else {
            return;
        };
        src = rest;
        let Some(count) = read_itf8(&mut map) else {
            return;
        };
        for _ in 0..count {
            let key = if keyed_by_two_bytes {
                map.get(2..).map(|rest| map = rest)
            } else {
                read_itf8(&mut map).map(|_| ())
            };
            if key.is_none() || find_in_encoding(data, &mut map, found).is_none() {
                return;
            }
        }
    }
}

/// Reads one encoding (codec ID, parameter length, parameters) from `src`, a part of `data`,
/// noting HUFFMAN ones of no symbols and looking inside BYTE_ARRAY_LEN, whose parameters are two
/// encodings.
fn find_in_encoding(
    data: &[u8],
    src: &mut &[u8],
    found: &mut Vec<(usize, usize, usize)>,
) -> Option<()> {
    // `src` lies inside `data` (nested parameters too): offsets are taken from the pointers.
    let offset = |part: &[u8]| (part.as_ptr() as usize).checked_sub(data.as_ptr() as usize);
    let codec_at = offset(src)?;
    let codec = read_itf8(src)?;
    let length = usize::try_from(read_itf8(src)?).ok()?;
    let params = src.get(..length)?;
    *src = &src[length..];
    if codec == HUFFMAN && params.first() == Some(&0) && length >= 2 && codec_at < offset(params)? {
        found.push((codec_at, offset(params)?, length));
    } else if codec == BYTE_ARRAY_LEN {
        let mut params = params;
        find_in_encoding(data, &mut params, found)?;
        find_in_encoding(data, &mut params, found)?;
    }
    Some(())
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut hasher = flate2::Crc::new();
    hasher.update(bytes);
    hasher.sum()
}
