// The few Stacks node API calls the page makes, through `config.node_base`
// (`genoflow serve --stacks-node` proxies them under /node):
//   POST {base}/v2/contracts/call-read/{address}/{contract}/{function}  read-only calls
//   GET  {base}/v2/accounts/{principal}?proof=0                         nonce and balance
//   POST {base}/v2/transactions                                        broadcast (raw bytes)
//   GET  {base}/extended/v1/tx/{txid}                                  a transaction's status

import { deserialize, serializeHex } from './clarity.js';
import { splitContractId } from './transaction.js';

export class NodeError extends Error {
  constructor(message, { status = 0, reason = null } = {}) {
    super(message);
    this.name = 'NodeError';
    this.status = status;
    this.reason = reason;
  }
}

/** The node base URL the page uses: absolute as given, or joined to the API base. */
export function nodeBaseUrl(config) {
  const base = config?.node_base;
  if (!base) return null;
  if (/^https?:\/\//i.test(base)) return base.replace(/\/+$/, '');
  const api = (config.api_base || '').replace(/\/+$/, '');
  return api + (base.startsWith('/') ? base : `/${base}`).replace(/\/+$/, '');
}

async function readJson(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function unreachable(error) {
  return new NodeError(`The Stacks node could not be reached (${error.message}).`);
}

function answered(response, body) {
  const detail = typeof body === 'string' ? body.slice(0, 200) : body?.error?.message || body?.error || body?.reason || '';
  return new NodeError(`The Stacks node answered ${response.status}${detail ? `: ${detail}` : ''}.`, { status: response.status });
}

export class Node {
  /** @param {string} base e.g. "/node" or "https://api.testnet.hiro.so" */
  constructor(base, fetchImpl = (...args) => globalThis.fetch(...args)) {
    this.base = base;
    this.fetch = fetchImpl;
  }

  async request(path, init = {}) {
    let response;
    try {
      response = await this.fetch(this.base + path, init);
    } catch (error) {
      throw unreachable(error);
    }
    return { response, body: await readJson(response) };
  }

  /** Runs a read-only function: its result as a Clarity value. */
  async callReadOnly(contract, functionName, args, sender) {
    const { address, name } = splitContractId(contract);
    const { response, body } = await this.request(
      `/v2/contracts/call-read/${address}/${name}/${encodeURIComponent(functionName)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sender, arguments: args.map((cv) => `0x${serializeHex(cv)}`) }),
      },
    );
    if (!response.ok) throw answered(response, body);
    if (!body || body.okay !== true) {
      throw new NodeError(`The read-only call ${name}.${functionName} failed: ${body?.cause ?? 'no cause given'}.`);
    }
    return deserialize(body.result);
  }

  /** {nonce, balance (µSTX, BigInt)} of an account. */
  async account(principal) {
    const { response, body } = await this.request(`/v2/accounts/${encodeURIComponent(principal)}?proof=0`);
    if (!response.ok) throw answered(response, body);
    return { nonce: BigInt(body.nonce), balance: BigInt(body.balance) };
  }

  /** Sends a signed transaction's bytes; resolves its txid (hex, no 0x). */
  async broadcast(bytes) {
    const { response, body } = await this.request('/v2/transactions', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    if (!response.ok) {
      const reason = body?.reason || null;
      const words = reason ? `${reason}${body.reason_data ? ` ${JSON.stringify(body.reason_data)}` : ''}` : (typeof body === 'string' ? body : body?.error);
      throw new NodeError(`The Stacks node refused the transaction (${words || response.status}): nothing was sent.`, { status: response.status, reason });
    }
    return String(body).replace(/^0x/, '');
  }

  /** The API's view of a transaction, or null while the node does not know it. */
  async transaction(txid) {
    const { response, body } = await this.request(`/extended/v1/tx/${encodeURIComponent(txid)}`);
    if (response.status === 404) return null;
    if (!response.ok) throw answered(response, body);
    return body;
  }
}
