//! Character classes and value shapes shared by SAM, BAM and CRAM checks.

use std::fmt;

/// An optional field's tag, shown in messages without allocating on the hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TagName(pub [u8; 2]);

impl fmt::Display for TagName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", String::from_utf8_lossy(&self.0))
    }
}

/// Shows a value in a message: quoted, cut after 40 characters.
pub(super) fn shown(value: &[u8]) -> String {
    crate::shown::shown_line(value)
}

/// Characters a reference name may not hold anywhere (SAMv1 §1.2.1).
fn is_reference_name_char(b: u8) -> bool {
    b.is_ascii_graphic() && !b"\\,\"'`()[]{}<>".contains(&b)
}

/// `[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*`: the names of `@SQ SN`,
/// `RNAME` and `RNEXT`.
pub(super) fn is_reference_name(name: &[u8]) -> bool {
    match name.split_first() {
        Some((&first, rest)) => {
            is_reference_name_char(first)
                && first != b'*'
                && first != b'='
                && rest.iter().all(|&b| is_reference_name_char(b))
        }
        None => false,
    }
}

/// `[!-?A-~]{1,254}`: a read name (`*` means none).
pub(super) fn check_query_name(name: &[u8]) -> Result<(), String> {
    if name.is_empty() {
        return Err("QNAME is empty (use '*' for no name)".to_owned());
    }
    if name.len() > 254 {
        return Err(format!(
            "QNAME is {} characters long; at most 254 are allowed",
            name.len()
        ));
    }
    if let Some(&b) = name.iter().find(|&&b| !b.is_ascii_graphic() || b == b'@') {
        return Err(format!(
            "QNAME {} holds {}: names use printable characters except '@'",
            shown(name),
            crate::shown::shown_byte(b)
        ));
    }
    Ok(())
}

/// `[A-Za-z][A-Za-z0-9]`: an optional field's tag.
pub(super) fn is_tag(tag: &[u8]) -> bool {
    matches!(tag, [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphanumeric())
}
