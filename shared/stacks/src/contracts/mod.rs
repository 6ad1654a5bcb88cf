//! Typed bindings of the GenoFlow contracts' functions that the Rust code calls: one module per
//! contract, one function per contract function, taking typed arguments and giving the
//! [`ContractCall`] to sign (public functions) or to run read-only (`Chain::call_read_only`).
//! Only functions actually called from Rust have a binding.
//!
//! Each binding is declared once, in the [`bindings!`] invocation below; it also gives a
//! [`Binding`]: the contract, function, access and the `(name, Clarity type)` of each argument
//! in order, all listed in [`BINDINGS`]. The test `tests/contract_abi.rs` checks every one
//! against `contracts/abi.json`, which the contract test `contracts/tests/abi.test.ts` keeps
//! equal to what the simnet deploys (docs/CONTRACTS.md, "Calling the contracts from Rust").
//!
//! A contract is given by its id, `ADDRESS.name`: deployments may name it otherwise.
//!
//! ```
//! use genoflow_stacks::contracts::{Access, registry};
//!
//! let registry_id = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry";
//! let call = registry::anchor_batch(registry_id, &[7; 32], 3)?;
//! assert_eq!(call.function_name.as_str(), "anchor-batch");
//! assert_eq!(registry::ANCHOR_BATCH.access, Access::Public);
//! assert_eq!(registry::ANCHOR_BATCH.args, [("root", "(buff 32)"), ("size", "uint")]);
//! # Ok::<(), genoflow_stacks::contracts::CallError>(())
//! ```

use std::fmt;

use crate::{
    clarity::{ClarityValue, Principal},
    transaction::{ContractCall, TransactionError},
};

/// How a function may be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// `define-public`: in a signed transaction.
    Public,
    /// `define-read-only`: through a node's read-only call (or a transaction).
    ReadOnly,
}

impl Access {
    /// As the ABI writes it: `public`, `read_only`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::ReadOnly => "read_only",
        }
    }
}

/// What a binding calls: the static description checked against `contracts/abi.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Binding {
    /// The contract's name in `Clarinet.toml` (`registry`, `marketplace`, ...).
    pub contract: &'static str,
    /// The function's name (`anchor-batch`).
    pub function: &'static str,
    /// Public or read-only.
    pub access: Access,
    /// `(argument name, Clarity type)` in order, types as the ABI writes them (`uint`,
    /// `(buff 32)`, `(list 32 (buff 32))`, `principal`, `bool`).
    pub args: &'static [(&'static str, &'static str)],
}

/// `contract.function`, e.g. `registry.anchor-batch`.
impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.contract, self.function)
    }
}

/// Why a binding could not build its call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The contract id is not `ADDRESS.contract-name`.
    #[error("{binding}: {contract:?} is not a contract id: {error}")]
    Contract {
        /// The function called.
        binding: &'static Binding,
        /// The id given.
        contract: String,
        /// Why it is not one.
        error: TransactionError,
    },
    /// An argument does not fit its Clarity type.
    #[error("{binding}: argument {argument}: {message}")]
    Argument {
        /// The function called.
        binding: &'static Binding,
        /// The argument's name.
        argument: &'static str,
        /// What does not fit.
        message: String,
    },
}

impl CallError {
    /// The function whose call could not be built.
    pub fn binding(&self) -> &'static Binding {
        match self {
            Self::Contract { binding, .. } | Self::Argument { binding, .. } => binding,
        }
    }
}

/// A Rust type a binding takes for a Clarity argument: its Clarity type and its value.
trait Arg {
    /// The Clarity type, as `contracts/abi.json` writes it.
    const CLARITY_TYPE: &'static str;
    /// The value, or what does not fit the type.
    fn value(self) -> Result<ClarityValue, String>;
}

impl Arg for u128 {
    const CLARITY_TYPE: &'static str = "uint";
    fn value(self) -> Result<ClarityValue, String> {
        Ok(ClarityValue::UInt(self))
    }
}

impl Arg for bool {
    const CLARITY_TYPE: &'static str = "bool";
    fn value(self) -> Result<ClarityValue, String> {
        Ok(ClarityValue::Bool(self))
    }
}

