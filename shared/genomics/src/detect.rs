//! Format and compression detection from content, never from file names.

use crate::format::{Compression, Format};

/// Detects the compression from the first stored bytes.
///
/// BGZF is gzip whose first member carries the `BC` extra subfield (SAM spec §4.1); any other
/// gzip, including several concatenated members, is plain gzip.
///
/// ```
/// use genoflow_genomics::{detect::detect_compression, Compression};
/// assert_eq!(detect_compression(b"@r1\nACGT\n+\nIIII\n"), Compression::None);
/// assert_eq!(detect_compression(&[0x1f, 0x8b, 0x08, 0x00]), Compression::Gzip);
/// ```
pub fn detect_compression(head: &[u8]) -> Compression {
    const FEXTRA: u8 = 0x04;
    if is_bzip2(head) {
        return Compression::Bzip2;
    }
    if head.len() < 3 || head[..3] != [0x1f, 0x8b, 0x08] {
        return Compression::None;
    }
    if head.len() >= 12 && head[3] & FEXTRA != 0 {
        let extra_len = usize::from(u16::from_le_bytes([head[10], head[11]]));
        let extra = &head[12..head.len().min(12 + extra_len)];
        let mut fields = extra;
        while fields.len() >= 4 {
            let field_len = usize::from(u16::from_le_bytes([fields[2], fields[3]]));
            if fields[..2] == *b"BC" && field_len == 2 {
                return Compression::Bgzf;
            }
            fields = fields.get(4 + field_len..).unwrap_or_default();
        }
    }
    Compression::Gzip
}

/// A bzip2 stream: `BZh`, a block size digit, then the block magic (BCD of pi) or the
/// end-of-stream magic (BCD of sqrt(pi)) of an empty stream.
fn is_bzip2(head: &[u8]) -> bool {
    const BLOCK_MAGIC: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    const END_MAGIC: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
    head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && (head[4..10] == BLOCK_MAGIC || head[4..10] == END_MAGIC)
}

/// SAM header record types (SAM spec §1.3).
const SAM_HEADER_PREFIXES: [&[u8]; 5] = [b"@HD\t", b"@SQ\t", b"@RG\t", b"@PG\t", b"@CO\t"];

/// Detects the format from the first decoded bytes, or `None` when it is none we know.
///
/// ```
/// use genoflow_genomics::{detect::detect_format, Format};
/// assert_eq!(detect_format(b"@r1\nACGT\n+\nIIII\n"), Some(Format::Fastq));
/// assert_eq!(detect_format(b"@HD\tVN:1.6\n"), Some(Format::Sam));
/// assert_eq!(detect_format(b">chr1\nACGT\n"), Some(Format::Fasta));
/// assert_eq!(detect_format(b"##fileformat=VCFv4.3\n"), Some(Format::Vcf));
/// assert_eq!(detect_format(b"\x00\x01garbage"), None);
/// ```
pub fn detect_format(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"BAM\x01") {
        return Some(Format::Bam);
    }
    if head.starts_with(b"CRAM") {
        return Some(Format::Cram);
    }
    if head.starts_with(b"##fileformat=VCF") {
        return Some(Format::Vcf);
    }
    if SAM_HEADER_PREFIXES
        .iter()
        .any(|prefix| head.starts_with(prefix))
    {
        return Some(Format::Sam);
    }
    match head.first() {
        Some(b'@') => Some(Format::Fastq),
        Some(b'>' | b';') => Some(Format::Fasta),
        Some(_) if looks_like_headerless_sam(head) => Some(Format::Sam),
        _ => None,
    }
}

/// A SAM file without header: a first line of at least 11 tab-separated fields with a numeric
/// FLAG (second field).
fn looks_like_headerless_sam(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let fields: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
    fields.len() >= 11 && !fields[1].is_empty() && fields[1].iter().all(u8::is_ascii_digit)
}

/// Names the content for an error message when detection fails.
pub(crate) fn describe_unknown(head: &[u8]) -> String {
    if head.starts_with(b"BCF") {
        return "BCF (binary VCF) is not supported: convert it with `bcftools view -Oz`".to_owned();
    }
    let shown: String = head
        .iter()
        .take(16)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    format!(
        "unrecognised content (first bytes: \"{shown}\"): not FASTQ, FASTA, SAM, BAM, CRAM or VCF"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bzip2_needs_its_block_magic() {
        let mut head = b"BZh9".to_vec();
        head.extend_from_slice(&[0x31, 0x41, 0x59, 0x26, 0x53, 0x59]);
        assert_eq!(detect_compression(&head), Compression::Bzip2);
        assert_eq!(
            detect_compression(b"BZh9 plain text here"),
            Compression::None
        );
    }

    #[test]
    fn bgzf_needs_the_bc_subfield() {
        let eof = crate::input::BGZF_EOF;
        assert_eq!(detect_compression(&eof), Compression::Bgzf);
        let mut other_extra = eof;
        other_extra[12] = b'X';
        assert_eq!(detect_compression(&other_extra), Compression::Gzip);
    }

    #[test]
    fn headerless_sam_is_recognised_but_short_lines_are_not() {
        assert_eq!(
            detect_format(b"r1\t0\tchr1\t1\t60\t4M\t*\t0\t0\tACGT\tIIII\n"),
            Some(Format::Sam)
        );
        assert_eq!(detect_format(b"r1\tx\tchr1\n"), None);
    }
}
