//! Data lines: each checked against the header, one at a time.

use std::collections::{HashSet, VecDeque};

use super::{
    Issue, LineWarnings, Repeats, Version,
    header::{Definition, Header, Number, ValueType, check_contig_name, check_key, colon_in_name},
    shown,
    sv::{self, SvInfo},
    values::{
        float_value, genotype_count, is_bases, is_cigar, is_float, parse_genotype, parse_integer,
    },
};

/// Counts gathered over the records.
#[derive(Debug, Default)]
pub(crate) struct RecordStats {
    pub snvs: u64,
    pub indels: u64,
    pub other: u64,
    pub filtered: u64,
}

/// How many names of one kind are remembered as reported undeclared (beyond, no more reports).
const MAX_REPORTED: usize = 10_000;

/// How many bytes of names of one kind are remembered as reported undeclared: names may be
/// megabytes long.
const MAX_REPORTED_BYTES: usize = 4 << 20;

/// How many contigs are remembered for the contiguity check (beyond, contigs that end are no
/// longer checked).
const MAX_FINISHED_CONTIGS: usize = 100_000;

/// How many bytes of contig names are remembered for the contiguity check: with the count
/// above, a few MB at most, whatever the file.
const MAX_FINISHED_BYTES: usize = 16 << 20;

/// Appended to warnings given once per name.
const ONCE: &str = " (reported once)";

/// Kinds of names used without a declaration.
#[derive(Clone, Copy, Debug)]
enum Undeclared {
    Contig,
    Alt,
    Filter,
    Info,
    Format,
}

/// Names already reported as undeclared, so that each is reported once, not on every record.
#[derive(Debug, Default)]
struct Reported {
    names: [HashSet<Vec<u8>>; 5],
    /// The bytes of the names of each kind.
    bytes: [usize; 5],
}

impl Reported {
    /// Whether `name` of `kind` is reported for the first time (and remembers it).
    fn first(&mut self, kind: Undeclared, name: &[u8]) -> bool {
        let (names, bytes) = (
            &mut self.names[kind as usize],
            &mut self.bytes[kind as usize],
        );
        if names.len() >= MAX_REPORTED
            || *bytes + name.len() > MAX_REPORTED_BYTES
            || names.contains(name)
        {
            return false;
        }
        names.insert(name.to_vec());
        *bytes += name.len();
        true
    }
}

/// How many recent variants are remembered to spot duplicates.
const DUPLICATE_WINDOW: usize = 256;

/// Checks records in order, keeping only what ordering checks need.
pub(crate) struct Records {
    header: Header,
    pub stats: RecordStats,
    /// The contig of the previous record.
    chrom: Vec<u8>,
    last_pos: u64,
    /// Contigs whose block of records has ended.
    finished: HashSet<Vec<u8>>,
    /// The bytes of the names in `finished`.
    finished_bytes: usize,
    /// Hashes and positions of recent normalised variants on `chrom`.
    recent: VecDeque<(u64, u64)>,
    /// The FORMAT keys of the current record: byte range in the line and definition.
    format_keys: Vec<(usize, usize, Definition, Meaning)>,
    reported: Reported,
}

/// What a record's alleles tell the value checks.
#[derive(Clone, Copy)]
struct Alleles {
    /// ALT alleles (0 when ALT is `.`).
    alts: usize,
}

