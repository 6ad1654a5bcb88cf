//! SIP-005 transactions: contract calls and STX transfers with standard
//! single-signature (P2PKH) authorization, post-conditions, signing and txid.
//!
//! Signing follows SIP-005: the initial sighash is the txid of the transaction
//! with its spending condition cleared (nonce 0, fee 0, empty signature); the
//! key signs `presign = SHA-512/256(sighash ‖ auth type ‖ fee ‖ nonce)`; the
//! 65-byte recoverable signature is stored `v ‖ r ‖ s`, low-S. The txid is the
//! SHA-512/256 of the serialized signed transaction.
//!
//! ```
//! use genoflow_stacks::clarity::ClarityValue;
//! use genoflow_stacks::keys::PrivateKey;
//! use genoflow_stacks::transaction::{ContractCall, Network, Transaction, TransactionOptions};
//! let key = PrivateKey::from_hex("753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601")?;
//! let call = ContractCall::new(
//!     "ST000000000000000000002AMW42H.registry",
//!     "anchor-batch",
//!     vec![ClarityValue::Buffer(vec![0; 32]), ClarityValue::UInt(5)],
//! )?;
//! let tx = Transaction::sign_new(call.into(), &TransactionOptions::new(Network::Testnet, 7, 2000), &key)?;
//! assert!(tx.verify_signature().is_ok());
//! let bytes = tx.serialize();
//! assert_eq!(Transaction::deserialize(&bytes)?, tx);
//! assert_eq!(tx.txid().len(), 32);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use sha2::{Digest, Sha512_256};

use crate::address::{AddressVersion, StacksAddress};
use crate::clarity::{
    ClarityError, ClarityName, ClarityValue, ContractName, Principal, Reader, write_address,
    write_name,
};
use crate::keys::{KeyError, PrivateKey, PublicKey, RecoverableSignature};

/// Longest memo of a token transfer.
pub const MEMO_LENGTH: usize = 34;

const AUTH_STANDARD: u8 = 0x04;
const HASH_MODE_P2PKH: u8 = 0x00;
const PAYLOAD_TOKEN_TRANSFER: u8 = 0x00;
const PAYLOAD_CONTRACT_CALL: u8 = 0x02;

/// Why a transaction could not be built, read or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// Malformed bytes (truncation, trailing bytes, a bad Clarity argument, ...).
    #[error("malformed transaction: {0}")]
    Malformed(#[from] ClarityError),
    /// A version/chain-id pair that is neither mainnet nor testnet.
    #[error("unknown network: version byte 0x{version:02x} with chain id 0x{chain_id:08x}")]
    UnknownNetwork {
        /// The version byte.
        version: u8,
        /// The chain id.
        chain_id: u32,
    },
    /// A feature this crate does not implement (sponsored or multi-sig auth, other payloads, ...).
    #[error(
        "unsupported {what} 0x{value:02x} at offset {offset} (only standard single-signature contract calls and STX transfers are supported)"
    )]
    Unsupported {
        /// What the byte selects.
        what: &'static str,
        /// The byte.
        value: u8,
        /// Its offset.
        offset: usize,
    },
    /// A key or signature problem.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The signature does not recover to the signer hash in the transaction.
    #[error("the signature does not match the transaction's signer")]
    WrongSigner,
    /// A memo longer than 34 bytes.
    #[error("memo is {0} bytes; a token transfer memo holds at most 34")]
    MemoTooLong(usize),
    /// A contract identifier without `.name`.
    #[error("{0:?} is not a contract identifier (ADDRESS.contract-name)")]
    NotAContract(String),
}

/// Mainnet or testnet: the transaction version byte, chain id and address versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// Version byte 0x00, chain id 0x00000001, `SP` addresses.
    Mainnet,
    /// Version byte 0x80, chain id 0x80000000, `ST` addresses.
    Testnet,
}

impl Network {
    /// The transaction version byte.
    pub fn transaction_version(self) -> u8 {
        match self {
            Self::Mainnet => 0x00,
            Self::Testnet => 0x80,
        }
    }

