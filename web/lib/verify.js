// "Verify now": the checks of `genoflow verify` (shared/core/src/usecases/verify.rs) in the page,
// and the proof's state in plain words (no DOM).
//
// Offline, from the exact bytes of report.json and the proof: the report's SHA-256, the pipeline
// id, the inputs hash from the report's inputs, the item = SHA-256(inputs_hash ‖ report_sha256 ‖
// pipeline_id), the Merkle root from the item, index and siblings (docs/ARCHITECTURE.md,
// "Attestation and Merkle batches": leaf = SHA-256(0x00 ‖ item), node = SHA-256(0x01 ‖ left ‖
// right), the last node of an odd level paired with itself, a proof rejected when its index is not
// below the size or its length is not the tree height), and the catalogue key
// SHA-256("catalogue:{id}"). On chain, through a node: the batch transaction's status and batch id,
// `registry.verify-inclusion(batch-id, item, index, proof)`, and `oracle.get-value(key)` against the
// report's catalogue value.

import { buffer, deserialize, list, toJs, uint } from './clarity.js';
import { formatDate, formatNumber, shortHex } from './format.js';
import { bytesToHex, concatBytes, hexToBytes, sha256 } from './sha256.js';

const utf8 = (text) => new TextEncoder().encode(text);

/** 32 bytes of hex as bytes, or null. */
export function hash32(hex) {
  if (typeof hex !== 'string') return null;
  try {
    const bytes = hexToBytes(hex);
    return bytes.length === 32 ? bytes : null;
  } catch {
    return null;
  }
}

/** SHA-256(0x00 ‖ item). */
export const leafHash = (item) => sha256(new Uint8Array([0]), item);
/** SHA-256(0x01 ‖ left ‖ right). */
export const nodeHash = (left, right) => sha256(new Uint8Array([1]), left, right);

/** Levels above the leaves of a batch of `size` items: the length of every proof. */
export function treeHeight(size) {
  let height = 0;
  for (let width = size; width > 1; width = Math.ceil(width / 2)) height++;
  return height;
}

/** The root of a batch of items (in batch order): for tests and for building proofs. */
export function merkleRoot(items) {
  if (!items.length) throw new Error('a Merkle batch needs at least one item');
  let level = items.map(leafHash);
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1] ?? level[i]));
    level = next;
  }
  return level[0];
}

/** The root from `item`, its `index` in a batch of `size` and its siblings, or null when the index or the proof length is wrong. */
export function rootFromProof(item, index, size, siblings) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  if (siblings.length !== treeHeight(size)) return null;
  let node = leafHash(item);
  let position = index;
  for (const sibling of siblings) {
    node = position % 2 === 0 ? nodeHash(node, sibling) : nodeHash(sibling, node);
    position = Math.floor(position / 2);
  }
  return node;
}

/** SHA-256(inputs_hash ‖ report_sha256 ‖ pipeline_id) over the raw bytes, hex; null when a hash is not 32 bytes. */
export function itemOf(inputsHash, reportSha256, pipelineId) {
  const parts = [inputsHash, reportSha256, pipelineId].map(hash32);
  if (parts.some((p) => !p)) return null;
  return bytesToHex(sha256(concatBytes(...parts)));
}

/** SHA-256 over the input files' SHA-256 (raw digests, in order), hex, and how many were named. */
export function inputsHashOf(report) {
  const digests = (Array.isArray(report?.inputs) ? report.inputs : []).map((i) => hash32(i?.sha256)).filter(Boolean);
  return { hash: bytesToHex(sha256(...digests)), count: digests.length };
}

/** The oracle key of a catalogue: SHA-256("catalogue:{id}"), hex. */
export const catalogueKey = (id) => bytesToHex(sha256(utf8(`catalogue:${id}`)));

const check = (id, label, holds, detail, extra = {}) => ({ id, label, holds, skipped: false, detail, ...extra });

/**
 * The offline checks of `genoflow verify` on the exact bytes of report.json (`reportBytes`,
 * Uint8Array) and the proof: `[{id, label, holds, skipped, detail}]`.
 */
