//! SAM text: header lines, then one record per line with 11 mandatory TAB-separated fields and
//! optional `TAG:TYPE:VALUE` fields, each checked against the regular expressions of SAMv1 §1.4
//! and §1.5.

use std::io::BufRead;

use super::{
    AlignmentStats,
    header::{Header, HeaderChecker, MAX_POSITION, parse_decimal},
    record::{
        Alignment, AuxChecker, AuxType, CigarChecker, CigarSummary, CoordinateOrder,
        check_alignment,
    },
    syntax::{TagName, check_query_name, is_reference_name, is_tag, shown},
};
use crate::{
    context::Context,
    diagnostic::{Diagnostic, Failure},
    text::{DEFAULT_MAX_LINE_BYTES, LineReader},
};

const FIELD_NAMES: [&str; 11] = [
    "QNAME", "FLAG", "RNAME", "POS", "MAPQ", "CIGAR", "RNEXT", "PNEXT", "TLEN", "SEQ", "QUAL",
];

/// Validates SAM text from `reader`.
pub(crate) fn validate<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    let mut lines = LineReader::new(reader);
    let mut line = Vec::new();
    let mut checker = Some(HeaderChecker::default());
    let mut header = Header::default();
    let mut records = RecordChecker::default();
    let mut stats = AlignmentStats::default();
    while lines.read_line(&mut line, DEFAULT_MAX_LINE_BYTES)? {
        let number = lines.line();
        if let Some(header_checker) = checker.as_mut() {
            if line.first() == Some(&b'@') {
                let outcome = header_checker.check_line(&line);
                for (message, _) in header_checker.take_warnings() {
                    ctx.warn(Diagnostic::at_line(message, None, number));
                }
                outcome.map_err(|e| Diagnostic::at_line(e.message, None, number))?;
                continue;
            }
            header = finish_header(checker.take(), number)?;
            records.order = CoordinateOrder::new(&header);
        }
        ctx.records += 1;
        let record = ctx.records;
        let mut warnings = Vec::new();
        let outcome = records.check(&line, &header, &mut stats, &mut |w| warnings.push(w));
        for message in warnings {
            ctx.warn(Diagnostic::at_line(message, Some(record), number));
        }
        outcome.map_err(|message| Diagnostic::at_line(message, Some(record), number))?;
    }
    if checker.is_some() {
        header = finish_header(checker.take(), lines.line())?;
    }
    stats.references = header.references.len() as u64;
    stats.sort_order = header.sort_order.unwrap_or_else(|| "unknown".to_owned());
    Ok(stats)
}

fn finish_header(checker: Option<HeaderChecker>, line: u64) -> Result<Header, Diagnostic> {
    checker
        .unwrap_or_default()
        .finish()
        .map_err(|e| Diagnostic::at_line(e.message, None, e.line.min(line)))
}

/// Checks record lines, reusing its buffers from one record to the next.
#[derive(Default)]
struct RecordChecker {
    aux: AuxChecker,
    order: CoordinateOrder,
}

