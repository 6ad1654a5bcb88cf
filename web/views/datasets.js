// "Your samples": one row per sample (a read pair is one row) from GET /samples, with its name,
// files, the whole sample's status (and why, when it failed) and the result in short; search,
// filter by status and result, sort, and "Load more". Against a server without GET /samples
// (404) the page groups GET /datasets' rows by sample_id and filters them itself
// (lib/samples.js). Refreshed every 2 s while anything is still moving (every 10 s after two
// quiet minutes, not while the tab is hidden). Opening a row opens the sample's report (the
// page of its first file: one sample, one report).

import { append, clear, h, keepingFocus } from '../lib/dom.js';
import { describeProblem, formatBytes, formatDate, statusWords } from '../lib/format.js';
import {
  RESULT_FILTERS,
  SAMPLE_STATUSES,
  SETTLED_SAMPLE_STATUSES,
  SORTS,
  fileStatusWords,
  filterSamples,
  groupDatasets,
  resultSummary,
  sampleStatusWords,
} from '../lib/samples.js';

const $ = (id) => document.getElementById(id);
export const FAST_POLL_MS = 2000;
export const SLOW_POLL_MS = 10000;
export const QUIET_AFTER_MS = 120000;
/** Samples per page of the list. */
export const PAGE_SIZE = 50;

export function statusBadge(status) {
  return h('span', { class: `status status-${status}` }, statusWords(status));
}

export function sampleBadge(status) {
  return h('span', { class: `status sample-status-${status}`, dataset: { testid: 'sample-status' } }, sampleStatusWords(status));
}

/** A poller that runs `tick` while `wanted()` holds, fast until two quiet minutes pass. */
export function poller(store, tick, wanted) {
  let timer = null;
  const stop = () => {
    clearTimeout(timer);
    timer = null;
  };
  const schedule = () => {
    stop();
    if (!wanted()) return;
    const quiet = Date.now() - store.state.datasets.lastChange > QUIET_AFTER_MS;
    timer = setTimeout(() => {
      timer = null;
      if (document.hidden) schedule();
      else tick();
    }, quiet ? SLOW_POLL_MS : FAST_POLL_MS);
  };
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !timer) schedule();
  });
  return { schedule, stop };
}

const fingerprint = (samples) => samples.map((s) => `${s.sample_id}:${s.status}:${s.files.map((f) => f.status).join(',')}`).join('|');

/** The sample's page: its first file's (one sample, one report). */
export function sampleHref(sample) {
  const id = sample.files[0]?.dataset_id || sample.dataset_ids?.[0];
  return id ? `#/datasets/${encodeURIComponent(id)}` : null;
}

