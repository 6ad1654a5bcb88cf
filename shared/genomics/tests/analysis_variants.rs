//! The analysis on small simulated samples: multi-base substitutions, long indels, deleted
//! genes (split reads and coverage) and CRAM input. Reads are error-free 150-mers tiled over a
//! panel segment edited in the test, on both strands, so every case runs in a second or two.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use genoflow_genomics::analysis::{Options, Panel, Report, Segment, analyze, reverse_complement};

const READ: usize = 150;

fn panel() -> Panel {
    Panel::load("tb-who-2023").unwrap()
}

fn segment_of(panel: &Panel, pos: u64) -> &Segment {
    panel
        .segments
        .iter()
        .find(|s| s.start <= pos && pos < s.start + s.sequence.len() as u64)
        .unwrap()
}

/// A FASTQ of error-free reads every `step` bases over each sequence, alternating strands.
fn tiled_fastq(sequences: &[Vec<u8>], step: usize) -> String {
    let mut fastq = String::new();
    let mut n = 0;
    for sequence in sequences {
        for start in (0..=sequence.len().saturating_sub(READ)).step_by(step) {
            let read = &sequence[start..start + READ];
            let read = if n % 2 == 0 {
                read.to_vec()
            } else {
                reverse_complement(read)
            };
            fastq.push_str(&format!(
                "@r{n}\n{}\n+\n{}\n",
                String::from_utf8(read).unwrap(),
                "I".repeat(READ)
            ));
            n += 1;
        }
    }
    fastq
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("genoflow-{name}-{}", std::process::id()))
}

fn analyze_fastq(name: &str, fastq: &str) -> Report {
    let path = temp_path(&format!("{name}.fastq"));
    std::fs::write(&path, fastq).unwrap();
    let report = analyze(std::slice::from_ref(&path), &panel(), &Options::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    report
}

/// The segment holding `pos` with `reference` at `pos` replaced by `alt`.
fn edited_segment(panel: &Panel, pos: u64, reference: &[u8], alt: &[u8]) -> Vec<u8> {
    let segment = segment_of(panel, pos);
    let at = (pos - segment.start) as usize;
    assert_eq!(&segment.sequence[at..at + reference.len()], reference);
    let mut edited = segment.sequence[..at].to_vec();
    edited.extend_from_slice(alt);
    edited.extend_from_slice(&segment.sequence[at + reference.len()..]);
    edited
}

fn called(report: &Report) -> Vec<(u64, String, String)> {
    report
        .variants
        .iter()
        .map(|v| (v.pos, v.reference.clone(), v.alt.clone()))
        .collect()
}

fn drug<'a>(report: &'a Report, name: &str) -> &'a genoflow_genomics::analysis::DrugCall {
    report.resistance.iter().find(|d| d.drug == name).unwrap()
}

#[test]
fn adjacent_snvs_on_the_same_reads_are_one_codon_change() {
    // gyrB D461N written by the catalogue as GAC>AAT at 6620 (two changed bases, one apart).
    let panel = panel();
    let mutant = edited_segment(&panel, 6620, b"GAC", b"AAT");
    let report = analyze_fastq("gyrb-d461n", &tiled_fastq(&[mutant], 4));
    assert_eq!(called(&report), [(6620, "GAC".into(), "AAT".into())]);
    let variant = &report.variants[0];
    assert_eq!(
        (
            variant.gene.as_deref(),
            variant.consequence,
            variant.hgvs.as_str()
        ),
        (Some("gyrB"), "missense_variant", "p.Asp461Asn")
    );
    let levofloxacin = drug(&report, "Levofloxacin");
    assert_eq!(levofloxacin.call, "resistant");
    assert_eq!(levofloxacin.evidence[0].variant, "gyrB_p.Asp461Asn");
}