impl RecordChecker {
    fn check(
        &mut self,
        line: &[u8],
        header: &Header,
        stats: &mut AlignmentStats,
        warn: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        if line.is_empty() {
            return Err("empty line".to_owned());
        }
        if line[0] == b'@' {
            return Err(
                "a header line (or a QNAME starting with '@') after the first alignment record"
                    .to_owned(),
            );
        }
        let mut fields = line.split(|&b| b == b'\t');
        let mut mandatory: [&[u8]; 11] = [&[]; 11];
        for (i, slot) in mandatory.iter_mut().enumerate() {
            *slot = fields.next().ok_or_else(|| {
                format!(
                    "the record has {i} fields; the 11 mandatory fields end with {}",
                    FIELD_NAMES[10]
                )
            })?;
            if slot.is_empty() {
                return Err(format!(
                    "{} is empty (use '*' or 0 for a missing value)",
                    FIELD_NAMES[i]
                ));
            }
        }
        let [
            qname,
            flag,
            rname,
            pos,
            mapq,
            cigar,
            rnext,
            pnext,
            tlen,
            seq,
            qual,
        ] = mandatory;
        check_query_name(qname)?;
        let flags = parse_decimal(flag)
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| format!("FLAG {} is not an integer in 0..65535", shown(flag)))?;
        let reference = reference_field("RNAME", rname, header)?;
        let position = position_field("POS", pos)?;
        parse_decimal(mapq)
            .filter(|&n| n <= 255)
            .ok_or_else(|| format!("MAPQ {} is not an integer in 0..255", shown(mapq)))?;
        let cigar = cigar_field(cigar)?;
        let mate_reference = if rnext == b"=" {
            if reference.is_none() {
                warn("RNEXT is '=' but RNAME is '*'".to_owned());
            }
            reference
        } else {
            reference_field("RNEXT", rnext, header)?
        };
        let mate_position = position_field("PNEXT", pnext)?;
        check_template_length(tlen)?;
        let sequence_length = sequence_field(seq, warn)?;
        let quality_length = quality_field(qual)?;
        let alignment = Alignment {
            flags,
            reference,
            position,
            mate_reference,
            mate_position,
            sequence_length,
            quality_length,
        };
        self.aux.start_record();
        for field in fields {
            self.optional_field(field, header, warn)?;
        }
        check_alignment(&alignment, &cigar, header, &mut self.order, stats, warn)
    }

    fn optional_field(
        &mut self,
        field: &[u8],
        header: &Header,
        warn: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        let (tag, ty, value) = match field {
            [a, b, b':', ty, b':', value @ ..] if is_tag(&[*a, *b]) => ([*a, *b], *ty, value),
            _ => {
                return Err(format!(
                    "optional field {} is not TAG:TYPE:VALUE with a tag of [A-Za-z][A-Za-z0-9]",
                    shown(field)
                ));
            }
        };
        let name = TagName(tag);
        let aux_type = match ty {
            b'A' => {
                if !matches!(value, [c] if c.is_ascii_graphic()) {
                    return Err(format!(
                        "{name}:A value {} is not exactly one printable character",
                        shown(value)
                    ));
                }
                AuxType::Character
            }
            b'i' => {
                parse_integer(value)
                    .filter(|n| (-(1i64 << 31)..=(1i64 << 32) - 1).contains(n))
                    .ok_or_else(|| {
                        format!(
                            "{name}:i value {} is not an integer in -2147483648..4294967295",
                            shown(value)
                        )
                    })?;
                AuxType::Integer
            }
            b'f' => {
                check_float(value)
                    .map_err(|why| format!("{name}:f value {}: {why}", shown(value)))?;
                AuxType::Float
            }
            b'Z' => {
                if let Some(&b) = value.iter().find(|&&b| !(b' '..=b'~').contains(&b)) {
                    return Err(format!(
                        "{name}:Z value holds byte 0x{b:02x}: Z strings are printable ASCII or space"
                    ));
                }
                AuxType::String
            }
            b'H' => {
                if value.len() % 2 != 0
                    || !value.iter().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
                {
                    return Err(format!(
                        "{name}:H value {} is not an even number of upper-case hexadecimal digits",
                        shown(value)
                    ));
                }
                AuxType::Hex
            }
            b'B' => AuxType::Array(check_array(name, value)?),
            _ => {
                return Err(format!(
                    "optional field {name} has type {}: SAM types are A, i, f, Z, H and B",
                    crate::shown::shown_byte(ty)
                ));
            }
        };
        let string = (aux_type == AuxType::String).then_some(value);
        self.aux.field(tag, aux_type, string, header, warn)
    }
}

fn reference_field(field: &str, value: &[u8], header: &Header) -> Result<Option<usize>, String> {
    if value == b"*" {
        return Ok(None);
    }
    if !is_reference_name(value) {
        return Err(format!(
            "{field} {} is not a valid reference name",
            shown(value)
        ));
    }
    header
        .reference(value)
        .map(Some)
        .ok_or_else(|| format!("{field} {} is not declared by an @SQ line", shown(value)))
}

