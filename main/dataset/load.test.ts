import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadDataset } from './load';
import { DatasetError } from './errors';
import { cleanup, makeClassDataset, numberedPng, solidImage, tempDir, writeFile } from './fixtures';
import type { LoadOptions, LoadProgress } from './types';
import { allPixelBytes, inMemory, isPixelFile, releasePixels } from './pixel-file';

let work = '';
before(() => {
  work = tempDir('load');
});
after(() => cleanup(work));

let counter = 0;
function fresh(label: string): string {
  return path.join(work, `${label}-${counter++}`);
}

const base = (root: string, over: Partial<LoadOptions> = {}): LoadOptions => ({
  root, imageSize: 8, resize: 'center-crop', colorMode: 'auto', concurrency: 4, ...over,
});

describe('loadDataset: layouts and class order', () => {
  it('reads class folders (with nested subfolders) and orders classes by code point', async () => {
    const root = fresh('classes');
    // U+FF21 (fullwidth A) sorts before U+1F600 by code point, but after it by UTF-16 code unit.
    const names = ['😀', 'Ａ', 'éclair', 'apple', 'Zebra', '日本'];
    let n = 0;
    for (const name of names) {
      writeFile(path.join(root, name, 'a.png'), await numberedPng(n++));
      writeFile(path.join(root, name, 'deeper', 'nested', 'b.png'), await numberedPng(n++));
    }
    const ds = await loadDataset(base(root));
    assert.deepEqual(ds.classes, ['Zebra', 'apple', 'éclair', '日本', 'Ａ', '😀']);
    assert.deepEqual(ds.classCounts, [2, 2, 2, 2, 2, 2]);
    assert.equal(ds.items.length, 12);
    assert.equal(ds.skipped.length, 0);
    const nested = ds.items.find((it) => it.file === '日本/deeper/nested/b.png');
    assert.ok(nested, 'nested image found with a POSIX relative path');
    assert.equal(nested.classIndex, 3);
    assert.equal(nested.given, 'pool');
    assert.equal(nested.absolutePath, path.join(root, '日本', 'deeper', 'nested', 'b.png'));
  });

  it('decodes each item into its own slot of a SharedArrayBuffer (NHWC)', async () => {
    const root = fresh('slots');
    await makeClassDataset(root, { a: 3, b: 2 });
    const ds = await loadDataset(base(root));
    assert.ok(inMemory(ds.pixels).buffer instanceof SharedArrayBuffer);
    assert.equal(ds.channels, 1);
    assert.equal(inMemory(ds.pixels).byteLength, 5 * 8 * 8);
    assert.equal(inMemory(ds.pixels).buffer.byteLength, 5 * 8 * 8);
    // makeClassDataset numbers images 0..4 in class order; numberedPng(n) is filled with (n*37)%256.
    ds.items.forEach((item, i) => {
      const n = Number(item.file.slice(-7, -4)) + (item.classIndex === 1 ? 3 : 0);
      assert.equal(inMemory(ds.pixels)[i * 64 + 10], (n * 37) % 256, item.file);
    });
  });

  it('ignores hidden files and OS clutter silently', async () => {
    const root = fresh('hidden');
    await makeClassDataset(root, { a: 2, b: 2 });
    writeFile(path.join(root, '.DS_Store'), 'junk');
    writeFile(path.join(root, 'a', '.DS_Store'), 'junk');
    writeFile(path.join(root, 'a', '._000.png'), 'resource fork');
    writeFile(path.join(root, 'a', 'Thumbs.db'), 'junk');
    writeFile(path.join(root, '__MACOSX', 'a', '._000.png'), 'junk');
    writeFile(path.join(root, '.git', 'HEAD'), 'ref');
    writeFile(path.join(root, 'b', '.thumbnails', 'x.png'), await numberedPng(99));
    const ds = await loadDataset(base(root));
    assert.deepEqual(ds.classes, ['a', 'b']);
    assert.equal(ds.items.length, 4);
    assert.deepEqual(ds.skipped, []);
  });

  it('reads train/ val/ test/ split folders and marks items with their given split', async () => {
    const root = fresh('splits');
    await makeClassDataset(path.join(root, 'train'), { cat: 3, dog: 3 });
    await makeClassDataset(path.join(root, 'val'), { cat: 1, dog: 1 });
    await makeClassDataset(path.join(root, 'test'), { cat: 2, dog: 2 });
    const ds = await loadDataset(base(root));
    assert.deepEqual(ds.classes, ['cat', 'dog']);
    const by = (g: string): number => ds.items.filter((it) => it.given === g).length;
    assert.deepEqual([by('train'), by('val'), by('test'), by('pool')], [6, 2, 4, 0]);
    assert.ok(ds.items.some((it) => it.file === 'test/dog/001.png' && it.given === 'test' && it.classIndex === 1));
  });

  it('treats a class named "train" among other classes as a class', async () => {
    const root = fresh('train-class');
    await makeClassDataset(root, { train: 2, bus: 2 });
    const ds = await loadDataset(base(root));
    assert.deepEqual(ds.classes, ['bus', 'train']);
    assert.ok(ds.items.every((it) => it.given === 'pool'));
  });

  it('takes a separate test folder and checks that its classes match', async () => {
    const root = fresh('with-test');
    const testRoot = fresh('test-root');
    await makeClassDataset(root, { a: 3, b: 3 });
    await makeClassDataset(testRoot, { a: 1, b: 2 });
    const ds = await loadDataset(base(root, { testRoot }));
    assert.equal(ds.testRoot, testRoot);
    const tests = ds.items.filter((it) => it.given === 'test');
    assert.equal(tests.length, 3);
    assert.ok(tests.every((it) => it.absolutePath.startsWith(testRoot)));
    assert.ok(tests.some((it) => it.file === 'b/001.png'));

    const other = fresh('test-root-bad');
    await makeClassDataset(other, { a: 1, c: 1 });
    await assert.rejects(loadDataset(base(root, { testRoot: other })), (e: unknown) => {
      assert.ok(e instanceof DatasetError);
      assert.equal(e.code, 'class-mismatch');
      assert.match(e.message, /only in the dataset: "b"; only in the test folder: "c"/);
      return true;
    });
  });
});

