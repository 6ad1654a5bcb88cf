//! The analysis pipeline end to end on the bundled tb-demo sample (tests/data/samples).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use genoflow_genomics::analysis::{Options, Panel, Report, analyze};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/samples")
        .join(name)
}

fn demo_report(options: &Options) -> Report {
    let panel = Panel::load("tb-who-2023").unwrap();
    analyze(
        &[sample("tb-demo_R1.fastq.gz"), sample("tb-demo_R2.fastq.gz")],
        &panel,
        options,
    )
    .unwrap()
}

/// The truth VCF's records as (pos, ref, alt).
fn truth() -> Vec<(u64, String, String)> {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(sample("tb-demo.truth.vcf.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (
                fields[1].parse().unwrap(),
                fields[3].to_owned(),
                fields[4].to_owned(),
            )
        })
        .collect()
}

/// The demo's report with the default options, computed once for the tests that read it.
fn default_report() -> &'static Report {
    static REPORT: std::sync::OnceLock<Report> = std::sync::OnceLock::new();
    REPORT.get_or_init(|| demo_report(&Options::default()))
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
fn demo_sample_gives_exactly_the_truth_variants() {
    let report = default_report();
    let called: Vec<(u64, String, String)> = report
        .variants
        .iter()
        .map(|v| (v.pos, v.reference.clone(), v.alt.clone()))
        .collect();
    let truth = truth();
    assert_eq!(truth.len(), 5);
    assert_eq!(called, truth);
    assert!(report.variants.iter().all(|v| !v.mixed && v.depth >= 30));
    let names: Vec<String> = report
        .variants
        .iter()
        .map(|v| format!("{}_{}", v.gene.as_deref().unwrap_or("-"), v.hgvs))
        .collect();
    assert_eq!(
        names,
        [
            "gyrA_c.699G>A",
            "rpoB_p.Ser450Leu",
            "inhA_c.-777C>T",
            "katG_p.Ser315Thr",
            "pncA_p.Thr114fs"
        ]
    );
}

#[test]
fn demo_sample_resistance_calls() {
    let report = default_report();
    for drug in ["Rifampicin", "Isoniazid", "Pyrazinamide", "Ethionamide"] {
        assert_eq!(call(report, drug), "resistant", "{drug}");
    }
    // gyrA 8000 G>A is not graded: the fluoroquinolones are covered and susceptible.
    assert_eq!(call(report, "Levofloxacin"), "susceptible");
    assert_eq!(call(report, "Moxifloxacin"), "susceptible");
    assert!(
        report
            .resistance
            .iter()
            .flat_map(|d| &d.evidence)
            .all(|e| e.pos != 8000)
    );
    // Bedaquiline's genes (Rv0678, atpE, pepQ) were not sequenced in the demo.
    assert_eq!(call(report, "Bedaquiline"), "unknown");
    let rifampicin = report
        .resistance
        .iter()
        .find(|d| d.drug == "Rifampicin")
        .unwrap();
    assert_eq!(rifampicin.evidence[0].variant, "rpoB_p.Ser450Leu");
    assert_eq!(rifampicin.evidence[0].grade, "1) Assoc w R");
    let rpob = report.coverage.iter().find(|c| c.gene == "rpoB").unwrap();
    assert!(
        rpob.mean_depth > 40.0 && rpob.fraction_10x > 0.99,
        "{rpob:?}"
    );
    assert_eq!(report.qc.reads, 15_000);
    assert!(report.qc.mapped_to_panel > 10_000);
}

#[test]
fn same_inputs_and_configuration_give_the_same_bytes() {
    let one = default_report();
    let single_thread = Options {
        threads: std::num::NonZero::<usize>::MIN,
        ..Options::default()
    };
    let two = demo_report(&single_thread);
    assert_eq!(one.to_json(), two.to_json());
    let panel = Panel::load("tb-who-2023").unwrap();
    let (mut vcf_one, mut vcf_two) = (Vec::new(), Vec::new());
    one.write_vcf(&panel, &mut vcf_one).unwrap();
    two.write_vcf(&panel, &mut vcf_two).unwrap();
    assert_eq!(vcf_one, vcf_two);
    // A threshold is part of the configuration: another value is another pipeline id.
    let stricter = demo_report(&Options {
        min_depth: 20,
        ..Options::default()
    });
    assert_ne!(one.pipeline_id, stricter.pipeline_id);
}