#[test]
fn indels_of_30_to_50_bases_are_called_exactly() {
    // A 45-base deletion in rpoB and a 31-base insertion in pncA, each in its own segment.
    let panel = panel();
    let deleted = panel.bases(760_500, 46).unwrap().to_vec();
    let rpob = edited_segment(&panel, 760_500, &deleted, &deleted[..1]);
    let inserted = b"TGACCTGAAGGCTTACGGATCCGTAGCATGC";
    let anchor = panel.bases(2_288_900, 1).unwrap().to_vec();
    let mut alt = anchor.clone();
    alt.extend_from_slice(inserted);
    let pnca = edited_segment(&panel, 2_288_900, &anchor, &alt);
    let report = analyze_fastq("long-indels", &tiled_fastq(&[rpob, pnca], 3));
    let expected: Vec<(u64, String, String)> = [
        panel.normalise(760_500, &deleted, &deleted[..1]).unwrap(),
        panel.normalise(2_288_900, &anchor, &alt).unwrap(),
    ]
    .into_iter()
    .map(|(pos, r, a)| {
        (
            pos,
            String::from_utf8(r).unwrap(),
            String::from_utf8(a).unwrap(),
        )
    })
    .collect();
    assert_eq!(called(&report), expected);
    for variant in &report.variants {
        assert!(!variant.mixed, "{variant:?}");
        assert!(variant.alt_fraction > 0.8, "{variant:?}");
    }
    assert_eq!(report.variants[0].consequence, "inframe_deletion");
    assert_eq!(report.variants[1].consequence, "frameshift_variant");
    assert_eq!(drug(&report, "Pyrazinamide").call, "resistant");
}

fn katg(panel: &Panel) -> (u64, u64) {
    let gene = panel.genes.iter().find(|g| g.name == "katG").unwrap();
    (gene.start, gene.end)
}

#[test]
fn a_deleted_gene_is_found_from_reads_across_its_breakpoints() {
    // The whole katG body deleted, the flanks of its segment kept: split reads give the exact
    // deletion, in the catalogue's loss-of-function class of isoniazid.
    let panel = panel();
    let (start, end) = katg(&panel);
    let deleted = panel.bases(start - 1, (end - start + 2) as usize).unwrap();
    let mutant = edited_segment(&panel, start - 1, deleted, &deleted[..1]);
    let report = analyze_fastq("katg-deleted", &tiled_fastq(&[mutant], 4));
    let (pos, reference, alt) = panel.normalise(start - 1, deleted, &deleted[..1]).unwrap();
    assert_eq!(
        called(&report),
        [(
            pos,
            String::from_utf8(reference).unwrap(),
            String::from_utf8(alt).unwrap()
        )]
    );
    assert_eq!(report.variants[0].gene.as_deref(), Some("katG"));
    assert_eq!(report.variants[0].consequence, "transcript_ablation");
    let isoniazid = drug(&report, "Isoniazid");
    assert_eq!(isoniazid.call, "resistant");
    assert!(isoniazid.evidence.iter().any(|e| e.variant == "katG_LoF"));
}

#[test]
fn a_gene_without_reads_between_covered_flanks_is_reported_deleted() {
    // Reads only on either side of katG, none across it: a deletion whose breakpoints lie
    // beyond what the reads show, reported from coverage as the deletion of the gene body.
    let panel = panel();
    let (start, end) = katg(&panel);
    let segment = segment_of(&panel, start);
    let before = segment.sequence[..(start - segment.start) as usize].to_vec();
    let after = segment.sequence[(end + 1 - segment.start) as usize..].to_vec();
    let report = analyze_fastq("katg-uncovered", &tiled_fastq(&[before, after], 3));
    let deletion = report
        .variants
        .iter()
        .find(|v| v.consequence == "transcript_ablation")
        .expect("a deletion of katG");
    assert_eq!(deletion.gene.as_deref(), Some("katG"));
    assert_eq!(deletion.pos, start - 1);
    assert_eq!(deletion.reference.len() as u64, end - start + 2);
    assert_eq!(drug(&report, "Isoniazid").call, "resistant");
    // The genes that were simply not sequenced are not called deleted.
    assert_eq!(
        report
            .variants
            .iter()
            .filter(|v| v.consequence == "transcript_ablation")
            .count(),
        1
    );
}

