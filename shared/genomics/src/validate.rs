//! The validation entry point: detect, decode, validate, hash — one pass over the input.

use std::{
    io::{self, BufRead, Read},
    num::NonZero,
    path::PathBuf,
};

use serde::Serialize;

use crate::{
    alignment::AlignmentStats,
    detect::{describe_unknown, detect_compression, detect_format},
    diagnostic::{Diagnostic, Failure, Warnings},
    fasta::FastaStats,
    fastq::FastqStats,
    format::{Compression, Format},
    input::{self, LimitExceeded, Stored, StoredSummary},
    vcf::VcfStats,
};

/// Default limit on decompressed bytes: far above any real sequencing file. A deployment with a
/// time limit sizes it to what it can finish instead ([`Options::for_time_limit`]).
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 1 << 40;

/// Default limit on decompressed bytes per stored byte. Deflate (gzip, BGZF) cannot exceed about
/// 1,032; real sequencing files compress 3–10 times. bzip2 can expand far more, and a bomb
/// built on that would otherwise run for hours.
pub const DEFAULT_MAX_EXPANSION: u64 = 2048;

/// Default memory limit for decoding one CRAM slice: its records and decoded blocks. samtools'
/// slices (10,000 records) take a few tens of MiB.
pub const DEFAULT_MAX_SLICE_BYTES: u64 = 512 << 20;

/// Decompressed bytes per second that validation is sure to get through: half of what
/// `bench/validate.sh` measured on its slowest path for the format and compression (two cores;
/// halved for slower CPUs such as a Lambda's). bzip2 inflates at about 22 MB/s, CRAM records
/// decode at about 32 MB/s of stored bytes, and the text formats validate at 126 MB/s or more
/// (VCF is the slowest).
pub fn guaranteed_bytes_per_second(format: Format, compression: Compression) -> u64 {
    const MIB: u64 = 1 << 20;
    match (format, compression) {
        (_, Compression::Bzip2) => 10 * MIB,
        (Format::Cram, _) => 16 * MIB,
        _ => 60 * MIB,
    }
}

/// How to validate.
#[derive(Clone, Debug)]
pub struct Options {
    /// The format, or `None` to detect it from the content.
    pub format: Option<Format>,
    /// A FASTA reference for decoding CRAM records fully.
    pub reference: Option<PathBuf>,
    /// Stop with an error once this many bytes have been decompressed.
    pub max_decompressed_bytes: u64,
    /// Stop with an error once the decompressed bytes pass this many times the stored bytes read
    /// (the first 64 MiB are allowed whatever the ratio).
    pub max_expansion: u64,
    /// The most memory decoding one CRAM slice may take (its records and decoded blocks), checked
    /// against what the slice declares before it is decoded.
    pub max_slice_bytes: u64,
    /// The time the deployment allows one validation, in seconds: once the format and
    /// compression are known, the decompressed-size limit is lowered to what validation is sure
    /// to get through in that time ([`guaranteed_bytes_per_second`]).
    pub time_limit_seconds: Option<u64>,
    /// Threads for parallel decompression (BGZF).
    pub threads: NonZero<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            format: None,
            reference: None,
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            max_expansion: DEFAULT_MAX_EXPANSION,
            max_slice_bytes: DEFAULT_MAX_SLICE_BYTES,
            time_limit_seconds: None,
            threads: std::thread::available_parallelism().unwrap_or(NonZero::<usize>::MIN),
        }
    }
}

impl Options {
    /// The default options for a deployment that gives one validation `seconds`: a file that
    /// would decompress to more than validation is sure to get through in that time is invalid at
    /// once rather than cut off by the time limit.
    ///
    /// ```
    /// use genoflow_genomics::{validate, Options};
    ///
    /// // A millisecond gets through only the first bytes of this 1 MB FASTA.
    /// let mut fasta = b">chr1\n".to_vec();
    /// fasta.resize(1_000_000, b'A');
    /// let report = validate(std::io::Cursor::new(fasta), &Options::for_time_limit(0)).unwrap();
    /// assert!(report.error.unwrap().message.contains("0-second time limit"));
    /// ```
    pub fn for_time_limit(seconds: u64) -> Self {
        Self {
            time_limit_seconds: Some(seconds),
            ..Self::default()
        }
    }
}

/// Statistics gathered while validating, per format.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Stats {
    /// FASTQ statistics.
    Fastq(FastqStats),
    /// FASTA statistics.
    Fasta(FastaStats),
    /// SAM, BAM or CRAM statistics.
    Alignment(AlignmentStats),
    /// VCF statistics.
    Vcf(VcfStats),
    /// No statistics: the input was invalid or not recognised.
    None {},
}

