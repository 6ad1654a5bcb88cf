//! [`Chain`] in memory: a mempool that checks signatures and nonces, blocks mined on demand.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use genoflow_core::ports::{Chain, ChainError};
use genoflow_stacks::{
    address::StacksAddress,
    clarity::{ClarityValue, Principal},
    keys::RecoverableSignature,
    node::{BroadcastRejection, DropReason, TxStatus},
    transaction::{ContractCall, Payload, Transaction},
};

use super::lock;

/// A Stacks node in memory: a mempool that checks signatures and nonces like a node, and
/// blocks mined when the test says so. `anchor-batch` calls answer `(ok batch-id)` from `u1`,
/// other calls `(ok true)`. Read-only calls answer what the test set
/// ([`MemoryChain::answer_read_only`], [`MemoryChain::answer_function`]) and are counted.
///
/// The oracle contract is played as deployed: a mined `submit(key, value, timestamp,
/// signature)` stores the value under its key, with the public key its signature recovers
/// (over `usecases::oracle::message_hash` for the called contract and the transaction's chain
/// id) and the block height, unless the signature recovers nothing (`(err u602)`) or the
/// timestamp is not newer than the stored one's (`(err u603)`); `get-value(key)` answers the
/// stored value or `none` when the test set no answer for it.
#[derive(Default)]
pub struct MemoryChain {
    state: Mutex<ChainState>,
}

#[derive(Default)]
struct ChainState {
    /// Next nonce per sender, of mined transactions.
    nonces: HashMap<String, u64>,
    transactions: HashMap<[u8; 32], (Transaction, TxStatus)>,
    rejections: Vec<BroadcastRejection>,
    unavailable: bool,
    abort_next_block: bool,
    height: u64,
    batches: u128,
    read_only: HashMap<String, ClarityValue>,
    /// Answers by `contract::function`, for calls without an exact answer.
    read_only_functions: HashMap<String, ClarityValue>,
    read_only_calls: usize,
    /// `oracle.get-value` per `contract_id::key hex`: the stored tuple.
    oracle_values: HashMap<String, OracleEntry>,
}

#[derive(Clone)]
struct OracleEntry {
    value: Vec<u8>,
    timestamp: u128,
    oracle: Vec<u8>,
    submitted_at: u64,
}

impl OracleEntry {
    fn clarity(&self) -> ClarityValue {
        ClarityValue::tuple([
            ("oracle", ClarityValue::Buffer(self.oracle.clone())),
            (
                "submitted-at",
                ClarityValue::UInt(u128::from(self.submitted_at)),
            ),
            ("timestamp", ClarityValue::UInt(self.timestamp)),
            ("value", ClarityValue::Buffer(self.value.clone())),
        ])
        .expect("a well-formed tuple")
    }
}

/// What `oracle.submit` does when mined at `height`: stores the value, or the contract's error.
fn oracle_submit(
    values: &mut HashMap<String, OracleEntry>,
    transaction: &Transaction,
    call: &ContractCall,
    height: u64,
) -> Result<(), u128> {
    let (
        Some(ClarityValue::Buffer(key)),
        Some(ClarityValue::Buffer(value)),
        Some(ClarityValue::UInt(timestamp)),
        Some(ClarityValue::Buffer(signature)),
    ) = (
        call.args.first(),
        call.args.get(1),
        call.args.get(2),
        call.args.get(3),
    )
    else {
        return Err(602);
    };
    let (Ok(key32), Ok(value32)) = (
        <[u8; 32]>::try_from(key.as_slice()),
        <[u8; 32]>::try_from(value.as_slice()),
    ) else {
        return Err(602);
    };
    let contract = Principal::parse(&call.contract_id()).map_err(|_| 602_u128)?;
    let hash = genoflow_core::usecases::oracle::message_hash(
        &contract,
        transaction.network.chain_id(),
        &key32,
        &value32,
        u64::try_from(*timestamp).map_err(|_| 604_u128)?,
    );
    let signer = RecoverableSignature::from_rsv(signature)
        .and_then(|signature| signature.recover(&hash))
        .map_err(|_| 602_u128)?;
    let slot = format!("{}::{}", call.contract_id(), hex::encode(key));
    if values
        .get(&slot)
        .is_some_and(|stored| stored.timestamp >= *timestamp)
    {
        return Err(603);
    }
    values.insert(
        slot,
        OracleEntry {
            value: value.clone(),
            timestamp: *timestamp,
            oracle: signer.to_bytes(),
            submitted_at: height,
        },
    );
    Ok(())
}

