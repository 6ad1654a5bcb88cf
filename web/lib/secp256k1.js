// secp256k1 with BigInt: public keys, ECDSA signatures over a 32-byte hash with
// RFC 6979 deterministic nonces (HMAC-SHA256), low-S, and the recovery id that
// Stacks' 65-byte r ‖ s ‖ v signatures carry. Also verification and public key
// recovery, used to normalise what a wallet returns.
//
// This code is not constant-time. It signs one login message per session with
// a key kept in the browser for local development; wallets sign with their own.

import { Sha256, bytesToHex, hexToBytes, concatBytes } from './sha256.js';

export const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
export const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const GX = 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n;
const GY = 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n;
const HALF_N = N >> 1n;

function mod(a, m = P) {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

function pow(base, exponent, m = P) {
  let result = 1n;
  let b = mod(base, m);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

function invert(a, m = P) {
  // Extended Euclid.
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  if (oldR === 0n) throw new Error('secp256k1: no inverse of 0');
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

// Points in Jacobian coordinates {x, y, z}; z = 0n is the point at infinity.
const INFINITY = Object.freeze({ x: 0n, y: 1n, z: 0n });
const G = Object.freeze({ x: GX, y: GY, z: 1n });

function double(p) {
  if (p.z === 0n || p.y === 0n) return INFINITY;
  const y2 = mod(p.y * p.y);
  const s = mod(4n * p.x * y2);
  const m = mod(3n * p.x * p.x); // a = 0
  const x = mod(m * m - 2n * s);
  const y = mod(m * (s - x) - 8n * y2 * y2);
  const z = mod(2n * p.y * p.z);
  return { x, y, z };
}

function add(p, q) {
  if (p.z === 0n) return q;
  if (q.z === 0n) return p;
  const z1z1 = mod(p.z * p.z);
  const z2z2 = mod(q.z * q.z);
  const u1 = mod(p.x * z2z2);
  const u2 = mod(q.x * z1z1);
  const s1 = mod(p.y * q.z * z2z2);
  const s2 = mod(q.y * p.z * z1z1);
  if (u1 === u2) return s1 === s2 ? double(p) : INFINITY;
  const h = mod(u2 - u1);
  const r = mod(s2 - s1);
  const h2 = mod(h * h);
  const h3 = mod(h2 * h);
  const u1h2 = mod(u1 * h2);
  const x = mod(r * r - h3 - 2n * u1h2);
  const y = mod(r * (u1h2 - x) - s1 * h3);
  const z = mod(h * p.z * q.z);
  return { x, y, z };
}

function multiply(p, k) {
  let result = INFINITY;
  let addend = p;
  let e = k;
  while (e > 0n) {
    if (e & 1n) result = add(result, addend);
    addend = double(addend);
    e >>= 1n;
  }
  return result;
}

function toAffine(p) {
  if (p.z === 0n) return null;
  const zInv = invert(p.z);
  const zInv2 = mod(zInv * zInv);
  return { x: mod(p.x * zInv2), y: mod(p.y * zInv2 * zInv) };
}

function numberToBytes32(n) {
  return hexToBytes(n.toString(16).padStart(64, '0'));
}

function bytesToNumber(bytes) {
  return bytes.length === 0 ? 0n : BigInt('0x' + bytesToHex(bytes));
}

function isOnCurve(x, y) {
  return mod(y * y - (x * x * x + 7n)) === 0n;
}

function liftX(x, odd) {
  if (x >= P) return null;
  const y2 = mod(x * x * x + 7n);
  let y = pow(y2, (P + 1n) / 4n);
  if (mod(y * y) !== y2) return null;
  if ((y & 1n) !== (odd ? 1n : 0n)) y = P - y;
  return { x, y };
}

/** Parses a 33-byte compressed or 65-byte uncompressed public key to {x, y}. */
export function decodePublicKey(input) {
  const bytes = typeof input === 'string' ? hexToBytes(input) : input;
  if (bytes.length === 33 && (bytes[0] === 2 || bytes[0] === 3)) {
    const point = liftX(bytesToNumber(bytes.subarray(1)), bytes[0] === 3);
    if (!point) throw new Error('public key: x is not on the curve');
    return point;
  }
  if (bytes.length === 65 && bytes[0] === 4) {
    const x = bytesToNumber(bytes.subarray(1, 33));
    const y = bytesToNumber(bytes.subarray(33));
    if (x >= P || y >= P || !isOnCurve(x, y)) throw new Error('public key: not on the curve');
    return { x, y };
  }
  throw new Error('public key: expected 33 (compressed) or 65 (uncompressed) bytes');
}

/** Encodes an affine point; compressed (33 bytes) unless asked otherwise. */
export function encodePublicKey(point, compressed = true) {
  if (compressed) {
    return concatBytes(new Uint8Array([point.y & 1n ? 3 : 2]), numberToBytes32(point.x));
  }
  return concatBytes(new Uint8Array([4]), numberToBytes32(point.x), numberToBytes32(point.y));
}

function privateScalar(privateKey) {
  let bytes = typeof privateKey === 'string' ? hexToBytes(privateKey) : privateKey;
  // Stacks writes compressed-key private keys as 33 bytes ending in 0x01.
  if (bytes.length === 33 && bytes[32] === 1) bytes = bytes.subarray(0, 32);
  if (bytes.length !== 32) throw new Error('private key: expected 32 bytes');
  const d = bytesToNumber(bytes);
  if (d <= 0n || d >= N) throw new Error('private key: out of range');
  return d;
}

/** The public key of a private key (32 bytes, or 33 ending in 01), compressed by default. */
export function getPublicKey(privateKey, compressed = true) {
  const point = toAffine(multiply(G, privateScalar(privateKey)));
  return encodePublicKey(point, compressed);
}

/** Compresses any valid public key encoding to 33 bytes. */
export function compressPublicKey(publicKey) {
  return encodePublicKey(decodePublicKey(publicKey), true);
}

/** A random valid private key (32 bytes) from the platform's CSPRNG. */
export function randomPrivateKey() {
  for (;;) {
    const bytes = new Uint8Array(32);
    globalThis.crypto.getRandomValues(bytes);
    const d = bytesToNumber(bytes);
    if (d > 0n && d < N) return bytes;
  }
}

export function hmacSha256(key, ...messages) {
  let k = key;
  if (k.length > 64) k = new Sha256().update(k).digest();
  const block = new Uint8Array(64);
  block.set(k);
  const inner = new Sha256().update(block.map((b) => b ^ 0x36));
  for (const m of messages) inner.update(m);
  const innerHash = inner.digest();
  return new Sha256().update(block.map((b) => b ^ 0x5c)).update(innerHash).digest();
}

/** RFC 6979 section 3.2 nonce generator for SHA-256 and secp256k1 (qlen = hlen = 256). */
function* rfc6979(d, hash) {
  const x = numberToBytes32(d);
  const h = numberToBytes32(mod(bytesToNumber(hash), N)); // bits2octets
  let v = new Uint8Array(32).fill(1);
  let k = new Uint8Array(32);
  k = hmacSha256(k, v, new Uint8Array([0]), x, h);
  v = hmacSha256(k, v);
  k = hmacSha256(k, v, new Uint8Array([1]), x, h);
  v = hmacSha256(k, v);
  for (;;) {
    v = hmacSha256(k, v);
    const candidate = bytesToNumber(v);
    if (candidate >= 1n && candidate < N) yield candidate;
    k = hmacSha256(k, v, new Uint8Array([0]));
    v = hmacSha256(k, v);
  }
}

/**
 * Signs a 32-byte hash: {r, s, recovery} with low S (s ≤ n/2) and the recovery id
 * (bit 0: R.y is odd; bit 1: R.x ≥ n) adjusted to match.
 */
export function sign(hash, privateKey) {
  if (!(hash instanceof Uint8Array) || hash.length !== 32) {
    throw new Error('sign: expected a 32-byte hash');
  }
  const d = privateScalar(privateKey);
  const z = bytesToNumber(hash); // bits2int with qlen = 256: no shift
  for (const k of rfc6979(d, hash)) {
    const R = toAffine(multiply(G, k));
    const r = mod(R.x, N);
    if (r === 0n) continue;
    let s = mod(invert(k, N) * (z + r * d), N);
    if (s === 0n) continue;
    let recovery = (R.y & 1n ? 1 : 0) | (R.x >= N ? 2 : 0);
    if (s > HALF_N) {
      s = N - s;
      recovery ^= 1;
    }
    return { r, s, recovery };
  }
  throw new Error('unreachable');
}

/** 65 bytes r ‖ s ‖ recovery id, as Stacks' SIP-018 signatures. */
export function signRsv(hash, privateKey) {
  const { r, s, recovery } = sign(hash, privateKey);
  return concatBytes(numberToBytes32(r), numberToBytes32(s), new Uint8Array([recovery]));
}

/** Whether (r, s) is a valid signature of hash by publicKey (any encoding or {x, y}). */
export function verify(signature, hash, publicKey) {
  const { r, s } = signature;
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  let Q;
  try {
    Q = publicKey.x !== undefined ? publicKey : decodePublicKey(publicKey);
  } catch {
    return false;
  }
  const z = bytesToNumber(hash);
  const w = invert(s, N);
  const u1 = mod(z * w, N);
  const u2 = mod(r * w, N);
  const point = toAffine(add(multiply(G, u1), multiply({ x: Q.x, y: Q.y, z: 1n }, u2)));
  return point !== null && mod(point.x, N) === r;
}

/** The public key {x, y} that made (r, s) over hash with this recovery id, or null. */
export function recoverPublicKey(hash, { r, s, recovery }) {
  if (r <= 0n || r >= N || s <= 0n || s >= N || recovery < 0 || recovery > 3) return null;
  const x = recovery & 2 ? r + N : r;
  const R = liftX(x, (recovery & 1) === 1);
  if (!R) return null;
  const z = bytesToNumber(hash);
  const rInv = invert(r, N);
  const u1 = mod(-z * rInv, N);
  const u2 = mod(s * rInv, N);
  const Q = toAffine(add(multiply(G, u1), multiply({ x: R.x, y: R.y, z: 1n }, u2)));
  return Q;
}

/**
 * Turns what a wallet answered into the 65-byte r ‖ s ‖ v hex the server takes: accepts
 * r ‖ s ‖ v, v ‖ r ‖ s (the order of Stacks transaction signatures) or a 64-byte r ‖ s,
 * checks it against the public key and the hash, makes S low and computes the recovery id.
 * Throws when no reading of the bytes is a signature of hash by publicKey.
 */
export function normalizeSignature(signatureHex, hash, publicKey) {
  const bytes = hexToBytes(signatureHex.trim());
  const Q = decodePublicKey(publicKey);
  const readings = [];
  if (bytes.length === 65) {
    readings.push([bytes.subarray(0, 32), bytes.subarray(32, 64)]); // RSV
    readings.push([bytes.subarray(1, 33), bytes.subarray(33, 65)]); // VRS
  } else if (bytes.length === 64) {
    readings.push([bytes.subarray(0, 32), bytes.subarray(32, 64)]);
  } else {
    throw new Error(`the wallet's signature is ${bytes.length} bytes; expected 65`);
  }
  for (const [rBytes, sBytes] of readings) {
    const r = bytesToNumber(rBytes);
    let s = bytesToNumber(sBytes);
    if (!verify({ r, s }, hash, Q)) continue;
    if (s > HALF_N) s = N - s;
    for (let recovery = 0; recovery < 4; recovery++) {
      const candidate = recoverPublicKey(hash, { r, s, recovery });
      if (candidate && candidate.x === Q.x && candidate.y === Q.y) {
        return bytesToHex(
          concatBytes(numberToBytes32(r), numberToBytes32(s), new Uint8Array([recovery])),
        );
      }
    }
  }
  throw new Error("the wallet's signature does not verify with its public key over this message");
}
