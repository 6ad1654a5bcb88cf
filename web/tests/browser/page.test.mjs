// The page against a real `genoflow serve`, in Debian's chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import {
  deserializeCV,
  getAddressFromPrivateKey,
  privateKeyToPublic,
  signStructuredData,
} from '@stacks/transactions';
import { ensureDir, launchBrowser, newPage, repoRoot, samples, screenshots, signInWithDevKey, startServer, tempDir } from './harness.mjs';

const R1 = join(samples, 'tb-demo_R1.fastq.gz');
const R2 = join(samples, 'tb-demo_R2.fastq.gz');
const REPORT_STATUSES = ['analyzed', 'anchored', 'confirmed'];
const SETTLED = [...REPORT_STATUSES, 'invalid', 'failed'];

let server;
let browser;
const work = tempDir('genoflow-web-files-');
/** The analysed read pair of the first test: its dataset id and the development key that owns it. */
let analysed = null;

before(async () => {
  // The oracle attests the panel's genes and catalogue at start, from the offline NCBI answers
  // (no node: every attestation stays `signed`). A devnet test key, no secret.
  const oracleKey = join(work, 'oracle.key');
  writeFileSync(oracleKey, '753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601\n');
  server = await startServer(['--oracle-key-file', oracleKey, '--oracle-source', join(repoRoot, 'tests', 'data', 'oracle-source')]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Waits until every listed file's row is in one of `statuses`, or any is settled elsewhere. */
async function waitForRows(page, filenames, statuses, timeout) {
  await page.waitForFunction(
    ({ filenames, statuses, settled }) => {
      const rows = [...document.querySelectorAll('[data-testid=sample-file]')];
      const mine = filenames.map((name) => rows.find((row) => row.dataset.filename === name));
      if (mine.some((row) => !row)) return false;
      return mine.every((row) => statuses.includes(row.dataset.status) || settled.includes(row.dataset.status));
    },
    { filenames, statuses, settled: SETTLED },
    { timeout, polling: 500 },
  );
  return page.evaluate((filenames) => {
    const rows = [...document.querySelectorAll('[data-testid=sample-file]')];
    return Object.fromEntries(filenames.map((name) => {
      const row = rows.find((r) => r.dataset.filename === name);
      return [name, { status: row.dataset.status, id: row.dataset.datasetId }];
    }));
  }, filenames);
}

/** Calls the API from the page with the page's token. */
function apiFromPage(page, method, path) {
  return page.evaluate(async ({ method, path }) => {
    const session = JSON.parse(sessionStorage.getItem('genoflow.session'));
    const response = await fetch(path, { method, headers: { authorization: `Bearer ${session.token}` } });
    return { status: response.status, body: await response.json() };
  }, { method, path });
}

function assertSameOrigin(requests, url) {
  const origin = new URL(url).origin;
  const outside = requests.filter((r) => !r.startsWith(origin) && !r.startsWith('blob:') && !r.startsWith('data:'));
  assert.deepEqual(outside, [], 'the page fetched nothing outside its server');
}

test('a read pair uploaded together is analysed; the report, chart and proof are shown and verify', { timeout: 420_000 }, async () => {
  const { page, problems, requests, context, workers } = await newPage(browser);
  await signInWithDevKey(page, server.url);
  await page.goto(`${server.url}#/upload`);
  await page.getByTestId('file-input').setInputFiles([R1, R2]);
  await page.getByTestId('upload-button').click();
  const progress = page.getByTestId('upload-progress');
  await progress.locator('.progress-row[data-phase=done]').nth(1).waitFor({ timeout: 60_000 });
  assert.match(await progress.textContent(), /tb-demo_R1\.fastq\.gz[\s\S]*tb-demo_R2\.fastq\.gz/);
  assert.equal(workers.filter((url) => url.endsWith('/lib/hash-worker.js')).length, 2, 'each file was hashed in a Web Worker');
  await page.getByTestId('go-to-samples').click();

  const rows = await waitForRows(page, ['tb-demo_R1.fastq.gz', 'tb-demo_R2.fastq.gz'], REPORT_STATUSES, 240_000);
  for (const [name, row] of Object.entries(rows)) {
    assert.ok(REPORT_STATUSES.includes(row.status), `${name} is ${row.status}`);
  }
  await page.screenshot({ path: join(ensureDir(screenshots), 'datasets.png'), fullPage: true });

  await page.locator(`[data-testid=sample-file][data-dataset-id="${rows['tb-demo_R1.fastq.gz'].id}"]`).click();
  const rifampicin = page.locator('[data-testid=drug-call][data-drug="Rifampicin"]');
  await rifampicin.waitFor({ timeout: 30_000 });
  assert.equal(await rifampicin.getAttribute('data-call'), 'resistant');
  assert.match(await rifampicin.textContent(), /rpoB_p\.Ser450Leu/);
  const isoniazid = page.locator('[data-testid=drug-call][data-drug="Isoniazid"]');
  assert.equal(await isoniazid.getAttribute('data-call'), 'resistant');
  assert.match(await isoniazid.textContent(), /katG_p\.Ser315Thr/);
  const calls = await page.locator('[data-testid=drug-call]').evaluateAll((els) => els.map((e) => e.dataset.call));
  assert.ok(calls.length >= 10 && calls.every((c) => ['resistant', 'susceptible', 'unknown'].includes(c)));

  const variantPositions = await page.getByTestId('variant-row').evaluateAll((els) => els.map((e) => Number(e.dataset.pos)));
  for (const pos of [761155, 2155168, 2288900]) assert.ok(variantPositions.includes(pos), `variant at ${pos} shown`);
  const chart = page.getByTestId('coverage-chart');
  const genes = await chart.locator('g.gene').evaluateAll((els) => els.map((e) => [e.dataset.gene, Number(e.dataset.depth)]));
  const rpoB = genes.find(([gene]) => gene === 'rpoB');
  assert.ok(rpoB && rpoB[1] > 10, 'rpoB is covered above 10×');
  assert.equal(await chart.locator('line.threshold').count(), 1);

  // The report as the API gives it is the one rendered; the download link serves its bytes.
  const { body: view } = await apiFromPage(page, 'GET', `/datasets/${rows['tb-demo_R1.fastq.gz'].id}/report`);
  const reportDownload = page.waitForEvent('download');
  await page.locator('[data-artifact="report.json"]').click();
  const reportPath = join(work, 'report.json');
  await (await reportDownload).saveAs(reportPath);
  const reportHash = await page.evaluate(async (text) => {
    const { sha256, bytesToHex } = await import('/lib/sha256.js');
    return bytesToHex(sha256(new TextEncoder().encode(text)));
  }, readFileSync(reportPath, 'utf8'));
  assert.equal(reportHash, view.report_sha256, 'report.json downloaded from the page hashes to report_sha256');
  assert.ok(await page.locator('[data-artifact="variants.vcf"]').count() === 1);

  ensureDir(screenshots);
  await page.screenshot({ path: join(screenshots, 'report.png'), fullPage: true });

  // The proof appears once the anchor batch is signed (no Stacks node: kept, not broadcast).
  const proof = page.getByTestId('proof');
  await proof.waitFor({ timeout: 150_000 });
  const proofText = await proof.textContent();
  assert.match(proofText, /genoflow verify --report report\.json --proof proof\.json/);
  const proofDownload = page.waitForEvent('download');
  await proof.locator('[data-artifact="proof.json"]').click();
  const proofPath = join(work, 'proof.json');
  await (await proofDownload).saveAs(proofPath);
  const proofJson = JSON.parse(readFileSync(proofPath, 'utf8'));
  assert.ok(proofText.includes(proofJson.root) && proofText.includes(proofJson.txid));
  assert.equal(proofJson.report_sha256, view.report_sha256);
  await page.screenshot({ path: join(screenshots, 'proof.png'), fullPage: true });

  // What the page offers is what `genoflow verify` checks offline.
  const bin = process.env.GENOFLOW_BIN || join(repoRoot, 'target', 'debug', 'genoflow');
  const verified = execFileSync(bin, ['verify', '--report', reportPath, '--proof', proofPath], { encoding: 'utf8' });
  assert.ok(verified.length > 0);

  assertSameOrigin(requests, server.url);
  assert.deepEqual(problems, []);
  analysed = { datasetId: rows['tb-demo_R1.fastq.gz'].id, devKey: await page.evaluate(() => localStorage.getItem('genoflow.devKey')) };
  await context.close();
});

test('the report shows the attested catalogue and the NCBI Gene records of the evidence genes; a mismatch is shown as such', { timeout: 120_000 }, async () => {
  assert.ok(analysed, 'the first test analysed the read pair');
  const { page, problems, requests, context } = await newPage(browser, { devKey: analysed.devKey });
  await signInWithDevKey(page, server.url);
  const oracleReads = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/oracle/')) oracleReads.push(new URL(r.url()).pathname); });
  await page.goto(`${server.url}#/datasets/${analysed.datasetId}`);

  const kb = page.getByTestId('knowledge-base');
  await kb.waitFor({ timeout: 30_000 });
  assert.equal(await kb.locator('h3').textContent(), 'Knowledge base');
  const catalogue = kb.getByTestId('catalogue-attestation');
  await page.waitForFunction(() => document.querySelector('[data-testid=catalogue-attestation]')?.dataset.state === 'signed' &&
    [...document.querySelectorAll('[data-testid=gene-record]')].every((row) => !['loading'].includes(row.dataset.state)), null, { timeout: 20_000 });
  const catalogueText = await catalogue.textContent();
  assert.match(catalogueText, /tb-who-2023/);
  assert.match(catalogueText, /signed by the oracle, not yet on the chain/);
  assert.equal(await catalogue.getAttribute('data-match'), 'unread', 'no node: the contract is not read, nothing is called a mismatch');
  assert.equal(await kb.getByTestId('catalogue-mismatch').count(), 0);
  const attested = await (await fetch(`${server.url}oracle/catalogue/tb-who-2023`)).json();
  assert.ok(catalogueText.includes(attested.value.slice(0, 8)), 'the attested value is shown');
  assert.match(await kb.getByTestId('oracle-unread').first().textContent(), /no Stacks node is connected/);

  // One row per gene of the evidence (rpoB, inhA, katG, pncA for tb-demo), each read once.
  const rows = await kb.getByTestId('gene-record').evaluateAll((els) => els.map((e) => ({ gene: e.dataset.gene, state: e.dataset.state, text: e.textContent })));
  const genes = rows.map((r) => r.gene);
  for (const gene of ['rpoB', 'katG', 'inhA', 'pncA']) assert.ok(genes.includes(gene), `${gene} is listed`);
  assert.equal(new Set(genes).size, genes.length, 'each gene once');
  for (const row of rows) assert.equal(row.state, 'signed', `${row.gene} is signed`);
  const rpoB = rows.find((r) => r.gene === 'rpoB');
  assert.match(rpoB.text, /DNA-directed RNA polymerase subunit beta/);
  assert.match(rpoB.text, /888164/);
  assert.match(rpoB.text, /signed by the oracle, not yet on the chain/);
  assert.match(rows.find((r) => r.gene === 'katG').text, /catalase/i);
  assert.deepEqual([...oracleReads].sort(), [...genes.map((g) => `/oracle/gene/${g}`), '/oracle/catalogue/tb-who-2023'].sort(), 'one read per gene and one for the catalogue');
  await kb.screenshot({ path: join(ensureDir(screenshots), 'knowledge-base.png') });

  // The catalogue the oracle attested is not the one the report names, and the contract holds
  // something else: both are said; a gene that cannot be read is said quietly in its row.
  await page.route('**/oracle/catalogue/**', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.value = 'ee'.repeat(32);
    body.matches_chain = false;
    body.on_chain = { value: 'ff'.repeat(32), timestamp: body.timestamp + 60, signer: body.signer, submitted_at: 7 };
    body.state = 'superseded';
    delete body.on_chain_error;
    await route.fulfill({ response, json: body });
  });
  await page.route('**/oracle/gene/pncA', (route) => route.fulfill({ status: 404, json: { error: { code: 'not_attested', message: 'pncA is not attested' } } }));
  await page.route('**/oracle/gene/katG', (route) => route.abort());
  await page.reload();
  const warning = page.getByTestId('catalogue-mismatch');
  await warning.waitFor({ timeout: 30_000 });
  const warningText = await warning.textContent();
  assert.equal(await warning.getAttribute('role'), 'alert');
  assert.match(warningText, /does not match/);
  assert.match(warningText, /The report's catalogue value differs from the attested one/);
  assert.match(warningText, /Does not match the chain: the oracle contract holds a newer value/);
  assert.match(await page.getByTestId('catalogue-attestation').textContent(), /superseded by a newer value/);
  const pncA = page.locator('[data-testid=gene-record][data-gene=pncA]');
  await page.waitForFunction(() => document.querySelector('[data-testid=gene-record][data-gene=katG]')?.dataset.state === 'error');
  assert.match(await pncA.textContent(), /not attested/);
  assert.match(await page.locator('[data-testid=gene-record][data-gene=katG]').textContent(), /could not be read/);
  assert.match(await page.locator('[data-testid=gene-record][data-gene=rpoB]').textContent(), /DNA-directed RNA polymerase subunit beta/, 'the other genes are still shown');
  await page.getByTestId('drug-call').first().waitFor();
  assert.ok(await page.getByTestId('variant-row').count() > 0, 'the rest of the report is shown');
  await page.getByTestId('knowledge-base').screenshot({ path: join(screenshots, 'knowledge-base-mismatch.png') });

  assertSameOrigin(requests, server.url);
  assert.deepEqual(problems.filter((p) => !/ERR_FAILED/.test(p)), [], 'nothing but the aborted katG read went wrong');
  await context.close();
});

test('corrupt files are refused with the validator’s words, and a dataset can be deleted', { timeout: 180_000 }, async () => {
  const truncated = join(work, 'truncated.fastq');
  const valid = '@r1\nACGTACGTAC\n+\nIIIIIIIIII\n';
  writeFileSync(truncated, valid + '@r2\nACGTACGTAC\n+\nIIII\n');
  const garbage = join(work, 'garbage.fastq.gz');
  const gz = gzipSync(Buffer.from(valid.repeat(50)));
  writeFileSync(garbage, Buffer.concat([gz.subarray(0, 20), Buffer.from('this is not deflate data'.repeat(8))]));

  const { page, problems, requests, context } = await newPage(browser);
  await signInWithDevKey(page, server.url);
  await page.goto(`${server.url}#/upload`);
  for (const file of [truncated, garbage]) {
    await page.getByTestId('file-input').setInputFiles(file);
    await page.getByTestId('upload-button').click();
    await page.getByTestId('upload-progress').locator('.progress-row[data-phase=done]').waitFor({ timeout: 30_000 });
  }
  await page.getByTestId('go-to-samples').click();
  const rows = await waitForRows(page, ['truncated.fastq', 'garbage.fastq.gz'], ['invalid'], 60_000);
  assert.equal(rows['truncated.fastq'].status, 'invalid');
  assert.equal(rows['garbage.fastq.gz'].status, 'invalid');

  await page.locator(`[data-testid=sample-file][data-dataset-id="${rows['truncated.fastq'].id}"]`).click();
  const error = page.getByTestId('dataset-error');
  await error.waitFor({ timeout: 10_000 });
  const text = await error.textContent();
  assert.match(text, /This file is not valid\./);
  assert.match(text, /line \d+/, 'the error names its line');
  const { body } = await apiFromPage(page, 'GET', `/datasets/${rows['truncated.fastq'].id}`);
  assert.ok(text.includes(body.error.message), 'the validator’s message is shown as it is');
  await page.screenshot({ path: join(ensureDir(screenshots), 'invalid.png'), fullPage: true });

  await page.goto(`${server.url}#/datasets/${rows['garbage.fastq.gz'].id}`);
  await page.getByTestId('dataset-error').waitFor({ timeout: 10_000 });
  assert.match(await page.getByTestId('dataset-error').textContent(), /not valid/);

  // Delete it, with the confirmation.
  await page.getByTestId('delete-button').click();
  await page.getByTestId('confirm-delete').click();
  await page.waitForFunction(() => location.hash === '#/');
  await page.waitForFunction((id) => !document.querySelector(`[data-testid=sample-file][data-dataset-id="${id}"]`) &&
    document.querySelector('[data-testid=sample-file]'), rows['garbage.fastq.gz'].id);
  const gone = await apiFromPage(page, 'GET', `/datasets/${rows['garbage.fastq.gz'].id}`);
  assert.equal(gone.status, 404);

  assertSameOrigin(requests, server.url);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a sign-in with a tampered signature is refused in plain words', { timeout: 60_000 }, async () => {
  const { page, context } = await newPage(browser);
  await page.goto(server.url);
  await page.route('**/auth/login', async (route) => {
    const body = JSON.parse(route.request().postData());
    // Change one hex digit of s: still 65 bytes, no longer this key's signature.
    const i = 70;
    const digit = body.signature[i] === '0' ? '1' : '0';
    body.signature = body.signature.slice(0, i) + digit + body.signature.slice(i + 1);
    await route.continue({ postData: JSON.stringify(body) });
  });
  const answered = page.waitForResponse('**/auth/login');
  await page.getByTestId('dev-key-signin').click();
  const response = await answered;
  assert.equal(response.status(), 401);
  const error = page.locator('#signin-error');
  await error.waitFor({ state: 'visible' });
  const text = await error.textContent();
  assert.match(text, /^Sign-in refused: /);
  assert.match(text, /signature/i);
  assert.doesNotMatch(text, /[{}]/, 'no JSON in the message');
  assert.equal(await page.getByTestId('signed-in-address').isVisible(), false);

  // Without the tampering the same key signs in.
  await page.unroute('**/auth/login');
  await page.getByTestId('dev-key-signin').click();
  await page.getByTestId('signed-in-address').waitFor({ state: 'visible' });
  await context.close();
});

test('an expired or refused token sends the user back to sign in, saying so', { timeout: 60_000 }, async () => {
  const { page, context } = await newPage(browser);
  await signInWithDevKey(page, server.url);
  await page.evaluate(() => {
    const session = JSON.parse(sessionStorage.getItem('genoflow.session'));
    sessionStorage.setItem('genoflow.session', JSON.stringify({ ...session, token: `${session.token}x` }));
  });
  const refused = page.waitForResponse((r) => /\/(datasets|samples)/.test(r.url()) && r.status() === 401);
  await page.reload();
  await refused;
  await page.locator('#notice').waitFor({ state: 'visible' });
  assert.match(await page.locator('#notice').textContent(), /Your sign-in has expired — sign in again/);
  await page.getByTestId('dev-key-signin').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('genoflow.session')), null);
  await context.close();
});

/** A provider object in the page whose request() is answered by @stacks/transactions here. */
async function installWallet(page, key, { global, shape }) {
  await page.exposeFunction('__walletSign', (method, params) => {
    if (method !== 'stx_signStructuredMessage') throw new Error(`unexpected method ${method}`);
    const message = deserializeCV(params.message);
    const domain = deserializeCV(params.domain);
    const signature = signStructuredData({ message, domain, privateKey: key });
    return { signature, publicKey: privateKeyToPublic(key) };
  });
  await page.addInitScript(({ global, shape }) => {
    const provider = {
      async request(method, params) {
        const { signature, publicKey } = await window.__walletSign(method, params);
        if (shape === 'jsonrpc') return { jsonrpc: '2.0', id: '1', result: { signature, publicKey } };
        // v ‖ r ‖ s order and an uncompressed key: the page has to normalise both.
        const vrs = signature.slice(128) + signature.slice(0, 128);
        return { signature: vrs, publicKey: `0x${publicKey}` };
      },
    };
    if (global === 'xverse') window.XverseProviders = { StacksProvider: provider };
    else window.LeatherProvider = provider;
  }, { global, shape });
}

for (const variant of [
  { global: 'leather', shape: 'jsonrpc', key: '11'.repeat(32) + '01', name: 'Leather' },
  { global: 'xverse', shape: 'vrs-uncompressed', key: '22'.repeat(32), name: 'Xverse' },
]) {
  test(`a wallet's structured-message signature signs in (${variant.name}, ${variant.shape})`, { timeout: 60_000 }, async () => {
    const { page, problems, context } = await newPage(browser);
    await installWallet(page, variant.key, variant);
    await page.goto(server.url);
    const button = page.locator('#wallet-signin');
    await button.waitFor({ state: 'visible' });
    assert.equal((await button.textContent()).trim(), `Sign in with ${variant.name}`);
    await button.click();
    await page.getByTestId('signed-in-address').waitFor({ state: 'visible' });
    const address = (await page.getByTestId('signed-in-address').textContent()).trim();
    // The server answers the address of the compressed key (a wallet's).
    const compressedKey = variant.key.length === 64 ? `${variant.key}01` : variant.key;
    assert.equal(address, getAddressFromPrivateKey(compressedKey, 'testnet'));
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('without a Stacks node the chain screens say plainly that no chain is connected', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await newPage(browser);
  await page.goto(`${server.url}#/marketplace`);
  const note = page.locator('#marketplace-page [data-testid=no-chain]');
  await note.waitFor();
  assert.match(await note.textContent(), /No chain is connected to this GenoFlow server/);
  assert.equal(await page.locator('#signin-view').isVisible(), false, 'the marketplace needs no sign-in');
  await signInWithDevKey(page, server.url);
  for (const screen of ['profile', 'purchases', 'subscription']) {
    await page.goto(`${server.url}#/${screen}`);
    const line = page.locator(`#${screen}-page [data-testid=no-chain]`);
    await line.waitFor();
    assert.match(await line.textContent(), /No chain is connected/);
  }
  assert.deepEqual(problems, []);
  await context.close();
});
