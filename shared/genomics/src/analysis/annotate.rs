//! Variant annotation: gene, consequence and an HGVS-style name in the catalogue's conventions
//! (`rpoB_p.Ser450Leu`, `inhA_c.-777C>T`, `rrs_n.1401A>G`, `pncA_p.Thr114fs`).

use super::{
    align::reverse_complement,
    panel::{Gene, GeneKind, Panel},
};

/// Gene, consequence and name of one variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// The gene the variant is named after, if any.
    pub gene: Option<String>,
    /// Sequence Ontology consequence term.
    pub consequence: &'static str,
    /// HGVS-style name relative to the gene (`p.Ser450Leu`), or `g.` when intergenic.
    pub hgvs: String,
}

/// Whether a consequence destroys the gene product (the catalogue's `GENE_LoF` class).
pub(crate) fn is_loss_of_function(consequence: &str) -> bool {
    matches!(
        consequence,
        "frameshift_variant" | "stop_gained" | "start_lost" | "transcript_ablation"
    )
}

const AMINO_ACIDS: &[u8; 64] = b"KNKNTTTTRSRSIIMIQHQHPPPPRRRRLLLLEDEDAAAAGGGGVVVV*Y*YSSSS*CWCLFLF";

fn three_letter(amino: u8) -> &'static str {
    match amino {
        b'A' => "Ala",
        b'R' => "Arg",
        b'N' => "Asn",
        b'D' => "Asp",
        b'C' => "Cys",
        b'Q' => "Gln",
        b'E' => "Glu",
        b'G' => "Gly",
        b'H' => "His",
        b'I' => "Ile",
        b'L' => "Leu",
        b'K' => "Lys",
        b'M' => "Met",
        b'F' => "Phe",
        b'P' => "Pro",
        b'S' => "Ser",
        b'T' => "Thr",
        b'W' => "Trp",
        b'Y' => "Tyr",
        b'V' => "Val",
        b'*' => "*",
        _ => "Xaa",
    }
}

fn translate(codon: &[u8]) -> u8 {
    let mut index = 0;
    for &base in codon {
        index = index * 4
            + match base {
                b'A' => 0,
                b'C' => 1,
                b'G' => 2,
                b'T' => 3,
                _ => return b'X',
            };
    }
    AMINO_ACIDS[index]
}

/// Picks the gene a variant belongs to: the catalogue's gene when it names one, else the gene
/// whose body holds it, else the gene whose promoter holds it.
fn gene_for<'a>(panel: &'a Panel, pos: u64, catalogue_gene: Option<&str>) -> Option<&'a Gene> {
    catalogue_gene
        .and_then(|name| panel.genes.iter().find(|gene| gene.name == name))
        .or_else(|| panel.genes.iter().find(|gene| gene.contains(pos)))
        .or_else(|| panel.genes.iter().find(|gene| gene.promoter_contains(pos)))
}

/// Annotates a normalised variant; `catalogue_gene` is the gene of a catalogue entry it matched.
///
/// ```
/// use genoflow_genomics::analysis::{Panel, annotate};
/// let panel = Panel::load("tb-who-2023").unwrap();
/// let rpob = annotate(&panel, 761155, b"C", b"T", None);
/// assert_eq!(rpob.hgvs, "p.Ser450Leu");
/// let inha = annotate(&panel, 1673425, b"C", b"T", Some("inhA"));
/// assert_eq!((inha.gene.as_deref(), inha.hgvs.as_str()), (Some("inhA"), "c.-777C>T"));
/// // Two changed bases of one codon are one codon change.
/// let gyrb = annotate(&panel, 6620, b"GAC", b"AAT", None);
/// assert_eq!((gyrb.consequence, gyrb.hgvs.as_str()), ("missense_variant", "p.Asp461Asn"));
/// // The whole katG body deleted (2,223 bases after the padding base).
/// let bases = panel.bases(2153888, 2224).unwrap();
/// let katg = annotate(&panel, 2153888, bases, &bases[..1], None);
/// assert_eq!((katg.gene.as_deref(), katg.consequence), (Some("katG"), "transcript_ablation"));
/// ```
pub fn annotate(
    panel: &Panel,
    pos: u64,
    reference: &[u8],
    alt: &[u8],
    catalogue_gene: Option<&str>,
) -> Annotation {
    // A deletion belongs to the gene of its first deleted base, not of its padding base.
    let first_changed = if reference.len() > alt.len() {
        pos + 1
    } else {
        pos
    };
    let Some(gene) = gene_for(panel, first_changed, catalogue_gene) else {
        return Annotation {
            gene: None,
            consequence: "intergenic_variant",
            hgvs: format!(
                "g.{pos}{}>{}",
                String::from_utf8_lossy(reference),
                String::from_utf8_lossy(alt)
            ),
        };
    };
    let (consequence, hgvs) = if reference.len() == alt.len() {
        name_substitution(panel, gene, pos, reference, alt)
    } else {
        name_indel(panel, gene, pos, reference, alt)
    };
    Annotation {
        gene: Some(gene.name.clone()),
        consequence,
        hgvs,
    }
}

