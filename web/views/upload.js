// Upload a sample (#/upload): one file or a read pair with the sample's name and optional
// specimen details, hashed in a Web Worker, declared with POST /uploads, sent to storage (one
// PUT or resumable multipart), and the unfinished uploads a reload left behind. Speed and time
// left are shown while hashing and sending; Cancel stops the hashing worker or aborts the
// requests and deletes what the server already created (DELETE /datasets/{id}), and the page
// asks before it is left while work is in flight. A server that requires a subscription says
// so here, with a link to the subscription screen.

import { clear, h } from '../lib/dom.js';
import { formatBytes, formatPercent, formatRate } from '../lib/format.js';
import { formatTimeLeft, progressMeter } from '../lib/samples.js';
import { HashCancelled, HASH_CHUNK, ResumeStore, UploadInterrupted, hashFileInWorker, linksExpired, newRecord, sendFile } from '../lib/upload.js';
import { watchScreen } from './common.js';

const $ = (id) => document.getElementById(id);

/** "45% · 12.0 MB of 26.7 MB · 3.10 MB/s · about 5 s left" */
export function progressWords(verb, done, total, meter) {
  const fraction = total ? done / total : 1;
  const { rate, left } = meter(done, total);
  const parts = [`${verb}… ${formatPercent(fraction, 0)}`, `${formatBytes(done)} of ${formatBytes(total)}`];
  const speed = formatRate(rate);
  if (speed) parts.push(speed);
  const remaining = done < total ? formatTimeLeft(left) : null;
  if (remaining) parts.push(remaining);
  return parts.join(' · ');
}

class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

