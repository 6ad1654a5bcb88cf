//! The report's answer on the bundled tb-demo sample: the class, the drug groups, the grades in
//! words, what could not be assessed and why, the caveat of a resistance called on thin
//! coverage, and the VCF's sample column.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use genoflow_genomics::analysis::{
    Classification, DrugLine, Input, Options, Panel, Report, SampleInfo, analyze, analyze_inputs,
};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/samples")
        .join(name)
}

fn demo() -> &'static (Panel, Report) {
    static DEMO: std::sync::OnceLock<(Panel, Report)> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let panel = Panel::load("tb-who-2023").unwrap();
        let report = analyze(
            &[sample("tb-demo_R1.fastq.gz"), sample("tb-demo_R2.fastq.gz")],
            &panel,
            &Options::default(),
        )
        .unwrap();
        (panel, report)
    })
}

#[test]
fn the_demo_is_mdr_tb_with_drugs_grouped_first_line_first() {
    let (_, report) = demo();
    assert_eq!(report.classification, Classification::MdrTb);
    assert_eq!(
        report.classification_detail,
        "resistant to rifampicin and isoniazid; no fluoroquinolone resistance found"
    );
    assert_eq!(report.drug_groups.len(), 2);
    assert_eq!(report.drug_groups[0].line, DrugLine::FirstLine);
    assert_eq!(
        report.drug_groups[0].drugs,
        ["Rifampicin", "Isoniazid", "Ethambutol", "Pyrazinamide"]
    );
    assert_eq!(report.drug_groups[1].line, DrugLine::SecondLine);
    assert_eq!(
        &report.drug_groups[1].drugs[..4],
        ["Levofloxacin", "Moxifloxacin", "Bedaquiline", "Linezolid"]
    );
    // Every drug of `resistance` is in exactly one group, and `resistance` keeps its order.
    let grouped: usize = report.drug_groups.iter().map(|g| g.drugs.len()).sum();
    assert_eq!(grouped, report.resistance.len());
    let names: Vec<&str> = report.resistance.iter().map(|d| d.drug.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(
        names, sorted,
        "resistance stays alphabetical for old readers"
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["classification"], "MDR-TB");
    assert_eq!(json["software"]["name"], "genoflow");
    assert!(
        json.get("sample").is_none(),
        "no sample named on the command line"
    );
    assert!(
        json.get("report_date").is_none(),
        "the report carries no date"
    );
}

#[test]
fn grades_are_in_words_and_gaps_are_named() {
    let (_, report) = demo();
    let drug = |name: &str| report.resistance.iter().find(|d| d.drug == name).unwrap();
    let rifampicin = drug("Rifampicin");
    assert_eq!(rifampicin.line, DrugLine::FirstLine);
    assert_eq!(
        rifampicin.evidence[0].grade_text,
        "associated with resistance"
    );
    assert_eq!(rifampicin.not_assessed, None);
    assert_eq!(rifampicin.caveat, None);
    assert_eq!(
        drug("Pyrazinamide").evidence[0].grade_text,
        "associated with resistance (interim)"
    );

    // Bedaquiline's genes were not sequenced: every one named, with the rule.
    let bedaquiline = drug("Bedaquiline");
    assert_eq!(bedaquiline.call, "unknown");
    let gaps = bedaquiline.not_assessed.as_ref().unwrap();
    let genes: Vec<&str> = gaps.genes.iter().map(|g| g.gene.as_str()).collect();
    for gene in ["Rv0678", "atpE", "pepQ"] {
        assert!(genes.contains(&gene), "{genes:?}");
    }
    assert!(gaps.genes.iter().all(|g| g.covered_fraction == 0.0));
    assert_eq!(gaps.uncovered_positions, gaps.catalogue_positions);
    assert!(!gaps.positions.is_empty());
    assert!(gaps.rule.contains("at least 95%") && gaps.rule.contains("here 0% were"));

    // Ethionamide is resistant by inhA's promoter, its ethA barely covered: the caveat says so.
    let ethionamide = drug("Ethionamide");
    assert_eq!(ethionamide.call, "resistant");
    assert_eq!(ethionamide.not_assessed, None);
    let caveat = ethionamide.caveat.as_deref().unwrap();
    assert!(
        caveat.contains("other resistance mechanisms were not checked"),
        "{caveat}"
    );
    assert!(caveat.contains("ethA 0%"), "{caveat}");
    // A well covered susceptible drug carries neither.
    let levofloxacin = drug("Levofloxacin");
    assert_eq!(
        (
            levofloxacin.not_assessed.as_ref(),
            levofloxacin.caveat.as_ref()
        ),
        (None, None)
    );
}

#[test]
fn the_vcf_sample_column_is_the_sample_name_made_safe() {
    let (panel, report) = demo();
    let mut named = report.clone();
    named.sample = Some(SampleInfo {
        name: Some(" TB 042 ward 3 ".into()),
        collection_date: Some("2024-03-15".into()),
        ..SampleInfo::default()
    });
    let mut bytes = Vec::new();
    named.write_vcf(panel, &mut bytes).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let columns = text.lines().find(|l| l.starts_with("#CHROM")).unwrap();
    assert!(
        columns.ends_with("\tINFO\tFORMAT\tTB_042_ward_3"),
        "{columns}"
    );
    let records: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(records.len(), named.variants.len());
    for (record, variant) in records.iter().zip(&named.variants) {
        let fields: Vec<&str> = record.split('\t').collect();
        assert_eq!(fields.len(), 10, "{record}");
        assert_eq!(fields[8], "GT:DP");
        assert_eq!(fields[9], format!("1:{}", variant.depth));
    }
    let json: serde_json::Value = serde_json::from_str(&named.to_json()).unwrap();
    assert_eq!(
        json["sample"],
        serde_json::json!({"name": " TB 042 ward 3 ", "collection_date": "2024-03-15"})
    );

    // Unnamed: the column is SAMPLE; the file is a VCF the validator and the analysis accept.
    let mut unnamed = Vec::new();
    report.write_vcf(panel, &mut unnamed).unwrap();
    let text = String::from_utf8(unnamed.clone()).unwrap();
    assert!(text.contains("\tFORMAT\tSAMPLE\n"));
    let validated = genoflow_genomics::validate(
        std::io::Cursor::new(unnamed),
        &genoflow_genomics::Options::default(),
    )
    .unwrap();
    assert!(validated.valid, "{validated:?}");
    let input = Input::new("variants.vcf", move || {
        Ok(Box::new(std::io::Cursor::new(bytes)) as Box<dyn std::io::Read + Send>)
    });
    let again = analyze_inputs(vec![input], panel, &Options::default()).unwrap();
    assert_eq!(again.variants.len(), report.variants.len());
    assert_eq!(again.classification, Classification::MdrTb);
    let bedaquiline = again
        .resistance
        .iter()
        .find(|d| d.drug == "Bedaquiline")
        .unwrap();
    let rule = &bedaquiline.not_assessed.as_ref().unwrap().rule;
    assert!(rule.contains("a VCF carries no read depth"), "{rule}");
}
