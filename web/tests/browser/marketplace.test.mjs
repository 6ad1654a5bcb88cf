// The chain screens in Chromium against `genoflow serve --stacks-node` and the chain stand-in
// (the real contracts in a simnet): three devnet accounts — a seller and a buyer with a wallet
// that builds, signs and broadcasts what the page asks for, and a third account on the page's
// own development key — register, upload, commit and reveal, list, buy, read, rate and
// subscribe; the buyer's report says in words where its proof is on chain, and Verify now asks
// the chain. Every chain screen passes axe-core at 1280×800 and 390×844. `genoflow chain setup`
// prepares the stand-in first; the server runs the oracle, so reports' catalogue is on chain.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pc, getAddressFromPrivateKey, postConditionToHex, privateKeyToPublic } from '@stacks/transactions';
import {
  checkScreen, launchBrowser, newPage, repoRoot, samples, shoot, startServer, startStandin, tempDir,
} from './harness.mjs';
import { WALLET_FEE, installChainWallet } from './wallet.mjs';

// Clarinet's public devnet keys (contracts/settings/Devnet.toml): worthless anywhere else.
const DEPLOYER_KEY = '753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601';
const SELLER_KEY = '7287ba251d44a4d3fd9276c88ce34c5c52a038955511cccaf77e61068649c17801'; // wallet_1
const ANCHOR_KEY = '530d9f61984c888536871c6573073bdfc0058896dc1adfe9a6a10dfacadc209101'; // wallet_2
const BUYER_KEY = 'd655b2523bcd65e34889725c73064feb17ceb796831c0e111ba1a552b0f31b3901'; // wallet_3
const THIRD_KEY = 'f9d7206a47f14d2870c163ebab4bf3e70d18f5d14ce1031f3902fbbc894fe4c701'; // wallet_4
const ORACLE_KEY = 'de433bdfa14ec43aa1098d5be594c8ffb20a31485ff9de2923b2689471c401b801'; // faucet
const address = (key) => getAddressFromPrivateKey(key, 'testnet');
const DEPLOYER = address(DEPLOYER_KEY);
const R1 = join(samples, 'tb-demo_R1.fastq.gz');
const R2 = join(samples, 'tb-demo_R2.fastq.gz');
const REPORT_STATUSES = ['analyzed', 'anchored', 'confirmed'];
const STX = 1_000_000n;

let standin;
let server;
let browser;
const work = tempDir('genoflow-web-chain-');
const bin = process.env.GENOFLOW_BIN || join(repoRoot, 'target', 'debug', 'genoflow');

before(async () => {
  standin = await startStandin();
  // The operator's setup: anchor account, plans, fee, least rated price (infra/chain-setup.example.toml),
  // and an oracle key of its own (the example's is the buyer's account here).
  const keyFile = join(work, 'deployer.key');
  writeFileSync(keyFile, DEPLOYER_KEY);
  const config = join(work, 'chain-setup.toml');
  writeFileSync(config, `${readFileSync(join(repoRoot, 'infra', 'chain-setup.example.toml'), 'utf8')}
[[oracles]]
public_key = "${privateKeyToPublic(ORACLE_KEY)}"
`);
  const setup = execFileSync(bin, ['chain', 'setup', '--node', standin.url, '--deployer-key-file', keyFile, '--config', config], { encoding: 'utf8' });
  process.stdout.write(`genoflow chain setup:\n${setup}`);
  const oracleKeyFile = join(work, 'oracle.key');
  writeFileSync(oracleKeyFile, ORACLE_KEY);
  server = await startServer([
    '--stacks-node', standin.url, '--registry', `${DEPLOYER}.registry`,
    '--oracle-key-file', oracleKeyFile, '--oracle-source', join(repoRoot, 'tests', 'data', 'oracle-source'),
  ], { GENOFLOW_SIGNER_KEY: ANCHOR_KEY });
  await oracleSettled();
  browser = await launchBrowser();
});

/**
 * Waits until the oracle's first refresh is on chain (the catalogue confirmed, nothing pending,
 * nothing new accepted for 3 s), so that the counts the test compares are the accounts' own.
 */
