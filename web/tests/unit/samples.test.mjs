// lib/samples.js: the whole sample's state from its files, grouping GET /datasets rows by
// sample (the fallback of GET /samples), search/filter/sort, and time left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveSampleStatus, fileStatusWords, filterSamples, formatTimeLeft, groupDatasets, progressMeter, resultSummary, sampleTitle } from '../../lib/samples.js';

const row = (id, sample, filename, status, extra = {}) => ({ dataset_id: id, sample_id: sample, filename, size: 10, status, created_at: `2026-01-0${id}T00:00:00Z`, ...extra });

test('a pair with an invalid mate is failed, and its valid mate says so', () => {
  const files = [row(1, 's', 'a_R1.fq', 'valid'), row(2, 's', 'a_R2.fq', 'invalid', { error: { message: 'truncated record' } })];
  const state = deriveSampleStatus(files);
  assert.equal(state.status, 'failed');
  assert.match(state.reason, /a_R2\.fq is not valid: truncated record/);
  assert.equal(fileStatusWords(files[0], state), 'This file is valid, but the sample failed');
  assert.equal(deriveSampleStatus([row(1, 's', 'x', 'pending'), row(2, 's', 'y', 'valid')]).status, 'uploading');
  assert.equal(deriveSampleStatus([row(1, 's', 'x', 'confirmed')]).status, 'anchored');
});

test('rows are grouped by sample; the server\'s sample_status wins', () => {
  const samples = groupDatasets([row(2, 'p', 'p_R2', 'valid'), row(1, 'p', 'p_R1', 'valid'), row(3, 'q', 'q', 'analyzed', { sample_status: 'analyzed', sample_name: 'Q' })]);
  assert.equal(samples.length, 2);
  assert.deepEqual(samples[0].files.map((f) => f.filename), ['p_R1', 'p_R2']);
  assert.equal(samples[1].status, 'analyzed');
  assert.equal(samples[1].sample_name, 'Q');
});

test('search, filters and sorts', () => {
  const mk = (id, name, created, result, status = 'analyzed') => ({ sample_id: id, sample_name: name, created_at: created, status, result, files: [{ filename: `${id}.fq` }] });
  const list = [
    mk('a', 'beta', '2026-01-01', { classification: 'MDR-TB', resistant_drugs: ['Rifampicin'], not_assessed_drugs: [] }),
    mk('b', null, '2026-01-03', { classification: 'none', resistant_drugs: [], not_assessed_drugs: ['Linezolid'] }),
    mk('c', 'Alpha', '2026-01-02', null, 'failed'),
  ];
  assert.deepEqual(filterSamples(list).map((s) => s.sample_id), ['b', 'c', 'a']);
  assert.deepEqual(filterSamples(list, { sort: 'oldest' }).map((s) => s.sample_id), ['a', 'c', 'b']);
  assert.deepEqual(filterSamples(list, { sort: 'name' }).map((s) => s.sample_id), ['c', 'a', 'b']);
  assert.deepEqual(filterSamples(list, { q: 'ALP' }).map((s) => s.sample_id), ['c']);
  assert.deepEqual(filterSamples(list, { q: 'b.fq' }).map((s) => s.sample_id), ['b']);
  assert.deepEqual(filterSamples(list, { status: 'failed' }).map((s) => s.sample_id), ['c']);
  assert.deepEqual(filterSamples(list, { result: 'resistant' }).map((s) => s.sample_id), ['a']);
  assert.deepEqual(filterSamples(list, { result: 'susceptible' }).map((s) => s.sample_id), ['b']);
  assert.deepEqual(filterSamples(list, { result: 'not_assessed' }).map((s) => s.sample_id), ['b']);
  assert.deepEqual(filterSamples(list, { result: 'mdr-tb' }).map((s) => s.sample_id), ['a']);
  assert.equal(resultSummary(list[1].result).classification, 'No resistance found');
  assert.equal(resultSummary(null), null);
});

test('a sample is called by its name, else by its files, else by its id', () => {
  const files = [{ filename: 'a_R1.fq.gz' }, { filename: 'a_R2.fq.gz' }];
  assert.equal(sampleTitle({ sample_id: 's1', sample_name: 'TB-042', files }), 'TB-042');
  assert.equal(sampleTitle({ sample_id: 's1', sample_name: null, files }), 'a_R1.fq.gz + a_R2.fq.gz');
  assert.equal(sampleTitle({ sample_id: 's1', files: [] }), 'Sample s1');
  assert.equal(sampleTitle({ sample_id: 's1' }), 'Sample s1');
});

test('speed and time left', () => {
  let now = 0;
  const meter = progressMeter(() => now);
  meter(0, 1000);
  now = 1000;
  const { rate, left } = meter(100, 1000);
  assert.equal(rate, 100);
  assert.equal(left, 9);
  assert.equal(formatTimeLeft(9), 'about 9 s left');
  assert.equal(formatTimeLeft(125), 'about 3 min left');
  assert.equal(formatTimeLeft(NaN), null);
});
