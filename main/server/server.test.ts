import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { temporaryDir, writeMnistFolder } from '../../tests/fixtures/mnist-folder';
import { startServer, type RunningServer } from './server';

let server: RunningServer;
let root = '';
let dataset = '';
let outside = '';
let rendererDir = '';

before(async () => {
  root = fs.realpathSync(temporaryDir('serve-root'));
  dataset = await writeMnistFolder(path.join(root, 'digits'), { digits: [3, 4], perClass: 6 });
  outside = await writeMnistFolder(temporaryDir('serve-outside'), { digits: [5, 6], perClass: 2 });
  rendererDir = temporaryDir('renderer');
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>LossLab test renderer</title>');
  fs.mkdirSync(path.join(rendererDir, 'assets'));
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  server = await startServer({ port: 0, host: '127.0.0.1', browseRoot: root, dataDir: temporaryDir('serve-store'), cacheDir: undefined, rendererDir, maxBodyBytes: 64 * 1024 });
});

after(async () => {
  await server.close();
});

function auth(token = server.token): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

async function call(channel: string, body: unknown, init: { headers?: Record<string, string>; raw?: string } = {}) {
  const response = await fetch(`${server.origin}/api/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...auth(), ...init.headers },
    body: init.raw ?? JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any, headers: response.headers };
}

async function stillServing(): Promise<void> {
  const { status, body } = await call('app.info', {});
  assert.equal(status, 200);
  assert.equal(body.mode, 'served');
}

test('the printed URL carries a token; every route refuses requests without the right one', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  for (const pathname of ['/', '/assets/app.js', '/files?path=/etc/passwd', '/events']) {
    for (const headers of [{}, auth('wrong'), { Cookie: 'losslab_token=wrong' }]) {
      const response = await fetch(`${server.origin}${pathname}`, { headers });
      assert.equal(response.status, 401, `${pathname} with ${JSON.stringify(headers)}`);
      await response.arrayBuffer();
    }
  }
  const api = await call('app.info', {}, { headers: auth('') });
  assert.equal(api.status, 401);
  assert.match(api.body.error.message, /access token/);
  const wrongQuery = await fetch(`${server.origin}/?token=${server.token.slice(1)}x`);
  assert.equal(wrongQuery.status, 401);
});

test('opening the URL sets an HttpOnly same-site cookie that then authorises assets and API calls', async () => {
  const page = await fetch(server.url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /LossLab test renderer/);
  const cookie = page.headers.get('set-cookie') ?? '';
  assert.match(cookie, /losslab_token=.+; HttpOnly; SameSite=Strict/);
  const cookieHeader = { Cookie: cookie.split(';')[0] as string };
  const asset = await fetch(`${server.origin}/assets/app.js`, { headers: cookieHeader });
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type') ?? '', /javascript/);
  const api = await fetch(`${server.origin}/api/app.info`, { method: 'POST', headers: { ...cookieHeader, 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(api.status, 200);
  assert.equal(((await api.json()) as { browseRoot: string }).browseRoot, root);
});

test('responses carry a strict CSP and never a CORS header', async () => {
  const page = await fetch(server.url, { headers: { Origin: 'https://evil.example' } });
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(page.headers.get('access-control-allow-origin'), null);
  const preflight = await fetch(`${server.origin}/api/app.info`, { method: 'OPTIONS', headers: { ...auth(), Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(preflight.headers.get('access-control-allow-origin'), null);
  assert.equal(preflight.status, 405);
});

test('malformed, mistyped, unknown and oversized requests are refused with messages, and the server keeps serving', async () => {
  const malformed = await call('experiments.get', null, { raw: '{"id": ' });
  assert.equal(malformed.status, 400);
  assert.match(malformed.body.error.message, /not valid JSON/);
  await stillServing();

  const mistyped = await call('experiments.cellImages', { id: 'x', runId: 'r', trueClass: 'one', predictedClass: 1.5 });
  assert.equal(mistyped.status, 400);
  assert.equal(mistyped.body.error.name, 'ApiValidationError');
  assert.match(mistyped.body.error.message, /trueClass/);
  assert.match(mistyped.body.error.message, /predictedClass/);
  await stillServing();

  const notObject = await call('dataset.open', [1, 2, 3]);
  assert.equal(notObject.status, 400);
  const unknown = await call('shell.exec', { command: 'rm -rf /' });
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error.message, /Unknown API call/);
  const text = await call('app.info', null, { headers: { 'Content-Type': 'text/plain' }, raw: '{}' });
  assert.equal(text.status, 415);
  const get = await fetch(`${server.origin}/api/app.info`, { headers: auth() });
  assert.equal(get.status, 405);
  await get.arrayBuffer();
  await stillServing();

  const huge = await call('experiment.start', null, { raw: JSON.stringify({ config: { data: 'x'.repeat(2 * 2 ** 20), losses: [{ id: 'ce' }] } }) });
  assert.equal(huge.status, 413);
  assert.match(huge.body.error.message, /larger than 65536 bytes/);
  await stillServing();

  const deep = await call('experiments.get', null, { raw: '['.repeat(30000) + ']'.repeat(30000) });
  assert.equal(deep.status, 400);
  await stillServing();

  // Garbage that is not even HTTP.
  await new Promise<void>((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.end('\u0000\u0001 not http at all\r\n\r\n'));
    socket.on('data', () => undefined);
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  await stillServing();
});

test('a handler failure is a 422 with a message that says what to do', async () => {
  const missing = await call('experiments.get', { id: 'no-such-experiment' });
  assert.equal(missing.status, 422);
  assert.match(missing.body.error.message, /no experiment "no-such-experiment"/);
  const desktopOnly = await call('dialog.openFolder', {});
  assert.equal(desktopOnly.status, 422);
  assert.match(desktopOnly.body.error.message, /only available in the desktop app/);
});

test('the folder browser stays below --root', async () => {
  const top = await call('fs.browse', {});
  assert.equal(top.status, 200);
  assert.deepEqual(top.body.folders.map((f: { name: string }) => f.name), ['digits']);
  const up = await call('fs.browse', { path: path.dirname(root) });
  assert.equal(up.status, 422);
  assert.match(up.body.error.message, /outside/);
});

test('/files serves images only below chosen folders (and not through ..)', async () => {
  const image = path.join(dataset, 'digit-3', fs.readdirSync(path.join(dataset, 'digit-3'))[0]!);
  const before = await fetch(`${server.origin}/files?path=${encodeURIComponent(image)}`, { headers: auth() });
  assert.equal(before.status, 403, 'below --root but not opened yet');
  await before.arrayBuffer();

  const opened = await call('dataset.open', { path: dataset, imageSize: 8 });
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  const sample = opened.body.classes[0].samples[0];
  const served = await fetch(`${server.origin}${sample.url}`, { headers: auth() });
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('content-type'), 'image/png');
  await served.arrayBuffer();
  const thumb = await fetch(`${server.origin}${sample.url}&size=16`, { headers: auth() });
  assert.equal(thumb.status, 200);
  await thumb.arrayBuffer();

  const outsideImage = path.join(outside, 'digit-5', fs.readdirSync(path.join(outside, 'digit-5'))[0]!);
  for (const target of [outsideImage, `${dataset}/../../${path.relative(path.dirname(root), outsideImage)}`, '/etc/passwd', path.join(dataset, '..', '..')]) {
    const response = await fetch(`${server.origin}/files?path=${encodeURIComponent(target)}`, { headers: auth() });
    assert.equal(response.status, 403, target);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /not inside a folder you chose/);
  }
  const opening = await call('dataset.open', { path: outside });
  assert.equal(opening.status, 422);
  const noPath = await fetch(`${server.origin}/files`, { headers: auth() });
  assert.equal(noPath.status, 400);
  await noPath.arrayBuffer();
});

test('static files never leave the renderer folder', async () => {
  for (const pathname of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/../../secret']) {
    const response = await fetch(`${server.origin}${pathname}`, { headers: auth() });
    const body = await response.text();
    assert.ok(!body.includes('root:'), pathname);
  }
});

test('the event socket requires the token and a same-origin page', async () => {
  const refused = async (url: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(url, { headers });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => {
        socket.close();
        resolve(101);
      });
      socket.on('error', () => resolve(-1));
    });
  const ws = server.origin.replace('http', 'ws');
  assert.equal(await refused(`${ws}/events`), 401);
  assert.equal(await refused(`${ws}/events?token=wrong`), 401);
  assert.equal(await refused(`${ws}/events?token=${server.token}`, { Origin: 'https://evil.example' }), 401);
  assert.equal(await refused(`${ws}/other?token=${server.token}`), 401);
  assert.equal(await refused(`${ws}/events?token=${server.token}`, { Origin: server.origin }), 101);
  assert.equal(await refused(`${ws}/events`, { Cookie: `losslab_token=${server.token}` }), 101);
  await stillServing();
});

test('without a renderer build, the page says how to build it', async () => {
  const bare = await startServer({ port: 0, host: '127.0.0.1', browseRoot: root, dataDir: temporaryDir('serve-store2'), cacheDir: undefined, rendererDir: temporaryDir('empty-renderer') });
  try {
    const response = await fetch(bare.url);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /interface is not built[\s\S]*npm run build/);
  } finally {
    await bare.close();
  }
});
