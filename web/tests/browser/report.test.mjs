// The report page people read, against a real `genoflow serve` (no Stacks node), in Debian's
// chromium: the answer first at desktop and phone sizes, the print layout and Chromium's PDF,
// the proof in words, and Verify now on the real proof and on a tampered report.json.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DESKTOP, PHONE, ensureDir, launchBrowser, newPage, repoRoot, samples, screenshots, shoot, signInWithDevKey, startServer, tempDir,
} from './harness.mjs';

const R1 = join(samples, 'tb-demo_R1.fastq.gz');
const R2 = join(samples, 'tb-demo_R2.fastq.gz');
const SAMPLE = { sample_name: 'TB-demo 042', specimen: { specimen_id: 'SPT-2024-0042', collection_date: '2024-03-15', submitter: 'Demo reference laboratory' } };
const PDFTOTEXT = ['/usr/bin/pdftotext', '/usr/local/bin/pdftotext'].find(existsSync);

let server;
let browser;
let session; // {page, problems, context}: one signed-in page for the whole file
let datasetId;
const work = tempDir('genoflow-report-test-');

function api(page, path) {
  return page.evaluate(async (path) => {
    const { token } = JSON.parse(sessionStorage.getItem('genoflow.session'));
    const response = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: await response.json() };
  }, path);
}

/** Top of an element's box in the page (not the viewport). */
const pageTop = (locator) => locator.evaluate((el) => el.getBoundingClientRect().top + window.scrollY);

