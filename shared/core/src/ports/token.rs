use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

/// What a bearer token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The Stacks address that logged in.
    pub sub: String,
    /// Issued at, unix seconds.
    pub iat: i64,
    /// Expires at, unix seconds.
    pub exp: i64,
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not `payload.signature` in base64url, or the payload is not claims.
    #[error("the bearer token is malformed")]
    Malformed,
    /// The signature does not match: forged, altered or signed with another secret.
    #[error("the bearer token's signature does not match")]
    BadSignature,
    /// Past its `exp`.
    #[error("the bearer token expired at {exp} (unix seconds); log in again")]
    Expired {
        /// When it expired.
        exp: i64,
    },
}

/// Issues and checks bearer tokens.
pub trait TokenSigner: Send + Sync {
    /// A token carrying `claims`.
    fn issue(&self, claims: &Claims) -> String;

    /// The claims of a token this signer issued, if it has not expired at `now`.
    ///
    /// # Errors
    /// [`TokenError`].
    fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Claims, TokenError>;
}

/// An HMAC-SHA256 key of at least [`HmacSecret::MIN_BYTES`]: it signs bearer tokens
/// ([`HmacTokenSigner`]) and the presigned URLs of `genoflow serve` (`genoflow_local`'s
/// `FileBlobStore`), each with its own secret. `Debug` never shows it, and the bytes never leave
/// it: it signs and checks messages itself.
#[derive(Clone)]
pub struct HmacSecret(Vec<u8>);

/// A secret shorter than [`HmacSecret::MIN_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the secret must be at least {min} bytes; got {got}")]
pub struct WeakSecret {
    /// The minimum.
    pub min: usize,
    /// What was given.
    pub got: usize,
}

impl HmacSecret {
    /// The shortest secret accepted (the HMAC-SHA256 block of security).
    pub const MIN_BYTES: usize = 32;

    /// Wraps secret bytes.
    ///
    /// # Errors
    /// [`WeakSecret`] below [`HmacSecret::MIN_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self, WeakSecret> {
        if bytes.len() < Self::MIN_BYTES {
            return Err(WeakSecret {
                min: Self::MIN_BYTES,
                got: bytes.len(),
            });
        }
        Ok(Self(bytes))
    }

    fn mac(&self, message: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(message);
        mac
    }

    /// `HMAC-SHA256(secret, message)`.
    pub fn sign(&self, message: &[u8]) -> [u8; 32] {
        self.mac(message).finalize().into_bytes().into()
    }

    /// Whether `signature` is `HMAC-SHA256(secret, message)`, compared in constant time.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.mac(message).verify_slice(signature).is_ok()
    }
}

impl fmt::Debug for HmacSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacSecret(redacted)")
    }
}

/// Tokens `base64url(claims JSON) . base64url(HMAC-SHA256(secret, first part))`.
///
/// ```
/// use genoflow_core::ports::{Claims, HmacSecret, HmacTokenSigner, TokenSigner};
/// use time::OffsetDateTime;
///
/// let signer = HmacTokenSigner::new(HmacSecret::new(vec![7; 32])?);
/// assert_eq!(format!("{signer:?}"), "HmacTokenSigner { secret: HmacSecret(redacted) }");
/// let claims = Claims { sub: "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM".into(), iat: 1_700_000_000, exp: 1_700_003_600 };
/// let token = signer.issue(&claims);
/// let now = OffsetDateTime::from_unix_timestamp(1_700_000_100)?;
/// assert_eq!(signer.verify(&token, now)?, claims);
/// assert!(signer.verify(&format!("{token}x"), now).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct HmacTokenSigner {
    secret: HmacSecret,
}

impl HmacTokenSigner {
    /// A signer with this secret.
    pub fn new(secret: HmacSecret) -> Self {
        Self { secret }
    }
}

impl TokenSigner for HmacTokenSigner {
    fn issue(&self, claims: &Claims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(claims).expect("claims of strings and integers always serialise"),
        );
        let signature = URL_SAFE_NO_PAD.encode(self.secret.sign(payload.as_bytes()));
        format!("{payload}.{signature}")
    }

    fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Claims, TokenError> {
        let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        // Constant-time comparison.
        if !self.secret.verify(payload.as_bytes(), &signature) {
            return Err(TokenError::BadSignature);
        }
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(TokenError::Malformed)?;
        if now.unix_timestamp() >= claims.exp {
            return Err(TokenError::Expired { exp: claims.exp });
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // Issuing, expiry, tampering and other secrets: the test kit's token scenarios.

    #[test]
    fn short_secrets_are_refused_and_never_printed() {
        assert_eq!(
            HmacSecret::new(vec![1; 31]).unwrap_err(),
            WeakSecret { min: 32, got: 31 }
        );
        let bytes = b"super-secret-value-that-is-long!";
        let secret = HmacSecret::new(bytes.to_vec()).unwrap();
        let printed = format!("{secret:?} {:?}", HmacTokenSigner::new(secret.clone()));
        assert!(!printed.contains("super"), "{printed}");
        assert_eq!(
            printed,
            "HmacSecret(redacted) HmacTokenSigner { secret: HmacSecret(redacted) }"
        );
    }

    #[test]
    fn signatures_are_hmac_sha256_and_verify_only_their_message() {
        let secret = HmacSecret::new(vec![1; 32]).unwrap();
        let signature = secret.sign(b"message");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[1; 32]).unwrap();
        mac.update(b"message");
        assert_eq!(signature, <[u8; 32]>::from(mac.finalize().into_bytes()));
        assert!(secret.verify(b"message", &signature));
        assert!(!secret.verify(b"messagf", &signature));
        assert!(!secret.verify(b"message", &signature[..31]));
        assert!(
            !HmacSecret::new(vec![2; 32])
                .unwrap()
                .verify(b"message", &signature)
        );
    }
}
