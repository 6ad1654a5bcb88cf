//! Lineage of an M. tuberculosis complex sample from a SNP barcode, and mixtures of strains.
//!
//! The barcode (`lineage-barcode.bed` of a panel) lists lineage-defining SNPs: a 1-based site,
//! the lineage it marks and the derived base. Each lineage is a node of a tree given by its dotted
//! name (`lineage4.2.2.1` under `lineage4.2.2`; a missing level is skipped, so `lineage1.2.1` hangs
//! under `lineage1`; `La1.2.BCG` under `La1.2`; `M.canetti`, whose prefix `M` is no lineage, is a
//! root). At every site the reads carrying the derived base over all reads give the site's
//! fraction; a lineage's fraction is the median over its covered sites. The rule, with its
//! thresholds, is written down in docs/ANALYSIS.md ("Lineage and mixture").

use std::collections::HashMap;

use serde::Serialize;

/// Fewest of a lineage's sites, as a fraction of them, that must reach the depth threshold for the
/// lineage to be measured at all.
pub(crate) const MIN_COVERED_SITES: f64 = 0.5;
/// Lowest median fraction of derived reads at a lineage's covered sites for the lineage to be
/// present (in the whole sample or in a minority strain).
pub(crate) const MIN_LINEAGE_FRACTION: f64 = 0.1;
/// Smallest share of the sample a strain of a mixture must explain to be reported.
pub(crate) const MIN_COMPONENT: f64 = 0.1;

/// One lineage of the barcode.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    name: String,
    family: String,
    spoligotype: String,
    rd: String,
    parent: Option<usize>,
    children: Vec<usize>,
    /// Indices into [`Barcode::sites`].
    sites: Vec<usize>,
}

/// One lineage-defining SNP.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site {
    /// 1-based position on the panel's reference.
    pub pos: u64,
    /// The derived base (A, C, G or T).
    pub derived: u8,
}

/// A parsed lineage barcode.
#[derive(Debug, Clone)]
pub(crate) struct Barcode {
    pub sites: Vec<Site>,
    nodes: Vec<Node>,
    roots: Vec<usize>,
}

impl Barcode {
    /// Parses the barcode BED (`chrom start end lineage allele family spoligotype RD`, 0-based
    /// start, one base per line). `chrom` is `Chromosome` (as tbdb writes it) or `reference`.
    pub(crate) fn parse(text: &[u8], reference: &str) -> Result<Self, String> {
        let text = std::str::from_utf8(text).map_err(|_| "not UTF-8".to_owned())?;
        let mut nodes: Vec<Node> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut sites = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let at = |m: &str| format!("line {}: {m}", index + 1);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let [chrom, start, end, name, allele, family, spoligotype, rd] =
                line.split('\t').collect::<Vec<_>>()[..]
            else {
                return Err(at("expected 8 tab-separated fields"));
            };
            if chrom != "Chromosome" && chrom != reference {
                return Err(at(&format!(
                    "chrom {chrom} is neither Chromosome nor the panel reference {reference}"
                )));
            }
            let start: u64 = start.parse().map_err(|_| at("start is not a number"))?;
            let end: u64 = end.parse().map_err(|_| at("end is not a number"))?;
            if end != start + 1 {
                return Err(at("a barcode site is one base (end = start + 1)"));
            }
            let derived = match allele.as_bytes() {
                [base @ (b'A' | b'C' | b'G' | b'T')] => *base,
                _ => return Err(at("allele must be one of A, C, G, T")),
            };
            if name.is_empty() {
                return Err(at("empty lineage name"));
            }
            let node = *by_name.entry(name.to_owned()).or_insert_with(|| {
                nodes.push(Node {
                    name: name.to_owned(),
                    family: family.to_owned(),
                    spoligotype: spoligotype.to_owned(),
                    rd: rd.to_owned(),
                    parent: None,
                    children: Vec::new(),
                    sites: Vec::new(),
                });
                nodes.len() - 1
            });
            nodes[node].sites.push(sites.len());
            sites.push(Site { pos: end, derived });
        }
        if nodes.is_empty() {
            return Err("no sites".to_owned());
        }
        // Parent: the longest proper dotted prefix that is itself a lineage of the barcode.
        for index in 0..nodes.len() {
            let name = nodes[index].name.clone();
            let mut prefix = name.as_str();
            while let Some((head, _)) = prefix.rsplit_once('.') {
                if let Some(&parent) = by_name.get(head) {
                    nodes[index].parent = Some(parent);
                    nodes[parent].children.push(index);
                    break;
                }
                prefix = head;
            }
        }
        let mut roots: Vec<usize> = (0..nodes.len())
            .filter(|&i| nodes[i].parent.is_none())
            .collect();
        let by_name_order = |a: &usize, b: &usize| nodes[*a].name.cmp(&nodes[*b].name);
        roots.sort_by(by_name_order);
        let mut sorted_children: Vec<Vec<usize>> =
            nodes.iter().map(|n| n.children.clone()).collect();
        for children in &mut sorted_children {
            children.sort_by(by_name_order);
        }
        for (node, children) in nodes.iter_mut().zip(sorted_children) {
            node.children = children;
        }
        Ok(Self {
            sites,
            nodes,
            roots,
        })
    }

    /// Number of lineages.
    pub(crate) fn lineages(&self) -> usize {
        self.nodes.len()
    }

    /// The lineage names from the root down to `node`.
    fn path(&self, node: usize) -> Vec<usize> {
        let mut path = vec![node];
        while let Some(parent) = self.nodes[*path.last().unwrap_or(&node)].parent {
            path.push(parent);
        }
        path.reverse();
        path
    }
}

