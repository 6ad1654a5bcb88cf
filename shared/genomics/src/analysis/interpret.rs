//! What the drug calls mean for the reader: the sample's WHO class, the drugs grouped first-line
//! then second-line, the catalogue grades in words, and for a drug that could not be assessed
//! the genes and positions that lacked coverage and the rule that decided (docs/ANALYSIS.md,
//! "Classification and the report's answer").
//!
//! Computed in one place, [`finish`], so `report.json`, the command line's summary and the web
//! page say the same.
//!
//! ```
//! use genoflow_genomics::analysis::{Classification, grade_text};
//! assert_eq!(grade_text("1) Assoc w R"), "associated with resistance");
//! assert_eq!(Classification::MdrTb.as_str(), "MDR-TB");
//! ```

use std::fmt;

use serde::{Serialize, Serializer};

use super::{
    Options,
    panel::Panel,
    report::{DrugCall, Report},
};

/// The first-line drugs, in the order the report lists them.
pub const FIRST_LINE: [&str; 4] = ["Rifampicin", "Isoniazid", "Ethambutol", "Pyrazinamide"];

/// The second-line drugs the report knows, in the order it lists them (the WHO's groups A, B
/// and C of the longer regimens, then the injectables no longer recommended); a catalogue drug
/// not named here follows them, alphabetically.
pub const SECOND_LINE_ORDER: [&str; 12] = [
    "Levofloxacin",
    "Moxifloxacin",
    "Bedaquiline",
    "Linezolid",
    "Clofazimine",
    "Delamanid",
    "Pretomanid",
    "Amikacin",
    "Streptomycin",
    "Ethionamide",
    "Kanamycin",
    "Capreomycin",
];

/// The fluoroquinolones of the pre-XDR-TB definition.
pub const FLUOROQUINOLONES: [&str; 2] = ["Levofloxacin", "Moxifloxacin"];

/// The group A drugs besides the fluoroquinolones, of the XDR-TB definition.
pub const XDR_GROUP_A: [&str; 2] = ["Bedaquiline", "Linezolid"];

/// At most this many uncovered position ranges are listed per drug; the rest are counted.
pub const MAX_LISTED_RANGES: usize = 50;

/// The call strings of [`DrugCall::call`].
const RESISTANT: &str = "resistant";
const SUSCEPTIBLE: &str = "susceptible";

/// Whether a drug is first-line or second-line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrugLine {
    /// Rifampicin, isoniazid, ethambutol, pyrazinamide.
    FirstLine,
    /// Every other drug of the catalogue.
    SecondLine,
}

/// The line of `drug` (catalogue names, compared without case).
///
/// ```
/// use genoflow_genomics::analysis::{DrugLine, drug_line};
/// assert_eq!(drug_line("Rifampicin"), DrugLine::FirstLine);
/// assert_eq!(drug_line("bedaquiline"), DrugLine::SecondLine);
/// ```
pub fn drug_line(drug: &str) -> DrugLine {
    if FIRST_LINE.iter().any(|d| d.eq_ignore_ascii_case(drug)) {
        DrugLine::FirstLine
    } else {
        DrugLine::SecondLine
    }
}

/// Where `drug` sorts in the report: first-line in [`FIRST_LINE`]'s order, then second-line in
/// [`SECOND_LINE_ORDER`]'s, then the rest by name.
fn display_rank(drug: &str) -> (usize, String) {
    let position = |list: &[&str]| list.iter().position(|d| d.eq_ignore_ascii_case(drug));
    let rank = position(&FIRST_LINE)
        .or_else(|| position(&SECOND_LINE_ORDER).map(|i| i + FIRST_LINE.len()))
        .unwrap_or(usize::MAX);
    (rank, drug.to_ascii_lowercase())
}

/// A line of drugs and its drugs, in display order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrugGroup {
    /// `first_line` or `second_line`.
    pub line: DrugLine,
    /// The drugs' names as the catalogue writes them (each has its entry in `resistance`).
    pub drugs: Vec<String>,
}