    /// The chain id (also SIP-018's `chain-id`).
    pub fn chain_id(self) -> u32 {
        match self {
            Self::Mainnet => 0x0000_0001,
            Self::Testnet => 0x8000_0000,
        }
    }

    /// The address version of single-signature accounts.
    pub fn single_sig_version(self) -> AddressVersion {
        match self {
            Self::Mainnet => AddressVersion::MAINNET_SINGLE_SIG,
            Self::Testnet => AddressVersion::TESTNET_SINGLE_SIG,
        }
    }

    fn from_wire(version: u8, chain_id: u32) -> Result<Self, TransactionError> {
        match (version, chain_id) {
            (0x00, 0x0000_0001) => Ok(Self::Mainnet),
            (0x80, 0x8000_0000) => Ok(Self::Testnet),
            _ => Err(TransactionError::UnknownNetwork { version, chain_id }),
        }
    }
}

macro_rules! byte_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value),+
        }

        impl $name {
            fn read(reader: &mut Reader<'_>) -> Result<Self, TransactionError> {
                let offset = reader.offset();
                match reader.u8()? {
                    $($value => Ok(Self::$variant),)+
                    value => Err(TransactionError::Unsupported { what: $what, value, offset }),
                }
            }
        }
    };
}

byte_enum!(
    /// Where the transaction may be mined.
    AnchorMode, "anchor mode" {
        /// In an anchored block only.
        OnChainOnly = 0x01,
        /// In a microblock only.
        OffChainOnly = 0x02,
        /// Either (the `@stacks/transactions` default).
        Any = 0x03,
    }
);

byte_enum!(
    /// Whether transfers not covered by post-conditions abort the transaction.
    PostConditionMode, "post-condition mode" {
        /// Allow other transfers.
        Allow = 0x01,
        /// Abort on any transfer not covered by a post-condition.
        Deny = 0x02,
    }
);

byte_enum!(
    /// Comparison of a fungible post-condition's amount.
    FungibleCondition, "fungible condition code" {
        /// Sends exactly the amount.
        Eq = 0x01,
        /// Sends more.
        Gt = 0x02,
        /// Sends at least.
        Gte = 0x03,
        /// Sends less.
        Lt = 0x04,
        /// Sends at most.
        Lte = 0x05,
    }
);

byte_enum!(
    /// Whether an NFT post-condition requires the asset to leave or stay.
    NonFungibleCondition, "non-fungible condition code" {
        /// The principal sends the asset.
        Sent = 0x10,
        /// The principal keeps the asset.
        NotSent = 0x11,
    }
);

byte_enum!(
    /// How the signer's public key is written (and hashed into the address).
    KeyEncoding, "public key encoding" {
        /// 33-byte key.
        Compressed = 0x00,
        /// 65-byte key.
        Uncompressed = 0x01,
    }
);

/// Whose assets a post-condition constrains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostConditionPrincipal {
    /// The transaction's origin (sender).
    Origin,
    /// A standard account or a contract.
    Principal(Principal),
}

/// A fungible or non-fungible asset: `ADDRESS.contract::asset-name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetInfo {
    /// Address of the contract defining the asset.
    pub contract_address: StacksAddress,
    /// Name of that contract.
    pub contract_name: ContractName,
    /// The asset's name in the contract.
    pub asset_name: ClarityName,
}

impl AssetInfo {
    /// Parses `ADDRESS.contract::asset`.
    ///
    /// # Errors
    /// When a part is missing or invalid.
    pub fn parse(text: &str) -> Result<Self, TransactionError> {
        let (contract, asset) = text
            .split_once("::")
            .ok_or_else(|| TransactionError::NotAContract(text.to_owned()))?;
        let (contract_address, contract_name) = parse_contract_id(contract)?;
        Ok(Self {
            contract_address,
            contract_name,
            asset_name: ClarityName::new(asset)?,
        })
    }
}

