//! The Stacks node API's answers as data: why a broadcast was refused, an account, a
//! transaction's status and a read-only result, each parsed from the JSON the node (or the
//! Stacks API) answers. No I/O: the HTTP client that asks for them is the `genoflow-node`
//! crate, and tests build these answers directly.
//!
//! ```
//! use genoflow_stacks::node::{BroadcastRejection, TxStatus};
//!
//! let refused = serde_json::json!({"reason": "BadNonce", "reason_data": {"expected": 5, "actual": 3}});
//! assert_eq!(
//!     BroadcastRejection::from_node_json(&refused),
//!     BroadcastRejection::BadNonce { expected: 5, actual: 3 }
//! );
//! let pending = serde_json::json!({"tx_status": "pending"});
//! assert_eq!(TxStatus::from_api_json(&pending)?, TxStatus::Pending);
//! # Ok::<(), genoflow_stacks::node::AnswerError>(())
//! ```

use serde_json::Value;

use crate::clarity::{ClarityError, ClarityValue};

/// An answer of the node that does not have the shape its route promises.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// A field is missing or has another type or value than the API's.
    #[error("{0}")]
    Shape(String),
    /// A Clarity value in the answer does not decode.
    #[error("undecodable Clarity value: {0}")]
    Value(#[from] ClarityError),
    /// The node could not run a read-only call: its `cause`.
    #[error("{0}")]
    ReadOnlyFailed(String),
}

/// Why the node refused a transaction (`reason` of its 400 answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastRejection {
    /// The nonce is not the account's next one.
    BadNonce {
        /// Nonce the node expected.
        expected: u64,
        /// Nonce the transaction had.
        actual: u64,
    },
    /// The fee is below the node's minimum.
    FeeTooLow {
        /// Minimum fee.
        expected: u64,
        /// Fee offered.
        actual: u64,
    },
    /// The sender cannot pay the fee plus the amount.
    NotEnoughFunds {
        /// Micro-STX needed.
        expected: u128,
        /// Micro-STX available.
        actual: u128,
    },
    /// The signature is invalid (wrong key, high-S, ...).
    SignatureValidation {
        /// The node's explanation.
        message: String,
    },
    /// Another transaction with this nonce is already in the mempool.
    ConflictingNonceInMempool,
    /// Too many unconfirmed transactions from this sender.
    TooMuchChaining,
    /// The called contract does not exist.
    NoSuchContract,
    /// The called function does not exist or is not public.
    NoSuchPublicFunction,
    /// An argument does not match the function's signature.
    BadFunctionArgument {
        /// The node's explanation.
        message: String,
    },
    /// Any other reason, as the node gave it.
    Other {
        /// `reason`.
        reason: String,
        /// `reason_data`, if any.
        reason_data: Option<Value>,
    },
}

impl std::fmt::Display for BroadcastRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadNonce { expected, actual } => write!(
                f,
                "bad nonce: the node expected {expected}, the transaction has {actual}"
            ),
            Self::FeeTooLow { expected, actual } => write!(
                f,
                "fee too low: at least {expected} micro-STX needed, {actual} offered"
            ),
            Self::NotEnoughFunds { expected, actual } => {
                write!(
                    f,
                    "not enough funds: {expected} micro-STX needed, {actual} available"
                )
            }
            Self::SignatureValidation { message } => {
                write!(f, "signature validation failed: {message}")
            }
            Self::ConflictingNonceInMempool => {
                f.write_str("another transaction with this nonce is in the mempool")
            }
            Self::TooMuchChaining => {
                f.write_str("too many unconfirmed transactions from this sender")
            }
            Self::NoSuchContract => f.write_str("no such contract"),
            Self::NoSuchPublicFunction => f.write_str("no such public function"),
            Self::BadFunctionArgument { message } => write!(f, "bad function argument: {message}"),
            Self::Other {
                reason,
                reason_data: Some(data),
            } => write!(f, "{reason}: {data}"),
            Self::Other {
                reason,
                reason_data: None,
            } => f.write_str(reason),
        }
    }
}

impl BroadcastRejection {
    /// Reads the node's `{error, reason, reason_data}` answer to a refused broadcast. A reason
    /// this crate does not know, or known one with data of another shape, is
    /// [`BroadcastRejection::Other`] with what the node said.
    pub fn from_node_json(body: &Value) -> Self {
        rejection(body)
    }
}

/// An account's balance and next nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// Unlocked balance in micro-STX.
    pub balance: u128,
    /// Locked (stacked) micro-STX.
    pub locked: u128,
    /// The nonce the next transaction must use.
    pub nonce: u64,
}

