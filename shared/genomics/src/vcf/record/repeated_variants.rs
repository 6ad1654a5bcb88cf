//! Variants that repeat one of a recent record's at the same place, once normalised.

use std::collections::HashSet;

use crate::vcf::{LineWarnings, shown, values::is_bases};

use super::{Records, offset_in};

/// How many recent variants are remembered to spot duplicates.
const DUPLICATE_WINDOW: usize = 256;

impl Records {
    /// Warns when a normalised allele repeats one of a recent record at the same place.
    pub(super) fn remember(
        &mut self,
        chrom: &[u8],
        pos: u64,
        reference: &[u8],
        alt: &[u8],
        warnings: &mut LineWarnings,
    ) {
        while self.recent.front().is_some_and(|&(p, _)| p < pos)
            || self.recent.len() >= DUPLICATE_WINDOW
        {
            self.recent.pop_front();
        }
        let first_new = self.recent.len();
        // The hash of the whole REF, for those of its parts (made when first needed).
        let mut whole_reference = None;
        // With many alleles, the earlier records' variants are looked up in a set.
        let mut earlier: Option<HashSet<u64>> = None;
        for (i, allele) in alt
            .split(|&b| b == b',')
            .filter(|allele| is_bases(allele))
            .enumerate()
        {
            let (start, r, a) = normalise(pos, reference, allele);
            let reference_hash =
                *whole_reference.get_or_insert_with(|| PolynomialHash::of(reference));
            // REF may be millions of bases long and have thousands of alleles: hashing the part
            // of it left after trimming takes time in proportion to what was trimmed.
            let front = offset_in(reference, r);
            let back = reference.len() - front - r.len();
            let r_hash = reference_hash.part(reference, front, back);
            let hash = variant_hash(start, r.len(), r_hash, a);
            if i == REPEAT_SCAN_LIMIT && first_new > REPEAT_SCAN_LIMIT {
                earlier = Some(
                    self.recent
                        .iter()
                        .take(first_new)
                        .map(|&(_, h)| h)
                        .collect(),
                );
            }
            let repeated = match &earlier {
                Some(earlier) => earlier.contains(&hash),
                None => self.recent.iter().take(first_new).any(|&(_, h)| h == hash),
            };
            if repeated {
                warnings.push_with(|| {
                    format!(
                        "the variant {}:{pos} {}>{} repeats one of an earlier record",
                        shown(chrom).trim_matches('\''),
                        shown_bases(reference),
                        shown_bases(allele)
                    )
                });
            }
            self.recent.push_back((start, hash));
        }
    }
}

/// Trims the common suffix, then the common prefix, of REF and an ALT allele.
fn normalise<'a>(pos: u64, reference: &'a [u8], alt: &'a [u8]) -> (u64, &'a [u8], &'a [u8]) {
    let (mut r, mut a) = (reference, alt);
    while r.len() > 1 && a.len() > 1 && r[r.len() - 1].eq_ignore_ascii_case(&a[a.len() - 1]) {
        r = &r[..r.len() - 1];
        a = &a[..a.len() - 1];
    }
    let mut start = pos;
    while r.len() > 1 && a.len() > 1 && r[0].eq_ignore_ascii_case(&a[0]) {
        r = &r[1..];
        a = &a[1..];
        start += 1;
    }
    (start, r, a)
}

/// A hash of a normalised variant: its start, its REF part (length and polynomial hash) and
/// ALT (FNV-1a; a collision gives a wrong warning).
fn variant_hash(start: u64, reference_length: usize, reference: PolynomialHash, alt: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut feed = |b: u8| {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    };
    start.to_le_bytes().into_iter().for_each(&mut feed);
    (reference_length as u64)
        .to_le_bytes()
        .into_iter()
        .for_each(&mut feed);
    reference.0.to_le_bytes().into_iter().for_each(&mut feed);
    feed(b'>');
    alt.iter().for_each(|b| feed(b.to_ascii_uppercase()));
    hash
}

