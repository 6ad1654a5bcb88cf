// The stand-in's state: a mempool in front of the clarinet SDK simnet.
//
// Admission follows the Stacks node's mempool checks (stacks-core
// `MemPoolRejection`), answering with its `{error, reason, reason_data, txid}`
// shapes; mining runs admitted transactions in the simnet as their sender.
import {
  AddressHashMode,
  AuthType,
  ClarityType,
  PayloadType,
  PostConditionMode,
  addressToString,
  cvToString,
  serializeCV,
} from '@stacks/transactions';
import { argumentsMismatch } from './abi.mjs';
import { postConditionViolation } from './postconditions.mjs';

/** Testnet transaction version and chain id (what `Network::Testnet` signs for). */
export const TESTNET_TX_VERSION = 0x80;
export const TESTNET_CHAIN_ID = 0x80000000;
/** c32 version byte of testnet single-signature addresses (`ST...`). */
const TESTNET_SINGLE_SIG = 26;
/** The node's `MAXIMUM_MEMPOOL_TX_CHAINING`: unconfirmed nonces allowed ahead of the account's. */
export const MAX_CHAINING = 25;
/** Fees are paid here (a real chain pays them to miners): the testnet burn address. */
export const FEE_SINK = 'ST000000000000000000002AMW42H';
/** secp256k1 group order / 2: a signature with a larger S is high-S, which the node refuses. */
const HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
/** `(err none)`: what the API shows for a transaction that hit a runtime error. */
const RUNTIME_ERROR_RESULT = { hex: '0x0809', repr: '(err none)' };

export const DROP_REASONS = [
  'dropped_replace_by_fee',
  'dropped_replace_across_fork',
  'dropped_too_expensive',
  'dropped_stale_garbage_collect',
  'dropped_problematic',
];

const hex = (bytes) => Buffer.from(bytes).toString('hex');
/** A u128 as the node writes balances: `0x` + 32 hex digits. */
export const u128Hex = (value) => `0x${BigInt(value).toString(16).padStart(32, '0')}`;

/** A refusal in the node's shape. `reasonData` is left out when undefined, as the node does. */
export class Rejection extends Error {
  constructor(reason, reasonData) {
    super(reason);
    this.reason = reason;
    this.reasonData = reasonData;
  }

  body(txid) {
    const body = { txid, error: 'transaction rejected', reason: this.reason };
    if (this.reasonData !== undefined) body.reason_data = this.reasonData;
    return body;
  }
}

export class StandIn {
  /**
   * @param simnet the clarinet SDK simnet, contracts deployed
   * @param tx the SDK's `tx` builders for `simnet.mineBlock`
   * @param options parsed options (see options.mjs)
   */
  constructor(simnet, tx, options) {
    this.simnet = simnet;
    this.tx = tx;
    this.feeRate = BigInt(options.feeRate);
    this.chainId = options.chainId;
    this.blockMs = options.blockMs;
    this.paused = options.paused;
    this.responseDelayMs = options.responseDelayMs;
    /** txid (hex, no 0x) -> record; every transaction ever admitted. */
    this.transactions = new Map();
    /** sender -> (nonce -> txid) of pending transactions. */
    this.mempool = new Map();
    /** sender -> next nonce of mined transactions. */
    this.nonces = new Map();
    this.counts = {
      accepted: 0,
      rejected: {},
      executed: 0,
      success: 0,
      abort_by_response: 0,
      dropped: 0,
      blocks: 0,
      post_condition_violations: 0,
    };
    this.timer = null;
  }

  // ------------------------------------------------------------------ accounts

  balance(principal) {
    return this.simnet.getAssetsMap().get('STX')?.get(principal) ?? 0n;
  }

  confirmedNonce(principal) {
    return this.nonces.get(principal) ?? 0;
  }

  /** `GET /v2/accounts/{principal}`. */
  account(principal, withProof = true) {
    const account = {
      balance: u128Hex(this.balance(principal)),
      locked: u128Hex(0),
      unlock_height: 0,
      nonce: this.confirmedNonce(principal),
    };
    // The node leaves the proofs out for `?proof=0`; the stand-in has none to give.
    return withProof ? { ...account, balance_proof: '', nonce_proof: '' } : account;
  }

