import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { FolderAccess } from '../main/services/folder-access';
import { isAppUrl, respondToAppRequest } from './app-protocol';

let rendererDir = '';
let images = '';
const access = new FolderAccess();

before(async () => {
  rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-app-renderer-'));
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>app</title>');
  fs.mkdirSync(path.join(rendererDir, 'assets'));
  fs.writeFileSync(path.join(rendererDir, 'assets', 'index-abc.js'), 'export {}');
  images = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-app-images-'));
  await sharp({ create: { width: 4, height: 4, channels: 3, background: '#08f' } }).png().toFile(path.join(images, 'a.png'));
  await access.chooseFolder(images);
});

const get = (url: string) => respondToAppRequest(new Request(url), rendererDir, access);

test('app:// serves the renderer build with the CSP, and index.html for the renderer routes', async () => {
  const index = await get('app://losslab/index.html');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.match(await index.text(), /<title>app/);
  const script = await get('app://losslab/assets/index-abc.js');
  assert.match(script.headers.get('content-type') ?? '', /javascript/);
  assert.match(await (await get('app://losslab/results')).text(), /<title>app/);
  assert.equal((await get('app://losslab/assets/missing.js')).status, 404);
  for (const escape of ['app://losslab/../../../etc/passwd', 'app://losslab/%2e%2e/%2e%2e/etc/passwd']) {
    assert.doesNotMatch(await (await get(escape)).text(), /root:/);
  }
  assert.equal((await get('app://other/index.html')).status, 404);
});

test('app://losslab/files serves images only below chosen folders', async () => {
  const image = await get(`app://losslab/files?path=${encodeURIComponent(path.join(images, 'a.png'))}`);
  assert.equal(image.status, 200);
  assert.equal(image.headers.get('content-type'), 'image/png');
  assert.equal((await get(`app://losslab/files?path=${encodeURIComponent('/etc/passwd')}`)).status, 403);
  assert.equal((await get(`app://losslab/files?path=${encodeURIComponent(path.join(images, '..'))}`)).status, 403);
  assert.equal((await get('app://losslab/files')).status, 400);
});

test('without a renderer build the window explains how to build it', async () => {
  const response = await respondToAppRequest(new Request('app://losslab/index.html'), path.join(rendererDir, 'nothing'), access);
  assert.match(await response.text(), /npm run build/);
});

test('isAppUrl accepts only the app origin', () => {
  assert.ok(isAppUrl('app://losslab/index.html'));
  assert.ok(!isAppUrl('app://losslab.evil/index.html'));
  assert.ok(!isAppUrl('https://losslab/'));
  assert.ok(!isAppUrl('not a url'));
  assert.ok(!isAppUrl(undefined));
});