impl Records {
    pub(crate) fn new(header: Header) -> Self {
        Self {
            header,
            stats: RecordStats::default(),
            chrom: Vec::new(),
            last_pos: 0,
            finished: HashSet::new(),
            finished_bytes: 0,
            recent: VecDeque::new(),
            format_keys: Vec::new(),
            reported: Reported::default(),
        }
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    /// Checks one data line.
    pub(crate) fn check(&mut self, line: &[u8], warnings: &mut LineWarnings) -> Result<(), Issue> {
        if line[0] == b'#' {
            return Err(format!(
                "header line after the first record (or after #CHROM): {}",
                shown(line)
            ));
        }
        let expected = if self.header.has_format {
            9 + self.header.samples
        } else {
            8
        };
        let columns = memchr::memchr_iter(b'\t', line).count() + 1;
        if columns != expected {
            return Err(format!(
                "the record has {columns} tab-separated columns, the header line defines {expected}"
            ));
        }
        let mut fields = line.split(|&b| b == b'\t');
        let mut next = || fields.next().unwrap_or_default();
        let (chrom, pos, id, reference, alt, qual, filter, info) = (
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
        );

        self.check_chrom(chrom, warnings)?;
        let pos = self.check_pos(chrom, pos, warnings)?;
        check_id(id, self.header.version, warnings)?;
        check_ref(reference)?;
        let alleles = self.check_alt(reference, alt, warnings)?;
        check_qual(qual)?;
        self.check_filter(filter, warnings)?;
        let sv_info = self.check_info(info, pos, alleles, warnings)?;
        if self.header.version >= Version::V44 {
            sv::check_record(alt, &sv_info, warnings);
        }
        if self.header.has_format {
            let format_start = offset_in(line, next());
            self.check_samples(line, format_start, alleles, warnings)?;
            let has_copy_number = self
                .format_keys
                .iter()
                .any(|&(start, end, _, _)| &line[start..end] == b"CN");
            if self.header.version >= Version::V44 && has_copy_number {
                sv::check_copy_number_lengths(alt, &sv_info, warnings);
            }
        }
        self.remember(chrom, pos, reference, alt, warnings);
        self.count(reference, alt);
        Ok(())
    }

    fn check_chrom(&mut self, chrom: &[u8], warnings: &mut LineWarnings) -> Result<(), Issue> {
        let version = self.header.version;
        // An angle-bracketed ID points into the assembly file.
        let name = chrom
            .strip_prefix(b"<")
            .and_then(|c| c.strip_suffix(b">"))
            .unwrap_or(chrom);
        check_contig_name(name, version).map_err(|why| format!("CHROM {}: {why}", shown(chrom)))?;
        if chrom != self.chrom.as_slice() {
            if let Some(why) = colon_in_name(name, version) {
                warnings.push(format!("CHROM {}: {why}", shown(chrom)));
            }
            if !self.header.contigs.is_empty()
                && name.len() == chrom.len()
                && !self.header.contigs.contains_key(chrom)
                && self.reported.first(Undeclared::Contig, chrom)
            {
                warnings.push(format!(
                    "CHROM {} is not declared by a ##contig line{ONCE}",
                    shown(chrom)
                ));
            }
            if self.finished.contains(chrom) {
                let message = format!(
                    "the records of CHROM {} are not contiguous: it appeared before another contig",
                    shown(chrom)
                );
                // A "must" from VCF 4.3, but the EBI suites have valid files that break it.
                warnings.push(message);
            }
            if !self.chrom.is_empty()
                && self.finished.len() < MAX_FINISHED_CONTIGS
                && self.finished_bytes + self.chrom.len() <= MAX_FINISHED_BYTES
            {
                let length = self.chrom.len();
                if self.finished.insert(std::mem::take(&mut self.chrom)) {
                    self.finished_bytes += length;
                }
            }
            self.chrom.clear();
            self.chrom.extend_from_slice(chrom);
            self.last_pos = 0;
            self.recent.clear();
        }
        Ok(())
    }

    fn check_pos(
        &mut self,
        chrom: &[u8],
        pos: &[u8],
        warnings: &mut LineWarnings,
    ) -> Result<u64, Issue> {
        let value = (!pos.is_empty() && pos.len() <= 19 && pos.iter().all(u8::is_ascii_digit))
            .then(|| pos.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
            .ok_or_else(|| format!("POS {} is not a non-negative integer", shown(pos)))?;
        if value < self.last_pos {
            warnings.push(format!(
                "POS {value} comes after POS {} on CHROM {}: records are not sorted by position",
                self.last_pos,
                shown(chrom)
            ));
        }
        if let Some(Some(length)) = self.header.contigs.get(chrom)
            && value > length.saturating_add(1)
        {
            return Err(format!(
                "POS {value} is beyond the end of CHROM {} (length {length} in its ##contig line)",
                shown(chrom)
            ));
        }
        self.last_pos = value;
        Ok(value)
    }

    fn check_alt(
        &mut self,
        reference: &[u8],
        alt: &[u8],
        warnings: &mut LineWarnings,
    ) -> Result<Alleles, Issue> {
        let version = self.header.version;
        if alt == b"." {
            return Ok(Alleles { alts: 0 });
        }
        let mut alts = 0;
        let mut earlier = Repeats::new();
        for allele in alt.split(|&b| b == b',') {
            alts += 1;
            if allele.is_empty() {
                return Err(format!(
                    "ALT {} has an empty allele (misplaced ',')",
                    shown(alt)
                ));
            }
            if allele == b"." {
                return Err(format!(
                    "ALT {}: '.' (no alternate allele) cannot be one of several alleles",
                    shown(alt)
                ));
            }
            if allele == b"*" {
                if version == Version::V41 {
                    warnings.push(
                        "ALT '*' (allele missing due to a deletion) is defined from VCF 4.2".into(),
                    );
                }
            } else if allele[0] == b'<' {
                self.check_symbolic(allele, warnings)?;
                // The same symbolic allele may repeat (e.g. <DUP> with several copy numbers).
                continue;
            } else if allele.iter().any(|b| matches!(b, b'[' | b']')) {
                check_breakend(allele, version)?;
            } else if allele.len() > 1 && (allele[0] == b'.' || allele[allele.len() - 1] == b'.') {
                let bases = if allele[0] == b'.' {
                    &allele[1..]
                } else {
                    &allele[..allele.len() - 1]
                };
                if !is_bases(bases) {
                    return Err(format!(
                        "ALT allele {} is not a single breakend (bases with a leading or trailing '.')",
                        shown(allele)
                    ));
                }
            } else if !is_bases(allele) {
                let bad = allele
                    .iter()
                    .find(|b| !b"ACGTNacgtn".contains(b))
                    .copied()
                    .unwrap_or(b' ');
                return Err(format!(
                    "ALT allele {} has the character {}: alleles are bases A, C, G, T, N, '*', <ID>, or breakends",
                    shown(allele),
                    shown(&[bad])
                ));
            } else if allele.eq_ignore_ascii_case(reference) {
                return Err(format!("ALT allele {} is the same as REF", shown(allele)));
            }
            // Symbolic alleles are not remembered: they never equal these.
            if earlier.seen(allele) {
                return Err(format!("ALT allele {} is listed twice", shown(allele)));
            }
        }
        Ok(Alleles { alts })
    }

    fn check_symbolic(&mut self, allele: &[u8], warnings: &mut LineWarnings) -> Result<(), Issue> {
        let Some(id) = allele.strip_prefix(b"<").and_then(|a| a.strip_suffix(b">")) else {
            return Err(format!(
                "symbolic ALT allele {} does not end with '>'",
                shown(allele)
            ));
        };
        if id.is_empty()
            || id
                .iter()
                .any(|b| matches!(b, b'<' | b'>' | b',') || !b.is_ascii_graphic())
        {
            return Err(format!(
                "symbolic ALT allele {}: the ID inside <> is non-empty, without '<', '>', ',' or whitespace",
                shown(allele)
            ));
        }
        let top = id.split(|&b| b == b':').next().unwrap_or_default();
        let predefined = matches!(top, b"DEL" | b"INS" | b"DUP" | b"INV" | b"CNV" | b"BND")
            || matches!(id, b"*" | b"NON_REF");
        if !predefined && !self.header.alts.contains(id) && self.reported.first(Undeclared::Alt, id)
        {
            warnings.push(format!(
                "symbolic ALT allele {} is not declared by an ##ALT line{ONCE}",
                shown(allele)
            ));
        }
        Ok(())
    }

    fn check_filter(&mut self, filter: &[u8], warnings: &mut LineWarnings) -> Result<(), Issue> {
        if filter == b"." || filter == b"PASS" {
            return Ok(());
        }
        self.stats.filtered += 1;
        let mut codes = Repeats::new();
        for code in filter.split(|&b| b == b';') {
            if code.is_empty() {
                return Err(format!(
                    "FILTER {} has an empty code (misplaced ';')",
                    shown(filter)
                ));
            }
            if code == b"." {
                return Err(format!(
                    "FILTER {}: '.' cannot be combined with filter codes",
                    shown(filter)
                ));
            }
            if code == b"0" {
                return Err("FILTER code '0' is reserved by the specification".into());
            }
            if let Some(&b) = code.iter().find(|b| !b.is_ascii_graphic() && b.is_ascii()) {
                return Err(format!(
                    "FILTER {} has the character {}",
                    shown(filter),
                    shown(&[b])
                ));
            }
            if codes.seen(code) {
                duplicate_value(self.header.version, warnings, || {
                    format!("FILTER {} lists {} twice", shown(filter), shown(code))
                })?;
            }
            if code == b"PASS" {
                warnings.push_with(|| {
                    format!("FILTER {} combines PASS with failed filters", shown(filter))
                });
            } else if !self.header.filters.contains(code)
                && self.reported.first(Undeclared::Filter, code)
            {
                warnings.push(format!(
                    "FILTER {} is not declared by a ##FILTER line{ONCE}",
                    shown(code)
                ));
            }
        }
        Ok(())
    }

    fn check_info<'l>(
        &mut self,
        info: &'l [u8],
        pos: u64,
        alleles: Alleles,
        warnings: &mut LineWarnings,
    ) -> Result<SvInfo<'l>, Issue> {
        let version = self.header.version;
        let mut sv_info = SvInfo::default();
        if info == b"." {
            return Ok(sv_info);
        }
        if info.is_empty() {
            return Err("INFO is empty: use '.' for no information".into());
        }
        if version <= Version::V42
            && let Some(&b) = info.iter().find(|b| b.is_ascii_whitespace())
        {
            return Err(format!(
                "INFO has the whitespace {} (not allowed before VCF 4.3)",
                shown(&[b])
            ));
        }
        let mut keys = Repeats::new();
        for entry in info.split(|&b| b == b';') {
            if entry.is_empty() {
                return Err(format!(
                    "INFO {} has an empty entry (misplaced ';')",
                    shown(info)
                ));
            }
            let (key, value) = match memchr::memchr(b'=', entry) {
                Some(eq) => (&entry[..eq], Some(&entry[eq + 1..])),
                None => (entry, None),
            };
            check_key(key, version).map_err(|why| format!("INFO key {}: {why}", shown(key)))?;
            if keys.seen(key) {
                return Err(format!("INFO key {} appears twice", shown(key)));
            }

            let Some(definition) = self.header.info(key) else {
                if self.reported.first(Undeclared::Info, key) {
                    warnings.push(format!(
                        "INFO key {} is not declared by an ##INFO line{ONCE}",
                        shown(key)
                    ));
                }
                if let Some(value) = value {
                    if value.is_empty() {
                        return Err(format!("INFO key {} has '=' but no value", shown(key)));
                    }
                    sv_info.note(key, value);
                }
                continue;
            };
            let (what, declared) = ("INFO key", definition.declared);
            if !declared && self.reported.first(Undeclared::Info, key) {
                warnings.push(format!(
                    "INFO key {} is not declared by an ##INFO line (checked as the specification reserves it){ONCE}",
                    shown(key)
                ));
            }
            match (definition.value_type, value) {
                (ValueType::Flag, None) => {}
                (ValueType::Flag, Some(value)) => {
                    warnings.push(format!(
                        "INFO key {} is a Flag and takes no value, found {}",
                        shown(key),
                        shown(value)
                    ));
                }
                (_, None) => {
                    return Err(format!(
                        "INFO key {} has Type={} but no value (only Flags have none)",
                        shown(key),
                        definition.value_type.name()
                    ));
                }
                (_, Some(value)) => {
                    if memchr::memchr(b'=', value).is_some() {
                        warnings.push(format!(
                            "INFO key {} has a value with '=': {}",
                            shown(key),
                            shown(value)
                        ));
                    }
                    // A String may hold a comma in practice (the EBI suites call such files
                    // valid), so its count is only warned about.
                    let lenient = !declared || definition.value_type == ValueType::String;
                    let scan = scan_items(value, definition.value_type, version);
                    match check_count(what, key, value, scan.count, definition, alleles, None) {
                        Err(why) if lenient => warnings.push(why),
                        checked => checked?,
                    }
                    if let Some(bad) = scan.bad {
                        let why = type_error(what, key, definition.value_type, bad);
                        if declared {
                            return Err(why);
                        }
                        warnings.push(why);
                    }
                    meaning_warnings(what, key, Meaning::of(key), (value, &scan), pos, warnings);
                    sv_info.note(key, value);
                }
            }
        }
        Ok(sv_info)
    }

