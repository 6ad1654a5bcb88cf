//! Read alignment to the panel: a k-mer index rejects reads from elsewhere cheaply, then a local
//! alignment with affine gaps (Gotoh) places the rest inside a band around their seed diagonal.
//!
//! Segments that hold no gene (those around the lineage barcode's sites) serve SNV counts only:
//! their k-mers are indexed within [`BARCODE_INDEX_FLANK`] bases of a site, and a read whose
//! probe lands there is placed gap-free on that diagonal (clipped at the segment's ends) or not
//! at all — no seed clustering, no dynamic programming — so the many whole-genome reads
//! touching them cost little more than a rejected read.

use super::panel::Panel;

/// Seed length; 15-mers are unique in a bacterial panel and rarely hit by chance.
const K: usize = 15;
const KMER_MASK: u32 = (1 << (2 * K)) - 1;
/// Bits of the pre-filter (a Bloom filter setting two bits of one 64-bit word per k-mer).
const FILTER_BITS: u32 = 24;
/// K-mers of a barcode-only segment are indexed when they lie within this many bases of a site:
/// every read covering a site has at least this many bases on one side of it in the index, and
/// fewer reads that only graze a segment are looked at.
pub(crate) const BARCODE_INDEX_FLANK: u64 = 50;
/// Leading bits of a k-mer that pick its bucket in the index's directory.
const DIRECTORY_BITS: u32 = 18;
/// Mismatches allowed in a barcode-only segment's gap-free placement.
const BARCODE_MAX_MISMATCHES: usize = 2;
/// K-mers occurring more often than this in the panel are not used as seeds.
const MAX_OCCURRENCES: usize = 8;
/// Seeds on one diagonal (within [`BAND`]) needed to try an alignment: fewer are chance hits or
/// overlaps too short to reach the minimum score, and the dynamic programming is the costly part.
const MIN_SEED_HITS: usize = 10;
/// Seeds within this many diagonals count as one placement of the read.
pub(crate) const BAND: usize = 24;
/// Seeds this many diagonals away from the best cluster still widen the dynamic programming's
/// window (by [`BAND`] beyond them): the longest indel found inside one alignment is about this
/// (longer deletions are found by [`split_clipped`]).
pub(crate) const WINDOW_MARGIN: usize = 64;
/// Clipped read ends at least this long are placed again as the far side of a deletion.
pub(crate) const MIN_SPLIT: usize = 20;

/// Alignment scores (the ratios of BWA-MEM's defaults).
pub(crate) const MATCH: i32 = 1;
pub(crate) const MISMATCH: i32 = 4;
pub(crate) const GAP_OPEN: i32 = 6;
pub(crate) const GAP_EXTEND: i32 = 1;
/// Cost of leaving bases of a read end unaligned.
pub(crate) const CLIP: i32 = 5;
/// Cost of a gap of any length, when below `GAP_OPEN + length * GAP_EXTEND` (a two-piece affine
/// gap as minimap2's: long indels are not clipped away).
pub(crate) const LONG_GAP: i32 = 20;

/// One run of an alignment path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Read and reference bases aligned (match or mismatch).
    Aligned(u32),
    /// Read bases absent from the reference.
    Insertion(u32),
    /// Reference bases absent from the read.
    Deletion(u32),
}

/// A read placed on the panel's concatenated reference.
#[derive(Debug, Clone)]
pub(crate) struct Alignment {
    /// Whether the read aligned as its reverse complement.
    pub reverse: bool,
    /// Index in the concatenated reference of the first aligned base.
    pub ref_start: usize,
    /// Index in the (oriented) read of the first aligned base.
    pub read_start: usize,
    pub ops: Vec<Op>,
    pub score: i32,
}

