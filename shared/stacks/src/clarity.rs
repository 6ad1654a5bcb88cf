//! Clarity values: consensus serialization, a strict decoder and literal syntax.
//!
//! The wire format is Clarity's consensus serialization (`to-consensus-buff?`,
//! `serializeCV` in `@stacks/transactions`): one type byte, then
//!
//! | id | type | body |
//! | --- | --- | --- |
//! | `0x00` / `0x01` | int / uint | 16 bytes big-endian |
//! | `0x02` | buff | u32 length, bytes |
//! | `0x03` / `0x04` | true / false | — |
//! | `0x05` | standard principal | version, 20-byte hash |
//! | `0x06` | contract principal | version, 20-byte hash, u8 name length, name |
//! | `0x07` / `0x08` | ok / err | value |
//! | `0x09` / `0x0a` | none / some | — / value |
//! | `0x0b` | list | u32 count, values |
//! | `0x0c` | tuple | u32 count, (u8 name length, name, value) sorted by name |
//! | `0x0d` / `0x0e` | string-ascii / string-utf8 | u32 byte length, bytes |
//!
//! [`ClarityValue::deserialize`] accepts only what a Stacks node accepts and
//! what re-serializes to the same bytes: it rejects unknown type ids, truncated
//! input, trailing bytes, invalid UTF-8, non-printable ASCII, principal versions
//! of 32 or more, names longer than 128 bytes or outside Clarity's name syntax,
//! empty, unsorted or duplicate-key tuples, values nested more than 32 types
//! deep, lists whose elements share no type (`(list u1 1)`), lengths above the
//! 1 MiB value limit and input above 2 MiB.
//!
//! ```
//! use genoflow_stacks::clarity::ClarityValue;
//! let value = ClarityValue::tuple([
//!     ("nonce", ClarityValue::UInt(7)),
//!     ("action", ClarityValue::string_ascii("login")?),
//! ])?;
//! let bytes = value.serialize();
//! assert_eq!(hex::encode(&bytes), "0c0000000206616374696f6e0d000000056c6f67696e056e6f6e63650100000000000000000000000000000007");
//! assert_eq!(ClarityValue::deserialize(&bytes)?, value);
//! assert_eq!(value.to_string(), r#"(tuple (action "login") (nonce u7))"#);
//! # Ok::<(), genoflow_stacks::clarity::ClarityError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::address::{AddressError, AddressVersion, StacksAddress};

/// Largest value Clarity stores or passes (`MAX_VALUE_SIZE`): 1 MiB.
pub const MAX_VALUE_SIZE: usize = 1024 * 1024;
/// Largest serialized value a node reads (`BOUND_VALUE_SERIALIZATION_BYTES`): 2 MiB.
pub const MAX_SERIALIZED_SIZE: usize = 2 * MAX_VALUE_SIZE;
/// Deepest type Clarity allows (`MAX_TYPE_DEPTH`): a value may sit inside at most 31 containers.
pub const MAX_TYPE_DEPTH: usize = 32;
/// Longest contract or tuple-key name on the wire (`MAX_STRING_LEN`).
pub const MAX_NAME_LENGTH: usize = 128;

