// The GenoFlow page's bootstrap: reads config.json, builds the services the screens share,
// declares the one state (lib/store.js) and mounts the screens (views/*.js), which render from
// that state and change it through actions.

import { Api, loadConfig } from './lib/api.js';
import { Calls, Reads } from './lib/contracts.js';
import { Node, nodeBaseUrl } from './lib/node.js';
import { Store, initialState } from './lib/store.js';
import { mountDatasets } from './views/datasets.js';
import { mountMarketplace } from './views/marketplace.js';
import { mountProfile } from './views/profile.js';
import { mountPurchases } from './views/purchases.js';
import { mountSample } from './views/sample.js';
import { loadSession, mountShell, parseRoute } from './views/shell.js';
import { mountSignIn } from './views/signin.js';
import { mountSubscription } from './views/subscription.js';
import { mountUpload } from './views/upload.js';

async function boot() {
  const { config, problem } = await loadConfig();
  const store = new Store(initialState(config, problem));
  const nodeBase = nodeBaseUrl(config);
  const node = nodeBase ? new Node(nodeBase) : null;
  const token = () => {
    const session = store.state.session;
    return session && session.expires * 1000 > Date.now() ? session.token : null;
  };
  const ctx = {
    store,
    api: new Api(config.api_base, token, () => store.dispatch('unauthorized')),
    node,
    nodeBase,
    chainReady: Boolean(node && config.contracts),
    calls: config.contracts ? new Calls(config.contracts) : null,
    reads: () => new Reads(node, config.contracts, store.state.session?.address),
  };
  for (const mount of [mountShell, mountSignIn, mountUpload, mountDatasets, mountSample, mountMarketplace, mountPurchases, mountProfile, mountSubscription]) {
    mount(ctx);
  }
  const chain = ctx.chainReady ? `chain via ${nodeBase}, contracts ${config.contracts}` : 'no chain connected';
  document.getElementById('config-note').textContent =
    `${problem ? `${problem} ` : ''}API: ${config.api_base || 'this server'} · network ${config.network} (chain id ${config.chain_id}) · ${chain}`;
  if (problem) store.dispatch('notify', problem, 'warn');
  store.set({ session: loadSession(), route: parseRoute(location.hash) });
  document.body.dataset.ready = 'true';
}

boot();
