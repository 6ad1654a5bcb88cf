//! Typed values of VCF fields: integers, floats, genotypes, alleles.

use super::{LineWarnings, Version};

/// Parses a VCF Integer (32-bit signed; VCF 4.3+ reserves the eight lowest values).
#[inline]
pub(crate) fn parse_integer(text: &[u8], version: Version) -> Option<i64> {
    // The common case: up to 9 digits, always within range.
    if !text.is_empty() && text.len() <= 9 && text.iter().all(u8::is_ascii_digit) {
        return Some(text.iter().fold(0i64, |n, &d| n * 10 + i64::from(d - b'0')));
    }
    let digits = text
        .strip_prefix(b"-")
        .or_else(|| text.strip_prefix(b"+"))
        .unwrap_or(text);
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits
        .iter()
        .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    let value = if text[0] == b'-' {
        -magnitude
    } else {
        magnitude
    };
    let lowest = if version >= Version::V43 {
        i64::from(i32::MIN) + 8
    } else {
        i64::from(i32::MIN)
    };
    (lowest..=i64::from(i32::MAX))
        .contains(&value)
        .then_some(value)
}

/// Whether `text` is a VCF Float: decimal or exponent notation, or INF/INFINITY/NAN.
pub(crate) fn is_float(text: &[u8]) -> bool {
    let unsigned = text
        .strip_prefix(b"-")
        .or_else(|| text.strip_prefix(b"+"))
        .unwrap_or(text);
    if unsigned.eq_ignore_ascii_case(b"inf")
        || unsigned.eq_ignore_ascii_case(b"infinity")
        || unsigned.eq_ignore_ascii_case(b"nan")
    {
        return true;
    }
    let digits_end = |s: &[u8]| {
        s.iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(s.len())
    };
    let integral = digits_end(unsigned);
    let mut rest = &unsigned[integral..];
    let mut fraction = 0;
    if let Some(after) = rest.strip_prefix(b".") {
        fraction = digits_end(after);
        rest = &after[fraction..];
    }
    if integral == 0 && fraction == 0 {
        return false;
    }
    if let Some(exponent) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exponent = exponent
            .strip_prefix(b"-")
            .or_else(|| exponent.strip_prefix(b"+"))
            .unwrap_or(exponent);
        return !exponent.is_empty() && exponent.iter().all(u8::is_ascii_digit);
    }
    rest.is_empty()
}

/// Parses a float value known to be valid (for range checks).
pub(crate) fn float_value(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// A parsed GT value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Genotype {
    pub ploidy: usize,
    /// The highest allele index called, if any.
    pub max_allele: Option<u64>,
}

/// Parses GT: allele indexes or `.` separated by `/` or `|` (VCF 4.4+: an optional leading phase).
///
/// From VCF 4.4 a trailing separator is only warned about (the EBI 4.4 suite has one in a
/// valid file).
pub(crate) fn parse_genotype(
    text: &[u8],
    version: Version,
    warnings: &mut LineWarnings,
) -> Result<Genotype, String> {
    let mut body = match text.first() {
        Some(b'/' | b'|') if version >= Version::V44 => &text[1..],
        _ => text,
    };
    if version >= Version::V44 && body.len() > 1 && matches!(body[body.len() - 1], b'/' | b'|') {
        warnings.push(format!("GT {} ends with a separator", super::shown(text)));
        body = &body[..body.len() - 1];
    }
    if body.is_empty() {
        return Err("it is empty".into());
    }
    let mut genotype = Genotype {
        ploidy: 0,
        max_allele: None,
    };
    for allele in body.split(|&b| b == b'/' || b == b'|') {
        genotype.ploidy += 1;
        match allele {
            b"." => {}
            b"" => return Err("an allele is missing between separators".into()),
            _ if allele.iter().all(u8::is_ascii_digit) && allele.len() <= 9 => {
                let index = allele
                    .iter()
                    .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
                genotype.max_allele = Some(genotype.max_allele.map_or(index, |m| m.max(index)));
            }
            _ => {
                return Err(format!(
                    "allele {} is not an index or '.'",
                    super::shown(allele)
                ));
            }
        }
    }
    Ok(genotype)
}

