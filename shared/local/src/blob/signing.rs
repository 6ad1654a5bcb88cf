//! Presigned URLs: their format (`{base_url}/blobs/{key}?…&signature=…`) and their HMAC-SHA256
//! signatures with the store's [`HmacSecret`](genoflow_core::ports::HmacSecret).

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use time::OffsetDateTime;

use super::{AcceptError, FileBlobStore, check_key};

/// What a URL segment keeps unescaped (RFC 3986 unreserved characters).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The query parameters of a presigned URL, each once.
pub(super) struct SignedUrl {
    /// The key the path names, decoded and checked.
    pub(super) key: String,
    params: BTreeMap<String, String>,
}

impl SignedUrl {
    /// Splits `/blobs/{key}?{query}` into its key and parameters.
    pub(super) fn parse(path_and_query: &str) -> Result<Self, AcceptError> {
        let malformed = |reason: &str| AcceptError::Malformed {
            reason: reason.to_owned(),
        };
        let (path, query) = path_and_query
            .split_once('?')
            .ok_or_else(|| malformed("no query string"))?;
        let encoded_key = path
            .strip_prefix("/blobs/")
            .ok_or_else(|| malformed("the path does not start with /blobs/"))?;
        let key = percent_decode_str(encoded_key)
            .decode_utf8()
            .map_err(|_| malformed("the key is not UTF-8"))?
            .into_owned();
        check_key("presigned request", &key)?;
        let mut params = BTreeMap::new();
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| malformed("a parameter is not UTF-8"))?;
            if params.insert(name.to_owned(), value.into_owned()).is_some() {
                return Err(malformed(&format!("parameter {name} is repeated")));
            }
        }
        Ok(Self { key, params })
    }

    /// Parameter `name`.
    pub(super) fn get(&self, name: &str) -> Result<&str, AcceptError> {
        self.params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| AcceptError::Malformed {
                reason: format!("parameter {name} is missing"),
            })
    }

    /// Parameter `name`, parsed as a number.
    pub(super) fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, AcceptError> {
        self.get(name)?.parse().map_err(|_| AcceptError::Malformed {
            reason: format!("parameter {name} is not a number"),
        })
    }
}

/// What is signed: the fields, newline-separated (no field, key, numbers or hex, can contain
/// one).
fn signed_message(fields: &[&str]) -> String {
    fields.join("\n")
}

impl FileBlobStore {
    /// The hex signature of `fields`, as a URL carries it.
    pub(super) fn sign(&self, fields: &[&str]) -> String {
        hex::encode(self.secret.sign(signed_message(fields).as_bytes()))
    }

    /// Checks the URL's signature over `fields` (constant time), then its expiry.
    pub(super) fn verify(
        &self,
        url: &SignedUrl,
        fields: &[&str],
        now: OffsetDateTime,
    ) -> Result<(), AcceptError> {
        let signature =
            hex::decode(url.get("signature")?).map_err(|_| AcceptError::BadSignature)?;
        if !self
            .secret
            .verify(signed_message(fields).as_bytes(), &signature)
        {
            return Err(AcceptError::BadSignature);
        }
        let expires: i64 = url.number("expires")?;
        if now.unix_timestamp() >= expires {
            return Err(AcceptError::Expired { expires });
        }
        Ok(())
    }

    /// The URL of `key` at the server, with `query`.
    pub(super) fn url(&self, key: &str, query: &str) -> String {
        let encoded: Vec<String> = key
            .split('/')
            .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
            .collect();
        format!("{}/blobs/{}?{query}", self.base_url, encoded.join("/"))
    }
}