/// The drugs of `calls` grouped first-line then second-line, each group in display order; a
/// group without drugs is left out.
pub fn drug_groups(calls: &[DrugCall]) -> Vec<DrugGroup> {
    let mut names: Vec<&str> = calls.iter().map(|c| c.drug.as_str()).collect();
    names.sort_by_key(|name| display_rank(name));
    [DrugLine::FirstLine, DrugLine::SecondLine]
        .into_iter()
        .map(|line| DrugGroup {
            line,
            drugs: names
                .iter()
                .filter(|name| drug_line(name) == line)
                .map(|name| (*name).to_owned())
                .collect(),
        })
        .filter(|group| !group.drugs.is_empty())
        .collect()
}

/// The catalogue's grade in words: `1) Assoc w R` is "associated with resistance", `2) Assoc w
/// R - Interim` "associated with resistance (interim)", `3) Uncertain significance` "uncertain
/// significance", `4) Not assoc w R - Interim` "not associated with resistance (interim)", `5)
/// Not assoc w R` "not associated with resistance"; any other grade as written.
pub fn grade_text(grade: &str) -> String {
    let words = match grade.trim() {
        "1) Assoc w R" => "associated with resistance",
        "2) Assoc w R - Interim" => "associated with resistance (interim)",
        "3) Uncertain significance" => "uncertain significance",
        "4) Not assoc w R - Interim" => "not associated with resistance (interim)",
        "5) Not assoc w R" => "not associated with resistance",
        other => other,
    };
    words.to_owned()
}

/// The sample's class by the WHO definitions (docs/ANALYSIS.md, "Classification").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Classification {
    /// Rifampicin resistant, isoniazid not found resistant.
    RrTb,
    /// Rifampicin and isoniazid resistant.
    MdrTb,
    /// MDR-TB or RR-TB, and resistant to a fluoroquinolone (levofloxacin or moxifloxacin).
    PreXdrTb,
    /// Pre-XDR-TB, and resistant to bedaquiline or linezolid.
    XdrTb,
    /// Isoniazid resistant, rifampicin susceptible.
    HrTb,
    /// Rifampicin susceptible and isoniazid not found resistant, but another drug resistant.
    OtherResistance,
    /// No drug found resistant (drugs that could not be assessed are listed apart).
    None,
    /// Rifampicin could not be assessed: the class cannot be told.
    Undetermined,
}

impl Classification {
    /// Every class.
    pub const ALL: [Self; 8] = [
        Self::RrTb,
        Self::MdrTb,
        Self::PreXdrTb,
        Self::XdrTb,
        Self::HrTb,
        Self::OtherResistance,
        Self::None,
        Self::Undetermined,
    ];

    /// The name in JSON: `RR-TB`, `MDR-TB`, `pre-XDR-TB`, `XDR-TB`, `Hr-TB`,
    /// `other-resistance`, `none`, `undetermined`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RrTb => "RR-TB",
            Self::MdrTb => "MDR-TB",
            Self::PreXdrTb => "pre-XDR-TB",
            Self::XdrTb => "XDR-TB",
            Self::HrTb => "Hr-TB",
            Self::OtherResistance => "other-resistance",
            Self::None => "none",
            Self::Undetermined => "undetermined",
        }
    }

    /// The class named `name` ([`Classification::as_str`]), compared without case.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|class| class.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Classification {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The sample's class and the sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The class.
    pub classification: Classification,
    /// What it rests on, and what could not be excluded (`"resistant to rifampicin and
    /// isoniazid; no fluoroquinolone resistance found"`).
    pub detail: String,
}

