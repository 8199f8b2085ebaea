/**
 * Hostile input: every bad dataset folder gives a DatasetError that says what, where and how
 * to fix it, or a skipped-file entry with a reason; never a crash or a hang.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatasetError, type DatasetErrorCode } from './errors';
import { fsReason } from './fs-reasons';
import { loadDataset } from './load';
import { cleanup, fastTempDir, isRoot, makeClassDataset, noisyPixels, numberedPng, rawImage, tempDir, writeFile } from './fixtures';
import { pngWithDeclaredSize } from './hostile-fixtures';
import type { LoadedDataset, LoadOptions } from './types';
import { planSplits } from './splits';

let work = '';
before(() => {
  work = tempDir('hostile');
});
after(() => cleanup(work));

let counter = 0;
const fresh = (label: string): string => path.join(work, `${label}-${counter++}`);
const opts = (root: string, over: Partial<LoadOptions> = {}): LoadOptions => ({ root, imageSize: 8, resize: 'center-crop', colorMode: 'auto', ...over });

async function rejectsWith(promise: Promise<unknown>, code: DatasetErrorCode, ...patterns: RegExp[]): Promise<DatasetError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DatasetError, `expected a DatasetError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

function reasonFor(ds: LoadedDataset, file: string): string {
  const entry = ds.skipped.find((s) => s.file === file);
  assert.ok(entry, `expected ${file} in skipped; skipped: ${JSON.stringify(ds.skipped.map((s) => s.file))}`);
  return entry.reason;
}

describe('dataset-level problems give a DatasetError with what, where and how to fix', () => {
  it('missing path', async () => {
    const missing = path.join(work, 'does', 'not', 'exist');
    await rejectsWith(loadDataset(opts(missing)), 'missing-path', /does not exist/, new RegExp(missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), /Check the path/);
  });

  it('a file instead of a folder', async () => {
    const file = fresh('file');
    writeFile(file, 'x');
    await rejectsWith(loadDataset(opts(file)), 'not-a-folder', /is a file, not a folder/, /one subfolder per class/);
  });

  it('no class subfolders (empty, or only loose images)', async () => {
    const empty = fresh('empty');
    mkdirSync(empty);
    await rejectsWith(loadDataset(opts(empty)), 'no-classes', /No class subfolders in/, /one subfolder per class/);
    const loose = fresh('loose');
    writeFile(path.join(loose, 'a.png'), await numberedPng(1));
    writeFile(path.join(loose, 'b.png'), await numberedPng(2));
    await rejectsWith(loadDataset(opts(loose)), 'no-classes', /holds 2 loose files/);
  });

  it('one class only', async () => {
    const root = fresh('one');
    await makeClassDataset(root, { cats: 3 });
    await rejectsWith(loadDataset(opts(root)), 'one-class', /only one class \("cats"\)/, /at least two classes/);
  });

  it('a class with no readable image names the class and why', async () => {
    const root = fresh('empty-class');
    await makeClassDataset(root, { good: 2 });
    writeFile(path.join(root, 'bad', 'zero.png'), '');
    writeFile(path.join(root, 'bad', 'text.jpg'), 'hello');
    mkdirSync(path.join(root, 'hollow'));
    const error = await rejectsWith(loadDataset(opts(root)), 'empty-class', /2 classes with no readable image/,
 /"bad" \([^)]*bad: [^)]*1 empty file/, /"bad" \([^)]*bad: [^)]*1 not an image/, /"hollow" \([^)]*the folder holds no files\)/, /Add readable JPEG/);
    assert.equal(error.path, root);
  });

  it('train/ and test/ with different classes', async () => {
    const root = fresh('mismatch');
    await makeClassDataset(path.join(root, 'train'), { a: 2, b: 2 });
    await makeClassDataset(path.join(root, 'test'), { a: 1, c: 1 });
    await rejectsWith(loadDataset(opts(root)), 'class-mismatch', /train\/ and test\/ .* hold different classes/, /only in train\/: "b"; only in test\/: "c"/, /same class subfolders/);
  });

  it('a test/ folder and a separate test folder at once', async () => {
    const root = fresh('double-test');
    await makeClassDataset(path.join(root, 'train'), { a: 2, b: 2 });
    await makeClassDataset(path.join(root, 'test'), { a: 1, b: 1 });
    const other = fresh('other-test');
    await makeClassDataset(other, { a: 1, b: 1 });
    await rejectsWith(loadDataset(opts(root, { testRoot: other })), 'conflicting-test', /already has a test folder/, /Use one or the other/);
  });

  it('10,000 classes: scans without trouble and reports the classes without images', async () => {
    const shm = fastTempDir('ten-thousand');
    const root = path.join(shm, 'data');
    for (let i = 0; i < 10_000; i++) {
      mkdirSync(path.join(root, `c${i}`), { recursive: true });
      writeFileSync(path.join(root, `c${i}`, 'x.png'), '');
    }
    try {
      await rejectsWith(loadDataset(opts(root)), 'empty-class', /10000 classes with no readable image/, /and 9995 more/);
    } finally {
      cleanup(shm);
    }
  });

  it('many classes of one image load, and planning splits explains why it cannot', async () => {
    const shm = fastTempDir('singletons');
    const root = path.join(shm, 'data');
    const png = await numberedPng(3);
    for (let i = 0; i < 300; i++) writeFile(path.join(root, `class ${String(i).padStart(3, '0')}`, 'only.png'), png);
    const ds = await loadDataset(opts(root));
    assert.equal(ds.classes.length, 300);
    assert.throws(() => planSplits(ds, { testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'none' }, seed: 1 }),
      /300 classes "class 000", .* have fewer than 2 readable images, so they cannot have both a test and a training image/);
    cleanup(shm);
  });
});

describe('per-file problems are skipped with a reason', () => {
  let ds: LoadedDataset;
  let root = '';
  const fifoMade = { ok: false };

  before(async () => {
    root = fresh('bad-files');
    await makeClassDataset(root, { a: 3, b: 3 });
    const noisy = await rawImage('jpeg', noisyPixels(48, 48), 48, 48, 3);
    writeFile(path.join(root, 'a', 'truncated.jpg'), noisy.subarray(0, noisy.length >> 1));
    const png = Buffer.from(await rawImage('png', noisyPixels(16, 16, 2), 16, 16, 3));
    for (let i = 40; i < png.length - 12; i++) png[i] = (png[i] as number) ^ 0x33; // keep IEND: corrupt, not truncated
    writeFile(path.join(root, 'a', 'corrupt.png'), png);
    writeFile(path.join(root, 'a', 'notes.txt'), 'remember to label more cats\n');
    writeFile(path.join(root, 'a', 'empty.jpg'), '');
    writeFile(path.join(root, 'b', 'bomb.png'), await pngWithDeclaredSize(100_000, 100_000));
    writeFile(path.join(root, 'b', 'png-named.jpg'), await numberedPng(77));
    writeFile(path.join(root, 'b', 'ünïcødé 画像 📷.png'), await numberedPng(78));
    // Symbolic links: a loop back to the class folder, a self-referencing link, a dangling one.
    symlinkSync('..', path.join(root, 'a', 'loop'));
    symlinkSync('self.png', path.join(root, 'a', 'self.png'));
    symlinkSync('nowhere.png', path.join(root, 'a', 'dangling.png'));
    // A link from class a into class b's folder: b keeps its images, the link path is skipped.
    symlinkSync(path.join(root, 'b'), path.join(root, 'a', 'b-again'));
    // Nested too deep.
    let deep = path.join(root, 'b');
    for (let i = 0; i < 70; i++) deep = path.join(deep, 'd');
    writeFile(path.join(deep, 'x.png'), await numberedPng(5));
    // Class folder names that cannot be class names.
    writeFile(path.join(root, 'bad\nname', 'x.png'), await numberedPng(6));
    writeFile(path.join(root, 'back\\slash', 'x.png'), await numberedPng(7));
    try {
      execFileSync('mkfifo', [path.join(root, 'b', 'pipe.png')]);
      fifoMade.ok = true;
    } catch {
      // mkfifo unavailable: that case is not exercised
    }
    ds = await loadDataset(opts(root));
  });

  it('keeps the good images, including a PNG named .jpg and non-ASCII names', () => {
    assert.deepEqual(ds.classes, ['a', 'b']);
    assert.deepEqual(ds.classCounts, [3, 5]);
    assert.ok(ds.items.some((it) => it.file === 'b/ünïcødé 画像 📷.png'));
    assert.ok(ds.items.some((it) => it.file === 'b/png-named.jpg'));
  });

  it('truncated, corrupt, non-image, zero-byte and bomb files', () => {
    assert.match(reasonFor(ds, 'a/truncated.jpg'), /truncated JPEG/);
    assert.match(reasonFor(ds, 'a/corrupt.png'), /corrupt PNG image, cannot be decoded/);
    assert.match(reasonFor(ds, 'a/notes.txt'), /not an image/);
    assert.match(reasonFor(ds, 'a/empty.jpg'), /empty file \(0 bytes\)/);
    assert.match(reasonFor(ds, 'b/bomb.png'), /too many pixels \(100000×100000/);
  });

  it('symbolic link loops, self links, dangling links and duplicate paths', () => {
    assert.match(reasonFor(ds, 'a/loop'), /symbolic link loop/);
    assert.match(reasonFor(ds, 'a/self.png'), /symbolic link loop/);
    assert.match(reasonFor(ds, 'a/dangling.png'), /broken symbolic link/);
    assert.match(reasonFor(ds, 'a/b-again'), /already scanned through another path/);
  });

  it('folders nested too deep, and class names with control characters or backslashes', () => {
    const deep = ds.skipped.find((s) => /nested more than 64 levels/.test(s.reason));
    assert.ok(deep, 'deep nesting reported');
    assert.match(reasonFor(ds, 'bad\nname'), /control character/);
    assert.match(reasonFor(ds, 'back\\slash'), /backslash/);
  });

  it('FIFOs and other special files are not read (no hang)', (t) => {
    if (!fifoMade.ok) {
      t.skip('mkfifo not available');
      return;
    }
    assert.match(reasonFor(ds, 'b/pipe.png'), /not a regular file/);
  });

  it('hidden files are not listed', () => {
    assert.ok(ds.skipped.every((s) => !path.basename(s.file).startsWith('.')));
  });

  it('long paths and long non-ASCII file names work', async () => {
    const longRoot = fresh('long');
    let dir = path.join(longRoot, 'klasse-ä');
    for (let i = 0; i < 12; i++) dir = path.join(dir, `${'ü'.repeat(60)}-${'x'.repeat(70)}-${i}`); // 190 bytes each
    const name = `${'é'.repeat(120)}.png`; // 244 bytes, near the 255-byte limit
    writeFile(path.join(dir, name), await numberedPng(1));
    writeFile(path.join(longRoot, 'other', 'x.png'), await numberedPng(2));
    assert.ok(Buffer.byteLength(path.join(dir, name)) > 2500);
    const long = await loadDataset(opts(longRoot));
    assert.equal(long.items.length, 2);
  });

  it('unreadable files, folders and roots', async (t) => {
    // Root reads everything, so as root the load runs in a child process as user "nobody".
    const asNobody = isRoot();
    if (asNobody && !existsSync('/usr/bin/setpriv')) {
      t.skip('running as root without setpriv: file permissions cannot be exercised');
      return;
    }
    const base = tempDir('perm');
    try {
      chmodSync(base, 0o755);
      const root = path.join(base, 'data');
      await makeClassDataset(root, { a: 2, b: 2 });
      writeFile(path.join(root, 'a', 'secret.png'), await numberedPng(9));
      writeFile(path.join(root, 'b', 'locked', 'x.png'), await numberedPng(10));
      chmodSync(path.join(root, 'a', 'secret.png'), 0o000);
      chmodSync(path.join(root, 'b', 'locked'), 0o000);
      const closed = path.join(base, 'closed');
      await makeClassDataset(closed, { a: 1, b: 1 });
      chmodSync(closed, 0o000);
      const run = async (dir: string): Promise<{ skipped?: Array<{ file: string; reason: string }>; items?: number; code?: string; error?: string }> => {
        const script = `require(${JSON.stringify(path.join(__dirname, 'load.js'))}).loadDataset({ root: ${JSON.stringify(dir)}, imageSize: 8, resize: 'center-crop', colorMode: 'auto' })
          .then((ds) => console.log(JSON.stringify({ skipped: ds.skipped, items: ds.items.length })), (e) => console.log(JSON.stringify({ code: e.code, error: e.message })))`;
        if (!asNobody) {
          try {
            const ds = await loadDataset(opts(dir));
            return { skipped: ds.skipped, items: ds.items.length };
          } catch (e) {
            return { code: (e as DatasetError).code, error: (e as Error).message };
          }
        }
        const out = execFileSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8', timeout: 30_000 });
        return JSON.parse(out.trim().split('\n').at(-1) as string);
      };
      const result = await run(root);
      assert.equal(result.items, 4, JSON.stringify(result));
      assert.match(result.skipped?.find((s) => s.file === 'a/secret.png')?.reason ?? '', /not readable \(permission denied\)/);
      assert.match(result.skipped?.find((s) => s.file === 'b/locked')?.reason ?? '', /folder not readable \(permission denied\)/);
      const whole = await run(closed);
      assert.equal(whole.code, 'unreadable-folder', JSON.stringify(whole));
      assert.match(whole.error ?? '', /permission denied/);
    } finally {
      for (const p of ['data/a/secret.png', 'data/b/locked', 'closed']) {
        try {
          chmodSync(path.join(base, p), 0o755);
        } catch {
          // already gone
        }
      }
      cleanup(base);
    }
  });

  it('maps file-system error codes to actionable reasons', () => {
    const err = (code: string): Error => Object.assign(new Error(code), { code });
    assert.match(fsReason(err('EACCES'), 'file'), /not readable \(permission denied\); give your user read access/);
    assert.match(fsReason(err('ELOOP'), 'file'), /symbolic link loop/);
    assert.match(fsReason(err('ENAMETOOLONG'), 'folder'), /path too long/);
    assert.match(fsReason(err('EIO'), 'file'), /I\/O error/);
  });
});
