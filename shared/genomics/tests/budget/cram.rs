//! CRAM inputs whose declared sizes once made the decoder allocate far more than the file holds.
//!
//! Each case starts from a real CRAM of the hts-specs suite, splits it into containers and
//! blocks, changes what the case needs, and writes it back with every length, slice offset and
//! CRC32 recomputed, so the change reaches the decoders instead of failing a checksum.

use std::time::Duration;

use crate::{MIB, detected, measure};

/// A small CRAM written by htslib: three unmapped records in one slice.
const BASE: &[u8] = include_bytes!(
    "../../../../tests/data/conformance/hts-specs/test/cram/3.0/passed/0303_unmapped.cram"
);

/// Budget of every CRAM case: the base file's validation takes well under a MiB.
const HEAP: usize = 64 * MIB;
const TIME: Duration = Duration::from_secs(5);

// ------------------------------------------------------------------------------------------------
// The cases
// ------------------------------------------------------------------------------------------------

/// 2^31 − 1 records declared by a 700-byte file: noodles allocated 618 GB and the process aborted.
#[test]
fn slice_claims_two_billion_records() {
    fn input() -> Vec<u8> {
        edit_first_slice(|slice| slice.header.records = i32::MAX)
    }
    let measured = measure("cram::slice_claims_two_billion_records", input, detected);
    let error = measured.within(HEAP, TIME).error();
    assert!(error.contains("declares 2147483647 records"), "{error}");
    assert!(
        error.contains("above the limit of 512.0 MiB per slice"),
        "{error}"
    );
}

/// Two million records: 570 MB before the error.
#[test]
fn slice_claims_two_million_records() {
    fn input() -> Vec<u8> {
        edit_first_slice(|slice| slice.header.records = 2_000_000)
    }
    let measured = measure("cram::slice_claims_two_million_records", input, detected);
    let error = measured.within(HEAP, TIME).error();
    assert!(error.contains("declares 2000000 records"), "{error}");
}

/// A rANS 4x8 block whose stream claims 4 GiB (and its block 2 GiB), decoded from 29 bytes.
#[test]
fn rans_block_claims_four_gib() {
    fn input() -> Vec<u8> {
        edit_first_slice(|slice| slice.add_block(rans_one_symbol(u32::MAX), i32::MAX))
    }
    let measured = measure("cram::rans_block_claims_four_gib", input, detected);
    let error = measured.within(HEAP, TIME).error();
    assert!(
        error.contains("above what remains of the limit per slice"),
        "{error}"
    );
}

/// The same stream in a block that declares a small size: the stream's own claim is caught.
#[test]
fn rans_stream_claims_more_than_its_block() {
    fn input() -> Vec<u8> {
        edit_first_slice(|slice| slice.add_block(rans_one_symbol(1 << 30), 16))
    }
    let measured = measure(
        "cram::rans_stream_claims_more_than_its_block",
        input,
        detected,
    );
    let error = measured.within(HEAP, TIME).error();
    assert!(
        error
            .contains("rANS 4x8 whose stream declares 1073741824 bytes, but the block declares 16"),
        "{error}"
    );
}

/// Three blocks of 200 MiB each: each under the limit, together above it.
#[test]
fn blocks_together_exceed_the_slice_limit() {
    fn input() -> Vec<u8> {
        edit_first_slice(|slice| {
            for _ in 0..3 {
                slice.add_block(rans_one_symbol(200 << 20), 200 << 20);
            }
        })
    }
    let measured = measure(
        "cram::blocks_together_exceed_the_slice_limit",
        input,
        detected,
    );
    let error = measured.within(HEAP, TIME).error();
    assert!(
        error.contains("above what remains of the limit per slice"),
        "{error}"
    );
}

/// One million records (288 MB in noodles, under the slice limit) declared by a 1 KB file: more
/// than the expansion limit allows for the bytes present.
#[test]
fn records_out_of_proportion_to_the_file() {
    fn input() -> Vec<u8> {
        edit_first_slice(|slice| slice.header.records = 1_000_000)
    }
    let measured = measure(
        "cram::records_out_of_proportion_to_the_file",
        input,
        detected,
    );
    let error = measured.within(HEAP, TIME).error();
    assert!(
        error.contains("more than 2048 times the stored size (--max-expansion)"),
        "{error}"
    );
}