fn position_field(field: &str, value: &[u8]) -> Result<u64, String> {
    parse_decimal(value)
        .filter(|&n| n <= MAX_POSITION)
        .ok_or_else(|| {
            format!(
                "{field} {} is not an integer in 0..2147483647",
                shown(value)
            )
        })
}

fn check_template_length(value: &[u8]) -> Result<(), String> {
    parse_integer(value)
        .filter(|n| n.unsigned_abs() <= MAX_POSITION)
        .map(|_| ())
        .ok_or_else(|| {
            format!(
                "TLEN {} is not an integer in -2147483647..2147483647",
                shown(value)
            )
        })
}

fn cigar_field(value: &[u8]) -> Result<CigarSummary, String> {
    if value == b"*" {
        return Ok(CigarSummary::default());
    }
    let mut checker = CigarChecker::default();
    let mut length: Option<u64> = None;
    for &b in value {
        if b.is_ascii_digit() {
            let next = length.unwrap_or(0) * 10 + u64::from(b - b'0');
            if next > MAX_POSITION {
                return Err(format!("CIGAR {} has an operation too long", shown(value)));
            }
            length = Some(next);
        } else {
            let len = length.ok_or_else(|| {
                format!(
                    "CIGAR {} is malformed: each operation is a length followed by one of MIDNSHP=X",
                    shown(value)
                )
            })?;
            checker.push(b, len)?;
            length = None;
        }
    }
    if length.is_some() {
        return Err(format!(
            "CIGAR {} ends with a length without an operation",
            shown(value)
        ));
    }
    Ok(checker.finish())
}

/// Byte classes of SEQ: 1 = allowed by SAM, 2 = also storable in BAM.
const SEQUENCE_CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte.is_ascii_alphabetic() || byte == b'=' || byte == b'.' {
            table[b] = 1;
        }
        b += 1;
    }
    let storable = b"=ACMGRSVTWYHKDBN";
    let mut i = 0;
    while i < storable.len() {
        table[storable[i] as usize] = 3;
        i += 1;
    }
    table
};

/// `\*|[A-Za-z=.]+`; characters BAM cannot store (lower case, non-IUPAC letters, '.') are
/// warnings.
fn sequence_field(value: &[u8], warn: &mut dyn FnMut(String)) -> Result<Option<u64>, String> {
    if value == b"*" {
        return Ok(None);
    }
    let all = value
        .iter()
        .fold(3u8, |acc, &b| acc & SEQUENCE_CLASSES[usize::from(b)]);
    if all == 3 {
        return Ok(Some(value.len() as u64));
    }
    if let Some(&b) = value
        .iter()
        .find(|&&b| SEQUENCE_CLASSES[usize::from(b)] == 0)
    {
        return Err(format!(
            "SEQ holds {}: bases are letters, '=' or '.'",
            crate::shown::shown_byte(b)
        ));
    }
    if let Some(&b) = value
        .iter()
        .find(|&&b| SEQUENCE_CLASSES[usize::from(b)] != 3)
    {
        warn(format!(
            "SEQ holds {}, which BAM cannot store (it keeps =ACMGRSVTWYHKDBN)",
            crate::shown::shown_byte(b)
        ));
    }
    Ok(Some(value.len() as u64))
}

/// `\*|[!-~]+`.
fn quality_field(value: &[u8]) -> Result<Option<u64>, String> {
    if value == b"*" {
        return Ok(None);
    }
    // A branch-free pass first (it vectorises); the slow search only to name the culprit.
    let any_bad = value
        .iter()
        .fold(false, |bad, &b| bad | (b.wrapping_sub(b'!') > b'~' - b'!'));
    if any_bad && let Some(&b) = value.iter().find(|&&b| !(b'!'..=b'~').contains(&b)) {
        return Err(format!(
            "QUAL holds {}: scores are characters '!' to '~'",
            crate::shown::shown_byte(b)
        ));
    }
    Ok(Some(value.len() as u64))
}

