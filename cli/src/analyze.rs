//! `genoflow analyze R1 [R2] [--panel NAME|DIR] [--out DIR] [--json]`.

use std::{
    fs::{self, File},
    io::{self, BufWriter, Write},
    num::NonZero,
    path::PathBuf,
    process::ExitCode,
};

use anyhow::Context as _;
use genoflow_genomics::analysis::{BUILTIN_TB, DrugLine, Options, Panel, Report, analyze};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// FASTQ reads (plain, gzip or BGZF): one file or R1 and R2 of a pair; or one BAM or CRAM (pileup only) or VCF
    /// (annotation only) on the panel's reference.
    #[arg(required = true, num_args = 1..=2, value_name = "FILE")]
    inputs: Vec<PathBuf>,
    /// A built-in panel name or a panel directory (format in docs/ANALYSIS.md).
    #[arg(long, value_name = "NAME|DIR", default_value = BUILTIN_TB)]
    panel: String,
    /// Write report.json and variants.vcf into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the report JSON instead of a summary.
    #[arg(long)]
    json: bool,
    /// Reads covering a site needed to call it or to call a drug susceptible.
    #[arg(long, default_value_t = Options::default().min_depth)]
    min_depth: u32,
    /// Lowest fraction of reads carrying an allele to call it.
    #[arg(long, default_value_t = Options::default().min_allele_fraction)]
    min_allele_fraction: f64,
    /// Calls below this allele fraction are reported as mixed.
    #[arg(long, default_value_t = Options::default().fixed_allele_fraction)]
    fixed_allele_fraction: f64,
    /// FASTA with the panel's whole reference sequence (plain or gzip): needed to decode a CRAM.
    #[arg(long, value_name = "FASTA")]
    reference: Option<PathBuf>,
    /// Alignment threads (default: all cores).
    #[arg(long)]
    threads: Option<NonZero<usize>>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    for (name, value) in [
        ("--min-allele-fraction", args.min_allele_fraction),
        ("--fixed-allele-fraction", args.fixed_allele_fraction),
    ] {
        anyhow::ensure!(
            (0.0..=1.0).contains(&value),
            "{name} must be between 0 and 1, got {value}"
        );
    }
    let mut options = Options {
        min_depth: args.min_depth,
        min_allele_fraction: args.min_allele_fraction,
        fixed_allele_fraction: args.fixed_allele_fraction,
        ..Options::default()
    };
    options.reference.clone_from(&args.reference);
    if let Some(threads) = args.threads {
        options.threads = threads;
    }
    let panel = Panel::load(&args.panel).context("cannot load the panel")?;
    let report = analyze(&args.inputs, &panel, &options).context("analysis failed")?;

    if let Some(dir) = &args.out {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let json_path = dir.join("report.json");
        fs::write(&json_path, report.to_json())
            .with_context(|| format!("cannot write {}", json_path.display()))?;
        let vcf_path = dir.join("variants.vcf");
        let file = File::create(&vcf_path)
            .with_context(|| format!("cannot create {}", vcf_path.display()))?;
        let mut writer = BufWriter::new(file);
        report
            .write_vcf(&panel, &mut writer)
            .and_then(|()| writer.flush())
            .with_context(|| format!("cannot write {}", vcf_path.display()))?;
    }
    let mut stdout = io::stdout().lock();
    if args.json {
        stdout.write_all(report.to_json().as_bytes())?;
    } else {
        print_summary(&mut stdout, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The human summary: reads, variants and one line per drug.
fn print_summary(out: &mut impl Write, report: &Report) -> io::Result<()> {
    // The species verdict first: a sample that is not M. tuberculosis says so before any call.
    writeln!(
        out,
        "species {}: {}",
        report.species.verdict, report.species.reason
    )?;
    writeln!(
        out,
        "panel {} ({}, {})",
        report.panel.name, report.panel.reference, report.panel.catalogue
    )?;
    writeln!(
        out,
        "reads {}, mapped to panel {}, mean quality {:.1}",
        report.qc.reads, report.qc.mapped_to_panel, report.qc.mean_quality
    )?;
    let lineage = &report.lineage;
    match (
        &lineage.path,
        lineage.covered_fraction,
        lineage.median_fraction,
    ) {
        (Some(path), Some(covered), Some(fraction)) => writeln!(
            out,
            "lineage {} ({path}; {}; sites covered {:.0}%, median fraction {fraction:.2})",
            lineage.call,
            lineage.family.as_deref().unwrap_or("-"),
            100.0 * covered
        )?,
        _ => writeln!(
            out,
            "lineage {} ({})",
            lineage.call,
            lineage.reason.as_deref().unwrap_or("-")
        )?,
    }
    let shares: Vec<String> = report
        .mixture
        .proportions
        .iter()
        .map(|p| format!("{} {:.2}", p.lineage, p.fraction))
        .collect();
    writeln!(
        out,
        "mixture {} ({})",
        report.mixture.verdict,
        if report.mixture.verdict == "mixed" {
            shares.join(", ")
        } else {
            report.mixture.reason.clone()
        }
    )?;
    writeln!(out, "variants {}", report.variants.len())?;
    for v in &report.variants {
        writeln!(
            out,
            "  {}:{} {}>{}  {} {} {}  depth {} fraction {:.2}{}",
            v.chrom,
            v.pos,
            v.reference,
            v.alt,
            v.gene.as_deref().unwrap_or("-"),
            v.hgvs,
            v.consequence,
            v.depth,
            v.alt_fraction,
            if v.mixed { " (mixed)" } else { "" }
        )?;
    }
    writeln!(
        out,
        "classification {} ({})",
        report.classification, report.classification_detail
    )?;
    // The drugs as the report groups them: first-line, then second-line.
    for group in &report.drug_groups {
        let title = match group.line {
            DrugLine::FirstLine => "first-line drugs",
            DrugLine::SecondLine => "second-line drugs",
        };
        writeln!(out, "{title}")?;
        for name in &group.drugs {
            let Some(drug) = report.resistance.iter().find(|d| &d.drug == name) else {
                continue;
            };
            let evidence: Vec<String> = drug
                .evidence
                .iter()
                .map(|e| {
                    if e.heteroresistant {
                        format!(
                            "{} ({}; heteroresistant, fraction {:.2})",
                            e.variant, e.grade_text, e.alt_fraction
                        )
                    } else {
                        format!("{} ({})", e.variant, e.grade_text)
                    }
                })
                .collect();
            writeln!(
                out,
                "  {:<14} {:<11} {}",
                drug.drug,
                drug.call,
                if evidence.is_empty() {
                    format!(
                        "(catalogue positions covered {:.0}%)",
                        100.0 * drug.covered_fraction
                    )
                } else {
                    evidence.join(", ")
                }
            )?;
            if let Some(caveat) = &drug.caveat {
                writeln!(out, "  {:<14} note: {caveat}", "")?;
            }
        }
    }
    writeln!(
        out,
        "pipeline {} ({} {}, method {})",
        report.pipeline_id, report.software.name, report.software.version, report.software.method
    )
}