/// A post-condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostCondition {
    /// STX sent by `principal` compared with `amount` (micro-STX).
    Stx {
        /// Whose STX.
        principal: PostConditionPrincipal,
        /// Comparison.
        condition: FungibleCondition,
        /// Amount in micro-STX.
        amount: u64,
    },
    /// A fungible token sent by `principal` compared with `amount`.
    Fungible {
        /// Whose tokens.
        principal: PostConditionPrincipal,
        /// Which token.
        asset: AssetInfo,
        /// Comparison.
        condition: FungibleCondition,
        /// Amount in base units.
        amount: u64,
    },
    /// Whether `principal` sends the NFT `asset_id`.
    NonFungible {
        /// Whose NFT.
        principal: PostConditionPrincipal,
        /// Which asset class.
        asset: AssetInfo,
        /// The token's identifier value.
        asset_id: ClarityValue,
        /// Sent or not.
        condition: NonFungibleCondition,
    },
}

/// A call of a public function: which contract, which function, which arguments.
///
/// ```
/// use genoflow_stacks::clarity::ClarityValue;
/// use genoflow_stacks::transaction::ContractCall;
/// let call = ContractCall::new("ST000000000000000000002AMW42H.oracle", "submit", vec![ClarityValue::UInt(1)])?;
/// assert_eq!(call.contract_id(), "ST000000000000000000002AMW42H.oracle");
/// # Ok::<(), genoflow_stacks::transaction::TransactionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractCall {
    /// Deployer address.
    pub contract_address: StacksAddress,
    /// Contract name.
    pub contract_name: ContractName,
    /// Function to call.
    pub function_name: ClarityName,
    /// Arguments, in order.
    pub args: Vec<ClarityValue>,
}

fn parse_contract_id(contract_id: &str) -> Result<(StacksAddress, ContractName), TransactionError> {
    let (address, name) = contract_id
        .split_once('.')
        .ok_or_else(|| TransactionError::NotAContract(contract_id.to_owned()))?;
    Ok((
        address.parse().map_err(ClarityError::from)?,
        ContractName::new(name)?,
    ))
}

impl ContractCall {
    /// A call of `function` on the contract `ADDRESS.name`.
    ///
    /// # Errors
    /// When the contract id or function name is invalid.
    pub fn new(
        contract_id: &str,
        function: &str,
        args: Vec<ClarityValue>,
    ) -> Result<Self, TransactionError> {
        let (contract_address, contract_name) = parse_contract_id(contract_id)?;
        Ok(Self {
            contract_address,
            contract_name,
            function_name: ClarityName::new(function)?,
            args,
        })
    }

    /// `ADDRESS.name`.
    pub fn contract_id(&self) -> String {
        format!("{}.{}", self.contract_address, self.contract_name)
    }
}

/// What the transaction does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Send `amount` micro-STX to `recipient` with a memo (zero-padded to 34 bytes).
    TokenTransfer {
        /// Receiver (account or contract).
        recipient: Principal,
        /// Micro-STX.
        amount: u64,
        /// Memo bytes, exactly 34 (zero-padded).
        memo: [u8; MEMO_LENGTH],
    },
    /// Call a public function.
    ContractCall(ContractCall),
}

impl From<ContractCall> for Payload {
    fn from(call: ContractCall) -> Self {
        Self::ContractCall(call)
    }
}

impl Payload {
    /// A token transfer with a text memo of at most 34 bytes.
    ///
    /// # Errors
    /// [`TransactionError::MemoTooLong`].
    pub fn token_transfer(
        recipient: Principal,
        amount: u64,
        memo: &str,
    ) -> Result<Self, TransactionError> {
        if memo.len() > MEMO_LENGTH {
            return Err(TransactionError::MemoTooLong(memo.len()));
        }
        let mut padded = [0; MEMO_LENGTH];
        padded[..memo.len()].copy_from_slice(memo.as_bytes());
        Ok(Self::TokenTransfer {
            recipient,
            amount,
            memo: padded,
        })
    }
}

/// The single-signature spending condition of a standard authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendingCondition {
    /// `hash160` of the signer's public key.
    pub signer: [u8; 20],
    /// Account nonce.
    pub nonce: u64,
    /// Fee in micro-STX.
    pub fee: u64,
    /// How the public key is written.
    pub key_encoding: KeyEncoding,
    /// `v ‖ r ‖ s`, zero before signing.
    pub signature: [u8; 65],
}

