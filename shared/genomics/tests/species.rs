//! The species check end to end: reads of the M. tuberculosis complex (MTBC), of a non-MTBC
//! stand-in and of a mixture give `mtbc`, `not_mtbc` and `contaminated`, and a sample that is not
//! MTBC (or mostly contaminated) calls no drug susceptible.
//!
//! The reads are made here, deterministically and error-free (quality 40): MTBC reads tile the
//! built-in panel's H37Rv segment around rpoB (so rifampicin is covered well enough to be called
//! susceptible), the non-MTBC stand-in reads tile the panel's other segments reversed, not
//! complemented (the same base composition, no shared 21-mer beyond chance, and nothing that
//! aligns). docs/ANALYSIS.md ("Species and sample QC") measures the same on whole-genome reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::Cursor,
    path::{Path, PathBuf},
};

use genoflow_genomics::analysis::{
    CONTAMINATED_REASON, Input, NOT_MTBC_REASON, Options, Panel, Report, SKETCH_FILE, analyze,
    analyze_inputs, reverse_complement,
};

const READ: usize = 150;
/// rpoB S450L, inside the rpoB segment of the panel.
const RPOB: u64 = 761_155;

/// Reads tiling `sequence` every `step` bases, every other one reverse-complemented.
fn tile(sequence: &[u8], step: usize, reads: &mut Vec<Vec<u8>>) {
    for (i, start) in (0..sequence.len().saturating_sub(READ))
        .step_by(step)
        .enumerate()
    {
        let read = &sequence[start..start + READ];
        reads.push(if i % 2 == 0 {
            read.to_vec()
        } else {
            reverse_complement(read)
        });
    }
}

/// MTBC reads (about 30x over the rpoB segment) and non-MTBC stand-in reads.
fn read_sets(panel: &Panel) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut mtbc = Vec::new();
    let mut other = Vec::new();
    for segment in &panel.segments {
        let end = segment.start + segment.sequence.len() as u64;
        if (segment.start..end).contains(&RPOB) {
            tile(&segment.sequence, 5, &mut mtbc);
        } else {
            let reversed: Vec<u8> = segment.sequence.iter().rev().copied().collect();
            tile(&reversed, 5, &mut other);
        }
    }
    (mtbc, other)
}

/// `mtbc` reads and `others` of `other`, interleaved evenly, as one FASTQ.
fn fastq(mtbc: &[Vec<u8>], other: &[Vec<u8>], others: usize) -> Vec<u8> {
    let other = &other[..others];
    let total = mtbc.len() + other.len();
    let mut text = Vec::new();
    let (mut m, mut o) = (0, 0);
    for i in 0..total {
        // Bresenham-like: keep each kind's share even along the file.
        let read = if o < other.len() && (m == mtbc.len() || o * total <= i * other.len()) {
            o += 1;
            &other[o - 1]
        } else {
            m += 1;
            &mtbc[m - 1]
        };
        text.extend_from_slice(format!("@r{i}\n").as_bytes());
        text.extend_from_slice(read);
        text.extend_from_slice(b"\n+\n");
        text.extend(std::iter::repeat_n(b'I', read.len()));
        text.push(b'\n');
    }
    text
}

fn run(panel: &Panel, bytes: Vec<u8>) -> Report {
    let input = Input::new("reads.fastq", move || {
        Ok(Box::new(Cursor::new(bytes)) as Box<dyn std::io::Read + Send>)
    });
    analyze_inputs(vec![input], panel, &Options::default()).unwrap()
}

fn call<'a>(report: &'a Report, drug: &str) -> &'a str {
    report
        .resistance
        .iter()
        .find(|d| d.drug == drug)
        .unwrap()
        .call
}

#[test]
fn mtbc_reads_are_mtbc() {
    let panel = Panel::load("tb-who-2023").unwrap();
    let (mtbc, other) = read_sets(&panel);
    let report = run(&panel, fastq(&mtbc, &other, 0));
    assert_eq!(report.species.verdict, "mtbc", "{:?}", report.species);
    assert_eq!(report.species.mtbc_fraction, Some(1.0));
    assert!(report.species.kmers_sampled >= 200, "{:?}", report.species);
    assert_eq!(call(&report, "Rifampicin"), "susceptible");
    assert!(report.resistance.iter().all(|d| d.warning.is_none()));
}

