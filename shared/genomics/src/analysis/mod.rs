//! The analysis pipeline: sequencing reads to a drug-resistance report.
//!
//! FASTQ reads (single or paired; plain, gzip or BGZF) are aligned to a [`Panel`] (a k-mer index
//! drops reads from elsewhere, a banded local alignment places the rest), piled up, called as
//! haploid SNVs and small indels, annotated against the panel's genes and catalogue, and summed
//! up per drug; the reads at the panel's lineage barcode sites give the strain's lineage and
//! whether the sample is a mixture of strains. The [`Report`] is the `genoflow.report/1` document of docs/API.md; the same
//! inputs and [`Options`] give the same bytes.
//!
//! ```no_run
//! use genoflow_genomics::analysis::{Options, Panel, analyze};
//! let panel = Panel::load("tb-who-2023").unwrap();
//! let report = analyze(&["R1.fastq.gz".into(), "R2.fastq.gz".into()], &panel, &Options::default()).unwrap();
//! for drug in &report.resistance {
//!     println!("{}: {}", drug.drug, drug.call);
//! }
//! ```

mod align;
mod annotate;
pub mod attestation;
mod bam_input;
mod interpret;
mod lineage;
mod panel;
mod pileup;
mod reads;
mod report;
mod species;
mod vcf_input;

use std::{
    fmt,
    io::{self, Read},
    num::NonZero,
    path::{Path, PathBuf},
    sync::{Mutex, mpsc::sync_channel},
};

pub use align::reverse_complement;
pub use annotate::{Annotation, annotate};
pub use interpret::{
    Classification, DrugGroup, DrugLine, FIRST_LINE, FLUOROQUINOLONES, GeneGap, MAX_LISTED_RANGES,
    NotAssessed, PositionRange, SECOND_LINE_ORDER, Verdict, XDR_GROUP_A, classify, drug_groups,
    drug_line, grade_text,
};
pub use lineage::{Lineage, LineageSupport, Mixture, Proportion};
pub use panel::{BUILTIN_TB, CatalogueEntry, Gene, GeneKind, Panel, PanelFiles, Segment};
pub use report::{
    DrugCall, Evidence, GeneCoverage, InputSummary, PanelSummary, Qc, REPORT_SCHEMA, Report,
    SampleInfo, Software, Variant,
};
pub use species::{
    CHECK_ALL_READS, CHECK_ONE_READ_IN, CLEAN_FRACTION, CONTAMINATED_REASON, Counts,
    MIN_ERROR_FREE_SHARE, MIN_KMERS_SAMPLED, MTBC_MIN_FRACTION, NOT_MTBC_MAX_FRACTION,
    NOT_MTBC_REASON, SKETCH_FILE, Sketch, Species, hash as kmer_hash, verdict,
};

use align::{Reference, Scratch};
use pileup::Pileup;

/// Errors of an analysis.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// A panel could not be loaded.
    #[error("panel {panel}: {message}")]
    Panel {
        /// The panel name or directory.
        panel: String,
        /// What is wrong with it.
        message: String,
    },
    /// A FASTQ record is malformed.
    #[error("{path}: record {record}: {message}")]
    Fastq {
        /// The file.
        path: String,
        /// 1-based record number.
        record: u64,
        /// What is wrong.
        message: String,
    },
    /// The input is not FASTQ.
    #[error(
        "{path}: {format} input is not supported by analyze (FASTQ reads, a BAM, a CRAM or a VCF)"
    )]
    UnsupportedInput {
        /// The file.
        path: String,
        /// Its detected format.
        format: String,
    },
    /// A VCF record is malformed or not on the panel's reference.
    #[error("{path}: line {line}: {message}")]
    Vcf {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A BAM or CRAM cannot be read or is not aligned to the panel's reference (or a CRAM's
    /// reference FASTA is missing or differs).
    #[error("{path}: {message}")]
    Bam {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Neither one nor two inputs.
    #[error("analyze takes one FASTQ file, a pair, or one VCF; got {0} files")]
    InputCount(usize),
}

/// Thresholds and resources of an analysis. Every field but `threads` enters the pipeline id.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Options {
    /// Reads covering a site needed to call it (also the per-drug coverage threshold).
    pub min_depth: u32,
    /// Lowest fraction of reads carrying an allele to call it.
    pub min_allele_fraction: f64,
    /// Reads carrying an allele needed to call it.
    pub min_alt_reads: u32,
    /// Calls below this fraction are reported as mixed.
    pub fixed_allele_fraction: f64,
    /// Bases below this Phred quality are not counted for SNVs and insertions.
    pub min_base_quality: u8,
    /// Fraction of a drug's catalogue positions at `min_depth` needed to call it susceptible.
    pub min_drug_coverage: f64,
    /// Alignment threads.
    #[serde(skip)]
    pub threads: NonZero<usize>,
    /// FASTA holding the panel's whole reference sequence, needed to decode CRAM input (checked
    /// against the panel, so it does not enter the pipeline id).
    #[serde(skip)]
    pub reference: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            min_depth: 10,
            min_allele_fraction: 0.2,
            min_alt_reads: 3,
            fixed_allele_fraction: 0.8,
            min_base_quality: 13,
            min_drug_coverage: 0.95,
            threads: std::thread::available_parallelism().unwrap_or(NonZero::<usize>::MIN),
            reference: None,
        }
    }
}

