import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cl,
  encodeStructuredDataBytes,
  privateKeyToPublic,
  publicKeyFromSignatureRsv,
  signStructuredData as stacksSign,
} from '@stacks/transactions';
import { createHash } from 'node:crypto';
import * as clarity from '../../lib/clarity.js';
import {
  PREFIX,
  domainTuple,
  loginDomain,
  loginMessage,
  newLoginFields,
  signStructuredData,
  structuredDataHash,
} from '../../lib/sip018.js';
import { getPublicKey, N } from '../../lib/secp256k1.js';
import { bytesToHex } from '../../lib/sha256.js';
import { asciiText, value } from './values.mjs';
import { generator, seed } from './random.mjs';

const nodeSha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function randomKey(rng) {
  for (;;) {
    const bytes = rng.bytes(32);
    const d = BigInt('0x' + bytesToHex(bytes));
    if (d > 0n && d < N) return bytesToHex(bytes);
  }
}

test('SIP-018: the official test vector', () => {
  const key = '753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601';
  const domain = domainTuple('Test App', '1.0.0', 1);
  const message = clarity.stringAscii('Hello World');
  assert.equal(bytesToHex(PREFIX), '534950303138');
  assert.equal(
    bytesToHex(structuredDataHash(domain, message)),
    '1bfdab6d4158313ce34073fbb8d6b0fc32c154d439def12247a0f44bb2225259',
  );
  assert.equal(
    signStructuredData(domain, message, key),
    '8b94e45701d857c9f1d1d70e8b2ca076045dae4920fb0160be0642a68cd78de072ab527b5c5277a593baeb2a8b657c216b99f7abb5d14af35b4bf12ba6460ba401',
  );
});

test(`SIP-018: hashes and signatures equal @stacks/transactions for random tuples (seed ${seed})`, () => {
  const rng = generator('sip018');
  for (let i = 0; i < 300; i++) {
    const key = randomKey(rng);
    const chainId = rng.pick([1, 2147483648, rng.int(0, 2 ** 32)]);
    const name = rng.pick(['genoflow', asciiText(rng, 30)]);
    const version = rng.pick(['1', '1.0.0', asciiText(rng, 8)]);
    const domain = domainTuple(name, version, chainId);
    const theirDomain = Cl.tuple({ name: Cl.stringAscii(name), version: Cl.stringAscii(version), 'chain-id': Cl.uint(chainId) });
    let ours;
    let theirs;
    if (i % 2 === 0) {
      const fields = { nonce: rng.int(0, 2 ** 53 - 1), expires: rng.int(1.7e9, 2.1e9) };
      ours = loginMessage(fields);
      theirs = Cl.tuple({ action: Cl.stringAscii('login'), nonce: Cl.uint(fields.nonce), expires: Cl.uint(fields.expires) });
    } else {
      [ours, theirs] = value(rng, 3);
    }
    const expectedHash = nodeSha256(encodeStructuredDataBytes({ message: theirs, domain: theirDomain }));
    assert.equal(bytesToHex(structuredDataHash(domain, ours)), expectedHash);
    const signature = signStructuredData(domain, ours, key);
    assert.equal(signature, stacksSign({ message: theirs, domain: theirDomain, privateKey: key }));
    assert.equal(
      publicKeyFromSignatureRsv(expectedHash, signature),
      privateKeyToPublic(key + '01'),
    );
    assert.equal(bytesToHex(getPublicKey(key)), privateKeyToPublic(key + '01'));
  }
});

test('SIP-018: the login domain and fresh login fields', () => {
  assert.equal(
    clarity.serializeHex(loginDomain(2147483648)),
    clarity.serializeHex(domainTuple('genoflow', '1', 2147483648)),
  );
  const now = 1_800_000_000;
  const seen = new Set();
  for (let i = 0; i < 200; i++) {
    const fields = newLoginFields(now);
    assert.equal(fields.action, 'login');
    assert.equal(fields.expires, now + 300);
    assert.ok(Number.isSafeInteger(fields.nonce) && fields.nonce >= 0 && fields.nonce < 2 ** 53);
    seen.add(fields.nonce);
  }
  assert.equal(seen.size, 200, 'nonces do not repeat');
  assert.ok([...seen].some((n) => n > 2 ** 52), 'nonces use the high bits');
});
