// Command-line options and the HTTP routes of the stand-in.
import { Cl, deserializeCV, deserializeTransaction } from '@stacks/transactions';
import { DROP_REASONS, Rejection, TESTNET_CHAIN_ID } from './standin.mjs';

const USAGE = `usage: node server.mjs [--port N] [--block-ms N] [--fee-rate N] [--response-delay-ms N]
                      [--chain-id N] [--manifest PATH] [--paused]
  --port               127.0.0.1 port; 0 (default) picks a free one (env STANDIN_PORT)
  --block-ms           mine a block every N ms (default 200; 0: only on POST /standin/mine)
  --fee-rate           minimum fee in micro-STX per transaction byte (default 1, as the node)
  --response-delay-ms  wait N ms before answering any request (default 0)
  --chain-id           accepted chain id (default 0x80000000, testnet)
  --manifest           Clarinet.toml of the contracts (default: the repository's contracts/)
  --paused             start with interval mining paused`;

function integer(name, text) {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}\n${USAGE}`);
  }
  return value;
}

/** Options from argv (`--name value`), with `STANDIN_PORT` as the port's fallback. */
export function parseArgs(argv, env, defaults) {
  const options = {
    port: integer('STANDIN_PORT', env.STANDIN_PORT ?? '0'),
    blockMs: 200,
    feeRate: 1,
    responseDelayMs: 0,
    chainId: TESTNET_CHAIN_ID,
    manifest: defaults.manifest,
    paused: false,
  };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index];
    const value = () => {
      index += 1;
      if (index >= argv.length) throw new Error(`${flag} needs a value\n${USAGE}`);
      return argv[index];
    };
    switch (flag) {
      case '--port':
        options.port = integer(flag, value());
        break;
      case '--block-ms':
        options.blockMs = integer(flag, value());
        break;
      case '--fee-rate':
        options.feeRate = integer(flag, value());
        break;
      case '--response-delay-ms':
        options.responseDelayMs = integer(flag, value());
        break;
      case '--chain-id':
        options.chainId = integer(flag, value());
        break;
      case '--manifest':
        options.manifest = value();
        break;
      case '--paused':
        options.paused = true;
        break;
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return options;
}

const MAX_BODY = 2 * 1024 * 1024;

async function readBody(request) {
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, { error: 'request body too large' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** An answer that ends the request early: a JSON `{error}` body, or plain text as the node gives. */
class HttpError extends Error {
  constructor(code, body, kind = 'json') {
    super(typeof body === 'string' ? body : body.error);
    this.code = code;
    this.body = body;
    this.kind = kind;
  }
}

function sendText(response, code, text) {
  response.writeHead(code, { 'content-type': 'text/plain' });
  response.end(text);
}

/**
 * The body of `POST /v2/transactions` as the node reads it: raw bytes
 * (`application/octet-stream`) or `{"tx": "hex"}` (`application/json`).
 * Anything undecodable is a plain 400, before any mempool check, as on the node.
 */
function postedTransaction(contentType, body) {
  const type = String(contentType ?? '').split(';')[0].trim();
  let bytes;
  if (type === 'application/octet-stream') {
    bytes = new Uint8Array(body);
  } else if (type === 'application/json') {
    let hexTx;
    try {
      hexTx = JSON.parse(body.toString('utf8')).tx;
    } catch {
      throw new HttpError(400, 'Failed to parse body', 'text');
    }
    if (typeof hexTx !== 'string' || !/^(0x)?([0-9a-fA-F]{2})+$/.test(hexTx)) {
      throw new HttpError(400, 'Failed to parse tx', 'text');
    }
    bytes = Uint8Array.from(Buffer.from(hexTx.replace(/^0x/, ''), 'hex'));
  } else {
    throw new HttpError(
      400,
      'Wrong Content-Type for transaction; expected application/json or application/octet-stream',
      'text',
    );
  }
  if (bytes.length === 0) {
    throw new HttpError(400, 'Invalid Http request: expected non-zero-length body for PostTransaction', 'text');
  }
  try {
    return { decoded: deserializeTransaction(bytes), length: bytes.length };
  } catch (error) {
    throw new HttpError(400, `Failed to deserialize posted transaction: ${error?.message ?? error}`, 'text');
  }
}

function send(response, code, body) {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const txidOf = (text) => text.toLowerCase().replace(/^0x/, '');
const isTxid = (text) => /^(0x)?[0-9a-fA-F]{64}$/.test(text);

function principal(text) {
  try {
    Cl.principal(text);
    return text;
  } catch {
    throw new HttpError(400, { error: `not a Stacks principal: ${JSON.stringify(text)}` });
  }
}

/** Routes one request. Node and API paths first, then the stand-in's own `/standin/...` controls. */
export async function routeTable(standIn, request, response) {
  const url = new URL(request.url, 'http://stand-in');
  const path = url.pathname;
  const method = request.method;
  try {
    if (standIn.responseDelayMs > 0) await new Promise((done) => setTimeout(done, standIn.responseDelayMs));
    let match;
    if (method === 'POST' && path === '/v2/transactions') {
      const transaction = postedTransaction(request.headers['content-type'], await readBody(request));
      try {
        return send(response, 200, standIn.admit(transaction.decoded, transaction.length));
      } catch (error) {
        if (!(error instanceof Rejection)) throw error;
        return send(response, 400, error.body(error.txid));
      }
    }
    if (method === 'GET' && (match = path.match(/^\/v2\/accounts\/([^/]+)$/))) {
      const withProof = url.searchParams.get('proof') !== '0';
      return send(response, 200, standIn.account(principal(decodeURIComponent(match[1])), withProof));
    }
    if (method === 'GET' && (match = path.match(/^\/extended\/v1\/tx\/([^/]+)$/))) {
      const id = decodeURIComponent(match[1]);
      if (!isTxid(id)) return send(response, 400, { error: `not a transaction id: ${JSON.stringify(id)}` });
      const view = standIn.transactionView(txidOf(id));
      if (!view) return send(response, 404, { error: `could not find transaction by ID ${id}` });
      return send(response, 200, view);
    }
    if (method === 'POST' && (match = path.match(/^\/v2\/contracts\/call-read\/([^/]+)\/([^/]+)\/([^/]+)$/))) {
      const [address, contractName, functionName] = match.slice(1).map(decodeURIComponent);
      if (!String(request.headers['content-type']).startsWith('application/json')) {
        return sendText(response, 400, 'Invalid content-type: expected application/json');
      }
      let body;
      try {
        body = JSON.parse((await readBody(request)).toString('utf8'));
      } catch {
        return send(response, 400, { error: 'the body must be JSON {sender, arguments}' });
      }
      if (typeof body?.sender !== 'string' || !Array.isArray(body.arguments)) {
        return send(response, 400, { error: 'the body must be JSON {sender, arguments}' });
      }
      let args;
      try {
        args = body.arguments.map((argument) => deserializeCV(String(argument).replace(/^0x/, '')));
      } catch (error) {
        return send(response, 400, { error: `an argument is not a serialized Clarity value: ${error.message}` });
      }
      const contract = `${principal(address)}.${contractName}`;
      return send(response, 200, standIn.callReadOnly(contract, functionName, principal(body.sender), args));
    }

    // Stand-in controls (no real node has these).
    if (method === 'POST' && path === '/standin/mine') return send(response, 200, standIn.mine());
    if (method === 'POST' && path === '/standin/pause') {
      standIn.paused = true;
      return send(response, 200, standIn.status());
    }
    if (method === 'POST' && path === '/standin/resume') {
      standIn.paused = false;
      return send(response, 200, standIn.status());
    }
    if (method === 'POST' && (match = path.match(/^\/standin\/drop\/([^/]+)$/))) {
      const id = decodeURIComponent(match[1]);
      if (!isTxid(id)) return send(response, 400, { error: `not a transaction id: ${JSON.stringify(id)}` });
      const reason = url.searchParams.get('status') ?? 'dropped_replace_by_fee';
      if (!DROP_REASONS.includes(reason)) {
        return send(response, 400, { error: `status must be one of ${DROP_REASONS.join(', ')}` });
      }
      const { code, body } = standIn.drop(txidOf(id), reason);
      return send(response, code, body);
    }
    if (method === 'POST' && (match = path.match(/^\/standin\/delay\/(\d+)$/))) {
      standIn.responseDelayMs = Number(match[1]);
      return send(response, 200, standIn.status());
    }
    if (method === 'POST' && (match = path.match(/^\/standin\/advance\/(\d+)$/))) {
      return send(response, 200, standIn.advance(Number(match[1])));
    }
    if (method === 'GET' && path === '/standin/status') return send(response, 200, standIn.status());
    if (method === 'GET' && path === '/standin/accounts') {
      return send(response, 200, Object.fromEntries(standIn.simnet.getAccounts()));
    }
    return send(response, 404, { error: `no route ${method} ${path}` });
  } catch (error) {
    if (error instanceof HttpError) {
      return error.kind === 'text' ? sendText(response, error.code, error.body) : send(response, error.code, error.body);
    }
    throw error;
  }
}