/// Options shared by every transaction built here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionOptions {
    /// Mainnet or testnet.
    pub network: Network,
    /// The sender's next nonce.
    pub nonce: u64,
    /// Fee in micro-STX.
    pub fee: u64,
    /// Anchor mode (default `Any`, as `@stacks/transactions`).
    pub anchor_mode: AnchorMode,
    /// Post-condition mode (default `Deny`).
    pub post_condition_mode: PostConditionMode,
    /// Post-conditions.
    pub post_conditions: Vec<PostCondition>,
}

impl TransactionOptions {
    /// Options with the `@stacks/transactions` defaults: anchor mode `Any`,
    /// post-condition mode `Deny`, no post-conditions.
    pub fn new(network: Network, nonce: u64, fee: u64) -> Self {
        Self {
            network,
            nonce,
            fee,
            anchor_mode: AnchorMode::Any,
            post_condition_mode: PostConditionMode::Deny,
            post_conditions: Vec::new(),
        }
    }
}

/// A transaction with standard single-signature authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Mainnet or testnet.
    pub network: Network,
    /// Origin's spending condition.
    pub auth: SpendingCondition,
    /// Anchor mode.
    pub anchor_mode: AnchorMode,
    /// Post-condition mode.
    pub post_condition_mode: PostConditionMode,
    /// Post-conditions.
    pub post_conditions: Vec<PostCondition>,
    /// What it does.
    pub payload: Payload,
}

fn sha512_256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha512_256::new();
    parts.iter().for_each(|part| hasher.update(part));
    hasher.finalize().into()
}

impl Transaction {
    /// An unsigned transaction whose origin is `public_key`.
    pub fn new_unsigned(
        payload: Payload,
        options: &TransactionOptions,
        public_key: &PublicKey,
    ) -> Self {
        let key_encoding = if public_key.is_compressed() {
            KeyEncoding::Compressed
        } else {
            KeyEncoding::Uncompressed
        };
        Self {
            network: options.network,
            auth: SpendingCondition {
                signer: crate::address::hash160(&public_key.to_bytes()),
                nonce: options.nonce,
                fee: options.fee,
                key_encoding,
                signature: [0; 65],
            },
            anchor_mode: options.anchor_mode,
            post_condition_mode: options.post_condition_mode,
            post_conditions: options.post_conditions.clone(),
            payload,
        }
    }

    /// Builds and signs a transaction in one step (like `makeContractCall` /
    /// `makeSTXTokenTransfer`).
    ///
    /// # Errors
    /// [`TransactionError::Key`] if signing fails.
    pub fn sign_new(
        payload: Payload,
        options: &TransactionOptions,
        key: &PrivateKey,
    ) -> Result<Self, TransactionError> {
        let mut transaction = Self::new_unsigned(payload, options, &key.public_key());
        transaction.sign(key)?;
        Ok(transaction)
    }

    /// The origin's address.
    pub fn sender(&self) -> StacksAddress {
        StacksAddress::new(self.network.single_sig_version(), self.auth.signer)
    }

    /// SIP-005 initial sighash: the txid with the spending condition cleared.
    pub fn initial_sighash(&self) -> [u8; 32] {
        let mut cleared = self.clone();
        cleared.auth.nonce = 0;
        cleared.auth.fee = 0;
        cleared.auth.signature = [0; 65];
        cleared.txid()
    }

    /// The hash the origin key signs: `SHA-512/256(initial sighash ‖ 0x04 ‖ fee ‖ nonce)`.
    pub fn presign_sighash(&self) -> [u8; 32] {
        sha512_256(&[
            &self.initial_sighash(),
            &[AUTH_STANDARD],
            &self.auth.fee.to_be_bytes(),
            &self.auth.nonce.to_be_bytes(),
        ])
    }

    /// `SHA-512/256(presign sighash ‖ key encoding ‖ signature)`, the sighash after this signature.
    pub fn postsign_sighash(&self) -> [u8; 32] {
        sha512_256(&[
            &self.presign_sighash(),
            &[self.auth.key_encoding as u8],
            &self.auth.signature,
        ])
    }

