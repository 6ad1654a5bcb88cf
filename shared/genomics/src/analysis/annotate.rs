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
        "frameshift_variant" | "stop_gained" | "start_lost"
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
/// ```
pub fn annotate(
    panel: &Panel,
    pos: u64,
    reference: &[u8],
    alt: &[u8],
    catalogue_gene: Option<&str>,
) -> Annotation {
    let Some(gene) = gene_for(panel, pos, catalogue_gene) else {
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
    let (consequence, hgvs) = if reference.len() == 1 && alt.len() == 1 {
        name_substitution(panel, gene, pos, reference[0], alt[0])
    } else {
        name_indel(panel, gene, pos, reference, alt)
    };
    Annotation {
        gene: Some(gene.name.clone()),
        consequence,
        hgvs,
    }
}

fn oriented(gene: &Gene, base: u8) -> char {
    let base = if gene.forward {
        vec![base]
    } else {
        reverse_complement(&[base])
    };
    char::from(base[0])
}

fn name_substitution(
    panel: &Panel,
    gene: &Gene,
    pos: u64,
    reference: u8,
    alt: u8,
) -> (&'static str, String) {
    let offset = gene.coding_offset(pos);
    let (r, a) = (oriented(gene, reference), oriented(gene, alt));
    if !gene.contains(pos) {
        return ("upstream_gene_variant", format!("c.{offset}{r}>{a}"));
    }
    if gene.kind == GeneKind::Rrna {
        return (
            "non_coding_transcript_exon_variant",
            format!("n.{offset}{r}>{a}"),
        );
    }
    let codon_number = (offset - 1) / 3 + 1;
    let codon_first = (codon_number - 1) * 3 + 1;
    // Reference positions of the codon's three bases, in gene order.
    let positions: Vec<u64> = (0..3)
        .map(|k| {
            let c = (codon_first + k) as u64;
            if gene.forward {
                gene.start + c - 1
            } else {
                gene.end + 1 - c
            }
        })
        .collect();
    let Some(codon) = positions
        .iter()
        .map(|&p| panel.base(p))
        .collect::<Option<Vec<u8>>>()
    else {
        return ("coding_sequence_variant", format!("c.{offset}{r}>{a}"));
    };
    let mut codon = if gene.forward {
        codon
    } else {
        reverse_complement(&codon)
    };
    let reference_amino = if codon_number == 1 {
        b'M'
    } else {
        translate(&codon)
    };
    let within = ((offset - 1) % 3) as usize;
    codon[within] = a as u8;
    let alt_amino = translate(&codon);
    let name = format!("p.{}{codon_number}", three_letter(reference_amino));
    if codon_number == 1 {
        // Bacteria start at ATG, GTG or TTG (rpoB starts at TTG): any of them keeps the start.
        if matches!(&codon[..], b"ATG" | b"GTG" | b"TTG") {
            ("synonymous_variant", format!("c.{offset}{r}>{a}"))
        } else {
            ("start_lost", format!("{name}?"))
        }
    } else if reference_amino == alt_amino {
        ("synonymous_variant", format!("c.{offset}{r}>{a}"))
    } else if alt_amino == b'*' {
        ("stop_gained", format!("{name}*"))
    } else if reference_amino == b'*' {
        ("stop_lost", format!("{name}{}", three_letter(alt_amino)))
    } else {
        (
            "missense_variant",
            format!("{name}{}", three_letter(alt_amino)),
        )
    }
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
    let inside = gene.contains(first) || gene.contains(last);
    if !inside {
        return ("upstream_gene_variant", c_name);
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
        let codon_first = (codon_number - 1) * 3 + 1;
        let positions: Vec<u64> = (0..3)
            .map(|k| {
                let c = (codon_first + k) as u64;
                if gene.forward {
                    gene.start + c - 1
                } else {
                    gene.end + 1 - c
                }
            })
            .collect();
        let amino = positions
            .iter()
            .map(|&p| panel.base(p))
            .collect::<Option<Vec<u8>>>()
            .map_or(b'X', |codon| {
                translate(&if gene.forward {
                    codon
                } else {
                    reverse_complement(&codon)
                })
            });
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
