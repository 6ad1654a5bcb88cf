// The marketplace, for everyone: GET /marketplace's active listings with the seller's
// identity and reputation and the sample's public summary (never a download link). A
// signed-in buyer buys at the price shown: `max-price` is that price and the wallet may send
// exactly that, nothing more; a price raised in between is refused, not charged (u411).

import { clear, h } from '../lib/dom.js';
import { formatBytes, formatNumber, formatStx } from '../lib/format.js';
import { resultSummary, sampleTitle } from '../lib/samples.js';
import { errorLine, noChain, renderReputation, watchScreen } from './common.js';
import { busy, renderTx, runCall } from './tx.js';

export function mountMarketplace(ctx) {
  const { store, api } = ctx;

  store.register({
    async loadMarketplace(more = false) {
      if (!ctx.chainReady) return;
      const current = store.state.marketplace;
      store.patch('marketplace', { loading: true });
      try {
        const page = await api.listMarketplace(more ? current.next : undefined);
        const listings = more ? [...current.listings, ...(page.listings || [])] : page.listings || [];
        store.patch('marketplace', { loading: false, loaded: true, error: null, listings, next: page.next || null });
      } catch (error) {
        store.patch('marketplace', { loading: false, loaded: true, error: error.message });
      }
    },
    async buy(listing) {
      const me = store.state.session.address;
      const price = BigInt(listing.price);
      await runCall(ctx, `buy:${listing.listing_id}`, `Buy access for ${formatStx(price)}`, ctx.calls.purchase(listing.listing_id, price, me));
      store.patch('purchases', { loaded: false });
    },
  });

  store.watch((s) => s.route, ({ route, marketplace }) => {
    if (route.name === 'marketplace' && !marketplace.loading) store.dispatch('loadMarketplace');
  });

  watchScreen(store, (s) => [s.marketplace, s.txs, s.session], 'marketplace-page', (state, element) => {
    const page = clear(element);
    if (!ctx.chainReady) {
      page.append(noChain('Marketplace'));
      return;
    }
    const { marketplace, session } = state;
    page.append(h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h1', {}, 'Marketplace'),
        h('button', { type: 'button', class: 'link', onclick: () => store.dispatch('loadMarketplace') }, 'Refresh')),
      h('p', { class: 'muted' }, 'Samples their owners registered on chain and offer for sale. Buying gives you, by the marketplace contract, access to the sample’s files, report and proof; the price goes to the seller, less the marketplace fee.'),
      session ? null : h('p', {}, h('a', { href: '#/' }, 'Sign in'), ' to buy.'),
      errorLine(marketplace.error),
      marketplace.loaded && !marketplace.error && marketplace.listings.length === 0 ? h('p', { class: 'muted', dataset: { testid: 'no-listings' } }, 'Nothing is for sale right now.') : null,
      !marketplace.loaded ? h('p', { class: 'muted' }, 'Loading…') : null));
    const list = h('div', { class: 'listings' });
    for (const listing of marketplace.listings) list.append(renderListing(state, listing));
    page.append(list);
    if (marketplace.next) page.append(h('button', { type: 'button', class: 'secondary', onclick: () => store.dispatch('loadMarketplace', true) }, 'Load more'));
  });

  function renderListing(state, listing) {
    const { session } = state;
    const seller = listing.seller || {};
    const sample = listing.sample || {};
    const key = `buy:${listing.listing_id}`;
    const tx = state.txs[key];
    let action;
    if (!session) action = h('span', { class: 'muted' }, 'Sign in to buy');
    else if (session.address === seller.address) action = h('span', { class: 'muted' }, 'Your listing');
    else if (tx?.status === 'success') action = h('a', { href: '#/purchases', class: 'button secondary', dataset: { testid: 'open-purchases' } }, 'Open in Purchases');
    else {
      action = h('button', { type: 'button', class: 'primary', disabled: busy(tx), dataset: { testid: 'buy' }, onclick: () => store.dispatch('buy', listing) }, `Buy for ${formatStx(listing.price)}`);
    }
    return h(
      'article',
      { class: 'card listing', dataset: { testid: 'listing', listingId: listing.listing_id, price: listing.price, seller: seller.address } },
      h('div', { class: 'card-head' },
        h('h2', {}, sampleTitle(sample)),
        h('span', { class: 'price', dataset: { testid: 'listing-price' } }, formatStx(listing.price))),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Seller'),
        h('dd', { dataset: { testid: 'seller' } },
          seller.name ? h('strong', { dataset: { testid: 'seller-name' } }, seller.name) : h('span', { class: 'muted' }, 'no identity'),
          seller.role ? ` · ${seller.role}` : '',
          seller.verified ? h('span', { class: 'badge verified' }, 'verified') : null,
          h('div', { class: 'muted small' }, h('code', {}, seller.address))),
        h('dt', {}, 'Reputation'),
        h('dd', {}, renderReputation(listing.reputation)),
        h('dt', {}, 'Files'),
        h('dd', {}, h('ul', { class: 'inputs' }, (sample.files || []).map((f) =>
          h('li', {}, h('strong', {}, f.filename), ` · ${f.format ?? '—'} · ${formatBytes(f.size)}${f.records !== undefined && f.records !== null ? ` · ${formatNumber(f.records)} records` : ''}${f.bases ? ` · ${formatNumber(f.bases)} bases` : ''}`)))),
        h('dt', {}, 'Analysis'),
        h('dd', { dataset: { testid: 'listing-result' } }, listingResult(sample)),
        h('dt', {}, 'On chain'),
        h('dd', { class: 'muted small' }, `listing u${listing.listing_id} · dataset u${listing.chain_dataset_id}`)),
      h('div', { class: 'listing-actions' }, action),
      renderTx(ctx, tx, key),
    );
  }
}

/** The listed sample's answer as the samples list words it ("MDR-TB · Resistant: …"). */
function listingResult(sample) {
  if (!sample.analysed) return 'not analysed yet';
  // Samples analysed before their answer was kept have no class: the drugs alone.
  if (!sample.classification) {
    return sample.resistant_drugs?.length ? `analysed; resistant to ${sample.resistant_drugs.join(', ')}` : 'analysed; no resistance called';
  }
  const summary = resultSummary({ classification: sample.classification, resistant_drugs: sample.resistant_drugs || [] });
  return `${summary.classification} · ${summary.resistant}`;
}
