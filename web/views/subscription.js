// Subscription: the plans read from chain (subscription.get-plan for ids 1, 2, … until there
// is none), your current plan and its expiry, and subscribing at the price and duration shown
// (`max-price`, `min-duration`, and a post-condition: your wallet sends exactly the price).

import { h } from '../lib/dom.js';
import { formatDate, formatDuration, formatStx } from '../lib/format.js';
import { chainPage, errorLine, loadChainSlice, loadOnRoute, watchScreen } from './common.js';
import { busy, renderTx, runCall } from './tx.js';

export function mountSubscription(ctx) {
  const { store } = ctx;

  store.register({
    loadSubscription() {
      return loadChainSlice(ctx, 'subscription', async (me) => {
        const reads = ctx.reads();
        const [plans, current] = await Promise.all([reads.plans(), reads.subscription(me)]);
        return { plans, current };
      });
    },
    async subscribe(plan) {
      const me = store.state.session.address;
      const outcome = await runCall(ctx, 'subscribe', `Subscribe to plan ${plan.id} for ${formatStx(plan.price)}`, ctx.calls.subscribe(plan.id, plan.price, plan.duration, me));
      if (outcome.status === 'success') {
        await store.dispatch('loadSubscription');
        store.patch('upload', { error: null, subscriptionRequired: false });
      }
    },
  });

  loadOnRoute(ctx, 'subscription', 'loadSubscription');

  watchScreen(store, (s) => [s.subscription, s.txs.subscribe, s.session], 'subscription-page', (state, element) => {
    const page = chainPage(ctx, element, 'Subscription', state.session);
    if (!page) return;
    const { subscription: sub } = state;
    const tx = state.txs.subscribe;
    const current = sub.current;
    let status = 'You have no subscription.';
    if (current) {
      const when = formatDate(current.expiresAt * 1000);
      status = current.active ? `Plan ${current.planId}, active until ${when}.` : `Plan ${current.planId} expired on ${when}.`;
    }
    // While a plan is active only that plan can be renewed (u306 otherwise).
    const planAction = (plan) => {
      if (!plan.active) return h('span', { class: 'muted' }, 'not offered');
      if (current?.active && current.planId !== plan.id) return h('span', { class: 'muted' }, `after plan ${current.planId} expires`);
      return h('button', { type: 'button', class: 'primary small-button', disabled: busy(tx), dataset: { testid: 'subscribe' }, onclick: () => store.dispatch('subscribe', plan) },
        current?.active ? 'Renew' : 'Subscribe');
    };
    const rows = sub.plans.map((plan) => h('tr', { dataset: { testid: 'plan', planId: plan.id, price: String(plan.price), duration: String(plan.duration) } },
      h('td', {}, `Plan ${plan.id}`),
      h('td', { class: 'num' }, formatStx(plan.price)),
      h('td', { class: 'num' }, formatDuration(plan.duration)),
      h('td', {}, planAction(plan))));
    page.append(h('section', { class: 'card' },
      h('h1', {}, 'Subscription'),
      h('p', { class: 'muted' }, 'A subscription may be needed to upload samples to this server. You pay the plan’s price in STX; renewing early adds to the time you have left. While a plan is active only that plan can be renewed.'),
      h('p', { dataset: { testid: 'subscription-status', active: Boolean(current?.active) } }, status),
      errorLine(sub.error),
      !sub.loaded ? h('p', { class: 'muted' }, 'Reading the plans from chain…') : null,
      sub.loaded && sub.plans.length === 0 ? h('p', { class: 'muted' }, 'No plans are set on chain.') : null,
      sub.plans.length
        ? h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Plan'), h('th', { class: 'num' }, 'Price'), h('th', { class: 'num' }, 'Duration'), h('th', {}, ''))), h('tbody', {}, rows)))
        : null,
      renderTx(ctx, tx, 'subscribe')));
  });
}