export function verifyOffline(reportBytes, proof) {
  const checks = [];
  const reportSha = bytesToHex(sha256(reportBytes));
  checks.push(check('report-sha256', 'The report is the one the proof names (same SHA-256)', reportSha === proof.report_sha256,
    `report.json hashes to ${reportSha}; the proof says ${proof.report_sha256}`));
  let report;
  try {
    report = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(reportBytes));
  } catch (error) {
    checks.push(check('report-json', 'The report can be read', false, `not JSON: ${error.message}`));
    return checks;
  }
  if (report && typeof report === 'object' && 'report' in report && 'artifacts' in report) {
    checks.push(check('report-file', 'The file is report.json', false, 'this is the API’s /report answer, not report.json'));
    return checks;
  }
  const pipelineId = typeof report?.pipeline_id === 'string' ? report.pipeline_id : '';
  checks.push(check('pipeline-id', 'The report names the pipeline version the proof names', pipelineId === proof.pipeline_id,
    `the report names ${pipelineId || 'no pipeline id'}; the proof ${proof.pipeline_id}`));
  const inputs = inputsHashOf(report);
  checks.push(check('inputs-hash', 'The input files named in the report are the proof’s', inputs.count > 0 && inputs.hash === proof.inputs_hash,
    `the report's ${inputs.count} input SHA-256 give ${inputs.hash}; the proof says ${proof.inputs_hash}`));
  const item = itemOf(inputs.hash, reportSha, pipelineId);
  checks.push(check('item', 'Inputs, report and pipeline combine into the proof’s record', item === proof.item,
    `SHA-256(inputs_hash ‖ report_sha256 ‖ pipeline_id) = ${item ?? '(not computable: a hash is not 32 bytes of hex)'}; the proof says ${proof.item}`));
  const siblings = (proof.proof || []).map(hash32);
  const proofItem = hash32(proof.item);
  const root = proofItem && siblings.every(Boolean) ? rootFromProof(proofItem, proof.index, proof.size, siblings) : null;
  const rootHex = root ? bytesToHex(root) : null;
  checks.push(check('merkle-root', 'The record is in the signed batch (its Merkle path leads to the root)', rootHex === proof.root,
    `leaf ${proof.index} of ${proof.size} with ${siblings.length} siblings gives ${rootHex ?? 'nothing (index, size and proof length disagree)'}; the proof says ${proof.root}`));
  const named = report?.catalogue;
  if (!named) {
    checks.push({ ...check('catalogue-key', 'The catalogue named is the attested one', true, 'skipped: the report names no catalogue attestation (made before reports did)'), skipped: true });
  } else {
    const expected = typeof named.id === 'string' ? catalogueKey(named.id) : null;
    checks.push(check('catalogue-key', 'The catalogue named is keyed as the oracle keys it', expected !== null && named.source === 'catalogue' && expected === named.key,
      expected === null ? 'the report’s catalogue block is damaged' : `SHA-256("catalogue:${named.id}") = ${expected}; the report names ${named.key}`));
  }
  return checks;
}

/** `(ok uN)` of a transaction's result as a Number, or null. */
function batchIdOf(view) {
  try {
    const result = view?.tx_result?.hex ? deserialize(view.tx_result.hex) : null;
    if (result?.type === 'ok' && result.value?.type === 'uint') return Number(result.value.value);
  } catch {
    // not a Clarity value: no batch id
  }
  return null;
}

/** The block and date of a mined transaction (the Stacks API's view): `{height, date}`. */
export function blockOf(view) {
  if (!view) return null;
  const iso = view.block_time_iso || view.burn_block_time_iso || (Number.isFinite(view.block_time) ? new Date(view.block_time * 1000).toISOString() : null);
  return { height: Number.isFinite(view.block_height) ? view.block_height : null, date: iso };
}

/**
 * The on-chain checks, through `node` (lib/node.js): the batch transaction, the registry's
 * `verify-inclusion`, and the report's catalogue in the oracle contract. `report` is the parsed
 * report.json (for its catalogue) or null. Each check that cannot be made says why.
 */
