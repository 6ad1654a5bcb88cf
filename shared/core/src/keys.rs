//! The object key layout and the file-name rules.
//!
//! | prefix | what |
//! | --- | --- |
//! | `uploads/{owner}/{dataset_id}/{filename}` | the bytes a user uploaded; only these trigger validation |
//! | `quarantine/{original key}` | objects under `uploads/` that no dataset expects |
//! | `results/{dataset_id}/` | what the analysis writes (`report.json`, `variants.vcf`) |
//!
//! ```
//! use genoflow_core::keys;
//!
//! let key = keys::upload_key("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM", "d1", "tb demo_R1.fq.gz");
//! // S3 events carry keys URL-encoded, with `+` for a space.
//! let from_event = keys::decode_event_key("uploads/ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM/d1/tb+demo_R1.fq.gz")?;
//! assert_eq!(from_event, key);
//! let parsed = keys::parse_upload_key(&key).unwrap();
//! assert_eq!(parsed.dataset_id, "d1");
//! assert_eq!(keys::quarantine_key(&key), format!("quarantine/{key}"));
//! # Ok::<(), genoflow_core::keys::KeyError>(())
//! ```

/// Where uploads land.
pub const UPLOADS_PREFIX: &str = "uploads/";
/// Where unexpected uploads are moved.
pub const QUARANTINE_PREFIX: &str = "quarantine/";
/// Where analysis results are written.
pub const RESULTS_PREFIX: &str = "results/";
/// The longest file name accepted.
pub const MAX_FILENAME_LEN: usize = 200;

/// A key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The event key's percent-encoding does not decode to UTF-8.
    #[error("the object key {0:?} is not valid percent-encoded UTF-8")]
    Encoding(String),
}

/// Why a file name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilenameError {
    /// Empty or longer than [`MAX_FILENAME_LEN`].
    #[error("the file name must be 1 to {MAX_FILENAME_LEN} characters long; got {0}")]
    Length(usize),
    /// A character outside letters, digits, space, `.`, `_`, `-`, `+`.
    #[error(
        "the file name {name:?} contains {character:?}; use letters, digits, space, '.', '_', '-' or '+'"
    )]
    Character {
        /// The name given.
        name: String,
        /// The first refused character.
        character: char,
    },
    /// Starts with `.` or a space, or ends with a space.
    #[error("the file name {0:?} must not start with '.' or a space, nor end with a space")]
    Edge(String),
}

/// `uploads/{owner}/{dataset_id}/{filename}`.
pub fn upload_key(owner: &str, dataset_id: &str, filename: &str) -> String {
    format!("{UPLOADS_PREFIX}{owner}/{dataset_id}/{filename}")
}

/// `quarantine/{key}`: the original key is kept whole so the object can be traced back.
pub fn quarantine_key(key: &str) -> String {
    format!("{QUARANTINE_PREFIX}{key}")
}

/// `results/{dataset_id}/`.
pub fn results_prefix(dataset_id: &str) -> String {
    format!("{RESULTS_PREFIX}{dataset_id}/")
}

/// The parts of an upload key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadKey<'a> {
    /// The owner's address.
    pub owner: &'a str,
    /// The dataset id.
    pub dataset_id: &'a str,
    /// The file name.
    pub filename: &'a str,
}

/// Splits `uploads/{owner}/{dataset_id}/{filename}`; `None` for any other shape.
pub fn parse_upload_key(key: &str) -> Option<UploadKey<'_>> {
    let rest = key.strip_prefix(UPLOADS_PREFIX)?;
    let mut parts = rest.splitn(3, '/');
    let owner = parts.next().filter(|s| !s.is_empty())?;
    let dataset_id = parts.next().filter(|s| !s.is_empty())?;
    let filename = parts.next().filter(|s| !s.is_empty() && !s.contains('/'))?;
    Some(UploadKey {
        owner,
        dataset_id,
        filename,
    })
}

/// Decodes an S3 event key: `+` is a space, `%XX` a byte.
///
/// # Errors
/// [`KeyError::Encoding`] when the bytes are not UTF-8.
pub fn decode_event_key(raw: &str) -> Result<String, KeyError> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|key| key.into_owned())
        .map_err(|_| KeyError::Encoding(raw.to_owned()))
}

/// Encodes a key as S3's event notifications do (the inverse of [`decode_event_key`]): `/`
/// and unreserved characters kept, a space as `+`, every other byte as `%XX`. For blob stores
/// that emit their own events (`genoflow serve`).
///
/// ```
/// use genoflow_core::keys::{decode_event_key, encode_event_key};
/// let key = "uploads/ST1/d1/my reads+1.fq";
/// assert_eq!(encode_event_key(key), "uploads/ST1/d1/my+reads%2B1.fq");
/// assert_eq!(decode_event_key(&encode_event_key(key)).unwrap(), key);
/// ```
pub fn encode_event_key(key: &str) -> String {
    const KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, KEPT)
        .to_string()
        .replace(' ', "+")
}

/// Checks a file name: 1–200 characters among letters, digits, space, `.`, `_`, `-`, `+`, not
/// starting with `.` or a space, not ending with a space. The set keeps keys safe in URLs, shells
/// and S3 event encoding.
///
/// # Errors
/// [`FilenameError`] saying what to change.
pub fn check_filename(name: &str) -> Result<(), FilenameError> {
    let length = name.chars().count();
    if length == 0 || length > MAX_FILENAME_LEN {
        return Err(FilenameError::Length(length));
    }
    if let Some(character) = name
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-' | '+')))
    {
        return Err(FilenameError::Character {
            name: name.to_owned(),
            character,
        });
    }
    if name.starts_with(['.', ' ']) || name.ends_with(' ') {
        return Err(FilenameError::Edge(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn event_keys_decode_plus_and_percent() {
        assert_eq!(
            decode_event_key("uploads/A/d/a+b%2Bc%20d.fq").unwrap(),
            "uploads/A/d/a b+c d.fq"
        );
        assert!(decode_event_key("uploads/A/d/%FF.fq").is_err());
    }

    #[test]
    fn only_the_upload_shape_parses() {
        assert!(parse_upload_key("uploads/A/d/f.fq").is_some());
        assert!(parse_upload_key("uploads/A/d/sub/f.fq").is_none());
        assert!(parse_upload_key("uploads/A//f.fq").is_none());
        assert!(parse_upload_key("uploads/A/d/").is_none());
        assert!(parse_upload_key("results/d/report.json").is_none());
    }

    #[test]
    fn file_names_are_checked() {
        assert!(check_filename("tb-demo_R1.fastq.gz").is_ok());
        assert!(check_filename("sample 1+2.fq").is_ok());
        assert_eq!(check_filename(""), Err(FilenameError::Length(0)));
        assert!(check_filename(&"a".repeat(201)).is_err());
        assert!(matches!(
            check_filename("../x"),
            Err(FilenameError::Character { character: '/', .. })
        ));
        assert!(matches!(
            check_filename("é.fq"),
            Err(FilenameError::Character {
                character: 'é', ..
            })
        ));
        assert!(check_filename(".hidden").is_err());
        assert!(check_filename("trailing ").is_err());
    }
}