  // ----------------------------------------------------------------- admission

  /**
   * `POST /v2/transactions`: admits a deserialized transaction of `length`
   * bytes or throws a {@link Rejection}. Returns the txid (hex, no 0x).
   */
  admit(transaction, length) {
    try {
      return this.admitOrThrow(transaction, length);
    } catch (error) {
      if (error instanceof Rejection) {
        this.counts.rejected[error.reason] = (this.counts.rejected[error.reason] ?? 0) + 1;
      }
      throw error;
    }
  }

  /** `transaction` is deserialized already: the node refuses undecodable bodies before its mempool. */
  admitOrThrow(transaction, length) {
    const txid = transaction.txid();
    // The node answers a transaction its mempool table already holds (pending
    // or mined) with its txid; a dropped one was removed and is checked afresh.
    const known = this.transactions.get(txid);
    if (known && !known.status.startsWith('dropped_')) return txid;
    try {
      this.enqueue(this.check(transaction, txid, length));
    } catch (error) {
      if (error instanceof Rejection) error.txid = txid;
      throw error;
    }
    this.counts.accepted += 1;
    return txid;
  }

  /** The node's mempool checks, in its order. Returns the pending entry. */
  check(transaction, txid, length) {
    if (transaction.transactionVersion !== TESTNET_TX_VERSION || transaction.chainId !== this.chainId) {
      throw new Rejection('BadTransactionVersion');
    }
    const { auth, payload } = transaction;
    if (auth.authType !== AuthType.Standard) {
      throw new Rejection('ServerFailureOther', { message: 'the stand-in does not take sponsored transactions' });
    }
    const condition = auth.spendingCondition;
    if (condition.hashMode !== AddressHashMode.P2PKH) {
      throw new Rejection('ServerFailureOther', {
        message: `the stand-in takes single-signature P2PKH transactions only (hash mode ${condition.hashMode})`,
      });
    }
    this.checkSignature(transaction);
    const sender = addressToString({ version: TESTNET_SINGLE_SIG, hash160: condition.signer });

    const call = this.checkPayload(payload, sender);

    const fee = BigInt(condition.fee);
    const minimum = BigInt(length) * this.feeRate;
    if (fee < minimum) {
      throw new Rejection('FeeTooLow', { expected: Number(minimum), actual: Number(fee) });
    }

    const nonce = Number(condition.nonce);
    const expected = this.confirmedNonce(sender);
    if (nonce < expected) {
      throw new Rejection('BadNonce', { expected, actual: nonce, principal: sender, is_origin: true });
    }
    if (nonce > expected + MAX_CHAINING) {
      throw new Rejection('TooMuchChaining', {
        message: 'Nonce would exceed chaining limit in mempool',
        expected: expected + MAX_CHAINING,
        actual: nonce,
        principal: sender,
        is_origin: true,
      });
    }

    const amount = payload.payloadType === PayloadType.TokenTransfer ? BigInt(payload.amount) : 0n;
    const balance = this.balance(sender);
    if (balance < fee + amount) {
      throw new Rejection('NotEnoughFunds', { expected: u128Hex(fee + amount), actual: u128Hex(balance) });
    }

    // Replace-by-fee as the node does it: a higher fee evicts the pending
    // transaction with the same nonce; anything else conflicts.
    const pendingSameNonce = this.mempool.get(sender)?.get(nonce);
    let replaces = null;
    if (pendingSameNonce) {
      const previous = this.transactions.get(pendingSameNonce);
      if (previous.fee >= fee) throw new Rejection('ConflictingNonceInMempool');
      replaces = pendingSameNonce;
    }

    return {
      txid,
      status: 'pending',
      receiptTime: Date.now(),
      sender,
      nonce,
      fee,
      amount,
      call,
      payload,
      postConditionMode: transaction.postConditionMode,
      postConditions: transaction.postConditions.values,
      replaces,
    };
  }

