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
  upload: ['app-view', 'upload-page'],
  dataset: ['app-view', 'detail-page'],
  marketplace: ['marketplace-page'],
  purchases: ['purchases-page'],
  profile: ['profile-page'],
  subscription: ['subscription-page'],
  signin: ['signin-view'],
};
const ALL_PAGES = ['signin-view', 'app-view', 'list-page', 'upload-page', 'detail-page', 'marketplace-page', 'purchases-page', 'profile-page', 'subscription-page'];

export function parseRoute(hash) {
  const dataset = /^#\/datasets\/([^/]+)$/.exec(hash);
  if (dataset) return { name: 'dataset', id: decodeURIComponent(dataset[1]) };
  const named = /^#\/(upload|marketplace|purchases|profile|subscription)$/.exec(hash);
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

/**
 * Moves the keyboard focus to the heading of the view now shown (its `.view-heading`, else its
 * first h1, else its first h2), made focusable with tabindex=-1, so that a keyboard or screen
 * reader user starts reading the new view instead of the top of the page. A view that renders
 * its heading later (a sample's page after its read) is waited for, up to `waitMs`; focus the
 * user has moved themselves in the meantime is left alone.
 */
export function focusViewHeading(pageIds, waitMs = 4000) {
  const started = Date.now();
  const before = document.activeElement;
  const root = document.getElementById(pageIds.at(-1));
  const find = () => {
    if (!root || root.hidden) return null;
    const heading = root.querySelector('.view-heading') || root.querySelector('h1') || root.querySelector('h2');
    return heading && heading.getClientRects().length ? heading : null;
  };
  const attempt = () => {
    const moved = document.activeElement !== before && document.activeElement !== document.body && document.activeElement?.closest?.('main');
    if (moved && document.activeElement.offsetParent !== null) return;
    const heading = find();
    if (heading) {
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: false });
      keep(Date.now());
      return;
    }
    if (Date.now() - started < waitMs) setTimeout(attempt, 100);
  };
  // A view that re-renders its heading right after (the report as its reads arrive) drops the
  // focus to <body>: put it back on the new heading for a few seconds, unless the user moved on.
  const keep = (since) => {
    if (Date.now() - since > waitMs || !root || root.hidden) return;
    setTimeout(() => {
      if (document.activeElement === document.body || document.activeElement === null) {
        const heading = find();
        if (heading) {
          if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
          heading.focus({ preventScroll: true });
        }
      } else if (!document.activeElement.matches('h1, h2, .view-heading')) return;
      keep(since);
    }, 150);
  };
  attempt();
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
        samples: { ...store.state.samples, items: [], next: null, olderIds: null, loadedMore: false, error: null, loaded: false },
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

  let lastShown = null;
  store.watch((s) => [s.route, s.session], ({ route, session, config }) => {
    const page = shownPage(route, session);
    const shownKey = `${page}:${route.id ?? ''}`;
    if (lastShown !== null && lastShown !== shownKey) {
      // After the views below have rendered for the new route.
      setTimeout(() => focusViewHeading(PAGES[page]), 0);
    }
    lastShown = shownKey;
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
      if (link.dataset.route === active) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  });

  $('sign-out').addEventListener('click', () => store.dispatch('signOut'));
  window.addEventListener('hashchange', () => store.dispatch('route'));
}
