//! Species and sample QC: how much of the sample is M. tuberculosis complex (MTBC).
//!
//! The panel may carry `mtbc-sketch.bin`, a FracMinHash sketch of the canonical 21-mers of the
//! whole H37Rv genome (the built-in panel does; `shared/genomics/panels/mtbc_sketch.py` writes
//! it). While the reads stream through the analysis, every canonical 21-mer of every read is
//! hashed the same way; those whose hash falls below the sketch's bound are *sampled*, and a
//! sampled k-mer found in the sketch is a *hit*. Other MTBC lineages, M. bovis and BCG differ from
//! H37Rv by far less than 1 %, so nearly every error-free k-mer of their reads is a hit; the
//! k-mers of other organisms almost never are.
//!
//! Sequencing errors also break k-mers, so the hits are compared with what a pure MTBC sample of
//! the same base qualities would give: each sampled k-mer counts the probability that all its
//! bases are right (from their Phred qualities). [`Species::mtbc_fraction`] is hits / that
//! expectation, capped at 1. The verdict and its thresholds are in [`verdict`] and
//! docs/ANALYSIS.md ("Species and sample QC"), with the measurements behind them.

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::report::Report;

/// The file of a panel directory holding the sketch.
pub const SKETCH_FILE: &str = "mtbc-sketch.bin";
const MAGIC: &[u8; 8] = b"GFSKETCH";
const VERSION: u32 = 1;
/// Largest k a sketch may use (a k-mer's 2-bit code fits in a `u64`).
const MAX_K: u32 = 32;

/// Fewest sampled k-mers for a verdict: below, the fraction's sampling error (about 3.5 points at
/// 200 k-mers and a fraction of 0.6) is too wide to judge, and the verdict is `unknown`.
pub const MIN_KMERS_SAMPLED: u64 = 200;
/// At or above this MTBC fraction the sample is `mtbc`; below it, `contaminated` (no drug is
/// called susceptible).
pub const MTBC_MIN_FRACTION: f64 = 0.6;
/// Below this MTBC fraction the sample is `not_mtbc`.
pub const NOT_MTBC_MAX_FRACTION: f64 = 0.1;
/// The error correction assumes at least this share of sampled k-mers error-free in a pure
/// MTBC sample (about 1 % errors a base at k = 21), whatever the qualities say: qualities that
/// overstate errors cannot lift a contaminated sample above [`MTBC_MIN_FRACTION`].
pub const MIN_ERROR_FREE_SHARE: f64 = 0.8;
/// An `mtbc` sample below this fraction says how much of it is something else.
pub const CLEAN_FRACTION: f64 = 0.9;

/// Every read among the first this many of each input has its k-mers checked ...
pub const CHECK_ALL_READS: u64 = 10_000;
/// ... and after them one read in this many (by record number, so the same reads whatever the
/// threads): enough k-mers for a precise fraction at a small cost (docs/ANALYSIS.md).
pub const CHECK_ONE_READ_IN: u64 = 16;

/// Whether the read with this 0-based record number in its input has its k-mers checked.
pub(crate) fn is_checked(index: u64) -> bool {
    index < CHECK_ALL_READS || index.is_multiple_of(CHECK_ONE_READ_IN)
}

/// Reason given to drugs when the sample is not MTBC.
pub const NOT_MTBC_REASON: &str = "the sample is not M. tuberculosis complex";
/// Reason given to drugs when the sample is mostly contaminated.
pub const CONTAMINATED_REASON: &str = "the sample is mostly contaminated";

/// A FracMinHash sketch: the sorted hashes below [`Sketch::bound`] of a genome's canonical
/// k-mers.
#[derive(Clone, PartialEq, Eq)]
pub struct Sketch {
    k: u32,
    bound: u64,
    hashes: Vec<u64>,
    sha256: String,
}

impl fmt::Debug for Sketch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sketch")
            .field("k", &self.k)
            .field("bound", &self.bound)
            .field("hashes", &self.hashes.len())
            .field("sha256", &self.sha256)
            .finish()
    }
}

