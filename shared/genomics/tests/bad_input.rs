//! Hostile and unusual inputs: each gives a clear error or is valid, never a panic or unbounded
//! memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};

use flate2::{Compression as Level, write::GzEncoder};
use genoflow_genomics::{Compression, Format, Options, Stats, validate};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Level::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// An endless stream of one byte, for inputs larger than memory.
struct Repeat {
    byte: u8,
    remaining: u64,
}

impl Read for Repeat {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        buf[..n].fill(self.byte);
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[test]
fn empty_input_is_invalid_with_a_clear_message() {
    let report = validate(&b""[..], &Options::default()).unwrap();
    assert!(!report.valid);
    assert_eq!(report.error.unwrap().message, "the file is empty");
    assert_eq!(report.bytes, 0);
    assert_eq!(
        report.sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn binary_garbage_is_not_recognised() {
    let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let report = validate(std::io::Cursor::new(garbage), &Options::default()).unwrap();
    assert!(!report.valid);
    assert_eq!(report.format, None);
    assert!(
        report
            .error
            .unwrap()
            .message
            .contains("unrecognised content")
    );
}

#[test]
fn gzip_bomb_stops_at_the_decompression_limit() {
    let mut bomb = b"@r1\n".to_vec();
    bomb.resize(64 << 20, b'A');
    let compressed = gzip(&bomb);
    assert!(compressed.len() < 1 << 20, "a bomb compresses well");
    let options = Options {
        max_decompressed_bytes: 8 << 20,
        ..Options::default()
    };
    let report = validate(std::io::Cursor::new(compressed.clone()), &options).unwrap();
    assert!(!report.valid);
    let error = report.error.unwrap();
    assert!(
        error.message.contains("exceeds the limit of 8388608 bytes"),
        "{}",
        error.message
    );
    assert_eq!(
        report.bytes,
        compressed.len() as u64,
        "the stored bytes are still read and hashed whole"
    );
}

#[test]
fn a_line_of_many_megabytes_streams_in_constant_memory() {
    // One read of 24 MiB: sequence and quality are checked piece by piece, never held whole.
    let length: u64 = 24 << 20;
    let source = b"@long\n"
        .chain(Repeat {
            byte: b'A',
            remaining: length,
        })
        .chain(&b"\n+\n"[..])
        .chain(Repeat {
            byte: b'I',
            remaining: length,
        })
        .chain(&b"\n"[..]);
    let report = validate(source, &Options::default()).unwrap();
    assert!(report.valid, "{:?}", report.error);
    let Stats::Fastq(stats) = report.stats else {
        panic!("FASTQ stats expected")
    };
    assert_eq!(stats.max_length, length);
    assert_eq!(stats.mean_quality, 40.0);
}

#[test]
fn an_endless_title_is_refused_at_the_line_limit() {
    let source = b"@".chain(Repeat {
        byte: b'x',
        remaining: 40 << 20,
    });
    let report = validate(source, &Options::default()).unwrap();
    let error = report.error.unwrap();
    assert!(
        error.message.contains("title longer than"),
        "{}",
        error.message
    );
    assert_eq!(error.line, Some(1));
}

#[test]
fn wrong_extension_does_not_matter_content_decides() {
    // A FASTA file passed where FASTQ might be expected by name: detected from content.
    let report = validate(&b">chr1\nACGT\n"[..], &Options::default()).unwrap();
    assert_eq!(report.format, Some(Format::Fasta));
    assert!(report.valid);
}

#[test]
fn forcing_the_wrong_format_reports_where_it_breaks() {
    let options = Options {
        format: Some(Format::Fastq),
        ..Options::default()
    };
    let report = validate(&b">chr1\nACGT\n"[..], &options).unwrap();
    let error = report.error.unwrap();
    assert_eq!(error.line, Some(1));
    assert!(
        error
            .message
            .contains("expected a title line starting with '@'"),
        "{}",
        error.message
    );
}

#[test]
fn bam_must_be_bgzf_compressed() {
    let options = Options {
        format: Some(Format::Bam),
        ..Options::default()
    };
    let report = validate(&b"BAM\x01\x00\x00\x00\x00"[..], &options).unwrap();
    assert!(
        report
            .error
            .unwrap()
            .message
            .contains("BAM must be BGZF-compressed")
    );
}

#[test]
fn gzip_statistics_and_hash_cover_the_stored_bytes() {
    let plain = b"@r1\nACGTNN\n+\nIIII!!\n".repeat(1000);
    let compressed = gzip(&plain);
    let report = validate(
        std::io::Cursor::new(compressed.clone()),
        &Options::default(),
    )
    .unwrap();
    assert!(report.valid);
    assert_eq!(report.compression, Compression::Gzip);
    assert_eq!(report.bytes, compressed.len() as u64);
    let expected_sha256 = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&compressed))
    };
    assert_eq!(report.sha256, expected_sha256);
    let Stats::Fastq(stats) = report.stats else {
        panic!("FASTQ stats expected")
    };
    assert_eq!((stats.reads, stats.bases), (1000, 6000));
    assert!((stats.gc_fraction - 2.0 / 6.0).abs() < 1e-12);
    assert!((stats.n_fraction - 2.0 / 6.0).abs() < 1e-12);
    assert!((stats.mean_quality - 160.0 / 6.0).abs() < 1e-12);
    assert!((stats.q30_fraction - 4.0 / 6.0).abs() < 1e-12);
}

