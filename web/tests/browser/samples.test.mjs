// The page people read (#18): the landing, samples as the list's unit, the upload with its
// name, specimen, cancel and leave-page warning, the phone layout, keyboard use and axe-core,
// at 1280×800 and 390×844, against one real `genoflow serve`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import {
  DESKTOP, PHONE, assertAccessible, assertNoSideways, checkScreen, launchBrowser, newPage, samples, shoot, signInWithDevKey, startServer, tempDir,
} from './harness.mjs';

const R1 = join(samples, 'tb-demo_R1.fastq.gz');
const R2 = join(samples, 'tb-demo_R2.fastq.gz');

let server;
let browser;
const work = tempDir('genoflow-samples-test-');
/** The analysed, named read pair: its development key, sample id and first dataset. */
let named = null;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Presses Tab (at most `max` times) until the focused element matches `selector`. */
async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${selector}`);
}

function api(page, method, path) {
  return page.evaluate(async ({ method, path }) => {
    const session = JSON.parse(sessionStorage.getItem('genoflow.session'));
    const response = await fetch(path, { method, headers: { authorization: `Bearer ${session.token}` } });
    return { status: response.status, body: response.status === 204 ? null : await response.json() };
  }, { method, path });
}

/** The focused element's heading text, after a view change moved the focus there. */
async function focusedHeading(page) {
  await page.waitForFunction(() => /^H[12]$/.test(document.activeElement?.tagName), null, { timeout: 10_000 });
  return page.evaluate(() => document.activeElement.textContent.trim());
}

test('the landing says what GenoFlow is for; sign-in, list and upload pass axe-core and fit a phone', { timeout: 120_000 }, async () => {
  for (const [viewport, size] of [[DESKTOP, '1280'], [PHONE, '390']]) {
    const { context, page, problems } = await newPage(browser, { viewport });
    await page.goto(server.url);
    const what = page.getByTestId('what-it-does');
    await what.waitFor();
    const text = (await what.textContent()).replace(/\s+/g, ' ');
    assert.match(text, /tuberculosis/);
    assert.match(text, /drug/);
    assert.match(text, /Stacks blockchain/);
    assert.equal(text.split(/(?<=\.) /).length, 2, 'two sentences');
    await assertAccessible(page, `the landing at ${size}`);
    await assertNoSideways(page, `the landing at ${size}`);
    await shoot(page, `landing-${size}.png`);

    await signInWithDevKey(page, server.url);
    assert.equal(await focusedHeading(page), 'Your samples', 'focus moves to the list\'s heading after sign-in');
    await page.getByTestId('empty-list').waitFor();
    await assertAccessible(page, `the empty list at ${size}`);
    await assertNoSideways(page, `the empty list at ${size}`);

    await page.getByTestId('open-upload').click();
    assert.equal(await focusedHeading(page), 'Upload a sample');
    await assertAccessible(page, `the upload screen at ${size}`);
    await assertNoSideways(page, `the upload screen at ${size}`);
    await shoot(page, `upload-${size}.png`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('keyboard only: a named read pair is uploaded, listed as one sample, and opened to its report', { timeout: 480_000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  // Listening from the start turns Playwright's file chooser interception on before the key press.
  let chosen;
  const chooser = new Promise((resolve) => (chosen = resolve));
  page.on('filechooser', (c) => chosen(c));
  await page.goto(server.url);
  await page.getByTestId('dev-key-signin').waitFor();
  await tabTo(page, '[data-testid=dev-key-signin]');
  await page.keyboard.press('Enter');
  await page.getByTestId('signed-in-address').waitFor();
  assert.equal(await focusedHeading(page), 'Your samples');
  await tabTo(page, '[data-testid=open-upload]');
  await page.keyboard.press('Enter');
  assert.equal(await focusedHeading(page), 'Upload a sample');

  await tabTo(page, '#file-input');
  await page.keyboard.press('Space');
  await (await chooser).setFiles([R1, R2]);
  await tabTo(page, '#sample-name');
  await page.keyboard.type('patient-17 isolate');
  await tabTo(page, '#specimen-id');
  await page.keyboard.type('SP-0042');
  await tabTo(page, '#submitter');
  await page.keyboard.type('Central TB Laboratory');
  await tabTo(page, '#upload-button');
  const posted = page.waitForRequest((r) => r.url().endsWith('/uploads') && r.method() === 'POST');
  await page.keyboard.press('Enter');
  const body = JSON.parse((await posted).postData());
  assert.equal(body.sample_name, 'patient-17 isolate', 'the typed name is sent');
  assert.deepEqual(body.specimen, { specimen_id: 'SP-0042', submitter: 'Central TB Laboratory' });
  assert.match(await page.getByTestId('upload-progress').textContent(), /MB\/s|Uploaded|Hashed|Uploading/);

  await page.getByTestId('go-to-samples').waitFor({ timeout: 60_000 });
  await shoot(page, 'upload-done-1280.png');
  await tabTo(page, '[data-testid=go-to-samples]');
  await page.keyboard.press('Enter');
  assert.equal(await focusedHeading(page), 'Your samples');

  // One row for the pair, with the name, both files, and in time the result.
  const row = page.getByTestId('sample-row');
  await row.first().waitFor();
  assert.equal(await row.count(), 1, 'a read pair is one row');
  assert.equal(await row.getAttribute('data-name'), 'patient-17 isolate');
  assert.match(await row.getByTestId('sample-link').textContent(), /patient-17 isolate/);
  assert.match(await row.getByTestId('specimen').textContent(), /SP-0042/);
  assert.deepEqual(await row.getByTestId('sample-file').evaluateAll((els) => els.map((e) => e.dataset.filename)), ['tb-demo_R1.fastq.gz', 'tb-demo_R2.fastq.gz']);
  await page.waitForFunction(() => ['analyzed', 'anchoring', 'anchored'].includes(document.querySelector('[data-testid=sample-row]')?.dataset.status), null, { timeout: 300_000, polling: 1000 });
  const result = await row.getByTestId('sample-result').textContent();
  assert.match(result, /MDR-TB|RR-TB|XDR/, 'the classification is in the row');
  assert.match(result, /Rifampicin/i);
  const sampleId = await row.getAttribute('data-sample-id');
  const firstDataset = await row.getByTestId('sample-file').first().getAttribute('data-dataset-id');

  // Search, filter and sort answer with the sample or without it.
  await page.getByTestId('sample-search').fill('patient-17');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=sample-row]').length === 1);
  await page.getByTestId('status-filter').selectOption('failed');
  await page.getByTestId('empty-list').waitFor();
  assert.match(await page.getByTestId('empty-list').textContent(), /No sample matches/);
  await page.getByTestId('status-filter').selectOption('');
  await page.getByTestId('result-filter').selectOption('resistant');
  await row.first().waitFor();
  await page.getByTestId('sort').selectOption('name');
  await row.first().waitFor();
  await page.getByTestId('sample-search').fill('');
  await page.getByTestId('result-filter').selectOption('');
  await page.getByTestId('sort').selectOption('newest');
  await row.first().waitFor();

  await assertAccessible(page, 'the list at 1280');
  await assertNoSideways(page, 'the list at 1280');
  await shoot(page, 'samples-1280.png');

  // The focused row is visible: a ring of at least 3:1 (the row's outline).
  await page.getByTestId('sample-search').focus();
  await tabTo(page, '[data-testid=sample-link]');
  const ring = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement.closest('tr'));
    return { width: style.outlineWidth, style: style.outlineStyle, color: style.outlineColor };
  });
  assert.equal(ring.style, 'solid');
  assert.equal(ring.width, '3px');
  assert.equal(ring.color, 'rgb(26, 95, 180)');
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => location.hash === `#/datasets/${id}`, firstDataset);
  await focusedHeading(page);
  await page.getByTestId('drug-call').first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  named = { devKey: await page.evaluate(() => localStorage.getItem('genoflow.devKey')), sampleId, datasetId: firstDataset };
  assert.match(await page.locator('#detail').textContent(), /patient-17 isolate/, 'the report names the sample');
  await assertAccessible(page, 'the report at 1280');
  assert.deepEqual(problems, []);
  await context.close();
});