async function oracleSettled() {
  const deadline = Date.now() + 180_000;
  let last = null;
  let stableSince = Date.now();
  for (;;) {
    const catalogue = await (await fetch(`${server.url}oracle/catalogue/tb-who-2023`)).json().catch(() => null);
    const { pending, counts } = await standin.status();
    if (counts.accepted !== last) [last, stableSince] = [counts.accepted, Date.now()];
    if (catalogue?.state === 'confirmed' && pending === 0 && Date.now() - stableSince >= 3000) return;
    if (Date.now() > deadline) throw new Error(`the oracle did not settle in 180 s: catalogue ${JSON.stringify(catalogue)}, ${pending} pending`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

after(async () => {
  await browser?.close();
  await server?.stop();
  if (standin) {
    const status = await standin.status().catch(() => null);
    if (status) {
      const { counts } = status;
      process.stdout.write(`chain stand-in: the browser suite executed ${counts.executed} transactions (${counts.success} success, ${counts.abort_by_response} abort_by_response), ${counts.post_condition_violations} post-condition violations\n`);
    }
    await standin.stop();
  }
});

async function balance(who) {
  const account = await (await fetch(`${standin.url}/v2/accounts/${who}?proof=0`)).json();
  return BigInt(account.balance);
}

/** Waits until the transaction status under `key` is final; {state, text, code}. */
async function txOutcome(page, key, timeout = 60_000) {
  const line = page.locator(`[data-testid=tx-status][data-tx-key="${key}"]`);
  await page.waitForFunction((k) => {
    const el = document.querySelector(`[data-testid=tx-status][data-tx-key="${k}"]`);
    return el && ['success', 'failed', 'not_sent'].includes(el.dataset.state);
  }, key, { timeout, polling: 200 });
  return { state: await line.getAttribute('data-state'), text: (await line.textContent()).trim(), code: await line.getAttribute('data-code') };
}

function apiFromPage(page, method, path) {
  return page.evaluate(async ({ method, path }) => {
    const session = JSON.parse(sessionStorage.getItem('genoflow.session'));
    const response = await fetch(path, { method, headers: session ? { authorization: `Bearer ${session.token}` } : {} });
    return { status: response.status, body: await response.json().catch(() => null) };
  }, { method, path });
}

async function signInWithWallet(page) {
  await page.goto(server.url);
  await page.locator('#wallet-signin').click();
  await page.getByTestId('signed-in-address').waitFor({ state: 'visible' });
}

test('seller, buyer and a third account: register, list, buy, read, rate and subscribe on chain', { timeout: 900_000 }, async () => {
  const executedBefore = (await standin.status()).counts.executed;

  // ---- the seller: an identity, the tb-demo pair, the sample on chain, a listing
  const seller = await newPage(browser);
  const sellerWallet = await installChainWallet(seller.page, { key: SELLER_KEY, nodeUrl: standin.url });
  await signInWithWallet(seller.page);
  await seller.page.goto(`${server.url}#/profile`);
  await seller.page.getByTestId('identity-name').fill('Dr. Ada Seller');
  await seller.page.getByTestId('identity-role').selectOption('3');
  await seller.page.getByTestId('register-identity').click();
  assert.equal((await txOutcome(seller.page, 'identity')).state, 'success');
  await seller.page.getByTestId('identity-shown-name').waitFor();
  assert.equal(await seller.page.getByTestId('identity-shown-name').textContent(), 'Dr. Ada Seller');
  assert.match(await seller.page.getByTestId('rename-warning').textContent(), /clears/);
  await checkScreen(seller.page, 'profile', 'the profile');

  await seller.page.goto(`${server.url}#/upload`);
  await seller.page.getByTestId('file-input').setInputFiles([R1, R2]);
  await seller.page.getByTestId('upload-button').click();
  await seller.page.getByTestId('go-to-samples').click({ timeout: 60_000 });
  await seller.page.waitForFunction((statuses) => {
    const rows = [...document.querySelectorAll('[data-testid=sample-file]')];
    return rows.length === 2 && rows.every((r) => statuses.includes(r.dataset.status));
  }, REPORT_STATUSES, { timeout: 300_000, polling: 500 });
  const rows = await seller.page.getByTestId('sample-file').evaluateAll((els) => els.map((e) => ({ id: e.dataset.datasetId, filename: e.dataset.filename })));
  const r1 = rows.find((r) => r.filename === 'tb-demo_R1.fastq.gz');
  const r2 = rows.find((r) => r.filename === 'tb-demo_R2.fastq.gz');
  await seller.page.goto(`${server.url}#/datasets/${r1.id}`);
  await seller.page.locator('[data-testid=drug-call]').first().waitFor({ timeout: 60_000 });
  const panel = seller.page.getByTestId('chain-panel');
  await panel.and(seller.page.locator('[data-state=unregistered]')).waitFor({ timeout: 60_000 });
  const sampleId = (await apiFromPage(seller.page, 'GET', `/datasets/${r1.id}`)).body.sample_id;

  // Commit, then the seller cancels the reveal in the wallet: nothing is sent, the salt stays
  // for the reload, and the reveal after it uses it.
  const acceptedBefore = (await standin.status()).counts.accepted;
  const registerKey = `register:${sampleId}`;
  sellerWallet.rejectNext((params) => params.functionName === 'register-dataset');
  await seller.page.getByTestId('register-sample').click();
  const cancelled = await txOutcome(seller.page, registerKey, 120_000);
  assert.equal(cancelled.state, 'not_sent', cancelled.text);
  assert.match(cancelled.text, /nothing was sent/);
  assert.equal((await standin.status()).counts.accepted, acceptedBefore + 1, 'only the commit reached the node');
  const kept = await seller.page.evaluate((id) => JSON.parse(localStorage.getItem(`genoflow.commit.${id}`)), sampleId);
  assert.match(kept.salt, /^[0-9a-f]{64}$/, 'the salt is kept in localStorage');
  await seller.page.reload();
  await seller.page.getByTestId('register-sample').waitFor({ timeout: 60_000 });
  assert.match(await seller.page.getByTestId('register-sample').textContent(), /Finish/);
  await seller.page.getByTestId('register-sample').click();
  assert.equal((await txOutcome(seller.page, registerKey, 120_000)).state, 'success');
  await panel.and(seller.page.locator('[data-state=registered]')).waitFor({ timeout: 60_000 });
  assert.equal(await seller.page.evaluate((id) => localStorage.getItem(`genoflow.commit.${id}`), sampleId), null, 'the salt is cleared after the reveal');
  const reveal = sellerWallet.sent.find((s) => s.functionName === 'register-dataset');
  assert.ok(reveal.params.functionArgs[3].endsWith(kept.salt), 'the reveal carries the kept salt');
  assert.equal(sellerWallet.sent.filter((s) => s.functionName === 'commit-dataset').length, 1, 'one commit');

  await seller.page.getByTestId('record-result').click();
  assert.equal((await txOutcome(seller.page, `result:${sampleId}`)).state, 'success');
  await seller.page.getByTestId('price-input').fill('2');
  await seller.page.getByTestId('list-sample').click();
  assert.equal((await txOutcome(seller.page, `list:${sampleId}`)).state, 'success');
  await seller.page.getByTestId('listing-price').waitFor({ timeout: 60_000 });
  assert.match(await seller.page.getByTestId('listing-price').textContent(), /2 STX/);
  await seller.page.getByTestId('chain-panel').scrollIntoViewIfNeeded();
  await shoot(seller.page.getByTestId('chain-panel'), 'sample-on-chain.png', {});
  await checkScreen(seller.page, 'sample-seller', 'the seller\'s sample with its chain panel');

  // ---- the buyer: signed in, no access yet; the listing with the seller's name and reputation
  const buyer = await newPage(browser);
  const buyerWallet = await installChainWallet(buyer.page, { key: BUYER_KEY, nodeUrl: standin.url });
  await signInWithWallet(buyer.page);
  for (const id of [r1.id, r2.id]) assert.equal((await apiFromPage(buyer.page, 'GET', `/datasets/${id}`)).status, 404);
  await buyer.page.goto(`${server.url}#/marketplace`);
  const listing = buyer.page.locator(`[data-testid=listing][data-seller="${address(SELLER_KEY)}"]`);
  await listing.waitFor({ timeout: 60_000 });
  assert.equal(await listing.getByTestId('seller-name').textContent(), 'Dr. Ada Seller');
  assert.match(await listing.getByTestId('reputation').textContent(), /no ratings yet/);
  assert.equal(await listing.getAttribute('data-price'), String(2n * STX));
  assert.equal(await listing.getByTestId('listing-result').textContent(), 'MDR-TB · Resistant: Rifampicin, Isoniazid, Pyrazinamide, Ethionamide', 'the class and the drugs, first-line first');
  assert.equal(await listing.locator('a[href*="/download"], [data-artifact]').count(), 0, 'no download link on the marketplace');
  await checkScreen(buyer.page, 'marketplace', 'the marketplace');

  // The buyer cancels in the wallet: nothing was sent, nothing changed.
  const buyerStart = await balance(buyerWallet.address);
  const acceptedBeforeCancel = (await standin.status()).counts.accepted;
  buyerWallet.rejectNext();
  await listing.getByTestId('buy').click();
  const rejected = await txOutcome(buyer.page, `buy:${await listing.getAttribute('data-listing-id')}`);
  assert.equal(rejected.state, 'not_sent');
  assert.match(rejected.text, /nothing was sent/);
  assert.equal((await standin.status()).counts.accepted, acceptedBeforeCancel);
  assert.equal(await balance(buyerWallet.address), buyerStart);

  // The seller raises the price while the buyer's page still shows 2 STX: the purchase is
  // refused by its max-price, and nothing but the fee is paid.
  await seller.page.getByTestId('price-input').fill('3');
  await seller.page.getByTestId('change-price').click();
  assert.equal((await txOutcome(seller.page, `list:${sampleId}`)).state, 'success');
  const listingId = await listing.getAttribute('data-listing-id');
  await listing.getByTestId('buy').click();
  const raised = await txOutcome(buyer.page, `buy:${listingId}`);
  assert.equal(raised.state, 'failed');
  assert.equal(raised.code, '411');
  assert.match(raised.text, /the price changed: nothing was charged/);
  assert.equal(await balance(buyerWallet.address), buyerStart - WALLET_FEE);
  const purchaseAsk = buyerWallet.requests.filter((r) => r.params?.functionName === 'purchase').at(-1).params;
  assert.deepEqual(purchaseAsk.postConditions, [postConditionToHex(Pc.principal(buyerWallet.address).willSendEq(2n * STX).ustx())]);

  // At the new price (once the marketplace shows it), the purchase goes through.
  for (let i = 0; i < 40; i++) {
    await buyer.page.goto(`${server.url}#/marketplace`);
    await buyer.page.reload();
    await listing.waitFor({ timeout: 30_000 });
    if (await listing.getAttribute('data-price') === String(3n * STX)) break;
    await buyer.page.waitForTimeout(1000);
  }
  assert.equal(await listing.getAttribute('data-price'), String(3n * STX));
  await listing.getByTestId('buy').click();
  assert.equal((await txOutcome(buyer.page, `buy:${listingId}`)).state, 'success');
  assert.equal(await balance(buyerWallet.address), buyerStart - 2n * WALLET_FEE - 3n * STX, 'exactly the price and the fees');

  // Purchases: the report, the proof and the files.
  await buyer.page.getByTestId('open-purchases').click();
  const purchase = buyer.page.locator(`[data-testid=purchase][data-sample-id="${sampleId}"]`);
  await purchase.waitFor({ timeout: 60_000 });
  assert.equal(await purchase.getByTestId('purchased-dataset').count(), 2);
  // The bought sample as its owner's list shows it: its name (here its files'), and its answer.
  assert.equal(await purchase.getByTestId('purchase-title').textContent(), 'tb-demo_R1.fastq.gz + tb-demo_R2.fastq.gz');
  assert.equal(await purchase.getByTestId('purchase-result').textContent(), 'MDR-TB · Resistant: Rifampicin, Isoniazid, Pyrazinamide, Ethionamide');
  await checkScreen(buyer.page, 'purchases', 'the purchases');
  await purchase.locator(`[data-testid=purchased-dataset][data-dataset-id="${r1.id}"]`).click();
  await buyer.page.locator('[data-testid=drug-call][data-drug="Rifampicin"]').waitFor({ timeout: 60_000 });
  assert.equal(await buyer.page.locator('[data-testid=drug-call][data-drug="Rifampicin"]').getAttribute('data-call'), 'resistant');
  assert.equal(await buyer.page.getByTestId('purchase-access').count(), 1);
  assert.equal(await buyer.page.getByTestId('delete-button').count(), 0, 'a buyer cannot delete');
  await buyer.page.getByTestId('proof').waitFor({ timeout: 150_000 });
  for (const [row, file] of [[r1, R1], [r2, R2]]) {
    await buyer.page.goto(`${server.url}#/datasets/${row.id}`);
    const downloaded = buyer.page.waitForEvent('download');
    await buyer.page.getByTestId('file-download').click();
    const path = join(work, `bought-${row.filename}`);
    await (await downloaded).saveAs(path);
    assert.equal(createHash('sha256').update(readFileSync(path)).digest('hex'), createHash('sha256').update(readFileSync(file)).digest('hex'));
  }
  await buyer.page.goto(`${server.url}#/datasets/${r1.id}`);
  await buyerReadsTheProof(buyer.page);
  await checkScreen(buyer.page, 'purchase', 'a bought report with its proof checked');

  // The buyer rates the seller: the seller's reputation changes on the page.
  await buyer.page.goto(`${server.url}#/purchases`);
  await purchase.getByTestId('rating-score').selectOption('5');
  await purchase.getByTestId('rate').click();
  assert.equal((await txOutcome(buyer.page, `rate:${listingId}`)).state, 'success');
  await purchase.getByTestId('your-rating').waitFor();
  assert.match(await purchase.getByTestId('seller-reputation').textContent(), /5 \/ 5 from 1 rating/);
  await seller.page.goto(`${server.url}#/profile`);
  await seller.page.reload();
  await seller.page.locator('[data-testid=profile-reputation] [data-ratings="1"]').waitFor({ timeout: 30_000 });

  // ---- a third account, on the page's development key: no access, then a subscription
  const third = await newPage(browser);
  await third.page.addInitScript((key) => localStorage.setItem('genoflow.devKey', key), THIRD_KEY.slice(0, 64));
  await third.page.goto(server.url);
  await third.page.getByTestId('dev-key-signin').click();
  await third.page.getByTestId('signed-in-address').waitFor({ state: 'visible' });
  assert.equal((await third.page.getByTestId('signed-in-address').textContent()).trim(), address(THIRD_KEY));
  for (const id of [r1.id, r2.id]) assert.equal((await apiFromPage(third.page, 'GET', `/datasets/${id}`)).status, 404);
  // A server that requires a subscription for uploads: the upload screen says so and links here.
  await third.page.route('**/uploads', (route) => route.fulfill({
    status: 403, contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'subscription_required', message: 'Uploads need an active subscription.' } }),
  }));
  await third.page.goto(`${server.url}#/upload`);
  await third.page.getByTestId('file-input').setInputFiles(R1);
  await third.page.getByTestId('upload-button').click();
  await third.page.getByTestId('subscribe-link').click();
  await third.page.unroute('**/uploads');
  const plan = third.page.locator('[data-testid=plan][data-plan-id="1"]');
  await plan.waitFor({ timeout: 30_000 });
  assert.match(await plan.textContent(), /5 STX.*30 days/);
  assert.match(await third.page.getByTestId('subscription-status').textContent(), /no subscription/);
  const thirdStart = await balance(address(THIRD_KEY));
  await plan.getByTestId('subscribe').click();
  const subscribed = await txOutcome(third.page, 'subscribe');
  assert.equal(subscribed.state, 'success', subscribed.text);
  await third.page.locator('[data-testid=subscription-status][data-active=true]').waitFor({ timeout: 30_000 });
  assert.match(await third.page.getByTestId('subscription-status').textContent(), /Plan 1, active until/);
  assert.equal(await balance(address(THIRD_KEY)), thirdStart - 5n * STX - 10_000n, 'the plan price and the development-key fee');
  await checkScreen(third.page, 'subscription', 'the subscription');

  const status = await standin.status();
  assert.equal(status.counts.post_condition_violations, 0);
  process.stdout.write(`this test executed ${status.counts.executed - executedBefore} transactions on the stand-in\n`);
  for (const p of [seller, buyer, third]) {
    assert.deepEqual(p.problems, []);
    await p.context.close();
  }
});

