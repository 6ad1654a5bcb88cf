//! What an attestation names, for every source the oracle attests (ClinVar and NCBI Gene
//! records, and the panel's catalogue): `key = SHA-256("{source}:{id}")` and
//! `value = SHA-256(canonical JSON of the attested document)`. A report names the attestation of
//! the catalogue it used; the oracle signs the same key and value; anyone can recompute both.
//!
//! ```
//! use genoflow_genomics::analysis::attestation::Attestation;
//!
//! let document = serde_json::json!({"symbol": "rpoB", "id": "888164"});
//! let (attestation, bytes) = Attestation::of("gene", "888164", &document);
//! assert_eq!(bytes, r#"{"id":"888164","symbol":"rpoB"}"#);
//! assert_eq!(attestation.key.len(), 64);
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The source, id, key and value of one attested document (hex SHA-256s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// `clinvar`, `gene` or `catalogue`.
    pub source: String,
    /// The record's id in its source (the panel's name for `catalogue`).
    pub id: String,
    /// `SHA-256("{source}:{id}")`, hex.
    pub key: String,
    /// `SHA-256(canonical JSON of the document)`, hex.
    pub value: String,
}

impl Attestation {
    /// The attestation of `document` as `source`'s record `id`, and the canonical bytes its
    /// value hashes.
    pub fn of(source: &str, id: &str, document: &Value) -> (Self, String) {
        let canonical = canonical_json(document);
        let attestation = Self {
            source: source.to_owned(),
            id: id.to_owned(),
            key: hex::encode(key(source, id)),
            value: hex::encode(Sha256::digest(canonical.as_bytes())),
        };
        (attestation, canonical)
    }
}

/// `SHA-256("{source}:{id}")`: where the oracle contract keeps a record's value.
pub fn key(source: &str, id: &str) -> [u8; 32] {
    Sha256::digest(format!("{source}:{id}")).into()
}

/// JSON with object keys sorted by their bytes and no whitespace: the same document always
/// gives the same bytes.
///
/// ```
/// use genoflow_genomics::analysis::attestation::canonical_json;
/// let value = serde_json::json!({"b": [1, {"d": null, "c": "é"}], "a": true});
/// assert_eq!(canonical_json(&value), r#"{"a":true,"b":[1,{"c":"é","d":null}]}"#);
/// ```
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (index, (name, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