/// Why bytes are not a Clarity value, or a value could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClarityError {
    /// The input ended inside a value.
    #[error("truncated Clarity value: needed {needed} more bytes at offset {offset}")]
    Truncated {
        /// Byte offset where more input was needed.
        offset: usize,
        /// How many bytes were missing.
        needed: usize,
    },
    /// A type byte that is not one of 0x00..=0x0e.
    #[error("unknown Clarity type id 0x{type_id:02x} at offset {offset}")]
    UnknownTypeId {
        /// The byte read.
        type_id: u8,
        /// Its offset.
        offset: usize,
    },
    /// Bytes left over after a complete value.
    #[error("{count} trailing bytes after the Clarity value ending at offset {offset}")]
    TrailingBytes {
        /// Offset where the value ended.
        offset: usize,
        /// Number of bytes after it.
        count: usize,
    },
    /// A string-utf8 whose bytes are not UTF-8.
    #[error("string-utf8 at offset {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Offset of the string body.
        offset: usize,
    },
    /// A string-ascii with a byte that is not printable ASCII or whitespace.
    #[error("string-ascii has byte 0x{byte:02x} (not printable ASCII) at offset {offset}")]
    InvalidAscii {
        /// The byte.
        byte: u8,
        /// Its offset.
        offset: usize,
    },
    /// A principal version of 32 or more.
    #[error("principal version {version} at offset {offset} is not below 32")]
    BadPrincipalVersion {
        /// The version byte.
        version: u8,
        /// Its offset.
        offset: usize,
    },
    /// A contract or tuple-key name that is empty, too long or has characters Clarity forbids.
    #[error("invalid {kind} name {name:?}: {reason}")]
    InvalidName {
        /// `contract` or `tuple key`.
        kind: &'static str,
        /// The name (lossy if not UTF-8).
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Containers nested more deeply than Clarity allows.
    #[error("value nested deeper than Clarity's limit of {MAX_TYPE_DEPTH} at offset {offset}")]
    TooDeep {
        /// Offset of the value that went too deep.
        offset: usize,
    },
    /// A length or count above the 1 MiB value limit, or input above 2 MiB.
    #[error("size {size} at offset {offset} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The declared size.
        size: usize,
        /// Where it was declared.
        offset: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// A list whose elements have no common type (`(list u1 1)`).
    #[error("list element at offset {offset} does not share a type with the elements before it")]
    ListTypesMustMatch {
        /// Offset of the element.
        offset: usize,
    },
    /// A tuple with no fields (Clarity has no empty tuple).
    #[error("empty tuple at offset {offset}")]
    EmptyTuple {
        /// Offset of the tuple.
        offset: usize,
    },
    /// Tuple keys not in strictly increasing order (unsorted or duplicated).
    #[error("tuple key {key:?} at offset {offset} is out of order or duplicated")]
    TupleKeyOrder {
        /// The key.
        key: String,
        /// Its offset.
        offset: usize,
    },
    /// An address could not be read.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// Text given as hex is not an even number of hex digits.
    #[error("not hex: {0:?}")]
    Hex(String),
}

/// A contract or tuple-key name, checked against Clarity's rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClarityName(String);

/// A contract name: a letter, then letters, digits, `-` or `_`; at most 128 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContractName(String);

fn check_name_length(kind: &'static str, name: &str) -> Result<(), ClarityError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_NAME_LENGTH {
        "it is longer than 128 bytes"
    } else {
        return Ok(());
    };
    Err(ClarityError::InvalidName {
        kind,
        name: name.to_owned(),
        reason,
    })
}