/// The panel's segments laid end to end, with a k-mer index.
#[derive(Debug)]
pub(crate) struct Reference {
    pub bases: Vec<u8>,
    /// Per segment: (index of its first base in `bases`, its 1-based reference start).
    pub segments: Vec<(usize, u64)>,
    /// Per segment: whether it holds no gene (only lineage barcode sites).
    barcode_only: Vec<bool>,
    /// Indices in `bases` of the barcode sites lying in barcode-only segments, sorted: the only
    /// positions whose bases the pileup counts there.
    barcode_sites: Vec<usize>,
    filter: Vec<u64>,
    /// (k-mer, index of its first base), sorted.
    kmers: Vec<(u32, u32)>,
    /// Per value of a k-mer's leading [`DIRECTORY_BITS`] bits, where its k-mers start in `kmers`
    /// (one more entry closes the last bucket): a lookup reads two cache lines, not a binary
    /// search's twenty.
    directory: Vec<u32>,
}

impl Reference {
    pub(crate) fn new(panel: &Panel) -> Self {
        let mut bases = Vec::new();
        let mut segments = Vec::new();
        let mut barcode_only = Vec::new();
        let mut kmers = Vec::new();
        let mut sites: Vec<u64> = panel
            .barcode
            .as_ref()
            .map(|b| b.sites.iter().map(|s| s.pos).collect())
            .unwrap_or_default();
        sites.sort_unstable();
        for segment in &panel.segments {
            let offset = bases.len();
            segments.push((offset, segment.start));
            bases.extend_from_slice(&segment.sequence);
            let only_barcode = !panel.in_gene_segment(segment.start);
            barcode_only.push(only_barcode);
            // Whether the k-mer starting at this 1-based position lies within the flank of a site.
            let near_site = |first: u64| {
                let last = first + K as u64 - 1;
                let i = sites.partition_point(|&site| site + BARCODE_INDEX_FLANK < last);
                sites
                    .get(i)
                    .is_some_and(|&site| site <= first + BARCODE_INDEX_FLANK)
            };
            for (end, kmer) in kmers_of(&segment.sequence) {
                let first = end + 1 - K;
                if only_barcode && !near_site(segment.start + first as u64) {
                    continue;
                }
                kmers.push((kmer, (offset + first) as u32));
            }
        }
        kmers.sort_unstable();
        // Drop repetitive k-mers: they would seed everywhere.
        let mut kept = Vec::with_capacity(kmers.len());
        for run in kmers.chunk_by(|a, b| a.0 == b.0) {
            if run.len() <= MAX_OCCURRENCES {
                kept.extend_from_slice(run);
            }
        }
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        for &(kmer, _) in &kept {
            let (word, mask) = filter_bits(kmer);
            filter[word] |= mask;
        }
        let mut directory = Vec::with_capacity((1 << DIRECTORY_BITS) + 1);
        for bucket in 0..=(1u32 << DIRECTORY_BITS) {
            let first = kept.partition_point(|&(kmer, _)| bucket_of(kmer) < bucket);
            directory.push(u32::try_from(first).unwrap_or(u32::MAX));
        }
        let mut reference = Self {
            bases,
            segments,
            barcode_only,
            barcode_sites: Vec::new(),
            filter,
            kmers: kept,
            directory,
        };
        let mut barcode_sites: Vec<usize> = sites
            .iter()
            .filter_map(|&pos| reference.index_of(pos))
            .filter(|&index| reference.segment_at(index).2)
            .collect();
        barcode_sites.sort_unstable();
        barcode_sites.dedup();
        reference.barcode_sites = barcode_sites;
        reference
    }

    /// The segment holding concatenated index `index`: (its first index, its end index).
    pub(crate) fn segment_bounds(&self, index: usize) -> (usize, usize) {
        let (start, end, _) = self.segment_at(index);
        (start, end)
    }

    /// Whether concatenated index `index` lies in a barcode-only segment.
    pub(crate) fn barcode_only_at(&self, index: usize) -> bool {
        self.segment_at(index).2
    }

    /// The barcode sites (concatenated indices) in `[from, to)` of a barcode-only segment.
    pub(crate) fn barcode_sites_in(&self, from: usize, to: usize) -> &[usize] {
        let first = self.barcode_sites.partition_point(|&i| i < from);
        let last = first + self.barcode_sites[first..].partition_point(|&i| i < to);
        &self.barcode_sites[first..last]
    }