#[test]
fn fasta_rules() {
    let cases: [(&[u8], Option<u64>); 6] = [
        (b">chr1 desc\nACGT-N.\nacgt\n>chr2\nAC\n", None),
        (b">\nACGT\n", Some(1)),
        (b">chr1\nAC GT\n", Some(2)),
        (b">chr1\nACGT\n>chr2\nACXJ\n", Some(4)),
        (b"ACGT\n", Some(1)),
        (b";comment\n>chr1\nAC\n", None),
    ];
    let options = Options {
        format: Some(Format::Fasta),
        ..Options::default()
    };
    for (input, error_line) in cases {
        let report = validate(input, &options).unwrap();
        assert_eq!(
            report.error.as_ref().and_then(|e| e.line),
            error_line,
            "{:?}: {:?}",
            String::from_utf8_lossy(input),
            report.error
        );
    }
    let report = validate(&b">empty\n>chr1\nGGCC\n"[..], &Options::default()).unwrap();
    assert!(report.valid);
    assert_eq!(
        report.warnings.len(),
        1,
        "an empty record is flagged: {:?}",
        report.warnings
    );
    let Stats::Fasta(stats) = report.stats else {
        panic!("FASTA stats expected")
    };
    assert_eq!(
        (
            stats.sequences,
            stats.bases,
            stats.min_length,
            stats.max_length
        ),
        (2, 4, 0, 4)
    );
    assert_eq!(stats.gc_fraction, 1.0);
}

/// Every input the fuzz targets found (`fuzz/findings/<target>/`, see its README) is reported
/// with a diagnosis, not as a contained decoder panic.
#[test]
fn fuzz_findings_are_diagnosed() {
    let findings = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/findings");
    let mut checked = 0;
    for target in std::fs::read_dir(&findings).unwrap() {
        let target = target.unwrap().path();
        if !target.is_dir() {
            continue;
        }
        let format = match target.file_name().unwrap().to_str().unwrap() {
            "cram" => Some(Format::Cram),
            _ => None,
        };
        for file in std::fs::read_dir(&target).unwrap() {
            let path = file.unwrap().path();
            let options = Options {
                format,
                threads: std::num::NonZero::<usize>::MIN,
                ..Options::default()
            };
            let report = validate(std::fs::File::open(&path).unwrap(), &options).unwrap();
            let message = report.error.map(|e| e.message).unwrap_or_default();
            assert!(
                !message.contains("decoder failed on this input"),
                "{}: {message}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no findings under {}", findings.display());
}

/// A one-second time limit lets through what validation is sure to finish: 60 MiB of gzip,
/// but only 10 MiB of bzip2, which inflates about twenty times slower.
#[test]
fn time_limit_is_sized_to_the_compression() {
    let mut fasta = b">chr1\n".to_vec();
    fasta.resize(20 << 20, b'A');
    let options = Options::for_time_limit(1);

    let report = validate(std::io::Cursor::new(gzip(&fasta)), &options).unwrap();
    assert!(report.valid, "{:?}", report.error);

    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    encoder.write_all(&fasta).unwrap();
    let report = validate(std::io::Cursor::new(encoder.finish().unwrap()), &options).unwrap();
    let error = report.error.unwrap();
    assert!(
        error.message.starts_with("decompressed data exceeds 10485760 bytes, more than this deployment can validate in its 1-second time limit"),
        "{}",
        error.message
    );
}

/// The smallest whole CRAM 2.1 file: a two-line SAM header, no records (tests/data/cram).
fn cram21() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/cram/cram21-header-only.cram");
    std::fs::read(path).unwrap()
}

#[test]
fn cram_2_1_is_unsupported_when_whole_and_invalid_when_damaged() {
    let whole = cram21();
    let report = validate(std::io::Cursor::new(whole.clone()), &Options::default()).unwrap();
    let message = report.error.as_ref().unwrap().message.clone();
    assert!(!report.valid && report.unsupported, "{message}");
    assert!(
        message.starts_with("CRAM 2.1 is not supported (its structure is whole")
            && message.contains("samtools view -C"),
        "{message}"
    );

    // Cut short (no end-of-file container), a container whose blocks do not fill it, a bad
    // header line, bytes after the end: invalid, as a damaged CRAM 3 file is.
    let mut bad_length = whole.clone();
    bad_length[26] -= 1;
    let mut bad_header_line = whole.clone();
    let at = whole.windows(3).position(|w| w == b"@SQ").unwrap();
    bad_header_line[at + 1..at + 3].copy_from_slice(b"XX");
    for (damaged, expected) in [
        (
            whole[..whole.len() - 30].to_vec(),
            "without the end-of-file container",
        ),
        (bad_length, "its block takes"),
        (bad_header_line, "header line 2"),
        (
            [whole.as_slice(), b"x"].concat(),
            "bytes follow the end-of-file container",
        ),
    ] {
        let report = validate(std::io::Cursor::new(damaged), &Options::default()).unwrap();
        let message = report.error.unwrap().message;
        assert!(!report.valid && !report.unsupported, "{message}");
        assert!(
            message.contains(expected),
            "{expected:?} not in {message:?}"
        );
    }

    // samtools' own CRAM 2.1 files, when Debian's samtools-test is installed.
    let quickcheck = std::path::Path::new("/usr/share/samtools/test/quickcheck");
    if quickcheck.is_dir() {
        for (name, unsupported) in [
            ("6.quickcheck.cram21.ok.cram", true),
            ("8.quickcheck.cram21.truncated.cram", false),
        ] {
            let file = std::fs::File::open(quickcheck.join(name)).unwrap();
            let report = validate(file, &Options::default()).unwrap();
            let message = report.error.unwrap().message;
            assert!(!report.valid, "{name}");
            assert_eq!(report.unsupported, unsupported, "{name}: {message}");
            println!("{name}: {message}");
        }
    }
}