impl Arg for &Principal {
    const CLARITY_TYPE: &'static str = "principal";
    fn value(self) -> Result<ClarityValue, String> {
        Ok(ClarityValue::Principal(self.clone()))
    }
}

/// `(buff N)` for the sizes the contracts take, filled: hashes, keys, signatures.
macro_rules! buffers {
    ($($size:literal),*) => {$(
        impl Arg for &[u8; $size] {
            const CLARITY_TYPE: &'static str = concat!("(buff ", $size, ")");
            fn value(self) -> Result<ClarityValue, String> {
                Ok(ClarityValue::Buffer(self.to_vec()))
            }
        }
    )*};
}
buffers!(32, 33, 65);

/// The most hashes in a Merkle proof (`registry.verify-inclusion`'s `proof`).
pub const MAX_PROOF_HASHES: usize = 32;

/// A Merkle proof: at most [`MAX_PROOF_HASHES`] hashes.
impl Arg for &[[u8; 32]] {
    const CLARITY_TYPE: &'static str = "(list 32 (buff 32))";
    fn value(self) -> Result<ClarityValue, String> {
        if self.len() > MAX_PROOF_HASHES {
            return Err(format!(
                "{} hashes; the list holds at most {MAX_PROOF_HASHES}",
                self.len()
            ));
        }
        Ok(ClarityValue::List(
            self.iter()
                .map(|hash| ClarityValue::Buffer(hash.to_vec()))
                .collect(),
        ))
    }
}

/// Converts `value` for argument `argument` of `binding`.
fn arg<T: Arg>(
    binding: &'static Binding,
    argument: &'static str,
    value: T,
) -> Result<ClarityValue, CallError> {
    value.value().map_err(|message| CallError::Argument {
        binding,
        argument,
        message,
    })
}

/// The call of `binding` on the contract `contract` (`ADDRESS.name`).
fn call(
    binding: &'static Binding,
    contract: &str,
    args: Vec<ClarityValue>,
) -> Result<ContractCall, CallError> {
    ContractCall::new(contract, binding.function, args).map_err(|error| CallError::Contract {
        binding,
        contract: contract.to_owned(),
        error,
    })
}

macro_rules! access {
    (public) => {
        Access::Public
    };
    (read_only) => {
        Access::ReadOnly
    };
}

