//! Lineage and mixture calls end to end, on read pairs simulated here from the built-in panel.
//!
//! The panel's reference carries H37Rv's bases 150 either side of every barcode site, so a
//! strain is simulated without the whole genome: each barcode site carries the derived base when
//! the strain's lineage (or one of its ancestors, by the dotted names) is the site's lineage;
//! where the derived base is H37Rv's own (the lineage4 and lineage4.9 sites) a strain outside
//! that lineage carries the transition partner of the reference base instead, a variant away
//! from the reference. Pairs are drawn around each site (both mates cover it; fragment 150–300
//! bp), around rpoB S450L, with one substitution error in a third of the reads; a seeded
//! generator makes the same files on every run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, fmt::Write as _, path::PathBuf};

use genoflow_genomics::analysis::{Options, Panel, Report, analyze};

const READ: u64 = 150;

/// A barcode site: 1-based position, lineage, derived base.
struct Site {
    pos: u64,
    lineage: String,
    derived: u8,
}

fn barcode() -> Vec<Site> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/panels/tb-who-2023/lineage-barcode.bed"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Site {
                pos: fields[2].parse().unwrap(),
                lineage: fields[3].to_owned(),
                derived: fields[4].as_bytes()[0],
            }
        })
        .collect()
}

/// Whether `lineage` is `ancestor` or lies under it (dotted names).
fn within(lineage: &str, ancestor: &str) -> bool {
    lineage == ancestor || lineage.starts_with(&format!("{ancestor}."))
}

/// A strain: its deepest lineage and the extra variants it carries (1-based pos → base).
struct Strain {
    lineage: &'static str,
    variants: &'static [(u64, u8)],
}

/// The strain's base at a position of the panel.
fn base(panel: &Panel, sites: &HashMap<u64, &Site>, strain: &Strain, pos: u64) -> u8 {
    let reference = panel.base(pos).unwrap();
    if let Some(&(_, alt)) = strain.variants.iter().find(|(p, _)| *p == pos) {
        return alt;
    }
    let Some(site) = sites.get(&pos) else {
        return reference;
    };
    if within(strain.lineage, &site.lineage) {
        site.derived
    } else if site.derived == reference {
        match reference {
            b'A' => b'G',
            b'G' => b'A',
            b'C' => b'T',
            _ => b'C',
        }
    } else {
        reference
    }
}

/// xorshift64*: the same numbers on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn complement(base: u8) -> u8 {
    match base {
        b'A' => b'T',
        b'C' => b'G',
        b'G' => b'C',
        _ => b'A',
    }
}