#[test]
fn report_names_the_attestation_of_its_catalogue() {
    let report = default_report();
    let panel = Panel::load("tb-who-2023").unwrap();
    assert_eq!(report.catalogue, panel.catalogue_attestation());
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let attestation = panel.catalogue_attestation();
    assert_eq!(
        json["catalogue"],
        serde_json::json!({
            "source": "catalogue",
            "id": "tb-who-2023",
            "key": attestation.key,
            "value": attestation.value,
        })
    );
    // Placed right after the panel it attests.
    let text = report.to_json();
    let at = |field: &str| text.find(&format!("\n  \"{field}\": ")).unwrap();
    assert!(
        at("panel") < at("catalogue") && at("catalogue") < at("inputs"),
        "{text}"
    );
}

#[test]
fn vcf_has_the_called_variants() {
    let report = default_report();
    let panel = Panel::load("tb-who-2023").unwrap();
    let mut vcf = Vec::new();
    report.write_vcf(&panel, &mut vcf).unwrap();
    let text = String::from_utf8(vcf).unwrap();
    assert!(text.starts_with("##fileformat=VCFv4.5\n"));
    assert!(text.contains("##contig=<ID=NC_000962.3,length=4411532>"));
    let records: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(records.len(), 5);
    assert!(
        records[4].starts_with("NC_000962.3\t2288900\t.\tCG\tC\t"),
        "{}",
        records[4]
    );
}

#[test]
fn panel_directory_loads_like_the_built_in_panel() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("panels/tb-who-2023");
    let from_dir = Panel::load(dir.to_str().unwrap()).unwrap();
    let built_in = Panel::load("tb-who-2023").unwrap();
    assert_eq!(from_dir.sha256, built_in.sha256);
    assert_eq!(from_dir.genes.len(), 25);
    assert_eq!(from_dir.drug_names().count(), 15);
    // Spot checks of the catalogue (REF verified against the genome) are matched by coordinates.
    for (pos, reference, alt, name) in [
        (761155, "C", "T", "rpoB_p.Ser450Leu"),
        (2155168, "C", "G", "katG_p.Ser315Thr"),
        (1673425, "C", "T", "inhA_c.-777C>T"),
        (4247429, "A", "G", "embB_p.Met306Val"),
        (7582, "A", "G", "gyrA_p.Asp94Gly"),
        (1473246, "A", "G", "rrs_n.1401A>G"),
        (2289073, "G", "C", "pncA_p.His57Asp"),
    ] {
        let entries = from_dir.catalogue_entries(pos, reference.as_bytes(), alt.as_bytes());
        assert!(
            entries.iter().any(|e| e.variant == name),
            "{name}: {entries:?}"
        );
    }
}

#[test]
fn broken_panel_directory_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("genoflow-panel-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("panels/tb-who-2023");
    for file in ["reference.fa.gz", "catalogue.tsv.gz"] {
        std::fs::copy(source.join(file), dir.join(file)).unwrap();
    }
    std::fs::write(dir.join("panel.tsv"), "gene\tlocus_tag\n").unwrap();
    let error = Panel::load(dir.to_str().unwrap()).unwrap_err().to_string();
    assert!(error.contains("panel.tsv"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        Panel::load("no-such-panel")
            .unwrap_err()
            .to_string()
            .contains("built-in")
    );
}

#[test]
fn reads_of_another_organism_give_an_unknown_report() {
    // Pseudo-random reads (a fixed linear congruential sequence): nothing of them is on the panel.
    let mut fastq = String::new();
    let mut state: u64 = 42;
    for read in 0..2000 {
        let bases: String = (0..150)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                b"ACGT"[(state >> 62) as usize] as char
            })
            .collect();
        fastq.push_str(&format!("@r{read}\n{bases}\n+\n{}\n", "I".repeat(150)));
    }
    let path = std::env::temp_dir().join(format!("genoflow-other-{}.fastq", std::process::id()));
    std::fs::write(&path, fastq).unwrap();
    let panel = Panel::load("tb-who-2023").unwrap();
    let report = analyze(std::slice::from_ref(&path), &panel, &Options::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(report.qc.reads, 2000);
    assert_eq!(report.qc.mapped_to_panel, 0);
    assert!(report.variants.is_empty());
    assert!(report.resistance.iter().all(|d| d.call == "unknown"));
}