/// Declares, per contract, a module with one function per binding (and its [`Binding`] as a
/// constant), and [`BINDINGS`], all of them. A binding reads
/// `ACCESS fn rust_name / CONSTANT = "clarity-name"(rust_arg "clarity-arg": RustType, ...);`.
macro_rules! bindings {
    ($(
        $(#[$module_doc:meta])*
        $contract:ident {$(
            $(#[$doc:meta])*
            $access:ident fn $function:ident / $constant:ident = $name:literal (
                $($arg:ident $arg_name:literal : $type:ty),* $(,)?
            );
        )*}
    )*) => {
        $(
            $(#[$module_doc])*
            pub mod $contract {
                #[allow(unused_imports)]
                use super::{Access, Binding, CallError, Arg, arg, call};
                #[allow(unused_imports)]
                use crate::{clarity::Principal, transaction::ContractCall};
                $(
                    $(#[$doc])*
                    ///
                    /// # Errors
                    /// When `contract` is not a contract id or an argument does not fit its type.
                    pub fn $function(
                        contract: &str,
                        $($arg: $type),*
                    ) -> Result<ContractCall, CallError> {
                        call(&$constant, contract, vec![$(arg(&$constant, $arg_name, $arg)?),*])
                    }

                    #[doc = concat!("What [`", stringify!($function), "`] calls.")]
                    pub const $constant: Binding = Binding {
                        contract: stringify!($contract),
                        function: $name,
                        access: access!($access),
                        args: &[$(($arg_name, <$type as Arg>::CLARITY_TYPE)),*],
                    };
                )*
            }
        )*

        /// Every binding, for the ABI test.
        pub const BINDINGS: &[Binding] = &[$($($contract::$constant),*),*];
    };
}

bindings! {
    /// `registry`: batches of dataset hashes anchored on chain, datasets and results.
    registry {
        /// `anchor-batch`: anchors a batch, its Merkle `root` and number of items.
        public fn anchor_batch / ANCHOR_BATCH = "anchor-batch"(
            root "root": &[u8; 32],
            size "size": u128,
        );
        /// `verify-inclusion`: whether `item` is leaf `index` of batch `batch_id`, by `proof`.
        read_only fn verify_inclusion / VERIFY_INCLUSION = "verify-inclusion"(
            batch_id "batch-id": u128,
            item "item": &[u8; 32],
            index "index": u128,
            proof "proof": &[[u8; 32]],
        );
        /// `get-dataset-id`: the dataset registered with `hash`, if any.
        read_only fn get_dataset_id / GET_DATASET_ID = "get-dataset-id"(hash "hash": &[u8; 32]);
        /// `get-dataset`: a dataset's record (owner, hash, kind, uri), if any.
        read_only fn get_dataset / GET_DATASET = "get-dataset"(dataset_id "dataset-id": u128);
        /// `get-result`: the record of a result of a dataset, if any.
        read_only fn get_result / GET_RESULT = "get-result"(
            dataset_id "dataset-id": u128,
            result_hash "result-hash": &[u8; 32],
        );
        /// `is-anchorer`: whether `who` may anchor batches and record results.
        read_only fn is_anchorer / IS_ANCHORER = "is-anchorer"(who "who": &Principal);
        /// `set-anchorer` (owner): allows or revokes an anchorer.
        public fn set_anchorer / SET_ANCHORER = "set-anchorer"(
            who "who": &Principal,
            enabled "enabled": bool,
        );
    }

    /// `marketplace`: listings of datasets, purchases, access.
    marketplace {
        /// `get-active-listing`: the open listing of a dataset, if any.
        read_only fn get_active_listing / GET_ACTIVE_LISTING = "get-active-listing"(
            dataset_id "dataset-id": u128,
        );
        /// `get-listing`: a listing (dataset, seller, price, active), if any.
        read_only fn get_listing / GET_LISTING = "get-listing"(listing_id "listing-id": u128);
        /// `has-access`: whether `who` owns the dataset or bought it.
        read_only fn has_access / HAS_ACCESS = "has-access"(
            dataset_id "dataset-id": u128,
            who "who": &Principal,
        );
        /// `get-purchase`: `who`'s purchase of a listing, if any.
        read_only fn get_purchase / GET_PURCHASE = "get-purchase"(
            listing_id "listing-id": u128,
            who "who": &Principal,
        );
        /// `get-fee-bps`: the marketplace fee, basis points.
        read_only fn get_fee_bps / GET_FEE_BPS = "get-fee-bps"();
        /// `get-treasury`: who receives the fees.
        read_only fn get_treasury / GET_TREASURY = "get-treasury"();
        /// `set-fee-bps` (owner): sets the fee, basis points.
        public fn set_fee_bps / SET_FEE_BPS = "set-fee-bps"(bps "bps": u128);
        /// `set-treasury` (owner): sets who receives the fees.
        public fn set_treasury / SET_TREASURY = "set-treasury"(who "who": &Principal);
    }

    /// `identity`: registered names and roles.
    identity {
        /// `get-identity`: `who`'s identity (name, role, verified), if any.
        read_only fn get_identity / GET_IDENTITY = "get-identity"(who "who": &Principal);
    }

    /// `reputation`: sellers' ratings and endorsements.
    reputation {
        /// `get-reputation`: `who`'s ratings and endorsements (zeros when none).
        read_only fn get_reputation / GET_REPUTATION = "get-reputation"(who "who": &Principal);
        /// `get-min-rating-price`: the least price, µSTX, of a purchase that may be rated.
        read_only fn get_min_rating_price / GET_MIN_RATING_PRICE = "get-min-rating-price"();
        /// `set-min-rating-price` (owner): sets it.
        public fn set_min_rating_price / SET_MIN_RATING_PRICE = "set-min-rating-price"(
            price "price": u128,
        );
    }

    /// `subscription`: plans and subscriptions.
    subscription {
        /// `is-active`: whether `who`'s subscription runs at the latest block.
        read_only fn is_active / IS_ACTIVE = "is-active"(who "who": &Principal);
        /// `get-plan`: a plan (price, duration in seconds, active), if any.
        read_only fn get_plan / GET_PLAN = "get-plan"(plan_id "plan-id": u128);
        /// `get-treasury`: who receives the subscriptions' payments.
        read_only fn get_treasury / GET_TREASURY = "get-treasury"();
        /// `set-plan` (owner): creates or changes a plan; `duration` in seconds.
        public fn set_plan / SET_PLAN = "set-plan"(
            plan_id "plan-id": u128,
            price "price": u128,
            duration "duration": u128,
            active "active": bool,
        );
        /// `set-treasury` (owner): sets who receives the payments.
        public fn set_treasury / SET_TREASURY = "set-treasury"(who "who": &Principal);
    }

    /// `oracle`: signed values (ClinVar, Gene) and the keys allowed to sign them.
    oracle {
        /// `submit`: stores `value` under `key` with the oracle's 65-byte recoverable
        /// `signature` over them and `timestamp`.
        public fn submit / SUBMIT = "submit"(
            key "key": &[u8; 32],
            value "value": &[u8; 32],
            timestamp "timestamp": u128,
            signature "signature": &[u8; 65],
        );
        /// `get-value`: the value stored under `key`, if any: the oracle's compressed public
        /// key, the block time it was submitted at, its timestamp and the 32-byte value
        /// (`(optional (tuple (oracle (buff 33)) (submitted-at uint) (timestamp uint)
        /// (value (buff 32))))`).
        read_only fn get_value / GET_VALUE = "get-value"(key "key": &[u8; 32]);
        /// `is-oracle`: whether a compressed public key is an enabled oracle.
        read_only fn is_oracle / IS_ORACLE = "is-oracle"(pubkey "pubkey": &[u8; 33]);
        /// `set-oracle` (owner): enables or disables an oracle key.
        public fn set_oracle / SET_ORACLE = "set-oracle"(
            pubkey "pubkey": &[u8; 33],
            enabled "enabled": bool,
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const REGISTRY: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry";

    #[test]
    fn a_binding_gives_its_function_and_arguments_in_order() {
        let call =
            registry::verify_inclusion(REGISTRY, 4, &[1; 32], 2, &[[2; 32], [3; 32]]).unwrap();
        assert_eq!(call.contract_id(), REGISTRY);
        assert_eq!(call.function_name.as_str(), "verify-inclusion");
        assert_eq!(
            call.args,
            [
                ClarityValue::UInt(4),
                ClarityValue::Buffer(vec![1; 32]),
                ClarityValue::UInt(2),
                ClarityValue::List(vec![
                    ClarityValue::Buffer(vec![2; 32]),
                    ClarityValue::Buffer(vec![3; 32])
                ]),
            ]
        );
        assert_eq!(
            registry::VERIFY_INCLUSION.args,
            [
                ("batch-id", "uint"),
                ("item", "(buff 32)"),
                ("index", "uint"),
                ("proof", "(list 32 (buff 32))"),
            ]
        );
        assert_eq!(
            registry::VERIFY_INCLUSION.to_string(),
            "registry.verify-inclusion"
        );
        assert_eq!(oracle::SUBMIT.args[3], ("signature", "(buff 65)"));
        let none = marketplace::get_fee_bps(REGISTRY).unwrap();
        assert!(none.args.is_empty());
    }

    #[test]
    fn arguments_out_of_bounds_and_bad_contract_ids_are_errors() {
        let error =
            registry::verify_inclusion(REGISTRY, 1, &[0; 32], 0, &[[0; 32]; 33]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "registry.verify-inclusion: argument proof: 33 hashes; the list holds at most 32"
        );
        let error =
            registry::get_dataset("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM", 1).unwrap_err();
        assert_eq!(error.binding(), &registry::GET_DATASET);
        assert!(matches!(error, CallError::Contract { .. }), "{error}");
    }

    #[test]
    fn every_binding_is_listed_once() {
        let mut names: Vec<String> = BINDINGS.iter().map(ToString::to_string).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), BINDINGS.len());
        assert!(names.contains(&"oracle.set-oracle".to_owned()));
        assert!(names.contains(&"oracle.get-value".to_owned()));
    }
}