/// The lineage call of a report (docs/API.md).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Lineage {
    /// The deepest lineage whose defining SNPs are present in the major strain
    /// (`lineage2.2.1`), or `unknown`.
    pub call: String,
    /// Its lineages from the root down, joined by ` > ` (`lineage2 > lineage2.2 > lineage2.2.1`);
    /// `None` when unknown.
    pub path: Option<String>,
    /// The barcode's family of the called lineage (`East-Asian (Beijing)`).
    pub family: Option<String>,
    /// The barcode's spoligotype of the called lineage.
    pub spoligotype: Option<String>,
    /// The barcode's regions of difference of the called lineage (`RD105;RD207;RD181`, `None`).
    pub rd: Option<String>,
    /// Fraction of the called lineage's sites with at least `min_depth` reads.
    pub covered_fraction: Option<f64>,
    /// Median fraction of reads carrying the derived base over those covered sites.
    pub median_fraction: Option<f64>,
    /// Each lineage of the path: its sites, how many are covered, its median fraction.
    pub support: Vec<LineageSupport>,
    /// Why the call is `unknown`, or why it stops where it does (sublineages not measurable).
    pub reason: Option<String>,
}

/// What the reads show for one lineage of the barcode.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LineageSupport {
    /// Lineage name.
    pub lineage: String,
    /// Its defining sites in the barcode.
    pub sites: usize,
    /// Those with at least `min_depth` reads.
    pub covered: usize,
    /// Median fraction of reads carrying the derived base at the covered sites.
    pub median_fraction: f64,
}

/// Whether the sample holds one strain or several (docs/API.md).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mixture {
    /// `single`, `mixed` or `unknown`.
    pub verdict: &'static str,
    /// Estimated share of each strain, largest first (sums to 1; empty when unknown).
    pub proportions: Vec<Proportion>,
    /// How the verdict was reached.
    pub reason: String,
}

/// One strain of a mixture.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Proportion {
    /// The deepest lineage known of the strain (`unknown` for a share no lineage explains).
    pub lineage: String,
    /// Its estimated share of the sample.
    pub fraction: f64,
}

/// Reads at one site: per base A, C, G, T.
pub(crate) type Counts = [u32; 4];