impl ContractName {
    /// Checks and wraps a contract name.
    ///
    /// # Errors
    /// [`ClarityError::InvalidName`] for an empty, over-long or ill-formed name.
    ///
    /// ```
    /// use genoflow_stacks::clarity::ContractName;
    /// assert!(ContractName::new("registry").is_ok());
    /// assert!(ContractName::new("1registry").is_err());
    /// ```
    pub fn new(name: impl Into<String>) -> Result<Self, ClarityError> {
        let name = name.into();
        check_name_length("contract", &name)?;
        let mut chars = name.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if !(starts_with_letter && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            && name != "__transient"
        {
            return Err(ClarityError::InvalidName {
                kind: "contract",
                name,
                reason: "it must be a letter followed by letters, digits, '-' or '_'",
            });
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ClarityName {
    /// Checks and wraps a Clarity name (tuple keys, function names).
    ///
    /// # Errors
    /// [`ClarityError::InvalidName`] for an empty, over-long or ill-formed name.
    ///
    /// ```
    /// use genoflow_stacks::clarity::ClarityName;
    /// assert!(ClarityName::new("chain-id").is_ok());
    /// assert!(ClarityName::new("is-ok?").is_ok());
    /// assert!(ClarityName::new("a b").is_err());
    /// ```
    pub fn new(name: impl Into<String>) -> Result<Self, ClarityError> {
        let name = name.into();
        check_name_length("tuple key", &name)?;
        let mut chars = name.chars();
        let regular = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || "-_!?+<>=/*".contains(c));
        let operator = matches!(
            name.as_str(),
            "-" | "+" | "=" | "/" | "*" | "<" | ">" | "<=" | ">="
        );
        if !(regular || operator) {
            return Err(ClarityError::InvalidName {
                kind: "tuple key",
                name,
                reason: "it must be a letter followed by letters, digits or -_!?+<>=/*",
            });
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClarityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ContractName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A principal: an account address, or a contract under an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    /// `'ST…`
    Standard(StacksAddress),
    /// `'ST….name`
    Contract(StacksAddress, ContractName),
}

impl Principal {
    /// Parses `ADDRESS` or `ADDRESS.contract-name`.
    ///
    /// # Errors
    /// When the address or the contract name is invalid.
    ///
    /// ```
    /// use genoflow_stacks::clarity::Principal;
    /// let contract = Principal::parse("ST000000000000000000002AMW42H.registry")?;
    /// assert_eq!(contract.to_string(), "ST000000000000000000002AMW42H.registry");
    /// # Ok::<(), genoflow_stacks::clarity::ClarityError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, ClarityError> {
        match text.split_once('.') {
            Some((address, name)) => Ok(Self::Contract(address.parse()?, ContractName::new(name)?)),
            None => Ok(Self::Standard(text.parse()?)),
        }
    }

    /// The address part.
    pub fn address(&self) -> &StacksAddress {
        match self {
            Self::Standard(address) | Self::Contract(address, _) => address,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Standard(address) => write!(f, "{address}"),
            Self::Contract(address, name) => write!(f, "{address}.{name}"),
        }
    }
}

/// A Clarity value.
///
/// Build strings, tuples and principals with the checked constructors
/// ([`ClarityValue::string_ascii`], [`ClarityValue::tuple`], [`Principal::parse`]);
/// the variants are public for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClarityValue {
    /// `int`: signed 128-bit.
    Int(i128),
    /// `uint`: unsigned 128-bit.
    UInt(u128),
    /// `bool`.
    Bool(bool),
    /// `buff`.
    Buffer(Vec<u8>),
    /// `string-ascii` (printable ASCII and whitespace only).
    StringAscii(String),
    /// `string-utf8`.
    StringUtf8(String),
    /// `principal`.
    Principal(Principal),
    /// `optional`: `none` or `(some v)`.
    Optional(Option<Box<ClarityValue>>),
    /// `response`: `(ok v)` or `(err v)`.
    Response(Result<Box<ClarityValue>, Box<ClarityValue>>),
    /// `list`.
    List(Vec<ClarityValue>),
    /// `tuple`, keys kept sorted.
    Tuple(BTreeMap<ClarityName, ClarityValue>),
}

fn is_clarity_ascii(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte.is_ascii_punctuation() || byte.is_ascii_whitespace()
}

impl ClarityValue {
    /// A `string-ascii`.
    ///
    /// # Errors
    /// [`ClarityError::InvalidAscii`] for a character Clarity does not allow.
    pub fn string_ascii(text: impl Into<String>) -> Result<Self, ClarityError> {
        let text = text.into();
        if let Some((offset, &byte)) = text
            .as_bytes()
            .iter()
            .enumerate()
            .find(|(_, byte)| !is_clarity_ascii(**byte))
        {
            return Err(ClarityError::InvalidAscii { byte, offset });
        }
        Ok(Self::StringAscii(text))
    }

    /// A `string-utf8`.
    pub fn string_utf8(text: impl Into<String>) -> Self {
        Self::StringUtf8(text.into())
    }

    /// `(some value)`.
    pub fn some(value: Self) -> Self {
        Self::Optional(Some(Box::new(value)))
    }

    /// `none`.
    pub fn none() -> Self {
        Self::Optional(None)
    }

    /// `(ok value)`.
    pub fn ok(value: Self) -> Self {
        Self::Response(Ok(Box::new(value)))
    }

    /// `(err value)`.
    pub fn err(value: Self) -> Self {
        Self::Response(Err(Box::new(value)))
    }

    /// A principal value from `ADDRESS` or `ADDRESS.contract`.
    ///
    /// # Errors
    /// As [`Principal::parse`].
    pub fn principal(text: &str) -> Result<Self, ClarityError> {
        Principal::parse(text).map(Self::Principal)
    }

    /// A list whose elements share a type, as Clarity requires.
    ///
    /// # Errors
    /// [`ClarityError::ListTypesMustMatch`] (offset = element index) when they do not.
    ///
    /// ```
    /// use genoflow_stacks::clarity::ClarityValue;
    /// assert!(ClarityValue::list(vec![ClarityValue::none(), ClarityValue::some(ClarityValue::UInt(1))]).is_ok());
    /// assert!(ClarityValue::list(vec![ClarityValue::UInt(1), ClarityValue::Int(1)]).is_err());
    /// ```
    pub fn list(values: Vec<ClarityValue>) -> Result<Self, ClarityError> {
        let mut list_type = ValueType::NoType;
        for (index, value) in values.iter().enumerate() {
            list_type = list_type
                .least_supertype(&ValueType::of(value))
                .ok_or(ClarityError::ListTypesMustMatch { offset: index })?;
        }
        Ok(Self::List(values))
    }

    /// A tuple from `(name, value)` pairs.
    ///
    /// # Errors
    /// [`ClarityError::InvalidName`] for a bad key, [`ClarityError::EmptyTuple`]
    /// for no fields, [`ClarityError::TupleKeyOrder`] for a repeated key.
    pub fn tuple<N: Into<String>>(
        fields: impl IntoIterator<Item = (N, ClarityValue)>,
    ) -> Result<Self, ClarityError> {
        let mut map = BTreeMap::new();
        for (name, value) in fields {
            let name = ClarityName::new(name)?;
            if map.contains_key(&name) {
                return Err(ClarityError::TupleKeyOrder {
                    key: name.0,
                    offset: 0,
                });
            }
            map.insert(name, value);
        }
        if map.is_empty() {
            return Err(ClarityError::EmptyTuple { offset: 0 });
        }
        Ok(Self::Tuple(map))
    }

    /// Consensus serialization.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.serialize_into(&mut out);
        out
    }

    /// Appends the consensus serialization to `out`.
    pub fn serialize_into(&self, out: &mut Vec<u8>) {
        fn length_prefixed(out: &mut Vec<u8>, type_id: u8, bytes: &[u8]) {
            out.push(type_id);
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        match self {
            Self::Int(value) => {
                out.push(0x00);
                out.extend_from_slice(&value.to_be_bytes());
            }
            Self::UInt(value) => {
                out.push(0x01);
                out.extend_from_slice(&value.to_be_bytes());
            }
            Self::Buffer(bytes) => length_prefixed(out, 0x02, bytes),
            Self::Bool(true) => out.push(0x03),
            Self::Bool(false) => out.push(0x04),
            Self::Principal(Principal::Standard(address)) => {
                out.push(0x05);
                write_address(out, address);
            }
            Self::Principal(Principal::Contract(address, name)) => {
                out.push(0x06);
                write_address(out, address);
                write_name(out, name.as_str());
            }
            Self::Response(Ok(value)) => {
                out.push(0x07);
                value.serialize_into(out);
            }
            Self::Response(Err(value)) => {
                out.push(0x08);
                value.serialize_into(out);
            }
            Self::Optional(None) => out.push(0x09),
            Self::Optional(Some(value)) => {
                out.push(0x0a);
                value.serialize_into(out);
            }
            Self::List(values) => {
                out.push(0x0b);
                out.extend_from_slice(&(values.len() as u32).to_be_bytes());
                values.iter().for_each(|value| value.serialize_into(out));
            }
            Self::Tuple(fields) => {
                out.push(0x0c);
                out.extend_from_slice(&(fields.len() as u32).to_be_bytes());
                for (name, value) in fields {
                    write_name(out, name.as_str());
                    value.serialize_into(out);
                }
            }
            Self::StringAscii(text) => length_prefixed(out, 0x0d, text.as_bytes()),
            Self::StringUtf8(text) => length_prefixed(out, 0x0e, text.as_bytes()),
        }
    }

    /// Consensus serialization as lowercase hex (no `0x`).
    pub fn to_hex(&self) -> String {
        hex::encode(self.serialize())
    }

    /// Decodes exactly one value that fills `bytes`.
    ///
    /// # Errors
    /// Any [`ClarityError`] describing the first problem found and its offset.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, ClarityError> {
        if bytes.len() > MAX_SERIALIZED_SIZE {
            return Err(ClarityError::TooLarge {
                size: bytes.len(),
                offset: 0,
                limit: MAX_SERIALIZED_SIZE,
            });
        }
        let mut reader = Reader::new(bytes);
        let value = reader.value()?;
        reader.finish()?;
        Ok(value)
    }

    /// Decodes hex, with or without a `0x` prefix.
    ///
    /// # Errors
    /// [`ClarityError::Hex`] for text that is not hex, or any decoding error.
    pub fn from_hex(text: &str) -> Result<Self, ClarityError> {
        let digits = text.strip_prefix("0x").unwrap_or(text);
        let bytes = hex::decode(digits)
            .map_err(|_| ClarityError::Hex(digits.chars().take(80).collect()))?;
        Self::deserialize(&bytes)
    }
}

pub(crate) fn write_address(out: &mut Vec<u8>, address: &StacksAddress) {
    out.push(address.version().byte());
    out.extend_from_slice(address.hash160());
}

pub(crate) fn write_name(out: &mut Vec<u8>, name: &str) {
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
}

/// A cursor over consensus bytes, shared with the transaction decoder.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0 }
    }

    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn take(&mut self, count: usize) -> Result<&'a [u8], ClarityError> {
        let available = self.bytes.len() - self.offset;
        if count > available {
            return Err(ClarityError::Truncated {
                offset: self.offset,
                needed: count - available,
            });
        }
        let slice = &self.bytes[self.offset..self.offset + count];
        self.offset += count;
        Ok(slice)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], ClarityError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.offset).copied()
    }

    pub(crate) fn u8(&mut self) -> Result<u8, ClarityError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, ClarityError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, ClarityError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn finish(&self) -> Result<(), ClarityError> {
        match self.bytes.len() - self.offset {
            0 => Ok(()),
            count => Err(ClarityError::TrailingBytes {
                offset: self.offset,
                count,
            }),
        }
    }

    /// A u32 length that must respect the value size limit.
    fn length(&mut self) -> Result<usize, ClarityError> {
        let offset = self.offset;
        let size = self.u32()? as usize;
        if size > MAX_VALUE_SIZE {
            return Err(ClarityError::TooLarge {
                size,
                offset,
                limit: MAX_VALUE_SIZE,
            });
        }
        Ok(size)
    }

    pub(crate) fn address(&mut self) -> Result<StacksAddress, ClarityError> {
        let offset = self.offset;
        let version = self.u8()?;
        let version = AddressVersion::new(version)
            .map_err(|_| ClarityError::BadPrincipalVersion { version, offset })?;
        Ok(StacksAddress::new(version, self.array()?))
    }

    /// A u8-length-prefixed name, as text (names are ASCII).
    pub(crate) fn name(&mut self, kind: &'static str) -> Result<String, ClarityError> {
        let length = usize::from(self.u8()?);
        let bytes = self.take(length)?;
        if !bytes.is_ascii() {
            return Err(ClarityError::InvalidName {
                kind,
                name: String::from_utf8_lossy(bytes).into_owned(),
                reason: "it is not ASCII",
            });
        }
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }

    pub(crate) fn contract_name(&mut self) -> Result<ContractName, ClarityError> {
        ContractName::new(self.name("contract")?)
    }

    pub(crate) fn value(&mut self) -> Result<ClarityValue, ClarityError> {
        self.value_at_depth(0)
    }

    /// `depth` counts the containers around the value being read; Clarity's
    /// decoder fails once that reaches `MAX_TYPE_DEPTH`.
    fn value_at_depth(&mut self, depth: usize) -> Result<ClarityValue, ClarityError> {
        let offset = self.offset;
        if depth >= MAX_TYPE_DEPTH {
            return Err(ClarityError::TooDeep { offset });
        }
        let type_id = self.u8()?;
        Ok(match type_id {
            0x00 => ClarityValue::Int(i128::from_be_bytes(self.array()?)),
            0x01 => ClarityValue::UInt(u128::from_be_bytes(self.array()?)),
            0x02 => {
                let length = self.length()?;
                ClarityValue::Buffer(self.take(length)?.to_vec())
            }
            0x03 => ClarityValue::Bool(true),
            0x04 => ClarityValue::Bool(false),
            0x05 => ClarityValue::Principal(Principal::Standard(self.address()?)),
            0x06 => {
                let address = self.address()?;
                ClarityValue::Principal(Principal::Contract(address, self.contract_name()?))
            }
            0x07 => ClarityValue::ok(self.value_at_depth(depth + 1)?),
            0x08 => ClarityValue::err(self.value_at_depth(depth + 1)?),
            0x09 => ClarityValue::none(),
            0x0a => ClarityValue::some(self.value_at_depth(depth + 1)?),
            0x0b => {
                let count = self.length()?;
                // Every element takes at least one byte: never reserve more than the input holds.
                let mut values = Vec::with_capacity(count.min(self.bytes.len() - self.offset));
                let mut list_type = ValueType::NoType;
                for _ in 0..count {
                    let element_offset = self.offset;
                    let value = self.value_at_depth(depth + 1)?;
                    list_type = list_type.least_supertype(&ValueType::of(&value)).ok_or(
                        ClarityError::ListTypesMustMatch {
                            offset: element_offset,
                        },
                    )?;
                    values.push(value);
                }
                ClarityValue::List(values)
            }
            0x0c => {
                let count = self.length()?;
                if count == 0 {
                    return Err(ClarityError::EmptyTuple { offset });
                }
                let mut fields = BTreeMap::new();
                let mut previous: Option<ClarityName> = None;
                for _ in 0..count {
                    let key_offset = self.offset;
                    let name = ClarityName::new(self.name("tuple key")?)?;
                    if previous.as_ref().is_some_and(|previous| previous >= &name) {
                        return Err(ClarityError::TupleKeyOrder {
                            key: name.0,
                            offset: key_offset,
                        });
                    }
                    let value = self.value_at_depth(depth + 1)?;
                    previous = Some(name.clone());
                    fields.insert(name, value);
                }
                ClarityValue::Tuple(fields)
            }
            0x0d => {
                let length = self.length()?;
                let body = self.offset;
                let bytes = self.take(length)?;
                if let Some(position) = bytes.iter().position(|&byte| !is_clarity_ascii(byte)) {
                    return Err(ClarityError::InvalidAscii {
                        byte: bytes[position],
                        offset: body + position,
                    });
                }
                ClarityValue::StringAscii(String::from_utf8_lossy(bytes).into_owned())
            }
            0x0e => {
                let length = self.length()?;
                let body = self.offset;
                let bytes = self.take(length)?;
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| ClarityError::InvalidUtf8 { offset: body })?;
                ClarityValue::StringUtf8(text.to_owned())
            }
            type_id => return Err(ClarityError::UnknownTypeId { type_id, offset }),
        })
    }
}

