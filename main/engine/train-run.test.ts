import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backends/select-backend';
import { trainingSchema, modelSchema } from '../experiment/config';
import { createRng } from '../util/random';
import { disposeCheckpoint, readCheckpoint } from './checkpoint';
import { predictLogits } from './evaluate';
import { buildNetwork, disposeNetwork, restoreWeights } from './model';
import { trainRun } from './train-run';
import { RunCancelledError, type RunJob, type TrainingData } from './types';

/** Random but learnable data: class = which image quadrant is bright. */
function quadrantData(perClass: number): TrainingData {
  const s = 8;
  const n = perClass * 4;
  const pixels = new Uint8Array(new SharedArrayBuffer(n * s * s));
  const rng = createRng(3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 4;
    labels[i] = label;
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const quadrant = (y < s / 2 ? 0 : 2) + (x < s / 2 ? 0 : 1);
        pixels[i * s * s + y * s + x] = quadrant === label ? 180 + rng() * 70 : rng() * 90;
      }
    }
  }
  const all = Array.from({ length: n }, (_, i) => i);
  return {
    pixels,
    imageSize: s,
    channels: 1,
    labels,
    train: Int32Array.from(all.filter((i) => i % 5 !== 0)),
    val: Int32Array.from(all.filter((i) => i % 10 === 0)),
    test: Int32Array.from(all.filter((i) => i % 10 === 5)),
    numClasses: 4,
    trainCounts: [0, 1, 2, 3].map((c) => all.filter((i) => i % 5 !== 0 && i % 4 === c).length),
    channelMean: [0.3],
    channelStd: [0.3],
  };
}

function job(lossId: string, overrides: Partial<RunJob> = {}): RunJob {
  return {
    index: 0,
    runId: `${lossId}#seed1`,
    lossId,
    params: {},
    seed: 1,
    model: modelSchema.parse({ width: 4, depth: 2 }),
    training: trainingSchema.parse({ epochs: 4, batchSize: 16, learningRate: 0.01 }),
    ...overrides,
  };
}

before(async () => {
  await selectBackend('wasm');
});

test('a run learns, selects the best validation epoch and leaks no tensor', async () => {
  const data = quadrantData(40);
  const before = tf.memory().numTensors;
  const outcome = await trainRun(job('ce'), data);
  assert.equal(tf.memory().numTensors, before, 'every tensor of the run is disposed');
  assert.equal(outcome.history.length, 4);
  const best = Math.max(...outcome.history.map((h) => h.valBalancedAccuracy!));
  assert.equal(outcome.history[outcome.bestEpoch]!.valBalancedAccuracy, best);
  assert.equal(outcome.testLogits.length, data.test.length * 4);
  assert.ok(outcome.history.at(-1)!.trainLoss < outcome.history[0]!.trainLoss, 'training loss falls');
});

test('training without weight decay works (the loss is not handed to the optimiser to dispose)', async () => {
  const outcome = await trainRun(job('ce', { training: trainingSchema.parse({ epochs: 2, batchSize: 16, weightDecay: 0 }) }), quadrantData(20));
  assert.equal(outcome.history.length, 2);
  assert.ok(Number.isFinite(outcome.history[1]!.trainLoss));
});

test('cancel is honoured before the very next batch', async () => {
  let checks = 0;
  const before = tf.memory().numTensors;
  await assert.rejects(
    trainRun(job('ce'), quadrantData(40), { isCancelled: () => ++checks > 3 }),
    RunCancelledError,
  );
  assert.equal(checks, 4, 'three batches ran, the fourth check stopped the run');
  assert.equal(tf.memory().numTensors, before, 'a cancelled run frees its tensors');
});

test('every loss starts from the same weights for the same seed', () => {
  const spec = modelSchema.parse({ width: 4, depth: 2 });
  const a = buildNetwork(spec, { imageSize: 8, channels: 1 }, 4, 9);
  const b = buildNetwork(spec, { imageSize: 8, channels: 1 }, 4, 9);
  const c = buildNetwork(spec, { imageSize: 8, channels: 1 }, 4, 10);
  const values = (n: typeof a) => [...n.features.getWeights(), ...n.head.getWeights()].map((w) => Array.from(w.dataSync()));
  assert.deepEqual(values(a), values(b));
  assert.notDeepEqual(values(a), values(c));
  [a, b, c].forEach(disposeNetwork);
});

test('a loss that diverges stops the run with a message that says what to do', async () => {
  await assert.rejects(
    // A rate far beyond the schema's bounds (set after validation) drives the weights to infinity.
    trainRun(job('ce', { training: { ...trainingSchema.parse({ epochs: 3, batchSize: 16, optimizer: 'sgd', schedule: 'constant' }), learningRate: 1e38 } }), quadrantData(40)),
    (error: Error) => /became (NaN|Infinity|-Infinity)/.test(error.message) && /Lower the learning rate/.test(error.message),
  );
});

test('embedding losses train features, then a linear probe selected on validation', async () => {
  const data = quadrantData(40);
  const before = tf.memory().numTensors;
  const outcome = await trainRun(
    job('supcon', { training: trainingSchema.parse({ epochs: 3, probeEpochs: 4, batchSize: 16, learningRate: 0.01 }) }),
    data,
  );
  assert.equal(tf.memory().numTensors, before);
  assert.equal(outcome.protocol, 'linear-probe');
  assert.deepEqual(outcome.history.map((h) => h.stage), ['train', 'train', 'train', 'probe', 'probe', 'probe', 'probe']);
  assert.ok(outcome.bestEpoch >= 3, 'the selected epoch is a probe epoch');
  assert.equal(outcome.history.slice(0, 3).every((h) => h.valBalancedAccuracy === null), true);
  assert.equal(outcome.testLogits.length, data.test.length * 4);
});

test('the logits a run reuses instead of computing again are those of the weights they stand for, bit for bit', async () => {
  const data = quadrantData(40);
  // 4 epochs select an earlier epoch (its validation logits are kept from its own pass); 1 epoch
  // selects the last one (its test logits are the last weights' too).
  for (const epochs of [4, 1]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-reuse-'));
    try {
      const run = job('ce', { training: trainingSchema.parse({ epochs, batchSize: 16, learningRate: 0.01 }) });
      const outcome = await trainRun(run, data, { checkpointDir: dir });
      assert.equal(outcome.bestEpoch, epochs === 4 ? 1 : 0, 'the case this loop means to cover');
      // The last checkpoint holds the last epoch's weights and the selected epoch's.
      const checkpoint = readCheckpoint(dir)!;
      const network = buildNetwork(run.model, data, data.numClasses, run.seed);
      try {
        restoreWeights(network, checkpoint.tensors.best!);
        assert.deepEqual(outcome.valLogits, await predictLogits(network, data, data.val));
        assert.deepEqual(outcome.testLogits, await predictLogits(network, data, data.test));
        restoreWeights(network, checkpoint.tensors.network);
        assert.deepEqual(outcome.testLogitsLast, await predictLogits(network, data, data.test));
        if (epochs === 4) assert.notDeepEqual(outcome.testLogits, outcome.testLogitsLast, 'selected and last weights differ here');
      } finally {
        disposeNetwork(network);
        disposeCheckpoint(checkpoint);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});