/// The WHO class of a sample from its drug calls (docs/ANALYSIS.md, "Classification"):
///
/// 1. rifampicin `unknown` (or absent): `undetermined`;
/// 2. rifampicin `resistant`: `RR-TB`, `MDR-TB` when isoniazid is resistant too; then
///    `pre-XDR-TB` when a fluoroquinolone (levofloxacin, moxifloxacin) is resistant; then
///    `XDR-TB` when bedaquiline or linezolid is resistant too;
/// 3. rifampicin `susceptible`: `Hr-TB` when isoniazid is resistant, else `other-resistance`
///    when any other drug is, else `none`.
///
/// ```
/// use genoflow_genomics::analysis::{Classification, classify};
/// let calls = [("Rifampicin", "resistant"), ("Isoniazid", "resistant"), ("Levofloxacin", "susceptible")];
/// assert_eq!(classify(calls).classification, Classification::MdrTb);
/// ```
pub fn classify<'a>(calls: impl IntoIterator<Item = (&'a str, &'a str)>) -> Verdict {
    let calls: Vec<(&str, &str)> = calls.into_iter().collect();
    let call_of = |drug: &str| {
        calls
            .iter()
            .find(|(d, _)| d.eq_ignore_ascii_case(drug))
            .map_or("unknown", |(_, call)| *call)
    };
    let resistant_of = |drugs: &[&str]| -> Vec<String> {
        drugs
            .iter()
            .filter(|d| call_of(d) == RESISTANT)
            .map(|d| d.to_ascii_lowercase())
            .collect()
    };
    let unassessed_of = |drugs: &[&str]| -> Vec<String> {
        drugs
            .iter()
            .filter(|d| call_of(d) != RESISTANT && call_of(d) != SUSCEPTIBLE)
            .map(|d| d.to_ascii_lowercase())
            .collect()
    };
    let rifampicin = call_of("Rifampicin");
    let isoniazid = call_of("Isoniazid");
    let mut notes: Vec<String> = Vec::new();
    let verdict = |classification, mut parts: Vec<String>, notes: Vec<String>| {
        parts.extend(notes);
        Verdict {
            classification,
            detail: parts.join("; "),
        }
    };

    if rifampicin != RESISTANT && rifampicin != SUSCEPTIBLE {
        let mut parts =
            vec!["rifampicin could not be assessed, so the class cannot be told".to_owned()];
        if isoniazid == RESISTANT {
            parts.push("isoniazid resistant: Hr-TB or MDR-TB".to_owned());
        }
        let others: Vec<String> = calls
            .iter()
            .filter(|(d, c)| *c == RESISTANT && !d.eq_ignore_ascii_case("Isoniazid"))
            .map(|(d, _)| d.to_ascii_lowercase())
            .collect();
        if !others.is_empty() {
            parts.push(format!("also resistant to {}", join(&others)));
        }
        return verdict(Classification::Undetermined, parts, notes);
    }

    if rifampicin == RESISTANT {
        let fluoroquinolones = resistant_of(&FLUOROQUINOLONES);
        let group_a = resistant_of(&XDR_GROUP_A);
        let mut class = if isoniazid == RESISTANT {
            Classification::MdrTb
        } else {
            if isoniazid != SUSCEPTIBLE {
                notes.push("isoniazid could not be assessed, so MDR-TB is not excluded".to_owned());
            }
            Classification::RrTb
        };
        let mut parts = vec![match class {
            Classification::MdrTb => "resistant to rifampicin and isoniazid".to_owned(),
            _ => "resistant to rifampicin".to_owned(),
        }];
        if fluoroquinolones.is_empty() {
            let unassessed = unassessed_of(&FLUOROQUINOLONES);
            if unassessed.is_empty() {
                parts.push("no fluoroquinolone resistance found".to_owned());
            } else {
                notes.push(format!(
                    "{} could not be assessed, so pre-XDR-TB is not excluded",
                    join(&unassessed)
                ));
            }
            return verdict(class, parts, notes);
        }
        parts.push(format!(
            "and to {} (a fluoroquinolone)",
            join(&fluoroquinolones)
        ));
        class = Classification::PreXdrTb;
        if group_a.is_empty() {
            let unassessed = unassessed_of(&XDR_GROUP_A);
            if unassessed.is_empty() {
                parts.push("no bedaquiline or linezolid resistance found".to_owned());
            } else {
                notes.push(format!(
                    "{} could not be assessed, so XDR-TB is not excluded",
                    join(&unassessed)
                ));
            }
            return verdict(class, parts, notes);
        }
        parts.push(format!("and to {}", join(&group_a)));
        return verdict(Classification::XdrTb, parts, notes);
    }

    // Rifampicin susceptible.
    if isoniazid == RESISTANT {
        return verdict(
            Classification::HrTb,
            vec!["resistant to isoniazid, susceptible to rifampicin".to_owned()],
            notes,
        );
    }
    if isoniazid != SUSCEPTIBLE {
        notes.push("isoniazid could not be assessed, so Hr-TB is not excluded".to_owned());
    }
    let others: Vec<String> = calls
        .iter()
        .filter(|(_, c)| *c == RESISTANT)
        .map(|(d, _)| d.to_ascii_lowercase())
        .collect();
    if others.is_empty() {
        let unassessed = calls
            .iter()
            .filter(|(_, c)| *c != RESISTANT && *c != SUSCEPTIBLE)
            .count();
        let mut parts = vec!["no resistance found".to_owned()];
        if unassessed > 0 {
            parts.push(format!(
                "{unassessed} drug{} could not be assessed",
                if unassessed == 1 { "" } else { "s" }
            ));
        }
        return verdict(Classification::None, parts, notes);
    }
    verdict(
        Classification::OtherResistance,
        vec![format!(
            "susceptible to rifampicin, resistant to {}",
            join(&others)
        )],
        notes,
    )
}