/// The shape of a value's type, enough to decide whether list elements unify
/// (lengths are left out: any two buffers or strings of one kind unify).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ValueType {
    /// Unknown so far: the inner type of `none`, of an empty list, or the unused side of a response.
    NoType,
    Int,
    UInt,
    Bool,
    Buffer,
    StringAscii,
    StringUtf8,
    Principal,
    Optional(Box<ValueType>),
    Response(Box<ValueType>, Box<ValueType>),
    List(Box<ValueType>),
    Tuple(Vec<(ClarityName, ValueType)>),
}

impl ValueType {
    fn of(value: &ClarityValue) -> Self {
        match value {
            ClarityValue::Int(_) => Self::Int,
            ClarityValue::UInt(_) => Self::UInt,
            ClarityValue::Bool(_) => Self::Bool,
            ClarityValue::Buffer(_) => Self::Buffer,
            ClarityValue::StringAscii(_) => Self::StringAscii,
            ClarityValue::StringUtf8(_) => Self::StringUtf8,
            ClarityValue::Principal(_) => Self::Principal,
            ClarityValue::Optional(inner) => {
                Self::Optional(Box::new(inner.as_deref().map_or(Self::NoType, Self::of)))
            }
            ClarityValue::Response(Ok(inner)) => {
                Self::Response(Box::new(Self::of(inner)), Box::new(Self::NoType))
            }
            ClarityValue::Response(Err(inner)) => {
                Self::Response(Box::new(Self::NoType), Box::new(Self::of(inner)))
            }
            // Lists reaching here were built by `list` or the decoder, so their elements unify.
            ClarityValue::List(values) => Self::List(Box::new(
                values
                    .iter()
                    .try_fold(Self::NoType, |joined, value| {
                        joined.least_supertype(&Self::of(value))
                    })
                    .unwrap_or(Self::NoType),
            )),
            ClarityValue::Tuple(fields) => Self::Tuple(
                fields
                    .iter()
                    .map(|(name, value)| (name.clone(), Self::of(value)))
                    .collect(),
            ),
        }
    }

