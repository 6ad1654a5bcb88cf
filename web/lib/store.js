// The page's one state object, and how it changes.
//
// Views (views/*.js) render from the state and change it only by dispatching actions
// (store.dispatch(name, ...args)); actions do the I/O and then replace whole slices with
// store.set(slice, {...}) or store.patch(slice, fields), which notifies the subscribers of
// that slice. Slices are never mutated in place, so a view can tell by identity whether
// what it shows has changed.
//
// The shape of the state (every slice is present from the start):
//
//   config       {api_base, chain_id, network, dev_key, node_base, contracts} (config.json)
//   configProblem  string | null: why config.json could not be read
//   session      null | {token, address, expires, kind: 'wallet' | 'dev'}
//   route        {name: 'signin' | 'datasets' | 'upload' | 'dataset' | 'marketplace' | 'purchases' |
//                       'profile' | 'subscription', id?: string}
//   notice       null | {message, kind: 'info' | 'warn' | 'error'}
//   datasets     {items: [dataset], next: cursor | null, olderIds: Set | null,
//                 error: string | null, lastChange: ms}
//   samples      {items: [sample view], next: cursor | null, error: string | null,
//                 loading: bool, fallback: bool (no GET /samples: GET /datasets grouped),
//                 query: {q, status, result, sort: 'newest' | 'oldest' | 'name'},
//                 loaded: bool}: the list's rows, one per sample
//   detail       null | {id, dataset, report, proof, loadError, reportError, proofError,
//                        confirming: bool, download: {[dataset_id]: {url} | {error}},
//                        oracle: null | {catalogue: entry | null, genes: {[symbol]: entry}}}
//                 (oracle: the attestations of the report's catalogue and evidence genes;
//                 an entry is {attestation} or {error: {code, message}}, null/absent while read)
//   upload       {busy: bool, error: string | null, subscriptionRequired: bool,
//                 rows: [{filename, size, phase, fraction, message, resumable}],
//                 (phase: waiting | hashing | hashed | uploading | done | interrupted |
//                 failed | cancelling | cancelled), cancelled: string | null (what a
//                 cancel left: said on the upload screen), outcome: null | {name, count}
//                 (a finished upload), sampleName: string | null,
//                 job: null | {files, records}, unfinished: [resume record], active: Set of
//                 dataset ids being sent, itemStatus: {[dataset_id]: {message, fraction, busy}}}
//   profile      {loading, error, identity: null | {name, role, roleName, verified,
//                 registeredAt}, reputation: null | {ratings, total, verifiedRatings,
//                 verifiedTotal, endorsements}, loaded: bool}
//   marketplace  {loading, error, listings: [listing], next: cursor | null, loaded: bool}
//   purchases    {loading, error, items: [purchase], reputations: {[address]: reputation},
//                 ratings: {[listing_id]: score | null}, loaded: bool}
//   subscription {loading, error, plans: [{id, price, duration, active}],
//                 current: null | {planId, expiresAt, active}, loaded: bool}
//   txs          {[key]: {label, status: 'signing' | 'pending' | 'success' | 'failed' |
//                 'not_sent', txid?, message?, code?}}: every transaction the page sent,
//                 under the key of what it was for (e.g. "buy:3", "register:{sample_id}")
//   drafts       {[field]: text}: what the user is typing; kept without re-rendering

export function initialState(config = null, configProblem = null) {
  return {
    config,
    configProblem,
    session: null,
    route: { name: 'signin' },
    notice: null,
    datasets: { items: [], next: null, olderIds: null, error: null, lastChange: Date.now() },
    samples: { items: [], next: null, error: null, loading: false, fallback: false, query: { q: '', status: '', result: '', sort: 'newest' }, loaded: false },
    detail: null,
    upload: { busy: false, error: null, subscriptionRequired: false, cancelled: null, outcome: null, sampleName: null, rows: [], job: null, unfinished: [], active: new Set(), itemStatus: {} },
    profile: { loading: false, error: null, identity: null, reputation: null, loaded: false },
    marketplace: { loading: false, error: null, listings: [], next: null, loaded: false },
    purchases: { loading: false, error: null, items: [], reputations: {}, ratings: {}, loaded: false },
    subscription: { loading: false, error: null, plans: [], current: null, loaded: false },
    txs: {},
    drafts: {},
  };
}

export class Store {
  constructor(state) {
    this.state = state;
    this.listeners = new Set();
    this.actions = {};
  }

  /** Replaces slices: store.set({route: {...}, notice: null}). */
  set(slices) {
    this.state = { ...this.state, ...slices };
    this.notify();
  }

  /** Replaces one slice with a copy holding the given fields. */
  patch(slice, fields) {
    this.set({ [slice]: { ...this.state[slice], ...fields } });
  }

  /** Keeps what the user types (no re-render). */
  draft(field, text) {
    this.state.drafts[field] = text;
  }

  /**
   * Calls fn(state) now and whenever the value `select(state)` returns is a different
   * object (or value) from the last time. Returns the unsubscribe function.
   */
  watch(select, fn) {
    let last = {};
    const listener = () => {
      const now = select(this.state);
      if (Array.isArray(now) ? now.some((v, i) => v !== last[i]) || now.length !== last.length : now !== last) {
        last = now;
        fn(this.state);
      }
    };
    this.listeners.add(listener);
    listener();
    return () => this.listeners.delete(listener);
  }

  notify() {
    for (const listener of [...this.listeners]) listener();
  }

  /** Registers actions: {name: (...args) => ...}. */
  register(actions) {
    for (const name of Object.keys(actions)) {
      if (this.actions[name]) throw new Error(`action ${name} registered twice`);
    }
    Object.assign(this.actions, actions);
  }

  dispatch(name, ...args) {
    const action = this.actions[name];
    if (!action) throw new Error(`no action ${name}`);
    return action(...args);
  }
}