    /// The segment holding concatenated index `index`: (its first index, its end index, whether
    /// it holds barcode sites only).
    fn segment_at(&self, index: usize) -> (usize, usize, bool) {
        let i = self
            .segments
            .partition_point(|&(offset, _)| offset <= index)
            - 1;
        let end = self
            .segments
            .get(i + 1)
            .map_or(self.bases.len(), |&(offset, _)| offset);
        (self.segments[i].0, end, self.barcode_only[i])
    }

    /// The 1-based reference position of a concatenated index.
    pub(crate) fn position(&self, index: usize) -> u64 {
        let i = self
            .segments
            .partition_point(|&(offset, _)| offset <= index)
            - 1;
        self.segments[i].1 + (index - self.segments[i].0) as u64
    }

    /// The concatenated index of a 1-based reference position, if the panel carries it.
    pub(crate) fn index_of(&self, pos: u64) -> Option<usize> {
        let i = self
            .segments
            .partition_point(|&(_, start)| start <= pos)
            .checked_sub(1)?;
        let (offset, start) = self.segments[i];
        let index = offset + (pos - start) as usize;
        let end = self
            .segments
            .get(i + 1)
            .map_or(self.bases.len(), |&(next, _)| next);
        (index < end).then_some(index)
    }

    /// Whether the k-mer may be in the panel (no false negatives).
    fn may_contain(&self, kmer: u32) -> bool {
        let (word, mask) = filter_bits(kmer);
        self.filter[word] & mask == mask
    }

    fn hits(&self, kmer: u32) -> &[(u32, u32)] {
        if !self.may_contain(kmer) {
            return &[];
        }
        let bucket = bucket_of(kmer) as usize;
        let (start, end) = (
            self.directory[bucket] as usize,
            self.directory[bucket + 1] as usize,
        );
        let candidates = &self.kmers[start..end];
        let from = candidates.partition_point(|&(k, _)| k < kmer);
        let to = from + candidates[from..].partition_point(|&(k, _)| k == kmer);
        &candidates[from..to]
    }
}

/// The directory bucket of a k-mer: its leading bases.
fn bucket_of(kmer: u32) -> u32 {
    kmer >> (2 * K as u32 - DIRECTORY_BITS)
}

/// The filter word of a k-mer and the two bits it sets there (one memory access per probe).
fn filter_bits(kmer: u32) -> (usize, u64) {
    let word = (kmer.wrapping_mul(0x9E37_79B1) >> (32 - (FILTER_BITS - 6))) as usize;
    let bits = kmer.wrapping_mul(0x85EB_CA6B) >> 20;
    (word, (1 << (bits & 63)) | (1 << ((bits >> 6) & 63)))
}

fn code(base: u8) -> Option<u32> {
    match base {
        b'A' => Some(0),
        b'C' => Some(1),
        b'G' => Some(2),
        b'T' => Some(3),
        _ => None,
    }
}

/// (index of the last base, 2-bit packed k-mer) of every k-mer without N.
fn kmers_of(bases: &[u8]) -> impl Iterator<Item = (usize, u32)> + '_ {
    let mut kmer = 0u32;
    let mut valid = 0usize;
    bases
        .iter()
        .enumerate()
        .filter_map(move |(i, &b)| match code(b) {
            Some(c) => {
                kmer = ((kmer << 2) | c) & KMER_MASK;
                valid += 1;
                (valid >= K).then_some((i, kmer))
            }
            None => {
                valid = 0;
                None
            }
        })
}

/// The reverse complement of upper-case bases: reversed, with A↔T and C↔G; any other byte
/// (an `N`, a lower-case base) is kept as it is.
///
/// ```
/// use genoflow_genomics::analysis::reverse_complement;
///
/// assert_eq!(reverse_complement(b"AACGTN"), b"NACGTT");
/// ```
pub fn reverse_complement(bases: &[u8]) -> Vec<u8> {
    bases
        .iter()
        .rev()
        .map(|&b| match b {
            b'A' => b'T',
            b'C' => b'G',
            b'G' => b'C',
            b'T' => b'A',
            other => other,
        })
        .collect()
}