/// A 100 MiB block from 29 bytes, under the slice limit: refused by the expansion limit, which
/// keeps the decoding work of many such containers proportional to the file.
#[test]
fn block_out_of_proportion_to_the_file() {
    fn input() -> Vec<u8> {
        edit_first_slice(|slice| slice.add_block(rans_one_symbol(100 << 20), 100 << 20))
    }
    let measured = measure("cram::block_out_of_proportion_to_the_file", input, detected);
    let error = measured.within(HEAP, TIME).error();
    assert!(
        error.contains("more than 2048 times the stored size (--max-expansion)"),
        "{error}"
    );
}

/// A slice within the limit still decodes (the checks do not refuse what they should not).
#[test]
fn a_large_block_within_the_limit_is_decoded() {
    fn input() -> Vec<u8> {
        edit_first_slice(|slice| slice.add_block(rans_one_symbol(8 << 20), 8 << 20))
    }
    let measured = measure(
        "cram::a_large_block_within_the_limit_is_decoded",
        input,
        detected,
    );
    measured.within(HEAP, TIME);
    assert_eq!(measured.report["valid"], true, "{}", measured.report);
}

/// A slice that declares no blocks: noodles computed `block_count - 1` and wrapped around.
#[test]
fn slice_with_no_blocks() {
    fn input() -> Vec<u8> {
        edit_first_slice(|slice| {
            slice.blocks.clear();
            slice.header.blocks = 0;
            slice.header.content_ids.clear();
        })
    }
    let measured = measure("cram::slice_with_no_blocks", input, detected);
    let error = measured.within(HEAP, TIME).error();
    assert!(error.contains("declares no blocks"), "{error}");
}

/// The SUBEXP integer encoding is a `todo!()` in noodles: named, not a panic.
#[test]
fn subexp_encoding_is_named() {
    fn input() -> Vec<u8> {
        edit_first_container(|container| {
            let header = &mut container.blocks[0];
            header.data = set_data_series_encoding(&header.data, *b"BF", &[7, 2, 0, 2]);
        })
    }
    let measured = measure("cram::subexp_encoding_is_named", input, detected);
    let error = measured.within(HEAP, TIME).error();
    assert!(
        error.contains("uses the SUBEXP encoding, which GenoFlow cannot decode"),
        "{error}"
    );
}

/// A HUFFMAN table of no symbols read by every record: noodles indexed its first symbol and
/// panicked (found by the `cram` fuzz target). Unread, such a table is valid (htsjdk writes them).
#[test]
fn huffman_table_of_no_symbols() {
    fn input() -> Vec<u8> {
        edit_first_container(|container| {
            let header = &mut container.blocks[0];
            // HUFFMAN (codec 3): two empty arrays, the alphabet and the code lengths.
            header.data = set_data_series_encoding(&header.data, *b"BF", &[3, 2, 0, 0]);
        })
    }
    let measured = measure("cram::huffman_table_of_no_symbols", input, detected);
    let error = measured.within(HEAP, TIME).error();
    assert!(
        error.contains("a record reads a data series whose HUFFMAN table in the compression header has no symbols"),
        "{error}"
    );
}

/// The unchanged base file is valid: the rewriting itself changes nothing.
#[test]
fn rewritten_base_is_valid() {
    fn input() -> Vec<u8> {
        edit_first_container(|_| {})
    }
    let measured = measure("cram::rewritten_base_is_valid", input, detected);
    measured.within(HEAP, TIME);
    assert_eq!(measured.report["valid"], true, "{}", measured.report);
    assert_eq!(measured.report["records"], 3);
}

// ------------------------------------------------------------------------------------------------
// Building blocks
// ------------------------------------------------------------------------------------------------

/// A rANS 4x8 order-0 stream of `size` bytes of one symbol: its frequency table gives `A` all
/// 4,096 slots, so decoding never reads past its states.
fn rans_one_symbol(size: u32) -> Vec<u8> {
    let mut body = vec![b'A', 0x90, 0x00, 0x00]; // symbol, frequency 4096 (two bytes), end
    for _ in 0..4 {
        body.extend_from_slice(&(1u32 << 23).to_le_bytes()); // the lowest state, never renormalised
    }
    let mut stream = vec![0]; // order 0
    stream.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    stream.extend_from_slice(&size.to_le_bytes());
    stream.extend(body);
    stream
}