describe('loadDataset: colour modes', () => {
  it('auto: one channel when every image is gray, three when any has colour', async () => {
    const root = fresh('auto');
    await makeClassDataset(root, { a: 2, b: 2 }, 1);
    assert.equal((await loadDataset(base(root))).channels, 1);
    writeFile(path.join(root, 'b', 'colour.png'), await solidImage('png', 8, 8, { r: 250, g: 0, b: 0 }));
    const mixed = await loadDataset(base(root));
    assert.equal(mixed.channels, 3);
    assert.equal(inMemory(mixed.pixels).byteLength, 5 * 8 * 8 * 3);
  });

  it('rgb and grayscale modes force the channel count', async () => {
    const root = fresh('forced');
    await makeClassDataset(root, { a: 2, b: 2 }, 3);
    const rgb = await loadDataset(base(root, { colorMode: 'rgb' }));
    assert.equal(rgb.channels, 3);
    const gray = await loadDataset(base(root, { colorMode: 'grayscale' }));
    assert.equal(gray.channels, 1);
    assert.equal(inMemory(gray.pixels).byteLength, 4 * 64);
    const grayRoot = fresh('forced-gray');
    await makeClassDataset(grayRoot, { a: 1, b: 1 }, 1);
    assert.equal((await loadDataset(base(grayRoot, { colorMode: 'rgb' }))).channels, 3);
  });
});