/// Bases in gene orientation.
fn oriented(gene: &Gene, bases: &[u8]) -> String {
    let bases = if gene.forward {
        bases.to_vec()
    } else {
        reverse_complement(bases)
    };
    String::from_utf8_lossy(&bases).into_owned()
}

/// Reference positions of a codon's three bases, in gene order.
fn codon_positions(gene: &Gene, codon_number: i64) -> [u64; 3] {
    let codon_first = (codon_number - 1) * 3 + 1;
    [0, 1, 2].map(|k| {
        let c = (codon_first + k) as u64;
        if gene.forward {
            gene.start + c - 1
        } else {
            gene.end + 1 - c
        }
    })
}

/// The reference codon (in gene orientation) at the given positions, if the panel carries it.
fn reference_codon(panel: &Panel, gene: &Gene, positions: &[u64; 3]) -> Option<Vec<u8>> {
    let codon = positions
        .iter()
        .map(|&p| panel.base(p))
        .collect::<Option<Vec<u8>>>()?;
    Some(if gene.forward {
        codon
    } else {
        reverse_complement(&codon)
    })
}

/// How bad a protein change is, for the consequence of a substitution over several codons.
fn severity(consequence: &str) -> u8 {
    match consequence {
        "start_lost" => 4,
        "stop_gained" => 3,
        "stop_lost" => 2,
        "missense_variant" => 1,
        _ => 0,
    }
}

/// Names a substitution of one or more bases (`reference` and `alt` of equal length, first and
/// last bases changed): one codon change as `p.Asp461His`, several as `p.Ser450_Leu452delins...`.
fn name_substitution(
    panel: &Panel,
    gene: &Gene,
    pos: u64,
    reference: &[u8],
    alt: &[u8],
) -> (&'static str, String) {
    let last = pos + reference.len() as u64 - 1;
    let (low, high) = {
        let (a, b) = (gene.coding_offset(pos), gene.coding_offset(last));
        (a.min(b), a.max(b))
    };
    let c_name = if reference.len() == 1 {
        format!(
            "c.{low}{}>{}",
            oriented(gene, reference),
            oriented(gene, alt)
        )
    } else {
        format!("c.{low}_{high}delins{}", oriented(gene, alt))
    };
    if !gene.contains(pos) || !gene.contains(last) {
        return ("upstream_gene_variant", c_name);
    }
    if gene.kind == GeneKind::Rrna {
        return (
            "non_coding_transcript_exon_variant",
            c_name.replacen("c.", "n.", 1),
        );
    }
    // Each codon the change touches: (number, reference amino acid, changed amino acid, changed codon).
    let mut codons: Vec<(i64, u8, u8, Vec<u8>)> = Vec::new();
    for codon_number in (low - 1) / 3 + 1..=(high - 1) / 3 + 1 {
        let positions = codon_positions(gene, codon_number);
        let Some(mut codon) = reference_codon(panel, gene, &positions) else {
            return ("coding_sequence_variant", c_name);
        };
        let reference_amino = if codon_number == 1 {
            b'M'
        } else {
            translate(&codon)
        };
        for (within, &p) in positions.iter().enumerate() {
            if (pos..=last).contains(&p) {
                let base = alt[(p - pos) as usize];
                codon[within] = if gene.forward {
                    base
                } else {
                    reverse_complement(&[base])[0]
                };
            }
        }
        codons.push((codon_number, reference_amino, translate(&codon), codon));
    }
    let effect = |&(number, reference_amino, alt_amino, ref codon): &(i64, u8, u8, Vec<u8>)| {
        if number == 1 {
            // Bacteria start at ATG, GTG or TTG (rpoB starts at TTG): any of them keeps the start.
            if matches!(&codon[..], b"ATG" | b"GTG" | b"TTG") {
                "synonymous_variant"
            } else {
                "start_lost"
            }
        } else if reference_amino == alt_amino {
            "synonymous_variant"
        } else if alt_amino == b'*' {
            "stop_gained"
        } else if reference_amino == b'*' {
            "stop_lost"
        } else {
            "missense_variant"
        }
    };
    let consequence = codons
        .iter()
        .map(effect)
        .max_by_key(|c| severity(c))
        .unwrap_or("coding_sequence_variant");
    // Codons whose amino acid stays are left out of the name (as the catalogue does).
    codons.retain(|&(number, reference_amino, alt_amino, _)| {
        number == 1 || reference_amino != alt_amino
    });
    let Some(&(first_codon, first_amino, _, _)) = codons.first() else {
        return (consequence, c_name);
    };
    let hgvs = match (consequence, codons.as_slice()) {
        ("synonymous_variant", _) => c_name,
        ("start_lost", _) => "p.Met1?".to_owned(),
        (_, [(number, reference_amino, alt_amino, _)]) => {
            let alt_name = if *alt_amino == b'*' {
                "*"
            } else {
                three_letter(*alt_amino)
            };
            format!("p.{}{number}{alt_name}", three_letter(*reference_amino))
        }
        (_, [.., (last_codon, last_amino, _, _)]) => {
            let alts: String = codons.iter().map(|c| three_letter(c.2)).collect();
            format!(
                "p.{}{first_codon}_{}{last_codon}delins{alts}",
                three_letter(first_amino),
                three_letter(*last_amino)
            )
        }
        _ => c_name,
    };
    (consequence, hgvs)
}