#[test]
fn quality_all_bang_calls_nothing() {
    // The demo's first reads with every quality set to '!' (Phred 0).
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(sample("tb-demo_R1.fastq.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut fastq = String::new();
    for (i, line) in text.lines().enumerate() {
        if i % 4 == 3 {
            fastq.push_str(&"!".repeat(line.len()));
        } else {
            fastq.push_str(line);
        }
        fastq.push('\n');
    }
    let path = std::env::temp_dir().join(format!("genoflow-bang-{}.fastq", std::process::id()));
    std::fs::write(&path, fastq).unwrap();
    let panel = Panel::load("tb-who-2023").unwrap();
    let report = analyze(std::slice::from_ref(&path), &panel, &Options::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(report.qc.mean_quality, 0.0);
    assert!(
        report
            .variants
            .iter()
            .all(|v| v.reference.len() != v.alt.len()),
        "{:?}",
        report.variants
    );
    assert!(report.resistance.iter().all(|d| d.call != "susceptible"));
}

#[test]
fn vcf_input_is_annotated_without_coverage() {
    let panel = Panel::load("tb-who-2023").unwrap();
    let report = analyze(
        &[sample("tb-demo.truth.vcf.gz")],
        &panel,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(report.inputs[0].format, "vcf");
    assert_eq!(report.inputs[0].records, 5);
    let called: Vec<(u64, String, String)> = report
        .variants
        .iter()
        .map(|v| (v.pos, v.reference.clone(), v.alt.clone()))
        .collect();
    assert_eq!(called, truth());
    for drug in ["Rifampicin", "Isoniazid", "Pyrazinamide", "Ethionamide"] {
        assert_eq!(call(&report, drug), "resistant", "{drug}");
    }
    // Without reads nothing is known of the other drugs.
    assert_eq!(call(&report, "Levofloxacin"), "unknown");
    assert!(report.coverage.is_empty());
}

#[test]
fn vcf_on_another_reference_and_other_formats_are_clear_errors() {
    let panel = Panel::load("tb-who-2023").unwrap();
    let dir = std::env::temp_dir();
    let vcf = dir.join(format!("genoflow-chr1-{}.vcf", std::process::id()));
    std::fs::write(&vcf, "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t10\t.\tA\tG\t.\tPASS\t.\n").unwrap();
    let error = analyze(std::slice::from_ref(&vcf), &panel, &Options::default())
        .unwrap_err()
        .to_string();
    std::fs::remove_file(&vcf).unwrap();
    assert!(
        error.contains("line 3") && error.contains("not the panel's reference NC_000962.3"),
        "{error}"
    );
    let fasta = dir.join(format!("genoflow-seq-{}.fa", std::process::id()));
    std::fs::write(&fasta, ">seq\nACGT\n").unwrap();
    let error = analyze(std::slice::from_ref(&fasta), &panel, &Options::default())
        .unwrap_err()
        .to_string();
    std::fs::remove_file(&fasta).unwrap();
    assert!(error.contains("fasta input is not supported"), "{error}");
}

/// Writes a BAM from SAM text with noodles.
fn write_bam(path: &Path, sam: &str) {
    use noodles::sam::alignment::io::Write as _;
    let mut reader = noodles::sam::io::Reader::new(sam.as_bytes());
    let header = reader.read_header().unwrap();
    let mut writer = noodles::bam::io::Writer::new(std::fs::File::create(path).unwrap());
    writer.write_header(&header).unwrap();
    for record in reader.records() {
        writer
            .write_alignment_record(&header, &record.unwrap())
            .unwrap();
    }
    writer.try_finish().unwrap();
}

#[test]
fn bam_input_is_piled_up() {
    // Error-free reads tiled over rpoB carrying S450L (761155 C>T), aligned 150M by construction.
    let panel = Panel::load("tb-who-2023").unwrap();
    let mut sam = String::from("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:NC_000962.3\tLN:4411532\n");
    for (n, start) in (760_900u64..761_300).step_by(5).enumerate() {
        let mut read = panel.bases(start, 150).unwrap().to_vec();
        if (start..start + 150).contains(&761_155) {
            read[(761_155 - start) as usize] = b'T';
        }
        let read = String::from_utf8(read).unwrap();
        sam.push_str(&format!(
            "r{n}\t0\tNC_000962.3\t{start}\t60\t150M\t*\t0\t0\t{read}\t{}\n",
            "I".repeat(150)
        ));
    }
    let path = std::env::temp_dir().join(format!("genoflow-rpob-{}.bam", std::process::id()));
    write_bam(&path, &sam);
    let report = analyze(std::slice::from_ref(&path), &panel, &Options::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(report.inputs[0].format, "bam");
    assert_eq!(report.qc.mapped_to_panel, 80);
    let called: Vec<(u64, &str, &str)> = report
        .variants
        .iter()
        .map(|v| (v.pos, v.reference.as_str(), v.alt.as_str()))
        .collect();
    assert_eq!(called, [(761_155, "C", "T")]);
    assert_eq!(call(&report, "Rifampicin"), "resistant");
}

/// The SAM records an aligner writes for error-free reads of 150 bases tiled every 3 bases
/// over a genome with `deleted` bases removed at `start` (1-based): a read across the
/// breakpoint has its longer part aligned and the rest soft-clipped in its primary record, and
/// that rest in a supplementary record (flag 2048), hard-clipped.
fn reads_across_a_deletion(panel: &Panel, start: u64, deleted: u64) -> String {
    const LEN: u64 = 150;
    let quality = |n: u64| "I".repeat(n as usize);
    let bases = |from: u64, n: u64| {
        String::from_utf8(panel.bases(from, n as usize).unwrap().to_vec()).unwrap()
    };
    let after = start + deleted;
    let mut sam = String::from("@HD\tVN:1.6\n@SQ\tSN:NC_000962.3\tLN:4411532\n");
    for (n, first) in (start - 600..start + 450).step_by(3).enumerate() {
        let left = start.saturating_sub(first).min(LEN);
        let record = |flag: u32, pos: u64, cigar: String, seq: String| {
            let q = quality(seq.len() as u64);
            format!("r{n}\t{flag}\tNC_000962.3\t{pos}\t60\t{cigar}\t*\t0\t0\t{seq}\t{q}\n")
        };
        if left == LEN {
            sam.push_str(&record(0, first, format!("{LEN}M"), bases(first, LEN)));
        } else if left == 0 {
            let pos = first + deleted;
            sam.push_str(&record(0, pos, format!("{LEN}M"), bases(pos, LEN)));
        } else {
            let right = LEN - left;
            let read = bases(first, left) + &bases(after, right);
            if left >= right {
                sam.push_str(&record(0, first, format!("{left}M{right}S"), read));
                sam.push_str(&record(
                    2048,
                    after,
                    format!("{left}H{right}M"),
                    bases(after, right),
                ));
            } else {
                sam.push_str(&record(0, after, format!("{left}S{right}M"), read));
                sam.push_str(&record(
                    2048,
                    first,
                    format!("{left}M{right}H"),
                    bases(first, left),
                ));
            }
        }
    }
    sam
}

#[test]
fn bam_reads_clipped_at_a_long_deletion_give_the_deletion() {
    // 400 bases deleted inside katG, longer than an aligner places as a gap: the primary records
    // are clipped at the breakpoint, as bwa and minimap2 write them. The clipped ends are placed
    // as for reads, and the deletion (a frameshift of katG) is called exactly.
    let panel = Panel::load("tb-who-2023").unwrap();
    let katg = panel.genes.iter().find(|g| g.name == "katG").unwrap();
    let (start, deleted) = (katg.start + 300, 400);
    let path = std::env::temp_dir().join(format!("genoflow-katg-del-{}.bam", std::process::id()));
    write_bam(&path, &reads_across_a_deletion(&panel, start, deleted));
    let report = analyze(std::slice::from_ref(&path), &panel, &Options::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    let removed = panel.bases(start - 1, deleted as usize + 1).unwrap();
    let (pos, reference, alt) = panel.normalise(start - 1, removed, &removed[..1]).unwrap();
    let expected = (
        pos,
        String::from_utf8(reference).unwrap(),
        String::from_utf8(alt).unwrap(),
    );
    let called: Vec<(u64, String, String)> = report
        .variants
        .iter()
        .map(|v| (v.pos, v.reference.clone(), v.alt.clone()))
        .collect();
    assert_eq!(called, [expected]);
    assert_eq!(report.variants[0].consequence, "frameshift_variant");
    assert!(
        report.variants[0].alt_fraction > 0.9,
        "{:?}",
        report.variants[0]
    );
    // The supplementary records are not piled up a second time.
    assert_eq!(report.qc.mapped_to_panel, 350);
    assert_eq!(call(&report, "Isoniazid"), "resistant");
}

#[test]
fn bam_on_another_reference_is_a_clear_error() {
    let path = std::env::temp_dir().join(format!("genoflow-chr1-{}.bam", std::process::id()));
    write_bam(
        &path,
        "@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:1000\nr1\t0\tchr1\t1\t60\t4M\t*\t0\t0\tACGT\tIIII\n",
    );
    let panel = Panel::load("tb-who-2023").unwrap();
    let error = analyze(std::slice::from_ref(&path), &panel, &Options::default())
        .unwrap_err()
        .to_string();
    std::fs::remove_file(&path).unwrap();
    assert!(
        error.contains("aligned to chr1 (1000 bp), not the panel's reference NC_000962.3"),
        "{error}"
    );
}

#[test]
fn a_mixed_population_is_reported_as_mixed() {
    // The demo's R1 plus error-free wild-type reads tiled over the rpoB segment (both strands):
    // about half the reads at rpoB S450 carry the mutation.
    let panel = Panel::load("tb-who-2023").unwrap();
    let segment = panel
        .segments
        .iter()
        .find(|s| s.start <= 761155 && 761155 < s.start + s.sequence.len() as u64)
        .unwrap();
    let mut fastq = String::new();
    for (n, start) in (0..segment.sequence.len() - 150).step_by(8).enumerate() {
        let read = &segment.sequence[start..start + 150];
        let read: Vec<u8> = if n % 2 == 0 {
            read.to_vec()
        } else {
            read.iter()
                .rev()
                .map(|&b| match b {
                    b'A' => b'T',
                    b'C' => b'G',
                    b'G' => b'C',
                    _ => b'A',
                })
                .collect()
        };
        fastq.push_str(&format!(
            "@wt{n}\n{}\n+\n{}\n",
            String::from_utf8(read).unwrap(),
            "I".repeat(150)
        ));
    }
    let path = std::env::temp_dir().join(format!("genoflow-wt-{}.fastq", std::process::id()));
    std::fs::write(&path, fastq).unwrap();
    let report = analyze(
        &[sample("tb-demo_R1.fastq.gz"), path.clone()],
        &panel,
        &Options::default(),
    )
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    let rpob = report.variants.iter().find(|v| v.pos == 761155).unwrap();
    assert!(rpob.mixed, "{rpob:?}");
    assert!((0.3..0.7).contains(&rpob.alt_fraction), "{rpob:?}");
    assert_eq!(call(&report, "Rifampicin"), "resistant");
    // Outside rpoB the sample is not mixed.
    assert!(
        report
            .variants
            .iter()
            .filter(|v| v.pos != 761155)
            .all(|v| !v.mixed)
    );
}

/// A stream that hands out a few bytes at a time and cannot seek (an object store's reads).
struct Trickle(std::io::Cursor<Vec<u8>>);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1000);
        self.0.read(&mut buf[..n])
    }
}

#[test]
fn streamed_inputs_give_the_report_of_the_files_and_the_mate_is_opened_after_the_first() {
    use genoflow_genomics::analysis::{Input, analyze_inputs};
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let opened = Arc::new(AtomicUsize::new(0));
    let input = |name: &'static str| {
        let opened = opened.clone();
        Input::new(name, move || {
            let order = opened.fetch_add(1, Ordering::SeqCst);
            let bytes = std::fs::read(sample(name))?;
            // R2 is opened once R1 has been read through: one file in flight at a time.
            assert_eq!(order, usize::from(name.contains("R2")), "{name}");
            Ok(Box::new(Trickle(std::io::Cursor::new(bytes))) as Box<dyn Read + Send>)
        })
    };
    let panel = Panel::load("tb-who-2023").unwrap();
    let streamed = analyze_inputs(
        vec![input("tb-demo_R1.fastq.gz"), input("tb-demo_R2.fastq.gz")],
        &panel,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(streamed.to_json(), default_report().to_json());
    assert_eq!(opened.load(Ordering::SeqCst), 2);
}