fn join(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Why a drug could not be assessed: the rule that decided and where coverage was missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotAssessed {
    /// The rule, with this drug's numbers.
    pub rule: String,
    /// The genes holding the drug's catalogue positions that are covered below the rule, with
    /// the fraction of the drug's positions in the gene that are covered.
    pub genes: Vec<GeneGap>,
    /// Runs of uncovered catalogue positions (at most [`MAX_LISTED_RANGES`], first by
    /// position); a run ends at a covered catalogue position or at a gene's border.
    pub positions: Vec<PositionRange>,
    /// How many of the drug's catalogue positions are uncovered, listed or not.
    pub uncovered_positions: u64,
    /// How many of the drug's catalogue positions there are.
    pub catalogue_positions: u64,
}

/// A gene of a drug and how much of the drug's catalogue positions in it are covered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneGap {
    /// Gene name, or `intergenic` for positions outside every gene and promoter.
    pub gene: String,
    /// Fraction of the drug's catalogue positions in this gene covered by `min_depth` reads.
    pub covered_fraction: f64,
}

/// Uncovered catalogue positions from `start` to `end` (1-based, inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionRange {
    /// First position.
    pub start: u64,
    /// Last position.
    pub end: u64,
    /// The gene (body or promoter) they lie in, if any.
    pub gene: Option<String>,
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

fn percent(fraction: f64) -> String {
    let value = round(fraction * 100.0, 1);
    if value.fract() == 0.0 {
        format!("{value:.0}%")
    } else {
        format!("{value}%")
    }
}

/// The gene whose body or promoter holds `pos`.
fn gene_at(panel: &Panel, pos: u64) -> Option<&str> {
    panel
        .genes
        .iter()
        .find(|gene| gene.contains(pos))
        .or_else(|| panel.genes.iter().find(|gene| gene.promoter_contains(pos)))
        .map(|gene| gene.name.as_str())
}

/// The rule of a susceptible call, as a sentence with this drug's numbers.
fn rule(options: &Options, covered_fraction: f64, has_depth: bool) -> String {
    let base = format!(
        "a drug is called susceptible only when at least {} of its catalogue positions are covered \
         by at least {} reads (min_drug_coverage {}, min_depth {}) and no graded variant is found",
        percent(options.min_drug_coverage),
        options.min_depth,
        options.min_drug_coverage,
        options.min_depth,
    );
    if has_depth {
        format!("{base}; here {} were", percent(covered_fraction))
    } else {
        format!("{base}; a VCF carries no read depth, so none was covered")
    }
}

