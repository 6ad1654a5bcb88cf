// "Verify now": the Merkle rule against the repository's cross-language vectors, and the checks
// of `genoflow verify` on a report and its proof, whole and tampered with; the chain checks
// against a stand-in node; the proof's state in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { bool, deserialize, none, ok, serializeHex, some, tuple, buffer, uint } from '../../lib/clarity.js';
import { bytesToHex, hexToBytes } from '../../lib/sha256.js';
import {
  anchorWords, catalogueKey, itemOf, merkleRoot, rootFromProof, treeHeight, verifyOffline, verifyOnChain,
} from '../../lib/verify.js';

const vectors = JSON.parse(readFileSync(new URL('../../../tests/vectors/merkle.json', import.meta.url), 'utf8'));
const sha = (...parts) => createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest('hex');

test('every proof of tests/vectors/merkle.json leads to its root; a wrong index, size or sibling does not', () => {
  let proofs = 0;
  for (const vector of vectors) {
    const items = vector.items.map(hexToBytes);
    assert.equal(bytesToHex(merkleRoot(items)), vector.root, `root of ${items.length} items`);
    for (const { index, proof } of vector.proofs) {
      const siblings = proof.map(hexToBytes);
      assert.equal(siblings.length, treeHeight(items.length));
      assert.equal(bytesToHex(rootFromProof(items[index], index, items.length, siblings)), vector.root);
      assert.equal(rootFromProof(items[index], items.length, items.length, siblings), null, 'index not below the size');
      if (items.length > 1) {
        assert.notEqual(bytesToHex(rootFromProof(items[index], index ^ 1, items.length, siblings) ?? new Uint8Array()), vector.root, 'another index');
        const bent = siblings.map((s) => s.slice());
        bent[0][0] ^= 1;
        assert.notEqual(bytesToHex(rootFromProof(items[index], index, items.length, bent)), vector.root, 'another sibling');
        assert.equal(rootFromProof(items[index], index, items.length, siblings.slice(1)), null, 'a proof of the wrong length');
      }
      proofs++;
    }
  }
  assert.ok(proofs > 50, `${proofs} proofs checked`);
});

