//! The VCF header: `##fileformat`, meta-information lines and the `#CHROM` header line.
//!
//! Only what records are checked against is kept: INFO/FORMAT definitions, FILTER, ALT and
//! contig IDs, and the sample count.

use std::{
    borrow::Cow,
    collections::{HashMap, HashSet},
};

use super::{Issue, LineWarnings, Repeats, Version, shown};

/// How many values a field holds (`Number=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Number {
    /// A fixed count.
    Count(u32),
    /// One per ALT allele.
    A,
    /// One per allele, REF included.
    R,
    /// One per genotype.
    G,
    /// One per allele of the sample's GT (VCF 4.4+).
    P,
    /// Local-allele counts (VCF 4.5+): one per local ALT, per local allele, per local genotype.
    Local,
    /// Unknown or varying (`.`).
    Unbounded,
}

impl Number {
    fn parse(value: &[u8], version: Version) -> Option<Self> {
        Some(match value {
            b"A" => Self::A,
            b"R" => Self::R,
            b"G" => Self::G,
            b"." => Self::Unbounded,
            b"P" if version >= Version::V44 => Self::P,
            b"LA" | b"LR" | b"LG" if version >= Version::V45 => Self::Local,
            _ if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                Self::Count(std::str::from_utf8(value).ok()?.parse().ok()?)
            }
            _ => return None,
        })
    }

    pub(crate) fn as_text(self) -> String {
        match self {
            Self::Count(n) => n.to_string(),
            Self::A => "A".into(),
            Self::R => "R".into(),
            Self::G => "G".into(),
            Self::P => "P".into(),
            Self::Local => "L*".into(),
            Self::Unbounded => ".".into(),
        }
    }
}

/// The type of a field's values (`Type=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueType {
    Integer,
    Float,
    Flag,
    Character,
    String,
}

impl ValueType {
    fn parse(value: &[u8]) -> Option<Self> {
        Some(match value {
            b"Integer" => Self::Integer,
            b"Float" => Self::Float,
            b"Flag" => Self::Flag,
            b"Character" => Self::Character,
            b"String" => Self::String,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Integer => "Integer",
            Self::Float => "Float",
            Self::Flag => "Flag",
            Self::Character => "Character",
            Self::String => "String",
        }
    }
}

/// An INFO or FORMAT field definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Definition {
    pub number: Number,
    pub value_type: ValueType,
    /// Whether the header declares it (otherwise it comes from the specification's reserved keys).
    pub declared: bool,
}

/// INFO keys the specification reserves, with their Number and Type.
const RESERVED_INFO: &[(&str, Number, ValueType)] = &[
    ("AA", Number::Count(1), ValueType::String),
    ("AC", Number::A, ValueType::Integer),
    ("AD", Number::R, ValueType::Integer),
    ("ADF", Number::R, ValueType::Integer),
    ("ADR", Number::R, ValueType::Integer),
    ("AF", Number::A, ValueType::Float),
    ("AN", Number::Count(1), ValueType::Integer),
    ("BQ", Number::Count(1), ValueType::Float),
    ("CIGAR", Number::A, ValueType::String),
    ("DB", Number::Count(0), ValueType::Flag),
    ("DP", Number::Count(1), ValueType::Integer),
    ("END", Number::Count(1), ValueType::Integer),
    ("H2", Number::Count(0), ValueType::Flag),
    ("H3", Number::Count(0), ValueType::Flag),
    ("MQ", Number::Count(1), ValueType::Float),
    ("MQ0", Number::Count(1), ValueType::Integer),
    ("NS", Number::Count(1), ValueType::Integer),
    ("SB", Number::Count(4), ValueType::Integer),
    ("SOMATIC", Number::Count(0), ValueType::Flag),
    ("VALIDATED", Number::Count(0), ValueType::Flag),
    ("1000G", Number::Count(0), ValueType::Flag),
];

