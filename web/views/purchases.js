// "Purchases": GET /purchases, the samples you may read because you bought them (each read as
// GET /samples/{id}: its name, status, result and files), with links to their datasets (report,
// proof, file downloads), the seller's reputation read from chain, and rating the seller 1–5
// (once per seller).

import { h } from '../lib/dom.js';
import { fileStatusWords, resultSummary, sampleStatusWords, sampleTitle } from '../lib/samples.js';
import { chainPage, errorLine, loadChainSlice, loadOnRoute, renderReputation, watchScreen } from './common.js';
import { busy, renderTx, runCall } from './tx.js';
const sellerAddress = (seller) => (typeof seller === 'string' ? seller : seller?.address);

export function mountPurchases(ctx) {
  const { store, api } = ctx;

  async function readSeller(address) {
    return ctx.reads().reputation(address).catch(() => null);
  }

  store.register({
    async loadPurchases(attempt = 0) {
      const loaded = await loadChainSlice(ctx, 'purchases', async (me) => {
        const answer = await api.listPurchases();
        const items = await Promise.all((answer.purchases || []).map(async (purchase) => {
          try {
            return { ...purchase, sample: await api.getSample(purchase.sample_id) };
          } catch (error) {
            if (error.status === 401) throw error;
            return { ...purchase, sampleError: error.message };
          }
        }));
        const sellers = [...new Set(items.map((p) => sellerAddress(p.seller)).filter(Boolean))];
        const reputations = Object.fromEntries(await Promise.all(sellers.map(async (s) => [s, await readSeller(s)])));
        const ratings = Object.fromEntries(await Promise.all(items.map(async (p) => [p.listing_id, await ctx.reads().rating(p.listing_id, me).catch(() => null)])));
        return { items, reputations, ratings };
      });
      // A purchase just mined may not be in the server's answer yet (it caches chain reads up
      // to 30 s): look again for a while.
      const items = store.state.purchases.items;
      const bought = Object.entries(store.state.txs).filter(([key, tx]) => key.startsWith('buy:') && tx.status === 'success').map(([key]) => key.slice(4));
      const missing = bought.some((id) => !items.some((p) => String(p.listing_id) === id));
      if (loaded && missing && attempt < 25 && store.state.route.name === 'purchases') setTimeout(() => store.dispatch('loadPurchases', attempt + 1), 2000);
    },
    async rate(purchase, score) {
      const seller = sellerAddress(purchase.seller);
      const outcome = await runCall(ctx, `rate:${purchase.listing_id}`, `Rate the seller ${score} of 5`, ctx.calls.rate(purchase.listing_id, score));
      if (outcome.status === 'success') {
        const me = store.state.session.address;
        const [reputation, rating] = await Promise.all([readSeller(seller), ctx.reads().rating(purchase.listing_id, me).catch(() => score)]);
        const current = store.state.purchases;
        store.patch('purchases', { reputations: { ...current.reputations, [seller]: reputation }, ratings: { ...current.ratings, [purchase.listing_id]: rating } });
      }
    },
  });

  loadOnRoute(ctx, 'purchases', 'loadPurchases');

  watchScreen(store, (s) => [s.purchases, s.txs, s.session], 'purchases-page', (state, element) => {
    const page = chainPage(ctx, element, 'Purchases', state.session);
    if (!page) return;
    const { purchases } = state;
    page.append(h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h1', {}, 'Purchases'),
        h('button', { type: 'button', class: 'link', onclick: () => store.dispatch('loadPurchases') }, 'Refresh')),
      h('p', { class: 'muted' }, 'Samples you bought on the marketplace. The marketplace contract says you may read them: open a file for its report, proof and download.'),
      errorLine(purchases.error),
      !purchases.loaded ? h('p', { class: 'muted' }, 'Loading…') : null,
      purchases.loaded && !purchases.error && purchases.items.length === 0
        ? h('p', { class: 'muted', dataset: { testid: 'no-purchases' } }, 'Nothing yet. ', h('a', { href: '#/marketplace' }, 'Browse the marketplace'), '.')
        : null));
    for (const purchase of purchases.items) page.append(renderPurchase(state, purchase));
  });

  function renderPurchase(state, purchase) {
    const seller = sellerAddress(purchase.seller);
    const key = `rate:${purchase.listing_id}`;
    const tx = state.txs[key];
    const rating = state.purchases.ratings[purchase.listing_id];
    const select = h('select', { 'aria-label': 'Score', dataset: { testid: 'rating-score' } },
      [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, `${n} of 5`)));
    return h(
      'article',
      { class: 'card purchase', dataset: { testid: 'purchase', sampleId: purchase.sample_id, listingId: purchase.listing_id } },
      h('h2', { dataset: { testid: 'purchase-title' } }, sampleTitle(purchase.sample ?? { sample_id: purchase.sample_id })),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Result'), h('dd', { dataset: { testid: 'purchase-result' } }, purchaseResult(purchase)),
        h('dt', {}, 'Seller'), h('dd', {}, h('code', {}, seller), purchase.seller?.name ? ` · ${purchase.seller.name}` : ''),
        h('dt', {}, 'Seller’s reputation'), h('dd', { dataset: { testid: 'seller-reputation' } }, renderReputation(state.purchases.reputations[seller])),
        h('dt', {}, 'On chain'), h('dd', { class: 'muted small' }, `listing u${purchase.listing_id} · dataset u${purchase.chain_dataset_id}`)),
      h('h3', {}, 'Files'),
      h('ul', { class: 'inputs' }, purchasedFiles(purchase).map((f) => h('li', {},
        h('a', { href: `#/datasets/${encodeURIComponent(f.dataset_id)}`, dataset: { testid: 'purchased-dataset', datasetId: f.dataset_id } }, f.filename || f.dataset_id),
        f.status && purchase.sample ? ` · ${fileStatusWords(f, purchase.sample)}` : ''))),
      h('h3', {}, 'Rate the seller'),
      rating
        ? h('p', { dataset: { testid: 'your-rating' } }, `You rated this purchase ${rating} of 5.`)
        : h('div', { class: 'listing-form' }, select,
          h('button', { type: 'button', class: 'secondary', disabled: busy(tx), dataset: { testid: 'rate' }, onclick: () => store.dispatch('rate', purchase, Number(select.value)) }, 'Rate'),
          h('span', { class: 'muted small' }, 'Once per seller, whatever you bought from them.')),
      renderTx(ctx, tx, key),
    );
  }
}

/** The sample's answer ("MDR-TB · Resistant: …"), else its state in words. */
function purchaseResult(purchase) {
  if (purchase.sampleError) return h('span', { class: 'error' }, `The sample could not be read: ${purchase.sampleError}`);
  const summary = resultSummary(purchase.sample?.result);
  return summary ? `${summary.classification} · ${summary.resistant}` : sampleStatusWords(purchase.sample?.status);
}

/** The files to open: the sample's, or (when it could not be read) the purchase's dataset ids. */
function purchasedFiles(purchase) {
  return purchase.sample?.files ?? (purchase.dataset_ids || []).map((id) => ({ dataset_id: id }));
}
