//! What every [`TokenSigner`] must do the same way: a token verifies to the claims it was issued
//! with until it expires, and nothing else verifies: not an altered token, not one of another
//! secret. `Debug` never shows the secret.
//!
//! Each scenario makes its signers through [`Signers`].

use std::fmt::Debug;

use genoflow_core::ports::{Claims, TokenError, TokenSigner};

use crate::{fixtures::at, keys::ALICE};

/// A [`TokenSigner`] that can be printed (every signer is, in logs of its holder).
pub trait DebugSigner: TokenSigner + Debug {}

impl<T: TokenSigner + Debug> DebugSigner for T {}

/// Makes signers of the adapter under test.
pub trait Signers: Send + Sync {
    /// A signer with this secret (32 bytes or more).
    fn with_secret(&self, secret: &[u8]) -> Box<dyn DebugSigner>;
}

const SECRET: &[u8] = b"super-secret-value-that-is-long!";

fn claims() -> Claims {
    Claims {
        sub: ALICE.into(),
        iat: 100,
        exp: 200,
    }
}

/// A token verifies to its claims, until the second before `exp`.
pub async fn a_token_verifies_to_its_claims(signers: &dyn Signers) {
    let signer = signers.with_secret(SECRET);
    let token = signer.issue(&claims());
    assert_eq!(signer.verify(&token, at(100)), Ok(claims()));
    assert_eq!(signer.verify(&token, at(199)), Ok(claims()));
    // Another signer with the same secret (another process, a restart) verifies it too.
    assert_eq!(
        signers.with_secret(SECRET).verify(&token, at(150)),
        Ok(claims())
    );
}

/// From `exp` on, a token is [`TokenError::Expired`].
pub async fn an_expired_token_is_refused(signers: &dyn Signers) {
    let signer = signers.with_secret(SECRET);
    let token = signer.issue(&claims());
    for now in [200, 201, 1_000_000] {
        assert_eq!(
            signer.verify(&token, at(now)),
            Err(TokenError::Expired { exp: 200 })
        );
    }
}

/// A token altered anywhere, or not a token, is refused.
pub async fn a_tampered_token_is_refused(signers: &dyn Signers) {
    let signer = signers.with_secret(SECRET);
    let token = signer.issue(&claims());
    // Claims of another owner, signed with the first token's signature.
    let other = signer.issue(&Claims {
        sub: "ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG".into(),
        exp: 9_999,
        ..claims()
    });
    let (other_payload, _) = other.split_once('.').unwrap();
    let (_, signature) = token.split_once('.').unwrap();
    let swapped = format!("{other_payload}.{signature}");
    assert_eq!(
        signer.verify(&swapped, at(150)),
        Err(TokenError::BadSignature)
    );
    for index in 0..token.len() {
        let mut altered = token.clone().into_bytes();
        altered[index] = if altered[index] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        if altered != token {
            assert!(signer.verify(&altered, at(150)).is_err(), "{altered}");
        }
    }
    for garbage in [
        "",
        ".",
        "nodot",
        "a.b",
        &format!("{token}x"),
        &format!("{token}.x"),
    ] {
        assert!(signer.verify(garbage, at(150)).is_err(), "{garbage:?}");
    }
}

/// A token of another secret is [`TokenError::BadSignature`].
pub async fn another_secrets_token_is_refused(signers: &dyn Signers) {
    let token = signers.with_secret(SECRET).issue(&claims());
    let other = signers.with_secret(&[7; 32]);
    assert_eq!(other.verify(&token, at(150)), Err(TokenError::BadSignature));
}

/// `Debug` shows no byte of the secret.
pub async fn debug_never_shows_the_secret(signers: &dyn Signers) {
    let printed = format!(
        "{:?} {:#?}",
        signers.with_secret(SECRET),
        signers.with_secret(SECRET)
    );
    for shown in [
        "super",
        "secret-value",
        "long!",
        &format!("{:?}", SECRET.to_vec()),
    ] {
        assert!(!printed.contains(shown), "{printed}");
    }
}