test('at 390 px the list is cards; the report, with every section open, neither scrolls sideways nor fails axe-core', { timeout: 120_000 }, async () => {
  assert.ok(named, 'the keyboard test analysed the pair');
  const { context, page, problems } = await newPage(browser, { viewport: PHONE, devKey: named.devKey });
  await signInWithDevKey(page, server.url);
  await page.getByTestId('sample-row').first().waitFor();
  const display = await page.getByTestId('sample-row').first().evaluate((row) => getComputedStyle(row).display);
  assert.equal(display, 'block', 'a row is a card');
  await assertAccessible(page, 'the list at 390');
  await assertNoSideways(page, 'the list at 390');
  await shoot(page, 'samples-390.png');
  await page.goto(`${server.url}#/datasets/${named.datasetId}`);
  await page.getByTestId('drug-call').first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  await assertAccessible(page, 'the report at 390');
  await assertNoSideways(page, 'the report at 390');
  // Opened, the proof's values and the technical details (tables of files, QC, coverage and
  // variants) scroll inside their own regions, not the page.
  for (const summary of await page.locator('details > summary').all()) await summary.click();
  assert.ok(await page.locator('details[open]').count() >= 2, 'the proof values and the technical details are open');
  await page.waitForTimeout(500);
  await assertNoSideways(page, 'the report at 390 with its details open');
  await assertAccessible(page, 'the report at 390 with its details open');
  await shoot(page, 'report-details-390.png');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a re-render (a poll that changed a row, an upload\u2019s progress) keeps keyboard focus on the same control', { timeout: 60_000 }, async () => {
  const { context, page } = await newPage(browser, { viewport: DESKTOP });
  await page.goto(server.url);
  const kept = await page.evaluate(async () => {
    const { append, clear, h, keepingFocus } = await import('/lib/dom.js');
    const rows = (ids, status) => ids.map((id) => h('tr', { dataset: { testid: 'sample-row', sampleId: id } },
      h('td', {}, h('a', { href: `#/${id}`, dataset: { testid: 'sample-link' } }, id)), h('td', {}, status)));
    const body = h('tbody');
    document.body.append(h('table', {}, body));
    append(body, rows(['a', 'b', 'c'], 'anchoring'));
    body.querySelector('[data-sample-id=b] a').focus();
    const seen = [];
    // The rows come back changed and in another order, then without the focused row.
    keepingFocus(body, () => append(clear(body), rows(['c', 'new', 'a', 'b'], 'anchored')));
    seen.push(document.activeElement.closest('tr')?.dataset.sampleId, document.activeElement.textContent);
    keepingFocus(body, () => append(clear(body), rows(['a'], 'anchored')));
    seen.push(document.activeElement === document.body);
    // An upload's progress rows, by file name: the focused Resume stays with its file.
    const area = h('div');
    document.body.append(area);
    const progress = (names, percent) => names.map((name) => h('div', { dataset: { filename: name } },
      h('span', {}, `${percent} %`), h('button', { type: 'button' }, 'Resume')));
    append(area, progress(['R1.fq', 'R2.fq'], 10));
    area.querySelector('[data-filename="R2.fq"] button').focus();
    keepingFocus(area, () => append(clear(area), progress(['R2.fq', 'R1.fq'], 20)));
    seen.push(document.activeElement.closest('[data-filename]')?.dataset.filename);
    return seen;
  });
  assert.deepEqual(kept, ['b', 'b', true, 'R2.fq'], 'focus follows its row; with the row gone it is not put on another');
  await context.close();
});

