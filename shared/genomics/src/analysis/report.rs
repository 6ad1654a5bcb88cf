//! The `genoflow.report/1` document and the VCF of the called variants.

use std::io::Write;

use noodles::vcf::{
    self,
    header::record::value::{
        Map,
        map::{
            Contig, Format, Info,
            format::{Number as FormatNumber, Type as FormatType},
            info::{Number, Type},
        },
    },
    variant::{
        io::Write as _,
        record_buf::{
            AlternateBases, Samples,
            info::field::Value as InfoValue,
            samples::sample::{Value as SampleValue, value::Genotype},
        },
    },
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    Options, align,
    annotate::{annotate, is_loss_of_function},
    attestation::Attestation,
    interpret::{
        self, Classification, DrugGroup, DrugLine, NotAssessed, drug_line, grade_text,
        resistant_caveat,
    },
    lineage::{self, Lineage, Mixture},
    panel::Panel,
    pileup::Call,
    reads,
    species::{self, Species},
};

/// Schema name of the report. Fields are only ever added under one name (readers ignore what
/// they do not know); removing or changing the meaning of a field takes a new number.
pub const REPORT_SCHEMA: &str = "genoflow.report/1";

/// The analysis report (docs/API.md).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// SHA-256 (hex) of the analysis configuration: pipeline version, panel, catalogue, thresholds.
    pub pipeline_id: String,
    /// The software that wrote the report: name, version and method version (readable; the
    /// pipeline id is their hash with the panel and thresholds).
    pub software: Software,
    /// The sample the report is of, as its uploader named it (set by the server; absent when
    /// the command line analyses files without a name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleInfo>,
    /// The panel analysed against.
    pub panel: PanelSummary,
    /// The oracle's attestation of the panel's catalogue and reference files
    /// ([`Panel::catalogue_attestation`]): what a reader checks on chain to know which
    /// catalogue the resistance calls rest on.
    pub catalogue: Attestation,
    /// Whether the sample is M. tuberculosis complex (docs/ANALYSIS.md, "Species and sample
    /// QC"); a `not_mtbc` or `contaminated` sample calls no drug susceptible.
    pub species: Species,
    /// Each input file.
    pub inputs: Vec<InputSummary>,
    /// Read counts and quality.
    pub qc: Qc,
    /// The strain's lineage from the panel's barcode (docs/ANALYSIS.md, "Lineage and mixture").
    pub lineage: Lineage,
    /// Whether the barcode shows one strain or a mixture, with the strains' shares.
    pub mixture: Mixture,
    /// Per-gene coverage.
    pub coverage: Vec<GeneCoverage>,
    /// Called variants, by position.
    pub variants: Vec<Variant>,
    /// One call per drug of the catalogue.
    pub resistance: Vec<DrugCall>,
    /// The sample's class by the WHO definitions ([`classify`], docs/ANALYSIS.md,
    /// "Classification"): `RR-TB`, `MDR-TB`, `pre-XDR-TB`, `XDR-TB`, `Hr-TB`,
    /// `other-resistance`, `none` or `undetermined`.
    pub classification: Classification,
    /// What the class rests on and what could not be excluded.
    pub classification_detail: String,
    /// The drugs of `resistance` grouped first-line then second-line, in display order.
    pub drug_groups: Vec<DrugGroup>,
}

/// The software that wrote a report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Software {
    /// Always `genoflow`.
    pub name: &'static str,
    /// The release (`0.1.0`).
    pub version: &'static str,
    /// The method version: alignment, calling and annotation; it changes whenever results may
    /// change for the same inputs.
    pub method: u32,
}

/// The sample a report is of, as its uploader described it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SampleInfo {
    /// The name given at upload; `null` when none was.
    pub name: Option<String>,
    /// The specimen's id in the uploader's records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specimen_id: Option<String>,
    /// When the specimen was collected, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection_date: Option<String>,
    /// Who submitted it (a clinic, a laboratory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitter: Option<String>,
}

