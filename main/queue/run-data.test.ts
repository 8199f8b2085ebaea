import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { inMemory, PixelFileWriter, releasePixels } from '../dataset/pixel-file';
import type { TrainingData } from '../engine/types';
import { fingerprintsOf, mapDataPath, pixelsFingerprint, trainingDataFingerprint } from './run-data';

test('--data-root finds a study\'s folder by its name; without it the path must be absolute', () => {
  assert.equal(mapDataPath('/home/ana/datasets/pets/', '/mnt/data'), '/mnt/data/pets');
  assert.equal(mapDataPath('/home/ana/datasets/pets', undefined), '/home/ana/datasets/pets');
  assert.throws(() => mapDataPath('datasets/pets', undefined), /not absolute/);
  assert.throws(() => mapDataPath('/', '/mnt/data'), /no folder name/);
});

test('the data fingerprint changes with one pixel, one label or the split', () => {
  const data = (): TrainingData => ({
    pixels: Uint8Array.from([1, 2, 3, 4]),
    imageSize: 1,
    channels: 1,
    labels: Int32Array.from([0, 1, 0, 1]),
    train: Int32Array.from([0, 1]),
    val: Int32Array.from([2]),
    test: Int32Array.from([3]),
    numClasses: 2,
    trainCounts: [1, 1],
    channelMean: [0.5],
    channelStd: [0.1],
  });
  const base = trainingDataFingerprint(data());
  assert.equal(trainingDataFingerprint(data()), base);
  const pixel = data();
  inMemory(pixel.pixels)[3] = 5;
  const label = data();
  label.labels[3] = 0;
  const split = data();
  split.val = Int32Array.from([3]);
  split.test = Int32Array.from([2]);
  for (const changed of [pixel, label, split]) assert.notEqual(trainingDataFingerprint(changed), base);
});

test('both fingerprints computed without blocking equal the synchronous ones, from memory and from a pixel file', async () => {
  // 32,000 images of 25x25: 20 MB, three 8 MiB chunks.
  const count = 32_000;
  const bytesPerImage = 25 * 25;
  const pixels = new Uint8Array(count * bytesPerImage).map((_, i) => (i * 2654435761) >>> 24);
  const held: TrainingData = {
    pixels, imageSize: 25, channels: 1, labels: new Int32Array(count).map((_, i) => i % 3),
    train: Int32Array.from([0, 1, 2]), val: Int32Array.from([3]), test: Int32Array.from([4]),
    numClasses: 3, trainCounts: [1, 1, 1], channelMean: [0.5], channelStd: [0.2],
  };
  const expected = { data: trainingDataFingerprint(held), pixels: pixelsFingerprint(held) };
  assert.deepEqual(await fingerprintsOf(held), expected);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-fingerprint-'));
  try {
    const writer = new PixelFileWriter(dir, bytesPerImage, count);
    for (let i = 0; i < count; i++) writer.write(i, pixels.subarray(i * bytesPerImage, (i + 1) * bytesPerImage));
    const streamed = { ...held, pixels: writer.finish() };
    assert.deepEqual(await fingerprintsOf(streamed), expected);
    releasePixels(streamed.pixels);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