/// The base file with its first data container's first slice changed by `edit`.
fn edit_first_slice(edit: impl FnOnce(&mut Slice)) -> Vec<u8> {
    edit_first_container(|container| {
        let mut slices = container.slices();
        edit(&mut slices[0]);
        container.set_slices(slices);
    })
}

/// The base file with its first data container (after the SAM header's) changed by `edit`.
fn edit_first_container(edit: impl FnOnce(&mut Container)) -> Vec<u8> {
    let mut cram = Cram::parse(BASE);
    let mut container = Container::parse(&cram.parts[FIRST_DATA_CONTAINER]);
    edit(&mut container);
    cram.parts[FIRST_DATA_CONTAINER] = container.write();
    cram.parts.concat()
}

/// Replaces one data series encoding in a compression header (CRAM 3.1 §8.4): `encoding` is the
/// codec ID and its parameters, each as written (ITF8 of one byte here).
fn set_data_series_encoding(header: &[u8], key: [u8; 2], encoding: &[u8]) -> Vec<u8> {
    let mut src = header;
    let preservation = take_map(&mut src);
    let series = take_map(&mut src);
    let rest = src;
    let mut entries = &series[..];
    let count = itf8(&mut entries);
    let mut rewritten = Vec::new();
    write_itf8(&mut rewritten, count);
    for _ in 0..count {
        let name = [entries[0], entries[1]];
        entries = &entries[2..];
        let start = entries;
        itf8(&mut entries); // codec
        let length = itf8(&mut entries) as usize;
        entries = &entries[length..];
        let consumed = start.len() - entries.len();
        rewritten.extend_from_slice(&name);
        if name == key {
            rewritten.extend_from_slice(encoding);
        } else {
            rewritten.extend_from_slice(&start[..consumed]);
        }
    }
    let mut out = Vec::new();
    put_map(&mut out, &preservation);
    put_map(&mut out, &rewritten);
    out.extend_from_slice(rest);
    out
}

fn take_map(src: &mut &[u8]) -> Vec<u8> {
    let size = itf8(src) as usize;
    let (map, rest) = src.split_at(size);
    *src = rest;
    map.to_vec()
}

fn put_map(out: &mut Vec<u8>, map: &[u8]) {
    write_itf8(out, i32::try_from(map.len()).unwrap());
    out.extend_from_slice(map);
}

/// A CRAM file as parts, as stored: its file definition, then its containers (the SAM header's
/// first).
struct Cram {
    parts: Vec<Vec<u8>>,
}

/// Where the first data container is in [`Cram::parts`].
const FIRST_DATA_CONTAINER: usize = 2;

/// A container's header fields and its blocks; `slice_starts` are the indexes of the blocks
/// that start slices (its landmarks, as block positions).
struct Container {
    reference: i32,
    start: i32,
    span: i32,
    records: i32,
    counter: i64,
    bases: i64,
    blocks: Vec<Block>,
    slice_starts: Vec<usize>,
}

#[derive(Clone)]
struct Block {
    method: u8,
    content_type: u8,
    content_id: i32,
    raw_size: i32,
    data: Vec<u8>,
}

/// A slice: its header (from its raw header block) and its other blocks.
struct Slice {
    header: SliceHeader,
    blocks: Vec<Block>,
}

struct SliceHeader {
    reference: i32,
    start: i32,
    span: i32,
    records: i32,
    counter: i64,
    blocks: i32,
    content_ids: Vec<i32>,
    embedded: i32,
    rest: Vec<u8>,
}

impl Slice {
    /// Appends an external block holding `data` (compressed with rANS 4x8) and declaring
    /// `raw_size` decoded bytes.
    fn add_block(&mut self, data: Vec<u8>, raw_size: i32) {
        let id = 1000 + i32::try_from(self.blocks.len()).unwrap();
        self.blocks.push(Block {
            method: 4,
            content_type: 4,
            content_id: id,
            raw_size,
            data,
        });
        self.header.blocks += 1;
        self.header.content_ids.push(id);
    }
}