before(async () => {
  const oracleKey = join(work, 'oracle.key');
  writeFileSync(oracleKey, '753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601\n');
  server = await startServer(['--oracle-key-file', oracleKey, '--oracle-source', join(repoRoot, 'tests', 'data', 'oracle-source')]);
  browser = await launchBrowser();
  session = await newPage(browser);
  const { page } = session;
  await page.setViewportSize(DESKTOP);
  await signInWithDevKey(page, server.url);
  // The sample's name and specimen go with the upload's declaration (POST /uploads), whatever
  // fields the upload form offers.
  const uploads = (url) => url.pathname === '/uploads';
  await page.route(uploads, async (route) => {
    const request = route.request();
    if (request.method() !== 'POST') return route.continue();
    const body = { ...JSON.parse(request.postData()), ...SAMPLE };
    return route.continue({ postData: JSON.stringify(body) });
  });
  await page.goto(`${server.url}#/upload`);
  await page.getByTestId('file-input').setInputFiles([R1, R2]);
  await page.getByTestId('upload-button').click();
  // Wait on the API, not on the list's rows: analysed means both files have a report.
  const deadline = Date.now() + 240_000;
  for (;;) {
    const { body } = await api(page, '/datasets');
    const mine = (body.datasets || []).filter((d) => /^tb-demo_R[12]\.fastq\.gz$/.test(d.filename));
    if (mine.length === 2 && mine.every((d) => ['analyzed', 'anchored', 'confirmed'].includes(d.status))) {
      datasetId = mine.find((d) => d.filename === 'tb-demo_R1.fastq.gz').dataset_id;
      break;
    }
    if (mine.some((d) => ['invalid', 'failed'].includes(d.status)) || Date.now() > deadline) {
      throw new Error(`the tb-demo pair was not analysed: ${JSON.stringify(mine.map((d) => [d.filename, d.status]))}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  await page.unroute(uploads);
  await page.goto(`${server.url}#/datasets/${datasetId}`);
  await page.getByTestId('report-answer').waitFor({ timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the answer comes first at 1280×800 and 390×844: class, resistant drugs, drugs not assessed with their genes', { timeout: 60_000 }, async () => {
  const { page } = session;
  const answer = page.getByTestId('report-answer');
  const text = await answer.innerText();
  console.log(`answer block (tb-demo):\n${text}`);
  assert.equal(await answer.getAttribute('data-classification'), 'MDR-TB');
  assert.match(text, /TB-demo 042/);
  assert.match(text, /SPT-2024-0042/);
  assert.match(text, /2024-03-15/);
  assert.match(text, /Demo reference laboratory/);
  assert.match(text, /Multidrug-resistant TB \(MDR-TB\)/);
  assert.match(text, /Resistant to both rifampicin and isoniazid/);
  const resistant = await answer.getByTestId('answer-resistant').evaluateAll((els) => els.map((e) => e.dataset.drug));
  assert.deepEqual(resistant.slice(0, 3), ['Rifampicin', 'Isoniazid', 'Pyrazinamide'], 'first-line drugs first, in their order');
  assert.ok(resistant.includes('Ethionamide'));
  assert.match(await answer.locator('[data-testid=answer-resistant][data-drug=Rifampicin]').innerText(), /rpoB_p\.Ser450Leu \(associated with resistance, 100 % of reads\)/);
  const notAssessed = await answer.getByTestId('not-assessed').innerText();
  assert.match(notAssessed, /Not assessed \(6\)/);
  assert.match(notAssessed, /Bedaquiline: coverage too low in Rv0678 \(0 % covered\), atpE/);
  assert.match(notAssessed, /Linezolid: coverage too low in rplC/);
  assert.match(notAssessed, /at least 95% of its catalogue positions are covered by at least 10 reads/);
  assert.match(text, /Species\s+M\. tuberculosis complex/);
  // The README's sample covers too few barcode sites for a call: the lineage says so, no figure.
  assert.match(await answer.getByTestId('biology').innerText(), /Lineage\s+not determined \(/);
  assert.equal(await answer.getByTestId('lineage-figure').count(), 0);
  assert.match(text, /Sequencing QC: Passed with gaps/);
  // Every drug, first-line then second-line.
  const lines = await page.getByTestId('drug-call').evaluateAll((els) => els.map((e) => [e.dataset.drug, e.dataset.line]));
  assert.deepEqual(lines.slice(0, 4), [['Rifampicin', 'first_line'], ['Isoniazid', 'first_line'], ['Ethambutol', 'first_line'], ['Pyrazinamide', 'first_line']]);
  assert.ok(lines.slice(4).every(([, line]) => line === 'second_line'));

  for (const [size, name] of [[DESKTOP, 'report-desktop.png'], [PHONE, 'report-phone.png']]) {
    await page.setViewportSize(size);
    await page.evaluate(() => window.scrollTo(0, 0));
    const answerTop = await pageTop(answer);
    const technicalTop = await pageTop(page.getByTestId('technical-details'));
    const classBox = await page.getByTestId('classification').boundingBox();
    assert.ok(answerTop < size.height / 2, `${size.width}px: the answer starts at ${answerTop}px, in the first screen`);
    assert.ok(classBox.y + classBox.height <= size.height, `${size.width}px: the class is seen without scrolling (${classBox.y}+${classBox.height})`);
    assert.ok(answerTop < technicalTop, `${size.width}px: the answer (${answerTop}) is above the technical details (${technicalTop})`);
    assert.equal(await page.getByTestId('technical-details').evaluate((d) => d.open), false, 'technical details are collapsed');
    await shoot(page, name, {});
  }
  await page.setViewportSize(DESKTOP);
  assert.deepEqual(session.problems, []);
});

test('printed, the report starts with the answer and has no buttons; Chromium’s PDF too', { timeout: 60_000 }, async () => {
  const { page } = session;
  await page.emulateMedia({ media: 'print' });
  try {
    const shown = await page.evaluate(() => {
      const visible = (el) => getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0;
      const buttons = [...document.querySelectorAll('button, a.button, nav, .topbar')].filter(visible).map((el) => el.textContent.trim());
      // The first element with text on the printed page.
      const texts = [...document.querySelectorAll('body *')].filter((el) => visible(el) && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()));
      texts.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
      const first = texts[0];
      return {
        buttons,
        firstInAnswer: Boolean(first?.closest('[data-testid=report-answer]')),
        firstText: first?.textContent.trim(),
        technical: visible(document.querySelector('[data-testid=technical-details]')),
        about: visible(document.querySelector('[data-testid=disclaimer]')),
        printed: visible(document.querySelector('[data-testid=printed-date]')),
      };
    });
    assert.deepEqual(shown.buttons, [], 'no button, link button or navigation is printed');
    assert.ok(shown.firstInAnswer, `the first printed text is the answer's (${shown.firstText})`);
    assert.equal(shown.technical, false, 'technical details are left out of print');
    assert.ok(shown.about && shown.printed, 'the disclaimer and the print date are printed');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    const pdfPath = join(ensureDir(screenshots), 'report.pdf');
    writeFileSync(pdfPath, pdf);
    if (!PDFTOTEXT) {
      console.log('pdftotext is not installed: the PDF text is not checked (apt-get install -y poppler-utils)');
      return;
    }
    const text = execFileSync(PDFTOTEXT, ['-layout', pdfPath, '-'], { encoding: 'utf8' });
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    console.log(`PDF: ${text.split('\f').filter((p) => p.trim()).length} page(s); first lines:\n${lines.slice(0, 8).join('\n')}`);
    assert.match(lines[0], /DRUG-RESISTANCE REPORT/i);
    assert.match(lines.slice(0, 3).join(' '), /TB-demo 042/);
    assert.match(lines.slice(0, 12).join(' '), /Multidrug-resistant TB \(MDR-TB\)/);
    for (const word of ['Sign out', 'Delete', 'Print / Save as PDF', 'Verify now', 'Upload', 'Download', 'Datasets']) {
      assert.ok(!text.includes(word), `the PDF has no "${word}"`);
    }
    assert.match(text, /For research use only\. Not for diagnostic use\./);
    assert.match(text, /Pipeline id/);
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
});

test('the proof says plainly it was not sent to a chain; Verify now passes on the real report and fails on a changed byte', { timeout: 200_000 }, async () => {
  const { page } = session;
  const proof = page.getByTestId('proof');
  await proof.waitFor({ timeout: 150_000 });
  assert.equal(await proof.getAttribute('data-tx-status'), 'unbroadcast');
  const words = await page.getByTestId('anchor-words').innerText();
  assert.match(words, /signed but not sent to any chain: this server has no Stacks node/);
  assert.doesNotMatch(words, /recorded on the Stacks chain/);

  await page.getByTestId('verify-now').click();
  const result = page.getByTestId('verify-result');
  await page.locator('[data-testid=verify-result][data-state=passed], [data-testid=verify-result][data-state=failed], [data-testid=verify-result][data-state=error]').waitFor({ timeout: 30_000 });
  const checks = await result.getByTestId('verify-check').evaluateAll((els) => els.map((e) => [e.dataset.check, e.dataset.result]));
  assert.equal(await result.getAttribute('data-state'), 'passed', JSON.stringify(checks));
  assert.deepEqual(checks, [['report-sha256', 'ok'], ['pipeline-id', 'ok'], ['inputs-hash', 'ok'], ['item', 'ok'], ['merkle-root', 'ok'], ['catalogue-key', 'ok']]);
  assert.match(await result.getByTestId('verify-chain-note').innerText(), /this server has no Stacks node/);
  await page.getByTestId('proof-section').scrollIntoViewIfNeeded();
  await shoot(page, 'report-verified.png', { fullPage: true, clip: await clipOf(page, 'proof-section') });

  // One byte of report.json changed on its way to the page.
  const reportJson = (url) => url.pathname.endsWith('/report.json');
  await page.route(reportJson, async (route) => {
    const response = await route.fetch();
    const bytes = Buffer.from(await response.body());
    const at = bytes.indexOf('"Rifampicin"');
    bytes[at + 1] = 'r'.charCodeAt(0);
    await route.fulfill({ response, body: bytes });
  });
  await page.getByTestId('verify-now').click();
  await page.locator('[data-testid=verify-result][data-state=failed]').waitFor({ timeout: 30_000 });
  const failed = await result.getByTestId('verify-check').evaluateAll((els) => els.filter((e) => e.dataset.result === 'failed').map((e) => e.dataset.check));
  assert.deepEqual(failed, ['report-sha256', 'item']);
  assert.match(await result.innerText(), /Verification failed: this report does not match its proof/);
  await shoot(page, 'report-tampered.png', { fullPage: true, clip: await clipOf(page, 'proof-section') });
  await page.unroute(reportJson);
  assert.deepEqual(session.problems, []);
});

async function clipOf(page, testid) {
  const box = await page.getByTestId(testid).evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
  });
  return { ...box, height: Math.min(box.height, 1400) };
}

test('a called lineage shows at the top of the report with a figure of its path and the fractions of its sites', { timeout: 60_000 }, async () => {
  const { page } = session;
  // The tb-demo reads cover too few barcode sites; the report the page reads is given a lineage
  // call as a whole-genome sample of lineage 2.2.1 gets one (the analysis itself is tested in Rust).
  // The same function to unroute: Playwright removes a route by its matcher's identity.
  const reportAnswer = (url) => url.pathname === `/datasets/${datasetId}/report`;
  await page.route(reportAnswer, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.report.lineage = {
      call: 'lineage2.2.1', path: 'lineage2 > lineage2.2 > lineage2.2.1', family: 'East-Asian (Beijing)',
      covered_fraction: 1, median_fraction: 0.98, reason: null,
      support: [
        { lineage: 'lineage2', sites: 10, covered: 10, median_fraction: 1 },
        { lineage: 'lineage2.2', sites: 10, covered: 10, median_fraction: 0.99 },
        { lineage: 'lineage2.2.1', sites: 10, covered: 10, median_fraction: 0.98 },
      ],
    };
    body.report.mixture = { verdict: 'single', proportions: [{ lineage: 'lineage2.2.1', fraction: 1 }], reason: 'one strain' };
    await route.fulfill({ response, json: body });
  });
  try {
    // A reload: the page is already on this report, and a hash it already shows is not a new view.
    await page.goto(`${server.url}#/datasets/${datasetId}`);
    await page.reload();
    const answer = page.getByTestId('report-answer');
    await answer.getByTestId('lineage-figure').waitFor({ timeout: 30_000 });
    assert.match(await answer.getByTestId('biology').innerText(), /Lineage\s+Lineage 2\.2\.1, East-Asian \(Beijing\)/);
    const rows = await answer.getByTestId('lineage-row').evaluateAll((els) => els.map((e) => e.innerText.replace(/\s+/g, ' ').trim()));
    assert.deepEqual(rows, ['lineage2 100 % 10 of 10', 'lineage2.2 99 % 10 of 10', 'lineage2.2.1 98 % 10 of 10']);
    const figureTop = await pageTop(answer.getByTestId('lineage-figure'));
    const technicalTop = await pageTop(page.getByTestId('technical-details'));
    assert.ok(figureTop < technicalTop, 'the lineage is in the answer, above the technical details');
  } finally {
    await page.unroute(reportAnswer);
  }
});

test('on a phone the coverage chart’s labels stay readable (at least 10 px on screen)', { timeout: 60_000 }, async () => {
  const { page } = session;
  await page.setViewportSize(PHONE);
  try {
    await page.goto(`${server.url}#/datasets/${datasetId}`);
    await page.reload();
    await page.getByTestId('report-answer').waitFor({ timeout: 30_000 });
    const chart = page.getByTestId('coverage-chart');
    await chart.waitFor({ state: 'attached', timeout: 30_000 });
    // Open every collapsed section the chart sits in (the technical details, and its own).
    const ancestors = await chart.evaluate((el) => {
      const seen = [];
      for (let node = el; node; node = node.parentElement) {
        if (node.tagName === 'DETAILS') node.open = true;
        seen.push(`${node.tagName.toLowerCase()}.${node.className}:${getComputedStyle(node).display}`);
      }
      return seen;
    });
    await chart.waitFor({ timeout: 10_000 }).catch(() => { throw new Error(`the chart stays hidden: ${ancestors.join(' < ')}`); });
    const heights = await chart.locator('text').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    assert.ok(heights.length > 10, `${heights.length} labels`);
    const smallest = Math.min(...heights);
    assert.ok(smallest >= 10, `the smallest chart label is ${smallest.toFixed(1)} px high at 390 px`);
    const right = await chart.evaluate((el) => el.getBoundingClientRect().right);
    assert.ok(right <= PHONE.width, `the chart fits the phone's width (its right edge at ${right} px)`);
    await shoot(page, 'report-coverage-phone.png', {});
  } finally {
    await page.setViewportSize(DESKTOP);
  }
});