/// Reusable dynamic-programming matrices (one set per thread).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    aligned: Vec<i32>,
    insertion: Vec<i32>,
    deletion: Vec<i32>,
    long_insertion: Vec<i32>,
    long_deletion: Vec<i32>,
}

const NEG: i32 = i32::MIN / 4;

/// The seeds of one orientation: hits and diagonal range of the best cluster, and the range of
/// every diagonal within [`WINDOW_MARGIN`] of it (seeds beyond a long indel).
#[derive(Debug, Clone, Copy)]
struct Seeds {
    hits: usize,
    low: i64,
    high: i64,
    wide_low: i64,
    wide_high: i64,
}

/// Best seed diagonal of one orientation.
fn best_diagonal(reference: &Reference, read: &[u8]) -> Option<Seeds> {
    let mut diagonals: Vec<i64> = Vec::new();
    for (end, kmer) in kmers_of(read) {
        let read_pos = (end + 1 - K) as i64;
        diagonals.extend(
            reference
                .hits(kmer)
                .iter()
                .map(|&(_, pos)| i64::from(pos) - read_pos),
        );
    }
    if diagonals.len() < MIN_SEED_HITS {
        return None;
    }
    diagonals.sort_unstable();
    let mut best: Option<(usize, i64, i64)> = None;
    let mut from = 0;
    for to in 0..diagonals.len() {
        while diagonals[to] - diagonals[from] > BAND as i64 {
            from += 1;
        }
        let hits = to - from + 1;
        if best.is_none_or(|(h, _, _)| hits > h) {
            best = Some((hits, diagonals[from], diagonals[to]));
        }
    }
    let (hits, low, high) = best.filter(|&(hits, _, _)| hits >= MIN_SEED_HITS)?;
    let margin = WINDOW_MARGIN as i64;
    let near = diagonals
        .iter()
        .filter(|&&d| d >= low - margin && d <= high + margin);
    Some(Seeds {
        hits,
        low,
        high,
        wide_low: near.clone().min().copied().unwrap_or(low),
        wide_high: near.max().copied().unwrap_or(high),
    })
}

/// Every how many read positions [`probe`] looks up a k-mer.
const PROBE_STRIDE: usize = 8;

/// What the probes of a read found.
enum Probed {
    /// No probe hit the panel: the read is from elsewhere.
    Miss,
    /// A probe hit a gene segment: align the read in full.
    Gene,
    /// Placed gap-free in a barcode-only segment.
    Barcode(Alignment),
}

/// Cheap rejection of reads from elsewhere: looks up (behind the pre-filter) every
/// [`PROBE_STRIDE`]th k-mer of the read and of its reverse complement (rolled together). A read
/// with [`MIN_SEED_HITS`] seeds on the panel has some of them among the probes. A probe landing in
/// a barcode-only segment places the read there gap-free ([`ungapped_clipped`]); when that fails
/// the probing goes on (a later probe may hit a gene segment).
fn probe(reference: &Reference, read: &[u8]) -> Probed {
    let (mut forward, mut reverse, mut valid) = (0u32, 0u32, 0usize);
    // The last barcode diagonal tried per orientation: the read's other probes fall on it too.
    let mut tried: [Option<i64>; 2] = [None, None];
    let mut reversed: Option<Vec<u8>> = None;
    for (i, &base) in read.iter().enumerate() {
        let Some(c) = code(base) else {
            valid = 0;
            continue;
        };
        forward = ((forward << 2) | c) & KMER_MASK;
        reverse = (reverse >> 2) | ((3 - c) << (2 * (K - 1)));
        valid += 1;
        if valid < K || i % PROBE_STRIDE != 0 {
            continue;
        }
        for (is_reverse, kmer) in [(false, forward), (true, reverse)] {
            // Index of the k-mer's first base in the read as aligned (reverse-complemented or not).
            let read_pos = if is_reverse {
                read.len() - 1 - i
            } else {
                i + 1 - K
            } as i64;
            for &(_, pos) in reference.hits(kmer) {
                let (start, end, only_barcode) = reference.segment_at(pos as usize);
                if !only_barcode {
                    return Probed::Gene;
                }
                let diagonal = i64::from(pos) - read_pos;
                if tried[usize::from(is_reverse)] == Some(diagonal) {
                    continue;
                }
                tried[usize::from(is_reverse)] = Some(diagonal);
                let oriented: &[u8] = if is_reverse {
                    reversed.get_or_insert_with(|| reverse_complement(read))
                } else {
                    read
                };
                if let Some(alignment) = ungapped_clipped(reference, oriented, diagonal, start, end)
                {
                    return Probed::Barcode(Alignment {
                        reverse: is_reverse,
                        ..alignment
                    });
                }
            }
        }
    }
    Probed::Miss
}

