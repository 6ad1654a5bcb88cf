//! SAM, BAM and CRAM validation.
//!
//! One set of rules for the three encodings: the header text is checked by `header`, each
//! record's fields by format-specific syntax checks (`sam` for text, `bam` and `cram` on
//! records decoded by noodles) and then by the shared checks of `record` (CIGAR against SEQ,
//! references and positions against the header, FLAG consistency, optional-field tags).
//! Everything streams: memory holds the header and one record (one container for CRAM).

mod bam;
mod cram;
mod header;
mod record;
mod sam;
mod syntax;

use std::io::BufRead;

use serde::Serialize;

use crate::{context::Context, diagnostic::Failure};

/// Statistics of an alignment file.
///
/// ```
/// use genoflow_genomics::{validate, Options, Stats};
///
/// let sam = "@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:chr1\tLN:100\n\
///            r1\t0\tchr1\t5\t60\t4M\t*\t0\t0\tACGT\tIIII\n\
///            r2\t4\t*\t0\t0\t*\t*\t0\t0\tACGT\t*\n";
/// let report = validate(sam.as_bytes(), &Options::default()).unwrap();
/// assert!(report.valid);
/// let Stats::Alignment(stats) = report.stats else { panic!("SAM gives alignment statistics") };
/// assert_eq!((stats.records, stats.mapped, stats.unmapped), (2, 1, 1));
/// assert_eq!(stats.sort_order, "unsorted");
///
/// // A CIGAR that covers more bases than SEQ holds makes the file invalid.
/// let bad = "r1\t4\t*\t0\t0\t5M\t*\t0\t0\tACGT\t*\n";
/// let report = validate(bad.as_bytes(), &Options::default()).unwrap();
/// assert_eq!(report.error.unwrap().line, Some(1));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AlignmentStats {
    /// Alignment records.
    pub records: u64,
    /// Records with the unmapped flag (0x4) clear.
    pub mapped: u64,
    /// Records with the unmapped flag set.
    pub unmapped: u64,
    /// Secondary alignments (0x100).
    pub secondary: u64,
    /// Supplementary alignments (0x800).
    pub supplementary: u64,
    /// PCR or optical duplicates (0x400).
    pub duplicates: u64,
    /// Records with both 0x1 and 0x2 set.
    pub properly_paired: u64,
    /// Reference sequences in the header.
    pub references: u64,
    /// `@HD SO`, or `unknown`.
    pub sort_order: String,
}

pub(crate) fn validate_sam<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    sam::validate(reader, ctx)
}

pub(crate) fn validate_bam<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    bam::validate(reader, ctx)
}