/// Where the drug's catalogue `positions` lack coverage, when they are covered below the rule
/// (`covered_fraction < min_drug_coverage`); `None` otherwise. `depth_at` is `None` for VCF
/// input (nothing is covered).
pub(crate) fn coverage_gaps(
    panel: &Panel,
    positions: &[u64],
    depth_at: Option<&dyn Fn(u64) -> u32>,
    options: &Options,
    covered_fraction: f64,
) -> Option<NotAssessed> {
    if covered_fraction >= options.min_drug_coverage {
        return None;
    }
    let covered = |pos: u64| depth_at.is_some_and(|depth_at| depth_at(pos) >= options.min_depth);
    let mut per_gene: Vec<(String, u64, u64)> = Vec::new();
    let mut ranges: Vec<PositionRange> = Vec::new();
    let mut uncovered = 0u64;
    let mut open = false;
    for &pos in positions {
        let gene = gene_at(panel, pos);
        let name = gene.unwrap_or("intergenic");
        let is_covered = covered(pos);
        match per_gene.iter_mut().find(|(g, _, _)| g == name) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += u64::from(is_covered);
            }
            None => per_gene.push((name.to_owned(), 1, u64::from(is_covered))),
        }
        if is_covered {
            open = false;
            continue;
        }
        uncovered += 1;
        match ranges.last_mut() {
            Some(last) if open && last.gene.as_deref() == gene => last.end = pos,
            _ => ranges.push(PositionRange {
                start: pos,
                end: pos,
                gene: gene.map(str::to_owned),
            }),
        }
        open = true;
    }
    ranges.truncate(MAX_LISTED_RANGES);
    let genes = per_gene
        .into_iter()
        .map(|(gene, total, covered)| GeneGap {
            gene,
            covered_fraction: round(covered as f64 / total.max(1) as f64, 4),
        })
        .filter(|gap| gap.covered_fraction < options.min_drug_coverage)
        .collect();
    Some(NotAssessed {
        rule: rule(options, covered_fraction, depth_at.is_some()),
        genes,
        positions: ranges,
        uncovered_positions: uncovered,
        catalogue_positions: positions.len() as u64,
    })
}

/// The caveat of a resistant call whose genes are covered below the rule: the resistance stands
/// on the variant found, other mechanisms were not checked.
pub(crate) fn resistant_caveat(drug: &str, gaps: &NotAssessed) -> String {
    let genes: Vec<String> = gaps
        .genes
        .iter()
        .map(|gap| format!("{} {}", gap.gene, percent(gap.covered_fraction)))
        .collect();
    let covered = gaps.catalogue_positions - gaps.uncovered_positions;
    format!(
        "the resistance stands on the variant found, but only {covered} of {drug}'s {} catalogue \
         positions were covered well enough to call ({}), so other resistance mechanisms were \
         not checked",
        gaps.catalogue_positions,
        genes.join(", ")
    )
}

