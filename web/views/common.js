// Pieces several screens show: a seller's reputation, and the line that says no chain is
// connected.

import { clear, h, keepingFocus } from '../lib/dom.js';
import { formatNumber } from '../lib/format.js';

/** Reputation from the chain ({verifiedRatings…}) or from the API ({verified_ratings…}). */
export function reputationText(rep) {
  if (!rep) return 'reputation unknown';
  const ratings = Number(rep.ratings ?? 0);
  const verifiedRatings = Number(rep.verifiedRatings ?? rep.verified_ratings ?? 0);
  const verifiedTotal = Number(rep.verifiedTotal ?? rep.verified_total ?? 0);
  const endorsements = Number(rep.endorsements ?? 0);
  const parts = [ratings
    ? `${formatNumber(Number(rep.total) / ratings, 1)} / 5 from ${ratings} ${ratings === 1 ? 'rating' : 'ratings'}`
    : 'no ratings yet'];
  if (verifiedRatings) parts.push(`${formatNumber(verifiedTotal / verifiedRatings, 1)} / 5 from ${verifiedRatings} verified`);
  parts.push(`${endorsements} ${endorsements === 1 ? 'endorsement' : 'endorsements'}`);
  return parts.join(' · ');
}

export function renderReputation(rep) {
  return h('span', { class: 'reputation', dataset: { testid: 'reputation', ratings: rep?.ratings ?? 0, total: rep?.total ?? 0 } }, reputationText(rep));
}

export function noChain(what) {
  return h('div', { class: 'card', dataset: { testid: 'no-chain' } },
    h('h1', {}, what),
    h('p', {}, 'No chain is connected to this GenoFlow server: identities, listings, purchases and subscriptions live on the Stacks chain, and this server has no Stacks node to read them from.'),
    h('p', { class: 'muted small' }, 'Its operator can connect one with genoflow serve --stacks-node URL.'));
}

/** The error line of a screen, or nothing. */
export function errorLine(message) {
  return message ? h('p', { class: 'error', role: 'alert' }, message) : null;
}

/**
 * Loads the slice of a screen that needs a session and the chain: `loading` while
 * read(address) runs, then the fields it resolves, or its error in words.
 */
export async function loadChainSlice(ctx, slice, read) {
  const { store } = ctx;
  const address = store.state.session?.address;
  if (!address || !ctx.chainReady) return false;
  store.patch(slice, { loading: true });
  try {
    store.patch(slice, { loading: false, loaded: true, error: null, ...(await read(address)) });
    return true;
  } catch (error) {
    store.patch(slice, { loading: false, loaded: true, error: error.status === 401 ? null : error.message });
    return false;
  }
}

/**
 * Renders the screen element `id` with `render(state, element)` each time `select` changes,
 * keeping keyboard focus on the control that had it (polls, a transaction's or an upload's
 * progress re-render the whole screen).
 */
export function watchScreen(store, select, id, render) {
  const element = document.getElementById(id);
  store.watch(select, (state) => keepingFocus(element, () => render(state, element)));
}

/** Loads a screen's slice when its route is shown to a signed-in user. */
export function loadOnRoute(ctx, route, action) {
  ctx.store.watch((s) => [s.route, s.session], ({ route: current, session, ...rest }) => {
    const slice = rest[route];
    if (current.name === route && session && !slice.loading) ctx.store.dispatch(action);
  });
}

/**
 * Clears a signed-in screen's page element; returns it, or null when there is nothing more to
 * show (signed out, or "no chain is connected" already shown).
 */
export function chainPage(ctx, element, title, session) {
  const page = clear(element);
  if (!session) return null;
  if (!ctx.chainReady) {
    page.append(noChain(title));
    return null;
  }
  return page;
}