    /// Signs as the origin. The key must be the one whose hash is the signer.
    ///
    /// # Errors
    /// [`TransactionError::WrongSigner`] for another key; [`TransactionError::Key`] if signing fails.
    pub fn sign(&mut self, key: &PrivateKey) -> Result<(), TransactionError> {
        if crate::address::hash160(&key.public_key().to_bytes()) != self.auth.signer {
            return Err(TransactionError::WrongSigner);
        }
        self.auth.signature = key.sign(&self.presign_sighash())?.to_vrs();
        Ok(())
    }

    /// Checks that the signature is low-S and recovers to the signer hash.
    ///
    /// # Errors
    /// [`TransactionError::WrongSigner`] or [`TransactionError::Key`].
    pub fn verify_signature(&self) -> Result<(), TransactionError> {
        let signature = RecoverableSignature::from_vrs(&self.auth.signature)?;
        if !signature.is_low_s() {
            return Err(KeyError::InvalidSignature("high-S signature").into());
        }
        let recovered = signature.recover(&self.presign_sighash())?;
        let bytes = recovered
            .with_compression(self.auth.key_encoding == KeyEncoding::Compressed)
            .to_bytes();
        if crate::address::hash160(&bytes) == self.auth.signer {
            Ok(())
        } else {
            Err(TransactionError::WrongSigner)
        }
    }

    /// The transaction id: `SHA-512/256` of the serialized transaction.
    pub fn txid(&self) -> [u8; 32] {
        sha512_256(&[&self.serialize()])
    }

    /// Wire bytes.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.push(self.network.transaction_version());
        out.extend_from_slice(&self.network.chain_id().to_be_bytes());
        out.push(AUTH_STANDARD);
        out.push(HASH_MODE_P2PKH);
        out.extend_from_slice(&self.auth.signer);
        out.extend_from_slice(&self.auth.nonce.to_be_bytes());
        out.extend_from_slice(&self.auth.fee.to_be_bytes());
        out.push(self.auth.key_encoding as u8);
        out.extend_from_slice(&self.auth.signature);
        out.push(self.anchor_mode as u8);
        out.push(self.post_condition_mode as u8);
        out.extend_from_slice(&(self.post_conditions.len() as u32).to_be_bytes());
        for condition in &self.post_conditions {
            write_post_condition(&mut out, condition);
        }
        match &self.payload {
            Payload::TokenTransfer {
                recipient,
                amount,
                memo,
            } => {
                out.push(PAYLOAD_TOKEN_TRANSFER);
                ClarityValue::Principal(recipient.clone()).serialize_into(&mut out);
                out.extend_from_slice(&amount.to_be_bytes());
                out.extend_from_slice(memo);
            }
            Payload::ContractCall(call) => {
                out.push(PAYLOAD_CONTRACT_CALL);
                write_address(&mut out, &call.contract_address);
                write_name(&mut out, call.contract_name.as_str());
                write_name(&mut out, call.function_name.as_str());
                out.extend_from_slice(&(call.args.len() as u32).to_be_bytes());
                call.args
                    .iter()
                    .for_each(|arg| arg.serialize_into(&mut out));
            }
        }
        out
    }

    /// Reads a whole transaction (strict: trailing bytes are an error).
    ///
    /// # Errors
    /// [`TransactionError::Malformed`], [`TransactionError::UnknownNetwork`] or
    /// [`TransactionError::Unsupported`].
    pub fn deserialize(bytes: &[u8]) -> Result<Self, TransactionError> {
        let mut reader = Reader::new(bytes);
        let version = reader.u8()?;
        let chain_id = reader.u32()?;
        let network = Network::from_wire(version, chain_id)?;
        expect_byte(&mut reader, AUTH_STANDARD, "authorization type")?;
        expect_byte(&mut reader, HASH_MODE_P2PKH, "hash mode")?;
        let signer = reader.array()?;
        let nonce = reader.u64()?;
        let fee = reader.u64()?;
        let key_encoding = KeyEncoding::read(&mut reader)?;
        let signature = reader.array()?;
        let auth = SpendingCondition {
            signer,
            nonce,
            fee,
            key_encoding,
            signature,
        };
        let anchor_mode = AnchorMode::read(&mut reader)?;
        let post_condition_mode = PostConditionMode::read(&mut reader)?;
        let count = reader.u32()?;
        let mut post_conditions = Vec::new();
        for _ in 0..count {
            post_conditions.push(read_post_condition(&mut reader)?);
        }
        let offset = reader.offset();
        let payload = match reader.u8()? {
            PAYLOAD_TOKEN_TRANSFER => {
                let recipient_offset = reader.offset();
                let recipient_type = reader.peek().unwrap_or_default();
                let recipient = match reader.value()? {
                    ClarityValue::Principal(principal) => principal,
                    _ => {
                        return Err(TransactionError::Unsupported {
                            what: "recipient value type",
                            value: recipient_type,
                            offset: recipient_offset,
                        });
                    }
                };
                Payload::TokenTransfer {
                    recipient,
                    amount: reader.u64()?,
                    memo: reader.array()?,
                }
            }
            PAYLOAD_CONTRACT_CALL => {
                let contract_address = reader.address()?;
                let contract_name = reader.contract_name()?;
                let function_name = ClarityName::new(reader.name("function")?)?;
                let arg_count = reader.u32()?;
                let mut args = Vec::new();
                for _ in 0..arg_count {
                    args.push(reader.value()?);
                }
                Payload::ContractCall(ContractCall {
                    contract_address,
                    contract_name,
                    function_name,
                    args,
                })
            }
            value => {
                return Err(TransactionError::Unsupported {
                    what: "payload type",
                    value,
                    offset,
                });
            }
        };
        reader.finish()?;
        Ok(Self {
            network,
            auth,
            anchor_mode,
            post_condition_mode,
            post_conditions,
            payload,
        })
    }
}

