// "Your datasets": GET /datasets, newest first, refreshed every 2 s while anything is still
// moving (every 10 s after two quiet minutes, not while the tab is hidden).

import { clear, h } from '../lib/dom.js';
import { FINAL_STATUSES, describeProblem, formatBytes, formatDate, statusWords } from '../lib/format.js';

const $ = (id) => document.getElementById(id);
export const FAST_POLL_MS = 2000;
export const SLOW_POLL_MS = 10000;
export const QUIET_AFTER_MS = 120000;

export function statusBadge(status) {
  return h('span', { class: `status status-${status}` }, statusWords(status));
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

function changed(before, after) {
  const old = new Map(before.map((d) => [d.dataset_id, d.status]));
  return after.length !== before.length || after.some((d) => old.get(d.dataset_id) !== d.status);
}

export function mountDatasets(ctx) {
  const { store, api } = ctx;
  const onList = () => store.state.session && store.state.route.name === 'datasets';
  const poll = poller(store, () => store.dispatch('refreshDatasets'), () => onList() && store.state.datasets.items.some((d) => !FINAL_STATUSES.has(d.status)));

  store.register({
    async refreshDatasets() {
      if (!store.state.session) return;
      try {
        const page = await api.listDatasets();
        const fresh = page.datasets || [];
        const list = store.state.datasets;
        const freshIds = new Set(fresh.map((d) => d.dataset_id));
        // Keep older pages the user loaded, below the refreshed first page.
        const older = list.items.filter((d) => !freshIds.has(d.dataset_id) && list.olderIds?.has(d.dataset_id));
        store.set({
          datasets: {
            ...list,
            items: [...fresh, ...older],
            next: !list.olderIds || list.olderIds.size === 0 ? page.next || null : list.next,
            error: null,
            lastChange: changed(list.items, fresh) ? Date.now() : list.lastChange,
          },
        });
        store.dispatch('dropFinishedUploads', fresh);
      } catch (error) {
        if (error.status !== 401) store.patch('datasets', { error: error.message });
      }
      poll.schedule();
    },
    async loadMoreDatasets() {
      const list = store.state.datasets;
      if (!list.next) return;
      try {
        const page = await api.listDatasets(list.next);
        const olderIds = new Set(list.olderIds || []);
        const known = new Set(list.items.map((d) => d.dataset_id));
        const added = (page.datasets || []).filter((d) => !known.has(d.dataset_id));
        added.forEach((d) => olderIds.add(d.dataset_id));
        store.patch('datasets', { items: [...list.items, ...added], olderIds, next: page.next || null });
      } catch (error) {
        if (error.status !== 401) store.patch('datasets', { error: error.message });
      }
    },
  });

  store.watch((s) => [s.route, s.session], () => {
    if (onList()) store.dispatch('refreshDatasets');
    else poll.stop();
  });

  store.watch((s) => s.datasets, ({ datasets }) => {
    const body = $('dataset-rows');
    clear(body);
    for (const d of datasets.items) {
      const open = () => (location.hash = `#/datasets/${encodeURIComponent(d.dataset_id)}`);
      body.append(
        h(
          'tr',
          {
            class: 'clickable',
            tabindex: 0,
            dataset: { testid: 'dataset-row', status: d.status, datasetId: d.dataset_id, filename: d.filename },
            onclick: open,
            onkeydown: (event) => event.key === 'Enter' && open(),
          },
          h('td', {}, h('div', { class: 'filename' }, d.filename), d.format ? h('span', { class: 'muted small' }, d.format) : null,
            d.error ? h('div', { class: 'row-error small' }, describeProblem(d.error)) : null),
          h('td', { class: 'num' }, formatBytes(d.size)),
          h('td', {}, statusBadge(d.status)),
          h('td', { class: 'muted' }, formatDate(d.created_at)),
        ),
      );
    }
    $('list-error').textContent = datasets.error || '';
    $('list-error').hidden = !datasets.error;
    $('empty-list').hidden = datasets.items.length > 0;
    $('load-more').hidden = !datasets.next;
  });

  $('refresh').addEventListener('click', () => store.dispatch(store.state.route.name === 'dataset' ? 'refreshDetail' : 'refreshDatasets'));
  $('load-more').addEventListener('click', () => store.dispatch('loadMoreDatasets'));
}
