import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backends/select-backend';
import { LaggedLossReader } from './lagged-loss';

before(async () => {
  await selectBackend('cpu');
});

test('each loss is settled one push later, in batch order, and flush settles the last', async () => {
  const settled: Array<[number, string]> = [];
  const reader = new LaggedLossReader<string>((value, info) => settled.push([value, info]));
  await reader.push(tf.scalar(0.5), 'a');
  assert.deepEqual(settled, [], 'the first read is still pending');
  await reader.push(tf.scalar(0.25), 'b');
  assert.deepEqual(settled, [[0.5, 'a']]);
  await reader.push(tf.scalar(2), 'c');
  await reader.flush();
  assert.deepEqual(settled, [
    [0.5, 'a'],
    [0.25, 'b'],
    [2, 'c'],
  ]);
  await reader.flush();
  assert.equal(settled.length, 3, 'a second flush settles nothing twice');
});

test('every loss tensor is disposed once read', async () => {
  const before = tf.memory().numTensors;
  const reader = new LaggedLossReader<number>(() => undefined);
  for (let i = 0; i < 5; i++) await reader.push(tf.scalar(i), i);
  await reader.flush();
  assert.equal(tf.memory().numTensors, before);
});

test("what settle throws (a diverged loss) reaches the caller of the next push, naming that loss's batch", async () => {
  const reader = new LaggedLossReader<number>((value, batch) => {
    if (!Number.isFinite(value)) throw new Error(`batch ${batch} diverged`);
  });
  await reader.push(tf.scalar(1), 1);
  await reader.push(tf.scalar(NaN), 2);
  await assert.rejects(reader.push(tf.scalar(1), 3), /batch 2 diverged/);
});
