import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { allPixelBytes, forEachImageChunk, PixelFileWriter, readImages, releasePixels } from './pixel-file';

function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-pixel-file-'));
}

test('images written by position are read back by index, in any order, runs of neighbours or not', () => {
  const dir = scratchDir();
  const writer = new PixelFileWriter(dir, 4, 6);
  for (const index of [5, 0, 3, 1, 4, 2]) writer.write(index, Uint8Array.from([index, index + 10, index + 20, index + 30]));
  const file = writer.finish();
  const into = new Uint8Array(5 * 4);
  readImages(file, [2, 3, 4, 0, 5], into);
  assert.deepEqual([...into.subarray(0, 4)], [2, 12, 22, 32]);
  assert.deepEqual([...into.subarray(12, 16)], [0, 10, 20, 30]);
  assert.deepEqual([...into.subarray(16, 20)], [5, 15, 25, 35]);
  const seen: number[] = [];
  forEachImageChunk(file, 4, [4, 1], (images, count) => seen.push(count, images[0]!, images[4]!));
  assert.deepEqual(seen, [2, 4, 1]);
  assert.equal(allPixelBytes(file).length, 24);
  assert.throws(() => readImages(file, [6], new Uint8Array(4)), /image 6 is not in the pixel file/);
  assert.throws(() => readImages(file, [5, 6], new Uint8Array(8)), /image 6 is not in the pixel file/);
  // A file cut short under a reader is an error, never zeros trained on.
  fs.truncateSync(file.path, 10);
  assert.throws(() => readImages(file, [4], new Uint8Array(4)), /shorter than its 6 images/);
  releasePixels(file);
  assert.equal(fs.existsSync(file.path), false);
});

test('pixel files of processes that no longer run are removed; others are left alone', () => {
  const dir = scratchDir();
  const host = os.hostname().replace(/[^A-Za-z0-9]/g, '').slice(0, 32) || 'host';
  const orphan = path.join(dir, `losslab-pixels-${host}-999999999-deadbeef.u8`); // no such pid here
  const alive = path.join(dir, `losslab-pixels-${host}-${process.ppid}-cafe0000.u8`); // our parent runs
  const elsewhere = path.join(dir, 'losslab-pixels-anotherhost-999999999-deadbeef.u8'); // its pid means nothing here
  const unrelated = path.join(dir, 'notes.txt');
  for (const file of [orphan, alive, elsewhere, unrelated]) fs.writeFileSync(file, 'x');
  const writer = new PixelFileWriter(dir, 1, 1);
  assert.equal(fs.existsSync(orphan), false);
  assert.equal(fs.existsSync(alive), true);
  assert.equal(fs.existsSync(elsewhere), true);
  assert.equal(fs.existsSync(unrelated), true);
  writer.remove();
  assert.equal(fs.existsSync(writer.path), false);
});