impl SampleInfo {
    /// The VCF's sample column name: the sample's name with whitespace and control characters
    /// made `_` (a VCF header line is tab-separated), or `SAMPLE` when it has none.
    ///
    /// ```
    /// use genoflow_genomics::analysis::SampleInfo;
    /// let named = SampleInfo { name: Some("TB 042\tward 3".into()), ..SampleInfo::default() };
    /// assert_eq!(named.vcf_column(), "TB_042_ward_3");
    /// assert_eq!(SampleInfo::default().vcf_column(), "SAMPLE");
    /// ```
    pub fn vcf_column(&self) -> String {
        vcf_sample_column(self.name.as_deref())
    }
}

/// [`SampleInfo::vcf_column`] of an optional name.
fn vcf_sample_column(name: Option<&str>) -> String {
    let cleaned: String = name
        .unwrap_or_default()
        .trim()
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.is_empty() {
        "SAMPLE".to_owned()
    } else {
        cleaned
    }
}

/// Panel name, reference and catalogue.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PanelSummary {
    /// Panel name.
    pub name: String,
    /// Reference sequence name.
    pub reference: String,
    /// Catalogue name.
    pub catalogue: String,
}

/// One input file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InputSummary {
    /// File name (without directories, so the report does not depend on where files live).
    pub path: String,
    /// SHA-256 (hex) of the stored bytes.
    pub sha256: String,
    /// `fastq` or `vcf`.
    pub format: &'static str,
    /// Records read.
    pub records: u64,
}

/// Read counts and quality.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Qc {
    /// Reads of all inputs.
    pub reads: u64,
    /// Reads aligned to the panel.
    pub mapped_to_panel: u64,
    /// Mean Phred base quality.
    pub mean_quality: f64,
}

/// Coverage of one gene body.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GeneCoverage {
    /// Gene name.
    pub gene: String,
    /// Mean read depth over the gene.
    pub mean_depth: f64,
    /// Fraction of the gene's bases covered by at least 10 reads.
    pub fraction_10x: f64,
}

/// One called variant.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Variant {
    /// Reference sequence name.
    pub chrom: String,
    /// 1-based position (indels: of the padding base, left-aligned).
    pub pos: u64,
    /// Reference allele.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Alternate allele.
    pub alt: String,
    /// Reads covering the site.
    pub depth: u32,
    /// Fraction of those reads carrying the alternate allele.
    pub alt_fraction: f64,
    /// Whether the fraction is below the fixed threshold (a mixed population).
    pub mixed: bool,
    /// Gene the variant is named after, if any.
    pub gene: Option<String>,
    /// Sequence Ontology consequence.
    pub consequence: &'static str,
    /// HGVS-style name relative to the gene.
    pub hgvs: String,
}

/// The call for one drug.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DrugCall {
    /// Drug name as the catalogue writes it.
    pub drug: String,
    /// `resistant`, `susceptible` or `unknown`.
    pub call: &'static str,
    /// Why the call is in doubt: set on every drug when the sample is not M. tuberculosis
    /// complex or mostly contaminated ([`Species::drug_warning`]); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Fraction of the drug's catalogue positions covered by at least `min_depth` reads.
    pub covered_fraction: f64,
    /// Catalogue entries matched by called variants.
    pub evidence: Vec<Evidence>,
    /// `first_line` or `second_line`.
    pub line: DrugLine,
    /// For an `unknown` call: the rule that decided, and the genes and positions that lacked
    /// coverage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_assessed: Option<NotAssessed>,
    /// For a `resistant` call whose catalogue positions are covered below the rule: the
    /// resistance stands, but other mechanisms were not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

/// A catalogue entry matched by a called variant.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Evidence {
    /// The catalogue's variant name (`rpoB_p.Ser450Leu`, or `GENE_LoF` for a loss-of-function class).
    pub variant: String,
    /// The catalogue grade.
    pub grade: String,
    /// Position of the called variant.
    pub pos: u64,
    /// Its allele fraction.
    pub alt_fraction: f64,
    /// Whether the fraction is below the fixed threshold (`fixed_allele_fraction`): a resistant
    /// subpopulation beside a susceptible one (heteroresistance).
    pub heteroresistant: bool,
    /// The grade in words ([`grade_text`]): `associated with resistance`, …
    pub grade_text: String,
}

