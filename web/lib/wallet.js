// Signing the SIP-018 login message: with an injected Stacks wallet, or with a
// development key kept in this browser's localStorage.

import { serializeHex } from './clarity.js';
import { compressPublicKey, getPublicKey, normalizeSignature, randomPrivateKey } from './secp256k1.js';
import { bytesToHex, hexToBytes } from './sha256.js';
import { loginDomain, loginMessage, newLoginFields, structuredDataHash } from './sip018.js';
import { signRsv } from './secp256k1.js';

export const DEV_KEY_STORAGE = 'genoflow.devKey';

/** The injected Stacks provider and its name, or null. */
export function findProvider(win = globalThis) {
  const candidates = [
    ['Leather', win.LeatherProvider],
    ['Xverse', win.XverseProviders?.StacksProvider],
    ['Stacks wallet', win.StacksProvider],
  ];
  for (const [name, provider] of candidates) {
    if (provider && typeof provider.request === 'function') return { name, provider };
  }
  return null;
}

/** Strips 0x. */
function cleanHex(value) {
  return typeof value === 'string' ? value.trim().replace(/^0x/i, '') : value;
}

/**
 * Pulls {signature, publicKey} out of what a wallet's request() answered: the result
 * itself, a JSON-RPC response ({result: {...}}) or sats-connect's ({status, result}).
 */
export function readSignResult(response) {
  const seen = [];
  let current = response;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    seen.push(current);
    if (typeof current.signature === 'string') {
      return { signature: cleanHex(current.signature), publicKey: cleanHex(current.publicKey ?? current.public_key) };
    }
    if (current.error) {
      const message = current.error.message || JSON.stringify(current.error);
      throw new Error(`The wallet refused to sign: ${message}`);
    }
    current = current.result;
  }
  throw new Error('The wallet answered without a signature.');
}

/**
 * Asks the wallet to sign the login message and returns the `POST /auth/login` body.
 */
export async function signInWithWallet(provider, chainId, fields = newLoginFields()) {
  const domain = loginDomain(chainId);
  const message = loginMessage(fields);
  let response;
  try {
    response = await provider.request('stx_signStructuredMessage', {
      message: serializeHex(message),
      domain: serializeHex(domain),
    });
  } catch (error) {
    const reason = error?.message || error?.error?.message || String(error);
    throw new Error(`The wallet did not sign: ${reason}`);
  }
  const { signature, publicKey } = readSignResult(response);
  if (!publicKey) throw new Error('The wallet did not say which public key signed.');
  const hash = structuredDataHash(domain, message);
  const compressed = bytesToHex(compressPublicKey(hexToBytes(publicKey)));
  return {
    public_key: compressed,
    signature: normalizeSignature(signature, hash, compressed),
    message: fields,
  };
}

/** The development private key of this browser, made on first use. */
export function devPrivateKey(storage = globalThis.localStorage) {
  let hex = storage.getItem(DEV_KEY_STORAGE);
  if (!hex || !/^[0-9a-f]{64}$/.test(hex)) {
    hex = bytesToHex(randomPrivateKey());
    storage.setItem(DEV_KEY_STORAGE, hex);
  }
  return hex;
}

/** Signs the login message with the development key: the `POST /auth/login` body. */
export function signInWithDevKey(chainId, storage = globalThis.localStorage, fields = newLoginFields()) {
  const key = devPrivateKey(storage);
  const hash = structuredDataHash(loginDomain(chainId), loginMessage(fields));
  return {
    public_key: bytesToHex(getPublicKey(key)),
    signature: bytesToHex(signRsv(hash, key)),
    message: fields,
  };
}