test('a pair with one corrupt mate: both files say the sample failed, and the row says why', { timeout: 180_000 }, async () => {
  const bad = join(work, 'broken-mate_R2.fastq');
  writeFileSync(bad, '@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nACGTACGTAC\n+\nIIII\n');
  const good = join(work, 'broken-mate_R1.fastq');
  writeFileSync(good, '@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nACGTACGTAC\n+\nIIIIIIIIII\n');
  const { context, page, problems } = await newPage(browser, { viewport: PHONE });
  await signInWithDevKey(page, server.url);
  await page.goto(`${server.url}#/upload`);
  await page.getByTestId('file-input').setInputFiles([good, bad]);
  await page.getByTestId('sample-name').fill(`a-very-long-sample-name-${'x'.repeat(60)}-that-must-wrap`);
  await page.getByTestId('upload-button').click();
  await page.getByTestId('go-to-samples').waitFor();
  await assertNoSideways(page, 'the finished upload at 390');
  await shoot(page, 'upload-done-390.png');
  await page.getByTestId('go-to-samples').click();
  const row = page.getByTestId('sample-row').first();
  await page.waitForFunction(() => document.querySelector('[data-testid=sample-row]')?.dataset.status === 'failed', null, { timeout: 90_000, polling: 500 });
  const files = await row.getByTestId('sample-file').evaluateAll((els) => els.map((e) => ({ name: e.dataset.filename, sample: e.dataset.sampleStatus, text: e.querySelector('[data-testid=file-status]').textContent })));
  assert.equal(files.length, 2);
  for (const file of files) {
    assert.equal(file.sample, 'failed');
    assert.match(file.text, /sample failed/, `${file.name} says the sample failed`);
  }
  assert.match(files.find((f) => f.name === 'broken-mate_R1.fastq').text, /valid, but the sample failed/);
  const reason = await row.getByTestId('status-reason').textContent();
  assert.match(reason, /broken-mate_R2\.fastq/, 'the reason names the corrupt file');
  await checkScreen(page, 'samples-failed', 'the list with a failed sample');
  assert.deepEqual(problems, []);
  await context.close();
});