fn read_only_key(call: &ContractCall) -> String {
    let args: Vec<String> = call.args.iter().map(ClarityValue::to_hex).collect();
    format!(
        "{}::{}({})",
        call.contract_id(),
        call.function_name.as_str(),
        args.join(",")
    )
}

impl MemoryChain {
    /// Every transaction accepted so far, in no particular order, with its status.
    pub fn transactions(&self) -> Vec<(Transaction, TxStatus)> {
        lock(&self.state).transactions.values().cloned().collect()
    }

    /// Answers this read-only call (same contract, function and arguments) with `value`.
    pub fn answer_read_only(&self, call: &ContractCall, value: ClarityValue) {
        lock(&self.state)
            .read_only
            .insert(read_only_key(call), value);
    }

    /// Answers every call of `contract_id.function` that has no exact answer
    /// ([`MemoryChain::answer_read_only`]) with `value`.
    pub fn answer_function(&self, contract_id: &str, function: &str, value: ClarityValue) {
        lock(&self.state)
            .read_only_functions
            .insert(format!("{contract_id}::{function}"), value);
    }

    /// How many read-only calls were made so far, failed ones included.
    pub fn read_only_calls(&self) -> usize {
        lock(&self.state).read_only_calls
    }

    /// Refuses the next broadcasts with these answers, in order.
    pub fn reject_next(&self, rejections: Vec<BroadcastRejection>) {
        lock(&self.state).rejections = rejections;
    }

    /// Makes every call fail as an unreachable node would, or work again.
    pub fn set_unavailable(&self, unavailable: bool) {
        lock(&self.state).unavailable = unavailable;
    }

    /// The transactions of the next block abort with `(err u200)`.
    pub fn abort_next_block(&self) {
        lock(&self.state).abort_next_block = true;
    }

    /// Forgets a pending transaction, as a mempool eviction would.
    pub fn drop_pending(&self, txid: &[u8; 32]) {
        if let Some((_, status)) = lock(&self.state).transactions.get_mut(txid)
            && *status == TxStatus::Pending
        {
            *status = TxStatus::Dropped(DropReason::StaleGarbageCollect);
        }
    }

    /// Mines one block: every pending transaction whose nonce is its sender's next, in nonce
    /// order. Answers how many were mined.
    pub fn mine(&self) -> usize {
        let mut state = lock(&self.state);
        state.height += 1;
        let height = state.height;
        let abort = std::mem::take(&mut state.abort_next_block);
        let mut mined = 0;
        loop {
            let next = state.transactions.iter().find_map(|(txid, (tx, status))| {
                let sender = tx.sender().to_string();
                let expected = state.nonces.get(&sender).copied().unwrap_or(0);
                (*status == TxStatus::Pending && tx.auth.nonce == expected)
                    .then(|| (*txid, sender, tx.clone()))
            });
            let Some((txid, sender, transaction)) = next else {
                break;
            };
            *state.nonces.entry(sender).or_insert(0) += 1;
            let oracle = match &transaction.payload {
                Payload::ContractCall(call)
                    if !abort && call.function_name.as_str() == "submit" =>
                {
                    oracle_submit(&mut state.oracle_values, &transaction, call, height).err()
                }
                _ => None,
            };
            let status = if abort || oracle.is_some() {
                TxStatus::AbortByResponse {
                    block_height: Some(height),
                    result: Some(ClarityValue::err(ClarityValue::UInt(oracle.unwrap_or(200)))),
                }
            } else {
                let result = match transaction.payload {
                    Payload::ContractCall(call)
                        if call.function_name.as_str() == "anchor-batch" =>
                    {
                        state.batches += 1;
                        ClarityValue::UInt(state.batches)
                    }
                    _ => ClarityValue::Bool(true),
                };
                TxStatus::Success {
                    block_height: Some(height),
                    result: Some(ClarityValue::ok(result)),
                }
            };
            if let Some(entry) = state.transactions.get_mut(&txid) {
                entry.1 = status;
            }
            mined += 1;
        }
        mined
    }