impl Sketch {
    /// Reads a sketch file (layout in `shared/genomics/panels/mtbc_sketch.py`): the magic
    /// `GFSKETCH`, u32 version 1, u32 k, u64 bound, u64 count, then `count` strictly increasing
    /// u64 hashes below the bound, all little-endian.
    ///
    /// ```
    /// use genoflow_genomics::analysis::Sketch;
    /// let mut bytes = b"GFSKETCH".to_vec();
    /// for field in [1u32, 21] { bytes.extend(field.to_le_bytes()); }
    /// for field in [u64::MAX / 200, 2, 5, 9] { bytes.extend(field.to_le_bytes()); }
    /// let sketch = Sketch::from_bytes(&bytes).unwrap();
    /// assert_eq!((sketch.k(), sketch.len()), (21, 2));
    /// assert!(Sketch::from_bytes(&bytes[..30]).is_err());
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let word = |at: usize, width: usize| -> Result<u64, String> {
            let field = bytes
                .get(at..at + width)
                .ok_or_else(|| format!("cut short at byte {at}"))?;
            let mut padded = [0u8; 8];
            padded[..width].copy_from_slice(field);
            Ok(u64::from_le_bytes(padded))
        };
        if bytes.get(..8) != Some(MAGIC.as_slice()) {
            return Err("not a GenoFlow sketch (no GFSKETCH magic)".to_owned());
        }
        let version = word(8, 4)?;
        if version != u64::from(VERSION) {
            return Err(format!("sketch version {version}, expected {VERSION}"));
        }
        let k = word(12, 4)? as u32;
        if !(1..=MAX_K).contains(&k) {
            return Err(format!("k = {k} is outside 1..={MAX_K}"));
        }
        let bound = word(16, 8)?;
        let count = word(24, 8)?;
        let body = &bytes[32.min(bytes.len())..];
        if Some(body.len() as u64) != count.checked_mul(8) {
            return Err(format!(
                "{count} hashes announced, {} bytes follow the header",
                body.len()
            ));
        }
        let hashes: Vec<u64> = body
            .chunks_exact(8)
            .map(|chunk| u64::from_le_bytes(chunk.try_into().unwrap_or_default()))
            .collect();
        if hashes.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err("the hashes are not strictly increasing".to_owned());
        }
        if hashes.last().is_some_and(|&last| last >= bound) {
            return Err("a hash is not below the bound".to_owned());
        }
        Ok(Self {
            k,
            bound,
            hashes,
            sha256: hex::encode(Sha256::digest(bytes)),
        })
    }

    /// The sketch of `sequence`'s canonical k-mers with hashes below `bound`, as
    /// `mtbc_sketch.py` builds it (for tests and other genomes).
    pub fn of_sequence(sequence: &[u8], k: u32, bound: u64) -> Self {
        let mut hashes = Vec::new();
        for_each_hash(sequence, k, |_, hash| {
            if hash < bound {
                hashes.push(hash);
            }
        });
        hashes.sort_unstable();
        hashes.dedup();
        let mut bytes = MAGIC.to_vec();
        bytes.extend(VERSION.to_le_bytes());
        bytes.extend(k.to_le_bytes());
        bytes.extend(bound.to_le_bytes());
        bytes.extend((hashes.len() as u64).to_le_bytes());
        for hash in &hashes {
            bytes.extend(hash.to_le_bytes());
        }
        Self {
            k,
            bound,
            hashes,
            sha256: hex::encode(Sha256::digest(&bytes)),
        }
    }

    /// The k-mer length.
    pub fn k(&self) -> u32 {
        self.k
    }

    /// Hashes strictly below this are kept (`2^64 / scale`).
    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// Number of hashes.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the sketch holds no hash.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// SHA-256 (hex) of the sketch file's bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    fn contains(&self, hash: u64) -> bool {
        self.hashes.binary_search(&hash).is_ok()
    }
}