/// A gap-free placement on `diagonal` of the part of the read inside the segment
/// `[start, end)`, the rest clipped: at most [`BARCODE_MAX_MISMATCHES`] mismatches and the score
/// of [`min_score`] on the aligned part.
fn ungapped_clipped(
    reference: &Reference,
    read: &[u8],
    diagonal: i64,
    start: usize,
    end: usize,
) -> Option<Alignment> {
    let first = usize::try_from((start as i64 - diagonal).max(0)).ok()?;
    let last = usize::try_from((end as i64 - diagonal).min(read.len() as i64)).ok()?;
    if last <= first {
        return None;
    }
    let ref_start = usize::try_from(diagonal + first as i64).ok()?;
    let window = &reference.bases[ref_start..ref_start + (last - first)];
    let mut mismatches = 0;
    for (&a, &b) in read[first..last].iter().zip(window) {
        if a != b || a == b'N' {
            mismatches += 1;
            if mismatches > BARCODE_MAX_MISMATCHES {
                return None;
            }
        }
    }
    let length = (last - first) as i32;
    let clipped = i32::from(first > 0) + i32::from(last < read.len());
    let score =
        (length - mismatches as i32) * MATCH - mismatches as i32 * MISMATCH - clipped * CLIP;
    (score >= min_score(read.len())).then(|| Alignment {
        reverse: false,
        ref_start,
        read_start: first,
        ops: vec![Op::Aligned((last - first) as u32)],
        score,
    })
}

/// Lowest alignment score accepted: half the read length, at least 30.
fn min_score(length: usize) -> i32 {
    (i32::try_from(length).unwrap_or(i32::MAX) / 2).max(30)
}

/// Aligns a read (and its reverse complement) to the panel; `None` when it does not belong.
pub(crate) fn align(
    reference: &Reference,
    read: &[u8],
    scratch: &mut Scratch,
) -> Option<Alignment> {
    match probe(reference, read) {
        Probed::Miss => return None,
        Probed::Barcode(alignment) => return Some(alignment),
        Probed::Gene => {}
    }
    let min_score = min_score(read.len());
    let reverse = reverse_complement(read);
    let forward_seed = best_diagonal(reference, read);
    let reverse_seed = best_diagonal(reference, &reverse);
    let (is_reverse, seeds) = match (forward_seed, reverse_seed) {
        (Some(f), Some(r)) if r.hits > f.hits => (true, r),
        (Some(f), _) => (false, f),
        (None, Some(r)) => (true, r),
        (None, None) => return None,
    };
    let oriented: &[u8] = if is_reverse { &reverse } else { read };
    let Seeds { low, high, .. } = seeds;
    let anchor = usize::try_from(low.max(0))
        .ok()?
        .min(reference.bases.len() - 1);
    let (segment_start, segment_end, only_barcode) = reference.segment_at(anchor);
    if only_barcode {
        // The best seeds lie in a barcode-only segment the probes could not place the read in.
        return None;
    }
    // The window reaches seeds beyond an indel, and BAND bases past the outermost ones.
    let band = BAND as i64;
    let window_start = usize::try_from((seeds.wide_low - band).max(segment_start as i64)).ok()?;
    let window_end =
        usize::try_from((seeds.wide_high + oriented.len() as i64 + band).min(segment_end as i64))
            .ok()?;
    if window_end <= window_start {
        return None;
    }
    if low == high
        && let Some(alignment) = ungapped(reference, oriented, low, segment_start, segment_end)
    {
        return Some(Alignment {
            reverse: is_reverse,
            ..alignment
        });
    }
    let window = &reference.bases[window_start..window_end];
    // Only the diagonals of the seeds, BAND either side, can hold the alignment.
    let band = (
        seeds.wide_low - window_start as i64 - BAND as i64,
        seeds.wide_high - window_start as i64 + BAND as i64,
    );
    let mut alignment = local_align(oriented, window, band, scratch)?;
    if alignment.score < min_score {
        return None;
    }
    alignment.reverse = is_reverse;
    alignment.ref_start += window_start;
    split_clipped(
        reference,
        oriented,
        &mut alignment,
        segment_start,
        segment_end,
    );
    Some(alignment)
}