fn expect_byte(
    reader: &mut Reader<'_>,
    expected: u8,
    what: &'static str,
) -> Result<(), TransactionError> {
    let offset = reader.offset();
    match reader.u8()? {
        value if value == expected => Ok(()),
        value => Err(TransactionError::Unsupported {
            what,
            value,
            offset,
        }),
    }
}

fn write_post_condition_principal(out: &mut Vec<u8>, principal: &PostConditionPrincipal) {
    match principal {
        PostConditionPrincipal::Origin => out.push(0x01),
        PostConditionPrincipal::Principal(Principal::Standard(address)) => {
            out.push(0x02);
            write_address(out, address);
        }
        PostConditionPrincipal::Principal(Principal::Contract(address, name)) => {
            out.push(0x03);
            write_address(out, address);
            write_name(out, name.as_str());
        }
    }
}

fn write_asset(out: &mut Vec<u8>, asset: &AssetInfo) {
    write_address(out, &asset.contract_address);
    write_name(out, asset.contract_name.as_str());
    write_name(out, asset.asset_name.as_str());
}

fn write_post_condition(out: &mut Vec<u8>, condition: &PostCondition) {
    match condition {
        PostCondition::Stx {
            principal,
            condition,
            amount,
        } => {
            out.push(0x00);
            write_post_condition_principal(out, principal);
            out.push(*condition as u8);
            out.extend_from_slice(&amount.to_be_bytes());
        }
        PostCondition::Fungible {
            principal,
            asset,
            condition,
            amount,
        } => {
            out.push(0x01);
            write_post_condition_principal(out, principal);
            write_asset(out, asset);
            out.push(*condition as u8);
            out.extend_from_slice(&amount.to_be_bytes());
        }
        PostCondition::NonFungible {
            principal,
            asset,
            asset_id,
            condition,
        } => {
            out.push(0x02);
            write_post_condition_principal(out, principal);
            write_asset(out, asset);
            asset_id.serialize_into(out);
            out.push(*condition as u8);
        }
    }
}

fn read_post_condition_principal(
    reader: &mut Reader<'_>,
) -> Result<PostConditionPrincipal, TransactionError> {
    let offset = reader.offset();
    Ok(match reader.u8()? {
        0x01 => PostConditionPrincipal::Origin,
        0x02 => PostConditionPrincipal::Principal(Principal::Standard(reader.address()?)),
        0x03 => {
            let address = reader.address()?;
            PostConditionPrincipal::Principal(Principal::Contract(address, reader.contract_name()?))
        }
        value => {
            return Err(TransactionError::Unsupported {
                what: "post-condition principal type",
                value,
                offset,
            });
        }
    })
}

