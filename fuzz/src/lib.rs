//! Shared pieces of the genomics fuzz targets: running `validate` with the fuzzing options, and
//! repairing the checksums of CRAM and BGZF inputs so that mutations reach the decoders behind
//! them instead of stopping at a checksum mismatch.

use std::{io::Cursor, num::NonZero};

use flate2::{Decompress, FlushDecompress, Status};
use genoflow_genomics::{Format, Options, validate};

/// The six formats, in the order the first byte of a `validate_format` input selects them.
pub const FORMATS: [Format; 6] = [
    Format::Fastq,
    Format::Fasta,
    Format::Sam,
    Format::Bam,
    Format::Cram,
    Format::Vcf,
];

/// Limit on decompressed bytes while fuzzing: a bomb is reported, not inflated for minutes.
pub const MAX_DECOMPRESSED_BYTES: u64 = 64 << 20;

/// Whether `message` is the one `validate` gives when it contained a decoder panic: "the
/// {format} decoder failed on this input after N records; …". Matched from the start, so that a
/// message quoting input that contains these words (the fuzzer learns them from this very
/// comparison) is not taken for one.
fn is_contained_panic(message: &str) -> bool {
    FORMATS.iter().any(|format| {
        message
            .strip_prefix("the ")
            .and_then(|rest| rest.strip_prefix(format.as_str()))
            .is_some_and(|rest| rest.starts_with(" decoder failed on this input after "))
    })
}

/// Validates `data` (format detected when `format` is `None`) and panics on anything the
/// validator must never do: return an error for an in-memory input, misreport the stored bytes,
/// or contain a decoder panic (libFuzzer's panic hook normally aborts at the panic itself, with
/// its message; the check on the report catches one when that hook is not installed).
pub fn check(data: &[u8], format: Option<Format>) {
    let options = Options {
        format,
        max_decompressed_bytes: MAX_DECOMPRESSED_BYTES,
        threads: NonZero::<usize>::MIN,
        ..Options::default()
    };
    let report = match validate(Cursor::new(data.to_vec()), &options) {
        Ok(report) => report,
        Err(error) => panic!("validate failed on an in-memory input: {error:?}"),
    };
    if let Some(error) = &report.error {
        assert!(
            !is_contained_panic(&error.message),
            "validate contained a decoder panic: {}",
            error.message
        );
    }
    assert_eq!(report.bytes, data.len() as u64, "stored byte count");
    assert_eq!(report.valid, report.error.is_none(), "valid flag");
}

/// Splits a `validate_format` input into the forced format (its first byte, modulo 6) and the
/// input proper.
pub fn split_format(data: &[u8]) -> Option<(Format, &[u8])> {
    let (&selector, rest) = data.split_first()?;
    Some((FORMATS[usize::from(selector) % FORMATS.len()], rest))
}

/// Reads an ITF8 integer at `*pos` (as noodles does), advancing `pos`; `None` past the end.
pub fn read_itf8(data: &[u8], pos: &mut usize) -> Option<i32> {
    let b0 = u32::from(*data.get(*pos)?);
    let extra = (b0 as u8).leading_ones().min(4) as usize;
    let rest = data.get(*pos + 1..*pos + 1 + extra)?;
    *pos += 1 + extra;
    let be = |bytes: &[u8]| bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    let value = match extra {
        0 => b0,
        1 => (b0 & 0x7f) << 8 | be(rest),
        2 => (b0 & 0x3f) << 16 | be(rest),
        3 => (b0 & 0x1f) << 24 | be(rest),
        _ => {
            let low = be(rest);
            (b0 & 0x0f) << 28 | (low & 0xffff_ff0f) >> 4 | low & 0x0f
        }
    };
    Some(value as i32)
}

/// Skips an LTF8 integer at `*pos`; `None` past the end.
pub fn skip_ltf8(data: &[u8], pos: &mut usize) -> Option<()> {
    let extra = data.get(*pos)?.leading_ones() as usize;
    data.get(*pos + 1..*pos + 1 + extra)?;
    *pos += 1 + extra;
    Some(())
}

