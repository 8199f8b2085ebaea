import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inMemory } from '../dataset/pixel-file';
import type { TrainingData } from '../engine/types';
import { mapDataPath, trainingDataFingerprint } from './run-data';

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
