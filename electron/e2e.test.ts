/**
 * Desktop end-to-end tests with Playwright's Electron driver. They need a real Electron runtime,
 * which cannot be downloaded on every machine: they run when ELECTRON_OVERRIDE_DIST_PATH names
 * an Electron dist folder (or node_modules/electron/dist exists) and a display is available
 * (xvfb-run on a headless Linux), and are skipped with the reason otherwise. The real 'electron'
 * package is never required here: Playwright gets the binary's path.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ElectronApplication, Page } from 'playwright-core';
import { CHANNELS, type DesktopBridge } from '../main/api/contract';

const packageRoot = path.join(__dirname, '..', '..');

function binaryIn(dist: string): string {
  if (process.platform === 'darwin') return path.join(dist, 'Electron.app', 'Contents', 'MacOS', 'Electron');
  return path.join(dist, process.platform === 'win32' ? 'electron.exe' : 'electron');
}

export function electronBinary(): string | null {
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(packageRoot, 'node_modules', 'electron', 'dist');
  const binary = binaryIn(dist);
  return fs.existsSync(binary) ? binary : null;
}

function skipReason(): string | false {
  if (!electronBinary()) {
    return 'no Electron runtime here: set ELECTRON_OVERRIDE_DIST_PATH to an Electron dist folder (holding the electron binary) to run the desktop end-to-end tests';
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display: run the desktop end-to-end tests under xvfb-run';
  return false;
}

const skip = skipReason();
if (skip) process.stdout.write(`# desktop end-to-end tests skipped: ${skip}\n`);

let app: ElectronApplication;
let page: Page;
const artifacts = process.env.LOSSLAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-electron-e2e-'));

type BridgeWindow = { losslab: DesktopBridge; require?: unknown; process?: unknown };

before(async () => {
  if (skip) return;
  const { _electron } = (await import('playwright-core')) as typeof import('playwright-core');
  app = await _electron.launch({
    executablePath: electronBinary()!,
    args: [packageRoot, ...(process.platform === 'linux' ? ['--no-sandbox', '--disable-gpu'] : [])],
    env: { ...process.env, LOSSLAB_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-electron-data-')) } as Record<string, string>,
  });
  page = await app.firstWindow();
  await page.waitForLoadState('domcontentloaded');
});

after(async () => {
  await app?.close();
});

test('the window loads the app from app:// with exactly the contract on window.losslab and no Node', { skip }, async () => {
  assert.match(page.url(), /^app:\/\/losslab\//);
  const exposed = await page.evaluate(() => {
    const w = window as unknown as BridgeWindow;
    return { keys: Object.keys(w.losslab).sort(), require: typeof w.require, process: typeof w.process };
  });
  assert.deepEqual(exposed.keys, [...CHANNELS, 'onEvent', 'pathForFile'].sort());
  assert.equal(exposed.require, 'undefined');
  assert.equal(exposed.process, 'undefined');
  await page.screenshot({ path: path.join(artifacts, 'desktop-start.png') });
});

test('API calls work over IPC; invalid ones are refused with their error name', { skip }, async () => {
  const info = await page.evaluate(() => (window as unknown as BridgeWindow).losslab['app.info']({}));
  assert.equal(info.mode, 'desktop');
  const refused = await page.evaluate(() => (window as unknown as BridgeWindow).losslab['experiments.get']({ id: '../../etc' }).then(() => 'accepted', (e: Error) => e.name));
  assert.equal(refused, 'ApiValidationError');
  const overview = await page.evaluate(async () => {
    const api = (window as unknown as BridgeWindow).losslab;
    const { path } = await api['dataset.samplePath']({});
    return api['dataset.open']({ path, imageSize: 16 });
  });
  assert.equal(overview.classes.length, 10);
});

test('the page cannot navigate away or open windows', { skip }, async () => {
  const opened = await page.evaluate(() => window.open('https://example.org') === null);
  assert.ok(opened, 'window.open is denied');
  await page.evaluate(() => {
    window.location.href = 'https://example.org/';
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.match(page.url(), /^app:\/\/losslab\//);
});