/// The outcome of validating one input (the `validate --json` document).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Whether the input is valid.
    pub valid: bool,
    /// The format, detected or given; `None` when not recognised.
    pub format: Option<Format>,
    /// How the stored bytes were compressed.
    pub compression: Compression,
    /// Bytes read from the input as stored.
    pub bytes: u64,
    /// SHA-256 of the stored bytes, in hex.
    pub sha256: String,
    /// Reads, sequences, alignment records or variant records read (up to the error, if any).
    pub records: u64,
    /// The first error, which makes the input invalid.
    pub error: Option<Diagnostic>,
    /// What is allowed but suspicious.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
    /// Per-format statistics (empty when invalid).
    pub stats: Stats,
    /// The file is in a version of its format GenoFlow cannot validate (CRAM 2.1, whose structure
    /// was found whole): not `valid`, and not shown invalid either; `error` says which version and
    /// how to convert it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unsupported: bool,
}

/// Why validation could not be done at all (as opposed to the input being invalid).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be read.
    #[error("could not read the input")]
    Read(#[source] io::Error),
    /// The CRAM reference could not be used.
    #[error("could not use the reference {path}")]
    Reference {
        /// The reference path given.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
}

/// State shared with the format validators.
pub(crate) struct Context<'a> {
    pub options: &'a Options,
    pub warnings: Warnings,
    /// Records read so far; kept current so an error can say how far validation got.
    pub records: u64,
    pub compression: Compression,
}

impl Context<'_> {
    pub(crate) fn warn(&mut self, diagnostic: Diagnostic) {
        self.warnings.push(diagnostic);
    }
}

/// Validates one input read from `source`, streaming, in bounded memory.
///
/// The stored bytes are always read to the end so that `bytes` and `sha256` describe the whole
/// input, even when it is invalid.
///
/// ```
/// use genoflow_genomics::{validate, Format, Options, Stats};
///
/// let report = validate(&b"@r1\nACGT\n+r1\nIIII\n"[..], &Options::default()).unwrap();
/// assert!(report.valid);
/// assert_eq!(report.format, Some(Format::Fastq));
/// assert_eq!(report.records, 1);
///
/// let report = validate(&b"@r1\nACGT\n+\nIII\n"[..], &Options::default()).unwrap();
/// assert!(!report.valid);
/// assert_eq!(report.error.unwrap().line, Some(4));
/// ```
pub fn validate<R: Read + Send + 'static>(source: R, options: &Options) -> Result<Report, Error> {
    let (mut stored_reader, stored) = Stored::spawn(Box::new(source));
    let head = match stored_reader.fill_buf() {
        Ok(head) => head,
        Err(e) => {
            drop(stored_reader);
            let _ = stored.finish();
            return Err(Error::Read(e));
        }
    };
    let compression = detect_compression(head);
    let empty = head.is_empty();
    let mut ctx = Context {
        options,
        warnings: Warnings::default(),
        records: 0,
        compression,
    };

    let (format, outcome) = if empty {
        (
            options.format,
            Err(Failure::Invalid(Diagnostic::new("the file is empty"))),
        )
    } else {
        let ratio =
            (compression != Compression::None).then(|| (options.max_expansion, stored.progress()));
        let decoded = input::decode(stored_reader, compression, options.threads);
        let mut decoded = input::LimitReader::new(decoded, options.max_decompressed_bytes, ratio);
        run(&mut decoded, &mut ctx)
    };

    let summary = stored.finish().map_err(Error::Read)?;
    let outcome =
        outcome.and_then(|stats| check_bgzf_eof(format, &summary, &mut ctx).map(|()| stats));
    let unsupported = matches!(outcome, Err(Failure::Unsupported(_)));
    let (stats, error) = match outcome {
        Ok(stats) => (stats, None),
        Err(Failure::Invalid(diagnostic) | Failure::Unsupported(diagnostic)) => {
            (Stats::None {}, Some(diagnostic))
        }
        Err(Failure::Io(e)) if input::is_source_error(&e) => return Err(Error::Read(e)),
        Err(Failure::Reference(source)) => {
            let path = options.reference.clone().unwrap_or_default();
            return Err(Error::Reference { path, source });
        }
        Err(Failure::Io(e)) => (
            Stats::None {},
            Some(decoding_error(&e, compression, ctx.records)),
        ),
    };
    Ok(Report {
        valid: error.is_none(),
        format,
        compression,
        bytes: summary.bytes,
        sha256: hex::encode(summary.sha256),
        records: ctx.records,
        error,
        warnings: ctx.warnings.into_vec(),
        stats,
        unsupported,
    })
}

