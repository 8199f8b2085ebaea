import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CHANNELS, IPC_DROP_CHANNEL, IPC_EVENT_CHANNEL, IPC_PREFIX } from '../main/api/contract';
import { startApp } from './app';
import { createFakeElectron, FakeEvent, FakeWebContents } from './fake-electron';

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `losslab-${prefix}-`));
}

async function started(options: { singleInstanceLock?: boolean } = {}) {
  const userData = tempDir('userdata');
  const harness = createFakeElectron({ userData, ...options });
  const logs: string[] = [];
  const app = startApp(harness.electron, { electronDir: '/opt/losslab/dist/electron', rendererDir: tempDir('renderer'), log: (line) => logs.push(line) });
  harness.ready();
  const ready = await app.ready;
  return { ...harness, logs, ready, userData };
}

test('before ready: user data, the single-instance lock and the privileged app:// scheme', async () => {
  const { calls, fake } = await started();
  assert.ok(calls.indexOf('app.setPath:userData') < calls.indexOf('app.requestSingleInstanceLock'));
  assert.equal(fake.protocol.registeredBeforeReady, true);
  assert.deepEqual(fake.protocol.privileged, [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
  assert.ok(fake.protocol.handlers.has('app'), 'app:// is served after ready');
});

test('the window is sandboxed, isolated, without Node, and loads the app from app://', async () => {
  const { fake, ready } = await started();
  const window = fake.BrowserWindow.windows.at(-1)!;
  assert.equal(ready!.window as unknown, window);
  const prefs = window.options.webPreferences;
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.preload, '/opt/losslab/dist/electron/preload.js');
  assert.equal(window.url, 'app://losslab/index.html');
  assert.equal(window.shown, false, 'shown only when ready to show');
  window.emit('ready-to-show');
  assert.equal(window.shown, true);
});

test('one IPC handler per contract channel (plus drops); each validates, logs rejections and answers plain data', async () => {
  const harness = await started();
  const { invoke, ipcChannels, logs } = harness;
  assert.deepEqual(ipcChannels().sort(), [...CHANNELS.map((c) => `${IPC_PREFIX}${c}`), IPC_DROP_CHANNEL].sort());

  const info = await invoke(`${IPC_PREFIX}app.info`, {});
  assert.equal(info.ok, true);
  assert.equal(info.result.mode, 'desktop');
  assert.deepEqual(info.result.features, { nativeDialogs: true, folderBrowser: false, export: true });
  assert.equal(info.result.dataDir, path.join(harness.userData, 'experiments'));

  const bad = await invoke(`${IPC_PREFIX}experiments.cellImages`, { id: '../etc', runId: 5 });
  assert.equal(bad.ok, false);
  assert.equal(bad.rejected, true);
  assert.equal(bad.error.name, 'ApiValidationError');
  assert.ok(logs.some((line) => line.startsWith('rejected experiments.cellImages:')), logs.join('\n'));

  const foreign = await invoke(`${IPC_PREFIX}app.info`, {}, 'https://evil.example/');
  assert.equal(foreign.ok, false);
  assert.equal(foreign.error.name, 'Forbidden');
  assert.ok(logs.some((line) => line.includes('not the app\'s page')));

  const failed = await invoke(`${IPC_PREFIX}experiments.get`, { id: 'missing' });
  assert.equal(failed.ok, false);
  assert.equal(failed.rejected, false);
  assert.match(failed.error.message, /no experiment "missing"/);
  assert.deepEqual(Object.keys(failed.error).sort(), ['message', 'name'], 'errors cross as { name, message } only');

  const outside = await invoke(`${IPC_PREFIX}dataset.open`, { path: os.tmpdir() });
  assert.match(outside.error.message, /Open folder/);
});

test('the folder dialog grants the chosen folder; cancelling grants nothing', async () => {
  const { invoke, fake, ready } = await started();
  const folder = tempDir('chosen');
  fake.dialog.nextOpen = { canceled: true, filePaths: [] };
  assert.deepEqual((await invoke(`${IPC_PREFIX}dialog.openFolder`, {})).result, { path: null });
  assert.equal(await ready!.services.access.openable(folder), null);
  fake.dialog.nextOpen = { canceled: false, filePaths: [folder] };
  assert.deepEqual((await invoke(`${IPC_PREFIX}dialog.openFolder`, {})).result, { path: folder });
  assert.ok(await ready!.services.access.openable(folder));
  const [, options] = fake.dialog.asked.at(-1) as [unknown, { properties: string[] }];
  assert.deepEqual(options.properties, ['openDirectory']);
});

test('the save dialog decides where an export may be written', async () => {
  const { invoke, fake } = await started();
  fake.dialog.nextSave = { canceled: true, filePath: '' };
  assert.deepEqual((await invoke(`${IPC_PREFIX}dialog.saveExport`, { id: 'abc', format: 'csv' })).result, { path: null, files: [] });
  const target = path.join(tempDir('save'), 'out.csv');
  const direct = await invoke(`${IPC_PREFIX}experiments.export`, { id: 'abc', format: 'csv', path: target });
  assert.match(direct.error.message, /may not write/, 'the renderer cannot pick an export path by itself');
  fake.dialog.nextSave = { canceled: false, filePath: target };
  const viaDialog = await invoke(`${IPC_PREFIX}dialog.saveExport`, { id: 'abc', format: 'csv' });
  assert.match(viaDialog.error.message, /no experiment "abc"/, 'allowed to write; fails only because the experiment does not exist');
  const [, options] = fake.dialog.asked.at(-1) as [unknown, { defaultPath: string; filters: { extensions: string[] }[] }];
  assert.equal(options.defaultPath, 'losslab-abc-csv.zip', 'CSV tables are saved as one archive');
  assert.deepEqual(options.filters[0]!.extensions, ['zip']);
});

test('the model is saved through a folder dialog; cancelling writes nothing', async () => {
  const { invoke, fake } = await started();
  fake.dialog.nextOpen = { canceled: true, filePaths: [] };
  assert.deepEqual((await invoke(`${IPC_PREFIX}dialog.saveModel`, { id: 'abc', runId: 'ce#seed1' })).result, { path: null, files: [] });
  const folder = tempDir('model-target');
  fake.dialog.nextOpen = { canceled: false, filePaths: [folder] };
  const saved = await invoke(`${IPC_PREFIX}dialog.saveModel`, { id: 'abc', runId: 'ce#seed1' });
  assert.match(saved.error.message, /no experiment "abc"/, 'reaches the store; fails only because the experiment does not exist');
  const [, options] = fake.dialog.asked.at(-1) as [unknown, { properties: string[] }];
  assert.deepEqual(options.properties, ['openDirectory', 'createDirectory']);
  assert.deepEqual(fs.readdirSync(folder), [], 'nothing written');
});

test('dropped paths become readable; anything else sent on the drop channel is refused', async () => {
  const { invoke, ready, logs } = await started();
  const folder = tempDir('dropped');
  assert.equal(await invoke(IPC_DROP_CHANNEL, folder), folder);
  assert.ok(await ready!.services.access.openable(folder));
  assert.equal(await invoke(IPC_DROP_CHANNEL, 42), null);
  assert.equal(await invoke(IPC_DROP_CHANNEL, path.join(folder, 'missing')), null);
  assert.equal(await invoke(IPC_DROP_CHANNEL, folder, 'https://evil.example/'), null);
  assert.ok(logs.some((l) => l.includes('rejected a dropped path')));
});

test('web contents cannot open windows, navigate away, embed webviews, get permissions or reach the network', async () => {
  const { fake, logs } = await started();
  const contents = new FakeWebContents();
  fake.app.emit('web-contents-created', new FakeEvent(), contents);
  assert.deepEqual(contents.windowOpenHandler!({ url: 'https://example.org/paper' }), { action: 'deny' });
  assert.deepEqual(fake.shell.opened, ['https://example.org/paper'], 'web links open in the system browser');
  assert.deepEqual(contents.windowOpenHandler!({ url: 'file:///etc/passwd' }), { action: 'deny' });
  assert.deepEqual(fake.shell.opened.length, 1, 'only http(s) links are handed to the OS');

  for (const [event, url, blocked] of [['will-navigate', 'https://evil.example', true], ['will-navigate', 'file:///etc', true], ['will-redirect', 'http://x', true], ['will-navigate', 'app://losslab/index.html#/results', false]] as const) {
    const navigation = new FakeEvent();
    contents.emit(event, navigation, url);
    assert.equal(navigation.defaultPrevented, blocked, `${event} ${url}`);
  }
  const webview = new FakeEvent();
  contents.emit('will-attach-webview', webview);
  assert.equal(webview.defaultPrevented, true);

  let granted: boolean | undefined;
  fake.session.defaultSession.permissionRequestHandler!(contents, 'geolocation', (answer) => (granted = answer));
  assert.equal(granted, false);
  assert.equal(fake.session.defaultSession.permissionCheckHandler!(), false);
  const answers: Record<string, boolean> = {};
  for (const url of ['https://cdn.example/x.js', 'http://127.0.0.1:8642/', 'file:///etc/passwd', 'app://losslab/assets/app.js', 'data:image/png;base64,AA', 'devtools://devtools/x']) {
    fake.session.defaultSession.beforeRequest!({ url }, ({ cancel }) => (answers[url] = cancel));
  }
  assert.deepEqual(answers, {
    'https://cdn.example/x.js': true,
    'http://127.0.0.1:8642/': true,
    'file:///etc/passwd': true,
    'app://losslab/assets/app.js': false,
    'data:image/png;base64,AA': false,
    'devtools://devtools/x': false,
  });
  assert.ok(logs.some((l) => l.startsWith('blocked navigation to https://evil.example')));
});

test('events reach every window; menu commands arrive as app.command events', async () => {
  const { fake } = await started();
  const window = fake.BrowserWindow.windows.at(-1)!;
  const template = fake.Menu.current!.template;
  const file = template.find((item: { label?: string }) => item.label === '&File');
  const open = file.submenu.find((item: { label?: string }) => item.label === 'Open Dataset Folder…');
  assert.equal(open.accelerator, 'CmdOrCtrl+O');
  open.click();
  assert.deepEqual(window.webContents.sent.at(-1), { channel: IPC_EVENT_CHANNEL, data: { type: 'app.command', data: { command: 'openFolder' } } });
  assert.ok(template.some((item: { role?: string }) => item.role === 'editMenu'), 'standard edit shortcuts');
  const view = template.find((item: { label?: string }) => item.label === '&View');
  assert.ok(view.submenu.some((item: { role?: string }) => item.role === 'toggleDevTools'), 'developer tools in an unpackaged build');
});

test('a second instance quits at once and focuses the first', async () => {
  const second = await started({ singleInstanceLock: false });
  assert.equal(second.ready, null);
  assert.equal(second.fake.app.hasQuit, true);
  assert.equal(second.fake.BrowserWindow.windows.length, 0);

  const first = await started();
  const window = first.fake.BrowserWindow.windows.at(-1)!;
  window.minimized = true;
  first.fake.app.emit('second-instance');
  assert.equal(window.minimized, false);
  assert.equal(window.focusCount, 1);
});

test('the window size is remembered across launches', async () => {
  const first = await started();
  const window = first.fake.BrowserWindow.windows.at(-1)!;
  assert.deepEqual([window.options.width, window.options.height], [1280, 860], 'default size');
  window.options.width = 1500;
  window.options.height = 900;
  window.maximized = true;
  window.emit('close');
  const saved = JSON.parse(fs.readFileSync(path.join(first.userData, 'window-state.json'), 'utf8'));
  assert.deepEqual(saved, { width: 1500, height: 900, x: 10, y: 20, maximized: true });

  const harness = createFakeElectron({ userData: first.userData });
  const again = startApp(harness.electron, { electronDir: '/x', rendererDir: '/x', log: () => undefined });
  harness.ready();
  await again.ready;
  const reopened = harness.fake.BrowserWindow.windows.at(-1)!;
  assert.deepEqual([reopened.options.width, reopened.options.height, reopened.options.x], [1500, 900, 10]);
  reopened.emit('ready-to-show');
  assert.equal(reopened.maximized, true);
});

test('quitting waits for running experiments to be cancelled', async () => {
  const { fake, ready } = await started();
  let shutdowns = 0;
  let finishShutdown: () => void = () => undefined;
  ready!.services.shutdown = () => {
    shutdowns++;
    return new Promise<void>((resolve) => (finishShutdown = resolve));
  };
  fake.app.quit();
  assert.equal(fake.app.hasQuit, false, 'the first quit is held back');
  assert.equal(shutdowns, 1);
  finishShutdown();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fake.app.hasQuit, true);
});
