//! CRAM 2.0 and 2.1, whose records noodles (0.119) cannot decode: the file's structure is walked
//! instead (SAMv1 CRAM 2.1 §6–8: the file definition, the SAM header container with its text
//! checked like SAM's, every container whole with its blocks tiling it, the end-of-file container
//! last), so that a damaged file is `invalid` like any other, and a whole one is reported
//! unsupported: neither valid nor invalid, with how to convert it.
//!
//! CRAM 2 differs from 3 in its headers only where this walk reads them: a container header has no
//! CRC32 and its record counter is an ITF8 (3.0: LTF8), and a block has no CRC32.

use std::io::{self, BufRead, Read};

use crate::{
    context::Context,
    diagnostic::{Diagnostic, Failure},
};

/// The largest SAM header block read whole (htslib reserves space after the text; real headers
/// take kilobytes).
const MAX_HEADER_BLOCK: u64 = 64 << 20;

/// The end-of-file container's reference start: "EOF" in ASCII.
const EOF_START: i32 = 0x0045_4f46;

/// The message of a version GenoFlow cannot validate; `structure` names what was found whole.
pub(super) fn unsupported_message(major: u8, minor: u8, structure: Option<&str>) -> String {
    let found = structure.map_or(String::new(), |structure| format!(" ({structure})"));
    format!(
        "CRAM {major}.{minor} is not supported{found}: GenoFlow validates the records of CRAM 3.0 and 3.1 only; \
         convert the file with `samtools view -C -o converted.cram FILE` (samtools writes CRAM 3), then upload that"
    )
}

/// A reader that counts the offset of the bytes it hands out.
struct Walker<'r, R> {
    reader: &'r mut R,
    offset: u64,
}

impl<R: BufRead> Walker<'_, R> {
    fn byte(&mut self, what: &str) -> Result<u8, Failure> {
        let mut byte = [0u8];
        self.exact(&mut byte, what)?;
        Ok(byte[0])
    }

    fn exact(&mut self, buffer: &mut [u8], what: &str) -> Result<(), Failure> {
        match self.reader.read_exact(buffer) {
            Ok(()) => {
                self.offset += buffer.len() as u64;
                Ok(())
            }
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
                Err(self.invalid(format!("the file ends inside {what}: it is cut short")))
            }
            Err(error) => Err(Failure::Io(error)),
        }
    }

    /// An ITF8 integer (1 to 5 bytes).
    fn itf8(&mut self, what: &str) -> Result<i32, Failure> {
        let mut bytes = [0u8; 5];
        let length = self.variable(&mut bytes, 4, what)?;
        Ok(super::read_itf8(&mut &bytes[..length]).unwrap_or_default())
    }

    /// An LTF8 integer (1 to 9 bytes).
    fn ltf8(&mut self, what: &str) -> Result<i64, Failure> {
        let mut bytes = [0u8; 9];
        let length = self.variable(&mut bytes, 8, what)?;
        Ok(super::read_ltf8(&mut &bytes[..length]).unwrap_or_default())
    }

    /// Reads a variable-length integer into `bytes`: its first byte's leading ones (at most
    /// `most`) count the bytes that follow. Answers its length.
    fn variable(&mut self, bytes: &mut [u8], most: u32, what: &str) -> Result<usize, Failure> {
        bytes[0] = self.byte(what)?;
        let length = 1 + bytes[0].leading_ones().min(most) as usize;
        self.exact(&mut bytes[1..length], what)?;
        Ok(length)
    }

    /// A count or size, which may not be negative.
    fn size(&mut self, what: &str) -> Result<u64, Failure> {
        let value = self.itf8(what)?;
        u64::try_from(value).map_err(|_| self.invalid(format!("{what} is negative ({value})")))
    }

    /// Skips `bytes` without keeping them.
    fn skip(&mut self, bytes: u64, what: &str) -> Result<(), Failure> {
        let copied =
            io::copy(&mut self.reader.take(bytes), &mut io::sink()).map_err(Failure::Io)?;
        self.offset += copied;
        if copied < bytes {
            return Err(self.invalid(format!("the file ends inside {what}: it is cut short")));
        }
        Ok(())
    }

    fn at_end(&mut self) -> Result<bool, Failure> {
        Ok(self.reader.fill_buf().map_err(Failure::Io)?.is_empty())
    }

    fn invalid(&self, message: String) -> Failure {
        Failure::Invalid(Diagnostic::at_offset(message, None, self.offset))
    }
}

