//! The INFO column: each key checked against its ##INFO definition.

use crate::vcf::{
    Issue, LineWarnings, Repeats, Version,
    header::{ValueType, check_key},
    shown,
    sv::SvInfo,
};

use super::{
    ONCE, Records, Undeclared,
    alleles::Alleles,
    typing::{Meaning, check_count, meaning_warnings, scan_items, type_error},
};

impl Records {
    /// Checks INFO, and collects the values the structural-variant checks need.
    pub(super) fn check_info<'l>(
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
}