/// SplitMix64's output function of `code + 0x9E3779B97F4A7C15`: the k-mer hash (the same as
/// `mix` in `mtbc_sketch.py`).
pub fn hash(code: u64) -> u64 {
    let mut z = code.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 2-bit code of a base (A 0, C 1, G 2, T 3; either case), 4 for anything else.
const CODES: [u8; 256] = {
    let mut table = [4u8; 256];
    table[b'A' as usize] = 0;
    table[b'C' as usize] = 1;
    table[b'G' as usize] = 2;
    table[b'T' as usize] = 3;
    table[b'a' as usize] = 0;
    table[b'c' as usize] = 1;
    table[b'g' as usize] = 2;
    table[b't' as usize] = 3;
    table
};

/// Calls `each(index of the k-mer's last base, hash)` for every canonical k-mer of `bases`
/// without a base other than ACGT.
fn for_each_hash(bases: &[u8], k: u32, mut each: impl FnMut(usize, u64)) {
    let mask = if k == 32 {
        u64::MAX
    } else {
        (1u64 << (2 * k)) - 1
    };
    let shift = 2 * (k - 1);
    let (mut forward, mut reverse, mut valid) = (0u64, 0u64, 0u32);
    for (i, &base) in bases.iter().enumerate() {
        let code = CODES[base as usize];
        if code > 3 {
            valid = 0;
            continue;
        }
        let code = u64::from(code);
        forward = ((forward << 2) | code) & mask;
        reverse = (reverse >> 2) | ((3 - code) << shift);
        valid += 1;
        if valid >= k {
            each(i, hash(forward.min(reverse)));
        }
    }
}

/// Probability that a base of Phred quality q (without the +33 offset) is right.
const RIGHT: [f64; 94] = {
    let mut table = [0f64; 94];
    let mut q = 0;
    while q < 94 {
        // 10^(-q/10) by repeated multiplication (const fn: no powf).
        let mut error = 1.0;
        let mut tenths = 0;
        while tenths < q {
            error *= 0.794_328_234_724_281_5; // 10^(-0.1)
            tenths += 1;
        }
        table[q] = 1.0 - error;
        q += 1;
    }
    table
};

/// What the reads showed against the sketch; summed over threads with [`Counts::merge`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Read k-mers whose hash fell below the sketch's bound.
    pub kmers_sampled: u64,
    /// Sampled k-mers found in the sketch.
    pub kmers_matched: u64,
    /// Sum over the sampled k-mers of the probability that all their bases are right: the hits a
    /// pure MTBC sample of these qualities would give.
    pub kmers_expected: f64,
    /// Reads with at least one sampled k-mer.
    pub reads_sampled: u64,
    /// Of those, reads with at least one hit.
    pub reads_matched: u64,
}

impl Counts {
    /// Counts the k-mers of one read (`qualities` without the +33 offset, as long as `bases`).
    pub fn observe(&mut self, sketch: &Sketch, bases: &[u8], qualities: &[u8]) {
        let (mut sampled, mut matched) = (0u64, 0u64);
        let k = sketch.k as usize;
        for_each_hash(bases, sketch.k, |end, hash| {
            if hash >= sketch.bound {
                return;
            }
            sampled += 1;
            matched += u64::from(sketch.contains(hash));
            self.kmers_expected += qualities.get(end + 1 - k..=end).map_or(1.0, |window| {
                window
                    .iter()
                    .map(|&q| RIGHT[usize::from(q).min(RIGHT.len() - 1)])
                    .product()
            });
        });
        self.kmers_sampled += sampled;
        self.kmers_matched += matched;
        self.reads_sampled += u64::from(sampled > 0);
        self.reads_matched += u64::from(matched > 0);
    }

    /// Adds another thread's counts.
    pub fn merge(&mut self, other: &Counts) {
        self.kmers_sampled += other.kmers_sampled;
        self.kmers_matched += other.kmers_matched;
        self.kmers_expected += other.kmers_expected;
        self.reads_sampled += other.reads_sampled;
        self.reads_matched += other.reads_matched;
    }
}