export function mountUpload(ctx) {
  const { store, api } = ctx;
  const resume = new ResumeStore();
  const upload = () => store.state.upload;
  const setRow = (i, fields) => {
    const rows = upload().rows.slice();
    rows[i] = { ...rows[i], ...fields };
    store.patch('upload', { rows });
  };
  const setItem = (id, fields) => store.patch('upload', { itemStatus: { ...upload().itemStatus, [id]: { ...upload().itemStatus[id], ...fields } } });
  const active = (id, on) => {
    const set = new Set(upload().active);
    if (on) set.add(id);
    else set.delete(id);
    store.patch('upload', { active: set });
  };

  /** The AbortController of the work in flight (hashing, declaring or sending), if any. */
  let controller = null;

  /** Sends the job's files in turn: 'done', 'interrupted' (Resume can go on) or 'cancelled'. */
  async function runJob(signal) {
    const job = upload().job;
    for (let i = 0; i < job.records.length; i++) {
      const record = job.records[i];
      if (record.done) continue;
      active(record.dataset_id, true);
      const meter = progressMeter();
      setRow(i, { phase: 'uploading', fraction: 0, resumable: false, message: 'Starting the upload…' });
      try {
        await sendFile({
          api,
          store: resume,
          record,
          file: job.files[i],
          signal,
          onProgress: (sent, total) => {
            if (signal.aborted) return;
            setRow(i, { phase: 'uploading', fraction: total ? sent / total : 1, resumable: false, message: progressWords('Uploading', sent, total, meter) });
          },
        });
        record.done = true;
        setRow(i, { phase: 'done', fraction: 1, message: 'Uploaded. The server validates it next.' });
      } catch (error) {
        if (signal.aborted) return 'cancelled';
        if (error.status === 401) return 'interrupted';
        const interrupted = error instanceof UploadInterrupted;
        setRow(i, {
          phase: 'interrupted',
          message: interrupted ? error.message : `Upload interrupted: ${error.message}`,
          resumable: !interrupted || error.retryable,
        });
        store.patch('upload', { error: 'Upload interrupted. Resume sends only what is missing; Cancel deletes it.' });
        return 'interrupted';
      } finally {
        active(record.dataset_id, false);
      }
    }
    const name = upload().sampleName;
    store.patch('upload', { error: null, job: null, outcome: { name, count: job.records.length } });
    store.patch('datasets', { lastChange: Date.now() });
    store.dispatch('listUnfinished');
    store.dispatch('refreshSamples');
    return 'done';
  }

  /** Deletes what the server created for a cancelled upload; says what is left, if anything. */
  async function discardOnServer(datasetIds) {
    const left = [];
    for (const id of datasetIds) {
      resume.remove(id);
      try {
        await api.deleteDataset(id);
      } catch (error) {
        if (error.status !== 404) left.push(`${id} (${error.message})`);
      }
    }
    return left;
  }

  async function finishCancel(datasetIds) {
    store.patch('upload', { rows: upload().rows.map((r) => ({ ...r, phase: 'cancelling', message: 'Cancelling…' })) });
    const left = await discardOnServer(datasetIds);
    store.patch('upload', {
      job: null,
      error: left.length ? `Cancelled, but the server still holds ${left.join(', ')}: delete it from the list.` : null,
      cancelled: left.length ? null : datasetIds.length ? 'Upload cancelled. What the server had started was deleted: nothing was kept.' : 'Upload cancelled before anything was sent: nothing was kept.',
      rows: upload().rows.map((r) => ({ ...r, phase: 'cancelled', fraction: 0, message: 'Cancelled' })),
    });
    store.dispatch('listUnfinished');
    store.dispatch('refreshSamples');
  }

  store.register({
    async startUpload(files, sampleName, specimen) {
      if (files.length < 1 || files.length > 2 || upload().busy) return;
      controller = new AbortController();
      const { signal } = controller;
      store.patch('upload', {
        busy: true,
        error: null,
        cancelled: null,
        outcome: null,
        job: null,
        sampleName: sampleName || null,
        subscriptionRequired: false,
        rows: files.map((f) => ({ filename: f.name, size: f.size, phase: 'waiting', fraction: 0, message: 'Waiting' })),
      });
      let created = [];
      try {
        const declarations = [];
        for (let i = 0; i < files.length; i++) {
          const meter = progressMeter();
          const sha256 = await hashFileInWorker(files[i], (done, total) => {
            if (signal.aborted) return;
            setRow(i, { phase: 'hashing', fraction: total ? done / total : 1, message: progressWords('Hashing', done, total, meter) });
          }, HASH_CHUNK, signal);
          if (signal.aborted) throw new Cancelled();
          setRow(i, { phase: 'hashed', fraction: 0, message: i + 1 < files.length ? 'Hashed; waiting for the other file…' : 'Hashed; asking for an upload link…' });
          declarations.push({ filename: files[i].name, size: files[i].size, sha256 });
        }
        const answer = await api.createUpload({
          files: declarations,
          ...(sampleName ? { sample_name: sampleName } : {}),
          ...(specimen ? { specimen } : {}),
        });
        created = answer.datasets.map((d) => d.dataset_id);
        if (signal.aborted) throw new Cancelled();
        const records = answer.datasets.map((dataset, i) => {
          const record = newRecord(store.state.session.address, answer.sample_id, files[i], declarations[i].sha256, dataset);
          resume.save(record);
          return record;
        });
        store.patch('upload', { job: { files, records, sampleId: answer.sample_id } });
        $('upload-form').reset();
        updateFileSummary(true);
        const outcome = await runJob(signal);
        if (outcome === 'cancelled') throw new Cancelled();
      } catch (error) {
        if (signal.aborted || error instanceof Cancelled || error instanceof HashCancelled) {
          await finishCancel(created);
          return;
        }
        if (error.status !== 401) {
          store.patch('upload', {
            error: error.message,
            subscriptionRequired: error.code === 'subscription_required',
          });
        }
        store.patch('upload', { rows: upload().rows.map((r) => (r.phase === 'done' ? r : { ...r, phase: 'failed', fraction: 0, message: 'Not uploaded' })) });
      } finally {
        if (controller?.signal === signal) controller = null;
        store.patch('upload', { busy: false });
      }
    },
    /** Cancel at any stage: stops the hashing or the requests, then deletes the server's records. */
    async cancelUpload() {
      if (controller) {
        controller.abort();
        return;
      }
      const job = upload().job;
      if (job) await finishCancel(job.records.map((r) => r.dataset_id));
    },
    async resumeUpload() {
      if (upload().busy || !upload().job) return;
      controller = new AbortController();
      const { signal } = controller;
      store.patch('upload', { busy: true, error: null });
      try {
        const outcome = await runJob(signal);
        if (outcome === 'cancelled') await finishCancel(upload().job.records.map((r) => r.dataset_id));
      } finally {
        if (controller?.signal === signal) controller = null;
        store.patch('upload', { busy: false });
        store.dispatch('listUnfinished');
      }
    },
    listUnfinished() {
      const { session } = store.state;
      const jobIds = new Set((upload().job?.records || []).map((r) => r.dataset_id));
      const records = session ? resume.list(session.address).filter((r) => !jobIds.has(r.dataset_id) && !upload().active.has(r.dataset_id)) : [];
      store.patch('upload', { unfinished: records });
    },
    dropFinishedUploads(datasets) {
      let dropped = false;
      for (const d of datasets) {
        if (d.status !== 'pending' && resume.load(d.dataset_id)) {
          resume.remove(d.dataset_id);
          dropped = true;
        }
      }
      if (dropped) store.dispatch('listUnfinished');
    },
    async discardUnfinished(id) {
      setItem(id, { busy: true, message: 'Discarding…' });
      const left = await discardOnServer([id]);
      if (left.length) {
        setItem(id, { busy: false, message: `Could not delete it on the server: ${left.join(', ')}` });
        return;
      }
      store.dispatch('listUnfinished');
      store.dispatch('refreshSamples');
    },
    async resumeUnfinished(record, file) {
      if (file.size !== record.size) {
        setItem(record.dataset_id, { message: `That file is ${formatBytes(file.size)}; the upload is of ${formatBytes(record.size)}. Choose ${record.filename}.` });
        return;
      }
      setItem(record.dataset_id, { busy: true });
      active(record.dataset_id, true);
      try {
        const sha256 = await hashFileInWorker(file, (done, all) => {
          setItem(record.dataset_id, { fraction: all ? done / all : 1, message: `Checking the file… ${formatPercent(all ? done / all : 1, 0)}` });
        });
        if (sha256 !== record.sha256) {
          setItem(record.dataset_id, { message: 'That is not the same file (its SHA-256 differs). Choose the file you started uploading.' });
          return;
        }
        const meter = progressMeter();
        await sendFile({
          api,
          store: resume,
          record,
          file,
          onProgress: (done, all) => {
            setItem(record.dataset_id, { fraction: all ? done / all : 1, message: progressWords('Uploading', done, all, meter) });
          },
        });
        setItem(record.dataset_id, { message: 'Uploaded — validating on the server' });
        store.patch('datasets', { lastChange: Date.now() });
        store.dispatch('refreshDatasets');
        setTimeout(() => store.dispatch('listUnfinished'), 1500);
      } catch (error) {
        if (error.status === 401) return;
        setItem(record.dataset_id, { message: error instanceof UploadInterrupted ? error.message : `Upload interrupted: ${error.message}` });
      } finally {
        setItem(record.dataset_id, { busy: false });
        active(record.dataset_id, false);
      }
    },
  });

  const selectedFiles = () => [...$('file-input').files];

  /** Says what was chosen; `keepMessages` after the form was reset by an upload that started. */
  function updateFileSummary(keepMessages = false) {
    const files = selectedFiles();
    const summary = $('file-summary');
    let problem = '';
    summary.textContent = '';
    if (files.length > 2) {
      problem = `You chose ${files.length} files. A sample is one file, or two for a read pair.`;
    } else if (files.length > 0) {
      const names = files.map((f) => `${f.name} (${formatBytes(f.size)})`).join(' and ');
      summary.textContent = files.length === 2 ? `Read pair: ${names}` : `One file: ${names}`;
      if (files.some((f) => f.size === 0)) problem = 'An empty file cannot be uploaded.';
    }
    if (keepMessages === true) {
      store.patch('upload', {});
      return;
    }
    // A new choice of files replaces what was said about the last one.
    store.patch('upload', { error: problem || null, subscriptionRequired: false, cancelled: null, outcome: upload().busy ? upload().outcome : null });
  }

  /** The specimen fields given, or null when none is. */
  function readSpecimen() {
    const specimen = {};
    for (const [field, id] of [['specimen_id', 'specimen-id'], ['collection_date', 'collection-date'], ['submitter', 'submitter']]) {
      const value = $(id).value.trim();
      if (value) specimen[field] = value;
    }
    return Object.keys(specimen).length ? specimen : null;
  }

  $('file-input').addEventListener('change', () => updateFileSummary());
  $('upload-form').addEventListener('submit', (event) => {
    event.preventDefault();
    store.dispatch('startUpload', selectedFiles(), $('sample-name').value.trim(), readSpecimen());
  });
  $('cancel-upload').addEventListener('click', () => store.dispatch('cancelUpload'));

  // Leaving or reloading the page while files are hashed or sent loses that work: ask first.
  window.addEventListener('beforeunload', (event) => {
    if (!upload().busy) return;
    event.preventDefault();
    event.returnValue = '';
  });

  store.watch((s) => s.session, ({ session }) => {
    if (!session && !upload().busy) store.patch('upload', { job: null, rows: [], error: null, cancelled: null, outcome: null });
    store.dispatch('listUnfinished');
  });

  // Progress rebuilds the rows, the outcome and the unfinished list many times a second: the
  // focused Resume, Discard or "follow it in your samples" keeps its focus.
  watchScreen(store, (s) => s.upload, 'app-view', renderUpload);

  function renderUpload({ upload: u }) {
    const files = selectedFiles();
    $('upload-button').disabled = u.busy || files.length < 1 || files.length > 2 || files.some((f) => f.size === 0);
    const cancel = $('cancel-upload');
    const cancellable = u.busy || Boolean(u.job);
    if (!cancellable && cancel === document.activeElement) $('upload-heading').focus();
    cancel.hidden = !cancellable;
    cancel.disabled = u.rows.some((r) => r.phase === 'cancelling');
    const error = $('upload-error');
    clear(error);
    error.hidden = !u.error;
    if (u.error) {
      error.append(u.error);
      if (u.subscriptionRequired) {
        error.append(' ', h('a', { href: '#/subscription', dataset: { testid: 'subscribe-link' } }, 'Subscribe on the subscription screen'), ', then upload again.');
      }
    }
    const outcome = $('upload-outcome');
    clear(outcome);
    const said = u.cancelled || u.outcome;
    outcome.hidden = !said;
    outcome.className = u.cancelled ? 'outcome cancelled' : 'outcome done';
    if (u.cancelled) outcome.append(u.cancelled);
    else if (u.outcome) {
      outcome.append(
        u.outcome.name ? `“${u.outcome.name}” is uploaded. ` : 'The sample is uploaded. ',
        'GenoFlow validates and analyses it next: ',
        h('a', { href: '#/', dataset: { testid: 'go-to-samples' } }, 'follow it in your samples'),
        '.',
      );
    }
    const area = $('upload-progress');
    clear(area);
    area.hidden = u.rows.length === 0;
    for (const row of u.rows) {
      const bar = h('progress', { max: 1, 'aria-label': `${row.filename}: ${row.phase}` });
      if (row.fraction === null) bar.removeAttribute('value');
      else bar.value = row.fraction;
      area.append(h('div', { class: 'progress-row', dataset: { filename: row.filename, phase: row.phase } },
        h('div', { class: 'progress-label' }, h('strong', { class: 'filename' }, row.filename), ' ', h('span', { class: 'muted small' }, formatBytes(row.size))),
        bar,
        h('div', { class: 'progress-line' }, h('span', { class: 'progress-text' }, row.message),
          h('span', { class: 'progress-actions' }, row.phase === 'interrupted' && row.resumable && !u.busy
            ? h('button', { type: 'button', class: 'secondary small-button', dataset: { testid: 'resume-button' }, onclick: () => store.dispatch('resumeUpload') }, 'Resume')
            : null))));
    }
    const list = $('unfinished-list');
    clear(list);
    for (const record of u.unfinished) list.append(unfinishedItem(record, u.itemStatus[record.dataset_id] || {}));
    $('unfinished').hidden = u.unfinished.length === 0;
  }

  function unfinishedItem(record, status) {
    const total = record.upload.multipart ? record.upload.parts.length : 1;
    const sent = record.upload.multipart ? Object.keys(record.parts).length : 0;
    const input = h('input', { type: 'file', 'aria-label': `Choose ${record.filename} again`, disabled: status.busy,
      onchange: () => input.files[0] && store.dispatch('resumeUnfinished', record, input.files[0]) });
    return h(
      'li',
      { dataset: { testid: 'unfinished-upload', datasetId: record.dataset_id } },
      h('div', {}, h('strong', {}, record.filename), ' ', h('span', { class: 'muted small' }, `${formatBytes(record.size)} · ${record.upload.multipart ? `${sent} of ${total} parts sent` : 'not sent'}`)),
      h('progress', { max: 1, value: status.fraction ?? (record.upload.multipart ? sent / total : 0) }),
      linksExpired(record)
        ? h('p', { class: 'error small' }, 'The upload links have expired. Discard this and upload the file again.')
        : h('label', { class: 'small' }, 'Choose the same file to resume: ', input),
      h('span', { class: 'muted small' }, status.message || ''),
      h('button', { type: 'button', class: 'link', disabled: status.busy, dataset: { testid: 'discard-upload' }, 'aria-label': `Discard the upload of ${record.filename}`, onclick: () => store.dispatch('discardUnfinished', record.dataset_id) }, 'Discard'),
    );
  }
}