fn name_indel(
    panel: &Panel,
    gene: &Gene,
    pos: u64,
    reference: &[u8],
    alt: &[u8],
) -> (&'static str, String) {
    // Bases after the shared padding base: deleted from or inserted into the reference.
    let (first, last) = if reference.len() > alt.len() {
        (pos + 1, pos + (reference.len() - 1) as u64)
    } else {
        (pos, pos + 1)
    };
    let (low, high) = {
        let (a, b) = (gene.coding_offset(first), gene.coding_offset(last));
        (a.min(b), a.max(b))
    };
    let changed: Vec<u8> = if reference.len() > alt.len() {
        reference[1..].to_vec()
    } else {
        alt[1..].to_vec()
    };
    let changed = if gene.forward {
        changed
    } else {
        reverse_complement(&changed)
    };
    let changed = String::from_utf8_lossy(&changed);
    let kind = if reference.len() > alt.len() {
        "del"
    } else {
        "ins"
    };
    let c_name = if kind == "del" {
        if low == high {
            format!("c.{low}del")
        } else {
            format!("c.{low}_{high}del")
        }
    } else {
        format!("c.{low}_{high}ins{changed}")
    };
    let inside =
        gene.contains(first) || gene.contains(last) || (first < gene.start && last > gene.end);
    if !inside {
        return ("upstream_gene_variant", c_name);
    }
    if kind == "del" && first <= gene.start && last >= gene.end {
        // The whole gene is gone: the catalogue's loss-of-function classes cover it.
        return ("transcript_ablation", c_name);
    }
    let start_codon = if gene.forward { gene.start } else { gene.end };
    if kind == "del" && gene.kind == GeneKind::Cds && (first..=last).contains(&start_codon) {
        return ("start_lost", c_name);
    }
    if gene.kind == GeneKind::Rrna {
        return (
            "non_coding_transcript_exon_variant",
            c_name.replacen("c.", "n.", 1),
        );
    }
    let length_change = reference.len().abs_diff(alt.len());
    let codon_number = (low.max(1) - 1) / 3 + 1;
    if !length_change.is_multiple_of(3) {
        let amino = reference_codon(panel, gene, &codon_positions(gene, codon_number))
            .map_or(b'X', |codon| translate(&codon));
        return (
            "frameshift_variant",
            format!("p.{}{codon_number}fs", three_letter(amino)),
        );
    }
    let consequence = if kind == "del" {
        "inframe_deletion"
    } else {
        "inframe_insertion"
    };
    (consequence, c_name)
}