impl Report {
    /// The report as pretty JSON with a final newline (the bytes of `report.json`).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the called variants as VCF 4.5 (INFO DP/AF/MIXED/GENE/CSQ/HGVS), with one sample
    /// column (FORMAT GT:DP, haploid) named by [`SampleInfo::vcf_column`]: the sample's name,
    /// or `SAMPLE`.
    pub fn write_vcf<W: Write>(&self, panel: &Panel, writer: W) -> std::io::Result<()> {
        let info = |number, ty, description: &str| Map::<Info>::new(number, ty, description);
        let header = vcf::Header::builder()
            .add_contig(
                panel.reference.as_str(),
                Map::<Contig>::builder()
                    .set_length(panel.reference_length as usize)
                    .build()
                    .map_err(std::io::Error::other)?,
            )
            .add_info(
                "DP",
                info(Number::Count(1), Type::Integer, "Reads covering the site"),
            )
            .add_info(
                "AF",
                info(
                    Number::A,
                    Type::Float,
                    "Fraction of reads carrying the allele",
                ),
            )
            .add_info(
                "MIXED",
                info(
                    Number::Count(0),
                    Type::Flag,
                    "Allele fraction below the fixed threshold",
                ),
            )
            .add_info("GENE", info(Number::Count(1), Type::String, "Gene"))
            .add_info(
                "CSQ",
                info(
                    Number::Count(1),
                    Type::String,
                    "Sequence Ontology consequence",
                ),
            )
            .add_info(
                "HGVS",
                info(
                    Number::Count(1),
                    Type::String,
                    "HGVS-style name relative to the gene",
                ),
            )
            .add_format(
                "GT",
                Map::<Format>::new(
                    FormatNumber::Count(1),
                    FormatType::String,
                    "Genotype (haploid)",
                ),
            )
            .add_format(
                "DP",
                Map::<Format>::new(
                    FormatNumber::Count(1),
                    FormatType::Integer,
                    "Reads covering the site",
                ),
            )
            .add_sample_name(vcf_sample_column(
                self.sample.as_ref().and_then(|s| s.name.as_deref()),
            ))
            .build();
        let called: Genotype = "1".parse().map_err(std::io::Error::other)?;
        let mut writer = vcf::io::Writer::new(writer);
        writer.write_header(&header)?;
        for variant in &self.variants {
            let mut fields = vec![
                (
                    "DP".to_owned(),
                    Some(InfoValue::Integer(
                        i32::try_from(variant.depth).unwrap_or(i32::MAX),
                    )),
                ),
                (
                    "AF".to_owned(),
                    Some(InfoValue::from(vec![Some(variant.alt_fraction as f32)])),
                ),
            ];
            if variant.mixed {
                fields.push(("MIXED".to_owned(), Some(InfoValue::Flag)));
            }
            if let Some(gene) = &variant.gene {
                fields.push(("GENE".to_owned(), Some(InfoValue::String(gene.clone()))));
            }
            fields.push((
                "CSQ".to_owned(),
                Some(InfoValue::String(variant.consequence.to_owned())),
            ));
            fields.push((
                "HGVS".to_owned(),
                Some(InfoValue::String(variant.hgvs.clone())),
            ));
            let position = noodles::core::Position::try_from(variant.pos as usize)
                .map_err(std::io::Error::other)?;
            let record = vcf::variant::RecordBuf::builder()
                .set_reference_sequence_name(variant.chrom.as_str())
                .set_variant_start(position)
                .set_reference_bases(variant.reference.as_str())
                .set_alternate_bases(AlternateBases::from(vec![variant.alt.clone()]))
                .set_info(fields.into_iter().collect())
                .set_samples(Samples::new(
                    ["GT".to_owned(), "DP".to_owned()].into_iter().collect(),
                    vec![vec![
                        Some(SampleValue::Genotype(called.clone())),
                        Some(SampleValue::Integer(
                            i32::try_from(variant.depth).unwrap_or(i32::MAX),
                        )),
                    ]],
                ))
                .build();
            writer.write_variant_record(&header, &record)?;
        }
        Ok(())
    }
}

/// The configuration hashed into the pipeline id.
#[derive(Serialize)]
struct Configuration<'a> {
    pipeline: &'static str,
    version: &'static str,
    method: u32,
    panel: &'a str,
    panel_sha256: &'a str,
    catalogue: &'a str,
    options: &'a Options,
    aligner: [i32; 9],
    species: String,
}