/// Why a transaction left the mempool without being mined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// Replaced by a higher-fee transaction with the same nonce.
    ReplaceByFee,
    /// Replaced across a fork.
    ReplaceAcrossFork,
    /// Too expensive to mine.
    TooExpensive,
    /// Garbage-collected as stale.
    StaleGarbageCollect,
    /// Marked problematic by the miner.
    Problematic,
    /// A `dropped_*` status this client does not know.
    Other(String),
}

/// A transaction's state, as the Stacks API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxStatus {
    /// Unknown to the API (not yet seen, or never broadcast).
    NotFound,
    /// In the mempool.
    Pending,
    /// Mined with an `(ok ...)` result.
    Success {
        /// Block height, when given.
        block_height: Option<u64>,
        /// The result value, when given.
        result: Option<ClarityValue>,
    },
    /// Mined, but the function returned `(err ...)`: state changes were rolled back.
    AbortByResponse {
        /// Block height, when given.
        block_height: Option<u64>,
        /// The result value, when given.
        result: Option<ClarityValue>,
    },
    /// Mined, but a post-condition failed.
    AbortByPostCondition {
        /// Block height, when given.
        block_height: Option<u64>,
    },
    /// Dropped from the mempool; it will not be mined.
    Dropped(DropReason),
}

impl AccountInfo {
    /// Reads `GET /v2/accounts/{principal}`'s answer (`balance` and `locked` as hex or decimal
    /// strings).
    ///
    /// # Errors
    /// [`AnswerError::Shape`] when a field is missing or not a number.
    pub fn from_node_json(body: &Value) -> Result<Self, AnswerError> {
        let amount = |field: &str| {
            parse_amount(&body[field]).ok_or_else(|| {
                AnswerError::Shape(format!("{field} {} is not an amount", body[field]))
            })
        };
        Ok(Self {
            balance: amount("balance")?,
            locked: if body["locked"].is_null() {
                0
            } else {
                amount("locked")?
            },
            nonce: body["nonce"]
                .as_u64()
                .ok_or_else(|| AnswerError::Shape("no nonce field".to_owned()))?,
        })
    }
}

impl TxStatus {
    /// Reads the Stacks API's `GET /extended/v1/tx/0x{txid}` answer.
    ///
    /// # Errors
    /// [`AnswerError::Shape`] without a known `tx_status`, [`AnswerError::Value`] when the result
    /// does not decode.
    pub fn from_api_json(body: &Value) -> Result<Self, AnswerError> {
        let tx_status = body["tx_status"]
            .as_str()
            .ok_or_else(|| AnswerError::Shape("no tx_status field".to_owned()))?;
        let block_height = body["block_height"].as_u64();
        let result = match body["tx_result"]["hex"].as_str() {
            Some(hex) => Some(ClarityValue::from_hex(hex)?),
            None => None,
        };
        Ok(match tx_status {
            "pending" => Self::Pending,
            "success" => Self::Success {
                block_height,
                result,
            },
            "abort_by_response" => Self::AbortByResponse {
                block_height,
                result,
            },
            "abort_by_post_condition" => Self::AbortByPostCondition { block_height },
            "dropped_replace_by_fee" => Self::Dropped(DropReason::ReplaceByFee),
            "dropped_replace_across_fork" => Self::Dropped(DropReason::ReplaceAcrossFork),
            "dropped_too_expensive" => Self::Dropped(DropReason::TooExpensive),
            "dropped_stale_garbage_collect" => Self::Dropped(DropReason::StaleGarbageCollect),
            "dropped_problematic" => Self::Dropped(DropReason::Problematic),
            other if other.starts_with("dropped_") => {
                Self::Dropped(DropReason::Other(other.to_owned()))
            }
            other => return Err(AnswerError::Shape(format!("unknown tx_status {other:?}"))),
        })
    }
}

/// Reads `POST /v2/contracts/call-read/…`'s `{okay, result}` or `{okay: false, cause}` answer.
///
/// # Errors
/// [`AnswerError::ReadOnlyFailed`] with the node's cause, [`AnswerError::Shape`] or
/// [`AnswerError::Value`] for an answer of another shape.
pub fn read_only_result(answer: &Value) -> Result<ClarityValue, AnswerError> {
    match (answer["okay"].as_bool(), answer["result"].as_str()) {
        (Some(true), Some(result)) => Ok(ClarityValue::from_hex(result)?),
        (Some(false), _) => Err(AnswerError::ReadOnlyFailed(
            answer["cause"]
                .as_str()
                .unwrap_or("no cause given")
                .to_owned(),
        )),
        _ => Err(AnswerError::Shape("expected {okay, result}".to_owned())),
    }
}