/// What a container header declares.
struct ContainerHeader {
    length: u64,
    reference: i32,
    start: i32,
    records: i32,
    blocks: u64,
    landmarks: Vec<u64>,
}

fn container_header<R: BufRead>(walker: &mut Walker<'_, R>) -> Result<ContainerHeader, Failure> {
    let what = "a container header";
    let mut length = [0u8; 4];
    walker.exact(&mut length, what)?;
    let length = i32::from_le_bytes(length);
    let length = u64::try_from(length).map_err(|_| {
        walker.invalid(format!("a container declares a negative length ({length})"))
    })?;
    let reference = walker.itf8(what)?;
    let start = walker.itf8(what)?;
    walker.itf8(what)?; // alignment span
    let records = walker.itf8(what)?;
    walker.itf8(what)?; // record counter: ITF8 in CRAM 2
    walker.ltf8(what)?; // bases
    let blocks = walker.size("a container's block count")?;
    let count = walker.size("a container's landmark count")?;
    if count > length {
        return Err(walker.invalid(format!(
            "a container of {length} bytes declares {count} slices"
        )));
    }
    let landmarks = (0..count)
        .map(|_| walker.size("a slice landmark"))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(&beyond) = landmarks.iter().find(|&&landmark| landmark >= length) {
        return Err(walker.invalid(format!(
            "a slice starts at byte {beyond} of a container of {length} bytes"
        )));
    }
    Ok(ContainerHeader {
        length,
        reference,
        start,
        records,
        blocks,
        landmarks,
    })
}

/// A block's header: (method, content type, compressed size, raw size).
fn block_header<R: BufRead>(walker: &mut Walker<'_, R>) -> Result<(u8, u8, u64, u64), Failure> {
    let what = "a block header";
    let method = walker.byte(what)?;
    // htslib and io_lib wrote rANS (4) into CRAM 2.1 files too.
    if method > 4 {
        return Err(walker.invalid(format!(
            "block compression method {method} does not exist in CRAM 2 (raw, gzip, bzip2, lzma, rANS)"
        )));
    }
    let content_type = walker.byte(what)?;
    if content_type > 5 {
        return Err(walker.invalid(format!("block content type {content_type} does not exist")));
    }
    walker.itf8(what)?; // content id
    let compressed = walker.size("a block's compressed size")?;
    let raw = walker.size("a block's raw size")?;
    Ok((method, content_type, compressed, raw))
}

/// Reads the SAM header container (one block: an int32 length, then the text) and checks the
/// text like SAM's.
fn header_container<R: BufRead>(
    walker: &mut Walker<'_, R>,
    ctx: &mut Context<'_>,
) -> Result<(), Failure> {
    let header_offset = walker.offset;
    let container = container_header(walker)?;
    let data_start = walker.offset;
    let (method, _, compressed, raw) = block_header(walker)?;
    if compressed > MAX_HEADER_BLOCK || raw > MAX_HEADER_BLOCK {
        return Err(walker.invalid(format!(
            "the SAM header block declares {compressed} bytes ({raw} decoded), above {MAX_HEADER_BLOCK}"
        )));
    }
    let mut data = vec![0u8; usize::try_from(compressed).unwrap_or(0)];
    walker.exact(&mut data, "the SAM header block")?;
    let decoded = match method {
        0 => data,
        1 => {
            let mut decoded = Vec::new();
            flate2::read::MultiGzDecoder::new(&data[..])
                .take(MAX_HEADER_BLOCK)
                .read_to_end(&mut decoded)
                .map_err(|e| {
                    walker.invalid(format!("the SAM header block does not inflate: {e}"))
                })?;
            decoded
        }
        other => {
            return Err(walker.invalid(format!(
                "the SAM header block is compressed with method {other}; encoders write it raw or with gzip"
            )));
        }
    };
    let (length, text) = decoded.split_first_chunk::<4>().ok_or_else(|| {
        walker.invalid("the SAM header block is shorter than its length field".into())
    })?;
    let length = usize::try_from(i32::from_le_bytes(*length)).unwrap_or(usize::MAX);
    let text = text.get(..length).ok_or_else(|| {
        walker.invalid(format!(
            "the SAM header text declares {length} bytes; its block holds {}",
            text.len()
        ))
    })?;
    super::check_header_text(text, header_offset, ctx)?;
    let used = walker.offset - data_start;
    let rest = container.length.checked_sub(used).ok_or_else(|| {
        walker.invalid(format!(
            "the SAM header container declares {} bytes; its block takes {used}",
            container.length
        ))
    })?;
    // Padding an encoder reserved for a longer header, or more blocks: skipped.
    walker.skip(rest, "the SAM header container")
}

