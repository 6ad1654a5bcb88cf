// Upload a sample: one file or a read pair, hashed in a Web Worker, declared with
// POST /uploads, sent to storage (one PUT or resumable multipart), and the unfinished
// uploads a reload left behind. A server that requires a subscription says so here, with
// a link to the subscription screen.

import { clear, h } from '../lib/dom.js';
import { formatBytes, formatPercent, formatRate } from '../lib/format.js';
import { ResumeStore, UploadInterrupted, hashFileInWorker, linksExpired, newRecord, sendFile } from '../lib/upload.js';

const $ = (id) => document.getElementById(id);

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

  async function runJob() {
    const job = upload().job;
    for (let i = 0; i < job.records.length; i++) {
      const record = job.records[i];
      if (record.done) continue;
      active(record.dataset_id, true);
      const rate = rateMeter();
      try {
        await sendFile({
          api,
          store: resume,
          record,
          file: job.files[i],
          onProgress: (sent, total) => {
            const fraction = total ? sent / total : 1;
            const speed = formatRate(rate(sent));
            setRow(i, { phase: 'uploading', fraction, resumable: false, message: `Uploading… ${formatPercent(fraction, 0)} · ${formatBytes(sent)} of ${formatBytes(total)}${speed ? ` · ${speed}` : ''}` });
          },
        });
        record.done = true;
        setRow(i, { phase: 'done', fraction: 1, message: 'Uploaded. The server validates it next: follow its status below.' });
      } catch (error) {
        if (error.status === 401) return;
        const interrupted = error instanceof UploadInterrupted;
        setRow(i, {
          phase: 'interrupted',
          message: interrupted ? error.message : `Upload interrupted: ${error.message}`,
          resumable: !interrupted || error.retryable,
        });
        store.patch('upload', { error: 'Upload interrupted. Resume sends only what is missing.' });
        return;
      } finally {
        active(record.dataset_id, false);
      }
    }
    store.patch('upload', { error: null, job: null });
    store.patch('datasets', { lastChange: Date.now() });
    store.dispatch('listUnfinished');
    store.dispatch('refreshDatasets');
  }

  store.register({
    async startUpload(files, sampleName) {
      if (files.length < 1 || files.length > 2 || upload().busy) return;
      store.patch('upload', {
        busy: true,
        error: null,
        subscriptionRequired: false,
        rows: files.map((f) => ({ filename: f.name, size: f.size, phase: 'waiting', fraction: 0, message: 'Waiting' })),
      });
      try {
        const declarations = [];
        for (let i = 0; i < files.length; i++) {
          const sha256 = await hashFileInWorker(files[i], (done, total) => {
            const fraction = total ? done / total : 1;
            setRow(i, { phase: 'hashing', fraction, message: `Hashing… ${formatPercent(fraction, 0)}` });
          });
          setRow(i, { phase: 'hashed', fraction: 0, message: 'Hashed; asking for an upload link…' });
          declarations.push({ filename: files[i].name, size: files[i].size, sha256 });
        }
        const answer = await api.createUpload({ files: declarations, ...(sampleName ? { sample_name: sampleName } : {}) });
        const records = answer.datasets.map((dataset, i) => {
          const record = newRecord(store.state.session.address, answer.sample_id, files[i], declarations[i].sha256, dataset);
          resume.save(record);
          return record;
        });
        store.patch('upload', { job: { files, records } });
        $('upload-form').reset();
        store.dispatch('refreshDatasets');
        await runJob();
      } catch (error) {
        if (error.status !== 401) {
          store.patch('upload', {
            error: error.message,
            subscriptionRequired: error.code === 'subscription_required',
          });
        }
        store.patch('upload', { rows: upload().rows.map((r) => (r.phase === 'done' ? r : { ...r, phase: 'failed', fraction: 0, message: 'Not uploaded' })) });
      } finally {
        store.patch('upload', { busy: false });
      }
    },
    async resumeUpload() {
      if (upload().busy || !upload().job) return;
      store.patch('upload', { busy: true, error: null });
      try {
        await runJob();
      } finally {
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
    discardUnfinished(id) {
      resume.remove(id);
      store.dispatch('listUnfinished');
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
        const rate = rateMeter();
        await sendFile({
          api,
          store: resume,
          record,
          file,
          onProgress: (done, all) => {
            const speed = formatRate(rate(done));
            setItem(record.dataset_id, { fraction: all ? done / all : 1, message: `Uploading… ${formatPercent(all ? done / all : 1, 0)}${speed ? ` · ${speed}` : ''}` });
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

  function updateFileSummary() {
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
    // A new choice of files replaces what was said about the last one.
    store.patch('upload', { error: problem || null, subscriptionRequired: false });
  }

  $('file-input').addEventListener('change', updateFileSummary);
  $('upload-form').addEventListener('submit', (event) => {
    event.preventDefault();
    store.dispatch('startUpload', selectedFiles(), $('sample-name').value.trim());
  });

  store.watch((s) => s.session, ({ session }) => {
    if (!session && !upload().busy) store.patch('upload', { job: null, rows: [], error: null });
    store.dispatch('listUnfinished');
  });

  store.watch((s) => s.upload, ({ upload: u }) => {
    const files = selectedFiles();
    $('upload-button').disabled = u.busy || files.length < 1 || files.length > 2 || files.some((f) => f.size === 0);
    const error = $('upload-error');
    clear(error);
    error.hidden = !u.error;
    if (u.error) {
      error.append(u.error);
      if (u.subscriptionRequired) {
        error.append(' ', h('a', { href: '#/subscription', dataset: { testid: 'subscribe-link' } }, 'Subscribe on the subscription screen'), ', then upload again.');
      }
    }
    const area = $('upload-progress');
    clear(area);
    area.hidden = u.rows.length === 0;
    for (const row of u.rows) {
      const bar = h('progress', { max: 1 });
      if (row.fraction === null) bar.removeAttribute('value');
      else bar.value = row.fraction;
      area.append(h('div', { class: 'progress-row', dataset: { filename: row.filename, phase: row.phase } },
        h('div', { class: 'progress-label' }, h('strong', {}, row.filename), ' ', h('span', { class: 'muted small' }, formatBytes(row.size))),
        bar,
        h('div', { class: 'progress-line' }, h('span', { class: 'progress-text' }, row.message),
          h('span', { class: 'progress-actions' }, row.phase === 'interrupted' && row.resumable
            ? h('button', { type: 'button', class: 'secondary small-button', dataset: { testid: 'resume-button' }, onclick: () => store.dispatch('resumeUpload') }, 'Resume')
            : null))));
    }
    const list = $('unfinished-list');
    clear(list);
    for (const record of u.unfinished) list.append(unfinishedItem(record, u.itemStatus[record.dataset_id] || {}));
    $('unfinished').hidden = u.unfinished.length === 0;
  });

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
      h('button', { type: 'button', class: 'link', onclick: () => store.dispatch('discardUnfinished', record.dataset_id) }, 'Discard'),
    );
  }
}