/// The number of genotypes of `alleles` alleles at `ploidy`: C(alleles + ploidy - 1, ploidy).
pub(crate) fn genotype_count(alleles: usize, ploidy: usize) -> usize {
    let mut count = 1usize;
    for i in 1..=ploidy {
        count = count.saturating_mul(alleles + i - 1) / i;
    }
    count
}

/// Whether `text` is a CIGAR string (`(\d+[MIDNSHP=X])+`).
pub(crate) fn is_cigar(text: &[u8]) -> bool {
    let mut digits = 0;
    for &b in text {
        if b.is_ascii_digit() {
            digits += 1;
        } else if b"MIDNSHP=X".contains(&b) && digits > 0 {
            digits = 0;
        } else {
            return false;
        }
    }
    !text.is_empty() && digits == 0
}

/// Whether `text` is a non-empty string of the bases A, C, G, T, N (either case).
pub(crate) fn is_bases(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(|b| b"ACGTNacgtn".contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_integer(b"12", Version::V41), Some(12));
        assert_eq!(parse_integer(b"-3", Version::V41), Some(-3));
        assert_eq!(parse_integer(b"1.5", Version::V41), None);
        assert_eq!(parse_integer(b"abc", Version::V41), None);
        assert_eq!(parse_integer(b"", Version::V41), None);
        assert_eq!(parse_integer(b"2147483648", Version::V41), None);
        assert_eq!(
            parse_integer(b"-2147483648", Version::V42),
            Some(-2_147_483_648)
        );
        assert_eq!(parse_integer(b"-2147483648", Version::V43), None);
    }

    #[test]
    fn floats() {
        for good in [
            &b"1"[..],
            b"1.",
            b".5",
            b"-0.5e-3",
            b"1E5",
            b"NaN",
            b"-Inf",
            b"+3",
        ] {
            assert!(is_float(good), "{good:?}");
        }
        for bad in [
            &b""[..],
            b".",
            b"e5",
            b"1e",
            b"1.2.3",
            b"abc",
            b"1,2",
            b"--1",
        ] {
            assert!(!is_float(bad), "{bad:?}");
        }
    }

    #[test]
    fn genotypes() {
        let gt = |t: &[u8], v| parse_genotype(t, v, &mut LineWarnings::default());
        assert_eq!(
            gt(b"0/1", Version::V41),
            Ok(Genotype {
                ploidy: 2,
                max_allele: Some(1)
            })
        );
        assert_eq!(
            gt(b"./.", Version::V41),
            Ok(Genotype {
                ploidy: 2,
                max_allele: None
            })
        );
        assert_eq!(
            gt(b"2", Version::V41),
            Ok(Genotype {
                ploidy: 1,
                max_allele: Some(2)
            })
        );
        assert_eq!(
            gt(b"0|1|3", Version::V41),
            Ok(Genotype {
                ploidy: 3,
                max_allele: Some(3)
            })
        );
        assert!(gt(b"0/", Version::V41).is_err());
        assert!(gt(b"a/1", Version::V41).is_err());
        assert!(gt(b"|0/1", Version::V43).is_err());
        assert!(gt(b"|0/1", Version::V44).is_ok());
    }

    #[test]
    fn counts_and_cigars() {
        assert_eq!(genotype_count(2, 2), 3);
        assert_eq!(genotype_count(3, 2), 6);
        assert_eq!(genotype_count(2, 1), 2);
        assert_eq!(genotype_count(3, 3), 10);
        assert!(is_cigar(b"3M1I2D"));
        assert!(!is_cigar(b"5"));
        assert!(!is_cigar(b"M3"));
        assert!(!is_cigar(b"3Q"));
    }
}
