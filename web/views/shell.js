// The frame around the screens: the route (from location.hash), which page shows, the
// navigation, the signed-in address, the notice line, and signing out.

import { clear, h } from '../lib/dom.js';

const $ = (id) => document.getElementById(id);
export const SESSION_KEY = 'genoflow.session';
export const EXPIRED_MESSAGE = 'Your sign-in has expired — sign in again';

/** Screens anyone may open; the others need a sign-in. */
const PUBLIC = new Set(['marketplace']);
const PAGES = {
  datasets: ['app-view', 'list-page'],
  dataset: ['app-view', 'detail-page'],
  marketplace: ['marketplace-page'],
  purchases: ['purchases-page'],
  profile: ['profile-page'],
  subscription: ['subscription-page'],
  signin: ['signin-view'],
};
const ALL_PAGES = ['signin-view', 'app-view', 'list-page', 'detail-page', 'marketplace-page', 'purchases-page', 'profile-page', 'subscription-page'];

export function parseRoute(hash) {
  const dataset = /^#\/datasets\/([^/]+)$/.exec(hash);
  if (dataset) return { name: 'dataset', id: decodeURIComponent(dataset[1]) };
  const named = /^#\/(marketplace|purchases|profile|subscription)$/.exec(hash);
  if (named) return { name: named[1] };
  return { name: 'datasets' };
}

/** The page a route shows with or without a session. */
export function shownPage(route, session) {
  return session || PUBLIC.has(route.name) ? route.name : 'signin';
}

export function loadSession(storage = globalThis.sessionStorage) {
  try {
    const session = JSON.parse(storage.getItem(SESSION_KEY));
    if (session && session.token && session.expires * 1000 > Date.now()) return session;
  } catch {
    // nothing stored
  }
  storage.removeItem(SESSION_KEY);
  return null;
}

export function mountShell(ctx) {
  const { store } = ctx;

  store.register({
    notify(message, kind = 'info') {
      store.set({ notice: { message, kind } });
    },
    hideNotice() {
      store.set({ notice: null });
    },
    route() {
      store.set({ route: parseRoute(location.hash) });
    },
    signedIn(session) {
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
      store.set({ session, notice: null, profile: { ...store.state.profile, loaded: false }, purchases: { ...store.state.purchases, loaded: false }, subscription: { ...store.state.subscription, loaded: false } });
    },
    signOut(message) {
      sessionStorage.removeItem(SESSION_KEY);
      store.set({
        session: null,
        detail: null,
        datasets: { items: [], next: null, olderIds: null, error: null, lastChange: Date.now() },
        notice: message ? { message, kind: 'warn' } : store.state.notice,
      });
    },
    unauthorized() {
      if (store.state.session) store.dispatch('signOut', EXPIRED_MESSAGE);
    },
  });

  store.watch((s) => s.notice, ({ notice }) => {
    const element = $('notice');
    clear(element);
    element.hidden = !notice;
    if (!notice) return;
    element.className = `notice ${notice.kind}`;
    element.append(
      h('span', {}, notice.message),
      h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: () => store.dispatch('hideNotice') }, '×'),
    );
  });

  store.watch((s) => [s.route, s.session], ({ route, session, config }) => {
    const page = shownPage(route, session);
    const show = new Set(PAGES[page]);
    for (const id of ALL_PAGES) $(id).hidden = !show.has(id);
    $('session').hidden = !session;
    if (session) {
      $('signed-in-address').textContent = session.address;
      $('signed-in-address').title = session.kind === 'dev' ? 'Signed in with the local development key' : 'Signed in with your wallet';
      $('network-pill').textContent = session.kind === 'dev' ? `${config.network} · dev key` : config.network;
    }
    const active = route.name === 'dataset' ? 'datasets' : route.name;
    for (const link of document.querySelectorAll('#nav a')) {
      link.classList.toggle('active', link.dataset.route === active);
    }
  });

  $('sign-out').addEventListener('click', () => store.dispatch('signOut'));
  window.addEventListener('hashchange', () => store.dispatch('route'));
}
