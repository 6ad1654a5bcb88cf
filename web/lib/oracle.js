// The oracle's attestations in words (no DOM): which genes a report's evidence names, the state
// of an attestation, and whether it agrees with the report and with the oracle contract
// (docs/API.md, "Oracle attestations").

import { formatNumber, shortHex } from './format.js';

/** The gene symbol of a catalogue variant name: `rpoB_p.Ser450Leu` → `rpoB`, `katG_LoF` → `katG`. */
export function variantGene(variant) {
  if (typeof variant !== 'string') return null;
  const gene = variant.split('_')[0].trim();
  return gene || null;
}

/** The genes named by the evidence of the resistance calls, once each, in order of first appearance. */
export function evidenceGenes(resistance = []) {
  const genes = [];
  for (const call of resistance || []) {
    for (const evidence of call?.evidence || []) {
      const gene = variantGene(evidence?.variant);
      if (gene && !genes.includes(gene)) genes.push(gene);
    }
  }
  return genes;
}

/** An attestation's `state` in words; `block_height` is named when the oracle has seen the block. */
export function attestationStateWords(attestation) {
  const state = attestation?.state;
  switch (state) {
    case 'signed':
      return 'signed by the oracle, not yet on the chain';
    case 'broadcast':
      return 'sent to the chain';
    case 'confirmed':
      return Number.isInteger(attestation.block_height)
        ? `recorded on the chain at block ${formatNumber(attestation.block_height)}`
        : 'recorded on the chain';
    case 'superseded':
      return 'superseded by a newer value';
    default:
      return state ? String(state) : 'unknown';
  }
}

/**
 * How the attestation stands against the oracle contract: `{kind: 'match' | 'mismatch' |
 * 'unread', words}`. Only `matches_chain === false` is a mismatch.
 */
export function chainCheck(attestation) {
  if (attestation?.matches_chain === true) return { kind: 'match', words: 'the oracle contract holds this value' };
  if (attestation?.matches_chain === false) {
    const held = attestation.on_chain;
    let words;
    if (!held) words = 'the oracle contract holds no value for this record';
    else if (attestation.state === 'superseded' || (Number.isFinite(held.timestamp) && held.timestamp > attestation.timestamp)) {
      words = `the oracle contract holds a newer value (${shortHex(held.value, 8)})`;
    } else words = `the oracle contract holds a different value (${shortHex(held.value, 8)})`;
    return { kind: 'mismatch', words: `Does not match the chain: ${words}.` };
  }
  return { kind: 'unread', words: attestation?.on_chain_error ? `not read: ${attestation.on_chain_error}` : 'not read' };
}

/**
 * What is wrong between the report's `catalogue` and the oracle's attestation of it: a list
 * of sentences, empty when they agree (the chain is checked by chainCheck).
 */
export function catalogueProblems(reportCatalogue, attestation) {
  const problems = [];
  if (!reportCatalogue || !attestation) return problems;
  if (reportCatalogue.key && attestation.key && reportCatalogue.key !== attestation.key) {
    problems.push(`The report's catalogue key differs from the attested one (report ${shortHex(reportCatalogue.key, 8)}, attested ${shortHex(attestation.key, 8)}).`);
  }
  if (reportCatalogue.value !== attestation.value) {
    problems.push(`The report's catalogue value differs from the attested one (report ${shortHex(reportCatalogue.value, 8)}, attested ${shortHex(attestation.value, 8)}): the calls rest on a catalogue other than the one the oracle attested.`);
  }
  return problems;
}

/** A failed read of an attestation, quietly: 404 `not_attested` is "not attested". */
export function attestationErrorWords(error) {
  if (!error) return '';
  if (error.code === 'not_attested') return 'not attested';
  if (error.code === 'unknown_gene') return 'not a gene of the panel, not attested';
  return `could not be read: ${error.message || error.code || 'unknown error'}`;
}
