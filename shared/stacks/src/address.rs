//! c32check addresses (`SP…`, `ST…`, `SM…`, `SN…`) and `hash160`.
//!
//! An address is a version (0..32) and a 20-byte hash. Its text form is `S`,
//! the c32 digit of the version, then the c32 encoding of `hash ‖ checksum`
//! where `checksum` is the first 4 bytes of `SHA-256(SHA-256(version ‖ hash))`.
//! c32 is Crockford's base-32 alphabet; leading zero bytes become leading `0`s.
//!
//! ```
//! use genoflow_stacks::address::{AddressVersion, StacksAddress};
//! let public_key = hex::decode("0390a5cac7c33fda49f70bc1b0866fa0ba7a9440d9de647fecb8132ceb76a94dfa")?;
//! let address = StacksAddress::from_public_key(AddressVersion::TESTNET_SINGLE_SIG, &public_key);
//! assert_eq!(address.to_string(), "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM");
//! assert_eq!("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM".parse::<StacksAddress>()?, address);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

const C32_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why a c32 string or an address could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// A character outside the c32 alphabet.
    #[error("character {character:?} at position {position} is not a c32 digit")]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its position in the input.
        position: usize,
    },
    /// The address does not start with `S` or is too short to hold a checksum.
    #[error(
        "{0:?} is not a Stacks address: it must be 'S', a version digit and a c32check payload"
    )]
    Malformed(String),
    /// The checksum does not match (a typo, or a different version).
    #[error("address {0:?} has a wrong checksum")]
    BadChecksum(String),
    /// The payload is not the 20 bytes of a hash160.
    #[error("address {address:?} holds {length} bytes where a 20-byte hash was expected")]
    WrongHashLength {
        /// The address text.
        address: String,
        /// The decoded payload length.
        length: usize,
    },
    /// Versions are c32 digits, so 0..=31.
    #[error("address version {0} is not below 32")]
    BadVersion(u8),
    /// The text decodes but is not the canonical spelling of its bytes.
    #[error("address {0:?} is not in canonical form (extra leading zeros?)")]
    NotCanonical(String),
}

/// The version byte of an address; the constants are those in use on Stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressVersion(u8);

impl AddressVersion {
    /// `SP`: mainnet, single signature.
    pub const MAINNET_SINGLE_SIG: Self = Self(22);
    /// `SM`: mainnet, multi-signature.
    pub const MAINNET_MULTI_SIG: Self = Self(20);
    /// `ST`: testnet, single signature.
    pub const TESTNET_SINGLE_SIG: Self = Self(26);
    /// `SN`: testnet, multi-signature.
    pub const TESTNET_MULTI_SIG: Self = Self(21);

    /// A version from its byte.
    ///
    /// # Errors
    /// [`AddressError::BadVersion`] when `version` is 32 or more.
    pub fn new(version: u8) -> Result<Self, AddressError> {
        if version < 32 {
            Ok(Self(version))
        } else {
            Err(AddressError::BadVersion(version))
        }
    }

    /// The version byte.
    pub fn byte(self) -> u8 {
        self.0
    }
}

/// `RIPEMD-160(SHA-256(data))`.
pub fn hash160(data: &[u8]) -> [u8; 20] {
    Ripemd160::digest(Sha256::digest(data)).into()
}

/// c32 (Crockford base-32) encoding of `bytes`, as Stacks spells it.
pub fn c32_encode(bytes: &[u8]) -> String {
    let mut digits = Vec::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut carry, mut carry_bits) = (0u16, 0u32);
    for &byte in bytes.iter().rev() {
        carry |= u16::from(byte) << carry_bits;
        carry_bits += 8;
        while carry_bits >= 5 {
            digits.push(C32_ALPHABET[usize::from(carry & 0x1f)]);
            carry >>= 5;
            carry_bits -= 5;
        }
    }
    if carry_bits > 0 {
        digits.push(C32_ALPHABET[usize::from(carry & 0x1f)]);
    }
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    digits.extend(bytes.iter().take_while(|&&byte| byte == 0).map(|_| b'0'));
    digits
        .iter()
        .rev()
        .map(|&digit| char::from(digit))
        .collect()
}

fn c32_digit(character: char, position: usize) -> Result<u8, AddressError> {
    // Crockford normalisation: case-insensitive, O is 0, I and L are 1.
    let normalised = match character.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    C32_ALPHABET
        .iter()
        .position(|&digit| char::from(digit) == normalised)
        .map(|value| value as u8)
        .ok_or(AddressError::InvalidCharacter {
            character,
            position,
        })
}