/// Version of the method (alignment, calling, annotation): changes whenever results may change
/// for the same inputs, so the pipeline id does too. 2: banded two-piece affine gaps and split
/// reads (indels up to 50 bp and long deletions), multi-base substitutions, deleted genes by
/// coverage, indel depth without clipped reads, indel-echo filter. 3: lineage and mixture from the
/// panel's barcode (its thresholds in `lineage`), variants listed in the gene segments only.
/// 4: a BAM or CRAM record clipped at a long deletion has its clipped end placed as a read's.
const METHOD_VERSION: u32 = 4;

fn pipeline_id(panel: &Panel, options: &Options) -> String {
    let configuration = Configuration {
        pipeline: "genoflow analyze",
        version: env!("CARGO_PKG_VERSION"),
        method: METHOD_VERSION,
        panel: &panel.name,
        panel_sha256: &panel.sha256,
        catalogue: &panel.catalogue_name,
        options,
        aligner: [
            align::MATCH,
            align::MISMATCH,
            align::GAP_OPEN,
            align::GAP_EXTEND,
            align::CLIP,
            align::BAND as i32,
            align::LONG_GAP,
            align::WINDOW_MARGIN as i32,
            align::MIN_SPLIT as i32,
        ],
        species: species::configuration(panel.species_sketch.as_deref()),
    };
    let bytes = serde_json::to_vec(&configuration).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// Rounds for the report: the reads decide the digits, not floating-point noise.
fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

/// What the inputs showed: the calls, and the read depth behind them when reads were given.
pub(super) struct Observations<'a> {
    pub calls: Vec<Call>,
    /// Depth at a 1-based reference position; `None` for VCF input, which carries no coverage.
    pub depth: Option<&'a dyn Fn(u64) -> u32>,
    /// Reads per base (A, C, G, T) at a 1-based position, for the lineage barcode; `None` for
    /// VCF input.
    pub base_counts: Option<&'a dyn Fn(u64) -> [u32; 4]>,
    pub mapped_reads: u64,
}