impl Cram {
    fn parse(bytes: &[u8]) -> Self {
        let (definition, mut src) = bytes.split_at(26);
        let mut parts = vec![definition.to_vec()];
        while !src.is_empty() {
            let length = i32::from_le_bytes(src[..4].try_into().unwrap()) as usize;
            let mut header = &src[4..];
            for _ in 0..4 {
                itf8(&mut header);
            }
            ltf8(&mut header);
            ltf8(&mut header);
            itf8(&mut header);
            for _ in 0..itf8(&mut header) {
                itf8(&mut header);
            }
            let end = src.len() - header.len() + 4 + length; // CRC32, then the blocks
            parts.push(src[..end].to_vec());
            src = &src[end..];
        }
        Self { parts }
    }
}

impl Container {
    fn parse(mut src: &[u8]) -> Self {
        let length = i32::from_le_bytes(src[..4].try_into().unwrap()) as usize;
        src = &src[4..];
        let reference = itf8(&mut src);
        let start = itf8(&mut src);
        let span = itf8(&mut src);
        let records = itf8(&mut src);
        let counter = ltf8(&mut src);
        let bases = ltf8(&mut src);
        let block_count = itf8(&mut src);
        let landmarks: Vec<usize> = (0..itf8(&mut src))
            .map(|_| itf8(&mut src) as usize)
            .collect();
        let mut body = &src[4..4 + length]; // after the CRC32
        let mut blocks = Vec::new();
        let mut slice_starts = Vec::new();
        for _ in 0..block_count {
            if landmarks.contains(&(length - body.len())) {
                slice_starts.push(blocks.len());
            }
            blocks.push(Block::parse(&mut body));
        }
        Self {
            reference,
            start,
            span,
            records,
            counter,
            bases,
            blocks,
            slice_starts,
        }
    }

    fn slices(&self) -> Vec<Slice> {
        let mut bounds = self.slice_starts.clone();
        bounds.push(self.blocks.len());
        bounds
            .windows(2)
            .map(|pair| Slice {
                header: SliceHeader::parse(&self.blocks[pair[0]].data),
                blocks: self.blocks[pair[0] + 1..pair[1]].to_vec(),
            })
            .collect()
    }

    fn set_slices(&mut self, slices: Vec<Slice>) {
        let first = self
            .slice_starts
            .first()
            .copied()
            .unwrap_or(self.blocks.len());
        self.blocks.truncate(first);
        self.slice_starts.clear();
        for slice in slices {
            self.slice_starts.push(self.blocks.len());
            let data = slice.header.write();
            self.blocks.push(Block {
                method: 0,
                content_type: 2,
                content_id: 0,
                raw_size: i32::try_from(data.len()).unwrap(),
                data,
            });
            self.blocks.extend(slice.blocks);
        }
    }

    fn write(&self) -> Vec<u8> {
        let mut body = Vec::new();
        let mut landmarks = Vec::new();
        for (index, block) in self.blocks.iter().enumerate() {
            if self.slice_starts.contains(&index) {
                landmarks.push(i32::try_from(body.len()).unwrap());
            }
            block.write(&mut body);
        }
        let mut header = i32::try_from(body.len()).unwrap().to_le_bytes().to_vec();
        for value in [self.reference, self.start, self.span, self.records] {
            write_itf8(&mut header, value);
        }
        write_ltf8(&mut header, self.counter);
        write_ltf8(&mut header, self.bases);
        write_itf8(&mut header, i32::try_from(self.blocks.len()).unwrap());
        write_itf8(&mut header, i32::try_from(landmarks.len()).unwrap());
        for landmark in landmarks {
            write_itf8(&mut header, landmark);
        }
        let crc = crc32(&header);
        header.extend_from_slice(&crc.to_le_bytes());
        header.extend(body);
        header
    }
}