fn base_index(base: u8) -> usize {
    match base {
        b'A' => 0,
        b'C' => 1,
        b'G' => 2,
        _ => 3,
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// One lineage's measurement.
#[derive(Debug, Clone, Copy)]
struct Measure {
    covered: usize,
    fraction: f64,
    /// At least [`MIN_COVERED_SITES`] of the sites covered.
    measured: bool,
    /// Measured with a median fraction ≥ [`MIN_LINEAGE_FRACTION`].
    present: bool,
}

/// The lineage and mixture without a barcode or without read counts.
pub(crate) fn unknown(reason: &str) -> (Lineage, Mixture) {
    (
        Lineage {
            call: "unknown".to_owned(),
            path: None,
            family: None,
            spoligotype: None,
            rd: None,
            covered_fraction: None,
            median_fraction: None,
            support: Vec::new(),
            reason: Some(reason.to_owned()),
        },
        Mixture {
            verdict: "unknown",
            proportions: Vec::new(),
            reason: reason.to_owned(),
        },
    )
}

/// Calls the lineage and the mixture from the reads at each barcode site (`counts[i]` for
/// `barcode.sites[i]`); a site is covered at `min_depth` reads or more.
pub(crate) fn call(barcode: &Barcode, counts: &[Counts], min_depth: u32) -> (Lineage, Mixture) {
    let site_fraction = |site: usize| -> Option<f64> {
        let c = counts.get(site)?;
        let depth: u32 = c.iter().sum();
        (depth >= min_depth && depth > 0)
            .then(|| f64::from(c[base_index(barcode.sites[site].derived)]) / f64::from(depth))
    };
    let measures: Vec<Measure> = barcode
        .nodes
        .iter()
        .map(|node| {
            let mut fractions: Vec<f64> = node
                .sites
                .iter()
                .filter_map(|&s| site_fraction(s))
                .collect();
            let covered = fractions.len();
            let fraction = median(&mut fractions);
            let measured =
                covered > 0 && covered as f64 >= MIN_COVERED_SITES * node.sites.len() as f64;
            Measure {
                covered,
                fraction,
                measured,
                present: measured && fraction >= MIN_LINEAGE_FRACTION,
            }
        })
        .collect();
    let support = |node: usize| LineageSupport {
        lineage: barcode.nodes[node].name.clone(),
        sites: barcode.nodes[node].sites.len(),
        covered: measures[node].covered,
        median_fraction: round(measures[node].fraction, 4),
    };
    // The strongest present lineage among `candidates`: highest fraction, then most covered
    // sites, then name.
    let strongest = |candidates: &[usize]| -> Option<usize> {
        candidates
            .iter()
            .copied()
            .filter(|&n| measures[n].present)
            .max_by(|&a, &b| {
                measures[a]
                    .fraction
                    .total_cmp(&measures[b].fraction)
                    .then(measures[a].covered.cmp(&measures[b].covered))
                    .then(barcode.nodes[b].name.cmp(&barcode.nodes[a].name))
            })
    };

    let Some(root) = strongest(&barcode.roots) else {
        let covered_sites = (0..barcode.sites.len())
            .filter(|&s| site_fraction(s).is_some())
            .count();
        let measured_roots = barcode
            .roots
            .iter()
            .filter(|&&r| measures[r].measured)
            .count();
        let reason = if measured_roots == 0 {
            format!(
                "coverage too low: {covered_sites} of {} barcode sites have at least {min_depth} \
                 reads, and no main lineage has {:.0} % of its sites covered",
                barcode.sites.len(),
                100.0 * MIN_COVERED_SITES
            )
        } else {
            format!(
                "no main lineage's derived alleles reach a median fraction of {MIN_LINEAGE_FRACTION} \
                 ({measured_roots} of {} measured; {covered_sites} of {} sites covered)",
                barcode.roots.len(),
                barcode.sites.len()
            )
        };
        return unknown(&reason);
    };

    // The major strain's path: from the strongest root, down through the strongest present child.
    let mut path = vec![root];
    while let Some(child) = strongest(&barcode.nodes[*path.last().unwrap_or(&root)].children) {
        path.push(child);
    }
    let called = *path.last().unwrap_or(&root);
    let node = &barcode.nodes[called];
    let unmeasured: Vec<&str> = node
        .children
        .iter()
        .filter(|&&c| !measures[c].measured)
        .map(|&c| barcode.nodes[c].name.as_str())
        .collect();
    let reason = (!unmeasured.is_empty()).then(|| {
        format!(
            "sublineages not measurable (under {:.0} % of their sites at {min_depth} reads): {}",
            100.0 * MIN_COVERED_SITES,
            unmeasured.join(", ")
        )
    });
    debug_assert_eq!(barcode.path(called), path);
    let lineage = Lineage {
        call: node.name.clone(),
        path: Some(
            path.iter()
                .map(|&n| barcode.nodes[n].name.as_str())
                .collect::<Vec<_>>()
                .join(" > "),
        ),
        family: Some(node.family.clone()),
        spoligotype: Some(node.spoligotype.clone()),
        rd: Some(node.rd.clone()),
        covered_fraction: Some(round(
            measures[called].covered as f64 / node.sites.len().max(1) as f64,
            4,
        )),
        median_fraction: Some(round(measures[called].fraction, 4)),
        support: path.iter().map(|&n| support(n)).collect(),
        reason,
    };

    // Strains: every present lineage reachable from the roots through present lineages keeps the
    // share its present sublineages do not explain; so does the whole sample beyond its roots.
    let mut shares: Vec<(String, f64)> = Vec::new();
    let mut stack: Vec<usize> = barcode
        .roots
        .iter()
        .copied()
        .filter(|&r| measures[r].present)
        .collect();
    let top: f64 = stack.iter().map(|&r| measures[r].fraction).sum();
    if 1.0 - top >= MIN_COMPONENT {
        shares.push(("unknown".to_owned(), 1.0 - top));
    }
    while let Some(n) = stack.pop() {
        let children: Vec<usize> = barcode.nodes[n]
            .children
            .iter()
            .copied()
            .filter(|&c| measures[c].present)
            .collect();
        let below: f64 = children.iter().map(|&c| measures[c].fraction).sum();
        let own = measures[n].fraction - below;
        if own >= MIN_COMPONENT {
            shares.push((barcode.nodes[n].name.clone(), own));
        }
        stack.extend(children);
    }
    if shares.is_empty() {
        // Noise only below the threshold everywhere: the major strain's lineage explains it.
        shares.push((node.name.clone(), 1.0));
    }
    let total: f64 = shares.iter().map(|(_, f)| f).sum();
    let mut proportions: Vec<Proportion> = shares
        .into_iter()
        .map(|(lineage, share)| Proportion {
            lineage,
            fraction: round(share / total, 3),
        })
        .collect();
    proportions.sort_by(|a, b| {
        b.fraction
            .total_cmp(&a.fraction)
            .then_with(|| a.lineage.cmp(&b.lineage))
    });
    let described: Vec<String> = proportions
        .iter()
        .map(|p| format!("{} {:.2}", p.lineage, p.fraction))
        .collect();
    let mixture = if proportions.len() >= 2 {
        Mixture {
            verdict: "mixed",
            reason: format!(
                "{} strains: {} (shares from the median derived-allele fractions of nested \
                 lineages)",
                proportions.len(),
                described.join(", ")
            ),
            proportions,
        }
    } else {
        Mixture {
            verdict: "single",
            reason: format!(
                "one strain explains the barcode: {} at a median fraction of {:.2}",
                node.name, measures[called].fraction
            ),
            proportions,
        }
    };
    (lineage, mixture)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A small barcode: lineage4 (3 sites, derived = reference as in H37Rv), lineage4.9
    /// (2 sites, derived = reference), lineage4.2 (3), lineage4.2.2 (3), lineage2 (3),
    /// lineage2.2 (3), lineage2.2.1 (3), lineage2.1 (2), M.canetti (2).
    const BED: &str = "\
Chromosome\t99\t100\tlineage4\tA\tEuro-American\tLAM;T;S;X;H\tNone
Chromosome\t199\t200\tlineage4\tC\tEuro-American\tLAM;T;S;X;H\tNone
Chromosome\t299\t300\tlineage4\tG\tEuro-American\tLAM;T;S;X;H\tNone
Chromosome\t399\t400\tlineage4.9\tT\tEuro-American (H37Rv-like)\tT1\tNone
Chromosome\t499\t500\tlineage4.9\tA\tEuro-American (H37Rv-like)\tT1\tNone
Chromosome\t599\t600\tlineage4.2\tC\tEuro-American\tH;T;LAM\tNone
Chromosome\t699\t700\tlineage4.2\tG\tEuro-American\tH;T;LAM\tNone
Chromosome\t799\t800\tlineage4.2\tT\tEuro-American\tH;T;LAM\tNone
Chromosome\t899\t900\tlineage4.2.2\tA\tEuro-American (Ural)\tT;LAM7-TUR\tNone
Chromosome\t999\t1000\tlineage4.2.2\tC\tEuro-American (Ural)\tT;LAM7-TUR\tNone
Chromosome\t1099\t1100\tlineage4.2.2\tG\tEuro-American (Ural)\tT;LAM7-TUR\tNone
Chromosome\t1199\t1200\tlineage2\tT\tEast-Asian\tBeijing\tRD105
Chromosome\t1299\t1300\tlineage2\tA\tEast-Asian\tBeijing\tRD105
Chromosome\t1399\t1400\tlineage2\tC\tEast-Asian\tBeijing\tRD105
Chromosome\t1499\t1500\tlineage2.2\tG\tEast-Asian (Beijing)\tBeijing-RD207\tRD105;RD207
Chromosome\t1599\t1600\tlineage2.2\tT\tEast-Asian (Beijing)\tBeijing-RD207\tRD105;RD207
Chromosome\t1699\t1700\tlineage2.2\tA\tEast-Asian (Beijing)\tBeijing-RD207\tRD105;RD207
Chromosome\t1799\t1800\tlineage2.2.1\tC\tEast-Asian (Beijing)\tBeijing-RD181\tRD105;RD207;RD181
Chromosome\t1899\t1900\tlineage2.2.1\tG\tEast-Asian (Beijing)\tBeijing-RD181\tRD105;RD207;RD181
Chromosome\t1999\t2000\tlineage2.2.1\tT\tEast-Asian (Beijing)\tBeijing-RD181\tRD105;RD207;RD181
Chromosome\t2099\t2100\tlineage2.1\tA\tEast-Asian (non-Beijing)\tNone\tNone
Chromosome\t2199\t2200\tlineage2.1\tC\tEast-Asian (non-Beijing)\tNone\tNone
Chromosome\t2299\t2300\tM.canetti\tG\tM.canetti\tNone\tNone
Chromosome\t2399\t2400\tM.canetti\tT\tM.canetti\tNone\tNone
";

    fn barcode() -> Barcode {
        Barcode::parse(BED.as_bytes(), "NC_000962.3").unwrap()
    }

    /// Reads at each site for a sample made of `strains` (lineages carried, share), `depth`
    /// reads per site. A site not carried shows the base after the derived one (ACGT order):
    /// at the lineage4/4.9 sites, where the derived base is H37Rv's own, that is a variant away
    /// from the reference.
    fn sample(barcode: &Barcode, strains: &[(&[&str], f64)], depth: u32) -> Vec<Counts> {
        barcode
            .sites
            .iter()
            .enumerate()
            .map(|(index, site)| {
                let node = barcode
                    .nodes
                    .iter()
                    .find(|n| n.sites.contains(&index))
                    .unwrap();
                let carried: f64 = strains
                    .iter()
                    .filter(|(lineages, _)| lineages.contains(&node.name.as_str()))
                    .map(|(_, share)| share)
                    .sum();
                let derived = (f64::from(depth) * carried).round() as u32;
                let mut counts = [0; 4];
                counts[base_index(site.derived)] += derived;
                counts[(base_index(site.derived) + 1) % 4] += depth - derived;
                counts
            })
            .collect()
    }

    const L221: &[&str] = &["lineage2", "lineage2.2", "lineage2.2.1"];
    const H37RV: &[&str] = &["lineage4", "lineage4.9"];
    const L422: &[&str] = &["lineage4", "lineage4.2", "lineage4.2.2"];

    #[test]
    fn hierarchy_from_dotted_names() {
        let barcode = barcode();
        let parent = |name: &str| {
            let node = barcode.nodes.iter().find(|n| n.name == name).unwrap();
            node.parent.map(|p| barcode.nodes[p].name.clone())
        };
        assert_eq!(parent("lineage2.2.1").as_deref(), Some("lineage2.2"));
        assert_eq!(parent("lineage4.9").as_deref(), Some("lineage4"));
        assert_eq!(parent("M.canetti"), None);
        let roots: Vec<&str> = barcode
            .roots
            .iter()
            .map(|&r| barcode.nodes[r].name.as_str())
            .collect();
        assert_eq!(roots, ["M.canetti", "lineage2", "lineage4"]);
        // A missing level is skipped; BCG hangs under La1.2.
        let skipping = Barcode::parse(
            b"Chromosome\t9\t10\tlineage1\tA\tIndo-Oceanic\tNA\tNone\n\
              Chromosome\t19\t20\tlineage1.2.1\tC\tIndo-Oceanic\tNA\tRD3\n\
              Chromosome\t29\t30\tLa1.2\tC\tM.bovis\tNone\tNone\n\
              Chromosome\t39\t40\tLa1.2.BCG\tC\tM.bovis\tBCG\tNone\n",
            "NC_000962.3",
        )
        .unwrap();
        assert_eq!(skipping.nodes[1].parent, Some(0));
        assert_eq!(skipping.nodes[3].parent, Some(2));
    }

    #[test]
    fn deepest_supported_lineage_and_its_path() {
        let barcode = barcode();
        let (lineage, mixture) = call(&barcode, &sample(&barcode, &[(L221, 1.0)], 30), 10);
        assert_eq!(lineage.call, "lineage2.2.1");
        assert_eq!(
            lineage.path.as_deref(),
            Some("lineage2 > lineage2.2 > lineage2.2.1")
        );
        assert_eq!(lineage.family.as_deref(), Some("East-Asian (Beijing)"));
        assert_eq!(lineage.rd.as_deref(), Some("RD105;RD207;RD181"));
        assert_eq!(lineage.covered_fraction, Some(1.0));
        assert_eq!(lineage.median_fraction, Some(1.0));
        assert_eq!(lineage.support.len(), 3);
        assert_eq!(lineage.reason, None);
        assert_eq!(mixture.verdict, "single");
        assert_eq!(
            mixture.proportions,
            [Proportion {
                lineage: "lineage2.2.1".into(),
                fraction: 1.0
            }]
        );
    }

    #[test]
    fn h37rv_reference_alleles_call_lineage4_9() {
        let barcode = barcode();
        // H37Rv: every lineage4 and lineage4.9 site shows the reference base, which is the
        // derived one; nothing else is carried.
        let (lineage, mixture) = call(&barcode, &sample(&barcode, &[(H37RV, 1.0)], 40), 10);
        assert_eq!(lineage.call, "lineage4.9");
        assert_eq!(lineage.path.as_deref(), Some("lineage4 > lineage4.9"));
        assert_eq!(mixture.verdict, "single");
        // A lineage 2 sample shows a variant away from the reference at those sites: lineage4
        // and lineage4.9 are absent, not "reference hence present".
        let (lineage, _) = call(&barcode, &sample(&barcode, &[(L221, 1.0)], 40), 10);
        assert!(lineage.path.unwrap().starts_with("lineage2"));
        // A lineage 4.2.2 sample carries lineage4's derived alleles but not lineage4.9's.
        let (lineage, mixture) = call(&barcode, &sample(&barcode, &[(L422, 1.0)], 40), 10);
        assert_eq!(
            lineage.path.as_deref(),
            Some("lineage4 > lineage4.2 > lineage4.2.2")
        );
        assert_eq!(mixture.verdict, "single");
    }

    #[test]
    fn missing_coverage_is_unknown_with_a_reason() {
        let barcode = barcode();
        let (lineage, mixture) = call(&barcode, &sample(&barcode, &[(L221, 1.0)], 6), 10);
        assert_eq!(lineage.call, "unknown");
        assert_eq!(lineage.path, None);
        let reason = lineage.reason.unwrap();
        assert!(reason.starts_with("coverage too low: 0 of 24"), "{reason}");
        assert_eq!(mixture.verdict, "unknown");
        assert!(mixture.proportions.is_empty());
        // Covered main lineage, uncovered sublineages: the call stops there and says why.
        let mut counts = sample(&barcode, &[(L221, 1.0)], 30);
        for site in &mut counts[14..20] {
            *site = [1, 0, 0, 1];
        }
        let (lineage, mixture) = call(&barcode, &counts, 10);
        assert_eq!(lineage.call, "lineage2");
        assert!(
            lineage.reason.unwrap().contains("lineage2.2"),
            "names the unmeasured sublineage"
        );
        assert_eq!(mixture.verdict, "single");
        // Half of a lineage's sites covered is enough (2 of 3 is, 1 of 3 is not).
        let mut counts = sample(&barcode, &[(L221, 1.0)], 30);
        counts[17] = [0; 4];
        assert_eq!(call(&barcode, &counts, 10).0.call, "lineage2.2.1");
        counts[18] = [0; 4];
        assert_eq!(call(&barcode, &counts, 10).0.call, "lineage2.2");
        // No barcode site at all showing a main lineage's derived alleles.
        let (lineage, _) = call(&barcode, &sample(&barcode, &[], 30), 10);
        assert!(lineage.reason.unwrap().starts_with("no main lineage"));
    }

    #[test]
    fn conflicting_branches_take_the_stronger_and_report_the_other() {
        let barcode = barcode();
        // Both sublineages of lineage2 carried at full fraction (an impossible single strain):
        // the stronger (more sites covered on ties) is called, the mixture names both.
        let both: &[&str] = &["lineage2", "lineage2.2", "lineage2.1"];
        let (lineage, mixture) = call(&barcode, &sample(&barcode, &[(both, 1.0)], 30), 10);
        assert_eq!(lineage.call, "lineage2.2");
        assert_eq!(mixture.verdict, "mixed");
        // A lone site of a lineage (homoplasy, a misplaced read) does not move the median.
        let mut counts = sample(&barcode, &[(L221, 1.0)], 30);
        counts[5] = [0, 30, 0, 0]; // one lineage4.2 site derived
        let (lineage, mixture) = call(&barcode, &counts, 10);
        assert_eq!(lineage.call, "lineage2.2.1");
        assert_eq!(mixture.verdict, "single");
        // Sites of a sublineage present while its parent is absent are not followed.
        let orphan: &[&str] = &["lineage4.2.2"];
        let (lineage, mixture) = call(&barcode, &sample(&barcode, &[(orphan, 1.0)], 30), 10);
        assert_eq!(lineage.call, "unknown");
        assert_eq!(mixture.verdict, "unknown");
    }

    #[test]
    fn seventy_thirty_mixture_is_mixed_with_its_proportions() {
        let barcode = barcode();
        let counts = sample(&barcode, &[(L221, 0.7), (H37RV, 0.3)], 100);
        let (lineage, mixture) = call(&barcode, &counts, 10);
        assert_eq!(lineage.call, "lineage2.2.1");
        assert_eq!(lineage.median_fraction, Some(0.7));
        assert_eq!(mixture.verdict, "mixed");
        let shares: Vec<(&str, f64)> = mixture
            .proportions
            .iter()
            .map(|p| (p.lineage.as_str(), p.fraction))
            .collect();
        assert_eq!(shares, [("lineage2.2.1", 0.7), ("lineage4.9", 0.3)]);
        // Two strains of one main lineage: the shared part is not a strain of its own.
        let counts = sample(&barcode, &[(L422, 0.7), (H37RV, 0.3)], 100);
        let (lineage, mixture) = call(&barcode, &counts, 10);
        assert_eq!(lineage.call, "lineage4.2.2");
        let shares: Vec<(&str, f64)> = mixture
            .proportions
            .iter()
            .map(|p| (p.lineage.as_str(), p.fraction))
            .collect();
        assert_eq!(shares, [("lineage4.2.2", 0.7), ("lineage4.9", 0.3)]);
        // A minority strain whose sublineage the barcode cannot see still shows as the share its
        // ancestor keeps.
        let counts = sample(&barcode, &[(L422, 0.7), (&["lineage4"], 0.3)], 100);
        let (_, mixture) = call(&barcode, &counts, 10);
        assert_eq!(mixture.verdict, "mixed");
        assert_eq!(mixture.proportions[1].lineage, "lineage4");
        // A minority below MIN_COMPONENT is not reported.
        let counts = sample(&barcode, &[(L221, 0.95), (H37RV, 0.05)], 100);
        assert_eq!(call(&barcode, &counts, 10).1.verdict, "single");
    }
}