  /** Recovers the signer from the sighash; refuses another key and high-S, like the node. */
  checkSignature(transaction) {
    const signature = transaction.auth.spendingCondition.signature.data;
    const s = BigInt(`0x${signature.slice(2 + 64, 2 + 128)}`);
    if (s > HALF_CURVE_ORDER) {
      throw new Rejection('SignatureValidation', { message: 'Signature is not low-S (high-S signatures are not accepted)' });
    }
    try {
      transaction.verifyOrigin();
    } catch (error) {
      throw new Rejection('SignatureValidation', { message: String(error?.message ?? error) });
    }
  }

  /** Contract calls: contract, public function and argument types; transfers: amount and recipient. */
  checkPayload(payload, sender) {
    switch (payload.payloadType) {
      case PayloadType.TokenTransfer: {
        const recipient = cvToString(payload.recipient);
        if (recipient === sender) throw new Rejection('TransferRecipientCannotEqualSender', { recipient });
        if (BigInt(payload.amount) === 0n) throw new Rejection('TransferAmountMustBePositive');
        return null;
      }
      case PayloadType.ContractCall: {
        const contract = `${addressToString(payload.contractAddress)}.${payload.contractName.content}`;
        const contractInterface = this.simnet.getContractsInterfaces().get(contract);
        if (!contractInterface) throw new Rejection('NoSuchContract');
        const fn = contractInterface.functions.find(
          (candidate) => candidate.name === payload.functionName.content && candidate.access === 'public',
        );
        if (!fn) throw new Rejection('NoSuchPublicFunction');
        const why = argumentsMismatch(fn, payload.functionArgs);
        if (why) throw new Rejection('BadFunctionArgument', { message: why });
        return { contract, functionName: fn.name, args: payload.functionArgs };
      }
      case PayloadType.Coinbase:
      case PayloadType.CoinbaseToAltRecipient:
      case PayloadType.NakamotoCoinbase:
        throw new Rejection('NoCoinbaseViaMempool');
      case PayloadType.TenureChange:
        throw new Rejection('NoTenureChangeViaMempool');
      default:
        throw new Rejection('ServerFailureOther', {
          message: `the stand-in executes contract calls and STX transfers only (payload type ${payload.payloadType})`,
        });
    }
  }

  enqueue(entry) {
    if (entry.replaces) this.markDropped(entry.replaces, 'dropped_replace_by_fee');
    this.transactions.set(entry.txid, entry);
    if (!this.mempool.has(entry.sender)) this.mempool.set(entry.sender, new Map());
    this.mempool.get(entry.sender).set(entry.nonce, entry.txid);
  }

  // -------------------------------------------------------------------- faults

  markDropped(txid, status) {
    const entry = this.transactions.get(txid);
    entry.status = status;
    this.mempool.get(entry.sender)?.delete(entry.nonce);
    this.counts.dropped += 1;
  }

  /** `POST /standin/drop/{txid}`: drops a pending transaction. */
  drop(txid, status = 'dropped_replace_by_fee') {
    const entry = this.transactions.get(txid);
    if (!entry) return { code: 404, body: { error: `unknown transaction 0x${txid}` } };
    if (entry.status !== 'pending') {
      return { code: 409, body: { error: `transaction 0x${txid} is ${entry.status}, not pending` } };
    }
    this.markDropped(txid, status);
    return { code: 200, body: { tx_id: `0x${txid}`, tx_status: status } };
  }

  // -------------------------------------------------------------------- mining