impl Block {
    fn parse(src: &mut &[u8]) -> Self {
        let (method, content_type) = (src[0], src[1]);
        *src = &src[2..];
        let content_id = itf8(src);
        let compressed = itf8(src) as usize;
        let raw_size = itf8(src);
        let data = src[..compressed].to_vec();
        *src = &src[compressed + 4..];
        Self {
            method,
            content_type,
            content_id,
            raw_size,
            data,
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        let mut block = vec![self.method, self.content_type];
        write_itf8(&mut block, self.content_id);
        write_itf8(&mut block, i32::try_from(self.data.len()).unwrap());
        write_itf8(&mut block, self.raw_size);
        block.extend_from_slice(&self.data);
        let crc = crc32(&block);
        block.extend_from_slice(&crc.to_le_bytes());
        out.extend(block);
    }
}

impl SliceHeader {
    fn parse(mut src: &[u8]) -> Self {
        let reference = itf8(&mut src);
        let start = itf8(&mut src);
        let span = itf8(&mut src);
        let records = itf8(&mut src);
        let counter = ltf8(&mut src);
        let blocks = itf8(&mut src);
        let content_ids = (0..itf8(&mut src)).map(|_| itf8(&mut src)).collect();
        let embedded = itf8(&mut src);
        Self {
            reference,
            start,
            span,
            records,
            counter,
            blocks,
            content_ids,
            embedded,
            rest: src.to_vec(),
        }
    }

    fn write(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for value in [self.reference, self.start, self.span, self.records] {
            write_itf8(&mut out, value);
        }
        write_ltf8(&mut out, self.counter);
        write_itf8(&mut out, self.blocks);
        write_itf8(&mut out, i32::try_from(self.content_ids.len()).unwrap());
        for &id in &self.content_ids {
            write_itf8(&mut out, id);
        }
        write_itf8(&mut out, self.embedded);
        out.extend_from_slice(&self.rest);
        out
    }
}

// ------------------------------------------------------------------------------------------------
// CRAM integers (CRAM 3.1 §2.3) and CRC32
// ------------------------------------------------------------------------------------------------

fn itf8(src: &mut &[u8]) -> i32 {
    let first = src[0];
    let extra = first.leading_ones().min(4) as usize;
    let bytes = &src[1..=extra];
    *src = &src[1 + extra..];
    let value = if extra == 4 {
        bytes[..3]
            .iter()
            .fold(u32::from(first & 0x0f), |acc, &b| (acc << 8) | u32::from(b))
            << 4
            | u32::from(bytes[3] & 0x0f)
    } else {
        bytes
            .iter()
            .fold(u32::from(first & (0xff >> (extra + 1))), |acc, &b| {
                (acc << 8) | u32::from(b)
            })
    };
    value as i32
}

fn write_itf8(out: &mut Vec<u8>, value: i32) {
    let n = value as u32;
    match n {
        0..0x80 => out.push(n as u8),
        0x80..0x4000 => out.extend_from_slice(&[0x80 | (n >> 8) as u8, n as u8]),
        0x4000..0x20_0000 => {
            out.extend_from_slice(&[0xc0 | (n >> 16) as u8, (n >> 8) as u8, n as u8]);
        }
        0x20_0000..0x1000_0000 => out.extend_from_slice(&[
            0xe0 | (n >> 24) as u8,
            (n >> 16) as u8,
            (n >> 8) as u8,
            n as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xf0 | (n >> 28) as u8,
            (n >> 20) as u8,
            (n >> 12) as u8,
            (n >> 4) as u8,
            (n & 0x0f) as u8,
        ]),
    }
}

fn ltf8(src: &mut &[u8]) -> i64 {
    let first = src[0];
    let extra = first.leading_ones() as usize;
    let initial = if extra >= 7 {
        0
    } else {
        u64::from(first & (0xff >> (extra + 1)))
    };
    let value = src[1..=extra]
        .iter()
        .fold(initial, |acc, &b| (acc << 8) | u64::from(b));
    *src = &src[1 + extra..];
    value as i64
}

/// Writes an LTF8: below 2^28 it has the same bytes as an ITF8; above, its nine-byte form.
fn write_ltf8(out: &mut Vec<u8>, value: i64) {
    match i32::try_from(value) {
        Ok(small) if (0..0x1000_0000).contains(&small) => write_itf8(out, small),
        _ => {
            out.push(0xff);
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytes);
    hasher.finalize()
}
