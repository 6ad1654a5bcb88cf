//! secp256k1 keys and recoverable signatures as Stacks uses them.
//!
//! Private keys are 32 bytes (the public key is then uncompressed, as in
//! `@stacks/transactions`) or 33 bytes ending in `01` (compressed public key).
//! Signatures are deterministic (RFC 6979) and always low-S, because a Stacks
//! node rejects high-S signatures. A signature carries its recovery id; it is
//! written `v ‖ r ‖ s` in transactions (VRS) and `r ‖ s ‖ v` for SIP-018 and
//! Clarity's `secp256k1-recover?` (RSV).
//!
//! ```
//! use genoflow_stacks::keys::PrivateKey;
//! let key = PrivateKey::from_hex("753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601")?;
//! assert_eq!(format!("{key:?}"), "PrivateKey(<redacted>)");
//! let hash = [7u8; 32];
//! let signature = key.sign(&hash)?;
//! assert!(signature.is_low_s());
//! assert_eq!(signature.recover(&hash)?, key.public_key());
//! # Ok::<(), genoflow_stacks::keys::KeyError>(())
//! ```
//!
//! A message for Clarity's `secp256k1-recover?` is signed the same way and
//! written RSV. The oracle contract's message is `SHA-256(key ‖ value ‖
//! to-consensus-buff?(timestamp) ‖ to-consensus-buff?(current-contract) ‖
//! to-consensus-buff?(chain-id))`: the oracle contract's principal and the
//! chain id tie the signature to one deployment on one network
//! (`genoflow_core::usecases::oracle::message_hash` computes it):
//!
//! ```
//! use genoflow_stacks::clarity::{ClarityValue, Principal};
//! use genoflow_stacks::keys::PrivateKey;
//! use genoflow_stacks::transaction::Network;
//! use sha2::{Digest, Sha256};
//! let oracle = PrivateKey::from_hex("753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601")?;
//! let contract = Principal::parse("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle")?;
//! let mut message = Sha256::new();
//! message.update([1u8; 32]);
//! message.update([2u8; 32]);
//! message.update(ClarityValue::UInt(1_700_000_000).serialize());
//! message.update(ClarityValue::Principal(contract).serialize());
//! message.update(ClarityValue::UInt(Network::Testnet.chain_id().into()).serialize());
//! let signature = oracle.sign(&message.finalize().into())?.to_rsv();
//! assert_eq!(signature.len(), 65);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};

use crate::address::{AddressVersion, StacksAddress};

/// Why a key or a signature could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Private keys are 32 bytes, or 33 ending in `01`.
    #[error("a private key must be 32 bytes, or 33 bytes ending in 01; got {0} bytes")]
    PrivateKeyLength(usize),
    /// Zero or not below the curve order.
    #[error("the private key is not a valid secp256k1 scalar")]
    InvalidPrivateKey,
    /// Not a 33-byte compressed or 65-byte uncompressed point on the curve.
    #[error(
        "not a secp256k1 public key ({0} bytes): expected a 33-byte compressed or 65-byte uncompressed point"
    )]
    InvalidPublicKey(usize),
    /// Not 65 bytes, a bad recovery id, or r/s out of range.
    #[error("invalid recoverable signature: {0}")]
    InvalidSignature(&'static str),
    /// Not hex.
    #[error("invalid hex in a key or signature")]
    Hex,
    /// No public key recovers from this signature and hash.
    #[error("no public key recovers from this signature and message hash")]
    RecoveryFailed,
    /// The signing primitive failed (a zero nonce; practically impossible).
    #[error("signing failed")]
    SigningFailed,
}