/** A report.json, its proof at leaf `index` of a batch of 5, as the server writes them. */
function fixture(index = 3) {
  const report = {
    schema: 'genoflow.report.v1',
    pipeline_id: sha('pipeline'),
    catalogue: { source: 'catalogue', id: 'tb-who-2023', key: sha('catalogue:tb-who-2023'), value: sha('the catalogue') },
    inputs: [{ path: 'R1.fastq.gz', sha256: sha('R1') }, { path: 'R2.fastq.gz', sha256: sha('R2') }],
    resistance: [],
  };
  const bytes = new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`);
  const reportSha = sha(bytes);
  const inputsHash = sha(Buffer.from(report.inputs[0].sha256, 'hex'), Buffer.from(report.inputs[1].sha256, 'hex'));
  const item = sha(...[inputsHash, reportSha, report.pipeline_id].map((h) => Buffer.from(h, 'hex')));
  const items = [0, 1, 2, 3, 4].map((i) => (i === index ? item : sha(`other ${i}`))).map(hexToBytes);
  // The siblings from the leaf up, as shared/stacks/src/merkle.rs `prove` gives them.
  let level = items.map((i) => hexToBytes(sha([0], i)));
  const siblings = [];
  let position = index;
  while (level.length > 1) {
    siblings.push(bytesToHex(level[position ^ 1] ?? level[position]));
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(hexToBytes(sha([1], level[i], level[i + 1] ?? level[i])));
    level = next;
    position = Math.floor(position / 2);
  }
  const proof = {
    item, inputs_hash: inputsHash, report_sha256: reportSha, pipeline_id: report.pipeline_id, batch_id: 7,
    root: bytesToHex(merkleRoot(items)), index, proof: siblings, size: 5, txid: sha('tx'), tx_status: 'confirmed',
    registry: 'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry',
  };
  return { report, bytes, proof };
}

test('a report and its proof pass every offline check; the item is SHA-256(inputs ‖ report ‖ pipeline)', () => {
  for (const index of [0, 3, 4]) {
    const { bytes, proof } = fixture(index);
    const checks = verifyOffline(bytes, proof);
    assert.deepEqual(checks.map((c) => c.id), ['report-sha256', 'pipeline-id', 'inputs-hash', 'item', 'merkle-root', 'catalogue-key']);
    for (const c of checks) assert.equal(c.holds, true, `${c.id}: ${c.detail}`);
    assert.equal(itemOf(proof.inputs_hash, proof.report_sha256, proof.pipeline_id), proof.item);
  }
  assert.equal(catalogueKey('tb-who-2023'), sha('catalogue:tb-who-2023'));
});

test('one changed byte of the report, or a changed proof, fails the checks that depend on it', () => {
  const { bytes, proof } = fixture();
  const tampered = bytes.slice();
  const at = new TextDecoder().decode(bytes).indexOf('R1.fastq');
  tampered[at] = 'X'.charCodeAt(0);
  const failed = verifyOffline(tampered, proof).filter((c) => !c.holds).map((c) => c.id);
  assert.deepEqual(failed, ['report-sha256', 'item']);
  assert.deepEqual(verifyOffline(bytes, { ...proof, root: sha('another root') }).filter((c) => !c.holds).map((c) => c.id), ['merkle-root']);
  assert.deepEqual(verifyOffline(bytes, { ...proof, index: 2 }).filter((c) => !c.holds).map((c) => c.id), ['merkle-root']);
  assert.deepEqual(verifyOffline(bytes, { ...proof, proof: proof.proof.slice(1) }).filter((c) => !c.holds).map((c) => c.id), ['merkle-root']);
  const answer = new TextEncoder().encode(JSON.stringify({ report: {}, artifacts: [] }));
  assert.deepEqual(verifyOffline(answer, proof).map((c) => [c.id, c.holds]), [['report-sha256', false], ['report-file', false]]);
  assert.deepEqual(verifyOffline(new TextEncoder().encode('not json'), proof).map((c) => [c.id, c.holds]), [['report-sha256', false], ['report-json', false]]);
  const { report } = fixture();
  const edited = new TextEncoder().encode(JSON.stringify({ ...report, catalogue: { ...report.catalogue, key: sha('other') } }));
  assert.equal(verifyOffline(edited, proof).find((c) => c.id === 'catalogue-key').holds, false);
  const older = new TextEncoder().encode(JSON.stringify({ ...report, catalogue: undefined }));
  assert.equal(verifyOffline(older, proof).find((c) => c.id === 'catalogue-key').skipped, true);
});

/** A node answering the batch transaction, verify-inclusion and get-value. */
function fakeNode({ included = true, txStatus = 'success', batchId = 7, stored = 'same' } = {}, { report, proof }) {
  const calls = [];
  return {
    calls,
    async transaction(txid) {
      assert.equal(txid, proof.txid);
      return { tx_status: txStatus, block_height: 1234, block_time_iso: '2025-03-01T10:00:00.000Z', tx_result: { hex: `0x${serializeHex(ok(uint(batchId)))}` } };
    },
    async callReadOnly(contract, fn, args, sender) {
      calls.push([contract, fn, args.map(serializeHex), sender]);
      if (fn === 'verify-inclusion') return bool(included);
      if (fn === 'get-value') {
        if (stored === null) return none();
        const value = stored === 'same' ? report.catalogue.value : sha('another catalogue');
        return some(tuple({ oracle: buffer(new Uint8Array(33)), 'submitted-at': uint(3), timestamp: uint(1800000000), value: buffer(hexToBytes(value)) }));
      }
      throw new Error(`unexpected ${fn}`);
    },
  };
}

test('on chain: the transaction, verify-inclusion with the proof’s values, and the catalogue in the oracle contract', async () => {
  const f = fixture();
  const node = fakeNode({}, f);
  const checks = await verifyOnChain(node, f.proof, f.report);
  assert.deepEqual(checks.map((c) => [c.id, c.holds]), [['transaction', true], ['verify-inclusion', true], ['catalogue-attested', true], ['catalogue-value', true]]);
  assert.deepEqual(checks[0].block, { height: 1234, date: '2025-03-01T10:00:00.000Z' });
  const [contract, fn, args, sender] = node.calls[0];
  assert.equal(contract, f.proof.registry);
  assert.equal(fn, 'verify-inclusion');
  assert.equal(sender, 'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM');
  assert.deepEqual(deserialize(args[0]), uint(7));
  assert.equal(bytesToHex(deserialize(args[1]).value), f.proof.item);
  assert.deepEqual(deserialize(args[2]), uint(3));
  assert.deepEqual(deserialize(args[3]).value.map((b) => bytesToHex(b.value)), f.proof.proof);
  assert.equal(node.calls[1][0], 'ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle');

  const refused = await verifyOnChain(fakeNode({ included: false, stored: 'other' }, f), f.proof, f.report);
  assert.deepEqual(refused.map((c) => [c.id, c.holds]), [['transaction', true], ['verify-inclusion', false], ['catalogue-attested', true], ['catalogue-value', false]]);
  const pending = await verifyOnChain(fakeNode({ txStatus: 'pending' }, f), { ...f.proof, batch_id: null }, f.report);
  assert.deepEqual(pending.slice(0, 2).map((c) => [c.id, c.holds]), [['transaction', false], ['verify-inclusion', false]]);
  assert.match(pending[1].detail, /not confirmed/);
  const absent = await verifyOnChain(fakeNode({ stored: null }, f), f.proof, f.report);
  assert.match(absent.find((c) => c.id === 'catalogue-attested').detail, /holds no value/);
  const down = { transaction: async () => { throw new Error('down'); }, callReadOnly: async () => { throw new Error('down'); } };
  assert.ok((await verifyOnChain(down, f.proof, f.report)).every((c) => !c.holds && /cannot ask the node/.test(c.detail)));
});

test('the proof’s state in words follows tx_status', () => {
  assert.match(anchorWords({ tx_status: 'unbroadcast' }).headline, /signed but not sent to any chain: this server has no Stacks node/);
  assert.match(anchorWords({ tx_status: 'pending' }).headline, /waiting to be included in a block \(pending\)/);
  assert.match(anchorWords({ tx_status: 'signed' }).headline, /waiting to be sent/);
  assert.match(anchorWords({ tx_status: 'failed' }).headline, /failed/);
  const confirmed = anchorWords({ tx_status: 'confirmed', batch_id: 7 }, { block: { height: 1234, date: '2025-03-01T10:00:00Z' } });
  assert.match(confirmed.headline, /^These exact input files and this pipeline version produced this report; recorded on the Stacks chain at block 1,234 on 1 Mar 2025/);
  assert.doesNotMatch(anchorWords({ tx_status: 'unbroadcast' }).headline, /recorded on the Stacks chain/);
});
