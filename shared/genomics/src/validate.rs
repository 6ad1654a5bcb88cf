//! The validation entry point: detect, decode, validate, hash — one pass over the input.

use std::{
    io::{self, BufRead, Read},
    path::PathBuf,
};

use serde::Serialize;

pub use crate::options::{
    DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_EXPANSION, DEFAULT_MAX_SLICE_BYTES, Options,
};
use crate::{
    alignment::AlignmentStats,
    context::Context,
    detect::{describe_unknown, detect_compression, detect_format},
    diagnostic::{Diagnostic, Failure, Warnings},
    fasta::FastaStats,
    fastq::FastqStats,
    format::{Compression, Format},
    input::{self, LimitExceeded, Stored, StoredSummary},
    vcf::VcfStats,
};

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