  startMining() {
    if (this.timer || this.blockMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.paused) return;
      try {
        this.mine();
      } catch (error) {
        // One bad round must not take the server down; the next one retries.
        console.error('stand-in: mining round failed:', error);
      }
    }, this.blockMs);
  }

  stopMining() {
    clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * One mining round: runs every pending transaction whose nonce is its
   * sender's next, in arrival order, until none is left (a gap holds the
   * later nonces back). Each runs in its own simnet block, fee first, so a
   * runtime error in one cannot take the others' results with it.
   */
  mine() {
    const executed = [];
    for (;;) {
      const ready = [];
      for (const [sender, byNonce] of this.mempool) {
        const txid = byNonce.get(this.confirmedNonce(sender));
        if (txid) ready.push(this.transactions.get(txid));
      }
      // A sender that can no longer pay waits, as it would in a node's mempool.
      const payable = ready.filter((entry) => this.balance(entry.sender) >= entry.fee + entry.amount);
      if (payable.length === 0) break;
      payable.sort((a, b) => a.receiptTime - b.receiptTime);
      for (const entry of payable) {
        this.execute(entry);
        executed.push(entry.txid);
      }
    }
    if (executed.length > 0) this.counts.blocks += 1;
    return {
      block_height: this.simnet.blockHeight,
      block_time: this.blockTime(),
      executed: executed.map((txid) => `0x${txid}`),
    };
  }

  /**
   * `stacks-block-time` of the latest simnet block, unix seconds. It is not the
   * wall clock: it starts near the wall-clock time the simnet was made, each
   * transaction's block adds 10 s, each empty burn block of `advance` up to 600 s.
   */
  blockTime() {
    return Number(this.simnet.getBlockTime());
  }

  execute(entry) {
    const { simnet, tx } = this;
    const payFee = tx.transferSTX(Number(entry.fee), FEE_SINK, entry.sender);
    const action = entry.call
      ? tx.callPublicFn(entry.call.contract, entry.call.functionName, entry.call.args, entry.sender)
      : tx.transferSTX(Number(entry.amount), cvToString(entry.payload.recipient), entry.sender);
    const heightBefore = simnet.blockHeight;
    let result;
    try {
      const [, outcome] = simnet.mineBlock([payFee, action]);
      result = { hex: `0x${serializeCV(outcome.result)}`, repr: cvToString(outcome.result) };
      entry.status = outcome.result.type === ClarityType.ResponseOk ? 'success' : 'abort_by_response';
      entry.eventCount = outcome.events.length;
      if (entry.call && entry.status === 'success') this.checkPostConditions(entry, outcome.events);
    } catch (error) {
      if (simnet.blockHeight === heightBefore) {
        // Nothing was mined: the simnet refused the block itself.
        console.error(`stand-in: 0x${entry.txid} could not be mined:`, error?.message ?? error);
        this.markDropped(entry.txid, 'dropped_problematic');
        return;
      }
      // A runtime error: mined, fee paid, the call's changes rolled back.
      console.error(`stand-in: 0x${entry.txid} hit a runtime error:`, String(error?.message ?? error).split('\n')[0]);
      result = RUNTIME_ERROR_RESULT;
      entry.status = 'abort_by_response';
      entry.eventCount = 0;
    }
    entry.result = result;
    entry.blockHeight = simnet.blockHeight;
    entry.blockTime = this.blockTime();
    this.mempool.get(entry.sender).delete(entry.nonce);
    this.nonces.set(entry.sender, entry.nonce + 1);
    this.counts.executed += 1;
    this.counts[entry.status] += 1;
  }

  /**
   * A node would have ended the call as `abort_by_post_condition` and rolled
   * it back; the simnet has committed it. Say so loudly rather than report a
   * status that does not match the state.
   */
  checkPostConditions(entry, events) {
    const why = postConditionViolation(entry.postConditionMode, entry.postConditions, entry.sender, events);
    if (!why) return;
    entry.postConditionViolation = why;
    this.counts.post_condition_violations += 1;
    console.error(
      `stand-in: 0x${entry.txid} VIOLATES ITS POST-CONDITIONS (a node would abort it; the simnet committed it): ${why}`,
    );
  }

  /**
   * `POST /standin/advance/{count}`: `count` empty burn blocks (each with one
   * empty Stacks block), for contract logic that depends on height or time.
   * Each moves `stacks-block-time` to the next 600 s burn block; the first
   * only finishes the current one, whose 600 s the transaction blocks (10 s
   * each) may have used up already, so it adds between 10 and 600 s.
   */
  advance(count) {
    this.simnet.mineEmptyBlocks(count);
    return {
      block_height: this.simnet.blockHeight,
      burn_block_height: this.simnet.burnBlockHeight,
      block_time: this.blockTime(),
    };
  }

  // --------------------------------------------------------------------- reads

  /** `GET /extended/v1/tx/{txid}` in the Stacks API's shape, or null. */
  transactionView(txid) {
    const entry = this.transactions.get(txid);
    if (!entry) return null;
    const view = {
      tx_id: `0x${txid}`,
      tx_status: entry.status,
      tx_type: entry.call ? 'contract_call' : 'token_transfer',
      nonce: entry.nonce,
      fee_rate: entry.fee.toString(),
      sender_address: entry.sender,
      sponsored: false,
      post_condition_mode: entry.postConditionMode === PostConditionMode.Allow ? 'allow' : 'deny',
      anchor_mode: 'any',
      receipt_time: Math.floor(entry.receiptTime / 1000),
      receipt_time_iso: new Date(entry.receiptTime).toISOString(),
    };
    if (entry.call) {
      view.contract_call = {
        contract_id: entry.call.contract,
        function_name: entry.call.functionName,
        function_args: entry.call.args.map((arg) => ({ hex: `0x${serializeCV(arg)}`, repr: cvToString(arg) })),
      };
    } else {
      view.token_transfer = {
        recipient_address: cvToString(entry.payload.recipient),
        amount: entry.amount.toString(),
        memo: `0x${hex(new TextEncoder().encode(entry.payload.memo.content))}`,
      };
    }
    if (entry.result) {
      Object.assign(view, {
        block_height: entry.blockHeight,
        // The Stacks API's `block_time`: the block's `stacks-block-time`, unix seconds.
        block_time: entry.blockTime,
        block_time_iso: new Date(entry.blockTime * 1000).toISOString(),
        canonical: true,
        is_unanchored: false,
        tx_result: entry.result,
        event_count: entry.eventCount,
      });
    }
    // Not an API field: only the stand-in has this problem (see checkPostConditions).
    if (entry.postConditionViolation) view.standin_post_condition_violation = entry.postConditionViolation;
    return view;
  }

  /** `POST /v2/contracts/call-read/...`: `{okay, result}` or `{okay: false, cause}`. */
  callReadOnly(contract, functionName, sender, args) {
    const contractInterface = this.simnet.getContractsInterfaces().get(contract);
    if (!contractInterface) return { okay: false, cause: `Unchecked(NoSuchContract("${contract}"))` };
    const fn = contractInterface.functions.find((candidate) => candidate.name === functionName);
    if (!fn || fn.access === 'private') {
      return { okay: false, cause: `Unchecked(NoSuchPublicFunction("${contract}", "${functionName}"))` };
    }
    if (fn.access !== 'read_only') {
      // A node runs a public function too and refuses it only if it writes;
      // the simnet cannot run one without committing it.
      return {
        okay: false,
        cause: `NotReadOnly (the stand-in runs define-read-only functions only; ${functionName} is public)`,
      };
    }
    const why = argumentsMismatch(fn, args);
    if (why) return { okay: false, cause: `Unchecked(TypeValueError: ${why})` };
    try {
      const { result } = this.simnet.callReadOnlyFn(contract, functionName, args, sender);
      return { okay: true, result: `0x${serializeCV(result)}` };
    } catch (error) {
      return { okay: false, cause: String(error?.message ?? error).split('\n')[0] };
    }
  }

  status() {
    let pending = 0;
    for (const byNonce of this.mempool.values()) pending += byNonce.size;
    return {
      block_height: this.simnet.blockHeight,
      burn_block_height: this.simnet.burnBlockHeight,
      block_time: this.blockTime(),
      paused: this.paused,
      block_ms: this.blockMs,
      response_delay_ms: this.responseDelayMs,
      fee_rate: Number(this.feeRate),
      pending,
      counts: this.counts,
    };
  }
}
