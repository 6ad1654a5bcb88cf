//! `genoflow validate FILE|- [--format ...] [--reference FASTA] [--json]`.

use std::{
    fs::File,
    io::{self, Read, Write},
    num::NonZero,
    path::PathBuf,
    process::ExitCode,
};

use anyhow::Context as _;
use clap::ValueEnum;
use genoflow_genomics::{
    DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_EXPANSION, DEFAULT_MAX_SLICE_BYTES, Format,
    Options, Report, Stats, validate,
};

/// Exit status of an invalid input.
const EXIT_INVALID: u8 = 1;
/// Exit status of an input in a format version GenoFlow cannot validate (CRAM 2.1), as for the
/// other inputs it cannot validate at all.
const EXIT_UNSUPPORTED: u8 = 2;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The file to validate, or `-` for standard input.
    file: PathBuf,
    /// The format; `auto` detects it from the content (never from the file name).
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    format: FormatArg,
    /// A FASTA reference to decode CRAM records fully.
    #[arg(long, value_name = "FASTA")]
    reference: Option<PathBuf>,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
    /// Stop with an error once this many bytes have been decompressed (guards against gzip bombs).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DECOMPRESSED_BYTES)]
    max_decompressed_bytes: u64,
    /// Stop with an error once the decompressed bytes pass this many times the stored bytes read
    /// (past the first 64 MiB): stops decompression bombs whatever the file's size.
    #[arg(long, value_name = "RATIO", default_value_t = DEFAULT_MAX_EXPANSION)]
    max_expansion: u64,
    /// The most memory decoding one CRAM slice may take, checked against what the slice declares
    /// before it is decoded.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_SLICE_BYTES)]
    max_slice_bytes: u64,
    /// Threads for parallel BGZF decompression (default: all cores).
    #[arg(long)]
    threads: Option<NonZero<usize>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Auto,
    Fastq,
    Fasta,
    Sam,
    Bam,
    Cram,
    Vcf,
}

impl FormatArg {
    fn format(self) -> Option<Format> {
        match self {
            Self::Auto => None,
            Self::Fastq => Some(Format::Fastq),
            Self::Fasta => Some(Format::Fasta),
            Self::Sam => Some(Format::Sam),
            Self::Bam => Some(Format::Bam),
            Self::Cram => Some(Format::Cram),
            Self::Vcf => Some(Format::Vcf),
        }
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut options = Options {
        format: args.format.format(),
        reference: args.reference.clone(),
        max_decompressed_bytes: args.max_decompressed_bytes,
        max_expansion: args.max_expansion,
        max_slice_bytes: args.max_slice_bytes,
        ..Options::default()
    };
    if let Some(threads) = args.threads {
        options.threads = threads;
    }
    let name = args.file.display().to_string();
    let source: Box<dyn Read + Send> = if name == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(&args.file).with_context(|| format!("cannot open {name}"))?)
    };
    let report = validate(source, &options).with_context(|| format!("cannot validate {name}"))?;

    let mut stdout = io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut stdout, &report)?;
        writeln!(stdout)?;
    } else {
        print_summary(&mut stdout, &name, &report)?;
    }
    Ok(if report.valid {
        ExitCode::SUCCESS
    } else if report.unsupported {
        // Not shown invalid: a version GenoFlow cannot validate (the message says which).
        ExitCode::from(EXIT_UNSUPPORTED)
    } else {
        ExitCode::from(EXIT_INVALID)
    })
}

/// The human summary: one line per fact, the error as `error: FILE:LINE: record N: what`.
fn print_summary(out: &mut impl Write, name: &str, report: &Report) -> io::Result<()> {
    for warning in &report.warnings {
        eprintln!("warning: {name}:{warning}");
    }
    if let Some(error) = &report.error {
        eprintln!("error: {name}:{error}");
        return Ok(());
    }
    let format = report.format.map_or("unknown", Format::as_str);
    writeln!(
        out,
        "{name}: valid {format} ({} compression)",
        report.compression
    )?;
    writeln!(out, "  bytes    {}", report.bytes)?;
    writeln!(out, "  sha256   {}", report.sha256)?;
    writeln!(out, "  records  {}", report.records)?;
    match &report.stats {
        Stats::Fastq(s) => {
            writeln!(
                out,
                "  bases    {} (length {}..{}, mean {:.1})",
                s.bases, s.min_length, s.max_length, s.mean_length
            )?;
            writeln!(
                out,
                "  GC {:.2}%  N {:.3}%",
                100.0 * s.gc_fraction,
                100.0 * s.n_fraction
            )?;
            writeln!(
                out,
                "  quality  mean {:.1}, Q20 {:.2}%, Q30 {:.2}%",
                s.mean_quality,
                100.0 * s.q20_fraction,
                100.0 * s.q30_fraction
            )?;
        }
        Stats::Fasta(s) => {
            writeln!(
                out,
                "  bases    {} (length {}..{})",
                s.bases, s.min_length, s.max_length
            )?;
            writeln!(
                out,
                "  GC {:.2}%  N {:.3}%",
                100.0 * s.gc_fraction,
                100.0 * s.n_fraction
            )?;
        }
        Stats::Alignment(s) => {
            writeln!(
                out,
                "  mapped {}, unmapped {}, secondary {}, supplementary {}",
                s.mapped, s.unmapped, s.secondary, s.supplementary
            )?;
            writeln!(
                out,
                "  duplicates {}, properly paired {}",
                s.duplicates, s.properly_paired
            )?;
            writeln!(
                out,
                "  references {}, sort order {}",
                s.references, s.sort_order
            )?;
        }
        Stats::Vcf(s) => {
            writeln!(
                out,
                "  {} samples, {} contigs, {}",
                s.samples, s.contigs, s.file_format
            )?;
            writeln!(
                out,
                "  SNVs {}, indels {}, other {}, filtered {}",
                s.snvs, s.indels, s.other, s.filtered
            )?;
        }
        Stats::None {} => {}
    }
    Ok(())
}