    fn check_samples(
        &mut self,
        line: &[u8],
        format_start: usize,
        alleles: Alleles,
        warnings: &mut LineWarnings,
    ) -> Result<(), Issue> {
        let version = self.header.version;
        let format_end =
            memchr::memchr(b'\t', &line[format_start..]).map_or(line.len(), |i| format_start + i);
        let format = &line[format_start..format_end];
        self.format_keys.clear();
        if format.is_empty() {
            return Err("FORMAT is empty".into());
        }
        if format == b"." {
            // No keys: every sample column is missing too.
            let samples = line[format_end..].split(|&b| b == b'\t').skip(1);
            if let Some((i, column)) = samples.enumerate().find(|(_, c)| *c != b".") {
                return Err(format!(
                    "FORMAT is '.' (no keys) but sample {} has {}",
                    i + 1,
                    shown(column)
                ));
            }
            return Ok(());
        }
        let mut start = format_start;
        let mut keys = Repeats::new();
        for (i, key) in format.split(|&b| b == b':').enumerate() {
            let key_start = start;
            start += key.len() + 1;
            if key.is_empty() {
                return Err(format!(
                    "FORMAT {} has an empty key (misplaced ':')",
                    shown(format)
                ));
            }
            check_key(key, version).map_err(|why| format!("FORMAT key {}: {why}", shown(key)))?;
            if keys.seen(key) {
                // Not allowed from VCF 4.3, but htslib's suite has such a valid file; which
                // value is which is then unclear, so the samples are not checked.
                warnings.push(format!(
                    "FORMAT key {} appears twice: the sample values of this record are not checked",
                    shown(key)
                ));
                return Ok(());
            } else if key == b"GT" && i > 0 {
                return Err(format!(
                    "FORMAT {}: GT must be the first key",
                    shown(format)
                ));
            }
            let definition = match self.header.format(key) {
                Some(definition) => {
                    if !definition.declared && self.reported.first(Undeclared::Format, key) {
                        warnings.push(format!(
                            "FORMAT key {} is not declared by a ##FORMAT line (checked as the specification reserves it){ONCE}",
                            shown(key)
                        ));
                    }
                    definition
                }
                None => {
                    if self.reported.first(Undeclared::Format, key) {
                        warnings.push(format!(
                            "FORMAT key {} is not declared by a ##FORMAT line{ONCE}",
                            shown(key)
                        ));
                    }
                    Definition {
                        number: Number::Unbounded,
                        value_type: ValueType::String,
                        declared: false,
                    }
                }
            };
            self.format_keys.push((
                key_start,
                key_start + key.len(),
                definition,
                Meaning::of(key),
            ));
        }
        let has_gt = line[self.format_keys[0].0..self.format_keys[0].1] == *b"GT";
        if version >= Version::V44 {
            let has = |name: &[u8]| {
                self.format_keys
                    .iter()
                    .any(|&(s, e, _, _)| &line[s..e] == name)
            };
            if has(b"CICN") && !has(b"CN") {
                warnings.push("FORMAT has CICN (a confidence interval around CN) but no CN".into());
            }
        }
        let samples = line[format_end.min(line.len())..]
            .split(|&b| b == b'\t')
            .skip(1);
        for (sample, column) in samples.enumerate() {
            // The column count was checked, so every sample column has a name.
            let sample_name = self.header.sample_name(sample);
            if column.is_empty() {
                empty_value(version, sample_name, b"", warnings)?;
                continue;
            }
            let mut ploidy = None;
            let mut genotype_text: &[u8] = b".";
            for (i, value) in column.split(|&b| b == b':').enumerate() {
                let Some(&(key_start, key_end, definition, meaning)) = self.format_keys.get(i)
                else {
                    let values = column.iter().filter(|&&b| b == b':').count() + 1;
                    return Err(format!(
                        "sample {sample_name} has {values} ':'-separated values but FORMAT {} has {} keys",
                        shown(format),
                        self.format_keys.len()
                    ));
                };
                let key = &line[key_start..key_end];
                if value.is_empty() {
                    empty_value(version, sample_name, key, warnings)?;
                    continue;
                }
                if i == 0 && has_gt {
                    if value == b"." {
                        continue;
                    }
                    let genotype = parse_genotype(value, version, warnings).map_err(|why| {
                        format!(
                            "sample {sample_name}: GT {} is not a genotype: {why}",
                            shown(value)
                        )
                    })?;
                    if let Some(max) = genotype.max_allele
                        && max > alleles.alts as u64
                    {
                        let message = format!(
                            "sample {sample_name}: GT {} calls allele {max} but the record has {} ALT allele{}",
                            shown(value),
                            alleles.alts,
                            if alleles.alts == 1 { "" } else { "s" }
                        );
                        // With ALT '.', the EBI suites still call such a file valid.
                        if alleles.alts == 0 {
                            warnings.push(message);
                        } else {
                            return Err(message);
                        }
                    }
                    ploidy = Some(genotype.ploidy);
                    genotype_text = value;
                    continue;
                }
                if key == b"PSL" && version >= Version::V44 {
                    sv::check_phase_sets(sample_name, genotype_text, value, warnings);
                }
                let scan = scan_items(value, definition.value_type, version);
                if let Err(why) = check_count(
                    "FORMAT key",
                    key,
                    value,
                    scan.count,
                    definition,
                    alleles,
                    Some(ploidy),
                ) {
                    let message = format!("sample {sample_name}: {why}");
                    if definition.declared {
                        return Err(message);
                    }
                    warnings.push(message);
                }
                // The EBI 4.4 suite has a valid file with a malformed Float in a sample, so a
                // sample value of the wrong Type is a warning, unlike INFO.
                if let Some(bad) = scan.bad {
                    let why = type_error("FORMAT key", key, definition.value_type, bad);
                    warnings.push(format!("sample {sample_name}: {why}"));
                }
                meaning_warnings("FORMAT key", key, meaning, (value, &scan), 0, warnings);
            }
        }
        Ok(())
    }

