// Stacks addresses: c32check (Crockford base-32 with a 4-byte double-SHA-256
// checksum) of a version byte and a 20-byte hash160, written "S" + version + data.
//   testnet single-sig: version 26 ("ST…"), mainnet single-sig: 22 ("SP…").

import { bytesToHex, concatBytes, hexToBytes, sha256 } from './sha256.js';
import { hash160 } from './ripemd160.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const ADDRESS_VERSION = { mainnet: 22, testnet: 26 };

function checksum(version, data) {
  return sha256(sha256(concatBytes(new Uint8Array([version]), data))).subarray(0, 4);
}

function encode(bytes) {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = bytes.length ? BigInt(`0x${bytesToHex(bytes)}`) : 0n;
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return '0'.repeat(zeros) + out;
}

function decode(text) {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '0') zeros++;
  let n = 0n;
  for (const ch of text.slice(zeros)) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) throw new Error(`c32: ${JSON.stringify(ch)} is not a c32 character`);
    n = (n << 5n) | BigInt(digit);
  }
  let hex = n === 0n ? '' : n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return concatBytes(new Uint8Array(zeros), hexToBytes(hex));
}

/** "S…" for a version and a 20-byte hash160. */
export function encodeAddress(version, hash) {
  if (!(hash instanceof Uint8Array) || hash.length !== 20) throw new Error('c32: an address hash is 20 bytes');
  return `S${ALPHABET[version]}${encode(concatBytes(hash, checksum(version, hash)))}`;
}

/** {version, hash} of a standard address; throws on a bad character or checksum. */
export function decodeAddress(address) {
  const text = String(address).toUpperCase().replace(/O/g, '0').replace(/[LI]/g, '1');
  if (!/^S[0-9A-Z]{2,}$/.test(text)) throw new Error(`${JSON.stringify(address)} is not a Stacks address`);
  const version = ALPHABET.indexOf(text[1]);
  if (version < 0) throw new Error(`${JSON.stringify(address)} is not a Stacks address`);
  const bytes = decode(text.slice(2));
  if (bytes.length !== 24) throw new Error(`${JSON.stringify(address)} is not a Stacks address (wrong length)`);
  const hash = bytes.subarray(0, 20);
  const sum = bytes.subarray(20);
  if (bytesToHex(sum) !== bytesToHex(checksum(version, hash))) {
    throw new Error(`${JSON.stringify(address)} is not a Stacks address (bad checksum)`);
  }
  return { version, hash: new Uint8Array(hash) };
}

/** The single-signature address of a compressed public key on a network. */
export function addressOfPublicKey(publicKey, network = 'testnet') {
  return encodeAddress(ADDRESS_VERSION[network] ?? ADDRESS_VERSION.testnet, hash160(publicKey));
}
