import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cl, serializeCV } from '@stacks/transactions';
import * as clarity from '../../lib/clarity.js';
import { value } from './values.mjs';
import { generator, seed } from './random.mjs';

test(`clarity: random values serialize as @stacks/transactions' serializeCV (seed ${seed})`, () => {
  const rng = generator('clarity-values');
  for (let i = 0; i < 1000; i++) {
    const [ours, theirs] = value(rng);
    assert.equal(clarity.serializeHex(ours), serializeCV(theirs), JSON.stringify(theirs, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
  }
});

test('clarity: tuple keys are sorted whatever order they are given in', () => {
  const login = clarity.tuple({ nonce: clarity.uint(7), action: clarity.stringAscii('login'), expires: clarity.uint(1) });
  const same = clarity.tuple({ expires: clarity.uint(1), action: clarity.stringAscii('login'), nonce: clarity.uint(7) });
  assert.equal(clarity.serializeHex(login), clarity.serializeHex(same));
  assert.equal(
    clarity.serializeHex(login),
    serializeCV(Cl.tuple({ action: Cl.stringAscii('login'), nonce: Cl.uint(7), expires: Cl.uint(1) })),
  );
  // "chain-id" sorts before "name" and "version".
  const domain = clarity.serializeHex(
    clarity.tuple({ name: clarity.stringAscii('genoflow'), version: clarity.stringAscii('1'), 'chain-id': clarity.uint(2147483648) }),
  );
  assert.ok(domain.startsWith('0c00000003' + '08' + Buffer.from('chain-id').toString('hex')));
});

test('clarity: tuple keys in byte order, as Clarity (not localeCompare)', () => {
  // Clarity keeps tuple data in a BTreeMap of names: 'B' (0x42) < 'Z' (0x5a) < 'a' (0x61),
  // where localeCompare would give a, B, Z.
  const cv = clarity.tuple({ a: clarity.bool(true), B: clarity.bool(false), Z: clarity.bool(true) });
  assert.equal(clarity.serializeHex(cv), '0c00000003' + '0142' + '04' + '015a' + '03' + '0161' + '03');
  assert.deepEqual(['a', 'B', 'Z'].sort((x, y) => x.localeCompare(y)), ['a', 'B', 'Z']);
});

test('clarity: out-of-range and unrepresentable values are refused', () => {
  assert.throws(() => clarity.uint(-1), /range/);
  assert.throws(() => clarity.uint(1n << 128n), /range/);
  assert.throws(() => clarity.int(1n << 127n), /range/);
  assert.throws(() => clarity.int(-(1n << 127n) - 1n), /range/);
  assert.throws(() => clarity.uint(2 ** 53), /safe integer/);
  assert.throws(() => clarity.uint(1.5), /safe integer/);
  assert.throws(() => clarity.stringAscii('é'), /string-ascii/);
  assert.throws(() => clarity.stringAscii('\u0000'), /string-ascii/);
  assert.throws(() => clarity.tuple({ '1abc': clarity.uint(1) }), /tuple key/);
  assert.throws(() => clarity.tuple({ 'a b': clarity.uint(1) }), /tuple key/);
  assert.throws(() => clarity.buffer('ab'), /Uint8Array/);
  assert.equal(clarity.serializeHex(clarity.uint('340282366920938463463374607431768211455')), '01' + 'ff'.repeat(16));
  assert.equal(clarity.serializeHex(clarity.int(-1)), '00' + 'ff'.repeat(16));
});
