import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sha256, sha256, bytesToHex, hexToBytes } from '../../lib/sha256.js';
import { hmacSha256 } from '../../lib/secp256k1.js';
import { createHmac } from 'node:crypto';
import { generator, seed } from './random.mjs';

const ascii = (s) => new TextEncoder().encode(s);
const nodeHash = (bytes) => createHash('sha256').update(bytes).digest('hex');

test(`SHA-256: NIST and empty vectors (seed ${seed})`, () => {
  const vectors = [
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    [
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
  ];
  for (const [input, expected] of vectors) {
    assert.equal(bytesToHex(sha256(ascii(input))), expected, JSON.stringify(input));
  }
  // One million 'a' (FIPS 180-2 appendix B.3), fed in uneven pieces.
  const hasher = new Sha256();
  const piece = ascii('a'.repeat(999));
  let fed = 0;
  while (fed + piece.length <= 1_000_000) {
    hasher.update(piece);
    fed += piece.length;
  }
  hasher.update(ascii('a'.repeat(1_000_000 - fed)));
  assert.equal(
    bytesToHex(hasher.digest()),
    'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
  );
});

test('SHA-256: every length around the padding boundaries equals node:crypto', () => {
  const rng = generator('sha256-boundaries');
  for (let length = 0; length <= 200; length++) {
    const data = rng.bytes(length);
    assert.equal(bytesToHex(sha256(data)), nodeHash(data), `length ${length}`);
  }
});

test('SHA-256: random sizes in random chunk splits equal node:crypto', () => {
  const rng = generator('sha256-chunks');
  for (let round = 0; round < 200; round++) {
    const size = rng.pick([rng.int(0, 130), rng.int(0, 5000), rng.int(60_000, 300_000)]);
    const data = rng.bytes(size);
    const hasher = new Sha256();
    let offset = 0;
    while (offset < size) {
      const step = rng.pick([1, 63, 64, 65, rng.int(0, 200), rng.int(0, 70_000)]);
      hasher.update(data.subarray(offset, offset + step));
      offset += step;
    }
    if (rng.next() < 0.2) hasher.update(new Uint8Array(0));
    assert.equal(bytesToHex(hasher.digest()), nodeHash(data), `round ${round}, size ${size}`);
  }
});

test('SHA-256: misuse is refused', () => {
  const hasher = new Sha256();
  hasher.digest();
  assert.throws(() => hasher.update(new Uint8Array(1)), /after digest/);
  assert.throws(() => hasher.digest(), /twice/);
  assert.throws(() => new Sha256().update('abc'), /Uint8Array/);
});

test('HMAC-SHA256 equals node:crypto (short and long keys)', () => {
  const rng = generator('hmac');
  for (let round = 0; round < 100; round++) {
    const key = rng.bytes(rng.pick([0, 1, 32, 64, 65, rng.int(0, 200)]));
    const message = rng.bytes(rng.int(0, 300));
    const expected = createHmac('sha256', key).update(message).digest('hex');
    assert.equal(bytesToHex(hmacSha256(key, message)), expected);
  }
});

test('hex helpers round-trip and refuse bad input', () => {
  const rng = generator('hex');
  const bytes = rng.bytes(100);
  assert.deepEqual(hexToBytes(bytesToHex(bytes)), bytes);
  assert.deepEqual(hexToBytes('0x0aFF'), new Uint8Array([10, 255]));
  assert.throws(() => hexToBytes('abc'));
  assert.throws(() => hexToBytes('zz'));
});