pub(super) fn build(
    panel: &Panel,
    observations: Observations<'_>,
    inputs: &[(&str, reads::InputSummary)],
    options: &Options,
) -> Report {
    let reads_total: u64 = inputs.iter().map(|(_, s)| s.records).sum();
    let bases_total: u64 = inputs.iter().map(|(_, s)| s.bases).sum();
    let quality_total: u64 = inputs.iter().map(|(_, s)| s.quality_sum).sum();

    let depth_at = observations.depth;
    let coverage = depth_at.map_or_else(Vec::new, |depth_at| {
        panel
            .genes
            .iter()
            .map(|gene| {
                let depths: Vec<u32> = (gene.start..=gene.end).map(depth_at).collect();
                let length = depths.len().max(1) as f64;
                GeneCoverage {
                    gene: gene.name.clone(),
                    mean_depth: round(
                        depths.iter().map(|&d| f64::from(d)).sum::<f64>() / length,
                        1,
                    ),
                    fraction_10x: round(
                        depths.iter().filter(|&&d| d >= 10).count() as f64 / length,
                        4,
                    ),
                }
            })
            .collect()
    });

    let (lineage, mixture) = match (&panel.barcode, observations.base_counts) {
        (None, _) => lineage::unknown("the panel has no lineage barcode"),
        (Some(_), None) => {
            lineage::unknown("a VCF carries no read counts at the lineage barcode's sites")
        }
        (Some(barcode), Some(base_counts)) => {
            let counts: Vec<[u32; 4]> = barcode.sites.iter().map(|s| base_counts(s.pos)).collect();
            lineage::call(barcode, &counts, options.min_depth)
        }
    };

    let mut variants = Vec::new();
    let mut evidence: Vec<(String, Evidence)> = Vec::new();
    // Segments added for the lineage barcode alone serve the lineage call, not the variant list.
    let in_gene_segments = observations
        .calls
        .into_iter()
        .filter(|call| panel.in_gene_segment(call.pos));
    for call in in_gene_segments {
        let entries = panel.catalogue_entries(call.pos, &call.reference, &call.alt);
        // Name the variant as the catalogue does when it matched a named entry.
        let named = entries.iter().find(|e| !e.variant.ends_with("_LoF"));
        let catalogue_gene = named
            .and_then(|e| e.variant.split_once('_'))
            .map(|(gene, _)| gene);
        let annotation = annotate(panel, call.pos, &call.reference, &call.alt, catalogue_gene);
        let alt_fraction = round(call.alt_fraction, 4);
        let found = |entry: &super::CatalogueEntry| Evidence {
            variant: entry.variant.clone(),
            grade: entry.grade.clone(),
            pos: call.pos,
            alt_fraction,
            heteroresistant: call.alt_fraction < options.fixed_allele_fraction,
            grade_text: grade_text(&entry.grade),
        };
        for entry in entries {
            evidence.push((entry.drug.clone(), found(entry)));
        }
        if is_loss_of_function(annotation.consequence)
            && let Some(gene) = &annotation.gene
        {
            for entry in panel.loss_of_function.get(gene).into_iter().flatten() {
                if !evidence
                    .iter()
                    .any(|(drug, e)| *drug == entry.drug && e.pos == call.pos)
                {
                    evidence.push((entry.drug.clone(), found(entry)));
                }
            }
        }
        variants.push(Variant {
            chrom: panel.reference.clone(),
            pos: call.pos,
            reference: String::from_utf8_lossy(&call.reference).into_owned(),
            alt: String::from_utf8_lossy(&call.alt).into_owned(),
            depth: call.depth,
            alt_fraction,
            mixed: call.alt_fraction < options.fixed_allele_fraction,
            gene: annotation.gene,
            consequence: annotation.consequence,
            hgvs: match named {
                Some(entry) => entry
                    .variant
                    .split_once('_')
                    .map_or(annotation.hgvs, |(_, n)| n.to_owned()),
                None => annotation.hgvs,
            },
        });
    }

    let resistance = panel
        .drugs
        .iter()
        .map(|(drug, positions)| {
            let covered = depth_at.map_or(0, |depth_at| {
                positions
                    .iter()
                    .filter(|&&p| depth_at(p) >= options.min_depth)
                    .count()
            });
            let covered_fraction = round(covered as f64 / positions.len().max(1) as f64, 4);
            let evidence: Vec<Evidence> = evidence
                .iter()
                .filter(|(d, _)| d == drug)
                .map(|(_, e)| e.clone())
                .collect();
            let call = if !evidence.is_empty() {
                "resistant"
            } else if covered_fraction >= options.min_drug_coverage {
                "susceptible"
            } else {
                "unknown"
            };
            let gaps =
                interpret::coverage_gaps(panel, positions, depth_at, options, covered_fraction);
            DrugCall {
                drug: drug.clone(),
                call,
                warning: None,
                covered_fraction,
                line: drug_line(drug),
                not_assessed: gaps.clone().filter(|_| call == "unknown"),
                caveat: gaps
                    .as_ref()
                    .filter(|_| call == "resistant")
                    .map(|gaps| resistant_caveat(drug, gaps)),
                evidence,
            }
        })
        .collect();

    Report {
        schema: REPORT_SCHEMA,
        pipeline_id: pipeline_id(panel, options),
        software: Software {
            name: "genoflow",
            version: env!("CARGO_PKG_VERSION"),
            method: METHOD_VERSION,
        },
        sample: None,
        panel: PanelSummary {
            name: panel.name.clone(),
            reference: panel.reference.clone(),
            catalogue: panel.catalogue_name.clone(),
        },
        catalogue: panel.catalogue_attestation(),
        species: Species::unknown("the species was not checked"),
        inputs: inputs
            .iter()
            .map(|(name, summary)| InputSummary {
                path: std::path::Path::new(name)
                    .file_name()
                    .map_or_else(|| (*name).to_owned(), |n| n.to_string_lossy().into_owned()),
                sha256: summary.sha256.clone(),
                format: summary.format,
                records: summary.records,
            })
            .collect(),
        qc: Qc {
            reads: reads_total,
            mapped_to_panel: observations.mapped_reads,
            mean_quality: round(quality_total as f64 / bases_total.max(1) as f64, 1),
        },
        lineage,
        mixture,
        coverage,
        variants,
        resistance,
        classification: Classification::Undetermined,
        classification_detail: String::new(),
        drug_groups: Vec::new(),
    }
}