pub(crate) fn validate_cram<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    cram::validate(reader, ctx)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::{
        io::{Cursor, Read, Write},
        path::{Path, PathBuf},
    };

    use noodles::{bgzf, cram, fasta, sam};

    use crate::{Options, Report, Stats, validate};

    fn suite_file(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/conformance/hts-specs/test")
            .join(path)
    }

    fn check(bytes: Vec<u8>, options: &Options) -> Report {
        validate(Cursor::new(bytes), options).expect("validation runs")
    }

    fn stats(report: &Report) -> &super::AlignmentStats {
        match &report.stats {
            Stats::Alignment(stats) => stats,
            other => panic!("not alignment statistics: {other:?}"),
        }
    }

    #[test]
    fn sam_statistics() {
        let sam = "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:100\n\
            r1\t99\tchr1\t1\t60\t4M\t=\t11\t14\tACGT\tIIII\tNM:i:0\n\
            r1\t147\tchr1\t11\t60\t4M\t=\t1\t-14\tACGT\tIIII\n\
            r2\t1540\t*\t0\t0\t*\t*\t0\t0\tACGT\t*\n";
        let report = check(sam.into(), &Options::default());
        assert!(report.valid, "{:?}", report.error);
        assert_eq!(report.records, 3);
        let stats = stats(&report);
        assert_eq!(
            (
                stats.mapped,
                stats.unmapped,
                stats.properly_paired,
                stats.duplicates
            ),
            (2, 1, 2, 1)
        );
        assert_eq!(
            (stats.references, stats.sort_order.as_str()),
            (1, "coordinate")
        );
    }

    #[test]
    fn sam_errors_name_line_and_record() {
        let sam = "@SQ\tSN:chr1\tLN:100\nr1\t0\tchr1\t1\t60\t5M\t*\t0\t0\tACGT\tIIII\n";
        let report = check(sam.into(), &Options::default());
        let error = report.error.expect("CIGAR and SEQ disagree");
        assert_eq!((error.line, error.record), (Some(2), Some(1)));
        assert!(
            error.message.contains("CIGAR covers 5"),
            "{}",
            error.message
        );
    }

    #[test]
    fn sam_record_rules() {
        let header = "@SQ\tSN:chr1\tLN:100\n@RG\tID:rg1\n";
        let cases = [
            (
                "r1\t0\tchr1\t1\t60\t4M\t*\t0\t0\tACGT\tIIII\tRG:Z:rg2",
                "names no @RG",
            ),
            (
                "r1\t0\tchr1\t1\t60\t4M\t*\t0\t0\tACGT\tIIII\tXA:i:1\tXA:i:2",
                "more than once",
            ),
            (
                "r1\t0\tchr1\t1\t60\t4M\t*\t0\t0\tACGT\tIIII\tXB:B:c,200",
                "-128..127",
            ),
            (
                "r1\t0\tchr1\t1\t60\t2M1S1M\t*\t0\t0\tACGT\tIIII",
                "soft clip",
            ),
            (
                "r1\t4096\tchr1\t1\t60\t4M\t*\t0\t0\tACGT\tIIII",
                "does not define",
            ),
            ("r1\t4\t*\t0\t0\t*\t*\t0\t0\t*\tIIII", "SEQ is '*'"),
            (
                "r1\t0\tchr2\t1\t60\t4M\t*\t0\t0\tACGT\tIIII",
                "not declared",
            ),
            (
                "r1\t0\tchr1\t1\t60\t4M\t*\t0\t0\tACGT",
                "11 mandatory fields",
            ),
        ];
        for (record, needle) in cases {
            let report = check(format!("{header}{record}\n").into(), &Options::default());
            let error = report
                .error
                .unwrap_or_else(|| panic!("{record} must be rejected"));
            assert_eq!((error.line, error.record), (Some(3), Some(1)), "{record}");
            assert!(
                error.message.contains(needle),
                "{record}: {}",
                error.message
            );
        }
    }

    #[test]
    fn coordinate_sort_order_is_checked() {
        let sam = |first: &str, second: &str| {
            format!(
                "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:a\tLN:100\n@SQ\tSN:b\tLN:100\n\
                 r1\t0\t{first}\t4M\t*\t0\t0\tACGT\t*\nr2\t0\t{second}\t4M\t*\t0\t0\tACGT\t*\n"
            )
        };
        let sorted = check(sam("a\t50\t60", "b\t10\t60").into(), &Options::default());
        assert!(sorted.valid, "{:?}", sorted.error);
        let unsorted = check(sam("b\t10\t60", "a\t50\t60").into(), &Options::default());
        let error = unsorted.error.expect("b before a");
        assert_eq!((error.line, error.record), (Some(5), Some(2)));
        assert!(error.message.contains("SO:coordinate"), "{}", error.message);
    }

    #[test]
    fn sam_allowed_oddities_are_warnings() {
        // POS beyond the reference end and mate bits without 0x1 are allowed but suspicious.
        let sam = "@SQ\tSN:chr1\tLN:10\nr1\t8\tchr1\t20\t60\t4M\t*\t0\t0\tACGT\tIIII\n";
        let report = check(sam.into(), &Options::default());
        assert!(report.valid, "{:?}", report.error);
        assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    }

    fn level1_bam() -> Vec<u8> {
        std::fs::read(suite_file("bam/passed/level-1.bam")).unwrap()
    }

    #[test]
    fn bam_from_the_suite_is_valid_with_statistics() {
        let report = check(level1_bam(), &Options::default());
        assert!(report.valid, "{:?}", report.error);
        let stats = stats(&report);
        assert_eq!(stats.records, report.records);
        assert!(stats.records > 0);
        assert_eq!(stats.mapped + stats.unmapped, stats.records);
    }

    #[test]
    fn truncated_bam_is_invalid() {
        let bam = level1_bam();
        // Without the BGZF end-of-file block (whole blocks lost).
        let report = check(bam[..bam.len() - 28].to_vec(), &Options::default());
        let error = report.error.expect("missing EOF marker");
        assert!(
            error.message.contains("end-of-file marker"),
            "{}",
            error.message
        );
        // Cut inside a block.
        let report = check(bam[..bam.len() / 2].to_vec(), &Options::default());
        assert!(!report.valid);
    }

    /// Decompresses a BAM, lets `edit` change the decoded bytes, and compresses it again.
    fn edited_bam(edit: impl FnOnce(&mut Vec<u8>, usize)) -> Vec<u8> {
        let mut decoded = Vec::new();
        bgzf::io::Reader::new(Cursor::new(level1_bam()))
            .read_to_end(&mut decoded)
            .unwrap();
        let u32_at =
            |d: &[u8], i: usize| u32::from_le_bytes(d[i..i + 4].try_into().unwrap()) as usize;
        let mut offset = 8 + u32_at(&decoded, 4);
        let references = u32_at(&decoded, offset);
        offset += 4;
        for _ in 0..references {
            offset += 4 + u32_at(&decoded, offset) + 4;
        }
        edit(&mut decoded, offset);
        let mut writer = bgzf::io::Writer::new(Vec::new());
        writer.write_all(&decoded).unwrap();
        writer.finish().unwrap()
    }

    #[test]
    fn corrupt_bam_record_is_invalid_with_its_offset() {
        // The first record's reference ID points past the dictionary.
        let bam = edited_bam(|decoded, first| {
            decoded[first + 4..first + 8].copy_from_slice(&1000i32.to_le_bytes());
        });
        let report = check(bam, &Options::default());
        let error = report.error.expect("bad reference ID");
        assert_eq!(error.record, Some(1));
        assert!(error.offset.is_some());
        assert!(
            error.message.contains("reference #1000"),
            "{}",
            error.message
        );

        // The first record's read name loses its NUL terminator.
        let bam = edited_bam(|decoded, first| {
            let name_length = usize::from(decoded[first + 4 + 8]);
            decoded[first + 4 + 32 + name_length - 1] = b'x';
        });
        let error = check(bam, &Options::default()).error.expect("no NUL");
        assert!(
            error.message.contains("NUL terminator"),
            "{}",
            error.message
        );

        // The first record's block size runs past the end of the data.
        let bam = edited_bam(|decoded, first| {
            decoded[first..first + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            decoded.truncate(first + 100);
        });
        let report = check(bam, &Options::default());
        let error = report.error.expect("record cut short");
        assert_eq!((error.record, error.offset), (Some(1), error.offset));
        assert!(error.message.contains("record"), "{}", error.message);
    }

    #[test]
    fn cram_without_eof_container_is_invalid() {
        let cram = std::fs::read(suite_file("cram/3.0/failed/0000_empty_noeof.cram")).unwrap();
        let error = check(cram, &Options::default())
            .error
            .expect("no EOF container");
        assert!(
            error.message.contains("end-of-file container is missing"),
            "{}",
            error.message
        );
    }

    #[test]
    fn cram_from_the_suite_matches_its_sam() {
        let cram = std::fs::read(suite_file("cram/3.0/passed/0303_unmapped.cram")).unwrap();
        let sam = std::fs::read(suite_file("cram/3.0/passed/0303_unmapped.sam")).unwrap();
        let from_cram = check(cram, &Options::default());
        let from_sam = check(sam, &Options::default());
        assert!(
            from_cram.valid && from_sam.valid,
            "{:?} {:?}",
            from_cram.error,
            from_sam.error
        );
        assert_eq!(from_cram.records, from_sam.records);
        assert_eq!(stats(&from_cram), stats(&from_sam));
    }

    #[test]
    fn damaged_cram_is_invalid() {
        let cram = std::fs::read(suite_file("cram/3.0/passed/0303_unmapped.cram")).unwrap();
        // A byte inside the last data container (the EOF container is the last 38 bytes).
        let mut damaged = cram.clone();
        let at = damaged.len() - 60;
        damaged[at] ^= 0x55;
        let report = check(damaged, &Options::default());
        assert!(!report.valid, "a damaged block must fail its CRC32");
        // A container that claims to be 2 GiB long.
        let mut huge = cram[..26].to_vec();
        huge.extend_from_slice(&i32::MAX.to_le_bytes());
        huge.extend_from_slice(&[0; 64]);
        let error = check(huge, &Options::default())
            .error
            .expect("oversized container");
        assert!(error.message.contains("container"), "{}", error.message);
    }

    const REFERENCE: &str = "ACGTTGCAAGGCTTACCGATACGATCGGATCCATGCAGTCAGTTGACCATGGAAT";

    /// A CRAM whose one mapped record needs the external reference, and that reference as FASTA.
    fn cram_with_reference(name: &str) -> (Vec<u8>, PathBuf) {
        let dir = std::env::temp_dir().join(format!("genoflow-cram-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fasta_path = dir.join("ref.fa");
        std::fs::write(&fasta_path, format!(">chr1\n{REFERENCE}\n")).unwrap();
        let text = format!(
            "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:{}\nr1\t0\tchr1\t5\t60\t10M\t*\t0\t0\tTGCAAGGCTA\tIIIIIIIIII\n",
            REFERENCE.len()
        );
        let mut sam_reader = sam::io::Reader::new(text.as_bytes());
        let header = sam_reader.read_header().unwrap();
        let record = sam_reader.record_bufs(&header).next().unwrap().unwrap();
        let repository = fasta::Repository::new(vec![fasta::Record::new(
            fasta::record::Definition::new("chr1", None),
            fasta::record::Sequence::from(REFERENCE.as_bytes().to_vec()),
        )]);
        let mut writer = cram::io::writer::Builder::default()
            .set_reference_sequence_repository(repository)
            .build_from_writer(Vec::new());
        writer.write_header(&header).unwrap();
        sam::alignment::io::Write::write_alignment_record(&mut writer, &header, &record).unwrap();
        writer.try_finish(&header).unwrap();
        (writer.into_inner(), fasta_path)
    }

    #[test]
    fn cram_records_are_decoded_with_the_reference() {
        let (cram, fasta_path) = cram_with_reference("decoded");
        let options = Options {
            reference: Some(fasta_path.clone()),
            ..Options::default()
        };
        let report = check(cram.clone(), &options);
        assert!(report.valid, "{:?}", report.error);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!((report.records, stats(&report).mapped), (1, 1));

        // Without the reference the structure is checked and the gap is said.
        let report = check(cram.clone(), &Options::default());
        assert!(report.valid, "{:?}", report.error);
        assert!(
            report.warnings[0].message.contains("not decoded fully"),
            "{:?}",
            report.warnings
        );

        // A reference with other bases is a reference problem too (the slice MD5 differs).
        let other_bases: String = REFERENCE
            .chars()
            .map(|b| if b == 'A' { 'C' } else { b })
            .collect();
        std::fs::write(&fasta_path, format!(">chr1\n{other_bases}\n")).unwrap();
        let outcome = validate(Cursor::new(cram.clone()), &options);
        assert!(
            matches!(outcome, Err(crate::Error::Reference { .. })),
            "{outcome:?}"
        );

        // A reference that lacks the sequence is a reference problem, not an invalid file.
        std::fs::write(&fasta_path, format!(">other\n{REFERENCE}\n")).unwrap();
        let _ = std::fs::remove_file(fasta_path.with_extension("fa.fai"));
        let outcome = validate(Cursor::new(cram), &options);
        assert!(
            matches!(outcome, Err(crate::Error::Reference { .. })),
            "{outcome:?}"
        );
        let _ = std::fs::remove_dir_all(fasta_path.parent().unwrap());
    }
}
