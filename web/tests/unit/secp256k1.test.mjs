import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  privateKeyToPublic,
  publicKeyFromSignatureRsv,
  signMessageHashRsv,
  compressPublicKey as stacksCompress,
} from '@stacks/transactions';
import {
  N,
  compressPublicKey,
  decodePublicKey,
  getPublicKey,
  normalizeSignature,
  randomPrivateKey,
  recoverPublicKey,
  sign,
  signRsv,
  verify,
} from '../../lib/secp256k1.js';
import { bytesToHex, hexToBytes } from '../../lib/sha256.js';
import { generator, seed } from './random.mjs';

function privateKeyFrom(rng) {
  // Mostly random keys, sometimes ones at the edges of the range.
  const edge = rng.pick([null, null, null, null, 1n, 2n, N - 1n, N - 2n, N >> 1n]);
  if (edge !== null) return hexToBytes(edge.toString(16).padStart(64, '0'));
  for (;;) {
    const bytes = rng.bytes(32);
    const d = BigInt('0x' + bytesToHex(bytes));
    if (d > 0n && d < N) return bytes;
  }
}

const hex32 = (n) => n.toString(16).padStart(64, '0');

test(`secp256k1: public keys equal @stacks/transactions' privateKeyToPublic (seed ${seed})`, () => {
  const rng = generator('pubkeys');
  for (let i = 0; i < 150; i++) {
    const key = privateKeyFrom(rng);
    const keyHex = bytesToHex(key);
    // A 33-byte key ending in 01 means "compressed" to Stacks; 32 bytes, uncompressed.
    assert.equal(bytesToHex(getPublicKey(keyHex + '01')), privateKeyToPublic(keyHex + '01'));
    assert.equal(bytesToHex(getPublicKey(key, false)), privateKeyToPublic(keyHex));
    assert.equal(bytesToHex(getPublicKey(key)), stacksCompress(privateKeyToPublic(keyHex)));
  }
});

test('secp256k1: RFC 6979 signatures equal @stacks/transactions byte for byte', () => {
  const rng = generator('signatures');
  for (let i = 0; i < 150; i++) {
    const key = bytesToHex(privateKeyFrom(rng));
    const hash = rng.bytes(32);
    const ours = bytesToHex(signRsv(hash, key));
    const theirs = signMessageHashRsv({ messageHash: bytesToHex(hash), privateKey: key + '01' });
    assert.equal(ours, theirs, `key ${key} hash ${bytesToHex(hash)}`);
    // And the library recovers our public key from it.
    assert.equal(publicKeyFromSignatureRsv(bytesToHex(hash), ours), bytesToHex(getPublicKey(key)));
  }
});

test('secp256k1: signatures are low-S, verify, and recover their key', () => {
  const rng = generator('verify');
  for (let i = 0; i < 60; i++) {
    const key = privateKeyFrom(rng);
    const pub = getPublicKey(key);
    const hash = rng.bytes(32);
    const signature = sign(hash, key);
    assert.ok(signature.s <= N >> 1n, 'low S');
    assert.ok(verify(signature, hash, pub));
    const recovered = recoverPublicKey(hash, signature);
    assert.equal(bytesToHex(compressPublicKey(new Uint8Array([4, ...hexToBytes(hex32(recovered.x)), ...hexToBytes(hex32(recovered.y))]))), bytesToHex(pub));
    // A different hash or a different key does not verify.
    const other = hash.slice();
    other[rng.int(0, 31)] ^= 1 << rng.int(0, 7);
    assert.ok(!verify(signature, other, pub));
    let otherKey = privateKeyFrom(rng);
    while (bytesToHex(otherKey) === bytesToHex(key)) otherKey = privateKeyFrom(rng);
    assert.ok(!verify(signature, hash, getPublicKey(otherKey)));
    assert.ok(!verify({ r: signature.r, s: 0n }, hash, pub));
  }
});

test('secp256k1: key encodings round-trip and bad keys are refused', () => {
  const rng = generator('encodings');
  for (let i = 0; i < 20; i++) {
    const key = privateKeyFrom(rng);
    const compressed = getPublicKey(key);
    const uncompressed = getPublicKey(key, false);
    assert.deepEqual(compressPublicKey(uncompressed), compressed);
    assert.deepEqual(decodePublicKey(compressed), decodePublicKey(uncompressed));
  }
  assert.throws(() => getPublicKey(new Uint8Array(32)), /out of range/);
  assert.throws(() => getPublicKey(hexToBytes(hex32(N))), /out of range/);
  assert.throws(() => decodePublicKey(new Uint8Array([2, ...new Uint8Array(32).fill(0xff)])), /curve/);
  assert.throws(() => decodePublicKey(new Uint8Array([4, ...new Uint8Array(64).fill(1)])), /curve/);
  assert.throws(() => decodePublicKey(new Uint8Array(20)), /33/);
  const random = randomPrivateKey();
  assert.equal(random.length, 32);
  assert.notDeepEqual(random, randomPrivateKey());
});

test("secp256k1: a wallet's signature in any usual layout normalises to r ‖ s ‖ v", () => {
  const rng = generator('normalise');
  for (let i = 0; i < 30; i++) {
    const key = privateKeyFrom(rng);
    const pub = getPublicKey(key);
    const hash = rng.bytes(32);
    const rsv = bytesToHex(signRsv(hash, key));
    const { r, s, recovery } = sign(hash, key);
    const vrs = recovery.toString(16).padStart(2, '0') + rsv.slice(0, 128);
    const highS = hex32(r) + hex32(N - s) + '0' + (recovery ^ 1);
    const compact = rsv.slice(0, 128);
    for (const layout of [rsv, vrs, highS, compact, rsv.toUpperCase()]) {
      assert.equal(normalizeSignature(layout, hash, pub), rsv);
    }
    // With an uncompressed public key too.
    assert.equal(normalizeSignature(vrs, hash, getPublicKey(key, false)), rsv);
    const tampered = hexToBytes(rsv);
    tampered[rng.int(0, 63)] ^= 0x10;
    assert.throws(() => normalizeSignature(bytesToHex(tampered), hash, pub), /does not verify/);
    assert.throws(() => normalizeSignature(rsv.slice(0, 100), hash, pub), /bytes/);
  }
});