    /// Warns when a normalised allele repeats one of a recent record at the same place.
    fn remember(
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

    /// Counts the record as SNV, indel or other. `*` and the gVCF "any other allele" (`<*>`,
    /// `<NON_REF>`) stand for no particular sequence and are left out.
    fn count(&mut self, reference: &[u8], alt: &[u8]) {
        let mut any_bases = false;
        let (mut indel, mut snv_only) = (false, true);
        for allele in alt.split(|&b| b == b',') {
            if matches!(allele, b"*" | b"<*>" | b"<NON_REF>") {
                continue;
            }
            if !is_bases(allele) {
                snv_only = false;
                continue;
            }
            any_bases = true;
            if allele.len() != reference.len() {
                indel = true;
            } else if allele.len() != 1 {
                snv_only = false;
            }
        }
        if indel {
            self.stats.indels += 1;
        } else if any_bases && snv_only && reference.len() == 1 {
            self.stats.snvs += 1;
        } else {
            self.stats.other += 1;
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

/// The byte offset of `part` inside `line` (`part` is a sub-slice of it).
fn offset_in(line: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize)
}

fn check_id(id: &[u8], version: Version, warnings: &mut LineWarnings) -> Result<(), Issue> {
    if id == b"." {
        return Ok(());
    }
    let mut parts = Repeats::new();
    for part in id.split(|&b| b == b';') {
        if part.is_empty() {
            return Err(format!(
                "ID {} has an empty identifier (misplaced ';')",
                shown(id)
            ));
        }
        if let Some(&b) = part
            .iter()
            .find(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(format!(
                "ID {} has the whitespace {}",
                shown(id),
                shown(&[b])
            ));
        }
        if parts.seen(part) {
            duplicate_value(version, warnings, || {
                format!("ID {} lists {} twice", shown(id), shown(part))
            })?;
        }
    }
    Ok(())
}

/// A value repeated in ID or FILTER: not allowed from VCF 4.3, suspicious before.
///
/// A line may repeat a value millions of times: the message is made only if it is kept.
fn duplicate_value(
    version: Version,
    warnings: &mut LineWarnings,
    message: impl FnOnce() -> Issue,
) -> Result<(), Issue> {
    if version >= Version::V43 {
        return Err(message());
    }
    warnings.push_with(message);
    Ok(())
}

fn check_ref(reference: &[u8]) -> Result<(), Issue> {
    if reference.is_empty() || reference == b"." {
        return Err("REF is missing: it must hold the reference base(s)".into());
    }
    if reference.contains(&b',') {
        return Err(format!(
            "REF {} lists several alleles: REF is one allele",
            shown(reference)
        ));
    }
    if let Some(&b) = reference.iter().find(|b| !b"ACGTNacgtn".contains(b)) {
        return Err(format!(
            "REF {} has the character {}: REF bases are A, C, G, T, N",
            shown(reference),
            shown(&[b])
        ));
    }
    Ok(())
}

fn check_qual(qual: &[u8]) -> Result<(), Issue> {
    if qual == b"." {
        return Ok(());
    }
    if !is_float(qual) {
        return Err(format!("QUAL {} is not a number or '.'", shown(qual)));
    }
    if float_value(qual).is_some_and(|q| q < 0.0) {
        return Err(format!(
            "QUAL {} is negative: it is a Phred-scaled probability",
            shown(qual)
        ));
    }
    Ok(())
}

/// Checks a breakend replacement: `t[p[`, `t]p]`, `]p]t` or `[p[t`, with `p` = `chrom:pos`.
fn check_breakend(allele: &[u8], version: Version) -> Result<(), Issue> {
    let bad = |why: &str| format!("ALT breakend {}: {why}", shown(allele));
    let is_bracket = |b: &u8| matches!(b, b'[' | b']');
    let open = allele.iter().position(is_bracket).unwrap_or_default();
    let close = allele.iter().rposition(is_bracket).unwrap_or_default();
    if allele.iter().filter(|b| is_bracket(b)).count() != 2 || allele[open] != allele[close] {
        return Err(bad(
            "a breakend has two matching brackets, '[' or ']', around chrom:pos",
        ));
    }
    let (before, mate, after) = (
        &allele[..open],
        &allele[open + 1..close],
        &allele[close + 1..],
    );
    let bases = match (before.is_empty(), after.is_empty()) {
        (false, true) => before,
        (true, false) => after,
        _ => {
            return Err(bad(
                "bases are needed on exactly one side of the bracketed mate position",
            ));
        }
    };
    if !is_bases(bases) {
        return Err(bad("the replacement bases must be A, C, G, T, N"));
    }
    let Some(colon) = mate.iter().rposition(|&b| b == b':') else {
        return Err(bad("the mate position must be chrom:pos"));
    };
    let (chrom, pos) = (&mate[..colon], &mate[colon + 1..]);
    let chrom = chrom
        .strip_prefix(b"<")
        .and_then(|c| c.strip_suffix(b">"))
        .unwrap_or(chrom);
    if chrom.is_empty() || pos.is_empty() || !pos.iter().all(u8::is_ascii_digit) {
        return Err(bad(
            "the mate position must be chrom:pos with a numeric position",
        ));
    }
    if version >= Version::V43 {
        check_contig_name(chrom, version).map_err(bad)?;
    }
    Ok(())
}

/// An empty sample column or value: allowed from VCF 4.5, suspicious before.
fn empty_value(
    version: Version,
    sample: &str,
    key: &[u8],
    warnings: &mut LineWarnings,
) -> Result<(), Issue> {
    if version < Version::V45 {
        warnings.push_with(|| {
            let what = if key.is_empty() {
                "column".to_owned()
            } else {
                format!("value of FORMAT key {}", shown(key))
            };
            format!("sample {sample} has an empty {what} (use '.' for missing)")
        });
    }
    Ok(())
}

/// Checks how many values (`count`) one INFO or FORMAT key has against its Number.
///
/// `ploidy` is `Some` for FORMAT values (`Some(None)` when the sample has no GT).
fn check_count(
    what: &str,
    key: &[u8],
    value: &[u8],
    count: usize,
    definition: Definition,
    alleles: Alleles,
    ploidy: Option<Option<usize>>,
) -> Result<(), Issue> {
    if value == b"." {
        return Ok(());
    }
    if alleles.alts == 0 && matches!(definition.number, Number::A | Number::R | Number::G) {
        // Without ALT alleles, per-allele counts are not checked.
        return Ok(());
    }
    let alleles_total = alleles.alts + 1;
    let expected: Option<(usize, Option<usize>)> = match definition.number {
        Number::Count(n) => Some((n as usize, None)),
        Number::A => Some((alleles.alts, None)),
        Number::R => Some((alleles_total, None)),
        Number::G => match ploidy {
            Some(Some(ploidy)) => Some((genotype_count(alleles_total, ploidy), None)),
            // Without a GT the ploidy is unknown: haploid or diploid counts are accepted.
            _ => Some((
                genotype_count(alleles_total, 2),
                Some(genotype_count(alleles_total, 1)),
            )),
        },
        Number::P => match ploidy {
            Some(Some(ploidy)) => Some((ploidy, None)),
            _ => None,
        },
        Number::Local | Number::Unbounded => None,
    };
    if let Some((want, alternative)) = expected
        && count != want
        && Some(count) != alternative
    {
        return Err(count_error(
            what,
            key,
            value,
            definition.number,
            (count, want, alternative),
        ));
    }
    Ok(())
}

#[cold]
fn count_error(
    what: &str,
    key: &[u8],
    value: &[u8],
    number: Number,
    (count, want, alternative): (usize, usize, Option<usize>),
) -> Issue {
    format!(
        "{what} {} has Number={} so {} value{} expected, found {count}: {}",
        shown(key),
        number.as_text(),
        alternative.map_or_else(|| want.to_string(), |other| format!("{want} (or {other})")),
        if want == 1 && alternative.is_none() {
            " is"
        } else {
            "s are"
        },
        shown(value)
    )
}

/// What one pass over a comma-separated value found.
struct Scan<'v> {
    count: usize,
    /// The first item not of the key's Type.
    bad: Option<&'v [u8]>,
    /// The first item with a minus sign.
    negative: Option<&'v [u8]>,
}

/// One pass over a comma-separated value: how many items, the first not of `value_type`, the
/// first negative one.
fn scan_items(value: &[u8], value_type: ValueType, version: Version) -> Scan<'_> {
    let mut scan = Scan {
        count: 0,
        bad: None,
        negative: None,
    };
    for item in value.split(|&b| b == b',') {
        scan.count += 1;
        if item.first() == Some(&b'-') && scan.negative.is_none() {
            scan.negative = Some(item);
        }
        if scan.bad.is_none() && item != b"." && !is_of_type(item, value_type, version) {
            scan.bad = Some(item);
        }
    }
    scan
}

#[inline]
fn is_of_type(item: &[u8], value_type: ValueType, version: Version) -> bool {
    match value_type {
        ValueType::Integer => parse_integer(item, version).is_some(),
        ValueType::Float => is_float(item),
        ValueType::Character => std::str::from_utf8(item).is_ok_and(|s| s.chars().count() == 1),
        ValueType::String => !item.is_empty(),
        ValueType::Flag => false,
    }
}

/// The error for an item not of the key's Type.
#[cold]
fn type_error(what: &str, key: &[u8], value_type: ValueType, item: &[u8]) -> Issue {
    format!(
        "{what} {} has Type={} but value {}",
        shown(key),
        value_type.name(),
        shown(item)
    )
}

/// What the specification says the values of a reserved key mean, for `meaning_warnings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Meaning {
    Plain,
    /// Counts, depths and qualities: never negative.
    NonNegative,
    /// Between 0 and 1.
    Frequency,
    Cigar,
    /// An end position, not before POS.
    End,
}