/// A stand-in for the whole reference: the panel's segments at their positions, N elsewhere
/// (CRAM decoding checks the MD5 of the sequence it is given, not where it came from).
fn whole_reference(panel: &Panel) -> Vec<u8> {
    let mut sequence = vec![b'N'; panel.reference_length as usize];
    for segment in &panel.segments {
        let from = (segment.start - 1) as usize;
        sequence[from..from + segment.sequence.len()].copy_from_slice(&segment.sequence);
    }
    sequence
}

#[test]
fn cram_input_is_piled_up_with_the_reference() {
    use noodles::sam::alignment::io::Write as _;
    let panel = panel();
    let reference = noodles::fasta::Record::new(
        noodles::fasta::record::Definition::new("NC_000962.3", None),
        noodles::fasta::record::Sequence::from(whole_reference(&panel)),
    );
    let fasta_path = temp_path("reference.fa");
    {
        let mut writer =
            noodles::fasta::io::Writer::new(std::fs::File::create(&fasta_path).unwrap());
        writer.write_record(&reference).unwrap();
    }
    // rpoB S450L (761155 C>T) on reads aligned 150M by construction.
    let mut sam = String::from("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:NC_000962.3\tLN:4411532\n");
    for (n, start) in (760_900u64..761_300).step_by(5).enumerate() {
        let mut read = panel.bases(start, READ).unwrap().to_vec();
        if (start..start + READ as u64).contains(&761_155) {
            read[(761_155 - start) as usize] = b'T';
        }
        sam.push_str(&format!(
            "r{n}\t0\tNC_000962.3\t{start}\t60\t150M\t*\t0\t0\t{}\t{}\n",
            String::from_utf8(read).unwrap(),
            "I".repeat(READ)
        ));
    }
    let cram_path = temp_path("rpob.cram");
    {
        let mut reader = noodles::sam::io::Reader::new(sam.as_bytes());
        let header = reader.read_header().unwrap();
        let repository = noodles::fasta::Repository::new(vec![reference]);
        let mut writer = noodles::cram::io::writer::Builder::default()
            .set_reference_sequence_repository(repository)
            .build_from_path(&cram_path)
            .unwrap();
        writer.write_header(&header).unwrap();
        for record in reader.records() {
            writer
                .write_alignment_record(&header, &record.unwrap())
                .unwrap();
        }
        writer.try_finish(&header).unwrap();
    }

    let without = analyze(
        std::slice::from_ref(&cram_path),
        &panel,
        &Options::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(without.contains("--reference FASTA"), "{without}");

    let options = Options {
        reference: Some(fasta_path.clone()),
        ..Options::default()
    };
    let report = analyze(std::slice::from_ref(&cram_path), &panel, &options).unwrap();
    std::fs::remove_file(&cram_path).unwrap();
    std::fs::remove_file(&fasta_path).unwrap();
    assert_eq!(report.inputs[0].format, "cram");
    assert_eq!(report.qc.mapped_to_panel, 80);
    assert_eq!(called(&report), [(761_155, "C".into(), "T".into())]);
    assert_eq!(drug(&report, "Rifampicin").call, "resistant");
}

#[test]
fn a_cram_reference_that_differs_from_the_panel_is_a_clear_error() {
    let panel = panel();
    let fasta_path = temp_path("other.fa");
    std::fs::write(&fasta_path, ">NC_000962.3\nACGT\n").unwrap();
    let cram_path = temp_path("header-only.cram");
    std::fs::write(&cram_path, b"CRAM\x03\x00").unwrap();
    let options = Options {
        reference: Some(fasta_path.clone()),
        ..Options::default()
    };
    let error = analyze(std::slice::from_ref(&cram_path), &panel, &options)
        .unwrap_err()
        .to_string();
    std::fs::remove_file(&cram_path).unwrap();
    std::fs::remove_file(&fasta_path).unwrap();
    assert!(
        error.contains("differs from the panel's reference"),
        "{error}"
    );
}
