import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cacheFileFor, PixelCache, pixelDigest, writeCache, type CacheRecord, type CacheSettings } from './cache';
import { cleanup, tempDir } from './fixtures';

let dir = '';
before(() => {
  dir = tempDir('cache');
});
after(() => cleanup(dir));

const settings: CacheSettings = { roots: ['/data'], imageSize: 2, resize: 'center-crop', channels: 1, maxPixels: 1000 };
const BPI = 4;

function records(): CacheRecord[] {
  return [
    { absolutePath: '/data/a/1.png', size: 10, mtimeMs: 1.5, kind: 'pixels', gray: true, pixels: Uint8Array.from([1, 2, 3, 4]) },
    { absolutePath: '/data/a/bad.png', size: 3, mtimeMs: 2, kind: 'skip', reason: 'not an image' },
    { absolutePath: '/data/b/ü.png', size: 11, mtimeMs: 3.25, kind: 'pixels', gray: false, pixels: Uint8Array.from([5, 6, 7, 8]) },
  ];
}

describe('PixelCache', () => {
  it('round-trips pixels, gray flags and skip reasons by file identity', async () => {
    const file = cacheFileFor(dir, settings);
    await writeCache(file, settings, BPI, records());
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    const cache = await PixelCache.open(file, settings, BPI);
    assert.equal(cache.size, 3);
    assert.equal(cache.rejected, 0);
    assert.deepEqual(cache.lookup({ absolutePath: '/data/a/bad.png', size: 3, mtimeMs: 2 }), { kind: 'skip', reason: 'not an image' });
    const hit = cache.lookup({ absolutePath: '/data/b/ü.png', size: 11, mtimeMs: 3.25 });
    assert.ok(hit?.kind === 'pixels');
    assert.equal(hit.gray, false);
    assert.equal(hit.digest, pixelDigest(Uint8Array.from([5, 6, 7, 8])));
    const target = new Uint8Array(BPI);
    assert.deepEqual(await cache.readInto([{ offset: hit.offset, digest: hit.digest, target }]), []);
    assert.deepEqual([...target], [5, 6, 7, 8]);
    // Same path, different size or mtime: a miss.
    assert.equal(cache.lookup({ absolutePath: '/data/b/ü.png', size: 12, mtimeMs: 3.25 }), undefined);
    assert.equal(cache.lookup({ absolutePath: '/data/b/ü.png', size: 11, mtimeMs: 3.5 }), undefined);
  });

  it('ignores a file written for other settings', async () => {
    const file = path.join(dir, 'other.llcache');
    await writeCache(file, settings, BPI, records());
    const cache = await PixelCache.open(file, { ...settings, resize: 'squash' }, BPI);
    assert.equal(cache.size, 0);
    assert.equal(cache.rejected, 1);
  });

  it('does not hand out pixels that fail their checksum', async () => {
    const file = path.join(dir, 'tampered.llcache');
    await writeCache(file, settings, BPI, records());
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = 99; // last byte of the last image
    writeFileSync(file, bytes);
    const cache = await PixelCache.open(file, settings, BPI);
    const good = cache.lookup({ absolutePath: '/data/a/1.png', size: 10, mtimeMs: 1.5 });
    const bad = cache.lookup({ absolutePath: '/data/b/ü.png', size: 11, mtimeMs: 3.25 });
    assert.ok(good?.kind === 'pixels' && bad?.kind === 'pixels');
    const t1 = new Uint8Array(BPI);
    const t2 = new Uint8Array(BPI);
    const failed = await cache.readInto([{ offset: good.offset, digest: good.digest, target: t1 }, { offset: bad.offset, digest: bad.digest, target: t2 }]);
    assert.deepEqual(failed, [1]);
    assert.deepEqual([...t1], [1, 2, 3, 4]);
    assert.deepEqual([...t2], [0, 0, 0, 0], 'untrusted bytes not copied');
    assert.equal(cache.rejected, 1);
  });

  it('treats a missing file as an empty cache', async () => {
    const cache = await PixelCache.open(path.join(dir, 'nope.llcache'), settings, BPI);
    assert.equal(cache.size, 0);
    assert.equal(cache.rejected, 0);
  });
});
