//! Pileup of aligned reads and haploid calling of SNVs and small indels.

use std::collections::HashMap;

use super::{
    Options,
    align::{Alignment, Op, Reference},
    panel::{Panel, VariantKey},
};

/// Per-position counts over the panel's concatenated reference.
#[derive(Debug, Clone)]
pub(crate) struct Pileup {
    /// Bases of quality ≥ the minimum, per position: A, C, G, T.
    bases: Vec<[u32; 4]>,
    /// Reads covering each position with a base of quality ≥ the minimum, or a deletion.
    coverage: Vec<u32>,
    /// Normalised indels with their read counts.
    indels: HashMap<VariantKey, u32>,
    pub mapped_reads: u64,
}

fn base_index(base: u8) -> Option<usize> {
    match base {
        b'A' => Some(0),
        b'C' => Some(1),
        b'G' => Some(2),
        b'T' => Some(3),
        _ => None,
    }
}

const BASES: [u8; 4] = *b"ACGT";

/// A called variant, normalised, before annotation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub pos: u64,
    pub reference: Vec<u8>,
    pub alt: Vec<u8>,
    pub depth: u32,
    pub alt_reads: u32,
    pub alt_fraction: f64,
}

impl Pileup {
    pub(crate) fn new(reference: &Reference) -> Self {
        Self {
            bases: vec![[0; 4]; reference.bases.len()],
            coverage: vec![0; reference.bases.len()],
            indels: HashMap::new(),
            mapped_reads: 0,
        }
    }

    /// Adds one aligned read (`bases`/`qualities` already in the alignment's orientation).
    pub(crate) fn add(
        &mut self,
        panel: &Panel,
        reference: &Reference,
        alignment: &Alignment,
        bases: &[u8],
        qualities: &[u8],
        min_base_quality: u8,
    ) {
        self.mapped_reads += 1;
        let (mut r, mut q) = (alignment.ref_start, alignment.read_start);
        let last = alignment.ops.len().saturating_sub(1);
        for (index, &op) in alignment.ops.iter().enumerate() {
            match op {
                Op::Aligned(n) => {
                    for _ in 0..n {
                        if qualities[q] >= min_base_quality {
                            self.coverage[r] += 1;
                            if let Some(b) = base_index(bases[q]) {
                                self.bases[r][b] += 1;
                            }
                        }
                        r += 1;
                        q += 1;
                    }
                }
                Op::Deletion(n) => {
                    let n = n as usize;
                    for covered in &mut self.coverage[r..r + n] {
                        *covered += 1;
                    }
                    // r ≥ 1 inside the segment: an alignment never starts with a gap.
                    let anchor = reference.position(r - 1);
                    if index != last
                        && let Some(key) = panel.normalise(
                            anchor,
                            &reference.bases[r - 1..r + n],
                            &reference.bases[r - 1..r],
                        )
                    {
                        *self.indels.entry(key).or_default() += 1;
                    }
                    r += n;
                }
                Op::Insertion(n) => {
                    let n = n as usize;
                    let inserted = &bases[q..q + n];
                    let low_quality = qualities[q..q + n].iter().any(|&x| x < min_base_quality);
                    if index != last && !low_quality {
                        let anchor = reference.position(r - 1);
                        let mut alt = vec![reference.bases[r - 1]];
                        alt.extend_from_slice(inserted);
                        if let Some(key) = panel.normalise(anchor, &reference.bases[r - 1..r], &alt)
                        {
                            *self.indels.entry(key).or_default() += 1;
                        }
                    }
                    q += n;
                }
            }
        }
    }

    /// Adds another pileup's counts to this one.
    pub(crate) fn merge(&mut self, other: Pileup) {
        for (mine, theirs) in self.bases.iter_mut().zip(other.bases) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        for (a, b) in self.coverage.iter_mut().zip(other.coverage) {
            *a += b;
        }
        for (key, count) in other.indels {
            *self.indels.entry(key).or_default() += count;
        }
        self.mapped_reads += other.mapped_reads;
    }

    /// Reads covering a 1-based reference position (0 outside the panel).
    pub(crate) fn depth_at(&self, reference: &Reference, pos: u64) -> u32 {
        reference.index_of(pos).map_or(0, |i| self.coverage[i])
    }

    /// Calls SNVs and indels at or above the depth and allele-fraction thresholds, by position.
    pub(crate) fn call(&self, reference: &Reference, options: &Options) -> Vec<Call> {
        let mut calls = Vec::new();
        for (index, counts) in self.bases.iter().enumerate() {
            let depth: u32 = counts.iter().sum();
            if depth < options.min_depth || self.coverage[index] < options.min_depth {
                continue;
            }
            let reference_base = reference.bases[index];
            for (b, &count) in counts.iter().enumerate() {
                let fraction = f64::from(count) / f64::from(depth);
                if BASES[b] != reference_base
                    && count >= options.min_alt_reads
                    && fraction >= options.min_allele_fraction
                {
                    calls.push(Call {
                        pos: reference.position(index),
                        reference: vec![reference_base],
                        alt: vec![BASES[b]],
                        depth,
                        alt_reads: count,
                        alt_fraction: fraction,
                    });
                }
            }
        }
        for ((pos, reference_allele, alt), &count) in &self.indels {
            let depth = self.depth_at(reference, *pos);
            if depth < options.min_depth || count < options.min_alt_reads {
                continue;
            }
            let fraction = f64::from(count) / f64::from(depth);
            if fraction >= options.min_allele_fraction {
                calls.push(Call {
                    pos: *pos,
                    reference: reference_allele.clone(),
                    alt: alt.clone(),
                    depth,
                    alt_reads: count,
                    alt_fraction: fraction.min(1.0),
                });
            }
        }
        calls.sort_by(|a, b| (a.pos, &a.reference, &a.alt).cmp(&(b.pos, &b.reference, &b.alt)));
        calls
    }
}
