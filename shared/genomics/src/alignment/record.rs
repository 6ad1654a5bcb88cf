//! Checks of an alignment record that do not depend on how it was stored (SAM text, BAM binary,
//! CRAM): CIGAR shape and lengths, SEQ/QUAL lengths, references and positions against the header,
//! FLAG consistency, optional-field tags; and the statistics.

use super::{
    AlignmentStats,
    header::Header,
    syntax::{TagName, shown},
};

/// FLAG bits (SAMv1 §1.4.2).
pub(super) mod flag {
    pub const PAIRED: u16 = 0x1;
    pub const PROPER_PAIR: u16 = 0x2;
    pub const UNMAPPED: u16 = 0x4;
    pub const MATE_UNMAPPED: u16 = 0x8;
    pub const MATE_REVERSE: u16 = 0x20;
    pub const FIRST: u16 = 0x40;
    pub const LAST: u16 = 0x80;
    pub const SECONDARY: u16 = 0x100;
    pub const DUPLICATE: u16 = 0x400;
    pub const SUPPLEMENTARY: u16 = 0x800;
    /// Bits the spec defines; the others are reserved.
    pub const DEFINED: u16 = 0xfff;
}

/// The fields of one record, decoded, whatever the storage.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Alignment {
    pub flags: u16,
    /// Index into the header's references; `None` for `*`.
    pub reference: Option<usize>,
    /// 1-based; 0 for none.
    pub position: u64,
    pub mate_reference: Option<usize>,
    pub mate_position: u64,
    /// `None` when SEQ is `*`.
    pub sequence_length: Option<u64>,
    /// `None` when QUAL is `*`.
    pub quality_length: Option<u64>,
}

/// What a CIGAR adds up to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct CigarSummary {
    /// Whether there is a CIGAR at all (not `*`).
    pub present: bool,
    pub query_length: u64,
    pub reference_length: u64,
}

/// Checks CIGAR operations one at a time: hard clips only at the ends, soft clips only between
/// them and the ends (`H? S? core* S? H?`), and sums the lengths.
#[derive(Debug, Default)]
pub(super) struct CigarChecker {
    state: ClipState,
    summary: CigarSummary,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ClipState {
    #[default]
    Start,
    LeadingHard,
    LeadingSoft,
    Core,
    TrailingSoft,
    TrailingHard,
}

impl CigarChecker {
    /// Adds one operation (`MIDNSHP=X`) of length `len`.
    pub(super) fn push(&mut self, op: u8, len: u64) -> Result<(), String> {
        use ClipState::*;
        self.summary.present = true;
        let (query, reference) = match op {
            b'M' | b'=' | b'X' => (true, true),
            b'I' | b'S' => (true, false),
            b'D' | b'N' => (false, true),
            b'H' | b'P' => (false, false),
            _ => {
                return Err(format!(
                    "CIGAR operation {} is not one of MIDNSHP=X",
                    crate::shown::shown_byte(op)
                ));
            }
        };
        self.state = match (self.state, op) {
            (Start, b'H') => LeadingHard,
            (Start | LeadingHard, b'S') => LeadingSoft,
            (LeadingHard | LeadingSoft | Core | TrailingSoft, b'H') => TrailingHard,
            (LeadingSoft | Core, b'S') => TrailingSoft,
            (Start | LeadingHard | LeadingSoft | Core, _) if op != b'H' && op != b'S' => Core,
            (TrailingHard, _) => {
                return Err("CIGAR has an operation after the final hard clip (H may only be the first or last operation)".to_owned());
            }
            _ => {
                return Err(format!(
                    "CIGAR has {} after a soft clip at the end: S may only have H between it and the end of the CIGAR",
                    char::from(op)
                ));
            }
        };
        if query {
            self.summary.query_length += len;
        }
        if reference {
            self.summary.reference_length += len;
        }
        Ok(())
    }

    pub(super) fn finish(self) -> CigarSummary {
        self.summary
    }
}

/// The type of an optional field, for the predefined-tag check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuxType {
    Character,
    Integer,
    Float,
    String,
    Hex,
    Array(u8),
}

impl AuxType {
    fn describe(self) -> String {
        match self {
            Self::Character => "A".to_owned(),
            Self::Integer => "i".to_owned(),
            Self::Float => "f".to_owned(),
            Self::String => "Z".to_owned(),
            Self::Hex => "H".to_owned(),
            Self::Array(subtype) => format!("B:{}", char::from(subtype)),
        }
    }
}