    fn available(state: &ChainState) -> Result<(), ChainError> {
        if state.unavailable {
            Err(ChainError::Unavailable(
                "connection refused (simulated outage)".to_owned(),
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Chain for MemoryChain {
    async fn account_nonce(&self, address: &StacksAddress) -> Result<u64, ChainError> {
        let state = lock(&self.state);
        Self::available(&state)?;
        Ok(state.nonces.get(&address.to_string()).copied().unwrap_or(0))
    }

    async fn broadcast(&self, transaction: &Transaction) -> Result<[u8; 32], ChainError> {
        let mut state = lock(&self.state);
        Self::available(&state)?;
        if !state.rejections.is_empty() {
            return Err(ChainError::Rejected(state.rejections.remove(0)));
        }
        if let Err(error) = transaction.verify_signature() {
            return Err(ChainError::Rejected(
                BroadcastRejection::SignatureValidation {
                    message: error.to_string(),
                },
            ));
        }
        let txid = transaction.txid();
        if matches!(state.transactions.get(&txid), Some((_, TxStatus::Pending))) {
            return Ok(txid);
        }
        let sender = transaction.sender().to_string();
        let expected = state.nonces.get(&sender).copied().unwrap_or(0);
        let nonce = transaction.auth.nonce;
        if nonce < expected {
            return Err(ChainError::Rejected(BroadcastRejection::BadNonce {
                expected,
                actual: nonce,
            }));
        }
        let conflict = state.transactions.values().any(|(tx, status)| {
            *status == TxStatus::Pending
                && tx.auth.nonce == nonce
                && tx.sender().to_string() == sender
        });
        if conflict {
            return Err(ChainError::Rejected(
                BroadcastRejection::ConflictingNonceInMempool,
            ));
        }
        state
            .transactions
            .insert(txid, (transaction.clone(), TxStatus::Pending));
        Ok(txid)
    }

    async fn transaction_status(&self, txid: &[u8; 32]) -> Result<TxStatus, ChainError> {
        let state = lock(&self.state);
        Self::available(&state)?;
        Ok(state
            .transactions
            .get(txid)
            .map_or(TxStatus::NotFound, |(_, status)| status.clone()))
    }

    async fn call_read_only(
        &self,
        call: &ContractCall,
        _sender: &Principal,
    ) -> Result<ClarityValue, ChainError> {
        let mut state = lock(&self.state);
        state.read_only_calls += 1;
        Self::available(&state)?;
        let function = format!("{}::{}", call.contract_id(), call.function_name.as_str());
        if let Some(answer) = state
            .read_only
            .get(&read_only_key(call))
            .or_else(|| state.read_only_functions.get(&function))
        {
            return Ok(answer.clone());
        }
        if call.function_name.as_str() == "get-value"
            && let Some(ClarityValue::Buffer(key)) = call.args.first()
        {
            let slot = format!("{}::{}", call.contract_id(), hex::encode(key));
            return Ok(state
                .oracle_values
                .get(&slot)
                .map_or_else(ClarityValue::none, |entry| {
                    ClarityValue::some(entry.clarity())
                }));
        }
        Err(ChainError::ReadOnly(format!(
            "no answer set for {}",
            read_only_key(call)
        )))
    }
}