/// Encodes an ITF8 integer (for tests and seed building).
pub fn write_itf8(out: &mut Vec<u8>, value: i32) {
    let n = value as u32;
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x4000 {
        out.extend_from_slice(&[0x80 | (n >> 8) as u8, n as u8]);
    } else if n < 0x20_0000 {
        out.extend_from_slice(&[0xc0 | (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    } else if n < 0x1000_0000 {
        out.extend_from_slice(&[
            0xe0 | (n >> 24) as u8,
            (n >> 16) as u8,
            (n >> 8) as u8,
            n as u8,
        ]);
    } else {
        out.extend_from_slice(&[
            0xf0 | (n >> 28) as u8,
            (n >> 20) as u8,
            (n >> 12) as u8,
            (n >> 4) as u8,
            (n & 0x0f) as u8,
        ]);
    }
}

fn put_crc32(data: &mut [u8], start: usize, end: usize) -> Option<()> {
    let crc = crc32fast::hash(data.get(start..end)?);
    data.get_mut(end..end + 4)?
        .copy_from_slice(&crc.to_le_bytes());
    Some(())
}

/// Bytes of the CRAM file definition: `CRAM`, major, minor, 20-byte file ID.
const CRAM_FILE_DEFINITION: usize = 26;

/// Recomputes, in place, the CRC32 of every CRAM 3.x container header and block that parses
/// (SAMv1 CRAM §6–§8), stopping quietly at the first thing that does not. CRAM 2.x carries no
/// checksums and is left alone. Returns where the checksums repaired are.
pub fn repair_cram(data: &mut [u8]) -> Vec<usize> {
    let mut crcs = Vec::new();
    if data.len() < CRAM_FILE_DEFINITION || &data[..4] != b"CRAM" || data[4] < 3 {
        return crcs;
    }
    let mut pos = CRAM_FILE_DEFINITION;
    while let Some(next) = repair_container(data, pos, &mut crcs) {
        pos = next;
    }
    crcs
}

/// Repairs the container at `start`; returns where the next one starts, if anywhere.
fn repair_container(data: &mut [u8], start: usize, crcs: &mut Vec<usize>) -> Option<usize> {
    let length = i32::from_le_bytes(data.get(start..start + 4)?.try_into().ok()?);
    let length = usize::try_from(length).ok()?;
    let mut pos = start + 4;
    for _ in 0..4 {
        // Reference sequence ID, alignment start, span, record count.
        read_itf8(data, &mut pos)?;
    }
    for _ in 0..2 {
        // Record counter, bases.
        skip_ltf8(data, &mut pos)?;
    }
    read_itf8(data, &mut pos)?; // block count
    let landmarks = read_itf8(data, &mut pos)?;
    for _ in 0..landmarks.max(0) {
        read_itf8(data, &mut pos)?;
    }
    put_crc32(data, start, pos)?;
    crcs.push(pos);
    let body = pos + 4;
    let end = body.checked_add(length)?;
    // Blocks are walked to the end of the container (or of the input), whatever the block count
    // says, so a mutated count does not hide blocks from the repair.
    let mut block = body;
    let limit = end.min(data.len());
    while block < limit {
        match repair_block(data, block, limit) {
            Some(next) => {
                crcs.push(next - 4);
                block = next;
            }
            None => break,
        }
    }
    (end < data.len()).then_some(end)
}

/// Repairs the block at `start` if it ends by `limit`; returns where the next one starts.
fn repair_block(data: &mut [u8], start: usize, limit: usize) -> Option<usize> {
    let mut pos = start + 2; // method, content type
    data.get(start..pos)?;
    read_itf8(data, &mut pos)?; // content ID
    let compressed = usize::try_from(read_itf8(data, &mut pos)?).ok()?;
    read_itf8(data, &mut pos)?; // raw size
    let crc_at = pos.checked_add(compressed)?;
    if crc_at + 4 > limit {
        return None;
    }
    put_crc32(data, start, crc_at)?;
    Some(crc_at + 4)
}

/// Largest inflated size of a BGZF block (SAM spec §4.1).
const BGZF_MAX_BLOCK: usize = 1 << 16;

/// Recomputes, in place, the CRC32 and ISIZE of every BGZF block whose data inflates (SAM spec
/// §4.1), stopping quietly at the first block whose header does not parse. Returns where the
/// walk stopped: the end of the last whole block.
pub fn repair_bgzf(data: &mut [u8]) -> usize {
    let mut inflated = vec![0; BGZF_MAX_BLOCK];
    let mut pos = 0;
    while let Some(next) = repair_bgzf_block(data, pos, &mut inflated) {
        pos = next;
    }
    pos
}

/// The total size of the BGZF block whose header starts `header`, from its `BC` subfield.
fn bgzf_block_size(header: &[u8]) -> Option<usize> {
    if header.get(..4)? != [0x1f, 0x8b, 0x08, 0x04] {
        return None;
    }
    let xlen = usize::from(u16::from_le_bytes(header.get(10..12)?.try_into().ok()?));
    let mut extra = header.get(12..12 + xlen)?;
    while extra.len() >= 4 {
        let field_len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        if extra[..2] == *b"BC" && field_len == 2 {
            let bsize = u16::from_le_bytes(extra.get(4..6)?.try_into().ok()?);
            return Some(usize::from(bsize) + 1);
        }
        extra = extra.get(4 + field_len..)?;
    }
    None
}

/// Repairs the BGZF block at `start`; returns where the next one starts.
fn repair_bgzf_block(data: &mut [u8], start: usize, inflated: &mut [u8]) -> Option<usize> {
    let size = bgzf_block_size(data.get(start..)?)?;
    let xlen = usize::from(u16::from_le_bytes([data[start + 10], data[start + 11]]));
    let cdata = start + 12 + xlen;
    let trailer = (start + size).checked_sub(8)?;
    if trailer < cdata || start + size > data.len() {
        return None;
    }
    let mut inflater = Decompress::new(false);
    let status = inflater.decompress(&data[cdata..trailer], inflated, FlushDecompress::Finish);
    if let Ok(Status::StreamEnd) = status {
        let n = inflater.total_out() as usize;
        let crc = crc32fast::hash(&inflated[..n]);
        data[trailer..trailer + 4].copy_from_slice(&crc.to_le_bytes());
        data[trailer + 4..trailer + 8].copy_from_slice(&(n as u32).to_le_bytes());
    }
    Some(start + size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contained_panics_are_recognised() {
        assert!(is_contained_panic(
            "the cram decoder failed on this input after 3 records; the file is damaged or uses a feature GenoFlow cannot read"
        ));
        assert!(!is_contained_panic(
            "meta-information key 'xdecoder failed on this input after ' has the character ' '"
        ));
        assert!(!is_contained_panic("the file is empty"));
    }

    #[test]
    fn itf8_round_trips() {
        for value in [
            0,
            1,
            0x7f,
            0x80,
            0x3fff,
            0x4000,
            0x1f_ffff,
            0x20_0000,
            0x0fff_ffff,
            0x1000_0000,
            i32::MAX,
            -1,
            i32::MIN,
        ] {
            let mut out = Vec::new();
            write_itf8(&mut out, value);
            let mut pos = 0;
            assert_eq!(read_itf8(&out, &mut pos), Some(value), "{value}");
            assert_eq!(pos, out.len());
        }
    }

    fn block(method: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![method, 4];
        write_itf8(&mut out, 1);
        write_itf8(&mut out, content.len() as i32);
        write_itf8(&mut out, content.len() as i32);
        out.extend_from_slice(content);
        out.extend_from_slice(&crc32fast::hash(&out).to_le_bytes());
        out
    }

    fn container(reference_id: i32, blocks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = blocks.concat();
        let mut out = (body.len() as i32).to_le_bytes().to_vec();
        for value in [reference_id, 1, 100, 3, 0, 5, blocks.len() as i32, 1, 0] {
            write_itf8(&mut out, value);
        }
        out.extend_from_slice(&crc32fast::hash(&out).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    fn cram(reference_id: i32, last: &[u8]) -> Vec<u8> {
        let mut file = b"CRAM\x03\x00".to_vec();
        file.extend_from_slice(&[0; 20]);
        file.extend(container(0, &[block(0, b"header"), block(0, b"")]));
        file.extend(container(
            reference_id,
            &[block(0, b"ndls"), block(1, last)],
        ));
        file
    }

    #[test]
    fn repair_cram_restores_checksums_after_mutation() {
        let good = cram(0, b"xyz");
        let mut same = good.clone();
        repair_cram(&mut same);
        assert_eq!(same, good);

        // Mutate the last block's data and the second container's reference ID: the repair gives
        // the file written with those values.
        let mut mutated = good.clone();
        let n = mutated.len();
        mutated[n - 5] = b'Z';
        let second =
            CRAM_FILE_DEFINITION + container(0, &[block(0, b"header"), block(0, b"")]).len();
        mutated[second + 4] = 7;
        repair_cram(&mut mutated);
        assert_eq!(mutated, cram(7, b"xyZ"));

        for cut in 0..good.len() {
            let mut part = good[..cut].to_vec();
            repair_cram(&mut part);
        }
    }

    fn bgzf_block(content: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut deflater =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        deflater.write_all(content).unwrap();
        let cdata = deflater.finish().unwrap();
        let size = (cdata.len() + 25) as u16 + 1;
        let mut out = vec![
            0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, b'B', b'C', 2, 0,
        ];
        out.extend_from_slice(&(size - 1).to_le_bytes());
        out.extend_from_slice(&cdata);
        out.extend_from_slice(&crc32fast::hash(content).to_le_bytes());
        out.extend_from_slice(&(content.len() as u32).to_le_bytes());
        out
    }

    #[test]
    fn repair_bgzf_restores_crc_and_size() {
        let good = [bgzf_block(b"@r1\nACGT\n+\nIIII\n"), bgzf_block(b"")].concat();
        let mut same = good.clone();
        repair_bgzf(&mut same);
        assert_eq!(same, good);
        let mut broken = good.clone();
        let first = bgzf_block(b"@r1\nACGT\n+\nIIII\n").len();
        broken[first - 8..first].fill(0);
        repair_bgzf(&mut broken);
        assert_eq!(&broken[first - 8..first], &good[first - 8..first]);
        for cut in 0..good.len() {
            let mut part = good[..cut].to_vec();
            repair_bgzf(&mut part);
        }
    }

    /// Every file of tests/data under `dir` whose name ends with one of `suffixes`.
    fn test_files(dir: &str, suffixes: &[&str]) -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data")
            .join(dir);
        let mut pending = vec![root];
        let mut found = Vec::new();
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if suffixes.iter().any(|s| path.to_string_lossy().ends_with(s)) {
                    found.push(path);
                }
            }
        }
        found
    }

    #[test]
    fn repairs_leave_real_files_unchanged() {
        let crams = test_files("conformance/hts-specs/test/cram", &[".cram"]);
        assert!(crams.len() > 50, "{} CRAM files", crams.len());
        for path in crams {
            let good = std::fs::read(&path).unwrap();
            let mut data = good.clone();
            repair_cram(&mut data);
            assert!(data == good, "{}", path.display());
        }
        let bgzfs = test_files("", &[".bgz", ".vcf.gz", ".bam"]);
        assert!(bgzfs.len() > 3, "{} BGZF files", bgzfs.len());
        for path in bgzfs {
            let good = std::fs::read(&path).unwrap();
            let mut data = good.clone();
            repair_bgzf(&mut data);
            assert!(data == good, "{}", path.display());
        }
    }

    #[test]
    fn repairs_walk_real_files_to_the_end() {
        // Zero every checksum the walk finds, repair, and expect the original back: the walk
        // got through every container and block.
        for path in test_files("conformance/hts-specs/test/cram", &[".cram"]) {
            let good = std::fs::read(&path).unwrap();
            if good[4] < 3 {
                continue;
            }
            let mut data = good.clone();
            let crcs = repair_cram(&mut data);
            assert!(
                crcs.len() >= 2,
                "{}: {} checksums",
                path.display(),
                crcs.len()
            );
            for &at in &crcs {
                data[at..at + 4].fill(0);
            }
            assert_eq!(repair_cram(&mut data), crcs);
            assert!(data == good, "{}", path.display());
        }
        for path in test_files("", &[".bgz", ".vcf.gz", ".bam"]) {
            let good = std::fs::read(&path).unwrap();
            if bgzf_block_size(&good).is_none() {
                continue; // plain gzip
            }
            let mut data = good.clone();
            assert_eq!(repair_bgzf(&mut data), good.len(), "{}", path.display());
            assert!(data == good, "{}", path.display());
        }
    }
}