/// The last step of every analysis, once the calls are final (after the species check): the
/// class and its explanation, the drug groups, and for a drug made `unknown` by something else
/// than coverage (the species check) the rule that did it.
pub(crate) fn finish(report: &mut Report) {
    for call in &mut report.resistance {
        if call.call != RESISTANT && call.call != SUSCEPTIBLE && call.not_assessed.is_none() {
            let why = call
                .warning
                .clone()
                .unwrap_or_else(|| "the drug could not be assessed".to_owned());
            call.not_assessed = Some(NotAssessed {
                rule: why,
                genes: Vec::new(),
                positions: Vec::new(),
                uncovered_positions: 0,
                catalogue_positions: 0,
            });
        }
    }
    let verdict = classify(
        report
            .resistance
            .iter()
            .map(|call| (call.drug.as_str(), call.call)),
    );
    report.classification = verdict.classification;
    report.classification_detail = verdict.detail;
    report.drug_groups = drug_groups(&report.resistance);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(calls: &[(&str, &str)]) -> Classification {
        classify(calls.iter().copied()).classification
    }

    const ALL_SUSCEPTIBLE: [(&str, &str); 8] = [
        ("Rifampicin", "susceptible"),
        ("Isoniazid", "susceptible"),
        ("Ethambutol", "susceptible"),
        ("Pyrazinamide", "susceptible"),
        ("Levofloxacin", "susceptible"),
        ("Moxifloxacin", "susceptible"),
        ("Bedaquiline", "susceptible"),
        ("Linezolid", "susceptible"),
    ];

    fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        ALL_SUSCEPTIBLE
            .iter()
            .map(|&(drug, call)| {
                changes
                    .iter()
                    .find(|(d, _)| *d == drug)
                    .map_or((drug, call), |&(d, c)| (d, c))
            })
            .collect()
    }

    #[test]
    fn each_class_follows_the_who_definitions() {
        assert_eq!(class(&with(&[])), Classification::None);
        assert_eq!(
            class(&with(&[("Rifampicin", "resistant")])),
            Classification::RrTb
        );
        assert_eq!(
            class(&with(&[
                ("Rifampicin", "resistant"),
                ("Isoniazid", "resistant")
            ])),
            Classification::MdrTb
        );
        assert_eq!(
            class(&with(&[
                ("Rifampicin", "resistant"),
                ("Isoniazid", "resistant"),
                ("Moxifloxacin", "resistant"),
            ])),
            Classification::PreXdrTb
        );
        // RR-TB with a fluoroquinolone is pre-XDR-TB too.
        assert_eq!(
            class(&with(&[
                ("Rifampicin", "resistant"),
                ("Levofloxacin", "resistant")
            ])),
            Classification::PreXdrTb
        );
        assert_eq!(
            class(&with(&[
                ("Rifampicin", "resistant"),
                ("Isoniazid", "resistant"),
                ("Levofloxacin", "resistant"),
                ("Linezolid", "resistant"),
            ])),
            Classification::XdrTb
        );
        assert_eq!(
            class(&with(&[
                ("Rifampicin", "resistant"),
                ("Levofloxacin", "resistant"),
                ("Bedaquiline", "resistant"),
            ])),
            Classification::XdrTb
        );
        // Bedaquiline without a fluoroquinolone is not XDR-TB.
        assert_eq!(
            class(&with(&[
                ("Rifampicin", "resistant"),
                ("Isoniazid", "resistant"),
                ("Bedaquiline", "resistant"),
            ])),
            Classification::MdrTb
        );
        assert_eq!(
            class(&with(&[("Isoniazid", "resistant")])),
            Classification::HrTb
        );
        assert_eq!(
            class(&with(&[("Ethambutol", "resistant")])),
            Classification::OtherResistance
        );
        assert_eq!(
            class(&with(&[
                ("Rifampicin", "unknown"),
                ("Isoniazid", "resistant")
            ])),
            Classification::Undetermined
        );
        // No rifampicin call at all is undetermined too.
        assert_eq!(
            class(&[("Isoniazid", "susceptible")]),
            Classification::Undetermined
        );
        // Names are compared without case.
        assert_eq!(
            class(&[("RIFAMPICIN", "resistant"), ("isoniazid", "resistant")]),
            Classification::MdrTb
        );
    }

    #[test]
    fn details_name_what_could_not_be_excluded() {
        let verdict = classify(with(&[
            ("Rifampicin", "resistant"),
            ("Isoniazid", "unknown"),
            ("Levofloxacin", "unknown"),
        ]));
        assert_eq!(verdict.classification, Classification::RrTb);
        assert!(
            verdict.detail.contains("MDR-TB is not excluded"),
            "{}",
            verdict.detail
        );
        assert!(
            verdict
                .detail
                .contains("levofloxacin could not be assessed"),
            "{}",
            verdict.detail
        );
        let none = classify(with(&[("Bedaquiline", "unknown")]));
        assert_eq!(none.classification, Classification::None);
        assert_eq!(
            none.detail,
            "no resistance found; 1 drug could not be assessed"
        );
        let mdr = classify(with(&[
            ("Rifampicin", "resistant"),
            ("Isoniazid", "resistant"),
        ]));
        assert_eq!(
            mdr.detail,
            "resistant to rifampicin and isoniazid; no fluoroquinolone resistance found"
        );
    }

    #[test]
    fn class_names_round_trip() {
        for class in Classification::ALL {
            assert_eq!(Classification::parse(class.as_str()), Some(class));
            assert_eq!(
                serde_json::to_string(&class).ok(),
                Some(format!("\"{class}\""))
            );
        }
        assert_eq!(Classification::parse("mdr-tb"), Some(Classification::MdrTb));
        assert_eq!(Classification::parse("resistant"), None);
    }

    #[test]
    fn grades_read_as_words() {
        assert_eq!(grade_text("1) Assoc w R"), "associated with resistance");
        assert_eq!(
            grade_text("2) Assoc w R - Interim"),
            "associated with resistance (interim)"
        );
        assert_eq!(
            grade_text("3) Uncertain significance"),
            "uncertain significance"
        );
        assert_eq!(
            grade_text("4) Not assoc w R - Interim"),
            "not associated with resistance (interim)"
        );
        assert_eq!(
            grade_text("5) Not assoc w R"),
            "not associated with resistance"
        );
        assert_eq!(grade_text("something new"), "something new");
    }

    #[test]
    fn drugs_are_grouped_first_line_then_second_line() {
        let panel = Panel::load("tb-who-2023").unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = panel.drug_names().collect();
        // Every catalogue drug is known to the display order.
        for name in &names {
            assert!(
                display_rank(name).0 != usize::MAX,
                "{name} has no place in the display order"
            );
        }
        let mut sorted = names.clone();
        sorted.sort_by_key(|name| display_rank(name));
        assert_eq!(
            &sorted[..6],
            [
                "Rifampicin",
                "Isoniazid",
                "Ethambutol",
                "Pyrazinamide",
                "Levofloxacin",
                "Moxifloxacin"
            ]
        );
        assert_eq!(drug_line("Ethambutol"), DrugLine::FirstLine);
        assert_eq!(drug_line("Linezolid"), DrugLine::SecondLine);
    }

    #[test]
    fn gaps_name_the_genes_and_runs_of_uncovered_positions() {
        let panel = Panel::load("tb-who-2023").unwrap_or_else(|e| panic!("{e}"));
        let options = Options::default();
        let rpob = panel
            .genes
            .iter()
            .find(|g| g.name == "rpoB")
            .unwrap_or_else(|| panic!("rpoB"));
        // Three positions in rpoB: the middle one covered.
        let positions = [
            rpob.start + 10,
            rpob.start + 20,
            rpob.start + 30,
            rpob.start + 31,
        ];
        let covered_at = rpob.start + 20;
        let depth = move |pos: u64| if pos == covered_at { 50 } else { 0 };
        let gaps = coverage_gaps(&panel, &positions, Some(&depth), &options, 0.25)
            .unwrap_or_else(|| panic!("gaps"));
        assert_eq!(gaps.uncovered_positions, 3);
        assert_eq!(gaps.catalogue_positions, 4);
        assert_eq!(
            gaps.genes,
            [GeneGap {
                gene: "rpoB".into(),
                covered_fraction: 0.25
            }]
        );
        assert_eq!(
            gaps.positions,
            [
                PositionRange {
                    start: rpob.start + 10,
                    end: rpob.start + 10,
                    gene: Some("rpoB".into())
                },
                PositionRange {
                    start: rpob.start + 30,
                    end: rpob.start + 31,
                    gene: Some("rpoB".into())
                },
            ]
        );
        assert!(gaps.rule.contains("at least 95%"), "{}", gaps.rule);
        assert!(gaps.rule.contains("here 25% were"), "{}", gaps.rule);
        let caveat = resistant_caveat("Rifampicin", &gaps);
        assert!(
            caveat.contains("other resistance mechanisms were not checked"),
            "{caveat}"
        );
        assert!(caveat.contains("rpoB 25%"), "{caveat}");
        // Covered well enough: no gaps.
        assert_eq!(
            coverage_gaps(&panel, &positions, Some(&depth), &options, 0.95),
            None
        );
        // VCF input: nothing covered, and the rule says why.
        let vcf = coverage_gaps(&panel, &positions, None, &options, 0.0)
            .unwrap_or_else(|| panic!("gaps"));
        assert_eq!(vcf.uncovered_positions, 4);
        assert!(
            vcf.rule.contains("a VCF carries no read depth"),
            "{}",
            vcf.rule
        );
    }
}
