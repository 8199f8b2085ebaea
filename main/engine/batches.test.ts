import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from '../util/random';
import { channelStatistics, fillBatch } from './batches';
import type { TrainingData } from './types';

function tinyData(): TrainingData {
  // Two 2×2 RGB images; image 1 has increasing values along x so flips are visible.
  const pixels = new Uint8Array(new SharedArrayBuffer(2 * 2 * 2 * 3));
  pixels.set([0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255], 0);
  pixels.set([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120], 12);
  return {
    pixels,
    imageSize: 2,
    channels: 3,
    labels: Int32Array.from([0, 1]),
    train: Int32Array.from([0, 1]),
    val: new Int32Array(0),
    test: new Int32Array(0),
    numClasses: 2,
    trainCounts: [1, 1],
    channelMean: [0.5, 0.5, 0.5],
    channelStd: [0.5, 0.5, 0.5],
  };
}

test('fillBatch normalises with the channel statistics and keeps NHWC order', () => {
  const data = tinyData();
  const out = new Float32Array(12);
  fillBatch(data, [1], out, null, null);
  const expected = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120].map((v) => (v / 255 - 0.5) / 0.5);
  out.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-6));
});

test('fillBatch flips horizontally when the draw says so, deterministically per seed', () => {
  const data = tinyData();
  const flipped = new Float32Array(12);
  // Find a seed whose first draw is < 0.5 (flip) to make the expectation explicit.
  let seed = 0;
  while (createRng(seed)() >= 0.5) seed++;
  fillBatch(data, [1], flipped, { flip: true, crop: false }, createRng(seed));
  const plain = new Float32Array(12);
  fillBatch(data, [1], plain, null, null);
  // Pixel (y=0,x=0) of the flipped image is pixel (y=0,x=1) of the original.
  assert.deepEqual(Array.from(flipped.subarray(0, 3)), Array.from(plain.subarray(3, 6)));
  assert.deepEqual(Array.from(flipped.subarray(6, 9)), Array.from(plain.subarray(9, 12)));
  const again = new Float32Array(12);
  fillBatch(data, [1], again, { flip: true, crop: false }, createRng(seed));
  assert.deepEqual(again, flipped);
});

test('augmentation draws the same numbers whichever augmentations are on', () => {
  const data = tinyData();
  const a = createRng(7);
  const b = createRng(7);
  fillBatch(data, [0, 1], new Float32Array(24), { flip: true, crop: false }, a);
  fillBatch(data, [0, 1], new Float32Array(24), { flip: false, crop: true }, b);
  assert.equal(a(), b());
});

test('channelStatistics matches a direct computation and guards constant channels', () => {
  const pixels = new Uint8Array([0, 7, 255, 7]);
  const stats = channelStatistics(pixels, [0, 1], 1, 2);
  assert.ok(Math.abs((stats.mean[0] as number) - 0.5) < 1e-12);
  assert.ok(Math.abs((stats.std[0] as number) - 0.5) < 1e-12);
  assert.equal(stats.std[1], 1, 'a constant channel is left unscaled');
});