/// Up to this many alleles, each is compared with the earlier records' variants one by one.
const REPEAT_SCAN_LIMIT: usize = 16;

/// A polynomial hash of upper-cased bases, modulo the prime 2^61 - 1: the hash of a part of a
/// text follows from the whole text's in time proportional to what is cut off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PolynomialHash(u64);

impl PolynomialHash {
    const MODULUS: u64 = (1 << 61) - 1;
    /// Any number below the modulus.
    const BASE: u64 = 0x0e4c_2b15_97f3_a6d1;
    /// BASE^-1 (Fermat: BASE^(MODULUS - 2)).
    const BASE_INVERSE: u64 = Self::power(Self::BASE, Self::MODULUS - 2);

    const fn multiply(a: u64, b: u64) -> u64 {
        let product = a as u128 * b as u128;
        let sum = (product as u64 & Self::MODULUS) + (product >> 61) as u64;
        if sum >= Self::MODULUS {
            sum - Self::MODULUS
        } else {
            sum
        }
    }

    const fn power(mut base: u64, mut exponent: u64) -> u64 {
        let mut result = 1;
        while exponent > 0 {
            if exponent & 1 == 1 {
                result = Self::multiply(result, base);
            }
            base = Self::multiply(base, base);
            exponent >>= 1;
        }
        result
    }

    fn add(a: u64, b: u64) -> u64 {
        let sum = a + b;
        if sum >= Self::MODULUS {
            sum - Self::MODULUS
        } else {
            sum
        }
    }

    fn subtract(a: u64, b: u64) -> u64 {
        Self::add(a, Self::MODULUS - b)
    }

    /// The hash of `text`: the sum of its upper-cased bytes times BASE^(bytes after them).
    fn of(text: &[u8]) -> Self {
        Self(text.iter().fold(0, |hash, b| {
            Self::add(
                Self::multiply(hash, Self::BASE),
                u64::from(b.to_ascii_uppercase()),
            )
        }))
    }

    /// The hash of `text` without its first `front` and last `back` bytes, where `self` is the
    /// hash of `text`. `front + back` must not exceed the length of `text`.
    fn part(self, text: &[u8], front: usize, back: usize) -> Self {
        if front == 0 && back == 0 {
            return self;
        }
        let end = text.len() - back;
        // hash(text) = hash(text[..end]) * BASE^back + hash(text[end..])
        let up_to_end = Self::multiply(
            Self::subtract(self.0, Self::of(&text[end..]).0),
            Self::power(Self::BASE_INVERSE, back as u64),
        );
        // hash(text[..end]) = hash(text[..front]) * BASE^(end - front) + hash(text[front..end])
        let before = Self::multiply(
            Self::of(&text[..front]).0,
            Self::power(Self::BASE, (end - front) as u64),
        );
        Self(Self::subtract(up_to_end, before))
    }
}

/// Bases for messages: the first 100, then '…' if there are more.
fn shown_bases(bases: &[u8]) -> String {
    const SHOWN: usize = 100;
    let text = String::from_utf8_lossy(&bases[..bases.len().min(SHOWN)]);
    if bases.len() > SHOWN {
        format!("{text}…")
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomial_hash_of_a_part_is_the_hash_of_the_part() {
        let text = b"ACGTNacgtnTTGCAAGGCTTAACCGGTTACGATCGATCGTAGCTAGCTAGGCTAGC";
        let whole = PolynomialHash::of(text);
        for front in 0..text.len() {
            for back in 0..=text.len() - front {
                let part = &text[front..text.len() - back];
                assert_eq!(
                    whole.part(text, front, back),
                    PolynomialHash::of(part),
                    "{front} {back}"
                );
            }
        }
        assert_eq!(PolynomialHash::of(b"acgt"), PolynomialHash::of(b"ACGT"));
        assert_ne!(PolynomialHash::of(b"ACGT"), PolynomialHash::of(b"ACTG"));
        assert_eq!(
            PolynomialHash::multiply(PolynomialHash::BASE, PolynomialHash::BASE_INVERSE),
            1
        );
    }
}