/// Decodes c32 text into bytes.
///
/// # Errors
/// [`AddressError::InvalidCharacter`] for a character outside the alphabet.
pub fn c32_decode(text: &str) -> Result<Vec<u8>, AddressError> {
    let values = text
        .chars()
        .enumerate()
        .map(|(position, character)| c32_digit(character, position))
        .collect::<Result<Vec<_>, _>>()?;
    let mut bytes = Vec::with_capacity(values.len() * 5 / 8 + 1);
    let (mut carry, mut carry_bits) = (0u16, 0u32);
    for &value in values.iter().rev() {
        carry |= u16::from(value) << carry_bits;
        carry_bits += 5;
        if carry_bits >= 8 {
            bytes.push((carry & 0xff) as u8);
            carry >>= 8;
            carry_bits -= 8;
        }
    }
    if carry_bits > 0 {
        bytes.push(carry as u8);
    }
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    bytes.extend(values.iter().take_while(|&&value| value == 0).map(|_| 0));
    bytes.reverse();
    Ok(bytes)
}

fn checksum(version: u8, payload: &[u8]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update([version]);
    hasher.update(payload);
    let twice = Sha256::digest(hasher.finalize());
    [twice[0], twice[1], twice[2], twice[3]]
}

/// A standard Stacks address: a version and the hash160 of a public key (or script).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StacksAddress {
    version: AddressVersion,
    hash160: [u8; 20],
}

impl StacksAddress {
    /// An address from its parts.
    pub fn new(version: AddressVersion, hash160: [u8; 20]) -> Self {
        Self { version, hash160 }
    }

    /// The single-key address of a public key (33-byte compressed or 65-byte
    /// uncompressed; the hash is taken over the bytes as given, as Stacks does).
    pub fn from_public_key(version: AddressVersion, public_key: &[u8]) -> Self {
        Self::new(version, hash160(public_key))
    }

    /// The version.
    pub fn version(&self) -> AddressVersion {
        self.version
    }

    /// The 20-byte hash.
    pub fn hash160(&self) -> &[u8; 20] {
        &self.hash160
    }
}

impl fmt::Display for StacksAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = self.version.byte();
        let mut payload = self.hash160.to_vec();
        payload.extend_from_slice(&checksum(version, &self.hash160));
        write!(
            f,
            "S{}{}",
            char::from(C32_ALPHABET[usize::from(version)]),
            c32_encode(&payload)
        )
    }
}

impl FromStr for StacksAddress {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut chars = text.chars();
        let (Some('S'), Some(version_char)) = (chars.next(), chars.next()) else {
            return Err(AddressError::Malformed(text.to_owned()));
        };
        let version = c32_digit(version_char, 1)?;
        let payload = c32_decode(chars.as_str())?;
        if payload.len() < 4 {
            return Err(AddressError::Malformed(text.to_owned()));
        }
        let (hash, check) = payload.split_at(payload.len() - 4);
        if check != checksum(version, hash) {
            return Err(AddressError::BadChecksum(text.to_owned()));
        }
        let hash160: [u8; 20] = hash.try_into().map_err(|_| AddressError::WrongHashLength {
            address: text.to_owned(),
            length: hash.len(),
        })?;
        let address = Self::new(AddressVersion::new(version)?, hash160);
        if address.to_string() != text.to_ascii_uppercase() {
            return Err(AddressError::NotCanonical(text.to_owned()));
        }
        Ok(address)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn c32_round_trips_and_keeps_leading_zeros() {
        for bytes in [
            vec![],
            vec![0],
            vec![0, 0, 1],
            vec![0xff; 21],
            vec![1, 2, 3, 4, 5],
        ] {
            assert_eq!(c32_decode(&c32_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(c32_encode(&[0, 0, 1]), "001");
    }

    #[test]
    fn known_addresses_parse_and_print() {
        // The zero hash on mainnet (the burn address) and on testnet.
        let burn = StacksAddress::new(AddressVersion::MAINNET_SINGLE_SIG, [0; 20]);
        assert_eq!(burn.to_string(), "SP000000000000000000002Q6VF78");
        let testnet = StacksAddress::new(AddressVersion::TESTNET_SINGLE_SIG, [0; 20]);
        assert_eq!(testnet.to_string(), "ST000000000000000000002AMW42H");
        assert_eq!(
            "SP000000000000000000002Q6VF78"
                .parse::<StacksAddress>()
                .unwrap(),
            burn
        );
    }

    #[test]
    fn bad_addresses_are_errors() {
        assert!(matches!(
            "SP000000000000000000002Q6VF79".parse::<StacksAddress>(),
            Err(AddressError::BadChecksum(_))
        ));
        assert!(matches!(
            "XP000000000000000000002Q6VF78".parse::<StacksAddress>(),
            Err(AddressError::Malformed(_))
        ));
        assert!(matches!(
            "SP0U".parse::<StacksAddress>(),
            Err(AddressError::InvalidCharacter { .. })
        ));
        assert!(matches!(
            "S".parse::<StacksAddress>(),
            Err(AddressError::Malformed(_))
        ));
        assert_eq!(AddressVersion::new(32), Err(AddressError::BadVersion(32)));
    }
}