/// Opens an input's bytes, from the start.
type Opener = Box<dyn FnOnce() -> io::Result<Box<dyn Read + Send>> + Send>;

/// One input of [`analyze_inputs`]: a name and a way to open its bytes as a stream.
///
/// Every format is read once, front to back, without seeking: FASTQ (plain, gzip, BGZF), BAM,
/// CRAM (with [`Options::reference`] on disk) and VCF. The bytes can come from anywhere (an
/// object store's ranged reads, a pipe); a pair's second file is opened only once the first is
/// read.
pub struct Input {
    /// How the input is named in the report (its last path segment) and in errors.
    pub name: String,
    open: Opener,
}

impl Input {
    /// An input opened by `open` when the analysis reaches it.
    pub fn new(
        name: impl Into<String>,
        open: impl FnOnce() -> io::Result<Box<dyn Read + Send>> + Send + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            open: Box::new(open),
        }
    }

    /// A file, named by its path.
    pub fn file(path: &Path) -> Self {
        let owned = path.to_owned();
        Self::new(path.display().to_string(), move || {
            Ok(Box::new(std::fs::File::open(owned)?) as Box<dyn Read + Send>)
        })
    }

    fn open(self) -> Result<(String, Box<dyn Read + Send>), Error> {
        let Self { name, open } = self;
        match open() {
            Ok(reader) => Ok((name, reader)),
            Err(source) => Err(Error::Io { path: name, source }),
        }
    }
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input").field("name", &self.name).finish()
    }
}

/// Analyses one FASTQ file or a pair against a panel, or annotates one VCF called on the panel's
/// reference (no reads: no coverage, so drugs without evidence are `unknown`).
pub fn analyze(inputs: &[PathBuf], panel: &Panel, options: &Options) -> Result<Report, Error> {
    analyze_inputs(
        inputs.iter().map(|path| Input::file(path)).collect(),
        panel,
        options,
    )
}

/// [`analyze`] over streamed inputs: each is opened when the analysis reaches it and read once.
pub fn analyze_inputs(
    inputs: Vec<Input>,
    panel: &Panel,
    options: &Options,
) -> Result<Report, Error> {
    let mut report = calls_of_inputs(inputs, panel, options)?;
    // Once the calls are final (the species check may have changed them): the class and the
    // drug groups.
    interpret::finish(&mut report);
    Ok(report)
}

/// The report of the inputs with its final drug calls, before [`interpret::finish`].
fn calls_of_inputs(inputs: Vec<Input>, panel: &Panel, options: &Options) -> Result<Report, Error> {
    if !(1..=2).contains(&inputs.len()) {
        return Err(Error::InputCount(inputs.len()));
    }
    let reference = Reference::new(panel);
    let mut inputs = inputs.into_iter();
    let (first, first_reader) = match inputs.next() {
        Some(input) => input.open()?,
        None => return Err(Error::InputCount(0)),
    };
    let second = inputs.next();
    if second.is_none() {
        // One input: a VCF, a BAM or CRAM, or FASTQ, told apart by its first bytes.
        let (head, reader) = peek(&first, first_reader, vcf_input::HEAD_BYTES)?;
        let decoded = vcf_input::sniff(&head);
        if vcf_input::is_vcf(&decoded) {
            let (calls, summary) = vcf_input::read_calls(&first, reader, panel)?;
            let observations = report::Observations {
                calls,
                depth: None,
                base_counts: None,
                mapped_reads: 0,
            };
            let mut report =
                report::build(panel, observations, &[(first.as_str(), summary)], options);
            species::apply(
                &mut report,
                Species::unknown("a VCF carries no reads to check the species on"),
            );
            return Ok(report);
        }
        if decoded.starts_with(b"BAM\x01") || decoded.starts_with(b"CRAM") {
            let is_cram = decoded.starts_with(b"CRAM");
            let (pileup, summary, counts) =
                bam_input::pileup_bam(&first, reader, is_cram, panel, &reference, options)?;
            let mut report = observe(
                panel,
                &reference,
                &pileup,
                &[(first.as_str(), summary)],
                options,
            );
            species::apply(&mut report, species_of(panel, &counts));
            return Ok(report);
        }
        return reads_to_report(vec![(first, reader)], None, panel, &reference, options);
    }
    reads_to_report(
        vec![(first, first_reader)],
        second,
        panel,
        &reference,
        options,
    )
}

