// Sending a contract call from a screen and showing where it is: waiting for the wallet,
// pending (txid, with a link to the node's view of it), done, or failed in plain words.
// Each transaction lives in state.txs under a key naming what it is for.

import { NotSent, followTransaction, sendWithKey, sendWithWallet } from '../lib/contract-call.js';
import { h } from '../lib/dom.js';
import { shortHex } from '../lib/format.js';
import { findProvider, devPrivateKey } from '../lib/wallet.js';

const nonces = new Map();

function setTx(store, key, tx) {
  store.set({ txs: { ...store.state.txs, [key]: tx } });
}

/** Sends with the signed-in account: the development key, or the wallet. Resolves the txid. */
async function send(ctx, call) {
  const { session, config } = ctx.store.state;
  if (session.kind === 'dev') {
    return sendWithKey(ctx.node, call, {
      privateKey: devPrivateKey(),
      address: session.address,
      chainId: config.chain_id,
      network: config.network,
      nonces,
    });
  }
  const found = findProvider(window);
  if (!found) throw new NotSent('No Stacks wallet was found in this browser: nothing was sent.');
  return sendWithWallet(found.provider, call, config.network);
}

/**
 * Sends `call` and follows it; state.txs[key] tells each step. Resolves the outcome:
 * {status: 'success' | 'failed' | 'not_sent', code?, words?, result?}.
 */
export async function runCall(ctx, key, label, call, onSent = () => {}) {
  const { store } = ctx;
  setTx(store, key, { label, status: 'signing' });
  let txid;
  try {
    txid = await send(ctx, call);
  } catch (error) {
    const message = error instanceof NotSent || /nothing was sent/.test(error.message)
      ? error.message
      : `${error.message.replace(/\.$/, '')}: nothing was sent.`;
    setTx(store, key, { label, status: 'not_sent', message });
    return { status: 'not_sent', words: message };
  }
  onSent(txid);
  return followCall(ctx, key, label, txid);
}

/** Follows a transaction already sent (e.g. before a reload) under `key`. */
export async function followCall(ctx, key, label, txid) {
  setTx(ctx.store, key, { label, status: 'pending', txid });
  const outcome = await followTransaction(ctx.node, txid);
  setTx(ctx.store, key, { label, status: outcome.status, txid, message: outcome.words || null, code: outcome.code ?? null });
  return { ...outcome, txid };
}

/** Whether a transaction under this key is still on its way. */
export function busy(tx) {
  return Boolean(tx) && (tx.status === 'signing' || tx.status === 'pending');
}

const WORDS = {
  signing: 'Waiting for your wallet to sign…',
  pending: 'Sent; waiting for a block…',
  success: 'Done.',
};

/** The status line of a transaction (nothing when there is none). */
export function renderTx(ctx, tx, key) {
  if (!tx) return null;
  let text;
  if (tx.status === 'failed') text = `Failed: ${tx.message}${tx.code !== null && tx.code !== undefined ? ` (error u${tx.code})` : ''}.`;
  else if (tx.status === 'not_sent') text = tx.message;
  else text = WORDS[tx.status];
  const link = tx.txid && ctx.nodeBase
    ? h('a', { href: `${ctx.nodeBase}/extended/v1/tx/${tx.txid}`, target: '_blank', rel: 'noopener', class: 'txid', title: tx.txid }, shortHex(tx.txid, 8))
    : null;
  return h(
    'p',
    { class: `tx tx-${tx.status}`, role: 'status', dataset: { testid: 'tx-status', txKey: key, state: tx.status, txid: tx.txid, code: tx.code ?? undefined } },
    h('strong', {}, `${tx.label}: `),
    text,
    link ? [' ', 'Transaction ', link] : null,
  );
}