const CHECKS_OFFLINE = ['report-sha256', 'pipeline-id', 'inputs-hash', 'item', 'merkle-root', 'catalogue-key'];
const CHECKS_ON_CHAIN = ['transaction', 'verify-inclusion', 'catalogue-attested', 'catalogue-value'];

/** Clicks Verify now and answers {state, checks: [[id, result]], text} once it is done. */
async function verifyNow(page) {
  // An earlier result stays on the page until the new one replaces it: mark it, wait for another.
  await page.locator('[data-testid=verify-result]').evaluateAll((els) => els.forEach((e) => { e.dataset.earlier = '1'; }));
  await page.getByTestId('verify-now').click();
  await page.locator('[data-testid=verify-result]:not([data-state=running]):not([data-earlier])').waitFor({ timeout: 60_000 });
  const result = page.getByTestId('verify-result');
  return {
    state: await result.getAttribute('data-state'),
    checks: await result.getByTestId('verify-check').evaluateAll((els) => els.map((e) => [e.dataset.check, e.dataset.result])),
    text: await result.innerText(),
  };
}

/**
 * With a node: the proof's words name the block the batch is in, Verify now passes every offline
 * and on-chain check, and a report.json whose catalogue value was changed on its way to the page
 * fails, the chain's catalogue check among the failures.
 */