/// The first `limit` bytes of `reader` (fewer at its end), and a reader of the whole stream.
fn peek(
    name: &str,
    mut reader: Box<dyn Read + Send>,
    limit: u64,
) -> Result<(Vec<u8>, Box<dyn Read + Send>), Error> {
    let mut head = Vec::new();
    (&mut reader)
        .take(limit)
        .read_to_end(&mut head)
        .map_err(|source| Error::Io {
            path: name.to_owned(),
            source,
        })?;
    let whole = io::Cursor::new(head.clone()).chain(reader);
    Ok((head, Box::new(whole)))
}

/// Aligns the reads of the opened FASTQ inputs, then of `next` (opened once they are read),
/// piles them up and reports.
fn reads_to_report(
    opened: Vec<(String, Box<dyn Read + Send>)>,
    next: Option<Input>,
    panel: &Panel,
    reference: &Reference,
    options: &Options,
) -> Result<Report, Error> {
    let (sender, receiver) = sync_channel::<Vec<reads::Read1>>(2 * options.threads.get());
    let receiver = Mutex::new(receiver);
    let workers = options.threads.get();
    let (summaries, pileups) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut pileup = Pileup::new(reference);
                    let mut scratch = Scratch::default();
                    let mut species = Counts::default();
                    loop {
                        let batch = match receiver.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => break,
                        };
                        let Ok(batch) = batch else { break };
                        for read in batch {
                            if let Some(sketch) = &panel.species_sketch
                                && species::is_checked(read.index)
                            {
                                species.observe(sketch, &read.bases, &read.qualities);
                            }
                            if let Some(alignment) =
                                align::align(reference, &read.bases, &mut scratch)
                            {
                                let (bases, qualities) = if alignment.reverse {
                                    let mut qualities = read.qualities.clone();
                                    qualities.reverse();
                                    (reverse_complement(&read.bases), qualities)
                                } else {
                                    (read.bases, read.qualities)
                                };
                                pileup.add(
                                    panel,
                                    reference,
                                    &alignment,
                                    &bases,
                                    &qualities,
                                    options.min_base_quality,
                                );
                            }
                        }
                    }
                    (pileup, species)
                })
            })
            .collect();
        let mut summaries: Result<Vec<_>, Error> = Ok(Vec::new());
        let pending = opened
            .into_iter()
            .map(Ok)
            .chain(next.map(|input| input.open()));
        for input in pending {
            let streamed = input.and_then(|(name, reader)| {
                reads::stream_fastq(&name, reader, options.threads, |batch| {
                    // A closed channel means every worker has stopped; the join below reports it.
                    let _ = sender.send(batch);
                })
                .map(|summary| (name, summary))
            });
            match (&mut summaries, streamed) {
                (Ok(done), Ok(summary)) => done.push(summary),
                (Ok(_), Err(error)) => {
                    summaries = Err(error);
                    break;
                }
                (Err(_), _) => break,
            }
        }
        drop(sender);
        let pileups: Vec<(Pileup, Counts)> = handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect();
        (summaries, pileups)
    });
    let summaries = summaries?;
    let mut species_counts = Counts::default();
    let mut merged: Option<Pileup> = None;
    for (other, counts) in pileups {
        species_counts.merge(&counts);
        match &mut merged {
            Some(pileup) => pileup.merge(other),
            None => merged = Some(other),
        }
    }
    let pileup = merged.unwrap_or_else(|| Pileup::new(reference));
    let named: Vec<(&str, reads::InputSummary)> = summaries
        .iter()
        .map(|(name, summary)| (name.as_str(), summary.clone()))
        .collect();
    let mut report = observe(panel, reference, &pileup, &named, options);
    species::apply(&mut report, species_of(panel, &species_counts));
    Ok(report)
}

/// The species verdict on the reads' counts, `unknown` when the panel carries no sketch.
fn species_of(panel: &Panel, counts: &Counts) -> Species {
    match &panel.species_sketch {
        Some(_) => verdict(counts),
        None => Species::unknown(format!(
            "the panel has no M. tuberculosis complex sketch ({})",
            SKETCH_FILE
        )),
    }
}

/// Calls the pileup and builds the report.
fn observe(
    panel: &Panel,
    reference: &Reference,
    pileup: &Pileup,
    inputs: &[(&str, reads::InputSummary)],
    options: &Options,
) -> Report {
    let depth = |pos| pileup.depth_at(reference, pos);
    let base_counts = |pos| pileup.base_counts_at(reference, pos);
    let mut calls = pileup.call(reference, options);
    let deletions = pileup.gene_deletions(panel, reference, &calls, options);
    calls.extend(deletions);
    calls.sort_by(|a, b| (a.pos, &a.reference, &a.alt).cmp(&(b.pos, &b.reference, &b.alt)));
    let observations = report::Observations {
        calls,
        depth: Some(&depth),
        base_counts: Some(&base_counts),
        mapped_reads: pileup.mapped_reads,
    };
    report::build(panel, observations, inputs, options)
}
