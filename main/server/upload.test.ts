import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { temporaryDir } from '../../tests/fixtures/mnist-folder';
import { startServer, type RunningServer } from './server';
import { MAX_SEGMENT_BYTES, sanitiseRelativePath, UploadNameError } from './upload-names';
import { UPLOADS_FOLDER } from './upload-store';

describe('upload names', () => {
  test('keep plain and unicode names, drop "." segments, replace reserved characters', () => {
    assert.deepEqual(sanitiseRelativePath('cats/001.png'), ['cats', '001.png']);
    assert.deepEqual(sanitiseRelativePath('a/./b//c.png'), ['a', 'b', 'c.png']);
    assert.deepEqual(sanitiseRelativePath('chats/é́tè 猫.jpg'), ['chats', 'é́tè 猫.jpg'.normalize('NFC')]);
    assert.deepEqual(sanitiseRelativePath('a\\b.png'), ['a', 'b.png']);
    assert.deepEqual(sanitiseRelativePath('x/wh:at?.png'), ['x', 'wh_at_.png']);
    assert.deepEqual(sanitiseRelativePath('x/tab\there\n.png'), ['x', 'tabhere.png']);
    assert.deepEqual(sanitiseRelativePath('x/con.png'), ['x', '_con.png']);
  });

  test('refuse a way up, absolute paths, hidden names and empty names', () => {
    for (const bad of ['../x.png', 'a/../../x.png', '/etc/x.png', '\\\\server\\x.png', 'C:\\x.png', 'c:x.png', '.hidden/x.png', 'a/.DS_Store', '...', 'a/ . /b.png'.replace(' . ', '\u0000'), '']) {
      assert.throws(() => sanitiseRelativePath(bad), UploadNameError, JSON.stringify(bad));
    }
  });

  test('shorten very long names to whole characters, keeping the extension', () => {
    const [name] = sanitiseRelativePath(`${'猫'.repeat(300)}.png`);
    assert.ok(Buffer.byteLength(name!) <= MAX_SEGMENT_BYTES, `${Buffer.byteLength(name!)} bytes`);
    assert.match(name!, /^猫+\.png$/u);
  });
});

let server: RunningServer;
let root = '';
let outside = '';
let png: Buffer;

