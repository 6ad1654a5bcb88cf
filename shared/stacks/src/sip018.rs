//! SIP-018 signed structured data.
//!
//! `hash = SHA-256("SIP018" ‖ SHA-256(domain bytes) ‖ SHA-256(message bytes))`,
//! where the bytes are Clarity consensus serializations and the domain is the
//! tuple `{name, version, chain-id}`. Signatures are 65 bytes `r ‖ s ‖ v`.
//!
//! ```
//! use genoflow_stacks::clarity::ClarityValue;
//! use genoflow_stacks::keys::PrivateKey;
//! use genoflow_stacks::sip018;
//! use genoflow_stacks::transaction::Network;
//! // The test vector of the SIP-018 document.
//! let domain = sip018::domain("Test App", "1.0.0", 1)?;
//! let message = ClarityValue::string_ascii("Hello World")?;
//! let hash = sip018::message_hash(&domain, &message);
//! assert_eq!(hex::encode(hash), "1bfdab6d4158313ce34073fbb8d6b0fc32c154d439def12247a0f44bb2225259");
//! let key = PrivateKey::from_hex("753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601")?;
//! let signature = sip018::sign(&domain, &message, &key)?;
//! assert_eq!(hex::encode(signature), "8b94e45701d857c9f1d1d70e8b2ca076045dae4920fb0160be0642a68cd78de072ab527b5c5277a593baeb2a8b657c216b99f7abb5d14af35b4bf12ba6460ba401");
//! let signer = sip018::recover_address(&domain, &message, &signature, Network::Testnet)?;
//! assert_eq!(signer.to_string(), "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use sha2::{Digest, Sha256};

use crate::address::StacksAddress;
use crate::clarity::{ClarityError, ClarityValue};
use crate::keys::{KeyError, PrivateKey, PublicKey, RecoverableSignature};
use crate::transaction::Network;

/// `"SIP018"` in ASCII.
pub const PREFIX: [u8; 6] = *b"SIP018";

/// The domain tuple `{name: string-ascii, version: string-ascii, chain-id: uint}`.
///
/// # Errors
/// [`ClarityError::InvalidAscii`] when `name` or `version` is not printable ASCII.
pub fn domain(name: &str, version: &str, chain_id: u32) -> Result<ClarityValue, ClarityError> {
    ClarityValue::tuple([
        ("name", ClarityValue::string_ascii(name)?),
        ("version", ClarityValue::string_ascii(version)?),
        ("chain-id", ClarityValue::UInt(u128::from(chain_id))),
    ])
}

/// `SHA-256` of a value's consensus bytes (SIP-018's `structuredDataHash`).
pub fn structured_data_hash(value: &ClarityValue) -> [u8; 32] {
    Sha256::digest(value.serialize()).into()
}

/// The hash that is signed.
pub fn message_hash(domain: &ClarityValue, message: &ClarityValue) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(PREFIX);
    hasher.update(structured_data_hash(domain));
    hasher.update(structured_data_hash(message));
    hasher.finalize().into()
}

/// Signs `message` under `domain`: 65 bytes `r ‖ s ‖ v`, low-S.
///
/// # Errors
/// [`KeyError::SigningFailed`] if the primitive fails.
pub fn sign(
    domain: &ClarityValue,
    message: &ClarityValue,
    key: &PrivateKey,
) -> Result<[u8; 65], KeyError> {
    Ok(key.sign(&message_hash(domain, message))?.to_rsv())
}

/// The (compressed) public key that signed `message` under `domain`.
///
/// # Errors
/// [`KeyError::InvalidSignature`] for a malformed or high-S signature,
/// [`KeyError::RecoveryFailed`] when no key recovers.
pub fn recover(
    domain: &ClarityValue,
    message: &ClarityValue,
    signature_rsv: &[u8],
) -> Result<PublicKey, KeyError> {
    let signature = RecoverableSignature::from_rsv(signature_rsv)?;
    if !signature.is_low_s() {
        return Err(KeyError::InvalidSignature("high-S signature"));
    }
    signature.recover(&message_hash(domain, message))
}

/// Whether `public_key` signed `message` under `domain`.
pub fn verify(
    domain: &ClarityValue,
    message: &ClarityValue,
    signature_rsv: &[u8],
    public_key: &PublicKey,
) -> bool {
    RecoverableSignature::from_rsv(signature_rsv)
        .is_ok_and(|signature| public_key.verify(&message_hash(domain, message), &signature))
}

/// The single-signature address (compressed key) that signed `message` under `domain`.
///
/// # Errors
/// As [`recover`].
pub fn recover_address(
    domain: &ClarityValue,
    message: &ClarityValue,
    signature_rsv: &[u8],
    network: Network,
) -> Result<StacksAddress, KeyError> {
    Ok(recover(domain, message, signature_rsv)?.address(network.single_sig_version()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The "Test vectors" section of SIP-018.
    #[test]
    fn official_structured_data_hashes() {
        let hello = ClarityValue::string_ascii("Hello World").unwrap();
        let empty = ClarityValue::string_ascii("").unwrap();
        let domain = domain("Test App", "1.0.0", 1).unwrap();
        assert_eq!(
            hex::encode(structured_data_hash(&hello)),
            "5297eef9765c466d945ad1cb2c81b30b9fed6c165575dc9226e9edf78b8cd9e8"
        );
        assert_eq!(
            hex::encode(structured_data_hash(&empty)),
            "3c8f1b104592e3ebb2b2602b3979a27e77f586fb4c655369fa4eccb6d545a0f8"
        );
        assert_eq!(
            hex::encode(structured_data_hash(&domain)),
            "2538b5dc06c5ae2f11549261d7ae174d9f77a55a92b00f330884695497be5065"
        );
    }

    #[test]
    fn verify_accepts_the_signer_only() {
        let domain = domain("genoflow", "1", Network::Testnet.chain_id()).unwrap();
        let message = ClarityValue::tuple([
            ("action", ClarityValue::string_ascii("login").unwrap()),
            ("nonce", ClarityValue::UInt(1)),
            ("expires", ClarityValue::UInt(1_700_000_000)),
        ])
        .unwrap();
        let key = PrivateKey::from_hex(
            "753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601",
        )
        .unwrap();
        let other = PrivateKey::from_hex(
            "0101010101010101010101010101010101010101010101010101010101010101",
        )
        .unwrap();
        let signature = sign(&domain, &message, &key).unwrap();
        assert!(verify(&domain, &message, &signature, &key.public_key()));
        assert!(!verify(&domain, &message, &signature, &other.public_key()));
        let other_message = ClarityValue::UInt(2);
        assert!(!verify(
            &domain,
            &other_message,
            &signature,
            &key.public_key()
        ));
    }
}
