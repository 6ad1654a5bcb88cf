// Sending a contract call, and following it to its outcome.
//
// A call is {contract: "ADDR.name", functionName, args: [Clarity values], postConditions: [STX
// post-conditions]} (lib/contracts.js builds GenoFlow's). It goes out either
// - through a wallet: request('stx_callContract', {contract, functionName, functionArgs: [hex],
//   postConditions: [hex], postConditionMode: "deny", network}); the wallet signs, broadcasts
//   and answers the txid; or
// - with the local development key: the page reads the nonce from the node, builds and signs
//   the transaction itself (lib/transaction.js) and broadcasts its bytes.
// followTransaction then polls the node's API until the transaction is mined or dropped.

import { deserialize, serializeHex } from './clarity.js';
import { errorWords } from './contract-errors.js';
import { getPublicKey } from './secp256k1.js';
import { bytesToHex } from './sha256.js';
import { contractCall, serializePostCondition, serializeTransaction, signTransaction, txid as txidOf } from './transaction.js';

/** The fee of a development-key transaction, µSTX (0.01 STX; a node asks ≥ 1 µSTX per byte). */
export const DEV_FEE = 10_000n;

/** The wallet did not send the transaction (the user declined, or it failed): nothing was sent. */
export class NotSent extends Error {
  constructor(message) {
    super(message);
    this.name = 'NotSent';
  }
}

/** The `stx_callContract` parameters of a call. */
export function walletParams(call, network) {
  return {
    contract: call.contract,
    functionName: call.functionName,
    functionArgs: call.args.map(serializeHex),
    postConditions: (call.postConditions || []).map((pc) => bytesToHex(serializePostCondition(pc))),
    postConditionMode: 'deny',
    network,
  };
}

const REJECTION_CODES = new Set([4001, -31001, -32000]);

function rejection(error) {
  const code = error?.code ?? error?.error?.code;
  const message = error?.message || error?.error?.message || (typeof error === 'string' ? error : '');
  if (REJECTION_CODES.has(Number(code)) || /reject|cancel|denied|declined/i.test(message)) {
    return new NotSent('You declined in the wallet: nothing was sent.');
  }
  return new NotSent(`The wallet did not send the transaction${message ? ` (${message})` : ''}: nothing was sent.`);
}

/** The txid in what a wallet answered: the result itself, JSON-RPC's or sats-connect's shape. */
export function readTxid(response) {
  let current = response;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    if (current.error) throw rejection(current.error);
    if (current.status === 'error') throw rejection(current);
    const id = current.txid ?? current.txId;
    if (typeof id === 'string' && id) return id.replace(/^0x/, '');
    current = current.result;
  }
  throw new NotSent('The wallet answered without a transaction id: nothing was sent.');
}

/** Asks the wallet to sign and send a call; resolves the txid, or throws NotSent. */
export async function sendWithWallet(provider, call, network) {
  let response;
  try {
    response = await provider.request('stx_callContract', walletParams(call, network));
  } catch (error) {
    throw rejection(error);
  }
  return readTxid(response);
}

/**
 * Builds and signs a call with a private key and broadcasts it. `nonces` remembers the last
 * nonce used per address, so calls sent before the previous one is mined do not collide.
 */
export async function sendWithKey(node, call, { privateKey, address, chainId, network, fee = DEV_FEE, nonces = new Map() }) {
  const account = await node.account(address);
  const last = nonces.get(address);
  const nonce = last !== undefined && last >= account.nonce ? last + 1n : account.nonce;
  const tx = signTransaction(
    contractCall({ network, chainId, publicKey: getPublicKey(privateKey), nonce, fee, ...call }),
    privateKey,
  );
  const bytes = serializeTransaction(tx);
  const txid = await node.broadcast(bytes);
  nonces.set(address, nonce);
  if (txid !== txidOf(bytes)) throw new Error(`the node named the transaction ${txid}, not ${txidOf(bytes)}`);
  return txid;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error code of an `(err uN)` result, or null. */
export function errorCode(result) {
  if (result?.type === 'err' && result.value?.type === 'uint') return Number(result.value.value);
  return null;
}

/** What a mined or dropped transaction (the API's view) came to. */
export function outcomeOf(view) {
  const status = view.tx_status;
  if (status === 'pending') return null;
  let result = null;
  try {
    if (view.tx_result?.hex) result = deserialize(view.tx_result.hex);
  } catch {
    result = null;
  }
  if (status === 'success') return { status: 'success', result, view };
  if (status === 'abort_by_response') {
    const code = errorCode(result);
    const words = code === null ? 'the contract stopped with an error: nothing changed' : errorWords(code);
    return { status: 'failed', code, words, result, view };
  }
  if (status === 'abort_by_post_condition') {
    return { status: 'failed', code: null, words: 'it would have moved other amounts than you agreed to, so it was stopped: nothing was charged', result, view };
  }
  if (String(status).startsWith('dropped')) {
    return { status: 'failed', code: null, words: `the network dropped it (${status}): nothing happened`, result, view };
  }
  return { status: 'failed', code: null, words: `it ended as ${status}`, result, view };
}

/**
 * Polls the node until the transaction is mined or dropped. onPending(view|null) after each
 * look while it is pending. Resolves outcomeOf(view).
 */
export async function followTransaction(node, txid, { interval = 1000, timeout = 30 * 60_000, onPending = () => {} } = {}) {
  const started = Date.now();
  for (;;) {
    let view = null;
    try {
      view = await node.transaction(txid);
    } catch {
      view = null; // the node or the proxy hiccuped: look again
    }
    if (view) {
      const outcome = outcomeOf(view);
      if (outcome) return outcome;
    }
    onPending(view);
    if (Date.now() - started > timeout) {
      return { status: 'failed', code: null, words: 'it was not mined in time; look it up with its link later', result: null, view };
    }
    await sleep(interval);
  }
}