/// The types of the tags SAMtags predefines (only those with one fixed type).
fn predefined_type(tag: [u8; 2]) -> Option<AuxType> {
    use AuxType::*;
    Some(match &tag {
        b"AM" | b"AS" | b"CM" | b"CP" | b"FI" | b"H0" | b"H1" | b"H2" | b"HI" | b"IH" | b"MQ"
        | b"NH" | b"NM" | b"OP" | b"PQ" | b"SM" | b"TC" | b"UQ" | b"MN" => Integer,
        b"BC" | b"BQ" | b"BZ" | b"CB" | b"CC" | b"CO" | b"CQ" | b"CR" | b"CS" | b"CT" | b"E2"
        | b"FS" | b"LB" | b"MC" | b"MD" | b"MI" | b"MM" | b"OA" | b"OC" | b"OQ" | b"OX" | b"PG"
        | b"PT" | b"PU" | b"Q2" | b"QT" | b"QX" | b"R2" | b"RG" | b"RX" | b"SA" | b"U2" => String,
        b"TS" => Character,
        b"CG" => Array(b'I'),
        b"FZ" => Array(b'S'),
        b"ML" => Array(b'C'),
        _ => return None,
    })
}

/// Checks the optional fields of one record: no tag twice, predefined tags with their type
/// (a warning otherwise), `RG` naming a declared read group.
#[derive(Debug, Default)]
pub(super) struct AuxChecker {
    seen: Vec<[u8; 2]>,
}

impl AuxChecker {
    pub(super) fn start_record(&mut self) {
        self.seen.clear();
    }

    /// Checks one field; `string` is the value of `Z` fields (for `RG`).
    pub(super) fn field(
        &mut self,
        tag: [u8; 2],
        ty: AuxType,
        string: Option<&[u8]>,
        header: &Header,
        warn: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        let name = TagName(tag);
        if self.seen.contains(&tag) {
            return Err(format!("optional field {name} appears more than once"));
        }
        self.seen.push(tag);
        if let Some(expected) = predefined_type(tag) {
            let integer_array = matches!(
                (expected, ty),
                (AuxType::Array(a), AuxType::Array(b)) if a.is_ascii_uppercase() == b.is_ascii_uppercase() && b != b'f'
            );
            if expected != ty && !integer_array {
                warn(format!(
                    "optional field {name} has type {}, but SAMtags defines it as {}",
                    ty.describe(),
                    expected.describe()
                ));
            }
        }
        if &tag == b"RG"
            && !header.read_groups.is_empty()
            && let Some(value) = string
            && !header.read_groups.contains(value)
        {
            return Err(format!(
                "RG:Z:{} names no @RG ID of the header",
                String::from_utf8_lossy(value)
            ));
        }
        Ok(())
    }
}

/// What the record checks of BAM and CRAM carry from one record to the next.
#[derive(Debug, Default)]
pub(super) struct RecordState {
    pub aux: AuxChecker,
    pub order: CoordinateOrder,
}

/// Checks that records follow `@HD SO:coordinate` when the header says so: by reference in header
/// order, then by position, records without a reference last.
#[derive(Debug, Default)]
pub(super) struct CoordinateOrder {
    enabled: bool,
    previous: Option<(usize, u64)>,
}

impl CoordinateOrder {
    pub(super) fn new(header: &Header) -> Self {
        Self {
            enabled: header.sort_order.as_deref() == Some("coordinate"),
            previous: None,
        }
    }

    fn check(&mut self, alignment: &Alignment, header: &Header) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        let key = (
            alignment.reference.unwrap_or(usize::MAX),
            alignment.position,
        );
        if let Some(previous) = self.previous
            && key < previous
        {
            let place = |(reference, position): (usize, u64)| match header.references.get(reference)
            {
                Some(r) => format!("{}:{position}", String::from_utf8_lossy(&r.name)),
                None => "unplaced ('*')".to_owned(),
            };
            return Err(format!(
                "the header says SO:coordinate but this record ({}) comes after one at {}",
                place(key),
                place(previous)
            ));
        }
        self.previous = Some(key);
        Ok(())
    }
}