/// A JSON amount: a number, a decimal string or a `0x` hex string.
fn parse_amount(value: &Value) -> Option<u128> {
    match value {
        Value::Number(number) => number.as_u64().map(u128::from),
        Value::String(text) => match text.strip_prefix("0x") {
            Some(hex) => u128::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        },
        _ => None,
    }
}

/// Turns the node's `{error, reason, reason_data}` into a [`BroadcastRejection`].
fn rejection(body: &Value) -> BroadcastRejection {
    let reason = body["reason"].as_str().unwrap_or_default();
    let data = &body["reason_data"];
    let number = |field: &str| parse_amount(&data[field]);
    let message = || {
        data["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| data.to_string())
    };
    let typed = match reason {
        "BadNonce" => number("expected")
            .zip(number("actual"))
            .and_then(|(expected, actual)| {
                Some(BroadcastRejection::BadNonce {
                    expected: u64::try_from(expected).ok()?,
                    actual: u64::try_from(actual).ok()?,
                })
            }),
        "FeeTooLow" => number("expected")
            .zip(number("actual"))
            .and_then(|(expected, actual)| {
                Some(BroadcastRejection::FeeTooLow {
                    expected: u64::try_from(expected).ok()?,
                    actual: u64::try_from(actual).ok()?,
                })
            }),
        "NotEnoughFunds" => number("expected")
            .zip(number("actual"))
            .map(|(expected, actual)| BroadcastRejection::NotEnoughFunds { expected, actual }),
        "SignatureValidation" => {
            Some(BroadcastRejection::SignatureValidation { message: message() })
        }
        "ConflictingNonceInMempool" => Some(BroadcastRejection::ConflictingNonceInMempool),
        "TooMuchChaining" => Some(BroadcastRejection::TooMuchChaining),
        "NoSuchContract" => Some(BroadcastRejection::NoSuchContract),
        "NoSuchPublicFunction" => Some(BroadcastRejection::NoSuchPublicFunction),
        "BadFunctionArgument" => {
            Some(BroadcastRejection::BadFunctionArgument { message: message() })
        }
        _ => None,
    };
    typed.unwrap_or_else(|| BroadcastRejection::Other {
        reason: reason.to_owned(),
        reason_data: (!data.is_null()).then(|| data.clone()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn rejections_are_typed() {
        let bad_nonce = json!({"error": "transaction rejected", "reason": "BadNonce", "reason_data": {"expected": 5, "actual": 3, "is_origin": true, "principal": true}});
        assert_eq!(
            rejection(&bad_nonce),
            BroadcastRejection::BadNonce {
                expected: 5,
                actual: 3
            }
        );
        let funds = json!({"error": "transaction rejected", "reason": "NotEnoughFunds", "reason_data": {"expected": "0x0100", "actual": "0x0a"}});
        assert_eq!(
            rejection(&funds),
            BroadcastRejection::NotEnoughFunds {
                expected: 256,
                actual: 10
            }
        );
        let other = json!({"error": "transaction rejected", "reason": "EstimatorError"});
        assert_eq!(
            rejection(&other),
            BroadcastRejection::Other {
                reason: "EstimatorError".to_owned(),
                reason_data: None
            }
        );
    }

    #[test]
    fn accounts_read_hex_and_decimal_amounts() {
        let account =
            json!({"balance": "0x0000000000000000000000003b9aca00", "locked": "5", "nonce": 7});
        assert_eq!(
            AccountInfo::from_node_json(&account).unwrap(),
            AccountInfo {
                balance: 1_000_000_000,
                locked: 5,
                nonce: 7
            }
        );
        assert!(AccountInfo::from_node_json(&json!({"balance": "x", "nonce": 1})).is_err());
    }

    #[test]
    fn statuses_and_read_only_answers() {
        assert_eq!(
            TxStatus::from_api_json(&json!({"tx_status": "dropped_stale_garbage_collect"}))
                .unwrap(),
            TxStatus::Dropped(DropReason::StaleGarbageCollect)
        );
        assert!(TxStatus::from_api_json(&json!({"tx_status": "weird"})).is_err());
        assert_eq!(
            read_only_result(&json!({"okay": true, "result": "0x03"})).unwrap(),
            ClarityValue::Bool(true)
        );
        assert!(matches!(
            read_only_result(&json!({"okay": false, "cause": "Unchecked(NoSuchContract)"})),
            Err(AnswerError::ReadOnlyFailed(cause)) if cause == "Unchecked(NoSuchContract)"
        ));
    }
}