fn read_asset(reader: &mut Reader<'_>) -> Result<AssetInfo, TransactionError> {
    let contract_address = reader.address()?;
    let contract_name = reader.contract_name()?;
    let asset_name = ClarityName::new(reader.name("asset")?)?;
    Ok(AssetInfo {
        contract_address,
        contract_name,
        asset_name,
    })
}

fn read_post_condition(reader: &mut Reader<'_>) -> Result<PostCondition, TransactionError> {
    let offset = reader.offset();
    Ok(match reader.u8()? {
        0x00 => {
            let principal = read_post_condition_principal(reader)?;
            let condition = FungibleCondition::read(reader)?;
            PostCondition::Stx {
                principal,
                condition,
                amount: reader.u64()?,
            }
        }
        0x01 => {
            let principal = read_post_condition_principal(reader)?;
            let asset = read_asset(reader)?;
            let condition = FungibleCondition::read(reader)?;
            PostCondition::Fungible {
                principal,
                asset,
                condition,
                amount: reader.u64()?,
            }
        }
        0x02 => {
            let principal = read_post_condition_principal(reader)?;
            let asset = read_asset(reader)?;
            let asset_id = reader.value()?;
            PostCondition::NonFungible {
                principal,
                asset,
                asset_id,
                condition: NonFungibleCondition::read(reader)?,
            }
        }
        value => {
            return Err(TransactionError::Unsupported {
                what: "post-condition type",
                value,
                offset,
            });
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn transfer_bytes() -> Vec<u8> {
        let key = PrivateKey::from_hex(
            "0101010101010101010101010101010101010101010101010101010101010101",
        )
        .unwrap();
        let recipient = Principal::parse("ST000000000000000000002AMW42H").unwrap();
        let payload = Payload::token_transfer(recipient, 5, "memo").unwrap();
        let options = TransactionOptions::new(Network::Testnet, 1, 180);
        Transaction::sign_new(payload, &options, &key)
            .unwrap()
            .serialize()
    }

    #[test]
    fn decoder_rejects_what_it_does_not_support() {
        let bytes = transfer_bytes();
        let mut sponsored = bytes.clone();
        sponsored[5] = 0x05;
        assert!(matches!(
            Transaction::deserialize(&sponsored),
            Err(TransactionError::Unsupported {
                what: "authorization type",
                value: 0x05,
                offset: 5
            })
        ));
        let mut wrong_chain = bytes.clone();
        wrong_chain[1] = 0x00;
        assert!(matches!(
            Transaction::deserialize(&wrong_chain),
            Err(TransactionError::UnknownNetwork { .. })
        ));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            Transaction::deserialize(&trailing),
            Err(TransactionError::Malformed(
                ClarityError::TrailingBytes { .. }
            ))
        ));
        let recipient_at = bytes.len() - 34 - 8 - 1 - 20 - 1;
        let mut not_a_principal = bytes[..recipient_at].to_vec();
        not_a_principal.extend_from_slice(&ClarityValue::UInt(1).serialize());
        not_a_principal.extend_from_slice(&bytes[bytes.len() - 42..]);
        assert!(matches!(
            Transaction::deserialize(&not_a_principal),
            Err(TransactionError::Unsupported {
                what: "recipient value type",
                value: 0x01,
                ..
            })
        ));
    }

    #[test]
    fn wrong_key_cannot_sign_and_memo_is_bounded() {
        let mut transaction = Transaction::deserialize(&transfer_bytes()).unwrap();
        let other = PrivateKey::from_hex(
            "0202020202020202020202020202020202020202020202020202020202020202",
        )
        .unwrap();
        assert_eq!(transaction.sign(&other), Err(TransactionError::WrongSigner));
        transaction.auth.signature[64] ^= 1;
        assert!(transaction.verify_signature().is_err());
        let recipient = Principal::parse("ST000000000000000000002AMW42H").unwrap();
        assert_eq!(
            Payload::token_transfer(recipient, 1, &"x".repeat(35)),
            Err(TransactionError::MemoTooLong(35))
        );
    }
}
