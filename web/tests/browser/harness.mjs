// Starts `genoflow serve` on a free port with a fresh data directory, and Debian's
// chromium through playwright-core. Nothing is downloaded.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const samples = join(repoRoot, 'tests', 'data', 'samples');
export const screenshots = join(repoRoot, 'target', 'web-screenshots');
/** Screenshots kept in the repository: every screen at both sizes. */
export const committedScreenshots = join(repoRoot, 'web', 'tests', 'browser', 'screenshots');
/** The two sizes every screen is checked at: a laptop and a phone. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Runs `genoflow serve --addr 127.0.0.1:0 --data-dir <tmp> ...extraArgs` and resolves
 * {url, stop, logs} once it prints `listening on http://127.0.0.1:PORT/`.
 */
export async function startServer(extraArgs = [], extraEnv = {}) {
  const bin = process.env.GENOFLOW_BIN || join(repoRoot, 'target', 'debug', 'genoflow');
  if (!existsSync(bin)) {
    throw new Error(`no genoflow binary at ${bin}: build it (cargo build -p genoflow-cli) or set GENOFLOW_BIN`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'genoflow-web-test-'));
  // No Stacks node: anchors are signed and kept, never broadcast.
  const env = { ...process.env };
  delete env.GENOFLOW_STACKS_NODE_URL;
  Object.assign(env, extraEnv);
  const child = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const logs = [];
  child.stderr.on('data', (chunk) => logs.push(chunk.toString()));
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`genoflow serve did not print its address in 30 s:\n${out}\n${logs.join('')}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      logs.push(chunk.toString());
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`genoflow serve exited with ${code}:\n${out}\n${logs.join('')}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timeout);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, stop, logs, dataDir };
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_BIN)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A new page in a fresh context (a phone's when `viewport` is narrower than 500 px), with console
 * errors and page errors collected, and every request's URL recorded (to check nothing leaves the
 * server's origin). `devKey` is put where the page keeps its development key, to sign in as an
 * earlier context did.
 */
export async function newPage(browser, { viewport = { width: 1280, height: 900 }, devKey = null } = {}) {
  const phone = viewport.width < 500;
  const context = await browser.newContext({ viewport, isMobile: phone, hasTouch: phone, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx answer as a console error; the API's 409 (report or proof not
    // there yet) and 404 are answers the page handles, not problems.
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on('request', (request) => requests.push(request.url()));
  const workers = [];
  page.on('worker', (worker) => workers.push(worker.url()));
  if (devKey) await page.addInitScript((key) => localStorage.setItem('genoflow.devKey', key), devKey);
  return { context, page, problems, requests, workers };
}

export async function signInWithDevKey(page, url) {
  await page.goto(url);
  await page.getByTestId('dev-key-signin').click();
  await page.getByTestId('signed-in-address').waitFor({ state: 'visible' });
  const address = (await page.getByTestId('signed-in-address').textContent()).trim();
  if (!/^S[TN][0-9A-Z]{20,}$/.test(address)) throw new Error(`signed in as ${JSON.stringify(address)}`);
  return address;
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function ensureDir(path) {
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * Starts the chain stand-in (tests/chain-standin: the real contracts in a simnet, with the
 * node's endpoints) on a free port: resolves {url, stop, status()}. Needs `npm ci` there.
 */
export async function startStandin(extraArgs = []) {
  const dir = join(repoRoot, 'tests', 'chain-standin');
  if (!existsSync(join(dir, 'node_modules', '@stacks', 'clarinet-sdk'))) {
    throw new Error('the chain stand-in\'s packages are missing: (cd tests/chain-standin && npm ci)');
  }
  const child = spawn(process.execPath, [join(dir, 'server.mjs'), '--port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  child.stderr.on('data', (chunk) => logs.push(chunk.toString()));
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the chain stand-in did not start in 90 s:\n${logs.join('')}`)), 90_000);
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const match = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the chain stand-in exited with ${code}:\n${logs.join('')}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  const status = async () => (await fetch(`${url}/standin/status`)).json();
  return { url, stop, status, logs };
}

let axeSource = null;

/** axe-core's serious and critical violations on what the page shows now: `[{id, impact, nodes}]`. */
export async function axeProblems(page) {
  axeSource ??= readFileSync(join(repoRoot, 'web', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })));
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function assertAccessible(page, screen) {
  assert.deepEqual(await axeProblems(page), [], `axe-core: no serious or critical violation on ${screen}`);
}

export async function assertNoSideways(page, screen) {
  const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scrollWidth <= innerWidth, `${screen}: the page does not scroll sideways (${scrollWidth} > ${innerWidth})`);
}

/**
 * A screenshot into target/web-screenshots (the whole page unless `options` say otherwise);
 * GENOFLOW_UPDATE_SCREENSHOTS=1 also refreshes the committed copy, so a test run leaves the
 * working tree as it found it.
 */
export async function shoot(page, name, options = { fullPage: true }) {
  await page.screenshot({ path: join(ensureDir(screenshots), name), ...options });
  if (process.env.GENOFLOW_UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: join(ensureDir(committedScreenshots), name), ...options });
}

/**
 * The screen the page shows, at 1280×800 and at 390×844: no serious or critical axe-core
 * violation, nothing scrolls sideways, and a screenshot of each (`{name}-1280.png`,
 * `{name}-390.png`). The page's own size is put back after.
 */
export async function checkScreen(page, name, label = name) {
  const before = page.viewportSize();
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    // A resize redraws the charts (a narrower drawing below 600 px): let it settle.
    await page.waitForTimeout(300);
    await assertAccessible(page, `${label} at ${size.width}`);
    await assertNoSideways(page, `${label} at ${size.width}`);
    await shoot(page, `${name}-${size.width}.png`);
  }
  await page.setViewportSize(before);
}