/// FORMAT keys the specification reserves, with their Number and Type.
const RESERVED_FORMAT: &[(&str, Number, ValueType)] = &[
    ("AD", Number::R, ValueType::Integer),
    ("ADF", Number::R, ValueType::Integer),
    ("ADR", Number::R, ValueType::Integer),
    ("DP", Number::Count(1), ValueType::Integer),
    ("EC", Number::A, ValueType::Integer),
    ("FT", Number::Count(1), ValueType::String),
    ("GL", Number::G, ValueType::Float),
    ("GLE", Number::G, ValueType::String),
    ("GP", Number::G, ValueType::Float),
    ("GQ", Number::Count(1), ValueType::Integer),
    ("GT", Number::Count(1), ValueType::String),
    ("HQ", Number::Count(2), ValueType::Integer),
    ("MQ", Number::Count(1), ValueType::Integer),
    ("PL", Number::G, ValueType::Integer),
    ("PP", Number::G, ValueType::Integer),
    ("PQL", Number::P, ValueType::Integer),
    ("PSL", Number::P, ValueType::String),
    ("PQ", Number::Count(1), ValueType::Integer),
    ("PS", Number::Count(1), ValueType::Integer),
];

fn reserved(table: &[(&str, Number, ValueType)], key: &[u8]) -> Option<Definition> {
    table
        .iter()
        .find(|(name, _, _)| name.as_bytes() == key)
        .map(|&(_, number, value_type)| Definition {
            number,
            value_type,
            declared: false,
        })
}

/// Top-level types of symbolic ALT alleles defined by the specification.
const SYMBOLIC_TYPES: &[&[u8]] = &[b"DEL", b"INS", b"DUP", b"INV", b"CNV", b"BND"];

/// What the header defines.
#[derive(Debug)]
pub(crate) struct Header {
    pub version: Version,
    pub infos: HashMap<Vec<u8>, Definition>,
    pub formats: HashMap<Vec<u8>, Definition>,
    pub filters: HashSet<Vec<u8>>,
    /// Declared contigs and their lengths.
    pub contigs: HashMap<Vec<u8>, Option<u64>>,
    pub alts: HashSet<Vec<u8>>,
    /// `##contig` lines.
    pub contig_lines: u64,
    /// Whether the header line has a FORMAT column.
    pub has_format: bool,
    pub samples: usize,
    /// The sample names, for messages, one after the other (one allocation, not one a sample).
    sample_names: String,
    /// Where each sample name ends in `sample_names`.
    sample_ends: Vec<usize>,
}

impl Header {
    pub(crate) fn new(version: Version) -> Self {
        Self {
            version,
            infos: HashMap::new(),
            formats: HashMap::new(),
            filters: HashSet::new(),
            contigs: HashMap::new(),
            alts: HashSet::new(),
            contig_lines: 0,
            has_format: false,
            samples: 0,
            sample_names: String::new(),
            sample_ends: Vec::new(),
        }
    }

    /// The name of the sample in column `index` (0-based, after FORMAT), for messages.
    pub(crate) fn sample_name(&self, index: usize) -> &str {
        let Some(&end) = self.sample_ends.get(index) else {
            return "?";
        };
        let start = index
            .checked_sub(1)
            .and_then(|i| self.sample_ends.get(i))
            .copied()
            .unwrap_or(0);
        self.sample_names.get(start..end).unwrap_or("?")
    }

    /// The INFO definition of `key`: declared, else reserved by the specification.
    pub(crate) fn info(&self, key: &[u8]) -> Option<Definition> {
        self.infos
            .get(key)
            .copied()
            .or_else(|| reserved(RESERVED_INFO, key))
    }

    /// The FORMAT definition of `key`: declared, else reserved by the specification.
    pub(crate) fn format(&self, key: &[u8]) -> Option<Definition> {
        self.formats
            .get(key)
            .copied()
            .or_else(|| reserved(RESERVED_FORMAT, key))
    }