#[test]
fn non_mtbc_reads_are_not_mtbc_and_call_nothing_susceptible() {
    let panel = Panel::load("tb-who-2023").unwrap();
    let (mtbc, other) = read_sets(&panel);
    // A few MTBC reads among many others: rifampicin would be susceptible without the check.
    let others = 19 * mtbc.len();
    assert!(other.len() >= others, "{} stand-in reads", other.len());
    let report = run(&panel, fastq(&mtbc, &other, others));
    let species = &report.species;
    assert_eq!(species.verdict, "not_mtbc", "{species:?}");
    assert!(species.mtbc_fraction.unwrap() < 0.1, "{species:?}");
    assert!(species.reason.starts_with(NOT_MTBC_REASON), "{species:?}");
    for drug in &report.resistance {
        assert_ne!(drug.call, "susceptible", "{drug:?}");
        assert_eq!(drug.warning.as_deref(), Some(NOT_MTBC_REASON), "{drug:?}");
    }
    assert_eq!(call(&report, "Rifampicin"), "unknown");

    let only_other = run(&panel, fastq(&[], &other, others));
    assert_eq!(only_other.species.verdict, "not_mtbc");
    assert!(only_other.species.mtbc_fraction.unwrap() < 0.01);
    assert!(
        only_other
            .resistance
            .iter()
            .all(|d| d.call != "susceptible")
    );
}

#[test]
fn a_30_70_mixture_is_contaminated_and_calls_nothing_susceptible() {
    let panel = Panel::load("tb-who-2023").unwrap();
    let (mtbc, other) = read_sets(&panel);
    let others = mtbc.len() * 7 / 3;
    let report = run(&panel, fastq(&mtbc, &other, others));
    let species = &report.species;
    assert_eq!(species.verdict, "contaminated", "{species:?}");
    let fraction = species.mtbc_fraction.unwrap();
    assert!((0.2..0.4).contains(&fraction), "{species:?}");
    assert!(
        species.reason.starts_with(CONTAMINATED_REASON),
        "{species:?}"
    );
    assert_eq!(call(&report, "Rifampicin"), "unknown");
    for drug in &report.resistance {
        assert_ne!(drug.call, "susceptible", "{drug:?}");
        assert_eq!(
            drug.warning.as_deref(),
            Some(CONTAMINATED_REASON),
            "{drug:?}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["species"]["verdict"], "contaminated");
    // `species` comes right after the panel and its catalogue attestation.
    let text = report.to_json();
    let at = |key: &str| text.find(&format!("\n  \"{key}\": ")).unwrap();
    assert!(at("panel") < at("catalogue"));
    assert!(at("catalogue") < at("species") && at("species") < at("inputs"));
}

#[test]
fn too_few_reads_or_no_sketch_give_unknown() {
    let panel = Panel::load("tb-who-2023").unwrap();
    let (mtbc, _) = read_sets(&panel);
    let report = run(&panel, fastq(&mtbc[..40], &[], 0));
    assert_eq!(report.species.verdict, "unknown", "{:?}", report.species);
    assert!(report.species.reason.contains("at least 200"));

    // A panel directory without the sketch: the check is skipped, the calls stand.
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("panels/tb-who-2023");
    let dir = std::env::temp_dir().join(format!("genoflow-species-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != SKETCH_FILE {
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
    }
    let without = Panel::load(dir.to_str().unwrap()).unwrap();
    assert!(without.species_sketch.is_none());
    let report = run(&without, fastq(&mtbc, &[], 0));
    assert_eq!(report.species.verdict, "unknown");
    assert!(report.species.reason.contains(SKETCH_FILE));
    assert_eq!(call(&report, "Rifampicin"), "susceptible");
    // A damaged sketch is an error, not a silent `unknown`.
    std::fs::write(dir.join(SKETCH_FILE), b"GFSKETCH").unwrap();
    assert!(Panel::load(dir.to_str().unwrap()).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_demo_sample_is_mtbc() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/samples");
    let inputs: Vec<PathBuf> = ["tb-demo_R1.fastq.gz", "tb-demo_R2.fastq.gz"]
        .iter()
        .map(|name| samples.join(name))
        .collect();
    let panel = Panel::load("tb-who-2023").unwrap();
    let report = analyze(&inputs, &panel, &Options::default()).unwrap();
    let species = &report.species;
    assert_eq!(species.verdict, "mtbc", "{species:?}");
    assert!(species.mtbc_fraction.unwrap() > 0.95, "{species:?}");
    assert!(species.kmers_sampled > 1000, "{species:?}");
}
