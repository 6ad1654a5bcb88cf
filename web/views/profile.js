// The profile: your identity on chain (register a name and a role, rename — which clears the
// verification), whether the owner verified it, and your reputation as a seller.

import { ROLES } from '../lib/contracts.js';
import { append, h } from '../lib/dom.js';
import { formatNumber } from '../lib/format.js';
import { chainPage, errorLine, loadChainSlice, loadOnRoute, reputationText, watchScreen } from './common.js';
import { busy, renderTx, runCall } from './tx.js';

export function mountProfile(ctx) {
  const { store } = ctx;

  store.register({
    loadProfile() {
      return loadChainSlice(ctx, 'profile', async (me) => {
        const reads = ctx.reads();
        const [identity, reputation] = await Promise.all([reads.identity(me), reads.reputation(me)]);
        return { identity, reputation };
      });
    },
    async registerIdentity(name, role) {
      const outcome = await runCall(ctx, 'identity', `Register “${name}”`, ctx.calls.registerIdentity(name, role));
      if (outcome.status === 'success') await store.dispatch('loadProfile');
    },
    async rename(name) {
      const outcome = await runCall(ctx, 'identity', `Rename to “${name}”`, ctx.calls.updateName(name));
      if (outcome.status === 'success') await store.dispatch('loadProfile');
    },
  });

  loadOnRoute(ctx, 'profile', 'loadProfile');

  watchScreen(store, (s) => [s.profile, s.txs.identity, s.session], 'profile-page', (state, element) => {
    const page = chainPage(ctx, element, 'Profile', state.session);
    if (!page) return;
    const { profile } = state;
    const tx = state.txs.identity;
    const card = h('section', { class: 'card', dataset: { testid: 'identity', registered: Boolean(profile.identity), verified: Boolean(profile.identity?.verified) } },
      h('h1', {}, 'Your identity'),
      h('p', { class: 'muted' }, h('code', {}, state.session.address)));
    page.append(card);
    append(card, errorLine(profile.error));
    if (!profile.loaded) {
      card.append(h('p', { class: 'muted' }, 'Reading the chain…'));
      return;
    }
    if (!profile.identity) {
      const name = h('input', { type: 'text', maxlength: 64, value: state.drafts.identityName ?? '', 'aria-label': 'Name', dataset: { testid: 'identity-name' }, oninput: (e) => store.draft('identityName', e.target.value) });
      const role = h('select', { 'aria-label': 'Role', dataset: { testid: 'identity-role' } },
        Object.entries(ROLES).map(([value, words]) => h('option', { value }, words)));
      append(card,
        h('p', {}, 'Register a name and a role on chain. Buyers see them next to your listings; the contract owner may verify them (for example after checking your institution).'),
        h('div', { class: 'listing-form' },
          h('label', { class: 'text' }, h('span', {}, 'Name'), name),
          h('label', { class: 'text narrow' }, h('span', {}, 'Role'), role),
          h('button', { type: 'button', class: 'primary', disabled: busy(tx), dataset: { testid: 'register-identity' },
            onclick: () => store.dispatch('registerIdentity', name.value.trim(), Number(role.value)) }, 'Register')),
        renderTx(ctx, tx, 'identity'),
      );
    } else {
      const identity = profile.identity;
      const rename = h('input', { type: 'text', maxlength: 64, value: state.drafts.rename ?? '', 'aria-label': 'New name', dataset: { testid: 'rename-input' }, oninput: (e) => store.draft('rename', e.target.value) });
      append(card,
        h('dl', { class: 'facts' },
          h('dt', {}, 'Name'), h('dd', { dataset: { testid: 'identity-shown-name' } }, identity.name),
          h('dt', {}, 'Role'), h('dd', {}, identity.roleName),
          h('dt', {}, 'Verified'), h('dd', { dataset: { testid: 'identity-verified' } }, identity.verified ? h('span', { class: 'ok' }, 'Verified by GenoFlow') : 'Not verified'),
          h('dt', {}, 'Registered'), h('dd', {}, `at block ${formatNumber(identity.registeredAt)}`)),
        h('h2', {}, 'Rename'),
        h('p', { class: identity.verified ? 'warning' : 'muted', dataset: { testid: 'rename-warning' } },
          identity.verified
            ? 'Renaming clears your verification: it vouched for your current name, so the owner has to verify the new one again.'
            : 'Renaming clears any verification (a verification vouches for a name).'),
        h('div', { class: 'listing-form' },
          h('label', { class: 'text' }, h('span', {}, 'New name'), rename),
          h('button', { type: 'button', class: 'secondary', disabled: busy(tx), dataset: { testid: 'rename' }, onclick: () => store.dispatch('rename', rename.value.trim()) }, 'Rename')),
        renderTx(ctx, tx, 'identity'),
      );
    }
    const rep = profile.reputation;
    page.append(h('section', { class: 'card', dataset: { testid: 'profile-reputation' } },
      h('h2', {}, 'Your reputation as a seller'),
      h('p', { dataset: { testid: 'reputation', ratings: rep?.ratings ?? 0, total: rep?.total ?? 0 } }, reputationText(rep)),
      h('p', { class: 'muted small' }, 'Buyers rate a seller once, 1 to 5, after a purchase of at least the contract’s minimum price. Verified sums count only raters that were verified identities when they rated.')));
  });
}
