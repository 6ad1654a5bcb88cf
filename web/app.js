// The GenoFlow page: sign in (wallet or local development key), upload a sample,
// follow its datasets, read the report and the anchoring proof.

import { Api, ApiError, apiUrl, loadConfig } from './lib/api.js';
import { clear, h } from './lib/dom.js';
import {
  FINAL_STATUSES,
  REPORT_STATUSES,
  describeProblem,
  figureLabel,
  formatBytes,
  formatDate,
  formatNumber,
  formatPercent,
  formatRate,
  humanKey,
  orderedEntries,
  statusWords,
} from './lib/format.js';
import { renderProof, renderReport } from './lib/report.js';
import { ResumeStore, UploadInterrupted, hashFile, linksExpired, newRecord, sendFile } from './lib/upload.js';
import { findProvider, signInWithDevKey, signInWithWallet } from './lib/wallet.js';

const SESSION_KEY = 'genoflow.session';
const EXPIRED_MESSAGE = 'Your sign-in has expired — sign in again';
const FAST_POLL_MS = 2000;
const SLOW_POLL_MS = 10000;
const QUIET_AFTER_MS = 120000;

const $ = (id) => document.getElementById(id);

const state = {
  config: null,
  api: null,
  session: null,
  datasets: [],
  next: null,
  pollTimer: null,
  lastChange: Date.now(),
  detail: null, // {id, dataset, report, proof, reportError, proofError}
  uploading: false,
  activeUploads: new Set(), // dataset ids being sent by this page
  job: null, // the upload in progress or interrupted: {files, records, rows}
};

const store = new ResumeStore();

// ---------------------------------------------------------------- notices

function showNotice(message, kind = 'info') {
  const notice = $('notice');
  clear(notice);
  notice.className = `notice ${kind}`;
  notice.append(
    h('span', {}, message),
    h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: () => (notice.hidden = true) }, '×'),
  );
  notice.hidden = false;
}

function hideNotice() {
  $('notice').hidden = true;
}

function showError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

// ---------------------------------------------------------------- session

function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    if (session && session.token && session.expires * 1000 > Date.now()) return session;
  } catch {
    // nothing stored
  }
  sessionStorage.removeItem(SESSION_KEY);
  return null;
}

function currentToken() {
  const session = state.session;
  if (!session) return null;
  if (session.expires * 1000 <= Date.now()) return null;
  return session.token;
}

function signOut(message) {
  state.session = null;
  sessionStorage.removeItem(SESSION_KEY);
  stopPolling();
  state.datasets = [];
  state.olderIds = null;
  state.next = null;
  state.detail = null;
  clear($('dataset-rows'));
  clear($('detail'));
  if (!state.uploading) {
    state.job = null;
    clear($('upload-progress')).hidden = true;
  }
  if (message) showNotice(message, 'warn');
  showSignIn();
}

function onUnauthorized() {
  if (!state.session) return;
  signOut(EXPIRED_MESSAGE);
}

// ---------------------------------------------------------------- sign-in

function showSignIn() {
  $('app-view').hidden = true;
  $('session').hidden = true;
  $('signin-view').hidden = false;
  showError($('signin-error'), '');
  $('devkey-box').hidden = !state.config.dev_key;
  updateWalletButton();
  // Wallet extensions may inject their provider a little after the page loads.
  setTimeout(updateWalletButton, 300);
  setTimeout(updateWalletButton, 1200);
}

function updateWalletButton() {
  const found = findProvider(window);
  const button = $('wallet-signin');
  button.hidden = !found;
  if (found) button.textContent = `Sign in with ${found.name}`;
  $('no-wallet').hidden = Boolean(found);
}