async function buyerReadsTheProof(page) {
  const proof = page.locator('[data-testid=proof][data-tx-status=confirmed]');
  await proof.waitFor({ timeout: 150_000 });
  const words = page.getByTestId('anchor-words');
  assert.equal(await words.getAttribute('data-state'), 'confirmed');
  assert.match(await words.innerText(), /^These exact input files and this pipeline version produced this report; recorded on the Stacks chain at block [\d,]+ on .+\.$/);

  const passed = await verifyNow(page);
  assert.equal(passed.state, 'passed', JSON.stringify(passed.checks));
  assert.deepEqual(passed.checks, [...CHECKS_OFFLINE, ...CHECKS_ON_CHAIN].map((id) => [id, 'ok']));
  assert.match(passed.text, /succeeded in block \d+/);

  const reportJson = (url) => url.pathname.endsWith('/report.json');
  await page.route(reportJson, async (route) => {
    const response = await route.fetch();
    const report = JSON.parse(await response.text());
    const value = report.catalogue.value;
    report.catalogue.value = `${value[0] === '0' ? '1' : '0'}${value.slice(1)}`;
    await route.fulfill({ response, body: JSON.stringify(report) });
  });
  const tampered = await verifyNow(page);
  await page.unroute(reportJson);
  assert.equal(tampered.state, 'failed');
  assert.deepEqual(tampered.checks.filter(([, result]) => result === 'failed').map(([id]) => id), ['report-sha256', 'item', 'catalogue-value']);
  assert.match(tampered.text, /the chain holds [0-9a-f]{64}; the report names [0-9a-f]{64}/);
  // The page as the reader left it: the real report verified.
  assert.equal((await verifyNow(page)).state, 'passed');
}
