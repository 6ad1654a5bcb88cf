// SIP-018 signed structured data:
//   hash = sha256("SIP018" ‖ sha256(serialize(domain)) ‖ sha256(serialize(message)))
// and the GenoFlow login message and domain (docs/ARCHITECTURE.md, "Wallet authentication").

import { sha256, concatBytes } from './sha256.js';
import { serialize, stringAscii, tuple, uint } from './clarity.js';
import { signRsv } from './secp256k1.js';
import { bytesToHex } from './sha256.js';

/** "SIP018" in ASCII: 0x534950303138. */
export const PREFIX = new Uint8Array([0x53, 0x49, 0x50, 0x30, 0x31, 0x38]);

/** The 32-byte SIP-018 hash of a message under a domain (both Clarity values). */
export function structuredDataHash(domain, message) {
  return sha256(concatBytes(PREFIX, sha256(serialize(domain)), sha256(serialize(message))));
}

/** Signs a message under a domain: 65-byte r ‖ s ‖ v signature as hex. */
export function signStructuredData(domain, message, privateKey) {
  return bytesToHex(signRsv(structuredDataHash(domain, message), privateKey));
}

/** The domain `{name, version, chain-id}`. */
export function domainTuple(name, version, chainId) {
  return tuple({ name: stringAscii(name), version: stringAscii(version), 'chain-id': uint(chainId) });
}

/** GenoFlow's login domain for a chain id (mainnet 1, testnet 2147483648). */
export function loginDomain(chainId) {
  return domainTuple('genoflow', '1', chainId);
}

/** The login message tuple for `{action, nonce, expires}`. */
export function loginMessage({ action = 'login', nonce, expires }) {
  return tuple({ action: stringAscii(action), nonce: uint(nonce), expires: uint(expires) });
}

/**
 * A fresh login message: a random nonce below 2^53 and an expiry `ttlSeconds` from now
 * (unix seconds). The server refuses expiries more than 10 minutes ahead.
 */
export function newLoginFields(nowSeconds = Math.floor(Date.now() / 1000), ttlSeconds = 300) {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  const nonce = (words[0] & 0x1fffff) * 0x100000000 + words[1]; // 21 + 32 = 53 bits
  return { action: 'login', nonce, expires: nowSeconds + ttlSeconds };
}
