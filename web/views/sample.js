// A dataset's page (#/datasets/{id}): the file, its validation, the report and the proof,
// a download of the stored file, and — for its owner — the sample on chain: register it
// (commit, then reveal), record the result hash, list it for sale, change the price, delist,
// as the `chain` block of GET /datasets/{id} shows it. A buyer sees the same page with
// "access": "purchase" and no owner actions.

import { apiUrl } from '../lib/api.js';
import { inputsHash, makeCommitment } from '../lib/contracts.js';
import { append, clear, h } from '../lib/dom.js';
import {
  FINAL_STATUSES, REPORT_STATUSES, describeProblem, figureLabel, formatBytes, formatDate, formatNumber,
  formatPercent, formatStx, humanKey, orderedEntries, parseStx, statusWords,
} from '../lib/format.js';
import { evidenceGenes } from '../lib/oracle.js';
import {
  renderAbout, renderAnswer, renderDownloads, renderKnowledgeBase, renderProof, renderResistance, renderTechnical,
} from '../lib/report.js';
import { blockOf, verifyOffline, verifyOnChain } from '../lib/verify.js';
import { ResumeStore } from '../lib/upload.js';
import { bytesToHex, hexToBytes } from '../lib/sha256.js';
import { watchScreen } from './common.js';
import { poller, statusBadge } from './datasets.js';
import { busy, followCall, renderTx, runCall } from './tx.js';

const $ = (id) => document.getElementById(id);
const COMMIT_PREFIX = 'genoflow.commit.';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The salt and commit of a registration in progress, kept per sample across reloads. */
export const commits = {
  load(sampleId, storage = globalThis.localStorage) {
    try {
      return JSON.parse(storage.getItem(COMMIT_PREFIX + sampleId));
    } catch {
      return null;
    }
  },
  save(sampleId, record, storage = globalThis.localStorage) {
    storage.setItem(COMMIT_PREFIX + sampleId, JSON.stringify(record));
  },
  clear(sampleId, storage = globalThis.localStorage) {
    storage.removeItem(COMMIT_PREFIX + sampleId);
  },
};

/** A fresh 32-byte salt, hex. */
export function newSalt() {
  const salt = new Uint8Array(32);
  globalThis.crypto.getRandomValues(salt);
  return bytesToHex(salt);
}

/** The sample's inputs_hash: from the chain block, the proof, or the report's inputs. */
export function sampleInputsHash(detail) {
  return detail.dataset?.chain?.inputs_hash || detail.proof?.inputs_hash ||
    (detail.report?.report?.inputs?.length ? inputsHash(detail.report.report.inputs.map((i) => i.sha256)) : null);
}