/// Bases of the reference an alignment covers.
fn reference_span(ops: &[Op]) -> usize {
    ops.iter()
        .map(|&op| match op {
            Op::Aligned(n) | Op::Deletion(n) => n as usize,
            Op::Insertion(_) => 0,
        })
        .sum()
}

/// The longest deletion [`split_clipped`] joins: a whole gene of the panel and more.
const MAX_SPLIT_DELETION: usize = 20_000;

/// A read across a deletion longer than the window aligns on one side and is clipped at the
/// breakpoint. Places a clipped end of at least [`MIN_SPLIT`] bases gap-free (≤ 1 mismatch) on
/// the far side, in the same segment, and joins both parts with a deletion.
pub(crate) fn split_clipped(
    reference: &Reference,
    read: &[u8],
    alignment: &mut Alignment,
    segment_start: usize,
    segment_end: usize,
) {
    let aligned_read: usize = alignment
        .ops
        .iter()
        .map(|&op| match op {
            Op::Aligned(n) | Op::Insertion(n) => n as usize,
            Op::Deletion(_) => 0,
        })
        .sum();
    let read_end = alignment.read_start + aligned_read;
    let ref_end = alignment.ref_start + reference_span(&alignment.ops);
    let places = |part: &[u8], at: usize| {
        at >= segment_start
            && at + part.len() <= segment_end
            && part
                .iter()
                .zip(&reference.bases[at..at + part.len()])
                .filter(|(a, b)| a != b || **a == b'N')
                .count()
                <= 1
    };
    let tail = &read[read_end..];
    if tail.len() >= MIN_SPLIT {
        // The tail's first k-mer, found downstream: the nearest placement wins.
        let best = kmers_of(&tail[..K])
            .next()
            .into_iter()
            .flat_map(|(_, kmer)| reference.hits(kmer))
            .map(|&(_, at)| at as usize)
            .filter(|&at| at > ref_end && at - ref_end <= MAX_SPLIT_DELETION && places(tail, at))
            .min();
        if let Some(at) = best {
            alignment.ops.push(Op::Deletion((at - ref_end) as u32));
            alignment.ops.push(Op::Aligned(tail.len() as u32));
            alignment.score += tail.len() as i32 * MATCH - LONG_GAP;
        }
    }
    let head = &read[..alignment.read_start];
    if head.len() >= MIN_SPLIT {
        // The head's last k-mer, found upstream.
        let best = kmers_of(&head[head.len() - K..])
            .next()
            .into_iter()
            .flat_map(|(_, kmer)| reference.hits(kmer))
            .filter_map(|&(_, at)| (at as usize).checked_sub(head.len() - K))
            .filter(|&at| {
                at + head.len() < alignment.ref_start
                    && alignment.ref_start - (at + head.len()) <= MAX_SPLIT_DELETION
                    && places(head, at)
            })
            .max();
        if let Some(at) = best {
            let deleted = alignment.ref_start - (at + head.len());
            alignment.ops.splice(
                0..0,
                [Op::Aligned(head.len() as u32), Op::Deletion(deleted as u32)],
            );
            alignment.ref_start = at;
            alignment.read_start = 0;
            alignment.score += head.len() as i32 * MATCH - LONG_GAP;
        }
    }
}