async function signIn(kind) {
  const buttons = [$('wallet-signin'), $('devkey-signin')];
  buttons.forEach((b) => (b.disabled = true));
  showError($('signin-error'), '');
  try {
    let body;
    if (kind === 'wallet') {
      const found = findProvider(window);
      if (!found) throw new Error('No Stacks wallet was found in this browser.');
      body = await signInWithWallet(found.provider, state.config.chain_id);
    } else {
      body = signInWithDevKey(state.config.chain_id);
    }
    const answer = await state.api.login(body);
    state.session = { token: answer.token, address: answer.address, expires: answer.expires, kind };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
    hideNotice();
    showApp();
  } catch (error) {
    const message = error instanceof ApiError && error.status !== 0
      ? `Sign-in refused: ${error.message}`
      : error.message;
    showError($('signin-error'), message);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// ---------------------------------------------------------------- app shell

function showApp() {
  $('signin-view').hidden = true;
  $('app-view').hidden = false;
  $('session').hidden = false;
  $('signed-in-address').textContent = state.session.address;
  $('signed-in-address').title = state.session.kind === 'dev' ? 'Signed in with the local development key' : 'Signed in with your wallet';
  $('network-pill').textContent = state.session.kind === 'dev' ? `${state.config.network} · dev key` : state.config.network;
  renderUnfinished();
  route();
}

function route() {
  if (!state.session) return;
  const match = /^#\/datasets\/([^/]+)$/.exec(location.hash);
  if (match) {
    showDetail(decodeURIComponent(match[1]));
  } else {
    state.detail = null;
    $('detail-page').hidden = true;
    $('list-page').hidden = false;
    refreshList();
  }
}

// ---------------------------------------------------------------- dataset list

async function refreshList() {
  if (!state.session) return;
  try {
    const page = await state.api.listDatasets();
    const fresh = page.datasets || [];
    const freshIds = new Set(fresh.map((d) => d.dataset_id));
    // Keep older pages the user loaded, below the refreshed first page.
    const older = state.datasets.filter((d) => !freshIds.has(d.dataset_id) && state.olderIds?.has(d.dataset_id));
    noteChanges(state.datasets, fresh);
    state.datasets = [...fresh, ...older];
    if (!state.olderIds || state.olderIds.size === 0) state.next = page.next || null;
    showError($('list-error'), '');
    dropFinishedRecords(fresh);
    renderRows();
  } catch (error) {
    if (error.status === 401) return;
    showError($('list-error'), error.message);
  }
  schedulePoll();
}

async function loadMore() {
  if (!state.next) return;
  try {
    const page = await state.api.listDatasets(state.next);
    state.olderIds = state.olderIds || new Set();
    const known = new Set(state.datasets.map((d) => d.dataset_id));
    for (const d of page.datasets || []) {
      if (!known.has(d.dataset_id)) {
        state.datasets.push(d);
        state.olderIds.add(d.dataset_id);
      }
    }
    state.next = page.next || null;
    renderRows();
  } catch (error) {
    if (error.status !== 401) showError($('list-error'), error.message);
  }
}

function noteChanges(before, after) {
  const old = new Map(before.map((d) => [d.dataset_id, d.status]));
  if (after.length !== before.length || after.some((d) => old.get(d.dataset_id) !== d.status)) {
    state.lastChange = Date.now();
  }
}

function statusBadge(status) {
  return h('span', { class: `status status-${status}` }, statusWords(status));
}

function renderRows() {
  const body = $('dataset-rows');
  clear(body);
  for (const d of state.datasets) {
    const open = () => (location.hash = `#/datasets/${encodeURIComponent(d.dataset_id)}`);
    const problem = d.error ? h('div', { class: 'row-error small' }, describeProblem(d.error)) : null;
    body.append(
      h(
        'tr',
        {
          class: 'clickable',
          tabindex: 0,
          dataset: { testid: 'dataset-row', status: d.status, datasetId: d.dataset_id, filename: d.filename },
          onclick: open,
          onkeydown: (event) => {
            if (event.key === 'Enter') open();
          },
        },
        h('td', {}, h('div', { class: 'filename' }, d.filename), d.format ? h('span', { class: 'muted small' }, d.format) : null, problem),
        h('td', { class: 'num' }, formatBytes(d.size)),
        h('td', {}, statusBadge(d.status)),
        h('td', { class: 'muted' }, formatDate(d.created_at)),
      ),
    );
  }
  $('empty-list').hidden = state.datasets.length > 0;
  $('load-more').hidden = !state.next;
}

// ---------------------------------------------------------------- polling

function stopPolling() {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

function needsPolling() {
  if (state.detail) {
    const d = state.detail.dataset;
    if (!d) return !state.detail.loadError;
    if (!FINAL_STATUSES.has(d.status)) return true;
    return REPORT_STATUSES.has(d.status) && !state.detail.proof;
  }
  return state.datasets.some((d) => !FINAL_STATUSES.has(d.status));
}

function schedulePoll() {
  stopPolling();
  if (!state.session || !needsPolling()) return;
  const quiet = Date.now() - state.lastChange > QUIET_AFTER_MS;
  state.pollTimer = setTimeout(poll, quiet ? SLOW_POLL_MS : FAST_POLL_MS);
}

function poll() {
  state.pollTimer = null;
  if (document.hidden) {
    schedulePoll();
    return;
  }
  if (state.detail) refreshDetail();
  else refreshList();
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.session && !state.pollTimer) schedulePoll();
});

// ---------------------------------------------------------------- detail

async function showDetail(id) {
  $('list-page').hidden = true;
  $('detail-page').hidden = false;
  state.detail = { id, dataset: null, report: null, proof: null, reportError: null, proofError: null, confirming: false };
  const container = $('detail');
  clear(container).append(h('div', { class: 'card' }, h('p', { class: 'muted' }, 'Loading…')));
  window.scrollTo(0, 0);
  await refreshDetail();
}

async function refreshDetail() {
  const detail = state.detail;
  if (!detail || !state.session) return;
  let changed = false;
  try {
    const dataset = await state.api.getDataset(detail.id);
    if (state.detail !== detail) return;
    const before = detail.dataset;
    if (!before || before.status !== dataset.status || before.updated_at !== dataset.updated_at ||
        JSON.stringify(before.sample) !== JSON.stringify(dataset.sample)) {
      changed = true;
      state.lastChange = Date.now();
    }
    detail.dataset = dataset;
    detail.loadError = null;
  } catch (error) {
    if (error.status === 401 || state.detail !== detail) return;
    detail.loadError = error.message;
    changed = true;
  }
  const dataset = detail.dataset;
  if (dataset && REPORT_STATUSES.has(dataset.status)) {
    if (!detail.report) {
      try {
        detail.report = await state.api.getReport(detail.id);
        detail.reportError = null;
        changed = true;
      } catch (error) {
        if (error.status === 401) return;
        if (detail.reportError !== error.message) changed = true;
        detail.reportError = error.message;
      }
    }
    if (!detail.proof) {
      try {
        detail.proof = await state.api.getProof(detail.id);
        detail.proofError = null;
        changed = true;
      } catch (error) {
        if (error.status === 401) return;
        const message = error.code === 'not_anchored' ? null : error.message;
        if (detail.proofError !== message) changed = true;
        detail.proofError = message;
      }
    }
  }
  if (state.detail !== detail) return;
  if (changed && !detail.confirming) renderDetail();
  schedulePoll();
}

function facts(entries) {
  return h(
    'dl',
    { class: 'facts' },
    entries.filter(Boolean).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

function statValue(key, value) {
  if (typeof value !== 'number') return value === null || value === undefined ? '—' : String(value);
  if (/fraction/.test(key)) return formatPercent(value);
  if (Number.isInteger(value)) return formatNumber(value);
  return formatNumber(value, 2);
}

function renderValidation(dataset) {
  const v = dataset.validation;
  if (!v) {
    const words = {
      pending: 'The file has not arrived yet.',
      uploaded: 'The file arrived and is being validated.',
    };
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
    stats.length
      ? h('div', {}, h('h4', {}, 'Statistics'), facts(stats.map(([key, value]) => [figureLabel(key), statValue(key, value)])))
      : null,
    Array.isArray(v.warnings) && v.warnings.length
      ? h('div', { class: 'warnings' }, h('h4', {}, 'Warnings'), h('ul', {}, v.warnings.map((w) => h('li', {}, describeProblem(w)))))
      : null,
  );
}

function renderProblem(dataset) {
  if (dataset.error) {
    const lead = dataset.status === 'failed' ? 'The analysis failed.' : 'This file is not valid.';
    return h(
      'div',
      { class: 'problem', role: 'alert', dataset: { testid: 'dataset-error' } },
      h('strong', {}, lead),
      ' ',
      describeProblem(dataset.error),
    );
  }
  const sample = dataset.sample;
  if (sample && sample.status === 'failed' && sample.error) {
    const other = sample.error.dataset_id !== dataset.dataset_id;
    return h(
      'div',
      { class: 'problem', role: 'alert', dataset: { testid: 'dataset-error' } },
      h('strong', {}, 'The sample cannot be analysed.'),
      ' ',
      other ? `Its other file, ${sample.error.filename}, failed: ` : '',
      describeProblem(sample.error.error),
    );
  }
  return null;
}

function renderDetail() {
  const detail = state.detail;
  const container = $('detail');
  clear(container);
  if (!detail.dataset) {
    container.append(h('div', { class: 'card' }, h('p', { class: 'error' }, detail.loadError || 'Loading…')));
    return;
  }
  const d = detail.dataset;
  const deleteArea = h('div', { class: 'delete-area' });
  const showDeleteButton = () => {
    detail.confirming = false;
    clear(deleteArea).append(
      h('button', { type: 'button', class: 'danger secondary', dataset: { testid: 'delete-button' }, onclick: askDelete }, 'Delete dataset'),
    );
  };
  function askDelete() {
    detail.confirming = true;
    clear(deleteArea).append(
      h(
        'div',
        { class: 'confirm', role: 'alertdialog' },
        h('p', {}, `Delete ${d.filename}? Its uploaded file and results are removed from storage; what was anchored on chain stays.`),
        h('button', { type: 'button', class: 'danger', dataset: { testid: 'confirm-delete' }, onclick: () => deleteDataset(d) }, 'Yes, delete'),
        ' ',
        h('button', { type: 'button', class: 'secondary', onclick: showDeleteButton }, 'Cancel'),
      ),
    );
  }
  showDeleteButton();

  container.append(
    h(
      'section',
      { class: 'card', dataset: { testid: 'dataset-detail', status: d.status } },
      h('div', { class: 'card-head' }, h('h1', { class: 'filename' }, d.filename), statusBadge(d.status)),
      detail.loadError ? h('p', { class: 'error' }, detail.loadError) : null,
      renderProblem(d),
      h('div', { class: 'two-columns' }, h('div', {}, h('h2', {}, 'File'), facts([
        ['Size', d.size >= 1000 ? `${formatBytes(d.size)} (${formatNumber(d.size)} bytes)` : formatBytes(d.size)],
        ['SHA-256', h('code', { class: 'wrap' }, d.sha256)],
        ['Format', d.format ?? 'not detected yet'],
        ['Dataset id', h('code', {}, d.dataset_id)],
        ['Sample id', h('code', {}, d.sample_id)],
        d.sample ? ['Sample', humanKey(String(d.sample.status).replace(/_/g, ' '))] : null,
        ['Uploaded', formatDate(d.created_at)],
        ['Last change', formatDate(d.updated_at)],
      ])), h('div', {}, h('h2', {}, 'Validation'), renderValidation(d))),
      deleteArea,
    ),
  );

  const reportCard = h('section', { class: 'card' }, h('h2', {}, 'Analysis report'));
  if (detail.report) {
    reportCard.append(renderReport(detail.report, resolveUrl));
  } else if (detail.reportError) {
    reportCard.append(h('p', { class: 'error' }, detail.reportError));
  } else if (d.status === 'invalid' || d.status === 'failed') {
    reportCard.append(h('p', { class: 'muted' }, 'There is no report for this dataset.'));
  } else {
    reportCard.append(h('p', { class: 'muted' }, `The report appears here once the sample is analysed (now: ${statusWords(d.status).toLowerCase()}).`));
  }
  container.append(reportCard);

  if (REPORT_STATUSES.has(d.status)) {
    const proofCard = h('section', { class: 'card' }, h('h2', {}, 'Proof of provenance'));
    if (detail.proof) {
      proofCard.append(
        h('p', { class: 'muted' }, 'The input files’ hashes, the report hash and the pipeline id are combined into one item, anchored on the Stacks chain in a Merkle batch.'),
        renderProof(detail.proof),
      );
    } else if (detail.proofError) {
      proofCard.append(h('p', { class: 'error' }, detail.proofError));
    } else {
      proofCard.append(h('p', { class: 'muted', dataset: { testid: 'proof-pending' } }, 'Not anchored yet: the sample joins the next anchoring batch. This page updates by itself.'));
    }
    container.append(proofCard);
  }
}

function resolveUrl(url) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  return apiUrl(state.config.api_base, url.startsWith('/') ? url : `/${url}`);
}

async function deleteDataset(dataset) {
  try {
    await state.api.deleteDataset(dataset.dataset_id);
    store.remove(dataset.dataset_id);
    showNotice(`Deleted ${dataset.filename}.`);
    state.datasets = state.datasets.filter((d) => d.dataset_id !== dataset.dataset_id);
    location.hash = '#/';
  } catch (error) {
    if (error.status !== 401) showNotice(`Could not delete ${dataset.filename}: ${error.message}`, 'error');
  }
}

// ---------------------------------------------------------------- upload

function selectedFiles() {
  return [...$('file-input').files];
}

function updateFileSummary() {
  const files = selectedFiles();
  const summary = $('file-summary');
  showError($('upload-error'), '');
  if (files.length === 0) {
    summary.textContent = '';
  } else if (files.length > 2) {
    summary.textContent = '';
    showError($('upload-error'), `You chose ${files.length} files. A sample is one file, or two for a read pair.`);
  } else {
    const names = files.map((f) => `${f.name} (${formatBytes(f.size)})`).join(' and ');
    summary.textContent = files.length === 2 ? `Read pair: ${names}` : `One file: ${names}`;
    if (files.some((f) => f.size === 0)) showError($('upload-error'), 'An empty file cannot be uploaded.');
  }
  $('upload-button').disabled = state.uploading || files.length < 1 || files.length > 2 || files.some((f) => f.size === 0);
}

function progressRow(file) {
  const bar = h('progress', { max: 1, value: 0 });
  const text = h('span', { class: 'progress-text' }, 'Waiting');
  const actions = h('span', { class: 'progress-actions' });
  const row = h('div', { class: 'progress-row', dataset: { filename: file.name, phase: 'waiting' } },
    h('div', { class: 'progress-label' }, h('strong', {}, file.name), ' ', h('span', { class: 'muted small' }, formatBytes(file.size))),
    bar, h('div', { class: 'progress-line' }, text, actions));
  return {
    row,
    set(phase, fraction, message) {
      row.dataset.phase = phase;
      if (fraction === null) bar.removeAttribute('value');
      else bar.value = fraction;
      text.textContent = message;
    },
    actions,
  };
}

function rateMeter() {
  const samples = [];
  return (sent) => {
    const now = performance.now();
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > 3000) samples.shift();
    const [t0, s0] = samples[0];
    return now > t0 ? ((sent - s0) * 1000) / (now - t0) : 0;
  };
}

async function startUpload(event) {
  event.preventDefault();
  const files = selectedFiles();
  if (files.length < 1 || files.length > 2 || state.uploading) return;
  state.uploading = true;
  $('upload-button').disabled = true;
  showError($('upload-error'), '');
  const area = $('upload-progress');
  clear(area);
  area.hidden = false;
  const rows = files.map(progressRow);
  rows.forEach((r) => area.append(r.row));
  try {
    const declarations = [];
    for (let i = 0; i < files.length; i++) {
      const file = files[i];
      const sha256 = await hashFile(file, (done, total) => {
        rows[i].set('hashing', total ? done / total : 1, `Hashing… ${formatPercent(total ? done / total : 1, 0)}`);
      });
      rows[i].set('hashed', 0, 'Hashed; asking for an upload link…');
      declarations.push({ filename: file.name, size: file.size, sha256 });
    }
    const sampleName = $('sample-name').value.trim();
    const answer = await state.api.createUpload({ files: declarations, ...(sampleName ? { sample_name: sampleName } : {}) });
    const records = answer.datasets.map((dataset, i) => {
      const record = newRecord(state.session.address, answer.sample_id, files[i], declarations[i].sha256, dataset);
      store.save(record);
      return record;
    });
    state.job = { files, records, rows };
    refreshList();
    $('upload-form').reset();
    updateFileSummary();
    await runJob();
  } catch (error) {
    if (error.status !== 401) showError($('upload-error'), error.message);
    rows.forEach((r) => r.row.dataset.phase !== 'done' && r.set('failed', 0, 'Not uploaded'));
  } finally {
    state.uploading = false;
    updateFileSummary();
  }
}

/** Sends the files of the current job that are not sent yet. */
async function runJob() {
  const job = state.job;
  for (let i = 0; i < job.records.length; i++) {
    const record = job.records[i];
    const row = job.rows[i];
    if (record.done) continue;
    clear(row.actions);
    state.activeUploads.add(record.dataset_id);
    const rate = rateMeter();
    try {
      await sendFile({
        api: state.api,
        store,
        record,
        file: job.files[i],
        onProgress: (sent, total) => {
          const fraction = total ? sent / total : 1;
          const speed = formatRate(rate(sent));
          row.set('uploading', fraction, `Uploading… ${formatPercent(fraction, 0)} · ${formatBytes(sent)} of ${formatBytes(total)}${speed ? ` · ${speed}` : ''}`);
        },
      });
      record.done = true;
      row.set('done', 1, 'Uploaded. The server validates it next: follow its status below.');
    } catch (error) {
      if (error.status === 401) return;
      const interrupted = error instanceof UploadInterrupted;
      row.set('interrupted', row.row.querySelector('progress').value, interrupted ? error.message : `Upload interrupted: ${error.message}`);
      if (!interrupted || error.retryable) {
        row.actions.append(h('button', { type: 'button', class: 'secondary small-button', dataset: { testid: 'resume-button' }, onclick: resumeJob }, 'Resume'));
      }
      showError($('upload-error'), 'Upload interrupted. Resume sends only what is missing.');
      return;
    } finally {
      state.activeUploads.delete(record.dataset_id);
    }
  }
  showError($('upload-error'), '');
  state.job = null;
  state.lastChange = Date.now();
  renderUnfinished();
  refreshList();
}

async function resumeJob() {
  if (state.uploading || !state.job) return;
  state.uploading = true;
  showError($('upload-error'), '');
  try {
    await runJob();
  } finally {
    state.uploading = false;
    updateFileSummary();
    renderUnfinished();
  }
}

// ---------------------------------------------------------------- unfinished uploads (after a reload)

function dropFinishedRecords(datasets) {
  let dropped = false;
  for (const d of datasets) {
    if (d.status !== 'pending' && store.load(d.dataset_id)) {
      store.remove(d.dataset_id);
      dropped = true;
    }
  }
  if (dropped) renderUnfinished();
}

function renderUnfinished() {
  const list = $('unfinished-list');
  clear(list);
  if (!state.session) return;
  const jobIds = new Set((state.job?.records || []).map((r) => r.dataset_id));
  const records = store.list(state.session.address).filter((r) => !jobIds.has(r.dataset_id) && !state.activeUploads.has(r.dataset_id));
  for (const record of records) list.append(unfinishedItem(record));
  $('unfinished').hidden = records.length === 0;
}

function unfinishedItem(record) {
  const total = record.upload.multipart ? record.upload.parts.length : 1;
  const sent = record.upload.multipart ? Object.keys(record.parts).length : 0;
  const expired = linksExpired(record);
  const text = h('span', { class: 'muted small' });
  const bar = h('progress', { max: 1, value: record.upload.multipart ? sent / total : 0 });
  const input = h('input', { type: 'file', 'aria-label': `Choose ${record.filename} again` });
  const item = h(
    'li',
    { dataset: { testid: 'unfinished-upload', datasetId: record.dataset_id } },
    h('div', {}, h('strong', {}, record.filename), ' ', h('span', { class: 'muted small' }, `${formatBytes(record.size)} · ${record.upload.multipart ? `${sent} of ${total} parts sent` : 'not sent'}`)),
    bar,
    expired ? h('p', { class: 'error small' }, 'The upload links have expired. Discard this and upload the file again.') : h('label', { class: 'small' }, 'Choose the same file to resume: ', input),
    text,
    h('button', {
      type: 'button',
      class: 'link',
      onclick: () => {
        store.remove(record.dataset_id);
        renderUnfinished();
      },
    }, 'Discard'),
  );
  input.addEventListener('change', async () => {
    const file = input.files[0];
    if (!file) return;
    if (file.size !== record.size) {
      text.textContent = `That file is ${formatBytes(file.size)}; the upload is of ${formatBytes(record.size)}. Choose ${record.filename}.`;
      return;
    }
    input.disabled = true;
    state.activeUploads.add(record.dataset_id);
    try {
      const sha256 = await hashFile(file, (done, all) => {
        bar.value = all ? done / all : 1;
        text.textContent = `Checking the file… ${formatPercent(all ? done / all : 1, 0)}`;
      });
      if (sha256 !== record.sha256) {
        text.textContent = 'That is not the same file (its SHA-256 differs). Choose the file you started uploading.';
        return;
      }
      const rate = rateMeter();
      await sendFile({
        api: state.api,
        store,
        record,
        file,
        onProgress: (done, all) => {
          bar.value = all ? done / all : 1;
          const speed = formatRate(rate(done));
          text.textContent = `Uploading… ${formatPercent(all ? done / all : 1, 0)}${speed ? ` · ${speed}` : ''}`;
        },
      });
      text.textContent = 'Uploaded — validating on the server';
      state.lastChange = Date.now();
      refreshList();
      setTimeout(renderUnfinished, 1500);
    } catch (error) {
      if (error.status === 401) return;
      text.textContent = error instanceof UploadInterrupted ? error.message : `Upload interrupted: ${error.message}`;
    } finally {
      state.activeUploads.delete(record.dataset_id);
      input.disabled = false;
    }
  });
  return item;
}

// ---------------------------------------------------------------- boot

async function boot() {
  const { config, problem } = await loadConfig();
  state.config = config;
  state.api = new Api(config.api_base, currentToken, onUnauthorized);
  $('config-note').textContent = `${problem ? `${problem} ` : ''}API: ${config.api_base || 'this server'} · network ${config.network} (chain id ${config.chain_id})`;
  if (problem) showNotice(problem, 'warn');

  $('wallet-signin').addEventListener('click', () => signIn('wallet'));
  $('devkey-signin').addEventListener('click', () => signIn('dev'));
  $('sign-out').addEventListener('click', () => signOut());
  $('file-input').addEventListener('change', updateFileSummary);
  $('upload-form').addEventListener('submit', startUpload);
  $('refresh').addEventListener('click', () => (state.detail ? refreshDetail() : refreshList()));
  $('load-more').addEventListener('click', loadMore);
  window.addEventListener('hashchange', route);

  state.session = loadSession();
  if (state.session) showApp();
  else showSignIn();
  document.body.dataset.ready = 'true';
}

boot();