describe('loadDataset: progress and cancellation', () => {
  it('reports scan and decode progress ending at the total', async () => {
    const root = fresh('progress');
    await makeClassDataset(root, { a: 5, b: 5 });
    const events: LoadProgress[] = [];
    await loadDataset(base(root, { onProgress: (p) => events.push(p) }));
    assert.ok(events.some((e) => e.phase === 'scan'));
    const last = events.at(-1) as LoadProgress;
    assert.deepEqual(last, { phase: 'decode', done: 10, total: 10, cached: 0 });
  });

  it('stops when aborted', async () => {
    const root = fresh('abort');
    await makeClassDataset(root, { a: 5, b: 5 });
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    await assert.rejects(loadDataset(base(root, { signal: controller.signal })), /user cancelled/);
  });

  it('rejects invalid options with a DatasetError', async () => {
    const root = fresh('options');
    await makeClassDataset(root, { a: 1, b: 1 });
    await assert.rejects(loadDataset(base(root, { imageSize: 0 })), /Image size 0 is not valid/);
    await assert.rejects(loadDataset(base(root, { resize: 'stretch' as never })), /Resize policy "stretch" is not known/);
    await assert.rejects(loadDataset(base(root, { colorMode: 'cmyk' as never })), /Colour mode "cmyk"/);
    await assert.rejects(loadDataset(base(root, { concurrency: 0 })), /concurrency 0/);
  });
});