before(async () => {
  const base = fs.realpathSync(temporaryDir('upload'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).png().toBuffer();
  server = await startServer({
    port: 0, host: '127.0.0.1', browseRoot: root, dataDir: temporaryDir('upload-store'), cacheDir: undefined,
    rendererDir: temporaryDir('upload-renderer'), uploadLimits: { fileBytes: 4096, workspaceBytes: 16 * 1024 },
  });
});

after(async () => {
  await server.close();
});

async function upload(workspace: string, file: string, body: Uint8Array, token: string | null = server.token) {
  const url = new URL('/upload', server.origin);
  url.searchParams.set('workspace', workspace);
  url.searchParams.set('path', file);
  const response = await fetch(url, { method: 'POST', body, headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as any };
}

/** Every file below a folder, relative, with "/" (hidden ones included). */
function filesBelow(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

describe('POST /upload', () => {
  test('needs the token', async () => {
    for (const token of [null, 'wrong']) {
      const { status } = await upload('w', 'a/1.png', png, token);
      assert.equal(status, 401);
    }
    assert.deepEqual(filesBelow(root), []);
  });

  test('stores an image in the workspace and answers with what was stored', async () => {
    const { status, body } = await upload('first', 'cats/1.png', png);
    assert.equal(status, 201);
    assert.deepEqual(body.stored, ['cats/1.png']);
    assert.equal(body.folder, path.join(root, UPLOADS_FOLDER, 'first'));
    assert.deepEqual(fs.readFileSync(path.join(body.folder, 'cats', '1.png')), png);
    assert.equal((await upload('first', 'dogs/1.png', png)).status, 201);
    const dataset = await fetch(new URL('/api/dataset.open', server.origin), {
      method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ path: body.folder }),
    });
    assert.equal(dataset.status, 200, `the workspace opens as a dataset below --root: ${await dataset.clone().text()}`);
  });

  test('refuses unsafe paths, other file types and non-images, writing nothing', async () => {
    for (const [workspace, file, status] of [['w', '../x.png', 400], ['w', '/tmp/x.png', 400], ['..', 'x.png', 400], ['a/b', 'x.png', 400], ['w', 'x.exe', 415], ['w', 'notes.txt', 415]] as const) {
      const answer = await upload(workspace, file, png);
      assert.equal(answer.status, status, `${workspace} ${file}: ${JSON.stringify(answer.body)}`);
    }
    const fake = await upload('w', 'x/fake.png', Buffer.from('not an image at all'));
    assert.equal(fake.status, 415);
    assert.deepEqual(filesBelow(outside), []);
    assert.deepEqual(filesBelow(path.join(root, UPLOADS_FOLDER, 'w')), [], 'no half file is left behind');
  });

  test('enforces the per-file and per-workspace limits', async () => {
    const big = Buffer.concat([png, Buffer.alloc(5000)]);
    assert.equal((await upload('limits', 'big.png', big)).status, 413);
    // 16 KiB per workspace: files of ~3.9 KiB fit four times, not five.
    const chunk = Buffer.concat([png, Buffer.alloc(4000 - png.length)]);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await upload('limits', `c/${i}.png`, chunk)).status);
    assert.deepEqual(statuses, [201, 201, 201, 201, 413]);
    assert.deepEqual(filesBelow(path.join(root, UPLOADS_FOLDER, 'limits')), ['c/0.png', 'c/1.png', 'c/2.png', 'c/3.png']);
  });

  test('enforces the per-file limit on a streamed body that declares no length', async () => {
    const url = new URL('/upload', server.origin);
    url.searchParams.set('workspace', 'streamed');
    url.searchParams.set('path', 'a/big.png');
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(png);
        for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(1000));
        controller.close();
      },
    });
    const response = await fetch(url, { method: 'POST', body, duplex: 'half', headers: { Authorization: `Bearer ${server.token}` } } as RequestInit);
    assert.equal(response.status, 413);
    await response.arrayBuffer().catch(() => undefined);
    assert.deepEqual(filesBelow(path.join(root, UPLOADS_FOLDER, 'streamed')), [], 'the temporary file is gone too');
  });

  test('an upload cut off half-way leaves no file, not even a hidden temporary one', { timeout: 20_000 }, async () => {
    const folder = path.join(root, UPLOADS_FOLDER, 'cut');
    const url = new URL('/upload', server.origin);
    url.searchParams.set('workspace', 'cut');
    url.searchParams.set('path', 'a/1.png');
    const request = http.request(url, { method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Length': png.length * 2 } });
    request.on('error', () => undefined);
    request.write(png);
    // Wait until the server has started writing, then cut the connection.
    while (filesBelow(folder).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    request.destroy();
    while (filesBelow(folder).length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(filesBelow(folder), []);
    assert.equal((await upload('cut', 'a/1.png', png)).status, 201, 'the server goes on serving');
  });

  test('never follows a symbolic link planted in the workspace', async () => {
    const folder = path.join(root, UPLOADS_FOLDER, 'linked');
    fs.mkdirSync(folder, { recursive: true });
    fs.symlinkSync(outside, path.join(folder, 'cats'));
    const { status } = await upload('linked', 'cats/1.png', png);
    assert.equal(status, 409);
    assert.deepEqual(filesBelow(outside), []);
  });

  test('unpacks a zip, skipping clutter and non-images', async () => {
    const zip = zipSync({ 'digits/a/1.png': png, 'digits/b/2.png': png, '__MACOSX/digits/._1.png': Buffer.from('x'), 'digits/readme.txt': Buffer.from('hi'), 'digits/.DS_Store': Buffer.from('x') });
    const { status, body } = await upload('zipped', 'digits.zip', zip);
    assert.equal(status, 201, JSON.stringify(body));
    assert.deepEqual(body.stored.sort(), ['digits/a/1.png', 'digits/b/2.png']);
    assert.equal(body.skipped.length, 3);
    assert.deepEqual(filesBelow(path.join(root, UPLOADS_FOLDER, 'zipped')), ['digits/a/1.png', 'digits/b/2.png']);
  });

  test('refuses a whole zip with a path-traversal entry and stores none of it', async () => {
    const zip = zipSync({ 'a/1.png': png, '../escaped.png': png, 'b/2.png': png });
    const { status, body } = await upload('evil', 'evil.zip', zip);
    assert.equal(status, 400);
    assert.match(body.error.message, /leads out of the workspace/);
    assert.deepEqual(filesBelow(path.join(root, UPLOADS_FOLDER, 'evil')), []);
    assert.equal(fs.existsSync(path.join(root, UPLOADS_FOLDER, 'escaped.png')), false);
    assert.deepEqual(filesBelow(outside), []);
  });

  test('counts what a zip unpacks to against the workspace limit (a zip bomb is refused)', async () => {
    const zip = zipSync({ 'a/1.png': Buffer.concat([png, Buffer.alloc(3000)]), 'a/2.png': Buffer.concat([png, Buffer.alloc(3000)]), 'a/3.png': Buffer.concat([png, Buffer.alloc(3000)]), 'a/4.png': Buffer.concat([png, Buffer.alloc(3000)]), 'a/5.png': Buffer.concat([png, Buffer.alloc(3000)]), 'a/6.png': Buffer.concat([png, Buffer.alloc(3000)]) });
    assert.ok(zip.length < 4096, 'the archive itself is small');
    const { status } = await upload('bomb', 'bomb.zip', zip);
    assert.equal(status, 413);
    assert.deepEqual(filesBelow(path.join(root, UPLOADS_FOLDER, 'bomb')), []);
  });

  test('GET /upload tells the browser the limits', async () => {
    const response = await fetch(new URL('/upload', server.origin), { headers: { Authorization: `Bearer ${server.token}` } });
    assert.deepEqual(await response.json(), { folder: path.join(root, UPLOADS_FOLDER), limits: { fileBytes: 4096, workspaceBytes: 16 * 1024 } });
  });
});