/// Most reads lie on one seed diagonal with few mismatches: the dynamic programming would return
/// the same gap-free alignment, so take it directly. `None` sends the read to [`local_align`].
fn ungapped(
    reference: &Reference,
    read: &[u8],
    diagonal: i64,
    segment_start: usize,
    segment_end: usize,
) -> Option<Alignment> {
    let start = usize::try_from(diagonal).ok()?;
    if start < segment_start || start + read.len() > segment_end {
        return None;
    }
    let window = &reference.bases[start..start + read.len()];
    let mut mismatches = [0usize; 2];
    let mut count = 0;
    for (i, (&a, &b)) in read.iter().zip(window).enumerate() {
        if a != b || a == b'N' {
            if count == mismatches.len() {
                return None;
            }
            mismatches[count] = i;
            count += 1;
        }
    }
    // Two mismatches within the last (or first) four bases: clipping them scores better.
    let near_start = |i: usize| i < 4;
    let near_end = |i: usize| i + 4 >= read.len();
    if count == 2
        && ((near_start(mismatches[0]) && near_start(mismatches[1]))
            || (near_end(mismatches[0]) && near_end(mismatches[1])))
    {
        return None;
    }
    let length = read.len() as i32;
    let score = (length - count as i32) * MATCH - count as i32 * MISMATCH;
    (score >= min_score(read.len())).then(|| Alignment {
        reverse: false,
        ref_start: start,
        read_start: 0,
        ops: vec![Op::Aligned(read.len() as u32)],
        score,
    })
}