/// `[-+]?[0-9]+` as an integer (at most 19 digits).
fn parse_integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    let digits = {
        let zeros = digits.iter().take_while(|&&b| b == b'0').count();
        if zeros == digits.len() && zeros > 0 {
            &digits[zeros - 1..]
        } else {
            &digits[zeros..]
        }
    };
    let magnitude = i64::try_from(parse_decimal(digits)?).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// `[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?` and within single precision.
fn check_float(text: &[u8]) -> Result<f64, &'static str> {
    const SHAPE: &str = "not a number of the form [-+]?[0-9]*.?[0-9]+([eE][-+]?[0-9]+)?";
    let unsigned = text
        .strip_prefix(b"-")
        .or_else(|| text.strip_prefix(b"+"))
        .unwrap_or(text);
    let (mantissa, exponent) = match unsigned.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let mantissa_ok = match mantissa.iter().position(|&b| b == b'.') {
        Some(i) => {
            all_digits(&mantissa[..i])
                && !mantissa[i + 1..].is_empty()
                && all_digits(&mantissa[i + 1..])
        }
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e
            .strip_prefix(b"-")
            .or_else(|| e.strip_prefix(b"+"))
            .unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return Err(SHAPE);
    }
    let value: f64 = std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(SHAPE)?;
    if value.abs() > f64::from(f32::MAX) {
        return Err("out of the range of single precision");
    }
    if value != 0.0 && value.abs() < f64::from(f32::from_bits(1)) / 2.0 {
        return Err("too small for single precision (it would become 0)");
    }
    Ok(value)
}

/// `B:[cCsSiIf](,value)*` with every value in the subtype's range; returns the subtype.
fn check_array(name: TagName, value: &[u8]) -> Result<u8, String> {
    let mut parts = value.split(|&b| b == b',');
    let subtype = match parts.next() {
        Some([t]) if b"cCsSiIf".contains(t) => *t,
        _ => {
            return Err(format!(
                "{name}:B value {} does not start with a subtype c, C, s, S, i, I or f",
                shown(value)
            ));
        }
    };
    let range: (i64, i64) = match subtype {
        b'c' => (i8::MIN.into(), i8::MAX.into()),
        b'C' => (0, u8::MAX.into()),
        b's' => (i16::MIN.into(), i16::MAX.into()),
        b'S' => (0, u16::MAX.into()),
        b'i' => (i32::MIN.into(), i32::MAX.into()),
        b'I' => (0, u32::MAX.into()),
        _ => (0, 0),
    };
    for element in parts {
        if subtype == b'f' {
            check_float(element)
                .map_err(|why| format!("{name}:B:f element {}: {why}", shown(element)))?;
        } else {
            parse_integer(element)
                .filter(|n| (range.0..=range.1).contains(n))
                .ok_or_else(|| {
                    format!(
                        "{name}:B:{} element {} is not an integer in {}..{}",
                        char::from(subtype),
                        shown(element),
                        range.0,
                        range.1
                    )
                })?;
        }
    }
    Ok(subtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_shapes() {
        for ok in [
            "1",
            "-0",
            "+.9",
            "009.9",
            "1.175494351E-38",
            "-9.9e+19",
            "1e-40",
        ] {
            assert!(check_float(ok.as_bytes()).is_ok(), "{ok}");
        }
        for bad in [
            "10.",
            "nan",
            "inf",
            "e",
            "1E-46",
            "3.502823466E+38",
            "1.2.3",
            "",
        ] {
            assert!(check_float(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn integers_with_signs_and_leading_zeros() {
        assert_eq!(parse_integer(b"+0"), Some(0));
        assert_eq!(parse_integer(b"-0"), Some(0));
        assert_eq!(parse_integer(b"000000000000000000000000000999"), Some(999));
        assert_eq!(parse_integer(b"-2147483648"), Some(-2_147_483_648));
        assert_eq!(parse_integer(b"1.5"), None);
        assert_eq!(parse_integer(b""), None);
        assert_eq!(parse_integer(b"-"), None);
    }
}
