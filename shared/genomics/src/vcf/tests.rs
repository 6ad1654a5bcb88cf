//! Unit tests of the VCF validator: one rule per test, through the public entry point.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};

use crate::{Format, Options, Report, Stats, validate};

const HEADER_43: &str = "##fileformat=VCFv4.3
##contig=<ID=1,length=1000>
##contig=<ID=2>
##FILTER=<ID=q10,Description=\"Quality below 10\">
##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Total depth\">
##INFO=<ID=AF,Number=A,Type=Float,Description=\"Allele frequency\">
##INFO=<ID=DB,Number=0,Type=Flag,Description=\"dbSNP membership\">
##INFO=<ID=AA,Number=1,Type=String,Description=\"Ancestral allele\">
##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype quality\">
##FORMAT=<ID=PL,Number=G,Type=Integer,Description=\"Phred-scaled likelihoods\">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allelic depths\">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2
";

fn check(text: &str) -> Report {
    let options = Options {
        format: Some(Format::Vcf),
        ..Options::default()
    };
    validate(Cursor::new(text.as_bytes().to_vec()), &options).unwrap()
}

/// The 4.3 header above followed by `records` (with `~` standing for a tab).
fn with_records(records: &[&str]) -> String {
    let mut text = HEADER_43.to_owned();
    for record in records {
        text += &record.replace('~', "\t");
        text.push('\n');
    }
    text
}

fn error_of(report: &Report) -> String {
    report
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| panic!("expected an error, got a valid report {report:?}"))
}

fn assert_error(records: &[&str], expected: &str) {
    let report = check(&with_records(records));
    let error = error_of(&report);
    assert!(
        error.contains(expected),
        "error {error:?} lacks {expected:?}"
    );
}

fn assert_warning(records: &[&str], expected: &str) {
    let report = check(&with_records(records));
    assert!(report.valid, "{:?}", report.error);
    assert!(
        report.warnings.iter().any(|w| w.message.contains(expected)),
        "no warning with {expected:?} in {:?}",
        report.warnings
    );
}

#[test]
fn valid_file_gives_stats() {
    let report = check(&with_records(&[
        "1~100~rs1~A~G~50~PASS~DP=10;AF=0.5;DB~GT:GQ:PL~0/1:30:10,0,20~1|1:20:30,3,0",
        "1~200~.~AT~A,ATT~.~q10~DP=3;AF=0.1,0.2~GT:AD~1/2:1,2,3~0/0",
        "1~300~.~AC~GT~1e3~.~.~GT~0~1",
        "2~5~.~C~<DEL>~.~PASS~AA=C~GT~./.~.",
        "2~6~.~C~T,<*>~.~PASS~.~GT~0/1~0",
    ]));
    assert!(report.valid, "{:?}", report.error);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.records, 5);
    let Stats::Vcf(stats) = report.stats else {
        panic!("not VCF stats: {:?}", report.stats)
    };
    assert_eq!(
        (
            stats.records,
            stats.samples,
            stats.snvs,
            stats.indels,
            stats.other
        ),
        (5, 2, 2, 1, 2)
    );
    assert_eq!((stats.filtered, stats.contigs), (1, 2));
    assert_eq!(stats.file_format, "VCFv4.3");
}

