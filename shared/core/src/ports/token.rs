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
    /// The token secret is too short.
    #[error("the token secret must be at least {min} bytes; got {got}")]
    WeakSecret {
        /// The minimum.
        min: usize,
        /// What was given.
        got: usize,
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

/// The HMAC key of bearer tokens. `Debug` never shows it.
#[derive(Clone)]
pub struct TokenSecret(Vec<u8>);

impl TokenSecret {
    /// The shortest secret accepted (the HMAC-SHA256 block of security).
    pub const MIN_BYTES: usize = 32;

    /// Wraps secret bytes.
    ///
    /// # Errors
    /// [`TokenError::WeakSecret`] below [`TokenSecret::MIN_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self, TokenError> {
        if bytes.len() < Self::MIN_BYTES {
            return Err(TokenError::WeakSecret {
                min: Self::MIN_BYTES,
                got: bytes.len(),
            });
        }
        Ok(Self(bytes))
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(redacted)")
    }
}

/// Tokens `base64url(claims JSON) . base64url(HMAC-SHA256(secret, first part))`.
///
/// ```
/// use genoflow_core::ports::{Claims, HmacTokenSigner, TokenSecret, TokenSigner};
/// use time::OffsetDateTime;
///
/// let signer = HmacTokenSigner::new(TokenSecret::new(vec![7; 32])?);
/// assert_eq!(format!("{signer:?}"), "HmacTokenSigner { secret: TokenSecret(redacted) }");
/// let claims = Claims { sub: "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM".into(), iat: 1_700_000_000, exp: 1_700_003_600 };
/// let token = signer.issue(&claims);
/// let now = OffsetDateTime::from_unix_timestamp(1_700_000_100)?;
/// assert_eq!(signer.verify(&token, now)?, claims);
/// assert!(signer.verify(&format!("{token}x"), now).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct HmacTokenSigner {
    secret: TokenSecret,
}

impl HmacTokenSigner {
    /// A signer with this secret.
    pub fn new(secret: TokenSecret) -> Self {
        Self { secret }
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.secret.0).expect("HMAC accepts any key length")
    }
}

impl TokenSigner for HmacTokenSigner {
    fn issue(&self, claims: &Claims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(claims).expect("claims of strings and integers always serialise"),
        );
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Claims, TokenError> {
        let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
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

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    #[test]
    fn tokens_expire_and_do_not_verify_under_another_secret() {
        let signer = HmacTokenSigner::new(TokenSecret::new(vec![1; 32]).unwrap());
        let other = HmacTokenSigner::new(TokenSecret::new(vec![2; 32]).unwrap());
        let claims = Claims {
            sub: "SP000".into(),
            iat: 100,
            exp: 200,
        };
        let token = signer.issue(&claims);
        assert_eq!(signer.verify(&token, at(199)).unwrap(), claims);
        assert_eq!(
            signer.verify(&token, at(200)),
            Err(TokenError::Expired { exp: 200 })
        );
        assert_eq!(other.verify(&token, at(150)), Err(TokenError::BadSignature));
        assert_eq!(signer.verify("nodot", at(150)), Err(TokenError::Malformed));
    }

    #[test]
    fn a_changed_payload_breaks_the_signature() {
        let signer = HmacTokenSigner::new(TokenSecret::new(vec![1; 32]).unwrap());
        let token = signer.issue(&Claims {
            sub: "SP000".into(),
            iat: 100,
            exp: 200,
        });
        let (_, signature) = token.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"SP999","iat":100,"exp":9999}"#);
        assert_eq!(
            signer.verify(&format!("{forged_payload}.{signature}"), at(150)),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn short_secrets_are_refused_and_never_printed() {
        assert_eq!(
            TokenSecret::new(vec![1; 31]).unwrap_err(),
            TokenError::WeakSecret { min: 32, got: 31 }
        );
        let secret = TokenSecret::new(b"super-secret-value-that-is-long!".to_vec()).unwrap();
        assert!(!format!("{secret:?}").contains("super"));
    }
}