impl Meaning {
    pub(crate) fn of(key: &[u8]) -> Self {
        match key {
            b"AC" | b"AN" | b"DP" | b"NS" | b"MQ0" | b"AD" | b"ADF" | b"ADR" | b"GQ" | b"HQ"
            | b"PL" | b"BQ" | b"MQ" | b"EC" => Self::NonNegative,
            b"AF" => Self::Frequency,
            b"CIGAR" => Self::Cigar,
            b"END" => Self::End,
            _ => Self::Plain,
        }
    }
}

/// Warnings for values the specification's reserved keys cannot take (counts below zero, ...).
fn meaning_warnings(
    what: &str,
    key: &[u8],
    meaning: Meaning,
    (value, scan): (&[u8], &Scan<'_>),
    pos: u64,
    warnings: &mut LineWarnings,
) {
    match meaning {
        Meaning::Plain => return,
        Meaning::NonNegative => {
            if let Some(item) = scan.negative {
                warnings.push(format!(
                    "{what} {} is a count or quality but has the negative value {}",
                    shown(key),
                    shown(item)
                ));
            }
            return;
        }
        _ => {}
    }
    for item in value.split(|&b| b == b',').filter(|item| *item != b".") {
        let problem = match meaning {
            Meaning::Plain | Meaning::NonNegative => None,
            Meaning::Frequency => float_value(item)
                .is_some_and(|n| !(0.0..=1.0).contains(&n))
                .then(|| {
                    format!(
                        "is a frequency but has the value {} outside 0..1",
                        shown(item)
                    )
                }),
            Meaning::Cigar => {
                (!is_cigar(item)).then(|| format!("value {} is not a CIGAR string", shown(item)))
            }
            Meaning::End => float_value(item)
                .is_some_and(|end| end < 0.0 || (what == "INFO key" && end < pos as f64))
                .then(|| format!("{} is before POS {pos}", shown(item))),
        };
        if let Some(problem) = problem {
            warnings.push(format!("{what} {} {problem}", shown(key)));
            return;
        }
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