export async function verifyOnChain(node, proof, report) {
  const checks = [];
  const registry = proof.registry || '';
  const [address] = registry.split('.');
  let batchId = null;
  if (!hash32(proof.txid)) {
    checks.push(check('transaction', 'The batch transaction succeeded on the chain', false, `txid ${JSON.stringify(proof.txid)} is not 32 bytes of hex`));
  } else {
    try {
      const view = await node.transaction(proof.txid);
      if (!view) {
        checks.push(check('transaction', 'The batch transaction succeeded on the chain', false, `the node does not know transaction ${proof.txid}`));
      } else if (view.tx_status !== 'success') {
        checks.push(check('transaction', 'The batch transaction succeeded on the chain', false, `${proof.txid} is ${view.tx_status}, not in a block`));
      } else {
        batchId = batchIdOf(view);
        const block = blockOf(view);
        checks.push(check('transaction', 'The batch transaction succeeded on the chain', batchId !== null && batchId === proof.batch_id,
          `${shortHex(proof.txid, 8)} succeeded in block ${block?.height ?? '?'}${block?.date ? ` (${formatDate(block.date)})` : ''} with batch id ${batchId ?? 'none'}; the proof says ${proof.batch_id ?? 'none'}`, { block }));
      }
    } catch (error) {
      checks.push(check('transaction', 'The batch transaction succeeded on the chain', false, `cannot ask the node: ${error.message}`));
    }
  }
  const id = batchId ?? proof.batch_id;
  const siblings = (proof.proof || []).map(hash32);
  const item = hash32(proof.item);
  if (id === null || id === undefined) {
    checks.push(check('verify-inclusion', 'The registry contract confirms the record is in the batch', false, 'no batch id: the batch is not confirmed'));
  } else if (!/^S[0-9A-Z]+\.[a-zA-Z][a-zA-Z0-9-]*$/.test(registry)) {
    checks.push(check('verify-inclusion', 'The registry contract confirms the record is in the batch', false, `${JSON.stringify(registry)} is not a contract id (ADDRESS.registry)`));
  } else if (!item || !siblings.every(Boolean)) {
    checks.push(check('verify-inclusion', 'The registry contract confirms the record is in the batch', false, 'the proof’s hashes are not 32 bytes of hex'));
  } else {
    try {
      const answer = await node.callReadOnly(registry, 'verify-inclusion', [uint(id), buffer(item), uint(proof.index), list(siblings.map(buffer))], address);
      const holds = answer?.type === 'bool' && answer.value === true;
      checks.push(check('verify-inclusion', 'The registry contract confirms the record is in the batch', holds,
        `${registry}.verify-inclusion(u${id}, item, u${proof.index}, proof) = ${answer?.type === 'bool' ? answer.value : JSON.stringify(toJs(answer))}`));
    } catch (error) {
      checks.push(check('verify-inclusion', 'The registry contract confirms the record is in the batch', false, `cannot ask the node: ${error.message}`));
    }
  }
  const named = report?.catalogue;
  if (!named) {
    checks.push({ ...check('catalogue-attested', 'The oracle contract holds the report’s catalogue', true, 'skipped: the report names no catalogue attestation'), skipped: true });
    return checks;
  }
  const oracle = address ? `${address}.oracle` : null;
  const key = hash32(named.key);
  if (!oracle || !key || catalogueKey(named.id) !== named.key) {
    checks.push(check('catalogue-attested', 'The oracle contract holds the report’s catalogue', false, 'the report’s catalogue block is damaged or the registry is unknown; the chain was not asked'));
    return checks;
  }
  try {
    const stored = toJs(await node.callReadOnly(oracle, 'get-value', [buffer(key)], address));
    if (!stored) {
      checks.push(check('catalogue-attested', 'The oracle contract holds the report’s catalogue', false, `${oracle} holds no value for catalogue ${named.id}`));
    } else {
      checks.push(check('catalogue-attested', 'The oracle contract holds the report’s catalogue', true,
        `${oracle}.get-value holds catalogue ${named.id}, stored in block ${formatNumber(Number(stored['submitted-at']))}`));
      checks.push(check('catalogue-value', 'The catalogue value on the chain is the report’s', stored.value === named.value,
        `the chain holds ${stored.value}; the report names ${named.value}`));
    }
  } catch (error) {
    checks.push(check('catalogue-attested', 'The oracle contract holds the report’s catalogue', false, `cannot ask the node: ${error.message}`));
  }
  return checks;
}

/**
 * The proof's state in plain words, following `tx_status` (and the node's view of the batch
 * transaction when it was read): `{state, headline, detail}`.
 */
export function anchorWords(proof, { nodeConfigured = false, block = null } = {}) {
  const what = 'These exact input files and this pipeline version produced this report';
  switch (proof?.tx_status) {
    case 'confirmed': {
      const where = block?.height != null ? ` at block ${formatNumber(block.height)}` : '';
      const when = block?.date ? ` on ${formatDate(block.date)}` : '';
      return {
        state: 'confirmed',
        headline: `${what}; recorded on the Stacks chain${where}${when}.`,
        detail: `The record is in anchored batch ${proof.batch_id ?? '?'} of the registry contract${where ? '' : (nodeConfigured ? ' (the block could not be read)' : ' (connect a node to see its block)')}.`,
      };
    }
    case 'pending':
      return { state: 'pending', headline: `${what}. Sent to the Stacks chain, waiting to be included in a block (pending).`, detail: 'Nothing is recorded on the chain until the transaction is in a block; this page updates by itself.' };
    case 'signed':
      return { state: 'signed', headline: `${what}. The record is signed and waiting to be sent to the Stacks chain.`, detail: 'Nothing is recorded on the chain yet.' };
    case 'unbroadcast':
      return { state: 'unbroadcast', headline: `${what}. The record is signed but not sent to any chain: this server has no Stacks node.`, detail: 'Nothing was recorded on a chain. The checks of this page still show that this report, its input files and the pipeline version are the ones the signed record names.' };
    case 'failed':
      return { state: 'failed', headline: `${what}. The transaction that would record it failed; a later batch will record it.`, detail: 'Nothing is recorded on the chain yet.' };
    default:
      return { state: proof?.tx_status || 'unknown', headline: `${what}. Its chain state is ${proof?.tx_status || 'unknown'}.`, detail: '' };
  }
}
