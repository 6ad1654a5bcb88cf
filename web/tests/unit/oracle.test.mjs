// The oracle's attestations in words: evidence genes, states, and what does not match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attestationErrorWords, attestationStateWords, catalogueProblems, chainCheck, evidenceGenes, variantGene } from '../../lib/oracle.js';

const value = '3d19114d933ab7e8cf52aaa70dcfdf7306e374e08b94e4a98f0e6be51497380f';
const other = '1d3cfa4bbd5f8bdabb31afebc14909c380b373382247bd66ccca32c28241ad68';

test('the genes of the evidence are read from the catalogue’s variant names, once each, in order', () => {
  assert.equal(variantGene('rpoB_p.Ser450Leu'), 'rpoB');
  assert.equal(variantGene('katG_LoF'), 'katG');
  assert.equal(variantGene('inhA_c.-777C>T'), 'inhA');
  assert.equal(variantGene('Rv0678_p.Met146Thr'), 'Rv0678');
  assert.equal(variantGene(''), null);
  assert.equal(variantGene(undefined), null);
  const resistance = [
    { drug: 'Rifampicin', call: 'resistant', evidence: [{ variant: 'rpoB_p.Ser450Leu' }] },
    { drug: 'Isoniazid', call: 'resistant', evidence: [{ variant: 'inhA_c.-777C>T' }, { variant: 'katG_p.Ser315Thr' }] },
    { drug: 'Ethionamide', call: 'resistant', evidence: [{ variant: 'inhA_c.-777C>T' }] },
    { drug: 'Amikacin', call: 'susceptible', evidence: [] },
    { drug: 'Bedaquiline', call: 'unknown' },
  ];
  assert.deepEqual(evidenceGenes(resistance), ['rpoB', 'inhA', 'katG']);
  assert.deepEqual(evidenceGenes(undefined), []);
});

test('each state reads as a sentence, with the block when the oracle has seen it', () => {
  assert.equal(attestationStateWords({ state: 'signed' }), 'signed by the oracle, not yet on the chain');
  assert.equal(attestationStateWords({ state: 'broadcast' }), 'sent to the chain');
  assert.equal(attestationStateWords({ state: 'confirmed', block_height: 12345 }), 'recorded on the chain at block 12,345');
  assert.equal(attestationStateWords({ state: 'confirmed' }), 'recorded on the chain');
  assert.equal(attestationStateWords({ state: 'superseded' }), 'superseded by a newer value');
  assert.equal(attestationStateWords({ state: 'something_new' }), 'something_new');
  assert.equal(attestationStateWords(null), 'unknown');
});

test('only matches_chain false is a mismatch with the chain; a contract not read is said so', () => {
  assert.equal(chainCheck({ matches_chain: true }).kind, 'match');
  const unread = chainCheck({ matches_chain: null, on_chain_error: 'no Stacks node is connected' });
  assert.equal(unread.kind, 'unread');
  assert.match(unread.words, /no Stacks node is connected/);
  const nothing = chainCheck({ matches_chain: false, state: 'signed', on_chain: null });
  assert.equal(nothing.kind, 'mismatch');
  assert.match(nothing.words, /^Does not match the chain: the oracle contract holds no value/);
  const newer = chainCheck({ matches_chain: false, state: 'superseded', timestamp: 10, on_chain: { value: other, timestamp: 20 } });
  assert.match(newer.words, /holds a newer value \(1d3cfa4b…8241ad68\)/);
  const different = chainCheck({ matches_chain: false, state: 'signed', timestamp: 20, on_chain: { value: other, timestamp: 10 } });
  assert.match(different.words, /holds a different value/);
});

test('the report’s catalogue must carry the attested key and value', () => {
  const named = { source: 'catalogue', id: 'tb-who-2023', key: 'ab48', value };
  assert.deepEqual(catalogueProblems(named, { key: 'ab48', value }), []);
  const problems = catalogueProblems(named, { key: 'ab48', value: other });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^The report's catalogue value differs from the attested one \(report 3d19114d…1497380f, attested 1d3cfa4b…8241ad68\)/);
  assert.equal(catalogueProblems(named, { key: 'ffff', value }).length, 1);
  assert.deepEqual(catalogueProblems(null, { value }), []);
});

test('a record that cannot be read is said quietly', () => {
  assert.equal(attestationErrorWords({ code: 'not_attested', message: 'x' }), 'not attested');
  assert.equal(attestationErrorWords({ code: 'unknown_gene', message: 'x' }), 'not a gene of the panel, not attested');
  assert.equal(attestationErrorWords({ code: 'network', message: 'Could not reach the GenoFlow server.' }), 'could not be read: Could not reach the GenoFlow server.');
});