/// The `species` section of the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Species {
    /// `mtbc`, `contaminated` (some MTBC, but below [`MTBC_MIN_FRACTION`]), `not_mtbc` (below
    /// [`NOT_MTBC_MAX_FRACTION`]) or `unknown` (no sketch, no reads, or too few k-mers).
    pub verdict: &'static str,
    /// Estimated fraction of the sample that is MTBC: sampled k-mers found in the sketch over
    /// those a pure MTBC sample of the same base qualities would give (at least
    /// [`MIN_ERROR_FREE_SHARE`] of the sampled k-mers), at most 1 (4 decimals);
    /// `null` without a measurement.
    pub mtbc_fraction: Option<f64>,
    /// Sampled k-mers found in the sketch over sampled k-mers, uncorrected for sequencing errors.
    pub kmer_containment: Option<f64>,
    /// Reads with a sampled k-mer found in the sketch over reads with a sampled k-mer.
    pub read_fraction: Option<f64>,
    /// Read k-mers sampled (hash below the sketch's bound).
    pub kmers_sampled: u64,
    /// Of those, found in the sketch.
    pub kmers_matched: u64,
    /// Why: the numbers against the thresholds, or what was missing.
    pub reason: String,
}

impl Species {
    /// An `unknown` verdict with no measurement.
    pub fn unknown(reason: impl Into<String>) -> Self {
        Self {
            verdict: "unknown",
            mtbc_fraction: None,
            kmer_containment: None,
            read_fraction: None,
            kmers_sampled: 0,
            kmers_matched: 0,
            reason: reason.into(),
        }
    }

    /// The warning the verdict puts on drug calls, if it casts doubt on them.
    pub fn drug_warning(&self) -> Option<&'static str> {
        match self.verdict {
            "not_mtbc" => Some(NOT_MTBC_REASON),
            "contaminated" => Some(CONTAMINATED_REASON),
            _ => None,
        }
    }
}

fn round4(value: f64) -> f64 {
    (value * 1e4).round() / 1e4
}

fn percent(value: f64) -> String {
    format!("{:.1} %", 100.0 * value)
}

/// The verdict on the counts of a sample's reads.
///
/// - fewer than [`MIN_KMERS_SAMPLED`] sampled k-mers: `unknown`;
/// - MTBC fraction below [`NOT_MTBC_MAX_FRACTION`] (0.1): `not_mtbc`;
/// - below [`MTBC_MIN_FRACTION`] (0.6): `contaminated`;
/// - otherwise `mtbc` (the reason says how much is something else when below
///   [`CLEAN_FRACTION`], 0.9).
///
/// ```
/// use genoflow_genomics::analysis::{Counts, verdict};
/// let counts = Counts { kmers_sampled: 1000, kmers_matched: 300, kmers_expected: 950.0, ..Counts::default() };
/// assert_eq!(verdict(&counts).verdict, "contaminated");
/// ```
pub fn verdict(counts: &Counts) -> Species {
    if counts.kmers_sampled < MIN_KMERS_SAMPLED {
        let mut species = Species::unknown(format!(
            "only {} k-mers of the reads were sampled against the M. tuberculosis complex sketch (at least {MIN_KMERS_SAMPLED} are needed)",
            counts.kmers_sampled
        ));
        species.kmers_sampled = counts.kmers_sampled;
        species.kmers_matched = counts.kmers_matched;
        return species;
    }
    let expected = counts
        .kmers_expected
        .max(MIN_ERROR_FREE_SHARE * counts.kmers_sampled as f64);
    let fraction = (counts.kmers_matched as f64 / expected).min(1.0);
    let fraction = round4(fraction);
    let shown = percent(fraction);
    let (verdict, reason) = if fraction < NOT_MTBC_MAX_FRACTION {
        (
            "not_mtbc",
            format!(
                "{NOT_MTBC_REASON}: {shown} of its k-mers match the M. tuberculosis complex (below {})",
                percent(NOT_MTBC_MAX_FRACTION)
            ),
        )
    } else if fraction < MTBC_MIN_FRACTION {
        (
            "contaminated",
            format!(
                "{CONTAMINATED_REASON}: {shown} of its k-mers match the M. tuberculosis complex (below {}); no drug is called susceptible",
                percent(MTBC_MIN_FRACTION)
            ),
        )
    } else if fraction < CLEAN_FRACTION {
        (
            "mtbc",
            format!(
                "M. tuberculosis complex, {shown} of its k-mers (at least {}): the rest is another organism or a divergent strain",
                percent(MTBC_MIN_FRACTION)
            ),
        )
    } else {
        (
            "mtbc",
            format!(
                "M. tuberculosis complex: {shown} of its k-mers match (at least {})",
                percent(MTBC_MIN_FRACTION)
            ),
        )
    };
    Species {
        verdict,
        mtbc_fraction: Some(fraction),
        kmer_containment: Some(round4(
            counts.kmers_matched as f64 / counts.kmers_sampled as f64,
        )),
        read_fraction: Some(round4(
            counts.reads_matched as f64 / counts.reads_sampled.max(1) as f64,
        )),
        kmers_sampled: counts.kmers_sampled,
        kmers_matched: counts.kmers_matched,
        reason,
    }
}