function facts(entries) {
  return h('dl', { class: 'facts' }, entries.filter(Boolean).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function statValue(key, value) {
  if (typeof value !== 'number') return value === null || value === undefined ? '—' : String(value);
  if (/fraction/.test(key)) return formatPercent(value);
  return Number.isInteger(value) ? formatNumber(value) : formatNumber(value, 2);
}

function renderValidation(dataset) {
  const v = dataset.validation;
  if (!v) {
    const words = { pending: 'The file has not arrived yet.', uploaded: 'The file arrived and is being validated.' };
    return h('p', { class: 'muted' }, words[dataset.status] || 'No validation report.');
  }
  const stats = v.stats && typeof v.stats === 'object' ? orderedEntries(v.stats) : [];
  return h(
    'div',
    { class: 'validation', dataset: { testid: 'validation' } },
    facts([
      ['Result', v.valid ? h('span', { class: 'ok' }, 'Valid') : h('span', { class: 'bad' }, 'Invalid')],
      ['Format', v.format ?? '—'],
      ['Compression', v.compression ?? '—'],
      ['Records', formatNumber(v.records)],
      ['Bytes read', formatBytes(v.bytes)],
    ]),
    stats.length ? h('div', {}, h('h4', {}, 'Statistics'), facts(stats.map(([key, value]) => [figureLabel(key), statValue(key, value)]))) : null,
    Array.isArray(v.warnings) && v.warnings.length
      ? h('div', { class: 'warnings' }, h('h4', {}, 'Warnings'), h('ul', {}, v.warnings.map((w) => h('li', {}, describeProblem(w)))))
      : null,
  );
}

function renderProblem(dataset) {
  if (dataset.error) {
    const lead = dataset.status === 'failed' ? 'The analysis failed.' : 'This file is not valid.';
    return h('div', { class: 'problem', role: 'alert', dataset: { testid: 'dataset-error' } }, h('strong', {}, lead), ' ', describeProblem(dataset.error));
  }
  const sample = dataset.sample;
  if (sample && sample.status === 'failed' && sample.error) {
    const other = sample.error.dataset_id !== dataset.dataset_id;
    return h('div', { class: 'problem', role: 'alert', dataset: { testid: 'dataset-error' } },
      h('strong', {}, 'The sample cannot be analysed.'), ' ',
      other ? `Its other file, ${sample.error.filename}, failed: ` : '', describeProblem(sample.error.error));
  }
  return null;
}

export function mountSample(ctx) {
  const { store, api } = ctx;
  const resume = new ResumeStore();
  const detail = () => store.state.detail;
  const onDetail = () => store.state.session && store.state.route.name === 'dataset';
  const needsPolling = () => {
    const d = detail();
    if (!d || !onDetail()) return false;
    if (!d.dataset || d.loadError) return true; // keep asking: access may come (a purchase) or the server come back
    if (!FINAL_STATUSES.has(d.dataset.status)) return true;
    return REPORT_STATUSES.has(d.dataset.status) && !d.proof;
  };
  const poll = poller(store, () => store.dispatch('refreshDetail'), needsPolling);
  const resolveUrl = (url) => (/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : apiUrl(store.state.config.api_base, url.startsWith('/') ? url : `/${url}`));

  /** Re-reads the dataset until its chain block satisfies `done` (the server caches chain reads up to 30 s). */
  async function awaitChain(done, seconds = 45) {
    for (let i = 0; i < seconds / 1.5; i++) {
      await store.dispatch('refreshDetail');
      const chain = detail()?.dataset?.chain;
      if (chain && done(chain)) return true;
      await sleep(1500);
    }
    return false;
  }

  store.register({
    async refreshDetail() {
      const current = detail();
      if (!current || !store.state.session) return;
      const next = { ...current };
      let changed = false;
      try {
        const dataset = await api.getDataset(current.id);
        if (JSON.stringify(dataset) !== JSON.stringify(current.dataset)) {
          changed = true;
          if (!current.dataset || current.dataset.status !== dataset.status) store.patch('datasets', { lastChange: Date.now() });
        }
        next.dataset = dataset;
        next.loadError = null;
      } catch (error) {
        if (error.status === 401) return;
        next.loadError = error.message;
        changed = true;
      }
      if (next.dataset && REPORT_STATUSES.has(next.dataset.status)) {
        // The report, then the proof (409 not_anchored until its batch is signed: no error).
        // A proof is read again when the dataset's status moves (its transaction was sent or mined).
        const statusMoved = current.dataset && current.dataset.status !== next.dataset.status;
        for (const [field, fetch, quiet] of [['report', (id) => api.getReport(id), null], ['proof', (id) => api.getProof(id), 'not_anchored']]) {
          if (next[field] && !(field === 'proof' && statusMoved && next.proof.tx_status !== 'confirmed')) continue;
          const errorField = `${field}Error`;
          try {
            next[field] = await fetch(current.id);
            next[errorField] = null;
            changed = true;
          } catch (error) {
            if (error.status === 401) return;
            const message = error.code === quiet ? null : error.message;
            if (next[errorField] !== message) changed = true;
            next[errorField] = message;
          }
        }
      }
      if (detail()?.id !== current.id) return;
      // The attestations are read by loadAttestations, not here: keep what it has read since.
      if (changed) {
        const now = detail();
        store.set({ detail: { ...now, ...next, confirming: now.confirming, oracle: now.oracle, verification: now.verification, anchorBlock: now.anchorBlock } });
      }
      if (detail().report && !detail().oracle) store.dispatch('loadAttestations');
      if (detail().proof?.tx_status === 'confirmed' && ctx.node && detail().anchorBlock === undefined) store.dispatch('loadAnchorBlock');
      poll.schedule();
    },
    /**
     * Reads, once per report, the oracle's attestation of the catalogue the report names and of
     * each gene in its evidence, all at once; each answer (or its error, kept quietly per record)
     * is shown as it arrives.
     */
    async loadAttestations() {
      const d = detail();
      if (!d?.report || d.oracle) return;
      const report = d.report.report || {};
      const genes = evidenceGenes(report.resistance);
      store.set({ detail: { ...d, oracle: { catalogue: null, genes: {} } } });
      const put = (update) => {
        const now = detail();
        if (now?.id !== d.id || !now.oracle) return;
        store.set({ detail: { ...now, oracle: update(now.oracle) } });
      };
      const settle = (promise) => promise.then((attestation) => ({ attestation }), (error) => ({ error: { code: error.code, message: error.message } }));
      const reads = genes.map((symbol) => settle(api.getGeneAttestation(symbol)).then((entry) => put((o) => ({ ...o, genes: { ...o.genes, [symbol]: entry } }))));
      if (report.catalogue?.id) {
        reads.push(settle(api.getAttestation(report.catalogue.source || 'catalogue', report.catalogue.id)).then((entry) => put((o) => ({ ...o, catalogue: entry }))));
      }
      await Promise.all(reads);
    },
    /** The block and date of a confirmed proof's batch transaction, read once from the node (null when it cannot be read). */
    async loadAnchorBlock() {
      const d = detail();
      if (!d?.proof || d.anchorBlock !== undefined || !ctx.node) return;
      store.set({ detail: { ...d, anchorBlock: null } });
      try {
        const view = await ctx.node.transaction(d.proof.txid);
        const block = view?.tx_status === 'success' ? blockOf(view) : null;
        if (detail()?.id === d.id) store.patch('detail', { anchorBlock: block });
      } catch {
        // the node did not answer: the words say the block could not be read
      }
    },
    /**
     * Verify now: the checks of `genoflow verify` on the report.json this server gives (read
     * again, byte for byte, from its artifact link) and the proof; on the chain too when a node
     * is connected and the batch is confirmed.
     */
    async verifyNow() {
      const d = detail();
      if (!d?.proof || !d.report) return;
      const put = (verification) => {
        if (detail()?.id === d.id) store.patch('detail', { verification });
      };
      put({ running: true });
      try {
        const fresh = await api.getReport(d.id);
        const artifact = (fresh.artifacts || []).find((a) => a.name === 'report.json');
        if (!artifact) throw new Error('the server gives no report.json for this dataset');
        const response = await fetch(resolveUrl(artifact.url), { cache: 'no-store' });
        if (!response.ok) throw new Error(`report.json could not be downloaded (the server answered ${response.status})`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const offline = verifyOffline(bytes, d.proof);
        let parsed = null;
        try {
          parsed = JSON.parse(new TextDecoder().decode(bytes));
        } catch {
          parsed = null;
        }
        let chain = null;
        let chainNote = '';
        if (!ctx.node) chainNote = 'Not asked: this server has no Stacks node, so there is no chain record to check.';
        else if (d.proof.tx_status !== 'confirmed') chainNote = `Not asked: the batch is not on the chain yet (${d.proof.tx_status}).`;
        else chain = await verifyOnChain(ctx.node, d.proof, parsed);
        put({ offline, chain, chainNote });
      } catch (error) {
        if (error.status === 401) return;
        put({ error: error.message });
      }
    },
    confirmDelete(confirming) {
      store.patch('detail', { confirming });
    },
    async deleteDataset(dataset) {
      try {
        await api.deleteDataset(dataset.dataset_id);
        resume.remove(dataset.dataset_id);
        store.dispatch('notify', `Deleted ${dataset.filename}.`);
        store.patch('datasets', { items: store.state.datasets.items.filter((d) => d.dataset_id !== dataset.dataset_id) });
        location.hash = '#/';
      } catch (error) {
        if (error.status !== 401) store.dispatch('notify', `Could not delete ${dataset.filename}: ${error.message}`, 'error');
      }
    },
    async downloadFile(dataset) {
      try {
        const { url } = await api.getDownload(dataset.dataset_id);
        const link = h('a', { href: resolveUrl(url), download: dataset.filename, hidden: true });
        document.body.append(link);
        link.click();
        link.remove();
      } catch (error) {
        if (error.status !== 401) store.dispatch('notify', `Could not download ${dataset.filename}: ${error.message}`, 'error');
      }
    },
    /** Registers the sample: commit, wait for the commit's block, reveal. Resumes after a reload. */
    async registerSample() {
      const d = detail();
      const dataset = d.dataset;
      const me = store.state.session.address;
      const hash = sampleInputsHash(d);
      const key = `register:${dataset.sample_id}`;
      let record = commits.load(dataset.sample_id);
      if (!record || record.owner !== me || record.inputs_hash !== hash) {
        record = { owner: me, inputs_hash: hash, salt: newSalt() };
        commits.save(dataset.sample_id, record);
      }
      const salt = hexToBytes(record.salt);
      const commitment = makeCommitment(hash, salt, me);
      let committed = await ctx.reads().commitment(me, commitment).catch(() => null);
      if (committed === null && record.commit_txid) {
        const outcome = await followCall(ctx, key, 'Register on chain, step 1 of 2 (commit)', record.commit_txid);
        if (outcome.status === 'success') committed = true;
      }
      if (committed === null) {
        const outcome = await runCall(ctx, key, 'Register on chain, step 1 of 2 (commit)', ctx.calls.commitDataset(commitment), (txid) => {
          commits.save(dataset.sample_id, { ...record, commit_txid: txid });
        });
        if (outcome.status !== 'success' && outcome.code !== 207) return;
      }
      // The reveal must be mined in a block after the commit's: once the commit is mined,
      // anything sent now is. A reveal that still lands in the same block (u209) is retried.
      for (let attempt = 0; attempt < 5; attempt++) {
        const outcome = await runCall(ctx, key, 'Register on chain, step 2 of 2 (reveal)', ctx.calls.registerSample(hash, dataset.sample_id, salt));
        if (outcome.status === 'success') {
          commits.clear(dataset.sample_id);
          await awaitChain((chain) => chain.state === 'registered');
          return;
        }
        if (outcome.code !== 209) return;
        await sleep(3000);
      }
    },
    async recordResult() {
      const d = detail();
      const chain = d.dataset.chain;
      const outcome = await runCall(ctx, `result:${d.dataset.sample_id}`, 'Record the result hash',
        ctx.calls.recordResult(chain.dataset_id, d.report.report_sha256, d.report.report.pipeline_id));
      if (outcome.status === 'success') await awaitChain((c) => c.result_recorded);
    },
    async listForSale(priceText) {
      const d = detail();
      const key = `list:${d.dataset.sample_id}`;
      let price;
      try {
        price = parseStx(priceText);
        if (price <= 0n) throw new Error('The price must be more than 0 STX.');
      } catch (error) {
        store.set({ txs: { ...store.state.txs, [key]: { label: 'List for sale', status: 'not_sent', message: `${error.message} Nothing was sent.` } } });
        return;
      }
      const listing = d.dataset.chain.listing;
      const update = listing && listing.active;
      const outcome = await runCall(ctx, key, update ? `Change the price to ${formatStx(price)}` : `List for sale at ${formatStx(price)}`,
        update ? ctx.calls.updatePrice(listing.listing_id, price) : ctx.calls.listDataset(d.dataset.chain.dataset_id, price));
      if (outcome.status === 'success') await awaitChain((c) => c.listing?.active && BigInt(c.listing.price) === price);
    },
    async delist() {
      const d = detail();
      const outcome = await runCall(ctx, `list:${d.dataset.sample_id}`, 'Delist', ctx.calls.delist(d.dataset.chain.listing.listing_id));
      if (outcome.status === 'success') await awaitChain((c) => !c.listing || !c.listing.active);
    },
  });

  store.watch((s) => [s.route, s.session], ({ route, session }) => {
    if (!session || route.name !== 'dataset') {
      poll.stop();
      return;
    }
    if (detail()?.id === route.id) return;
    store.set({ detail: { id: route.id, dataset: null, report: null, proof: null, reportError: null, proofError: null, loadError: null, confirming: false, oracle: null } });
    window.scrollTo(0, 0);
    store.dispatch('refreshDetail');
  });

  watchScreen(store, (s) => [s.detail, s.txs], 'detail', renderDetail);

  function renderDetail(state, container) {
    const d = state.detail;
    // Re-rendering the same dataset keeps the collapsed sections the reader opened.
    const sameDataset = d && container.dataset.shown === d.id;
    const open = new Set(sameDataset ? [...container.querySelectorAll('details[data-key]')].filter((e) => e.open).map((e) => e.dataset.key) : []);
    clear(container);
    container.dataset.shown = d?.id ?? '';
    if (!d) return;
    if (!d.dataset) {
      container.append(h('div', { class: 'card' }, h('p', { class: d.loadError ? 'error' : 'muted' }, d.loadError || 'Loading…')));
      return;
    }
    if (d.report) append(container, renderReportPage(state, d));
    else append(container, renderDataset(state, d), renderChain(state, d), renderReportCard(d), renderProofCard(d));
    for (const element of container.querySelectorAll('details[data-key]')) {
      if (open.has(element.dataset.key)) element.open = true;
    }
  }

  /**
   * An analysed dataset: the answer first, then the actions, every drug, the proof, the
   * knowledge base, versions and disclaimer, the sample on chain, and the technical details
   * collapsed (the file, its validation, hashes, QC figures, coverage, variants).
   */
  function renderReportPage(state, d) {
    const ds = d.dataset;
    const owner = ds.access !== 'purchase';
    const report = d.report.report || {};
    const technical = renderTechnical(d.report, [
      h('section', { class: 'report-section' }, h('h3', {}, `File: ${ds.filename}`), fileFacts(ds)),
      h('section', { class: 'report-section' }, h('h3', {}, 'Validation'), renderValidation(ds)),
    ]);
    technical.dataset.key = 'technical';
        return h('article', { class: 'report-page', dataset: { testid: 'dataset-detail', status: ds.status, access: ds.access || 'owner' } },
      renderAnswer(d.report, ds),
      renderProblem(ds),
      owner ? null : h('p', { class: 'pill-note no-print', dataset: { testid: 'purchase-access' } }, `You bought access to this sample on the marketplace. Its owner is ${ds.owner}.`),
      h('div', { class: 'report-actions no-print', dataset: { testid: 'report-actions' } },
        h('button', { type: 'button', class: 'primary', dataset: { testid: 'print-report' }, onclick: () => window.print() }, 'Print / Save as PDF'),
        renderDownloads(d.report, resolveUrl),
        h('button', { type: 'button', class: 'secondary', dataset: { testid: 'file-download' }, onclick: () => store.dispatch('downloadFile', ds) }, `Download ${ds.filename}`),
        owner ? deleteControls(d, ds) : null),
      renderResistance(report),
      renderProofCard(d),
      renderKnowledgeBase(report, d.oracle),
      renderAbout(d.report, state.config),
      renderChain(state, d),
      technical,
    );
  }

  function deleteControls(d, ds) {
    return d.confirming
      ? h('div', { class: 'confirm', role: 'alertdialog' },
        h('p', {}, `Delete ${ds.filename}? Its uploaded file and results are removed from storage; what was anchored on chain stays.`),
        h('button', { type: 'button', class: 'danger', dataset: { testid: 'confirm-delete' }, onclick: () => store.dispatch('deleteDataset', ds) }, 'Yes, delete'), ' ',
        h('button', { type: 'button', class: 'secondary', onclick: () => store.dispatch('confirmDelete', false) }, 'Cancel'))
      : h('button', { type: 'button', class: 'danger secondary', dataset: { testid: 'delete-button' }, onclick: () => store.dispatch('confirmDelete', true) }, 'Delete dataset');
  }

  function fileFacts(ds) {
    return facts([
      ['Size', ds.size >= 1000 ? `${formatBytes(ds.size)} (${formatNumber(ds.size)} bytes)` : formatBytes(ds.size)],
      ['SHA-256', h('code', { class: 'wrap' }, ds.sha256)],
      ['Format', ds.format ?? 'not detected yet'],
      ['Dataset id', h('code', {}, ds.dataset_id)],
      ['Sample id', h('code', {}, ds.sample_id)],
      ds.sample ? ['Sample', humanKey(String(ds.sample.status).replace(/_/g, ' '))] : null,
      ['Uploaded', formatDate(ds.created_at)],
      ['Last change', formatDate(ds.updated_at)],
    ]);
  }

  function renderDataset(state, d) {
    const ds = d.dataset;
    const owner = ds.access !== 'purchase';
    const deleteArea = !owner ? null : h('div', { class: 'delete-area' }, d.confirming
      ? h('div', { class: 'confirm', role: 'alertdialog' },
        h('p', {}, `Delete ${ds.filename}? Its uploaded file and results are removed from storage; what was anchored on chain stays.`),
        h('button', { type: 'button', class: 'danger', dataset: { testid: 'confirm-delete' }, onclick: () => store.dispatch('deleteDataset', ds) }, 'Yes, delete'), ' ',
        h('button', { type: 'button', class: 'secondary', onclick: () => store.dispatch('confirmDelete', false) }, 'Cancel'))
      : h('button', { type: 'button', class: 'danger secondary', dataset: { testid: 'delete-button' }, onclick: () => store.dispatch('confirmDelete', true) }, 'Delete dataset'));
    return h(
      'section',
      { class: 'card', dataset: { testid: 'dataset-detail', status: ds.status, access: ds.access || 'owner' } },
      h('div', { class: 'card-head' }, h('h1', { class: 'filename' }, ds.filename), statusBadge(ds.status)),
      owner ? null : h('p', { class: 'pill-note', dataset: { testid: 'purchase-access' } }, `You bought access to this sample on the marketplace. Its owner is ${ds.owner}.`),
      d.loadError ? h('p', { class: 'error' }, d.loadError) : null,
      renderProblem(ds),
      h('div', { class: 'two-columns' },
        h('div', {}, h('h2', {}, 'File'), fileFacts(ds),
        ds.status !== 'pending'
          ? h('button', { type: 'button', class: 'secondary', dataset: { testid: 'file-download' }, onclick: () => store.dispatch('downloadFile', ds) }, `Download ${ds.filename}`)
          : null),
        h('div', {}, h('h2', {}, 'Validation'), renderValidation(ds))),
      deleteArea,
    );
  }

  function renderChain(state, d) {
    const ds = d.dataset;
    if (ds.access === 'purchase') return null;
    const card = h('section', { class: 'card chain-card no-print', dataset: { testid: 'chain-panel', state: ds.chain?.state ?? 'none' } }, h('h2', {}, 'On chain'));
    if (!ctx.chainReady) {
      card.append(h('p', { class: 'muted', dataset: { testid: 'no-chain' } }, 'No chain is connected to this GenoFlow server, so the sample cannot be registered, listed or sold from here.'));
      return card;
    }
    if (ds.chain_error) card.append(h('p', { class: 'error' }, `The chain could not be read: ${ds.chain_error}`));
    const chain = ds.chain;
    const tx = (key) => renderTx(ctx, state.txs[key], key);
    const registerKey = `register:${ds.sample_id}`;
    if (!chain) {
      append(card, tx(registerKey));
      return card;
    }
    if (chain.state === 'conflict') {
      card.append(h('p', { class: 'error' }, 'Another address registered the same data on chain. This sample cannot be registered or sold by you; nothing is granted by that record.'));
      return card;
    }
    if (chain.state === 'unregistered') {
      const hash = sampleInputsHash(d);
      const pending = commits.load(ds.sample_id);
      append(card,
        h('p', {}, 'Register the sample on chain to prove you had this data first, and to sell access to it. It takes two transactions: a commitment that hides the data’s hash, then — in a later block — the reveal. You need an identity (Profile) first.'),
        hash
          ? h('button', { type: 'button', class: 'primary', disabled: busy(state.txs[registerKey]), dataset: { testid: 'register-sample' }, onclick: () => store.dispatch('registerSample') },
            pending ? 'Finish registering on chain' : 'Register on chain')
          : h('p', { class: 'muted' }, 'The sample can be registered once it is analysed (its record is the hash of its input files).'),
        pending ? h('p', { class: 'muted small' }, 'A commitment was started in this browser; its salt is kept here until the reveal succeeds.') : null,
        tx(registerKey),
      );
      return card;
    }
    append(card, facts([
      ['Registry record', h('span', { dataset: { testid: 'chain-dataset-id' } }, `dataset u${chain.dataset_id}`)],
      ['Result hash', chain.result_recorded ? 'recorded' : 'not recorded'],
      ['Listing', chain.listing?.active ? h('span', { dataset: { testid: 'listing-price' } }, `listing u${chain.listing.listing_id} at ${formatStx(chain.listing.price)}`) : 'not for sale'],
    ]), tx(registerKey));
    const resultKey = `result:${ds.sample_id}`;
    if (!chain.result_recorded && d.report) {
      card.append(h('p', {}, h('button', { type: 'button', class: 'secondary', disabled: busy(state.txs[resultKey]), dataset: { testid: 'record-result' }, onclick: () => store.dispatch('recordResult') }, 'Record the result hash on chain')));
    }
    append(card, tx(resultKey));
    const listKey = `list:${ds.sample_id}`;
    const active = chain.listing?.active;
    const draftKey = `price:${ds.sample_id}`;
    const input = h('input', { type: 'text', inputmode: 'decimal', 'aria-label': 'Price in STX', placeholder: 'e.g. 2.5', value: state.drafts[draftKey] ?? '', dataset: { testid: 'price-input' },
      oninput: (event) => store.draft(draftKey, event.target.value) });
    append(card, h('div', { class: 'listing-form' },
      h('label', { class: 'text' }, h('span', {}, active ? 'New price (STX)' : 'Price (STX)'), input),
      h('button', { type: 'button', class: 'primary', disabled: busy(state.txs[listKey]), dataset: { testid: active ? 'change-price' : 'list-sample' },
        onclick: () => store.dispatch('listForSale', input.value) }, active ? 'Change the price' : 'List for sale'),
      active ? h('button', { type: 'button', class: 'danger secondary', disabled: busy(state.txs[listKey]), dataset: { testid: 'delist' }, onclick: () => store.dispatch('delist') }, 'Delist') : null),
    h('p', { class: 'muted small' }, 'Buyers pay the price to you (less the marketplace fee) and can then read this sample’s datasets, report and proof.'),
    tx(listKey));
    return card;
  }

  function renderReportCard(d) {
    const ds = d.dataset;
    const card = h('section', { class: 'card' }, h('h2', {}, 'Analysis report'));
    if (d.report) card.append(renderReport(d.report, resolveUrl, d.oracle));
    else if (d.reportError) card.append(h('p', { class: 'error' }, d.reportError));
    else if (ds.status === 'invalid' || ds.status === 'failed') card.append(h('p', { class: 'muted' }, 'There is no report for this dataset.'));
    else card.append(h('p', { class: 'muted' }, `The report appears here once the sample is analysed (now: ${statusWords(ds.status).toLowerCase()}).`));
    return card;
  }

  function renderProofCard(d) {
    if (!REPORT_STATUSES.has(d.dataset.status)) return null;
    const card = h('section', { class: 'report-section proof-section', dataset: { testid: 'proof-section' } }, h('h2', {}, 'Proof of provenance'));
    if (d.proof) {
      card.append(renderProof(d.proof, {
        verification: d.verification || null,
        onVerify: () => store.dispatch('verifyNow'),
        block: d.anchorBlock || null,
        nodeConfigured: Boolean(ctx.node),
      }));
    } else if (d.proofError) {
      card.append(h('p', { class: 'error' }, d.proofError));
    } else {
      card.append(h('p', { class: 'muted', dataset: { testid: 'proof-pending' } }, 'Not anchored yet: the sample joins the next anchoring batch. This page updates by itself.'));
    }
    return card;
  }
}
