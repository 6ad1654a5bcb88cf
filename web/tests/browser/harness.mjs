// Starts `genoflow serve` on a free port with a fresh data directory, and Debian's
// chromium through playwright-core. Nothing is downloaded.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const samples = join(repoRoot, 'tests', 'data', 'samples');
export const screenshots = join(repoRoot, 'target', 'web-screenshots');
/** Screenshots kept in the repository (the marketplace screens). */
export const committedScreenshots = join(repoRoot, 'web', 'tests', 'browser', 'screenshots');

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
 * A new page in a fresh context, with console errors and page errors collected, and every
 * request's URL recorded (to check nothing leaves the server's origin).
 */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
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