/// What enters the pipeline id: the sketch and the thresholds.
pub(crate) fn configuration(sketch: Option<&Sketch>) -> String {
    format!(
        "sketch {} k {} bound {}; reads: first {CHECK_ALL_READS}, then 1 in {CHECK_ONE_READ_IN}; min k-mers {MIN_KMERS_SAMPLED}, error-free share >= {MIN_ERROR_FREE_SHARE}, not_mtbc < {NOT_MTBC_MAX_FRACTION}, mtbc >= {MTBC_MIN_FRACTION}",
        sketch.map_or("none", Sketch::sha256),
        sketch.map_or(0, Sketch::k),
        sketch.map_or(0, Sketch::bound),
    )
}

/// Puts the species verdict in the report. A `not_mtbc` or `contaminated` sample calls no drug
/// susceptible: such calls become `unknown`; every drug call carries the warning (resistant calls
/// stay: a resistance variant seen in MTBC reads is still evidence).
pub(crate) fn apply(report: &mut Report, species: Species) {
    if let Some(warning) = species.drug_warning() {
        for drug in &mut report.resistance {
            if drug.call == "susceptible" {
                drug.call = "unknown";
            }
            drug.warning = Some(warning.to_owned());
        }
    }
    report.species = species;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(sampled: u64, matched: u64, expected: f64) -> Counts {
        Counts {
            kmers_sampled: sampled,
            kmers_matched: matched,
            kmers_expected: expected,
            reads_sampled: sampled,
            reads_matched: matched,
        }
    }

    #[test]
    fn hash_matches_the_python_builder() {
        // mix(0) and mix(1) of mtbc_sketch.py.
        assert_eq!(hash(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(hash(1), 0x910A_2DEC_8902_5CC1);
    }

    #[test]
    fn canonical_kmers_hash_alike_on_both_strands() {
        let forward = b"ACGTTGCAAGGCTTACCGATGCA";
        let reverse = crate::analysis::reverse_complement(forward);
        let mut a = Vec::new();
        let mut b = Vec::new();
        for_each_hash(forward, 21, |_, h| a.push(h));
        for_each_hash(&reverse, 21, |_, h| b.push(h));
        b.reverse();
        assert_eq!(a.len(), 3);
        assert_eq!(a, b);
        // An N breaks the k-mers around it.
        let mut c = Vec::new();
        for_each_hash(b"ACGTTGCAAGGNGCTTACCGATGCA", 11, |_, h| c.push(h));
        assert_eq!(c.len(), 1 + 3);
    }

    #[test]
    fn sketch_round_trips_and_is_checked() {
        let genome: Vec<u8> = (0..5000u64)
            .map(|i| b"ACGT"[(hash(i) % 4) as usize])
            .collect();
        let sketch = Sketch::of_sequence(&genome, 21, u64::MAX / 10);
        assert!(sketch.len() > 300 && sketch.len() < 700, "{}", sketch.len());
        let mut bytes = MAGIC.to_vec();
        bytes.extend(VERSION.to_le_bytes());
        bytes.extend(21u32.to_le_bytes());
        bytes.extend((u64::MAX / 10).to_le_bytes());
        bytes.extend((sketch.len() as u64).to_le_bytes());
        for h in &sketch.hashes {
            bytes.extend(h.to_le_bytes());
        }
        assert_eq!(Sketch::from_bytes(&bytes).as_ref(), Ok(&sketch));
        let mut unsorted = bytes.clone();
        unsorted[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Sketch::from_bytes(&unsorted).is_err());
        assert!(Sketch::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(Sketch::from_bytes(b"GFSKETCX").is_err());

        // Reads of the genome hit; its reverse (not complemented) does not.
        let mut same = Counts::default();
        let mut other = Counts::default();
        let qualities = vec![40u8; 150];
        let reversed: Vec<u8> = genome.iter().rev().copied().collect();
        for start in (0..4800).step_by(50) {
            same.observe(&sketch, &genome[start..start + 150], &qualities);
            other.observe(&sketch, &reversed[start..start + 150], &qualities);
        }
        assert!(same.kmers_sampled > 100);
        assert_eq!(same.kmers_matched, same.kmers_sampled);
        assert!(same.kmers_expected > 0.99 * same.kmers_sampled as f64);
        assert_eq!(other.kmers_matched, 0);
    }

    #[test]
    fn qualities_set_the_expected_hits() {
        assert!((RIGHT[10] - 0.9).abs() < 1e-9);
        assert!((RIGHT[20] - 0.99).abs() < 1e-9);
        assert_eq!(RIGHT[0], 0.0);
        let sketch = Sketch::of_sequence(&[b'A'; 40], 21, u64::MAX);
        let mut counts = Counts::default();
        counts.observe(&sketch, &[b'A'; 21], &[20; 21]);
        assert_eq!((counts.kmers_sampled, counts.kmers_matched), (1, 1));
        assert!((counts.kmers_expected - 0.99f64.powi(21)).abs() < 1e-9);
    }

    #[test]
    fn verdicts_at_the_thresholds() {
        assert_eq!(verdict(&counts(199, 199, 199.0)).verdict, "unknown");
        assert_eq!(verdict(&counts(0, 0, 0.0)).verdict, "unknown");
        assert_eq!(verdict(&counts(200, 200, 200.0)).verdict, "mtbc");
        // The fraction is hits over expected hits.
        assert_eq!(verdict(&counts(1000, 600, 1000.0)).verdict, "mtbc");
        assert_eq!(verdict(&counts(1000, 599, 1000.0)).verdict, "contaminated");
        assert_eq!(verdict(&counts(1000, 100, 1000.0)).verdict, "contaminated");
        assert_eq!(verdict(&counts(1000, 99, 1000.0)).verdict, "not_mtbc");
        assert_eq!(verdict(&counts(1000, 0, 1000.0)).verdict, "not_mtbc");
        // Errors lower the raw containment, not the corrected fraction.
        let noisy = verdict(&counts(1000, 540, 900.0));
        assert_eq!(noisy.verdict, "mtbc");
        assert_eq!(noisy.mtbc_fraction, Some(0.6));
        assert_eq!(noisy.kmer_containment, Some(0.54));
        // Qualities claiming more errors than 20 % broken k-mers do not count.
        let pessimistic = verdict(&counts(1000, 500, 600.0));
        assert_eq!(pessimistic.mtbc_fraction, Some(0.625));
        let clean = verdict(&counts(1000, 990, 980.0));
        assert_eq!(clean.mtbc_fraction, Some(1.0));
        assert!(clean.reason.starts_with("M. tuberculosis complex: 100.0 %"));
        let some = verdict(&counts(1000, 700, 1000.0));
        assert!(some.reason.contains("another organism"), "{}", some.reason);
        assert!(
            verdict(&counts(1000, 300, 1000.0))
                .reason
                .starts_with(CONTAMINATED_REASON)
        );
        assert!(
            verdict(&counts(1000, 0, 1000.0))
                .reason
                .starts_with(NOT_MTBC_REASON)
        );
    }

    #[test]
    fn merged_counts_add_up() {
        let mut a = counts(10, 5, 9.0);
        a.merge(&counts(5, 1, 4.5));
        assert_eq!(a, counts(15, 6, 13.5));
    }
}
