//! Sequence alphabets: IUPAC nucleotide codes and alignment gaps, with base counting.

use crate::lanes::{self, LANES, LaneCounter};

/// Byte classes of sequence characters.
const NUCLEOTIDE: u8 = 1;
const GAP: u8 = 2;
const GC: u8 = 4;
const N: u8 = 8;

/// IUPAC nucleotide codes (with U), either case; `-` and `.` as gaps.
const CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let codes = b"ACGTURYSWKMBDHVN";
    let mut i = 0;
    while i < codes.len() {
        let upper = codes[i];
        let class = match upper {
            b'G' | b'C' => NUCLEOTIDE | GC,
            b'N' => NUCLEOTIDE | N,
            _ => NUCLEOTIDE,
        };
        table[upper as usize] = class;
        table[upper.to_ascii_lowercase() as usize] = class;
        i += 1;
    }
    table[b'-' as usize] = GAP;
    table[b'.' as usize] = GAP;
    table
};

/// Which characters a sequence may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alphabet {
    /// IUPAC nucleotide codes only (FASTQ).
    Nucleotides,
    /// IUPAC nucleotide codes and the gap characters `-` and `.` (FASTA).
    NucleotidesAndGaps,
}

impl Alphabet {
    fn allowed(self) -> u8 {
        match self {
            Self::Nucleotides => NUCLEOTIDE,
            Self::NucleotidesAndGaps => NUCLEOTIDE | GAP,
        }
    }

    /// What the alphabet is, for error messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Nucleotides => "sequences use IUPAC nucleotide codes",
            Self::NucleotidesAndGaps => {
                "sequences use IUPAC nucleotide codes and the gaps '-' and '.'"
            }
        }
    }
}

/// Base counts of a stretch of sequence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BaseCounts {
    pub gc: u64,
    pub n: u64,
}

/// Counts G/C and N in `data`, or returns the index of the first character outside `alphabet`.
pub(crate) fn count_bases(data: &[u8], alphabet: Alphabet) -> Result<BaseCounts, usize> {
    count_acgtn(data).map_or_else(|| count_bases_by_class(data, alphabet), Ok)
}

/// The fast path for the usual sequence of A, C, G, T and N in either case: byte comparisons in
/// 16-lane blocks (see [`lanes`]). `None` when any other character occurs.
fn count_acgtn(data: &[u8]) -> Option<BaseCounts> {
    let mut counter = AcgtnCounter::default();
    lanes::count(data, &mut counter);
    (!counter.other_seen).then_some(counter.counts)
}

#[derive(Default)]
struct AcgtnCounter {
    gc: [u8; LANES],
    n: [u8; LANES],
    other: [u8; LANES],
    counts: BaseCounts,
    /// Whether a character other than A, C, G, T, N occurred.
    other_seen: bool,
}

impl LaneCounter for AcgtnCounter {
    #[inline(always)]
    fn block(&mut self, bytes: &[u8; LANES], keep: &[u8; LANES]) {
        const CASE_BIT: u8 = 0x20;
        for i in 0..LANES {
            // Clearing the case bit maps exactly 'a' and 'A' to 'A', and so on.
            let upper = bytes[i] & !CASE_BIT;
            let is_gc = (upper == b'G') | (upper == b'C');
            let is_at = (upper == b'A') | (upper == b'T');
            let is_n = upper == b'N';
            self.gc[i] += u8::from(is_gc) & keep[i];
            self.n[i] += u8::from(is_n) & keep[i];
            self.other[i] |= u8::from(!(is_gc | is_at | is_n)) & keep[i];
        }
    }

    #[inline(always)]
    fn fold(&mut self) {
        self.counts.gc += lanes::sum(&self.gc);
        self.counts.n += lanes::sum(&self.n);
        self.other_seen |= u128::from_ne_bytes(self.other) != 0;
        *self = Self {
            counts: self.counts,
            other_seen: self.other_seen,
            ..Self::default()
        };
    }
}

/// The general path: a class table of every IUPAC code and gap.
fn count_bases_by_class(data: &[u8], alphabet: Alphabet) -> Result<BaseCounts, usize> {
    let allowed = alphabet.allowed();
    let mut any_outside = false;
    let (mut gc, mut n) = (0u64, 0u64);
    for &b in data {
        let class = CLASSES[usize::from(b)];
        any_outside |= class & allowed == 0;
        gc += u64::from(class & GC != 0);
        n += u64::from(class & N != 0);
    }
    if any_outside {
        return Err(data
            .iter()
            .position(|&b| CLASSES[usize::from(b)] & allowed == 0)
            .unwrap_or_default());
    }
    Ok(BaseCounts { gc, n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rejects() {
        assert_eq!(
            count_bases(b"ACGTNngc", Alphabet::Nucleotides),
            Ok(BaseCounts { gc: 4, n: 2 })
        );
        assert_eq!(count_bases(b"AC-T", Alphabet::Nucleotides), Err(2));
        assert_eq!(
            count_bases(b"AC-T", Alphabet::NucleotidesAndGaps),
            Ok(BaseCounts { gc: 1, n: 0 })
        );
        assert_eq!(count_bases(b"AC T", Alphabet::NucleotidesAndGaps), Err(2));
        assert_eq!(count_bases(b"ACGX", Alphabet::Nucleotides), Err(3));
        // Bytes whose case bit is clear but are not letters must not pass the fast path.
        assert_eq!(count_bases(b"AC\x01T", Alphabet::Nucleotides), Err(2));
        assert_eq!(count_bases(b"ACa\xc7", Alphabet::Nucleotides), Err(3));
    }

    #[test]
    fn fast_and_general_paths_agree() {
        let data: Vec<u8> = (0..2000u32)
            .map(|i| b"ACGTNacgtn"[(i * 7 % 10) as usize])
            .collect();
        assert_eq!(
            count_acgtn(&data),
            count_bases_by_class(&data, Alphabet::Nucleotides).ok()
        );
    }
}