/// Walks a CRAM 2 file after its version bytes (offset 6); answers why it is not valid: a
/// structural error ([`Failure::Invalid`]), or [`Failure::Unsupported`] once the walk reached
/// the end-of-file container and the end of the file.
pub(super) fn check<R: BufRead>(
    reader: &mut R,
    major: u8,
    minor: u8,
    ctx: &mut Context<'_>,
) -> Failure {
    match walk(reader, ctx) {
        Ok((containers, records)) => Failure::Unsupported(Diagnostic::at_offset(
            unsupported_message(
                major,
                minor,
                Some(&format!(
                    "its structure is whole: the SAM header, {containers} container{} declaring {records} records, the end-of-file container",
                    if containers == 1 { "" } else { "s" }
                )),
            ),
            None,
            4,
        )),
        Err(failure) => failure,
    }
}

fn walk<R: BufRead>(reader: &mut R, ctx: &mut Context<'_>) -> Result<(u64, u64), Failure> {
    let mut walker = Walker { reader, offset: 6 };
    let mut file_id = [0u8; 20];
    walker.exact(&mut file_id, "the file ID")?;
    header_container(&mut walker, ctx)?;
    let (mut containers, mut records) = (0u64, 0u64);
    loop {
        if walker.at_end()? {
            return Err(walker.invalid(
                "the file ends without the end-of-file container: it is cut short".into(),
            ));
        }
        let container_offset = walker.offset;
        let container = container_header(&mut walker)?;
        if container.reference == -1 && container.start == EOF_START && container.records == 0 {
            walker.skip(container.length, "the end-of-file container")?;
            if !walker.at_end()? {
                return Err(walker.invalid("bytes follow the end-of-file container".into()));
            }
            return Ok((containers, records));
        }
        if container.landmarks.is_empty() && container.records > 0 {
            return Err(walker.invalid(format!(
                "a container declares {} records and no slice",
                container.records
            )));
        }
        let records_here = u64::try_from(container.records).map_err(|_| {
            walker.invalid(format!(
                "a container declares {} records",
                container.records
            ))
        })?;
        // The blocks must tile the container's data exactly.
        let data_start = walker.offset;
        let mut blocks = 0u64;
        while walker.offset - data_start < container.length {
            let (_, _, compressed, _) = block_header(&mut walker)?;
            walker.skip(compressed, "a block")?;
            blocks += 1;
        }
        let used = walker.offset - data_start;
        if used != container.length {
            return Err(Failure::Invalid(Diagnostic::at_offset(
                format!(
                    "the container's blocks take {used} bytes; its header declares {}",
                    container.length
                ),
                None,
                container_offset,
            )));
        }
        if container.blocks != 0 && container.blocks != blocks {
            return Err(Failure::Invalid(Diagnostic::at_offset(
                format!(
                    "the container holds {blocks} blocks; its header declares {}",
                    container.blocks
                ),
                None,
                container_offset,
            )));
        }
        containers += 1;
        records += records_here;
    }
}