    /// Clarity's least supertype, or `None` when the two types do not unify.
    fn least_supertype(&self, other: &Self) -> Option<Self> {
        let pair = |a: &Self, b: &Self| a.least_supertype(b).map(Box::new);
        Some(match (self, other) {
            (Self::NoType, other) | (other, Self::NoType) => other.clone(),
            (Self::Optional(a), Self::Optional(b)) => Self::Optional(pair(a, b)?),
            (Self::Response(ok_a, err_a), Self::Response(ok_b, err_b)) => {
                Self::Response(pair(ok_a, ok_b)?, pair(err_a, err_b)?)
            }
            (Self::List(a), Self::List(b)) => Self::List(pair(a, b)?),
            (Self::Tuple(a), Self::Tuple(b)) => {
                if a.len() != b.len() {
                    return None;
                }
                let fields = a.iter().zip(b).map(|((name_a, type_a), (name_b, type_b))| {
                    (name_a == name_b)
                        .then(|| {
                            type_a
                                .least_supertype(type_b)
                                .map(|joined| (name_a.clone(), joined))
                        })
                        .flatten()
                });
                Self::Tuple(fields.collect::<Option<_>>()?)
            }
            (a, b) if a == b => a.clone(),
            _ => return None,
        })
    }
}

fn write_escaped(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for character in text.chars() {
        match character {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if c.is_ascii_graphic() || c == ' ' => write!(f, "{c}")?,
            c => write!(f, "\\u{{{:x}}}", u32::from(c))?,
        }
    }
    Ok(())
}