    /// Checks one `##` line (without the `##`), recording what it defines.
    pub(crate) fn meta_line(
        &mut self,
        text: &[u8],
        warnings: &mut LineWarnings,
    ) -> Result<(), Issue> {
        let trimmed = text.trim_ascii_end();
        if trimmed.len() != text.len() {
            warnings.push("meta-information line ends with whitespace".into());
        }
        let text = trimmed;
        let Some(eq) = memchr::memchr(b'=', text) else {
            return Err(format!(
                "meta-information line {} is not key=value",
                shown(text)
            ));
        };
        let (key, value) = (&text[..eq], &text[eq + 1..]);
        if key.is_empty() {
            return Err("meta-information line has an empty key before '='".into());
        }
        if let Some(&b) = key
            .iter()
            .find(|&&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
        {
            return Err(format!(
                "meta-information key {} has the character {}: keys are letters, digits, '_', '.' and '-'",
                shown(key),
                shown(&[b])
            ));
        }
        if value.is_empty() {
            return Err(format!(
                "meta-information line {} has an empty value",
                shown(key)
            ));
        }
        match key {
            b"fileformat" => return Err("a second ##fileformat line".into()),
            b"INFO" | b"FORMAT" | b"FILTER" | b"ALT" | b"contig" | b"SAMPLE" | b"META"
            | b"PEDIGREE" => {}
            b"pedigreeDB" => {
                return check_url(
                    key,
                    value
                        .strip_prefix(b"<")
                        .and_then(|v| v.strip_suffix(b">"))
                        .unwrap_or(value),
                );
            }
            b"assembly" => return check_url(key, value),
            _ => {
                // Other lines may be unstructured text; a '<' value must at least close.
                if value.first() == Some(&b'<') && value.last() != Some(&b'>') {
                    return Err(format!(
                        "##{} value {} opens '<' but does not end with '>'",
                        shown_plain(key),
                        shown(value)
                    ));
                }
                return Ok(());
            }
        }
        if value.first() != Some(&b'<') {
            return Err(format!(
                "##{} must be structured as <ID=...,...>, found {}",
                shown_plain(key),
                shown(value)
            ));
        }
        let fields = structured_fields(key, value, warnings)?;
        let field = |name: &[u8]| fields.iter().find(|f| f.name == name).map(|f| &*f.value);
        if let Some(description) = fields.iter().find(|f| f.name == b"Description")
            && !description.quoted
        {
            return Err(format!(
                "##{} Description must be a quoted string, found {}",
                shown_plain(key),
                shown(&description.value)
            ));
        }
        if key == b"PEDIGREE" {
            return self.pedigree(&fields);
        }
        let Some(id) = field(b"ID") else {
            return Err(format!("##{} line has no ID", shown_plain(key)));
        };
        if id.is_empty() {
            return Err(format!("##{} line has an empty ID", shown_plain(key)));
        }
        match key {
            b"INFO" | b"FORMAT" => self.definition(key, id, &fields, warnings),
            b"FILTER" => {
                check_id_chars(key, id)?;
                if field(b"Description").is_none() {
                    warnings.push(format!("##FILTER {} has no Description", shown(id)));
                }
                if id == b"0" {
                    return Err("##FILTER ID '0' is reserved by the specification".into());
                }
                if !self.filters.insert(id.to_vec()) {
                    warnings.push(format!("##FILTER {} is declared twice", shown(id)));
                }
                Ok(())
            }
            b"ALT" => {
                if fields[0].name != b"ID"
                    || fields.get(1).is_some_and(|f| f.name != b"Description")
                {
                    return Err("##ALT fields must be in the order ID, Description".into());
                }
                if field(b"Description").is_none() {
                    warnings.push(format!("##ALT {} has no Description", shown(id)));
                }
                if let Some(&b) = id
                    .iter()
                    .find(|&&b| matches!(b, b'<' | b'>' | b',') || b.is_ascii_whitespace())
                {
                    return Err(format!(
                        "##ALT ID {} has the character {}: IDs have no whitespace, commas or angle brackets",
                        shown(id),
                        shown(&[b])
                    ));
                }
                let top = id.split(|&b| b == b':').next().unwrap_or_default();
                if !SYMBOLIC_TYPES.contains(&top) && id != b"*" && id != b"NON_REF" {
                    warnings.push(format!(
                        "##ALT ID {} does not start with a type the specification defines (DEL, INS, DUP, INV, CNV, BND)",
                        shown(id)
                    ));
                }
                if !self.alts.insert(id.to_vec()) {
                    warnings.push(format!("##ALT {} is declared twice", shown(id)));
                }
                Ok(())
            }
            b"contig" => {
                self.contig_lines += 1;
                check_contig_name(id, self.version)
                    .map_err(|why| format!("##contig ID {}: {why}", shown(id)))?;
                if let Some(why) = colon_in_name(id, self.version) {
                    warnings.push(format!("##contig ID {}: {why}", shown(id)));
                }
                let length = match field(b"length") {
                    None => None,
                    Some(text) => Some(
                        std::str::from_utf8(text)
                            .ok()
                            .and_then(|t| t.parse::<u64>().ok())
                            .filter(|&n| n > 0)
                            .ok_or_else(|| {
                                format!(
                                    "##contig {} has length {}: it must be a positive integer",
                                    shown(id),
                                    shown(text)
                                )
                            })?,
                    ),
                };
                if self.contigs.insert(id.to_vec(), length).is_some() {
                    warnings.push(format!("##contig {} is declared twice", shown(id)));
                }
                Ok(())
            }
            b"SAMPLE" => self.sample(id, &fields),
            b"META" => meta(id, &fields),
            _ => Ok(()),
        }
    }

    /// `##SAMPLE`: up to VCF 4.2 the fields Genomes, Mixture and Description, unquoted
    /// except Description; from 4.3 any fields.
    fn sample(&self, id: &[u8], fields: &[Field<'_>]) -> Result<(), Issue> {
        if id.iter().any(u8::is_ascii_whitespace) {
            return Err(format!("##SAMPLE ID {} has whitespace", shown(id)));
        }
        if self.version <= Version::V42 {
            for required in [&b"Genomes"[..], b"Mixture", b"Description"] {
                if !fields.iter().any(|f| f.name == required) {
                    return Err(format!(
                        "##SAMPLE {} has no {} field (VCF 4.1/4.2 define ID, Genomes, Mixture, Description)",
                        shown(id),
                        shown_plain(required)
                    ));
                }
            }
            if let Some(field) = fields.iter().find(|f| f.quoted && f.name != b"Description") {
                return Err(format!(
                    "##SAMPLE {}: only Description is quoted, not {}",
                    shown(id),
                    shown_plain(field.name)
                ));
            }
        }
        Ok(())
    }

    /// `##PEDIGREE`: names of samples or genomes, an ID from VCF 4.3.
    fn pedigree(&self, fields: &[Field<'_>]) -> Result<(), Issue> {
        if self.version >= Version::V43 && !fields.iter().any(|f| f.name == b"ID") {
            return Err("##PEDIGREE has no ID (required from VCF 4.3)".into());
        }
        for field in fields {
            if let Some(&b) = field
                .value
                .iter()
                .find(|&&b| b.is_ascii_whitespace() || matches!(b, b':' | b';' | b'=' | b'"'))
            {
                return Err(format!(
                    "##PEDIGREE {}={} has the character {}: values are sample or genome names",
                    shown_plain(field.name),
                    shown(&field.value),
                    shown(&[b])
                ));
            }
        }
        Ok(())
    }

    fn definition(
        &mut self,
        key: &[u8],
        id: &[u8],
        fields: &[Field<'_>],
        warnings: &mut LineWarnings,
    ) -> Result<(), Issue> {
        let kind = shown_plain(key);
        let field = |name: &[u8]| fields.iter().find(|f| f.name == name).map(|f| &*f.value);
        const REQUIRED: [&[u8]; 4] = [b"ID", b"Number", b"Type", b"Description"];
        if let Some(missing) = REQUIRED.iter().find(|name| field(name).is_none()) {
            return Err(format!(
                "##{kind} {} has no {}",
                shown(id),
                shown_plain(missing)
            ));
        }
        if !fields.iter().zip(REQUIRED).all(|(f, name)| f.name == name) {
            warnings.push(format!(
                "##{kind} {}: the first fields should be ID, Number, Type, Description in this order",
                shown(id)
            ));
        }
        check_key(id, self.version).map_err(|why| format!("##{kind} ID {}: {why}", shown(id)))?;
        let number_text = field(b"Number").unwrap_or_default();
        let number = Number::parse(number_text, self.version).ok_or_else(|| {
            format!(
                "##{kind} {} has Number={}: it must be an integer, A, R, G or '.'{}",
                shown(id),
                shown_plain(number_text),
                match self.version {
                    Version::V44 => " (or P)",
                    Version::V45 => " (or P, LA, LR, LG)",
                    _ => "",
                }
            )
        })?;
        let type_text = field(b"Type").unwrap_or_default();
        let value_type = ValueType::parse(type_text)
            .filter(|t| key == b"INFO" || *t != ValueType::Flag)
            .ok_or_else(|| {
                format!(
                    "##{kind} {} has Type={}: it must be Integer, Float, {}Character or String",
                    shown(id),
                    shown_plain(type_text),
                    if key == b"INFO" { "Flag, " } else { "" }
                )
            })?;
        if value_type == ValueType::Flag && number != Number::Count(0) {
            warnings.push(format!(
                "##INFO {} has Type=Flag, so its Number must be 0, not {}",
                shown(id),
                shown_plain(number_text)
            ));
        }
        let table = if key == b"INFO" {
            RESERVED_INFO
        } else {
            RESERVED_FORMAT
        };
        if let Some(spec) = reserved(table, id)
            && (spec.number != number || spec.value_type != value_type)
        {
            let message = format!(
                "##{kind} {} is declared Number={},Type={} but the specification reserves it as Number={},Type={}",
                shown(id),
                shown_plain(number_text),
                value_type.name(),
                spec.number.as_text(),
                spec.value_type.name()
            );
            if id == b"GT" {
                return Err(message);
            }
            warnings.push(message);
        }
        let definition = Definition {
            number,
            value_type,
            declared: true,
        };
        let map = if key == b"INFO" {
            &mut self.infos
        } else {
            &mut self.formats
        };
        if map.insert(id.to_vec(), definition).is_some() {
            warnings.push(format!("##{kind} {} is declared twice", shown(id)));
        }
        Ok(())
    }

    /// Checks the `#CHROM` line.
    pub(crate) fn header_line(
        &mut self,
        line: &[u8],
        warnings: &mut LineWarnings,
    ) -> Result<(), Issue> {
        const FIXED: [&[u8]; 8] = [
            b"#CHROM", b"POS", b"ID", b"REF", b"ALT", b"QUAL", b"FILTER", b"INFO",
        ];
        let mut columns = line.split(|&b| b == b'\t');
        for expected in FIXED {
            match columns.next() {
                Some(found) if found == expected => {}
                Some(found) => {
                    return Err(format!(
                        "the header line must start with the tab-separated columns #CHROM POS ID REF ALT QUAL FILTER INFO; found {} where {} belongs",
                        shown(found),
                        shown_plain(expected)
                    ));
                }
                None => {
                    return Err(format!(
                        "the header line ends before the {} column (columns are separated by tabs)",
                        shown_plain(expected)
                    ));
                }
            }
        }
        match columns.next() {
            None => return Ok(()),
            Some(b"FORMAT") => self.has_format = true,
            Some(found) => {
                return Err(format!(
                    "the ninth column of the header line must be FORMAT, found {}",
                    shown(found)
                ));
            }
        }
        let mut seen = HashSet::new();
        for name in columns {
            self.samples += 1;
            if name.is_empty() {
                return Err(format!("sample {} has an empty name", self.samples));
            }
            if !seen.insert(name) {
                return Err(format!("sample name {} appears twice", shown(name)));
            }
            self.sample_names.push_str(&String::from_utf8_lossy(name));
            self.sample_ends.push(self.sample_names.len());
        }
        if self.samples == 0 {
            warnings.push("the header line has a FORMAT column but no samples".into());
        }
        Ok(())
    }
}

/// One `key=value` of a structured meta-information line, borrowed from the line.
#[derive(Debug)]
struct Field<'a> {
    name: &'a [u8],
    /// The value, unquoted (owned only when it had escapes).
    value: Cow<'a, [u8]>,
    quoted: bool,
}

/// `##META` (VCF 4.3+): ID, Type, Number and a bracketed Values list.
fn meta(id: &[u8], fields: &[Field<'_>]) -> Result<(), Issue> {
    if fields[0].name != b"ID" {
        return Err(format!("##META {}: ID must be the first field", shown(id)));
    }
    let field = |name: &[u8]| fields.iter().find(|f| f.name == name).map(|f| &*f.value);
    match field(b"Number") {
        Some(b".") | None => {}
        Some(n) if !n.is_empty() && n.iter().all(u8::is_ascii_digit) => {}
        Some(n) => {
            return Err(format!(
                "##META {} has Number={}: it must be an integer or '.'",
                shown(id),
                shown(n)
            ));
        }
    }
    if let Some(t) = field(b"Type")
        && !matches!(t, b"Integer" | b"Float" | b"String" | b"Character")
    {
        return Err(format!(
            "##META {} has Type={}: it must be Integer, Float, Character or String",
            shown(id),
            shown(t)
        ));
    }
    if let Some(values) = field(b"Values")
        && !(values.starts_with(b"[") && values.ends_with(b"]"))
    {
        return Err(format!(
            "##META {} Values must be a list in square brackets, found {}",
            shown(id),
            shown(values)
        ));
    }
    Ok(())
}

/// Splits `<k=v,k="v",...>` into fields, unquoting values.
///
/// Whitespace around names and values is tolerated with a warning (htslib's suite has it).
fn structured_fields<'a>(
    key: &[u8],
    value: &'a [u8],
    warnings: &mut LineWarnings,
) -> Result<Vec<Field<'a>>, Issue> {
    let kind = shown_plain(key);
    let Some(inner) = value.strip_prefix(b"<") else {
        return Err(format!("##{kind} must be structured as <...>"));
    };
    let mut fields: Vec<Field<'a>> = Vec::new();
    let mut names = Repeats::new();
    let mut rest = inner;
    let mut spaced = false;
    loop {
        let Some(eq) = rest.iter().position(|&b| matches!(b, b'=' | b',' | b'>')) else {
            return Err(format!("##{kind} line does not end with '>'"));
        };
        if rest[eq] != b'=' {
            return Err(format!(
                "##{kind} field {} is not key=value",
                shown(&rest[..eq])
            ));
        }
        let name = rest[..eq].trim_ascii();
        spaced |= name.len() != eq;
        if name.is_empty() || name.iter().any(|b| b.is_ascii_whitespace() || *b == b'"') {
            return Err(format!(
                "##{kind} has an invalid field name {}",
                shown(name)
            ));
        }
        rest = &rest[eq + 1..];
        let value_start = rest.trim_ascii_start();
        if value_start.first() == Some(&b'"') && value_start.len() != rest.len() {
            spaced = true;
            rest = value_start;
        }
        let quoted = rest.first() == Some(&b'"');
        let text: Cow<'a, [u8]>;
        if quoted {
            let mut i = 1;
            let mut escaped = false;
            loop {
                match rest.get(i) {
                    None => {
                        return Err(format!(
                            "##{kind} field {} opens a quote it does not close",
                            shown(name)
                        ));
                    }
                    Some(b'\\') if matches!(rest.get(i + 1), Some(b'"' | b'\\')) => {
                        escaped = true;
                        i += 2;
                    }
                    Some(b'"') => break,
                    Some(_) => i += 1,
                }
            }
            let inside = &rest[1..i];
            text = if escaped {
                Cow::Owned(unescaped(inside))
            } else {
                Cow::Borrowed(inside)
            };
            rest = &rest[i + 1..];
            let after = rest.trim_ascii_start();
            spaced |= after.len() != rest.len();
            rest = after;
        } else if rest.first() == Some(&b'[') {
            // A list value (##META Values=[a, b]).
            let Some(end) = memchr::memchr(b']', rest) else {
                return Err(format!(
                    "##{kind} field {} opens '[' but does not close it",
                    shown(name)
                ));
            };
            text = Cow::Borrowed(&rest[..=end]);
            rest = &rest[end + 1..];
        } else {
            let end = rest
                .iter()
                .position(|&b| matches!(b, b',' | b'>'))
                .unwrap_or(rest.len());
            let trimmed = rest[..end].trim_ascii();
            spaced |= trimmed.len() != end;
            text = Cow::Borrowed(trimmed);
            rest = &rest[end..];
        }
        if names.seen(name) {
            return Err(format!("##{kind} has the field {} twice", shown(name)));
        }
        fields.push(Field {
            name,
            value: text,
            quoted,
        });
        match rest.first() {
            Some(b',') => rest = &rest[1..],
            Some(b'>') if rest.len() == 1 => {
                if spaced {
                    warnings.push(format!(
                        "##{kind} line has whitespace around field names or values"
                    ));
                }
                return Ok(fields);
            }
            Some(b'>') => {
                return Err(format!(
                    "##{kind} line has text after the closing '>': {}",
                    shown(&rest[1..])
                ));
            }
            Some(_) => {
                return Err(format!(
                    "##{kind} field {}: a closing quote must be followed by ',' or '>', found {}",
                    shown(name),
                    shown(rest)
                ));
            }
            None => return Err(format!("##{kind} line does not end with '>'")),
        }
    }
}

/// A quoted value without its escapes: `\"` and `\\` stand for `"` and `\`.
fn unescaped(inside: &[u8]) -> Vec<u8> {
    let mut text = Vec::with_capacity(inside.len());
    let mut i = 0;
    while let Some(&b) = inside.get(i) {
        if b == b'\\' && matches!(inside.get(i + 1), Some(b'"' | b'\\')) {
            text.push(inside[i + 1]);
            i += 2;
        } else {
            text.push(b);
            i += 1;
        }
    }
    text
}

fn check_url(key: &[u8], value: &[u8]) -> Result<(), Issue> {
    let invalid = || {
        format!(
            "##{} must be a URL, found {}",
            shown_plain(key),
            shown(value)
        )
    };
    let Some(scheme_end) = value.windows(3).position(|w| w == b"://") else {
        // A local file name is allowed for ##assembly.
        let file_name = key == b"assembly"
            && !value
                .iter()
                .any(|b| b.is_ascii_whitespace() || matches!(b, b'<' | b'>' | b'"' | b'=' | b','));
        return if file_name { Ok(()) } else { Err(invalid()) };
    };
    let scheme = &value[..scheme_end];
    let rest = &value[scheme_end + 3..];
    let authority = &rest[..rest.iter().position(|&b| b == b'/').unwrap_or(rest.len())];
    let host_port = match memchr::memrchr(b'@', authority) {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let (host, port) = match memchr::memrchr(b':', host_port) {
        Some(colon) => (&host_port[..colon], Some(&host_port[colon + 1..])),
        None => (host_port, None),
    };
    let ip_v4 = host.split(|&b| b == b'.').count() == 4
        && host
            .split(|&b| b == b'.')
            .all(|part| (1..=3).contains(&part.len()) && part.iter().all(u8::is_ascii_digit));
    let host_name = host.iter().any(u8::is_ascii_alphabetic)
        && host
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    let valid = !scheme.is_empty()
        && scheme[0].is_ascii_alphabetic()
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && (ip_v4 || host_name)
        && port.is_none_or(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
        && !value
            .iter()
            .any(|b| b.is_ascii_whitespace() || matches!(b, b'<' | b'>' | b'"'));
    if valid { Ok(()) } else { Err(invalid()) }
}

/// Checks an INFO or FORMAT key (the syntax tightened in VCF 4.3).
pub(crate) fn check_key(key: &[u8], version: Version) -> Result<(), String> {
    if version >= Version::V43 {
        let valid = key == b"1000G"
            || key
                .first()
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                && decoded_percent(key)
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'));
        if !valid {
            return Err("keys must match [A-Za-z_][0-9A-Za-z_.]* (VCF 4.3+)".into());
        }
    } else if key.is_empty()
        || key.iter().any(|b| {
            !b.is_ascii_graphic() || matches!(b, b',' | b';' | b'=' | b':' | b'<' | b'>' | b'"')
        })
    {
        return Err(
            "keys are printable characters without ',', ';', '=', ':', '<', '>' or quotes".into(),
        );
    }
    Ok(())
}

/// The bytes of `key` with `%XX` escapes (VCF 4.3 percent-encoding) read as `_`.
fn decoded_percent(key: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *key.get(i)?;
        if b == b'%'
            && key
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        {
            i += 3;
            return Some(b'_');
        }
        i += 1;
        Some(b)
    })
}

fn check_id_chars(key: &[u8], id: &[u8]) -> Result<(), Issue> {
    if let Some(&b) = id
        .iter()
        .find(|b| !b.is_ascii_graphic() || matches!(b, b';' | b','))
    {
        return Err(format!(
            "##{} ID {} has the character {}",
            shown_plain(key),
            shown(id),
            shown(&[b])
        ));
    }
    Ok(())
}

/// Checks a contig name (CHROM or `##contig` ID).
pub(crate) fn check_contig_name(name: &[u8], version: Version) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("the name is empty");
    }
    if name.iter().any(|b| b.is_ascii_whitespace()) {
        return Err("names have no whitespace");
    }
    if name.iter().any(|b| !b.is_ascii_graphic() && b.is_ascii()) {
        return Err("names have no control characters");
    }
    if version >= Version::V43 {
        // [0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&*+./:;=?@^_|~-".contains(&b);
        if name[0] == b'*' || name[0] == b'=' || !name.iter().all(|&b| allowed(b)) {
            return Err(
                "names match [0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]* (VCF 4.3+)",
            );
        }
    } else if name
        .iter()
        .any(|b| matches!(b, b'<' | b'>' | b',' | b'[' | b']' | b'"' | b'\''))
    {
        return Err("names have no '<', '>', ',', '[', ']' or quotes");
    }
    Ok(())
}

/// Before VCF 4.3 a ':' in a contig name is ambiguous with breakend mate positions.
pub(crate) fn colon_in_name(name: &[u8], version: Version) -> Option<&'static str> {
    (version <= Version::V42 && name.contains(&b':'))
        .then_some("a ':' in a contig name reads as a chrom:pos position in breakends")
}

/// A key for messages, without the quotes of `shown`.
fn shown_plain(text: &[u8]) -> String {
    String::from_utf8_lossy(text).into_owned()
}
