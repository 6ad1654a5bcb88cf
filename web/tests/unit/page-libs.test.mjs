// The page's libraries that need no DOM: wallet answers, the development key, file
// hashing in slices, resume records, and the words shown to people.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  deserializeCV,
  encodeStructuredDataBytes,
  privateKeyToPublic,
  publicKeyFromSignatureRsv,
  signStructuredData,
} from '@stacks/transactions';
import { DEV_KEY_STORAGE, devPrivateKey, findProvider, readSignResult, signInWithDevKey, signInWithWallet } from '../../lib/wallet.js';
import { ResumeStore, hashFile, linksExpired, newRecord } from '../../lib/upload.js';
import { describeProblem, formatBytes, formatRate, statusWords } from '../../lib/format.js';
import { apiUrl } from '../../lib/api.js';
import { loginDomain, loginMessage } from '../../lib/sip018.js';
import { serializeHex } from '../../lib/clarity.js';
import { generator, seed } from './random.mjs';

class MemoryStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');

test('the development key is made once, kept, and signs a login the library recovers', () => {
  const storage = new MemoryStorage();
  const fields = { action: 'login', nonce: 2 ** 53 - 1, expires: 1_900_000_000 };
  const body = signInWithDevKey(2147483648, storage, fields);
  const key = storage.getItem(DEV_KEY_STORAGE);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(devPrivateKey(storage), key, 'the same key the second time');
  assert.equal(body.public_key, privateKeyToPublic(`${key}01`));
  assert.deepEqual(body.message, fields);
  const hash = sha256Hex(encodeStructuredDataBytes({
    message: deserializeCV(serializeHex(loginMessage(fields))),
    domain: deserializeCV(serializeHex(loginDomain(2147483648))),
  }));
  assert.equal(publicKeyFromSignatureRsv(hash, body.signature), body.public_key);
  assert.notEqual(devPrivateKey(new MemoryStorage()), key, 'another browser, another key');
});

test('a wallet is asked with hex Clarity values and its answer, in any usual shape, becomes the login body', async () => {
  const key = '3a'.repeat(32) + '01';
  const asked = [];
  const sign = (params) => {
    const signature = signStructuredData({ message: deserializeCV(params.message), domain: deserializeCV(params.domain), privateKey: key });
    return { signature, publicKey: privateKeyToPublic(key) };
  };
  const shapes = [
    (r) => r,
    (r) => ({ jsonrpc: '2.0', id: '1', result: r }),
    (r) => ({ status: 'success', result: r }),
    (r) => ({ result: { ...r, signature: r.signature.slice(128) + r.signature.slice(0, 128) } }),
  ];
  for (const shape of shapes) {
    const provider = { request: async (method, params) => { asked.push([method, params]); return shape(sign(params)); } };
    const fields = { action: 'login', nonce: 42, expires: 1_900_000_000 };
    const body = await signInWithWallet(provider, 1, fields);
    assert.equal(body.public_key, privateKeyToPublic(key));
    assert.equal(body.signature, signStructuredData({
      message: deserializeCV(serializeHex(loginMessage(fields))),
      domain: deserializeCV(serializeHex(loginDomain(1))),
      privateKey: key,
    }));
  }
  assert.equal(asked[0][0], 'stx_signStructuredMessage');
  assert.match(asked[0][1].message, /^0c[0-9a-f]+$/);
  assert.match(asked[0][1].domain, /^0c[0-9a-f]+$/);

  const refusing = { request: async () => ({ jsonrpc: '2.0', id: '1', error: { code: 4001, message: 'User rejected request' } }) };
  await assert.rejects(signInWithWallet(refusing, 1), /refused to sign: User rejected request/);
  const throwing = { request: async () => { throw new Error('closed'); } };
  await assert.rejects(signInWithWallet(throwing, 1), /did not sign: closed/);
  const wrongKey = { request: async (m, p) => ({ ...sign(p), publicKey: privateKeyToPublic('4b'.repeat(32) + '01') }) };
  await assert.rejects(signInWithWallet(wrongKey, 1), /does not verify/);
  assert.throws(() => readSignResult({ result: {} }), /without a signature/);
});

test('providers are found under the names wallets inject', () => {
  const provider = { request() {} };
  assert.equal(findProvider({}), null);
  assert.equal(findProvider({ LeatherProvider: provider }).name, 'Leather');
  assert.equal(findProvider({ XverseProviders: { StacksProvider: provider } }).name, 'Xverse');
  assert.equal(findProvider({ StacksProvider: provider }).name, 'Stacks wallet');
  assert.equal(findProvider({ StacksProvider: {} }), null);
});

test(`files are hashed in slices to the SHA-256 of their bytes (seed ${seed})`, async () => {
  const rng = generator('hash-file');
  for (const size of [0, 1, 1000, 4 * 1024 * 1024 + 17, rng.int(1, 3_000_000)]) {
    const bytes = rng.bytes(size);
    const progress = [];
    const chunk = rng.pick([64, 1000, 1 << 20, 4 << 20]);
    const hex = await hashFile(new Blob([bytes]), (done, total) => progress.push([done, total]), chunk);
    assert.equal(hex, sha256Hex(bytes), `size ${size}, chunks of ${chunk}`);
    assert.deepEqual(progress.at(-1), [size, size]);
    assert.ok(progress.every(([done], i) => i === 0 || done > progress[i - 1][0]));
  }
});

test('resume records are kept per dataset and listed per owner', () => {
  const storage = new MemoryStorage();
  const store = new ResumeStore(storage);
  const file = { name: 'a.fq', size: 10 };
  const upload = { multipart: true, upload_id: 'u', part_size: 5, parts: [{ number: 1, url: 'x' }, { number: 2, url: 'y' }], expires: Math.floor(Date.now() / 1000) + 3600 };
  const one = newRecord('ST1', 's1', file, 'ab', { dataset_id: 'd1', upload });
  one.parts[1] = '"etag1"';
  store.save(one);
  store.save({ ...newRecord('ST2', 's2', file, 'cd', { dataset_id: 'd2', upload }), started: 1 });
  storage.setItem('genoflow.session', '{}');
  assert.deepEqual(store.load('d1').parts, { 1: '"etag1"' });
  assert.deepEqual(store.list('ST1').map((r) => r.dataset_id), ['d1']);
  store.remove('d1');
  assert.equal(store.load('d1'), null);
  assert.deepEqual(store.list('ST1'), []);
  assert.equal(linksExpired({ upload: { expires: Math.floor(Date.now() / 1000) + 30 } }), true);
  assert.equal(linksExpired({ upload }), false);
});

test('sizes, rates, statuses, problems and URLs read well', () => {
  assert.equal(formatBytes(1), '1 byte');
  assert.equal(formatBytes(999), '999 bytes');
  assert.equal(formatBytes(483488), '483 KB');
  assert.equal(formatBytes(5.5e9), '5.50 GB');
  assert.equal(formatRate(12_345_678), '12.3 MB/s');
  assert.equal(formatRate(0), '');
  assert.equal(statusWords('invalid'), 'Invalid file');
  assert.equal(describeProblem({ message: 'bad quality', line: 47, record: 12, offset: null }), 'At line 47, record 12: bad quality');
  assert.equal(describeProblem({ message: 'bad gzip', offset: 9000 }), 'At byte offset 9,000: bad gzip');
  assert.equal(describeProblem({ message: 'too big' }), 'too big');
  assert.equal(apiUrl('', '/datasets'), '/datasets');
  assert.equal(apiUrl('https://api.example.org/prod/', '/datasets'), 'https://api.example.org/prod/datasets');
});
