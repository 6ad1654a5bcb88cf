//! Stacks encoding and signing, and the node API's answers as data, byte for byte with the network
//! and `@stacks/transactions` v7. Knows nothing of AWS or genomics.
//!
//! | module | what |
//! | --- | --- |
//! | [`clarity`] | Clarity values: consensus serialization, strict decoder, literal syntax |
//! | [`address`] | c32check addresses, `hash160` |
//! | [`keys`] | secp256k1 keys (secrets redacted in `Debug`), low-S recoverable signatures |
//! | [`transaction`] | SIP-005 contract calls and STX transfers: build, sign, serialize, decode, txid |
//! | [`sip018`] | SIP-018 structured data: hash, sign, verify, recover the signer |
//! | [`merkle`] | the Merkle batches of docs/ARCHITECTURE.md: build, prove, verify |
//! | [`contracts`] | typed calls of the GenoFlow contracts' functions, checked against `contracts/abi.json` |
//! | [`node`] | the node API's answers, parsed without I/O: refused broadcasts, accounts, transaction status, read-only results (the HTTP client is `genoflow-node`) |
//!
//! Anchoring a batch, end to end without a node:
//!
//! ```
//! use genoflow_stacks::contracts::registry;
//! use genoflow_stacks::keys::PrivateKey;
//! use genoflow_stacks::merkle::MerkleTree;
//! use genoflow_stacks::transaction::{Network, Transaction, TransactionOptions};
//!
//! let items = [[1u8; 32], [2; 32], [3; 32]];
//! let tree = MerkleTree::build(&items)?;
//! let call = registry::anchor_batch(
//!     "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry",
//!     &tree.root(),
//!     tree.size().into(),
//! )?;
//! let key = PrivateKey::from_hex("753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601")?;
//! let tx = Transaction::sign_new(call.into(), &TransactionOptions::new(Network::Testnet, 0, 2000), &key)?;
//! assert_eq!(tx.sender().to_string(), "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod address;
pub mod clarity;
pub mod contracts;
pub mod keys;
pub mod merkle;
pub mod node;
pub mod sip018;
pub mod transaction;