/// A secp256k1 private key. `Debug` never shows the secret.
#[derive(Clone)]
pub struct PrivateKey {
    signing_key: SigningKey,
    compressed: bool,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

impl PrivateKey {
    /// A key from 32 bytes (uncompressed public key) or 33 bytes ending in `01` (compressed).
    ///
    /// # Errors
    /// [`KeyError::PrivateKeyLength`] or [`KeyError::InvalidPrivateKey`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let (secret, compressed) = match bytes {
            [secret @ .., 0x01] if secret.len() == 32 => (secret, true),
            secret if secret.len() == 32 => (secret, false),
            other => return Err(KeyError::PrivateKeyLength(other.len())),
        };
        let signing_key =
            SigningKey::from_slice(secret).map_err(|_| KeyError::InvalidPrivateKey)?;
        Ok(Self {
            signing_key,
            compressed,
        })
    }

    /// A key from hex (with or without `0x`).
    ///
    /// # Errors
    /// [`KeyError::Hex`] or as [`PrivateKey::from_bytes`].
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim().trim_start_matches("0x")).map_err(|_| KeyError::Hex)?;
        Self::from_bytes(&bytes)
    }

    /// Whether the public key (and so the address) uses the compressed form.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The public key, in the form the private key selects.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            verifying_key: *self.signing_key.verifying_key(),
            compressed: self.compressed,
        }
    }

    /// The single-signature address of this key on a network version.
    pub fn address(&self, version: AddressVersion) -> StacksAddress {
        self.public_key().address(version)
    }

    /// Signs a 32-byte hash: RFC 6979 deterministic nonce, low-S, with recovery id.
    ///
    /// # Errors
    /// [`KeyError::SigningFailed`] if the primitive fails.
    pub fn sign(&self, hash: &[u8; 32]) -> Result<RecoverableSignature, KeyError> {
        let (signature, recovery_id) = self
            .signing_key
            .sign_prehash_recoverable(hash)
            .map_err(|_| KeyError::SigningFailed)?;
        // k256 already normalises to low-S and flips the recovery id to match;
        // normalise again so the guarantee does not rest on a dependency's detail.
        let (signature, recovery_id) = match signature.normalize_s() {
            Some(low) => (
                low,
                RecoveryId::new(!recovery_id.is_y_odd(), recovery_id.is_x_reduced()),
            ),
            None => (signature, recovery_id),
        };
        Ok(RecoverableSignature {
            r_s: signature.to_bytes().into(),
            recovery_id: recovery_id.to_byte(),
        })
    }
}

/// A secp256k1 public key and the form (compressed or not) it is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    verifying_key: VerifyingKey,
    compressed: bool,
}

impl PublicKey {
    /// Reads a 33-byte compressed or 65-byte uncompressed key.
    ///
    /// # Errors
    /// [`KeyError::InvalidPublicKey`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let compressed = match bytes.len() {
            33 => true,
            65 => false,
            other => return Err(KeyError::InvalidPublicKey(other)),
        };
        let verifying_key = VerifyingKey::from_sec1_bytes(bytes)
            .map_err(|_| KeyError::InvalidPublicKey(bytes.len()))?;
        Ok(Self {
            verifying_key,
            compressed,
        })
    }

    /// The key's bytes in its form (33 or 65 bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.verifying_key
            .to_encoded_point(self.compressed)
            .as_bytes()
            .to_vec()
    }

    /// Whether it is written compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The same key written compressed (`true`) or uncompressed (`false`).
    pub fn with_compression(self, compressed: bool) -> Self {
        Self { compressed, ..self }
    }

    /// `hash160` of the key's bytes under `version`.
    pub fn address(&self, version: AddressVersion) -> StacksAddress {
        StacksAddress::from_public_key(version, &self.to_bytes())
    }

    /// Whether `signature` over `hash` was made by this key (low-S required).
    pub fn verify(&self, hash: &[u8; 32], signature: &RecoverableSignature) -> bool {
        signature.is_low_s()
            && signature
                .recover(hash)
                .is_ok_and(|recovered| recovered.verifying_key == self.verifying_key)
    }
}

/// A 64-byte `r ‖ s` signature with its recovery id (0..=3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoverableSignature {
    r_s: [u8; 64],
    recovery_id: u8,
}

impl RecoverableSignature {
    fn from_parts(recovery_id: u8, r_s: &[u8]) -> Result<Self, KeyError> {
        if recovery_id > 3 {
            return Err(KeyError::InvalidSignature("recovery id above 3"));
        }
        Signature::from_slice(r_s)
            .map_err(|_| KeyError::InvalidSignature("r or s out of range"))?;
        let mut array = [0; 64];
        array.copy_from_slice(r_s);
        Ok(Self {
            r_s: array,
            recovery_id,
        })
    }