/// Checks a decoded record against the header and itself, and counts it in `stats`.
///
/// Errors break a rule of the spec; warnings (through `warn`) are what the spec allows but makes
/// the record suspicious: the hts-specs suite holds such files among the valid ones.
pub(super) fn check_alignment(
    alignment: &Alignment,
    cigar: &CigarSummary,
    header: &Header,
    order: &mut CoordinateOrder,
    stats: &mut AlignmentStats,
    warn: &mut dyn FnMut(String),
) -> Result<(), String> {
    let flags = alignment.flags;
    if flags & !flag::DEFINED != 0 {
        return Err(format!(
            "FLAG {flags} sets bits the spec does not define (0x{:x})",
            flags & !flag::DEFINED
        ));
    }
    if let (Some(sequence), Some(quality)) = (alignment.sequence_length, alignment.quality_length)
        && sequence != quality
    {
        return Err(format!(
            "QUAL has {quality} scores but SEQ has {sequence} bases"
        ));
    }
    if alignment.sequence_length.is_none() && alignment.quality_length.is_some() {
        return Err("QUAL is given but SEQ is '*'".to_owned());
    }
    if cigar.present
        && let Some(sequence) = alignment.sequence_length
        && cigar.query_length != sequence
    {
        return Err(format!(
            "CIGAR covers {} query bases but SEQ has {sequence}",
            cigar.query_length
        ));
    }
    let unmapped = flags & flag::UNMAPPED != 0;
    match alignment.reference {
        Some(index) => {
            let reference = &header.references[index];
            if alignment.position > reference.length {
                warn(format!(
                    "POS {} is beyond the end of {} (length {})",
                    alignment.position,
                    shown(&reference.name),
                    reference.length
                ));
            } else if !unmapped
                && cigar.present
                && alignment.position > 0
                && alignment.position + cigar.reference_length.max(1) - 1 > reference.length
            {
                warn(format!(
                    "the alignment ends at {}, beyond the end of {} (length {})",
                    alignment.position + cigar.reference_length - 1,
                    shown(&reference.name),
                    reference.length
                ));
            }
            if !unmapped && alignment.position == 0 {
                warn("mapped record (FLAG 0x4 clear) with POS 0".to_owned());
            }
        }
        None => {
            if alignment.position != 0 {
                warn(format!(
                    "POS {} is set but RNAME is '*'",
                    alignment.position
                ));
            }
            if !unmapped {
                warn("mapped record (FLAG 0x4 clear) with RNAME '*'".to_owned());
            }
        }
    }
    if !unmapped && !cigar.present {
        warn("mapped record (FLAG 0x4 clear) without a CIGAR".to_owned());
    }
    match alignment.mate_reference {
        Some(index) => {
            let reference = &header.references[index];
            if alignment.mate_position > reference.length {
                warn(format!(
                    "PNEXT {} is beyond the end of {} (length {})",
                    alignment.mate_position,
                    shown(&reference.name),
                    reference.length
                ));
            }
        }
        None if alignment.mate_position != 0 => warn(format!(
            "PNEXT {} is set but RNEXT is '*'",
            alignment.mate_position
        )),
        None => {}
    }
    if flags & flag::PAIRED == 0 {
        let paired_only = flags
            & (flag::PROPER_PAIR
                | flag::MATE_UNMAPPED
                | flag::MATE_REVERSE
                | flag::FIRST
                | flag::LAST);
        if paired_only != 0 {
            warn(format!(
                "FLAG {flags} sets mate bits (0x{paired_only:x}) without 0x1 (paired)"
            ));
        }
    }
    if unmapped {
        let mapping_only = flags & (flag::PROPER_PAIR | flag::SECONDARY | flag::SUPPLEMENTARY);
        if mapping_only != 0 {
            warn(format!(
                "FLAG {flags} sets 0x{mapping_only:x} on an unmapped record (0x4)"
            ));
        }
    }
    if flags & flag::SECONDARY != 0 && flags & flag::SUPPLEMENTARY != 0 {
        warn(format!(
            "FLAG {flags} marks the record both secondary (0x100) and supplementary (0x800)"
        ));
    }
    order.check(alignment, header)?;
    count(flags, stats);
    Ok(())
}

fn count(flags: u16, stats: &mut AlignmentStats) {
    stats.records += 1;
    if flags & flag::UNMAPPED == 0 {
        stats.mapped += 1;
    } else {
        stats.unmapped += 1;
    }
    if flags & flag::SECONDARY != 0 {
        stats.secondary += 1;
    }
    if flags & flag::SUPPLEMENTARY != 0 {
        stats.supplementary += 1;
    }
    if flags & flag::DUPLICATE != 0 {
        stats.duplicates += 1;
    }
    if flags & (flag::PAIRED | flag::PROPER_PAIR) == flag::PAIRED | flag::PROPER_PAIR {
        stats.properly_paired += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cigar(text: &str) -> Result<CigarSummary, String> {
        let mut checker = CigarChecker::default();
        let mut len = 0u64;
        for b in text.bytes() {
            if b.is_ascii_digit() {
                len = len * 10 + u64::from(b - b'0');
            } else {
                checker.push(b, len)?;
                len = 0;
            }
        }
        Ok(checker.finish())
    }

    #[test]
    fn cigar_clip_placement() {
        for ok in ["2H3S10M1I2D3S4H", "5S", "1H1S", "1H1H", "10M", "3S2S", "1H"] {
            assert!(cigar(ok).is_ok(), "{ok}");
        }
        for bad in ["2S1H46M", "24M1S25M", "1H1M1H1M", "10M1H1S", "3M2Y"] {
            assert!(cigar(bad).is_err(), "{bad}");
        }
        let summary = cigar("2H3S10M1I2D5N3S4H").unwrap_or_default();
        assert_eq!((summary.query_length, summary.reference_length), (17, 17));
    }
}