#[test]
fn header_only_and_crlf_files_are_valid() {
    let report = check(HEADER_43);
    assert!(report.valid, "{:?}", report.error);
    assert_eq!(report.records, 0);
    let text = with_records(&["1~100~rs1~A~G~50~PASS~DP=10~GT~0/1~1|1"]).replace('\n', "\r\n");
    let report = check(&text);
    assert!(report.valid, "{:?}", report.error);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn compressed_vcf_is_validated_the_same() {
    let text = with_records(&["1~100~.~A~G~.~PASS~DP=abc~GT~0~1"]);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    let report = validate(Cursor::new(encoder.finish().unwrap()), &Options::default()).unwrap();
    assert_eq!(report.format, Some(Format::Vcf));
    assert!(error_of(&report).contains("INFO key 'DP' has Type=Integer but value 'abc'"));
}

#[test]
fn first_line_must_be_a_supported_fileformat() {
    let report = check("##fileformat=VCFv4.0\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    assert!(error_of(&report).starts_with("1: ##fileformat 'VCFv4.0' is not a supported version"));
    let report = check("##source=x\n##fileformat=VCFv4.2\n");
    assert!(error_of(&report).contains("the first line must be ##fileformat"));
    let report =
        check("##fileformat=VCFv4.2\n##INFO=<ID=DP,Number=1,Type=Integer,Description=\"d\">\n");
    assert!(error_of(&report).contains("ends before the #CHROM header line"));
}

#[test]
fn meta_lines_are_checked() {
    let cases = [
        ("##Some plain text", "is not key=value"),
        ("##reference=", "has an empty value"),
        (
            "##INFO=<ID=X,Number=Z,Type=Integer,Description=\"d\">",
            "Number=Z",
        ),
        (
            "##INFO=<ID=X,Number=1,Type=Int,Description=\"d\">",
            "Type=Int",
        ),
        (
            "##FORMAT=<ID=X,Number=0,Type=Flag,Description=\"d\">",
            "Type=Flag",
        ),
        (
            "##INFO=<ID=X,Number=1,Type=Integer,Description=d>",
            "Description must be a quoted string",
        ),
        (
            "##INFO=<ID=X,Number=1,Type=Integer,Description=\"d\"",
            "does not end with '>'",
        ),
        (
            "##INFO=<ID=X,Number=1,Type=Integer,Description=\"d>",
            "opens a quote it does not close",
        ),
        (
            "##INFO=<ID=X,Number=1,Type=Integer,Description=\"a \"b\" c\">",
            "closing quote",
        ),
        ("##INFO=<ID=X,Number=1,Description=\"d\">", "has no Type"),
        ("##INFO=ID=X", "must be structured"),
        ("##contig=<ID=a b>", "no whitespace"),
        ("##contig=<ID=1,length=-5>", "positive integer"),
        ("##assembly=ftp://8080:8080/file.fa", "must be a URL"),
        (
            "##META=<ID=Assay,Type=String,Number=.,Values=WholeGenome>",
            "square brackets",
        ),
    ];
    for (line, expected) in cases {
        let text = format!(
            "##fileformat=VCFv4.3\n{line}\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        );
        let error = error_of(&check(&text));
        assert!(error.starts_with("2: "), "{line}: {error}");
        assert!(
            error.contains(expected),
            "{line}: {error:?} lacks {expected:?}"
        );
    }
}

#[test]
fn meta_line_oddities_are_warnings() {
    let text = "##fileformat=VCFv4.2
##INFO=<ID=X,Number=1,Type=Integer,Description=\"d\">
##INFO=<ID=X,Number=1,Type=Integer,Description=\"d\">
##INFO=<ID=DP,Number=A,Type=Float,Description=\"d\">
##INFO=<ID=F,Number=1,Type=Flag,Description=\"d\">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
";
    let report = check(text);
    assert!(report.valid, "{:?}", report.error);
    let messages: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        messages[0].contains("'X' is declared twice"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("reserves it as Number=1,Type=Integer"),
        "{messages:?}"
    );
    assert!(messages[2].contains("Number must be 0"), "{messages:?}");
}

#[test]
fn header_line_is_exact() {
    let header = |line: &str| format!("##fileformat=VCFv4.3\n{line}\n");
    let error = error_of(&check(&header(
        "#CHROM\tPOSITION\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    )));
    assert!(
        error.contains("found 'POSITION' where POS belongs"),
        "{error}"
    );
    let error = error_of(&check(&header("#CHROM POS ID REF ALT QUAL FILTER INFO")));
    assert!(error.contains("tab"), "{error}");
    let error = error_of(&check(&header(
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tS1",
    )));
    assert!(error.contains("must be FORMAT"), "{error}");
    let error = error_of(&check(&header(
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tA",
    )));
    assert!(error.contains("sample name 'A' appears twice"), "{error}");
}

#[test]
fn errors_say_record_and_line() {
    let report = check(&with_records(&[
        "1~1~.~A~G~.~.~.~GT~0~0",
        "1~2~.~A~G~.~.~.",
    ]));
    let error = report.error.unwrap();
    assert_eq!((error.record, error.line), (Some(2), Some(15)));
    assert!(
        error
            .message
            .contains("8 tab-separated columns, the header line defines 11")
    );
    assert_eq!(report.records, 2);
}

#[test]
fn fixed_columns_are_checked() {
    assert_error(&["1 a~1~.~A~G~.~.~.~GT~0~0"], "CHROM '1 a'");
    assert_error(
        &["1~1.5~.~A~G~.~.~.~GT~0~0"],
        "POS '1.5' is not a non-negative integer",
    );
    assert_error(&["1~-1~.~A~G~.~.~.~GT~0~0"], "POS '-1'");
    assert_error(
        &["1~1002~.~A~G~.~.~.~GT~0~0"],
        "beyond the end of CHROM '1'",
    );
    assert_error(&["1~1~rs1;~A~G~.~.~.~GT~0~0"], "empty identifier");
    assert_error(&["1~1~rs1;rs1~A~G~.~.~.~GT~0~0"], "lists 'rs1' twice");
    assert_error(&["1~1~.~A~G~.~q10;q10~.~GT~0~0"], "lists 'q10' twice");
    assert_error(
        &["1~1~.~AX~G~.~.~.~GT~0~0"],
        "REF 'AX' has the character 'X'",
    );
    assert_error(
        &["1~1~.~A,C~G~.~.~.~GT~0~0"],
        "REF 'A,C' lists several alleles",
    );
    assert_error(&["1~1~.~.~G~.~.~.~GT~0~0"], "REF is missing");
    assert_error(&["1~1~.~A~G,~.~.~.~GT~0~0"], "empty allele");
    assert_error(
        &["1~1~.~A~Z~.~.~.~GT~0~0"],
        "ALT allele 'Z' has the character 'Z'",
    );
    assert_error(&["1~1~.~A~a~.~.~.~GT~0~0"], "is the same as REF");
    assert_error(&["1~1~.~A~G,G~.~.~.~GT~0~0"], "listed twice");
    assert_error(
        &["1~1~.~A~G,.~.~.~.~GT~0~0"],
        "cannot be one of several alleles",
    );
    assert_error(&["1~1~.~A~<DEL~.~.~.~GT~0~0"], "does not end with '>'");
    assert_error(
        &["1~1~.~A~[2:5[~.~.~.~GT~0~0"],
        "bases are needed on exactly one side",
    );
    assert_error(&["1~1~.~A~A[2:x[~.~.~.~GT~0~0"], "numeric position");
    assert_error(&["1~1~.~A~G~-3~.~.~GT~0~0"], "QUAL '-3' is negative");
    assert_error(
        &["1~1~.~A~G~high~.~.~GT~0~0"],
        "QUAL 'high' is not a number",
    );
    assert_error(&["1~1~.~A~G~.~q10;~.~GT~0~0"], "empty code");
    assert_error(&["1~1~.~A~G~.~.;q10~.~GT~0~0"], "cannot be combined");
    assert_error(&["1~1~.~A~G~.~0~.~GT~0~0"], "reserved");
}

#[test]
fn valid_alleles_of_every_kind_are_accepted() {
    let report = check(&with_records(&[
        "1~10~.~A~G[2:5[,]2:7]G,A.,.A,*,<DUP:TANDEM>~.~.~.~GT~0~5",
        "1~20~.~N~.~.~.~.~GT~0~0",
    ]));
    assert!(report.valid, "{:?}", report.error);
}

#[test]
fn info_values_follow_number_and_type() {
    assert_error(
        &["1~1~.~A~G~.~.~DP=abc~GT~0~0"],
        "INFO key 'DP' has Type=Integer but value 'abc'",
    );
    assert_error(&["1~1~.~A~G~.~.~DP=1.5~GT~0~0"], "value '1.5'");
    assert_error(&["1~1~.~A~G~.~.~AF=x~GT~0~0"], "Type=Float but value 'x'");
    assert_error(
        &["1~1~.~A~G,T~.~.~AF=0.1~GT~0~0"],
        "Number=A so 2 values are expected, found 1",
    );
    assert_error(
        &["1~1~.~A~G~.~.~DP=1,2~GT~0~0"],
        "Number=1 so 1 value is expected, found 2",
    );
    assert_error(&["1~1~.~A~G~.~.~DP~GT~0~0"], "no value");
    assert_error(
        &["1~1~.~A~G~.~.~DP=1;DP=2~GT~0~0"],
        "INFO key 'DP' appears twice",
    );
    assert_error(&["1~1~.~A~G~.~.~DP=1;;DB~GT~0~0"], "empty entry");
    assert_error(&["1~1~.~A~G~.~.~9X=1~GT~0~0"], "keys must match");
    // Missing values stand for any count.
    let report = check(&with_records(&["1~1~.~A~G,T~.~.~AF=.;DP=.~GT~0~0"]));
    assert!(report.valid, "{:?}", report.error);
}

#[test]
fn info_suspicions_are_warnings() {
    assert_warning(
        &["1~1~.~A~G~.~.~XYZ=1~GT~0~0"],
        "INFO key 'XYZ' is not declared",
    );
    assert_warning(
        &["1~1~.~A~G~.~.~DB=1~GT~0~0"],
        "is a Flag and takes no value",
    );
    assert_warning(&["1~1~.~A~G~.~.~DP=-4~GT~0~0"], "negative value '-4'");
    assert_warning(&["1~1~.~A~G~.~.~AF=1.5~GT~0~0"], "outside 0..1");
    assert_warning(&["1~1~.~A~G~.~.~AA=C,T~GT~0~0"], "Number=1");
    assert_warning(
        &["1~1~.~A~G~.~q20~.~GT~0~0"],
        "FILTER 'q20' is not declared",
    );
}

#[test]
fn undeclared_names_are_reported_once() {
    let report = check(&with_records(&[
        "1~1~.~A~G~.~q20~XYZ=1~GT~0~0",
        "1~2~.~A~G~.~q20~XYZ=2~GT~0~0",
        "1~3~.~A~G~.~q20~XYZ=3~GT~0~0",
    ]));
    assert!(report.valid, "{:?}", report.error);
    let messages: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("FILTER 'q20' is not declared"),
        "{messages:?}"
    );
    assert!(messages[1].ends_with("(reported once)"), "{messages:?}");
}

#[test]
fn info_whitespace_is_allowed_from_4_3() {
    let text = "##fileformat=VCFv4.2
##INFO=<ID=AA,Number=1,Type=String,Description=\"d\">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
1\t1\t.\tA\tG\t.\t.\tAA=a b
";
    assert!(error_of(&check(text)).contains("not allowed before VCF 4.3"));
    let report = check(&text.replace("VCFv4.2", "VCFv4.3"));
    assert!(report.valid, "{:?}", report.error);
}

#[test]
fn format_and_samples_are_checked() {
    assert_error(
        &["1~1~.~A~G~.~.~.~GQ:GT~1:0~1:0"],
        "GT must be the first key",
    );
    assert_error(&["1~1~.~A~G~.~.~.~GT::GQ~0~0"], "empty key");
    assert_error(
        &["1~1~.~A~G~.~.~.~GT~0/2~0"],
        "sample S1: GT '0/2' calls allele 2 but the record has 1 ALT allele",
    );
    assert_error(&["1~1~.~A~G~.~.~.~GT~0/x~0"], "GT '0/x' is not a genotype");
    assert_error(&["1~1~.~A~G~.~.~.~GT~0/~0"], "allele is missing");
    assert_error(
        &["1~1~.~A~G~.~.~.~GT~0:5~0"],
        "2 ':'-separated values but FORMAT 'GT' has 1 keys",
    );
    assert_error(
        &["1~1~.~A~G~.~.~.~GT:PL~0/1:1,2~0"],
        "Number=G so 3 values are expected, found 2",
    );
    assert_error(
        &["1~1~.~A~G~.~.~.~GT:AD~0/1:1~0"],
        "Number=R so 2 values are expected, found 1",
    );
    // Triploid: C(2 + 3 - 1, 3) = 4 genotypes; trailing fields may be dropped.
    let report = check(&with_records(&["1~1~.~A~G~.~.~.~GT:PL~0/0/1:1,2,3,4~0"]));
    assert!(report.valid, "{:?}", report.error);
    assert_warning(
        &["1~1~.~A~G~.~.~.~GT:GQ~0:high~0"],
        "FORMAT key 'GQ' has Type=Integer but value 'high'",
    );
    assert_warning(
        &["1~1~.~A~G~.~.~.~GT:XX~0:1~0"],
        "FORMAT key 'XX' is not declared",
    );
}

#[test]
fn genotype_phase_prefix_is_from_4_4() {
    let text = "##fileformat=VCFv4.3
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1
1\t1\t.\tA\tG\t.\t.\t.\tGT\t|0/1
";
    assert!(error_of(&check(text)).contains("is not a genotype"));
    let report = check(&text.replace("VCFv4.3", "VCFv4.4"));
    assert!(report.valid, "{:?}", report.error);
}

#[test]
fn contigs_order_and_duplicates_are_warnings() {
    assert_warning(&["3~1~.~A~G~.~.~.~GT~0~0"], "CHROM '3' is not declared");
    assert_warning(
        &["1~5~.~A~G~.~.~.~GT~0~0", "1~4~.~A~G~.~.~.~GT~0~0"],
        "not sorted",
    );
    let not_contiguous = [
        "1~5~.~A~G~.~.~.~GT~0~0",
        "2~4~.~A~G~.~.~.~GT~0~0",
        "1~6~.~A~G~.~.~.~GT~0~0",
    ];
    assert_warning(&not_contiguous, "CHROM '1' are not contiguous");
    assert_warning(
        &["1~5~.~TAT~TGT~.~.~.~GT~0~0", "1~6~.~A~G~.~.~.~GT~0~0"],
        "repeats one of an earlier record",
    );
}

#[test]
fn blank_lines_and_missing_final_newline_are_warnings() {
    let mut text = with_records(&["1~5~.~A~G~.~.~.~GT~0~0", "", "1~6~.~A~G~.~.~.~GT~0~0"]);
    text.pop();
    let report = check(&text);
    assert!(report.valid, "{:?}", report.error);
    assert_eq!(report.records, 2);
    let messages: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(messages[0].contains("empty line"), "{messages:?}");
    assert!(messages[1].contains("no line terminator"), "{messages:?}");
}

#[test]
fn structural_variant_rules_of_4_4() {
    let text = "##fileformat=VCFv4.4
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
1\t10\t.\tA\t<DEL>\t.\t.\tSVLEN=-5
1\t20\t.\tA\t<CNV:TR>\t.\t.\tSVLEN=10
1\t30\t.\tA\t<DUP>\t.\t.\tSVLEN=5;SVCLAIM=JD
";
    let report = check(text);
    assert!(report.valid, "{:?}", report.error);
    let messages: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("no SVCLAIM")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("neither RUS nor RUL")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("'JD' is not D, J or DJ")),
        "{messages:?}"
    );
    let text = "##fileformat=VCFv4.4
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1
1\t10\t.\tA\t<DEL>,<DUP>\t.\t.\tSVLEN=-5,7;SVCLAIM=D,D\tGT:CN\t1/2:2
";
    let report = check(text);
    assert!(report.valid, "{:?}", report.error);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.message.contains("has SVLEN '7' where another")),
        "{:?}",
        report.warnings
    );
}

/// `count` items `{prefix}{i}`, joined by `separator`, with `extra` appended.
fn numbered(prefix: &str, count: usize, separator: &str, extra: &str) -> String {
    let items: Vec<String> = (0..count).map(|i| format!("{prefix}{i}")).collect();
    items.join(separator) + extra
}

#[test]
fn repeats_are_found_in_long_lists_too() {
    // Past the first few items, a set replaces the one-by-one comparison: the same messages.
    for count in [3, 16, 17, 40] {
        for repeated in [0, count / 2, count - 1] {
            let extra = format!(";x{repeated}");
            let ids = numbered("x", count, ";", &extra);
            assert_error(
                &[&format!("1~1~{ids}~A~G~.~.~.~GT~0~0")],
                &format!("lists 'x{repeated}' twice"),
            );
            let filters = numbered("x", count, ";", &extra);
            assert_error(
                &[&format!("1~1~.~A~G~.~{filters}~.~GT~0~0")],
                &format!("lists 'x{repeated}' twice"),
            );
            let infos = numbered("x", count, ";", &extra);
            assert_error(
                &[&format!("1~1~.~A~G~.~.~{infos}~GT~0~0")],
                &format!("INFO key 'x{repeated}' appears twice"),
            );
            let formats = numbered("x", count, ":", &format!(":x{repeated}"));
            assert_warning(
                &[&format!("1~1~.~A~G~.~.~.~GT:{formats}~0~0")],
                &format!("FORMAT key 'x{repeated}' appears twice"),
            );
            let fields = numbered("F", count, ",", &format!(",F{repeated}=1"));
            let fields = fields.replace(',', "=1,");
            let text = HEADER_43.replace(
                "Description=\"Total depth\">",
                &format!("Description=\"Total depth\",{fields}>"),
            );
            assert_eq!(
                error_of(&check(&text)),
                format!("5: ##INFO has the field 'F{repeated}' twice")
            );
            // Alleles: the `repeated`-th of `count` distinct ones of 6 bases, listed again.
            let allele = |i: usize| -> String {
                (0..6)
                    .map(|d| ['C', 'G', 'T'][i / 3usize.pow(d) % 3])
                    .collect()
            };
            let alleles: Vec<String> = (0..count).chain([repeated]).map(allele).collect();
            assert_error(
                &[&format!("1~1~.~A~<DEL>,{}~.~.~.~GT~0~0", alleles.join(","))],
                &format!("ALT allele '{}' is listed twice", allele(repeated)),
            );
        }
        let ids = numbered("x", count, ";", "");
        let report = check(&with_records(&[&format!("1~1~{ids}~A~G~.~.~.~GT~0~0")]));
        assert!(report.valid, "{:?}", report.error);
    }
}

#[test]
fn one_line_with_many_warnings_gives_the_same_report() {
    // VCF 4.2: a repeated ID is a warning. 150 on one line, then one more on the next.
    let ids = vec!["rs1"; 151].join(";");
    let text = format!(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\
         1\t1\t{ids}\tA\tG\t.\t.\t.\n1\t2\trs2;rs2\tA\tG\t.\t.\t.\n"
    );
    let report = check(&text);
    assert!(report.valid, "{:?}", report.error);
    assert_eq!(report.warnings.len(), 101);
    assert!(report.warnings[..100].iter().all(|w| {
        w.line == Some(3) && w.record == Some(1) && w.message.ends_with("lists 'rs1' twice")
    }));
    assert_eq!(
        report.warnings[100].message,
        "51 more warnings not shown (only the first 100 are kept)"
    );
}

#[test]
fn repeated_variants_are_found_among_many_alleles() {
    // CTAGT>CTGGT at 5 is A>G at 7 once normalised (two bases trimmed on each side).
    let fillers = |base: &str, lengths: std::ops::Range<usize>| -> String {
        lengths
            .map(|n| base.repeat(n))
            .collect::<Vec<_>>()
            .join(",")
    };
    let first = format!("1~5~.~CTAGT~CTGGT,{}~.~.~.~GT~0~0", fillers("C", 6..36));
    // More alleles than are compared one by one: the repeat (in lower case) is looked up in a set.
    let second = format!("1~7~.~A~{},g~.~.~.~GT~0~0", fillers("T", 2..22));
    // The first allele: compared one by one.
    let third = "1~7~.~A~G~.~.~.~GT~0~0";
    let report = check(&with_records(&[&first, &second, third]));
    assert!(report.valid, "{:?}", report.error);
    let repeats: Vec<(Option<u64>, &str)> = report
        .warnings
        .iter()
        .map(|w| (w.record, w.message.as_str()))
        .collect();
    assert_eq!(
        repeats,
        [
            (
                Some(2),
                "the variant 1:7 A>g repeats one of an earlier record"
            ),
            (
                Some(3),
                "the variant 1:7 A>G repeats one of an earlier record"
            ),
        ]
    );
}

#[test]
fn over_long_lines_are_an_error_not_a_memory_blow_up() {
    let mut text = HEADER_43.to_owned();
    text += "1\t1\t";
    text.extend(std::iter::repeat_n('A', crate::DEFAULT_MAX_LINE_BYTES + 1));
    let report = check(&text);
    assert!(error_of(&report).contains("longer than"));
}

mod properties {
    use proptest::prelude::*;

    use super::{HEADER_43, check};

    /// A record valid against `HEADER_43`, built from its parts.
    fn valid_record() -> impl Strategy<Value = String> {
        let base = prop::sample::select(vec!['A', 'C', 'G', 'T']);
        (
            1u32..1000,
            prop::collection::vec(base.clone(), 1..4),
            prop::collection::vec(prop::collection::vec(base, 1..4), 1..4),
            0u32..500,
            prop::collection::vec((0usize..4, 0usize..4, any::<bool>()), 2),
        )
            .prop_filter_map("ALT alleles distinct and not REF", |(pos, reference, alts, depth, genotypes)| {
                let reference: String = reference.into_iter().collect();
                let mut alleles: Vec<String> = Vec::new();
                for alt in alts {
                    let alt: String = alt.into_iter().collect();
                    if alt != reference && !alleles.contains(&alt) {
                        alleles.push(alt);
                    }
                }
                if alleles.is_empty() {
                    return None;
                }
                let n = alleles.len();
                let frequencies = vec!["0.5"; n].join(",");
                let likelihoods = vec!["0"; (n + 1) * (n + 2) / 2].join(",");
                let samples: Vec<String> = genotypes
                    .into_iter()
                    .map(|(a, b, phased)| {
                        let separator = if phased { '|' } else { '/' };
                        format!("{}{separator}{}:{likelihoods}", a % (n + 1), b % (n + 1))
                    })
                    .collect();
                Some(format!(
                    "1\t{pos}\t.\t{reference}\t{}\t.\tPASS\tDP={depth};AF={frequencies}\tGT:PL\t{}",
                    alleles.join(","),
                    samples.join("\t")
                ))
            })
    }

    proptest! {
        #[test]
        fn generated_valid_records_are_accepted(mut records in prop::collection::vec(valid_record(), 1..20)) {
            records.sort_by_key(|r| r.split('\t').nth(1).and_then(|p| p.parse::<u32>().ok()));
            let text = format!("{HEADER_43}{}\n", records.join("\n"));
            let report = check(&text);
            prop_assert!(report.valid, "{:?}\n{text}", report.error);
            prop_assert_eq!(report.records, records.len() as u64);
        }

        #[test]
        fn arbitrary_record_lines_never_panic(lines in prop::collection::vec(
            prop::collection::vec(prop::sample::select(b"ACGT01.,;:=|/<>[]\t\r -9Ae*#x".to_vec()), 0..60),
            0..10,
        )) {
            let mut text = HEADER_43.as_bytes().to_vec();
            for line in lines {
                text.extend_from_slice(&line);
                text.push(b'\n');
            }
            let report = check(&String::from_utf8_lossy(&text));
            prop_assert!(report.valid || report.error.is_some());
        }
    }
}
