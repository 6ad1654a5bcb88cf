// Multipart uploads against `genoflow serve --multipart-above 1 MiB --part-size 1 MiB`:
// a part that keeps failing is retried, the upload stops as "interrupted", Resume and a
// reload re-send only the missing parts, and the dataset then arrives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, newPage, signInWithDevKey, startServer, tempDir } from './harness.mjs';

const MIB = 1024 * 1024;
let server;
let browser;
const work = tempDir('genoflow-web-multipart-');

before(async () => {
  server = await startServer(['--multipart-above', String(MIB), '--part-size', String(MIB)]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A valid FASTQ of about `bytes` bytes (150 bp reads, seeded bases). */
function fastq(bytes) {
  let state = 12345;
  const base = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return 'ACGT'[state >> 29];
  };
  const lines = [];
  let size = 0;
  for (let i = 1; size < bytes; i++) {
    const seq = Array.from({ length: 150 }, base).join('');
    const record = `@read${i}\n${seq}\n+\n${'I'.repeat(150)}\n`;
    lines.push(record);
    size += record.length;
  }
  return lines.join('');
}

const partOf = (url) => Number(new URL(url).searchParams.get('partNumber'));

test('a multipart upload survives a failing part: Resume and a reload send only what is missing', { timeout: 180_000 }, async () => {
  const file = join(work, 'parts.fastq');
  writeFileSync(file, fastq(3.5 * MIB));
  const other = join(work, 'other.fastq');
  writeFileSync(other, fastq(1.2 * MIB));

  const { page, problems, context } = await newPage(browser);
  await signInWithDevKey(page, server.url);
  await page.goto(`${server.url}#/upload`);

  // Part 3 cannot get through; the others can. Record every part PUT that succeeds.
  const attempts = [];
  const succeeded = new Set();
  page.on('response', (response) => {
    if (response.request().method() === 'PUT' && response.url().includes('partNumber=') && response.ok()) {
      succeeded.add(partOf(response.url()));
    }
  });
  const isPart3 = (url) => url.searchParams.get('partNumber') === '3';
  await page.route(isPart3, (route) => {
    attempts.push(partOf(route.request().url()));
    return route.abort('connectionreset');
  });

  await page.getByTestId('file-input').setInputFiles(file);
  await page.getByTestId('upload-button').click();
  const progress = page.getByTestId('upload-progress');
  await progress.locator('.progress-row[data-phase=interrupted]').waitFor({ timeout: 60_000 });
  assert.match(await progress.textContent(), /Upload interrupted/);
  assert.equal(attempts.length, 4, 'the failing part was tried 4 times, with back-off');
  const numeric = (set) => [...set].sort((a, b) => a - b);
  assert.ok(succeeded.has(1) && succeeded.has(2) && !succeeded.has(3), `parts sent: ${numeric(succeeded)}`);
  const datasetId = await page.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith('genoflow.upload.')).slice('genoflow.upload.'.length));
  const stored = await page.evaluate((id) => JSON.parse(localStorage.getItem(`genoflow.upload.${id}`)), datasetId);
  assert.deepEqual(Object.keys(stored.parts).map(Number).sort((a, b) => a - b), numeric(succeeded), 'finished parts are remembered with their ETags');
  assert.ok(Object.values(stored.parts).every((etag) => /^"?[0-9a-f]{64}"?$/.test(etag)), 'the ETags the storage answered');

  // Resume in the same page: only the missing parts are sent again (part 3 fails again).
  const missingBefore = [1, 2, 3, 4].filter((n) => !succeeded.has(n));
  const putsAfterResume = [];
  const onRequest = (request) => {
    if (request.method() === 'PUT' && request.url().includes('partNumber=')) putsAfterResume.push(partOf(request.url()));
  };
  page.on('request', onRequest);
  await page.getByTestId('resume-button').click();
  await progress.locator('.progress-row[data-phase=uploading]').waitFor({ timeout: 10_000 }).catch(() => {});
  await progress.locator('.progress-row[data-phase=interrupted]').waitFor({ timeout: 60_000 });
  page.off('request', onRequest);
  assert.equal(attempts.length, 8);
  assert.ok(putsAfterResume.every((n) => missingBefore.includes(n)), `Resume sent parts ${putsAfterResume}, missing were ${missingBefore}`);
  assert.ok(!succeeded.has(3));

  // The storage is reachable again; the page is reloaded (the File is gone): the unfinished
  // upload is listed, the wrong file is refused, the right one sends part 3 only.
  await page.unroute(isPart3);
  const sentBeforeReload = new Set(succeeded);
  await page.reload();
  const item = page.locator(`[data-testid=unfinished-upload][data-dataset-id="${datasetId}"]`);
  await item.waitFor({ timeout: 10_000 });
  assert.match(await item.textContent(), new RegExp(`${sentBeforeReload.size} of 4 parts sent`));
  await item.locator('input[type=file]').setInputFiles(other);
  await item.getByText(/not the same file|That file is/).waitFor({ timeout: 10_000 });

  const putsAfterReload = [];
  page.on('request', (request) => {
    if (request.method() === 'PUT' && request.url().includes('partNumber=')) putsAfterReload.push(partOf(request.url()));
  });
  const completed = page.waitForResponse((r) => r.url().endsWith(`/uploads/${datasetId}/complete`));
  await item.locator('input[type=file]').setInputFiles(file);
  assert.equal((await completed).status(), 200);
  assert.deepEqual(putsAfterReload.sort((a, b) => a - b), [1, 2, 3, 4].filter((n) => !sentBeforeReload.has(n)));
  assert.ok(putsAfterReload.includes(3));

  // The object arrived whole: the server validates it.
  await page.goto(`${server.url}#/`);
  await page.waitForFunction((id) => {
    const row = document.querySelector(`[data-testid=sample-file][data-dataset-id="${id}"]`);
    return row && !['pending', 'uploaded'].includes(row.dataset.status);
  }, datasetId, { timeout: 60_000, polling: 500 });
  const status = await page.locator(`[data-testid=sample-file][data-dataset-id="${datasetId}"]`).getAttribute('data-status');
  assert.notEqual(status, 'invalid', 'the assembled object is the file that was hashed');
  assert.equal(await page.evaluate((id) => localStorage.getItem(`genoflow.upload.${id}`), datasetId), null);
  assert.deepEqual(problems.filter((p) => !/ERR_CONNECTION_RESET|net::ERR_FAILED/.test(p)), []);
  await context.close();
});
