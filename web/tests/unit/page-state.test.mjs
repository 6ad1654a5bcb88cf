// The page's state store, routes, money and time words, the registration's kept salt, and
// the hashing entry point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Store, initialState } from '../../lib/store.js';
import { formatDuration, formatStx, parseStx } from '../../lib/format.js';
import { parseRoute, shownPage } from '../../views/shell.js';
import { commits, newSalt, sampleInputsHash } from '../../views/sample.js';
import { reputationText } from '../../views/common.js';
import { hashFileInWorker } from '../../lib/upload.js';

class MemoryStorage {
  constructor() {
    this.map = new Map();
  }
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
  removeItem(k) {
    this.map.delete(k);
  }
}

test('the store: one state, slices replaced not mutated, watchers called when their slice changes', () => {
  const store = new Store(initialState({ network: 'testnet' }));
  const seen = [];
  store.watch((s) => s.marketplace, (s) => seen.push(['marketplace', s.marketplace.listings.length]));
  store.watch((s) => [s.route, s.session], (s) => seen.push(['route', s.route.name]));
  const before = store.state.marketplace;
  store.patch('marketplace', { listings: [{ listing_id: 1 }] });
  assert.notEqual(store.state.marketplace, before, 'a new slice object');
  assert.equal(before.listings.length, 0, 'the old one untouched');
  store.set({ route: { name: 'marketplace' } });
  store.patch('profile', { loading: true }); // nobody watches it
  store.draft('price:x', '2.5'); // no notification
  assert.equal(store.state.drafts['price:x'], '2.5');
  assert.deepEqual(seen, [['marketplace', 0], ['route', 'signin'], ['marketplace', 1], ['route', 'marketplace']]);

  store.register({ double: (n) => n * 2 });
  assert.equal(store.dispatch('double', 21), 42);
  assert.throws(() => store.register({ double: () => 0 }), /registered twice/);
  assert.throws(() => store.dispatch('missing'), /no action missing/);
  for (const slice of ['config', 'session', 'route', 'datasets', 'detail', 'upload', 'profile', 'marketplace', 'purchases', 'subscription', 'txs', 'drafts']) {
    assert.ok(slice in initialState(), `state has ${slice}`);
  }
});

test('routes: the marketplace is public, the other screens need a sign-in', () => {
  assert.deepEqual(parseRoute('#/datasets/ds_1'), { name: 'dataset', id: 'ds_1' });
  assert.deepEqual(parseRoute('#/marketplace'), { name: 'marketplace' });
  assert.deepEqual(parseRoute('#/subscription'), { name: 'subscription' });
  assert.deepEqual(parseRoute(''), { name: 'datasets' });
  assert.equal(shownPage({ name: 'marketplace' }, null), 'marketplace');
  assert.equal(shownPage({ name: 'purchases' }, null), 'signin');
  assert.equal(shownPage({ name: 'purchases' }, { token: 't' }), 'purchases');
});

test('STX amounts: µSTX shown as STX exactly, prices typed in STX read to µSTX', () => {
  assert.equal(formatStx(2_500_000n), '2.5 STX');
  assert.equal(formatStx(1), '0.000001 STX');
  assert.equal(formatStx('1234000000000'), '1,234,000 STX');
  assert.equal(formatStx(0), '0 STX');
  assert.equal(parseStx('2.5'), 2_500_000n);
  assert.equal(parseStx(' 7 '), 7_000_000n);
  assert.equal(parseStx('0.000001'), 1n);
  for (const bad of ['', '1.0000001', '-1', '1e3', 'two', '1,5']) assert.throws(() => parseStx(bad), /in STX/, bad);
  assert.equal(formatDuration(2_592_000), '30 days');
  assert.equal(formatDuration(86_400), '1 day');
  assert.equal(formatDuration(5400), '1.5 hours');
});

test('a registration’s salt is kept per sample until the reveal, and the inputs_hash comes from what the page has', () => {
  const storage = new MemoryStorage();
  const salt = newSalt();
  assert.match(salt, /^[0-9a-f]{64}$/);
  assert.notEqual(newSalt(), salt);
  commits.save('smp', { owner: 'ST1', inputs_hash: 'aa', salt }, storage);
  assert.equal(commits.load('smp', storage).salt, salt);
  commits.clear('smp', storage);
  assert.equal(commits.load('smp', storage), null);

  const files = ['11'.repeat(32), '22'.repeat(32)];
  const expected = createHash('sha256').update(Buffer.from(files.join(''), 'hex')).digest('hex');
  assert.equal(sampleInputsHash({ report: { report: { inputs: files.map((sha256) => ({ sha256 })) } } }), expected);
  assert.equal(sampleInputsHash({ proof: { inputs_hash: 'bb' }, report: { report: { inputs: [] } } }), 'bb');
  assert.equal(sampleInputsHash({ dataset: { chain: { inputs_hash: 'cc' } }, proof: { inputs_hash: 'bb' } }), 'cc');
  assert.equal(sampleInputsHash({}), null);
});

test('reputation reads the same from the chain and from the API', () => {
  assert.equal(reputationText({ ratings: 2, total: 9, verifiedRatings: 1, verifiedTotal: 5, endorsements: 1 }), '4.5 / 5 from 2 ratings · 5 / 5 from 1 verified · 1 endorsement');
  assert.equal(reputationText({ ratings: 0, total: 0, verified_ratings: 0, verified_total: 0, endorsements: 0 }), 'no ratings yet · 0 endorsements');
  assert.equal(reputationText(null), 'reputation unknown');
});

test('without a Worker (here, in Node) files are hashed in-thread with the same answer', async () => {
  const bytes = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
  const progress = [];
  const sha = await hashFileInWorker(new Blob([bytes]), (done) => progress.push(done), 30_000);
  assert.equal(sha, createHash('sha256').update(bytes).digest('hex'));
  assert.deepEqual(progress, [0, 30_000, 60_000, 90_000, 100_000]);
});