    /// From `v ‖ r ‖ s` (transaction order).
    ///
    /// # Errors
    /// [`KeyError::InvalidSignature`].
    pub fn from_vrs(bytes: &[u8]) -> Result<Self, KeyError> {
        match bytes {
            [v, r_s @ ..] if r_s.len() == 64 => Self::from_parts(*v, r_s),
            _ => Err(KeyError::InvalidSignature("expected 65 bytes")),
        }
    }

    /// From `r ‖ s ‖ v` (SIP-018 and `secp256k1-recover?` order).
    ///
    /// # Errors
    /// [`KeyError::InvalidSignature`].
    pub fn from_rsv(bytes: &[u8]) -> Result<Self, KeyError> {
        match bytes {
            [r_s @ .., v] if r_s.len() == 64 => Self::from_parts(*v, r_s),
            _ => Err(KeyError::InvalidSignature("expected 65 bytes")),
        }
    }

    /// `v ‖ r ‖ s`.
    pub fn to_vrs(&self) -> [u8; 65] {
        let mut out = [0; 65];
        out[0] = self.recovery_id;
        out[1..].copy_from_slice(&self.r_s);
        out
    }

    /// `r ‖ s ‖ v`.
    pub fn to_rsv(&self) -> [u8; 65] {
        let mut out = [0; 65];
        out[..64].copy_from_slice(&self.r_s);
        out[64] = self.recovery_id;
        out
    }

    /// The recovery id.
    pub fn recovery_id(&self) -> u8 {
        self.recovery_id
    }

    /// Whether `s` is in the lower half of the curve order.
    pub fn is_low_s(&self) -> bool {
        Signature::from_slice(&self.r_s).is_ok_and(|signature| signature.normalize_s().is_none())
    }

    /// The compressed public key that made this signature over `hash`.
    ///
    /// # Errors
    /// [`KeyError::RecoveryFailed`] or [`KeyError::InvalidSignature`].
    pub fn recover(&self, hash: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let signature = Signature::from_slice(&self.r_s)
            .map_err(|_| KeyError::InvalidSignature("r or s out of range"))?;
        let recovery_id = RecoveryId::from_byte(self.recovery_id)
            .ok_or(KeyError::InvalidSignature("recovery id above 3"))?;
        let verifying_key = VerifyingKey::recover_from_prehash(hash, &signature, recovery_id)
            .map_err(|_| KeyError::RecoveryFailed)?;
        Ok(PublicKey {
            verifying_key,
            compressed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const KEY: &str = "753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a6";

    #[test]
    fn key_forms_select_public_key_form() {
        let compressed = PrivateKey::from_hex(&format!("{KEY}01")).unwrap();
        let uncompressed = PrivateKey::from_hex(KEY).unwrap();
        assert_eq!(
            hex::encode(compressed.public_key().to_bytes()),
            "0390a5cac7c33fda49f70bc1b0866fa0ba7a9440d9de647fecb8132ceb76a94dfa"
        );
        assert_eq!(uncompressed.public_key().to_bytes().len(), 65);
        assert_eq!(
            PrivateKey::from_hex(&format!("{KEY}02")).unwrap_err(),
            KeyError::PrivateKeyLength(33)
        );
        assert_eq!(
            PrivateKey::from_bytes(&[0; 32]).unwrap_err(),
            KeyError::InvalidPrivateKey
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = PrivateKey::from_hex(KEY).unwrap();
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("753b") && !shown.contains(&KEY[20..30]));
    }

    #[test]
    fn signatures_are_low_s_and_verify_in_both_orders() {
        let key = PrivateKey::from_hex(&format!("{KEY}01")).unwrap();
        for seed in 0..64u8 {
            let hash = [seed; 32];
            let signature = key.sign(&hash).unwrap();
            assert!(signature.is_low_s());
            assert!(key.public_key().verify(&hash, &signature));
            assert_eq!(
                RecoverableSignature::from_rsv(&signature.to_rsv()).unwrap(),
                signature
            );
            assert_eq!(
                RecoverableSignature::from_vrs(&signature.to_vrs()).unwrap(),
                signature
            );
            assert!(!key.public_key().verify(&[seed ^ 1; 32], &signature));
        }
    }
}