/// Local alignment where leaving read ends unaligned costs [`CLIP`] and the reference ends are
/// free, inside the band of diagonals `band` (window index minus read index, inclusive).
fn local_align(
    read: &[u8],
    window: &[u8],
    band: (i64, i64),
    scratch: &mut Scratch,
) -> Option<Alignment> {
    let (n, m) = (read.len(), window.len());
    let width = m + 1;
    let cells = (n + 1) * width;
    for matrix in [
        &mut scratch.aligned,
        &mut scratch.insertion,
        &mut scratch.deletion,
        &mut scratch.long_insertion,
        &mut scratch.long_deletion,
    ] {
        matrix.clear();
        matrix.resize(cells, NEG);
    }
    let start_cost = |i: usize| if i == 0 { 0 } else { -CLIP };
    let (mm, ins, del, long_ins, long_del) = (
        &mut scratch.aligned,
        &mut scratch.insertion,
        &mut scratch.deletion,
        &mut scratch.long_insertion,
        &mut scratch.long_deletion,
    );
    mm[..=m].fill(0);
    let mut best = (NEG, 0usize, 0usize);
    for i in 1..=n {
        let row = i * width;
        let above = row - width;
        let from = usize::try_from(i as i64 + band.0).unwrap_or(0).max(1);
        let to = usize::try_from(i as i64 + band.1).unwrap_or(0).min(m);
        for j in from..=to {
            let c = row + j;
            let substitution = if read[i - 1] == window[j - 1] && read[i - 1] != b'N' {
                MATCH
            } else {
                -MISMATCH
            };
            let best_above = best_of(mm, ins, del, long_ins, long_del, above + j);
            let best_left = best_of(mm, ins, del, long_ins, long_del, c - 1);
            let previous =
                best_of(mm, ins, del, long_ins, long_del, above + j - 1).max(start_cost(i - 1));
            mm[c] = previous + substitution;
            ins[c] = (best_above - GAP_OPEN - GAP_EXTEND).max(ins[above + j] - GAP_EXTEND);
            del[c] = (best_left - GAP_OPEN - GAP_EXTEND).max(del[c - 1] - GAP_EXTEND);
            long_ins[c] = (best_above - LONG_GAP).max(long_ins[above + j]);
            long_del[c] = (best_left - LONG_GAP).max(long_del[c - 1]);
            let end_score = mm[c] - if i == n { 0 } else { CLIP };
            if end_score > best.0 {
                best = (end_score, i, j);
            }
        }
    }
    let (score, mut i, mut j) = best;
    if score <= 0 {
        return None;
    }
    // Trace back from a match state.
    let mut ops_reversed: Vec<Op> = Vec::new();
    let push = |ops: &mut Vec<Op>, op: Op| match (ops.last_mut(), op) {
        (Some(Op::Aligned(n)), Op::Aligned(k))
        | (Some(Op::Insertion(n)), Op::Insertion(k))
        | (Some(Op::Deletion(n)), Op::Deletion(k)) => *n += k,
        _ => ops.push(op),
    };
    let mut state = State::Aligned;
    loop {
        let c = i * width + j;
        match state {
            State::Aligned => {
                push(&mut ops_reversed, Op::Aligned(1));
                let substitution = if read[i - 1] == window[j - 1] && read[i - 1] != b'N' {
                    MATCH
                } else {
                    -MISMATCH
                };
                let previous = mm[c] - substitution;
                i -= 1;
                j -= 1;
                if i == 0 || j == 0 {
                    break;
                }
                let p = i * width + j;
                state = if previous == mm[p] {
                    State::Aligned
                } else if previous == del[p] {
                    State::Deletion
                } else if previous == ins[p] {
                    State::Insertion
                } else if previous == long_del[p] {
                    State::LongDeletion
                } else if previous == long_ins[p] {
                    State::LongInsertion
                } else {
                    break; // the alignment starts here, the read before it clipped
                };
            }
            State::Insertion | State::LongInsertion => {
                push(&mut ops_reversed, Op::Insertion(1));
                let extended = if state == State::Insertion {
                    ins[c] == ins[c - width] - GAP_EXTEND
                } else {
                    long_ins[c] == long_ins[c - width]
                };
                i -= 1;
                if i == 0 {
                    break;
                }
                if !extended {
                    state = opened_from(mm, ins, del, long_ins, long_del, c - width);
                }
            }
            State::Deletion | State::LongDeletion => {
                push(&mut ops_reversed, Op::Deletion(1));
                let extended = if state == State::Deletion {
                    del[c] == del[c - 1] - GAP_EXTEND
                } else {
                    long_del[c] == long_del[c - 1]
                };
                j -= 1;
                if j == 0 {
                    break;
                }
                if !extended {
                    state = opened_from(mm, ins, del, long_ins, long_del, c - 1);
                }
            }
        }
    }
    let mut ops: Vec<Op> = ops_reversed.into_iter().rev().collect();
    let (mut read_start, mut ref_start) = (i, j);
    while let Some(&op) = ops.first() {
        match op {
            Op::Insertion(k) => read_start += k as usize,
            Op::Deletion(k) => ref_start += k as usize,
            Op::Aligned(_) => break,
        }
        ops.remove(0);
    }
    Some(Alignment {
        reverse: false,
        ref_start,
        read_start,
        ops,
        score,
    })
}

/// The best score of a cell over every state.
fn best_of(
    mm: &[i32],
    ins: &[i32],
    del: &[i32],
    long_ins: &[i32],
    long_del: &[i32],
    c: usize,
) -> i32 {
    mm[c]
        .max(ins[c])
        .max(del[c])
        .max(long_ins[c])
        .max(long_del[c])
}

/// Traceback state: which matrix the path is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Aligned,
    Insertion,
    Deletion,
    LongInsertion,
    LongDeletion,
}

/// The state a gap was opened from (the best at that cell, matches preferred).
fn opened_from(
    mm: &[i32],
    ins: &[i32],
    del: &[i32],
    long_ins: &[i32],
    long_del: &[i32],
    c: usize,
) -> State {
    let best = best_of(mm, ins, del, long_ins, long_del, c);
    if best == mm[c] {
        State::Aligned
    } else if best == del[c] {
        State::Deletion
    } else if best == ins[c] {
        State::Insertion
    } else if best == long_del[c] {
        State::LongDeletion
    } else {
        State::LongInsertion
    }
}