describe('loadDataset: pixel cache', () => {
  async function setup(): Promise<{ root: string; cacheDir: string }> {
    const root = fresh('cached');
    await makeClassDataset(root, { a: 4, b: 4 }, 3);
    writeFile(path.join(root, 'b', 'broken.png'), 'not an image at all');
    return { root, cacheDir: fresh('cache-dir') };
  }

  function cacheFile(cacheDir: string): string {
    const files = readdirSync(cacheDir).filter((f) => f.endsWith('.llcache'));
    assert.equal(files.length, 1, `one cache file, found ${files.join(', ')}`);
    return path.join(cacheDir, files[0] as string);
  }

  it('serves a second load from the cache, with the same pixels and skipped list', async () => {
    const { root, cacheDir } = await setup();
    const first = await loadDataset(base(root, { cacheDir }));
    assert.equal(first.loadStats?.decoded, 9);
    assert.equal(first.loadStats?.cached, 0);
    const events: LoadProgress[] = [];
    const second = await loadDataset(base(root, { cacheDir, onProgress: (p) => events.push(p) }));
    assert.equal(second.loadStats?.decoded, 0);
    assert.equal(second.loadStats?.cached, 9, 'eight images and one remembered failure');
    assert.equal(events.at(-1)?.cached, 9);
    assert.deepEqual(Buffer.from(inMemory(second.pixels)), Buffer.from(inMemory(first.pixels)));
    assert.deepEqual(second.skipped, first.skipped);
    assert.equal(second.fingerprint, first.fingerprint);
    assert.equal(second.channels, first.channels);
    assert.deepEqual(readdirSync(cacheDir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
  });

  it('re-decodes a file whose size or mtime changed', async () => {
    const { root, cacheDir } = await setup();
    await loadDataset(base(root, { cacheDir }));
    const changed = path.join(root, 'a', '001.png');
    writeFileSync(changed, await numberedPng(200, 8, 3));
    const future = new Date(Date.now() + 5000);
    utimesSync(changed, future, future);
    const again = await loadDataset(base(root, { cacheDir }));
    assert.equal(again.loadStats?.decoded, 1);
    assert.equal(again.loadStats?.cached, 8);
    const index = again.items.findIndex((it) => it.file === 'a/001.png');
    assert.equal(inMemory(again.pixels)[index * 192], (200 * 37) % 256);
  });

  it('rebuilds an image whose cached bytes were corrupted', async () => {
    const { root, cacheDir } = await setup();
    const first = await loadDataset(base(root, { cacheDir }));
    const file = cacheFile(cacheDir);
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0xff; // inside the last image
    writeFileSync(file, bytes);
    const again = await loadDataset(base(root, { cacheDir }));
    assert.equal(again.loadStats?.cacheRejected, 1);
    assert.equal(again.loadStats?.decoded, 1);
    assert.deepEqual(Buffer.from(inMemory(again.pixels)), Buffer.from(inMemory(first.pixels)), 'the corrupt bytes were not used');
    const healed = await loadDataset(base(root, { cacheDir }));
    assert.equal(healed.loadStats?.decoded, 0, 'the rebuilt cache is whole again');
  });

  it('discards a truncated or scrambled cache file and rebuilds it', async () => {
    const { root, cacheDir } = await setup();
    const first = await loadDataset(base(root, { cacheDir }));
    const file = cacheFile(cacheDir);
    truncateSync(file, statSync(file).size - 10);
    const afterTruncate = await loadDataset(base(root, { cacheDir }));
    assert.equal(afterTruncate.loadStats?.cacheRejected, 1);
    assert.equal(afterTruncate.loadStats?.decoded, 9);
    assert.deepEqual(Buffer.from(inMemory(afterTruncate.pixels)), Buffer.from(inMemory(first.pixels)));

    const bytes = readFileSync(file);
    bytes[60] = (bytes[60] as number) ^ 0x20; // inside the header JSON: its checksum no longer matches
    writeFileSync(file, bytes);
    const afterScramble = await loadDataset(base(root, { cacheDir }));
    assert.equal(afterScramble.loadStats?.cacheRejected, 1);
    assert.equal(afterScramble.loadStats?.decoded, 9);

    writeFileSync(file, 'garbage');
    assert.equal((await loadDataset(base(root, { cacheDir }))).loadStats?.decoded, 9);
  });

  it('keys the cache by preprocessing settings', async () => {
    const { root, cacheDir } = await setup();
    await loadDataset(base(root, { cacheDir }));
    const other = await loadDataset(base(root, { cacheDir, resize: 'letterbox' }));
    assert.equal(other.loadStats?.decoded, 9);
    assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.llcache')).length, 2);
  });

  it('still loads when the cache cannot be written, and says why', async () => {
    const { root } = await setup();
    const blocker = fresh('not-a-dir');
    writeFile(blocker, 'a file where the cache folder should be');
    const ds = await loadDataset(base(root, { cacheDir: blocker }));
    assert.equal(ds.items.length, 8);
    assert.ok(ds.loadStats?.cacheWriteError, 'cache write error reported');
  });
});

describe('loadDataset: pixels too large for memory', () => {
  const pixelFiles = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('losslab-pixels-'));

  it('keeps them in a pixel file with the bytes an in-memory load holds: decoded, cached, gray-converted, skipped files compacted', async () => {
    const root = fresh('stream');
    await makeClassDataset(root, { a: 5, b: 4 }, 1); // gray images stored as RGB: auto mode converts them back
    writeFile(path.join(root, 'b', 'broken.png'), 'not an image at all'); // a skipped slot to compact away
    const cacheDir = fresh('stream-cache');
    const held = await loadDataset(base(root, { cacheDir }));
    assert.equal(held.channels, 1);
    // Once decoding (the cache is warm now, so the file is filled from it), once decoding afresh.
    for (const options of [{ cacheDir }, {}]) {
      const streamed = await loadDataset(base(root, { ...options, pixelMemoryBytes: 100 }));
      assert.ok(isPixelFile(streamed.pixels), 'more than 100 bytes of pixels: a pixel file');
      assert.equal(streamed.pixels.count, 9);
      assert.equal(streamed.pixels.bytesPerImage, 64);
      assert.deepEqual(Buffer.from(allPixelBytes(streamed.pixels)), Buffer.from(inMemory(held.pixels)));
      assert.deepEqual(streamed.items, held.items);
      assert.equal(streamed.skipped.length, 1);
      // One file of this process: compacted in place (three channels to one, the skipped slot gone).
      // (In the temp folder other processes may keep pixel files of their own.)
      const dir = path.dirname(streamed.pixels.path);
      const mine = pixelFiles(dir).filter((name) => name.includes(`-${process.pid}-`));
      assert.deepEqual(mine, [path.basename(streamed.pixels.path)]);
      releasePixels(streamed.pixels);
      assert.ok(!pixelFiles(dir).includes(path.basename(streamed.pixels.path)));
    }
  });

  it('a load that fails leaves no pixel file behind', async () => {
    const root = fresh('stream-fail');
    await makeClassDataset(root, { a: 3 }, 3);
    writeFile(path.join(root, 'b', 'broken.png'), 'not an image at all');
    const cacheDir = fresh('stream-fail-cache');
    await assert.rejects(loadDataset(base(root, { cacheDir, pixelMemoryBytes: 10 })), (error: Error) => error instanceof DatasetError && /no readable image/.test(error.message));
    assert.deepEqual(pixelFiles(cacheDir), []);
  });
});