/// Clarity literal syntax: `u1`, `-2`, `0x00ff`, `"text"`, `u"t\u{e9}xt"`,
/// `'ST…`, `'ST….name`, `none`, `(some u1)`, `(ok u1)`, `(err u1)`,
/// `(list u1 u2)`, `(tuple (a u1) (b u2))`.
impl fmt::Display for ClarityValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(value) => write!(f, "{value}"),
            Self::UInt(value) => write!(f, "u{value}"),
            Self::Bool(value) => write!(f, "{value}"),
            Self::Buffer(bytes) => write!(f, "0x{}", hex::encode(bytes)),
            Self::StringAscii(text) => {
                f.write_str("\"")?;
                write_escaped(f, text)?;
                f.write_str("\"")
            }
            Self::StringUtf8(text) => {
                f.write_str("u\"")?;
                write_escaped(f, text)?;
                f.write_str("\"")
            }
            Self::Principal(principal) => write!(f, "'{principal}"),
            Self::Optional(None) => f.write_str("none"),
            Self::Optional(Some(value)) => write!(f, "(some {value})"),
            Self::Response(Ok(value)) => write!(f, "(ok {value})"),
            Self::Response(Err(value)) => write!(f, "(err {value})"),
            Self::List(values) => {
                f.write_str("(list")?;
                for value in values {
                    write!(f, " {value}")?;
                }
                f.write_str(")")
            }
            Self::Tuple(fields) => {
                f.write_str("(tuple")?;
                for (name, value) in fields {
                    write!(f, " ({name} {value})")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn decode_hex(text: &str) -> Result<ClarityValue, ClarityError> {
        ClarityValue::from_hex(text)
    }

    #[test]
    fn literal_syntax() {
        let principal = ClarityValue::principal("ST000000000000000000002AMW42H.registry").unwrap();
        let value = ClarityValue::List(vec![
            ClarityValue::Int(-5),
            ClarityValue::Buffer(vec![0, 0xff]),
            ClarityValue::some(ClarityValue::ok(ClarityValue::Bool(true))),
            ClarityValue::err(ClarityValue::none()),
            ClarityValue::string_utf8("é\"\n"),
            principal,
        ]);
        assert_eq!(
            value.to_string(),
            "(list -5 0x00ff (some (ok true)) (err none) u\"\\u{e9}\\\"\\n\" 'ST000000000000000000002AMW42H.registry)"
        );
    }

    #[test]
    fn integer_extremes_round_trip() {
        for value in [
            ClarityValue::Int(i128::MIN),
            ClarityValue::Int(i128::MAX),
            ClarityValue::UInt(u128::MAX),
        ] {
            assert_eq!(
                ClarityValue::deserialize(&value.serialize()).unwrap(),
                value
            );
        }
        assert_eq!(
            ClarityValue::Int(-1).to_hex(),
            format!("00{}", "ff".repeat(16))
        );
    }

    #[test]
    fn strict_decoder_rejects_malformed_input() {
        assert!(matches!(
            decode_hex(""),
            Err(ClarityError::Truncated {
                offset: 0,
                needed: 1
            })
        ));
        assert!(matches!(
            decode_hex("0f"),
            Err(ClarityError::UnknownTypeId { type_id: 0x0f, .. })
        ));
        assert!(matches!(
            decode_hex("0300"),
            Err(ClarityError::TrailingBytes {
                offset: 1,
                count: 1
            })
        ));
        assert!(matches!(
            decode_hex("0e00000001ff"),
            Err(ClarityError::InvalidUtf8 { offset: 5 })
        ));
        assert!(matches!(
            decode_hex("0d0000000107"),
            Err(ClarityError::InvalidAscii { byte: 7, .. })
        ));
        assert!(matches!(
            decode_hex(&format!("0520{}", "00".repeat(20))),
            Err(ClarityError::BadPrincipalVersion { version: 32, .. })
        ));
        assert!(matches!(
            decode_hex("0c00000000"),
            Err(ClarityError::EmptyTuple { .. })
        ));
        assert!(matches!(
            decode_hex("0c00000002016203016103"),
            Err(ClarityError::TupleKeyOrder { .. })
        ));
        assert!(matches!(
            decode_hex("0c00000002016103016103"),
            Err(ClarityError::TupleKeyOrder { .. })
        ));
        assert!(matches!(
            decode_hex("0200100001"),
            Err(ClarityError::TooLarge {
                size: 1_048_577,
                ..
            })
        ));
        assert!(matches!(
            decode_hex("0b7fffffff"),
            Err(ClarityError::TooLarge { .. })
        ));
        let long_name = format!("061a{}81{}", "00".repeat(20), "61".repeat(129));
        assert!(matches!(
            decode_hex(&long_name),
            Err(ClarityError::InvalidName { .. })
        ));
    }

    #[test]
    fn list_elements_must_share_a_type() {
        let uint = ClarityValue::UInt(1).to_hex();
        let int = ClarityValue::Int(1).to_hex();
        assert!(matches!(
            decode_hex(&format!("0b00000002{uint}{int}")),
            Err(ClarityError::ListTypesMustMatch { offset: 22 })
        ));
        let ok_then_err = format!("0b0000000207{uint}080d00000000");
        assert!(decode_hex(&ok_then_err).is_ok());
        let ok_uint_ok_int = format!("0b0000000207{uint}07{int}");
        assert!(decode_hex(&ok_uint_ok_int).is_err());
        let none_then_some = format!("0b00000002090a{uint}");
        assert!(decode_hex(&none_then_some).is_ok());
        let lists = format!("0b000000020b000000000b00000001{uint}");
        assert!(decode_hex(&lists).is_ok());
        let a = ClarityValue::tuple([("a", ClarityValue::UInt(1))]).unwrap();
        let b = ClarityValue::tuple([("b", ClarityValue::UInt(1))]).unwrap();
        assert!(ClarityValue::list(vec![a.clone(), a.clone()]).is_ok());
        assert!(ClarityValue::list(vec![a, b]).is_err());
        let buffers = ClarityValue::list(vec![
            ClarityValue::Buffer(vec![]),
            ClarityValue::Buffer(vec![1, 2]),
        ])
        .unwrap();
        assert!(ClarityValue::deserialize(&buffers.serialize()).is_ok());
        let principals = vec![
            ClarityValue::principal("ST000000000000000000002AMW42H").unwrap(),
            ClarityValue::principal("ST000000000000000000002AMW42H.registry").unwrap(),
        ];
        assert!(ClarityValue::list(principals).is_ok());
    }

    #[test]
    fn nesting_limit_is_clarity_type_depth() {
        let nested = |containers: usize| format!("{}03", "0a".repeat(containers));
        assert!(decode_hex(&nested(MAX_TYPE_DEPTH - 1)).is_ok());
        assert!(matches!(
            decode_hex(&nested(MAX_TYPE_DEPTH)),
            Err(ClarityError::TooDeep { .. })
        ));
        // Far past the limit must still be an error, not a stack overflow.
        assert!(matches!(
            decode_hex(&nested(100_000)),
            Err(ClarityError::TooDeep { .. })
        ));
    }

    #[test]
    fn huge_declared_list_is_truncation_not_allocation() {
        assert!(matches!(
            decode_hex("0b00100000"),
            Err(ClarityError::Truncated { .. })
        ));
    }
}