test('cancel while hashing stops the worker; cancel while sending deletes the pending upload; leaving asks first', { timeout: 180_000 }, async () => {
  const big = join(work, 'big.fastq');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 1536 * 1024 * 1024);
  closeSync(fd);
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  const workers = [];
  page.on('worker', (worker) => {
    const entry = { url: worker.url(), closed: false };
    worker.on('close', () => (entry.closed = true));
    workers.push(entry);
  });
  await signInWithDevKey(page, server.url);
  await page.goto(`${server.url}#/upload`);
  await page.getByTestId('file-input').setInputFiles(big);
  await page.getByTestId('upload-button').click();
  const progress = page.getByTestId('upload-progress');
  await page.waitForFunction(() => /MB\/s/.test(document.querySelector('.progress-row[data-phase=hashing]')?.textContent || ''), null, { timeout: 30_000 });
  assert.match(await progress.textContent(), /left/, 'hashing shows the time left');
  const leaving = await page.evaluate(() => {
    const event = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(event);
    return event.defaultPrevented;
  });
  assert.equal(leaving, true, 'leaving while hashing asks first');
  await page.getByTestId('cancel-upload').click();
  await page.getByTestId('upload-outcome').waitFor();
  assert.match(await page.getByTestId('upload-outcome').textContent(), /cancelled/i);
  for (let i = 0; i < 50 && !workers.every((w) => w.closed); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(workers.some((w) => w.url.endsWith('/lib/hash-worker.js')) && workers.every((w) => w.closed), 'the hashing worker is stopped');
  assert.deepEqual((await api(page, 'GET', '/samples')).body.samples, []);

  // Sending: the storage never answers; Cancel aborts the request and deletes the dataset.
  const small = join(work, 'small.fastq');
  writeFileSync(small, '@r1\nACGTACGTAC\n+\nIIIIIIIIII\n');
  await page.route('**/blobs/**', () => {});
  await page.getByTestId('file-input').setInputFiles(small);
  await page.getByTestId('upload-button').click();
  await progress.locator('.progress-row[data-phase=uploading]').waitFor({ timeout: 30_000 });
  assert.equal((await api(page, 'GET', '/samples')).body.samples.length, 1, 'the server holds the pending upload');
  await page.getByTestId('cancel-upload').click();
  await page.getByTestId('upload-outcome').waitFor();
  assert.match(await page.getByTestId('upload-outcome').textContent(), /nothing was kept/);
  assert.deepEqual((await api(page, 'GET', '/samples')).body.samples, [], 'GET /samples is empty');
  assert.deepEqual((await api(page, 'GET', '/datasets')).body.datasets, [], 'GET /datasets is empty');
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('genoflow.upload.')).length), 0, 'no resume record is left');
  const calm = await page.evaluate(() => {
    const event = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(event);
    return event.defaultPrevented;
  });
  assert.equal(calm, false, 'nothing in flight: leaving does not ask');
  await page.unroute('**/blobs/**');
  assert.deepEqual(problems.filter((p) => !/ERR_|net::/.test(p)), []);
  await context.close();
});
