// Sign-in: a wallet's SIP-018 signature of the login message, or the local development key.

import { ApiError } from '../lib/api.js';
import { findProvider, signInWithDevKey, signInWithWallet } from '../lib/wallet.js';

const $ = (id) => document.getElementById(id);

function showError(message) {
  $('signin-error').textContent = message;
  $('signin-error').hidden = !message;
}

function updateWalletButton() {
  const found = findProvider(window);
  const button = $('wallet-signin');
  button.hidden = !found;
  if (found) button.textContent = `Sign in with ${found.name}`;
  $('no-wallet').hidden = Boolean(found);
}

export function mountSignIn(ctx) {
  const { store, api } = ctx;

  store.register({
    async signIn(kind) {
      const buttons = [$('wallet-signin'), $('devkey-signin')];
      buttons.forEach((b) => (b.disabled = true));
      showError('');
      const { config } = store.state;
      try {
        let body;
        if (kind === 'wallet') {
          const found = findProvider(window);
          if (!found) throw new Error('No Stacks wallet was found in this browser.');
          body = await signInWithWallet(found.provider, config.chain_id);
        } else {
          body = signInWithDevKey(config.chain_id);
        }
        const answer = await api.login(body);
        store.dispatch('signedIn', { token: answer.token, address: answer.address, expires: answer.expires, kind });
      } catch (error) {
        showError(error instanceof ApiError && error.status !== 0 ? `Sign-in refused: ${error.message}` : error.message);
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    },
  });

  $('wallet-signin').addEventListener('click', () => store.dispatch('signIn', 'wallet'));
  $('devkey-signin').addEventListener('click', () => store.dispatch('signIn', 'dev'));

  store.watch((s) => s.session, ({ session, config }) => {
    if (session) return;
    showError('');
    $('devkey-box').hidden = !config.dev_key;
    updateWalletButton();
    // Wallet extensions may inject their provider a little after the page loads.
    setTimeout(updateWalletButton, 300);
    setTimeout(updateWalletButton, 1200);
  });
}