/// Detects the format (unless given) and runs its validator.
fn run(
    decoded: &mut input::LimitReader<Box<dyn BufRead + Send>>,
    ctx: &mut Context<'_>,
) -> (Option<Format>, Result<Stats, Failure>) {
    let head = match decoded.fill_buf() {
        Ok(head) => head,
        Err(e) => return (ctx.options.format, Err(Failure::Io(e))),
    };
    if head.is_empty() {
        let what = format!("the file is empty once decompressed ({})", ctx.compression);
        return (
            ctx.options.format,
            Err(Failure::Invalid(Diagnostic::new(what))),
        );
    }
    let Some(format) = ctx.options.format.or_else(|| detect_format(head)) else {
        return (
            None,
            Err(Failure::Invalid(Diagnostic::new(describe_unknown(head)))),
        );
    };
    if let Some(seconds) = ctx.options.time_limit_seconds {
        let rate = guaranteed_bytes_per_second(format, ctx.compression);
        decoded.restrict_to_time(seconds.saturating_mul(rate), seconds);
    }
    if let Some(problem) = compression_mismatch(format, ctx.compression) {
        return (
            Some(format),
            Err(Failure::Invalid(Diagnostic::new(problem))),
        );
    }
    // A decoder bug on crafted input must not take the process (a Lambda, `genoflow serve`) down:
    // contain it and report the input as unreadable where it broke.
    let stats = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match format {
        Format::Fastq => crate::fastq::validate(decoded, ctx).map(Stats::Fastq),
        Format::Fasta => crate::fasta::validate(decoded, ctx).map(Stats::Fasta),
        Format::Sam => crate::alignment::validate_sam(decoded, ctx).map(Stats::Alignment),
        Format::Bam => crate::alignment::validate_bam(decoded, ctx).map(Stats::Alignment),
        Format::Cram => crate::alignment::validate_cram(decoded, ctx).map(Stats::Alignment),
        Format::Vcf => crate::vcf::validate(decoded, ctx).map(Stats::Vcf),
    }))
    .unwrap_or_else(|_| {
        Err(Failure::Invalid(Diagnostic::new(format!(
            "the {format} decoder failed on this input after {} records; the file is damaged or uses a feature GenoFlow cannot read",
            ctx.records
        ))))
    });
    (Some(format), stats)
}

/// Formats that fix their compression: BAM is always BGZF, CRAM never gzip-wrapped.
fn compression_mismatch(format: Format, compression: Compression) -> Option<String> {
    match (format, compression) {
        (Format::Bam, Compression::None | Compression::Gzip | Compression::Bzip2) => Some(format!(
            "BAM must be BGZF-compressed, but this input is {compression}"
        )),
        (Format::Cram, Compression::Gzip | Compression::Bgzf | Compression::Bzip2) => Some(
            format!("CRAM is never gzip-compressed, but this input is {compression}"),
        ),
        _ => None,
    }
}

/// A BGZF stream must end with the empty EOF block, or it may have lost whole blocks.
fn check_bgzf_eof(
    format: Option<Format>,
    summary: &StoredSummary,
    ctx: &mut Context<'_>,
) -> Result<(), Failure> {
    if ctx.compression != Compression::Bgzf || summary.has_bgzf_eof() {
        return Ok(());
    }
    let message =
        "the BGZF end-of-file marker is missing: the file is truncated or was not closed properly";
    if format == Some(Format::Bam) {
        Err(Failure::Invalid(Diagnostic::at_offset(
            message,
            None,
            summary.bytes,
        )))
    } else {
        ctx.warn(Diagnostic::at_offset(message, None, summary.bytes));
        Ok(())
    }
}

/// Turns an error from decoding the content into a diagnostic.
fn decoding_error(error: &io::Error, compression: Compression, records: u64) -> Diagnostic {
    let record = Some(records + 1);
    if let Some(limit) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<LimitExceeded>())
    {
        return Diagnostic {
            message: limit.to_string(),
            record,
            line: None,
            offset: Some(limit.offset()),
        };
    }
    let message = match (compression, error.kind()) {
        (Compression::None, _) => format!("unreadable content: {error}"),
        (_, io::ErrorKind::UnexpectedEof) => {
            format!("the {compression} stream is truncated: {error}")
        }
        _ => format!("the {compression} stream is corrupt: {error}"),
    };
    Diagnostic {
        message,
        record,
        line: None,
        offset: None,
    }
}