/// Writes R1/R2 FASTQ of `pairs` pairs around every barcode site and rpoB 761155 (three times
/// as many there), each pair from the first strain with the probability of its share.
fn simulate(name: &str, strains: &[(Strain, f64)], pairs: u64, seed: u64) -> [PathBuf; 2] {
    let panel = Panel::load("tb-who-2023").unwrap();
    let barcode = barcode();
    let sites: HashMap<u64, &Site> = barcode.iter().map(|s| (s.pos, s)).collect();
    let mut random = Random(seed);
    let mut centres: Vec<(u64, u64)> = barcode.iter().map(|s| (s.pos, pairs)).collect();
    centres.push((761155, 3 * pairs));
    let (mut r1, mut r2) = (String::new(), String::new());
    let mut number = 0;
    for (centre, count) in centres {
        for _ in 0..count {
            let strain = {
                let mut draw = random.unit();
                let mut chosen = &strains[strains.len() - 1].0;
                for (strain, share) in strains {
                    if draw < *share {
                        chosen = strain;
                        break;
                    }
                    draw -= share;
                }
                chosen
            };
            // Fragment [start, end): both mates cover the centre.
            let start = centre - random.below(READ);
            let end = start + READ + random.below((centre + READ + 1 - start - READ).min(READ + 1));
            let fragment: Vec<u8> = (start..end)
                .map(|pos| base(&panel, &sites, strain, pos))
                .collect();
            let mut first = fragment[..READ as usize].to_vec();
            let mut second: Vec<u8> = fragment[fragment.len() - READ as usize..]
                .iter()
                .rev()
                .map(|&b| complement(b))
                .collect();
            for read in [&mut first, &mut second] {
                if random.below(3) == 0 {
                    let at = random.below(READ) as usize;
                    read[at] = b"ACGT"[(b"ACGT".iter().position(|&b| b == read[at]).unwrap()
                        + 1
                        + random.below(3) as usize)
                        % 4];
                }
            }
            number += 1;
            let quality = "I".repeat(READ as usize);
            for (out, read, mate) in [(&mut r1, &first, 1), (&mut r2, &second, 2)] {
                writeln!(
                    out,
                    "@SIM:{number}/{mate}\n{}\n+\n{quality}",
                    String::from_utf8_lossy(read)
                )
                .unwrap();
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("genoflow-lineage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths = [
        dir.join(format!("{name}_R1.fastq")),
        dir.join(format!("{name}_R2.fastq")),
    ];
    std::fs::write(&paths[0], r1).unwrap();
    std::fs::write(&paths[1], r2).unwrap();
    paths
}

fn run(name: &str, strains: &[(Strain, f64)], pairs: u64, seed: u64) -> Report {
    let paths = simulate(name, strains, pairs, seed);
    let panel = Panel::load("tb-who-2023").unwrap();
    let report = analyze(&paths, &panel, &Options::default()).unwrap();
    for path in paths {
        std::fs::remove_file(path).unwrap();
    }
    if std::env::var_os("GENOFLOW_SHOW_LINEAGE").is_some() {
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        println!(
            "{name}: {}",
            serde_json::to_string_pretty(&serde_json::json!({
                "lineage": json["lineage"],
                "mixture": json["mixture"],
                "rifampicin": json["resistance"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|d| d["drug"] == "Rifampicin"),
            }))
            .unwrap()
        );
    }
    report
}

const BEIJING: Strain = Strain {
    lineage: "lineage2.2.1",
    variants: &[(761155, b'T')],
};
const H37RV: Strain = Strain {
    lineage: "lineage4.9",
    variants: &[],
};

#[test]
fn lineage2_2_1_is_called_with_its_path() {
    let report = run("l2", &[(BEIJING, 1.0)], 8, 11);
    let lineage = &report.lineage;
    assert_eq!(lineage.call, "lineage2.2.1");
    assert_eq!(
        lineage.path.as_deref(),
        Some("lineage2 > lineage2.2 > lineage2.2.1")
    );
    assert_eq!(lineage.family.as_deref(), Some("East-Asian (Beijing)"));
    assert_eq!(lineage.rd.as_deref(), Some("RD105;RD207;RD181"));
    assert_eq!(lineage.covered_fraction, Some(1.0));
    assert!(lineage.median_fraction.unwrap() > 0.95);
    assert_eq!(report.mixture.verdict, "single");
    // Lineage sites are not resistance variants: only rpoB S450L is listed.
    assert_eq!(report.variants.len(), 1, "{:?}", report.variants);
    let rifampicin = report
        .resistance
        .iter()
        .find(|d| d.drug == "Rifampicin")
        .unwrap();
    assert_eq!(rifampicin.call, "resistant");
    assert!(!rifampicin.evidence[0].heteroresistant);
}

#[test]
fn h37rv_is_lineage4_9() {
    let report = run("h37rv", &[(H37RV, 1.0)], 8, 12);
    assert_eq!(report.lineage.call, "lineage4.9");
    assert_eq!(
        report.lineage.path.as_deref(),
        Some("lineage4 > lineage4.9")
    );
    assert_eq!(
        report.lineage.family.as_deref(),
        Some("Euro-American (H37Rv-like)")
    );
    assert_eq!(report.mixture.verdict, "single");
    assert!(report.variants.is_empty(), "{:?}", report.variants);
}

#[test]
fn seventy_thirty_mixture_is_mixed_and_heteroresistant() {
    let report = run("mix", &[(BEIJING, 0.7), (H37RV, 0.3)], 15, 13);
    assert_eq!(report.lineage.call, "lineage2.2.1");
    let mixture = &report.mixture;
    assert_eq!(mixture.verdict, "mixed", "{mixture:?}");
    assert_eq!(mixture.proportions.len(), 2, "{mixture:?}");
    assert_eq!(mixture.proportions[0].lineage, "lineage2.2.1");
    assert!(
        (mixture.proportions[0].fraction - 0.7).abs() <= 0.1,
        "{mixture:?}"
    );
    assert_eq!(mixture.proportions[1].lineage, "lineage4.9");
    assert!(
        (mixture.proportions[1].fraction - 0.3).abs() <= 0.1,
        "{mixture:?}"
    );
    // rpoB S450L of the 70 % strain: resistant, shown as heteroresistance with its fraction.
    let rifampicin = report
        .resistance
        .iter()
        .find(|d| d.drug == "Rifampicin")
        .unwrap();
    assert_eq!(rifampicin.call, "resistant");
    let evidence = &rifampicin.evidence[0];
    assert!(evidence.heteroresistant);
    assert!((evidence.alt_fraction - 0.7).abs() <= 0.1, "{evidence:?}");
}

#[test]
fn too_little_coverage_is_unknown() {
    let report = run("low", &[(BEIJING, 1.0)], 2, 14);
    assert_eq!(report.lineage.call, "unknown");
    assert_eq!(report.lineage.path, None);
    let reason = report.lineage.reason.as_deref().unwrap();
    assert!(reason.starts_with("coverage too low"), "{reason}");
    assert_eq!(report.mixture.verdict, "unknown");
    assert!(report.mixture.proportions.is_empty());
}

#[test]
fn vcf_input_has_no_lineage() {
    let panel = Panel::load("tb-who-2023").unwrap();
    let vcf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/samples/tb-demo.truth.vcf.gz"
    );
    let report = analyze(&[vcf.into()], &panel, &Options::default()).unwrap();
    assert_eq!(report.lineage.call, "unknown");
    assert!(report.lineage.reason.as_deref().unwrap().contains("VCF"));
    assert_eq!(report.mixture.verdict, "unknown");
}

#[test]
fn a_panel_directory_without_a_barcode_has_no_lineage() {
    let dir = std::env::temp_dir().join(format!("genoflow-nobarcode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/panels/tb-who-2023");
    for file in ["panel.tsv", "reference.fa.gz", "catalogue.tsv.gz"] {
        std::fs::copy(format!("{source}/{file}"), dir.join(file)).unwrap();
    }
    let panel = Panel::load(dir.to_str().unwrap()).unwrap();
    assert_eq!(panel.lineages(), 0);
    let built_in = Panel::load("tb-who-2023").unwrap();
    assert_ne!(
        panel.sha256, built_in.sha256,
        "the barcode enters the pipeline id"
    );
    let report = analyze(
        &[
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/data/samples/tb-demo_R1.fastq.gz"
            )
            .into(),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/data/samples/tb-demo_R2.fastq.gz"
            )
            .into(),
        ],
        &panel,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(report.lineage.call, "unknown");
    assert_eq!(
        report.lineage.reason.as_deref(),
        Some("the panel has no lineage barcode")
    );
    // A barcode site outside the segments is an error naming the file.
    std::fs::write(
        dir.join("lineage-barcode.bed"),
        "Chromosome\t2000000\t2000001\tlineage9\tA\tx\tNone\tNone\n",
    )
    .unwrap();
    let error = Panel::load(dir.to_str().unwrap()).unwrap_err().to_string();
    assert!(error.contains("lineage-barcode.bed"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}