export function mountDatasets(ctx) {
  const { store, api } = ctx;
  const onList = () => store.state.session && store.state.route.name === 'datasets';
  const poll = poller(store, () => store.dispatch('refreshSamples'), () => onList() && store.state.samples.items.some((s) => !SETTLED_SAMPLE_STATUSES.has(s.status)));
  const list = () => store.state.samples;
  let generation = 0;

  /** One page: GET /samples, or GET /datasets grouped when the server has no /samples. */
  async function fetchPage(query, cursor) {
    if (!list().fallback) {
      try {
        const page = await api.listSamples({ ...query, cursor, limit: PAGE_SIZE });
        return { items: page.samples || [], next: page.next || null, truncated: Boolean(page.truncated), fallback: false };
      } catch (error) {
        if (error.status !== 404) throw error;
      }
    }
    // The fallback reads every page of GET /datasets (a server without /samples is an old
    // one, with few rows), groups them and filters here.
    const rows = [];
    let next = null;
    let pages = 0;
    do {
      const page = await api.listDatasets(next);
      rows.push(...(page.datasets || []));
      next = page.next || null;
      pages += 1;
    } while (next && pages < 20);
    return { items: filterSamples(groupDatasets(rows), query), next: null, truncated: Boolean(next), fallback: true };
  }

  store.register({
    async refreshSamples() {
      if (!store.state.session) return;
      const mine = ++generation;
      const query = list().query;
      store.patch('samples', { loading: true });
      try {
        const page = await fetchPage(query);
        if (mine !== generation) return;
        const current = list();
        const freshIds = new Set(page.items.map((s) => s.sample_id));
        // Keep the older pages the user loaded, below the refreshed first page.
        const older = current.loadedMore ? current.items.filter((s) => !freshIds.has(s.sample_id) && current.olderIds?.has(s.sample_id)) : [];
        const items = [...page.items, ...older];
        const changed = fingerprint(items) !== fingerprint(current.items);
        store.set({
          samples: {
            ...current,
            items,
            next: older.length ? current.next : page.next,
            truncated: page.truncated,
            fallback: page.fallback,
            error: null,
            loading: false,
            loaded: true,
          },
          datasets: {
            ...store.state.datasets,
            items: items.flatMap((s) => s.files.map((f) => ({ ...f, sample_id: s.sample_id }))),
            lastChange: changed ? Date.now() : store.state.datasets.lastChange,
          },
        });
        store.dispatch('dropFinishedUploads', items.flatMap((s) => s.files));
      } catch (error) {
        if (mine !== generation) return;
        store.patch('samples', { loading: false, error: error.status === 401 ? null : error.message });
      }
      poll.schedule();
    },
    refreshDatasets() {
      return store.dispatch('refreshSamples');
    },
    async loadMoreSamples() {
      const current = list();
      if (!current.next) return;
      try {
        const page = await fetchPage(current.query, current.next);
        const known = new Set(current.items.map((s) => s.sample_id));
        const added = page.items.filter((s) => !known.has(s.sample_id));
        const olderIds = new Set(current.olderIds || []);
        added.forEach((s) => olderIds.add(s.sample_id));
        store.patch('samples', { items: [...current.items, ...added], olderIds, loadedMore: true, next: page.next });
      } catch (error) {
        if (error.status !== 401) store.patch('samples', { error: error.message });
      }
    },
    searchSamples(query) {
      const asked = { ...list().query, ...query };
      // The same question again (a typing pause after a filter already sent it) only refreshes:
      // emptying the list would drop the reader's place and focus.
      if (JSON.stringify(asked) === JSON.stringify(list().query)) return store.dispatch('refreshSamples');
      store.patch('samples', { query: asked, items: [], next: null, olderIds: null, loadedMore: false, loaded: false });
      return store.dispatch('refreshSamples');
    },
  });

  store.watch((s) => [s.route, s.session], () => {
    if (onList()) store.dispatch('refreshSamples');
    else poll.stop();
  });

  // The filter's choices.
  for (const status of SAMPLE_STATUSES) $('sample-status').append(h('option', { value: status }, sampleStatusWords(status)));
  for (const [value, words] of RESULT_FILTERS) $('sample-result').append(h('option', { value }, words));
  for (const [value, words] of SORTS) $('sample-sort').append(h('option', { value }, words));

  const readQuery = () => ({ q: $('sample-q').value.trim(), status: $('sample-status').value, result: $('sample-result').value, sort: $('sample-sort').value });
  $('sample-search').addEventListener('submit', (event) => {
    event.preventDefault();
    store.dispatch('searchSamples', readQuery());
  });
  for (const id of ['sample-status', 'sample-result', 'sample-sort']) $(id).addEventListener('change', () => store.dispatch('searchSamples', readQuery()));
  let typing = null;
  $('sample-q').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => store.dispatch('searchSamples', readQuery()), 350);
  });

  // A poll that changes nothing leaves the rows alone; one that does keeps the focused control.
  let shownRows = null;
  store.watch((s) => s.samples, ({ samples }) => {
    const rows = JSON.stringify(samples.items);
    if (rows !== shownRows) {
      shownRows = rows;
      const body = $('sample-rows');
      keepingFocus(body, () => append(clear(body), samples.items.map(sampleRow)));
    }
    $('list-error').textContent = samples.error || '';
    $('list-error').hidden = !samples.error;
    const filtered = Boolean(samples.query.q || samples.query.status || samples.query.result);
    const empty = samples.loaded && samples.items.length === 0;
    $('samples-table').hidden = samples.items.length === 0;
    const emptyLine = $('empty-list');
    emptyLine.hidden = !empty;
    if (empty) {
      clear(emptyLine);
      if (filtered) emptyLine.append('No sample matches this search or filter.');
      else emptyLine.append('No samples yet. ', h('a', { href: '#/upload' }, 'Upload one'), '.');
    }
    const note = $('list-note');
    note.hidden = !samples.truncated;
    note.textContent = samples.truncated ? 'This order covers your newest samples only: search or filter to find older ones.' : '';
    $('load-more').hidden = !samples.next;
    $('sample-q').value !== samples.query.q && document.activeElement !== $('sample-q') && ($('sample-q').value = samples.query.q);
  });

  function sampleRow(sample) {
    const href = sampleHref(sample);
    const name = sample.sample_name || 'Unnamed sample';
    const summary = resultSummary(sample.result);
    const specimen = sample.specimen || {};
    const specimenBits = [specimen.specimen_id && `Specimen ${specimen.specimen_id}`, specimen.collection_date && `collected ${specimen.collection_date}`, specimen.submitter && `from ${specimen.submitter}`].filter(Boolean);
    return h(
      'tr',
      {
        class: href ? 'clickable' : '',
        dataset: { testid: 'sample-row', sampleId: sample.sample_id, status: sample.status, name: sample.sample_name ?? '' },
        onclick: (event) => {
          if (!href || event.target.closest('a, button, input, select')) return;
          location.hash = href;
        },
      },
      h('td', { class: 'cell-sample', dataset: { label: 'Sample' } },
        href ? h('a', { class: 'sample-link', href, dataset: { testid: 'sample-link' } }, name) : h('span', { class: 'sample-link' }, name),
        sample.sample_name ? null : h('span', { class: 'visually-hidden' }, ` ${sample.sample_id}`),
        h('div', { class: 'muted small truncate', title: sample.sample_id }, h('span', { class: 'visually-hidden' }, 'Sample id '), sample.sample_id),
        specimenBits.length ? h('div', { class: 'muted small wrap-anywhere', dataset: { testid: 'specimen' } }, specimenBits.join(' · ')) : null),
      h('td', { class: 'cell-files', dataset: { label: 'Files' } },
        h('ul', { class: 'files' }, sample.files.map((file) => h('li', {
          dataset: { testid: 'sample-file', datasetId: file.dataset_id, filename: file.filename, status: file.status, sampleStatus: sample.status },
        },
        h('span', { class: 'filename' }, file.filename), ' ',
        h('span', { class: 'muted small nowrap' }, formatBytes(file.size)),
        h('div', { class: 'small file-status', dataset: { testid: 'file-status' } }, fileStatusWords(file, sample)),
        file.error ? h('div', { class: 'row-error small' }, describeProblem(file.error)) : null)))),
      h('td', { class: 'cell-status', dataset: { label: 'Status' } }, h('div', {},
        sampleBadge(sample.status),
        sample.status_reason ? h('div', { class: sample.status === 'failed' ? 'row-error small' : 'muted small', dataset: { testid: 'status-reason' } }, sample.status_reason) : null)),
      h('td', { class: 'cell-result', dataset: { label: 'Result', testid: 'sample-result' } }, h('div', {},
        summary
          ? [h('strong', { class: 'result-class' }, summary.classification), h('div', { class: 'small' }, summary.resistant), summary.notAssessed ? h('div', { class: 'muted small' }, summary.notAssessed) : null]
          : h('span', { class: 'muted small' }, sample.status === 'failed' ? 'No result' : 'Not analysed yet'))),
      h('td', { class: 'muted cell-date', dataset: { label: 'Uploaded' } }, formatDate(sample.created_at)),
    );
  }

  $('refresh').addEventListener('click', () => store.dispatch('refreshSamples'));
  $('load-more').addEventListener('click', () => store.dispatch('loadMoreSamples'));
}
