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
    /// Substitutions of several bases seen together on one read (mismatches at most
    /// [`PHASE_GAP`] apart), with their read counts: the codon changes of the catalogue.
    substitutions: HashMap<VariantKey, u32>,
    /// Alignments starting or ending at each position: near an indel they are reads that may
    /// carry it but do not reach far enough past it to show it (left out of its depth).
    read_ends: Vec<u32>,
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

/// Mismatches of one read at most this many bases apart form one substitution (the first and
/// last base of a codon are two apart).
const PHASE_GAP: usize = 2;

/// A run of nearby mismatches of one read: (first reference index, first read index, last
/// reference index, mismatches).
type MismatchRun = (usize, usize, usize, u32);

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
            substitutions: HashMap::new(),
            read_ends: vec![0; reference.bases.len()],
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
        if reference.barcode_only_at(alignment.ref_start) {
            self.add_barcode_sites(reference, alignment, bases, qualities, min_base_quality);
            return;
        }
        self.read_ends[alignment.ref_start] += 1;
        let (mut r, mut q) = (alignment.ref_start, alignment.read_start);
        let last = alignment.ops.len().saturating_sub(1);
        for (index, &op) in alignment.ops.iter().enumerate() {
            match op {
                Op::Aligned(n) => {
                    let mut run: Option<MismatchRun> = None;
                    for _ in 0..n {
                        let good = qualities[q] >= min_base_quality;
                        let counted = good.then(|| base_index(bases[q])).flatten();
                        if good {
                            self.coverage[r] += 1;
                            if let Some(b) = counted {
                                self.bases[r][b] += 1;
                            }
                        }
                        if counted.is_none() {
                            // A base that cannot be trusted ends a run of mismatches.
                            self.flush_run(reference, run.take(), bases);
                        } else if bases[q] != reference.bases[r] {
                            run = match run {
                                Some((r0, q0, last, count)) if r - last <= PHASE_GAP => {
                                    Some((r0, q0, r, count + 1))
                                }
                                other => {
                                    self.flush_run(reference, other, bases);
                                    Some((r, q, r, 1))
                                }
                            };
                        }
                        r += 1;
                        q += 1;
                    }
                    self.flush_run(reference, run, bases);
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
        if r > alignment.ref_start {
            self.read_ends[r - 1] += 1;
        }
    }

    /// A read in a segment around lineage barcode sites (no gene there): only its bases at the
    /// sites are counted, all the lineage call reads.
    fn add_barcode_sites(
        &mut self,
        reference: &Reference,
        alignment: &Alignment,
        bases: &[u8],
        qualities: &[u8],
        min_base_quality: u8,
    ) {
        let (mut r, mut q) = (alignment.ref_start, alignment.read_start);
        for &op in &alignment.ops {
            match op {
                Op::Aligned(n) => {
                    let n = n as usize;
                    for &site in reference.barcode_sites_in(r, r + n) {
                        let at = q + (site - r);
                        if qualities[at] >= min_base_quality {
                            self.coverage[site] += 1;
                            if let Some(b) = base_index(bases[at]) {
                                self.bases[site][b] += 1;
                            }
                        }
                    }
                    r += n;
                    q += n;
                }
                Op::Deletion(n) => {
                    for &site in reference.barcode_sites_in(r, r + n as usize) {
                        self.coverage[site] += 1;
                    }
                    r += n as usize;
                }
                Op::Insertion(n) => q += n as usize,
            }
        }
    }

    /// Counts a run of two or more nearby mismatches of one read as one substitution.
    fn flush_run(&mut self, reference: &Reference, run: Option<MismatchRun>, bases: &[u8]) {
        if let Some((r0, q0, last, count)) = run
            && count >= 2
        {
            let length = last - r0 + 1;
            let key = (
                reference.position(r0),
                reference.bases[r0..=last].to_vec(),
                bases[q0..q0 + length].to_vec(),
            );
            *self.substitutions.entry(key).or_default() += 1;
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
        for (a, b) in self.read_ends.iter_mut().zip(other.read_ends) {
            *a += b;
        }
        for (key, count) in other.substitutions {
            *self.substitutions.entry(key).or_default() += count;
        }
        self.mapped_reads += other.mapped_reads;
    }

    /// Reads covering a 1-based reference position (0 outside the panel).
    pub(crate) fn depth_at(&self, reference: &Reference, pos: u64) -> u32 {
        reference.index_of(pos).map_or(0, |i| self.coverage[i])
    }

    /// Reads per base (A, C, G, T, quality ≥ the minimum) at a 1-based position (0 outside the
    /// panel).
    pub(crate) fn base_counts_at(&self, reference: &Reference, pos: u64) -> [u32; 4] {
        reference.index_of(pos).map_or([0; 4], |i| self.bases[i])
    }

    /// Calls SNVs and indels at or above the depth and allele-fraction thresholds, by position.
    /// Multi-base substitutions whose reads carry the changes together replace the single-base
    /// calls they explain (a single-base call stays when enough reads carry it alone).
    pub(crate) fn call(&self, reference: &Reference, options: &Options) -> Vec<Call> {
        let mut calls = Vec::new();
        let passes = |count: u32, depth: u32| {
            depth >= options.min_depth
                && count >= options.min_alt_reads
                && f64::from(count) / f64::from(depth) >= options.min_allele_fraction
        };
        // Substitutions by decreasing support; one overlapping a better one is dropped.
        let mut substitutions: Vec<(&VariantKey, u32)> = self
            .substitutions
            .iter()
            .map(|(key, &count)| (key, count))
            .collect();
        substitutions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let mut explained: HashMap<(usize, usize), u32> = HashMap::new();
        let mut taken: Vec<(u64, u64)> = Vec::new();
        for ((pos, reference_allele, alt), count) in substitutions {
            let Some(first) = reference.index_of(*pos) else {
                continue;
            };
            let depth: u32 = self.bases[first].iter().sum();
            let end = pos + reference_allele.len() as u64;
            if !passes(count, depth) || self.coverage[first] < options.min_depth {
                continue;
            }
            if taken.iter().any(|&(s, e)| *pos < e && s < end) {
                continue;
            }
            taken.push((*pos, end));
            for (offset, (&r, &a)) in reference_allele.iter().zip(alt).enumerate() {
                if let Some(b) = base_index(a).filter(|_| r != a) {
                    *explained.entry((first + offset, b)).or_default() += count;
                }
            }
            calls.push(Call {
                pos: *pos,
                reference: reference_allele.clone(),
                alt: alt.clone(),
                depth,
                alt_reads: count,
                alt_fraction: f64::from(count) / f64::from(depth),
            });
        }
        for (index, counts) in self.bases.iter().enumerate() {
            let depth: u32 = counts.iter().sum();
            if depth < options.min_depth || self.coverage[index] < options.min_depth {
                continue;
            }
            let reference_base = reference.bases[index];
            for (b, &count) in counts.iter().enumerate() {
                let count = count - explained.get(&(index, b)).copied().unwrap_or(0).min(count);
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
            let Some(anchor) = reference.index_of(*pos) else {
                continue;
            };
            // Reads ending within the indel's length (plus 10) of it neither show it nor rule it
            // out: a long insertion is only seen on reads reaching well past both its sides.
            let (segment_start, segment_end) = reference.segment_bounds(anchor);
            let reach = END_NEAR_INDEL + reference_allele.len().max(alt.len()) - 1;
            let near = anchor.saturating_sub(reach).max(segment_start)
                ..(anchor + reference_allele.len() + reach).min(segment_end);
            let undecided: u32 = self.read_ends[near].iter().sum();
            let depth = self.coverage[anchor];
            if depth < options.min_depth || count < options.min_alt_reads {
                continue;
            }
            let informative = depth.saturating_sub(undecided).max(count);
            let fraction = f64::from(count) / f64::from(informative);
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
        // Reads ending inside an insertion or deletion often align their last bases as
        // mismatches or a short gap next to it: a call beside an indel with far more reads is
        // that echo.
        let indels: Vec<(u64, u64, u32)> = calls
            .iter()
            .filter(|c| c.reference.len() != c.alt.len())
            .map(|c| (c.pos, c.pos + c.reference.len() as u64, c.alt_reads))
            .collect();
        calls.retain(|c| {
            let mixed = c.alt_fraction < options.fixed_allele_fraction;
            c.reference.len() == c.alt.len() && c.reference.len() > 1
                || !indels.iter().any(|&(start, end, reads)| {
                    let outnumbered = reads >= 2 * c.alt_reads || (mixed && reads > c.alt_reads);
                    outnumbered && c.pos + INDEL_ECHO >= start && c.pos <= end + INDEL_ECHO
                })
        });
        calls.sort_by(|a, b| (a.pos, &a.reference, &a.alt).cmp(&(b.pos, &b.reference, &b.alt)));
        calls
    }

    /// Genes without reads while the bases around them are covered: deleted, with breakpoints
    /// beyond what reads crossing them show (reads across breakpoints inside the panel give exact
    /// deletions through split alignment instead). Reported as the deletion of the gene body.
    pub(crate) fn gene_deletions(
        &self,
        panel: &Panel,
        reference: &Reference,
        calls: &[Call],
        options: &Options,
    ) -> Vec<Call> {
        let mut deletions = Vec::new();
        for gene in &panel.genes {
            let mean = |range: std::ops::RangeInclusive<u64>| {
                let depths: Vec<u32> = range
                    .filter_map(|p| reference.index_of(p).map(|i| self.coverage[i]))
                    .collect();
                (!depths.is_empty()).then(|| {
                    depths.iter().map(|&d| f64::from(d)).sum::<f64>() / depths.len() as f64
                })
            };
            let flank = FLANK.min(gene.start.saturating_sub(1));
            let before = mean(gene.start - flank..=gene.start - 1);
            let after = mean(gene.end + 1..=gene.end + FLANK);
            let flanks: Vec<f64> = before.into_iter().chain(after).collect();
            let Some(body) = mean(gene.start..=gene.end) else {
                continue;
            };
            if flanks.is_empty() || gene.start < 2 {
                continue;
            }
            let flank_depth = flanks.iter().sum::<f64>() / flanks.len() as f64;
            let already_called = calls.iter().any(|call| {
                call.reference.len() > call.alt.len()
                    && call.pos < gene.end
                    && call.pos + call.reference.len() as u64 > gene.start
            });
            if flank_depth < f64::from(options.min_depth)
                || body > ABSENT_FRACTION * flank_depth
                || already_called
            {
                continue;
            }
            let Some(deleted) = panel.bases(gene.start - 1, (gene.end - gene.start + 2) as usize)
            else {
                continue;
            };
            deletions.push(Call {
                pos: gene.start - 1,
                reference: deleted.to_vec(),
                alt: deleted[..1].to_vec(),
                depth: flank_depth.round() as u32,
                alt_reads: 0,
                alt_fraction: 1.0 - body / flank_depth,
            });
        }
        deletions
    }
}

/// Reads ending this close to an indel (plus its length) are left out of its depth.
const END_NEAR_INDEL: usize = 10;

/// SNVs and indels this close to an indel with twice their reads (or, when mixed, more reads)
/// are dropped (as `bcftools filter --SnpGap/--IndelGap`).
const INDEL_ECHO: u64 = 5;

/// Bases either side of a gene whose depth tells a deleted gene from an uncovered one.
const FLANK: u64 = 200;
/// A gene whose mean depth is below this fraction of its flanks' is reported deleted.
const ABSENT_FRACTION: f64 = 0.05;
