import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backends/select-backend';
import { modelSchema, recipeSchema, trainingSchema, type RecipeInput } from '../experiment/config';
import { getLoss } from '../losses/registry';
import { classBalancedWeights } from '../losses/weights';
import { classQuotas, samplerProbabilities } from '../methods/samplers';
import { createRng } from '../util/random';
import { recipeLoss, trainRun } from './train-run';
import { RunCancelledError, type RunJob, type RunOutcome, type TrainingData } from './types';

const TRAIN_COUNTS = [24, 12, 6, 3];

/** Learnable, imbalanced data: class = which image quadrant is bright; train counts 24/12/6/3, 4 validation and 4 test images per class. */
function imbalancedData(): TrainingData {
  const s = 8;
  const perClass = TRAIN_COUNTS.map((n) => n + 8);
  const n = perClass.reduce((a, b) => a + b, 0);
  const pixels = new Uint8Array(new SharedArrayBuffer(n * s * s));
  const labels = new Int32Array(n);
  const rng = createRng(3);
  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  let i = 0;
  perClass.forEach((count, label) => {
    for (let k = 0; k < count; k++, i++) {
      labels[i] = label;
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) {
          const quadrant = (y < s / 2 ? 0 : 2) + (x < s / 2 ? 0 : 1);
          pixels[i * s * s + y * s + x] = quadrant === label ? 150 + rng() * 100 : rng() * 120;
        }
      }
      (k < TRAIN_COUNTS[label]! ? train : k % 2 === 0 ? val : test).push(i);
    }
  });
  return {
    pixels,
    imageSize: s,
    channels: 1,
    labels,
    train: Int32Array.from(train),
    val: Int32Array.from(val),
    test: Int32Array.from(test),
    numClasses: 4,
    trainCounts: TRAIN_COUNTS.slice(),
    channelMean: [0.3],
    channelStd: [0.3],
  };
}

function job(recipe: RecipeInput, epochs = 4, lossId = 'ce'): RunJob {
  return {
    index: 0,
    runId: `${lossId}#seed1`,
    lossId,
    params: getLoss(lossId).params.length === 0 ? {} : Object.fromEntries(getLoss(lossId).params.map((p) => [p.key, p.default])),
    seed: 1,
    model: modelSchema.parse({ width: 4, depth: 2 }),
    training: trainingSchema.parse({ epochs, batchSize: 16, learningRate: 0.01 }),
    recipe: recipeSchema.parse(recipe),
  };
}

function comparable(outcome: RunOutcome) {
  return {
    testLogits: Array.from(outcome.testLogits),
    testLogitsLast: Array.from(outcome.testLogitsLast),
    bestEpoch: outcome.bestEpoch,
    history: outcome.history.map(({ seconds: _s, numTensors: _n, ...rest }) => rest),
    seenPerClass: outcome.seenPerClass,
    lwsScales: outcome.lwsScales,
  };
}

before(async () => {
  await selectBackend('wasm');
});

test('DRS switches to the class-balanced sampler at the named epoch: images drawn per class say so exactly', async () => {
  const outcome = await trainRun(job({ drs: 2 }), imbalancedData());
  const balanced = classQuotas(samplerProbabilities('class-balanced', TRAIN_COUNTS, 0, 4), 45);
  assert.deepEqual(balanced, [12, 11, 11, 11]);
  assert.deepEqual(outcome.seenPerClass, TRAIN_COUNTS.map((n, c) => 2 * n + 2 * balanced[c]!));
  assert.equal(outcome.drsEpoch, 2);
  assert.equal(outcome.drwEpoch, null);
});

test('plain training draws every training image once per epoch', async () => {
  const outcome = await trainRun(job({}, 2), imbalancedData());
  assert.deepEqual(outcome.seenPerClass, TRAIN_COUNTS.map((n) => 2 * n));
  assert.equal(outcome.classifierNorms?.length, 4);
  assert.ok(outcome.classifierNorms!.every((n) => n > 0));
});

test('DRW: the loss is plain before the named epoch and class-balanced weighted from it on', () => {
  const data = imbalancedData();
  const recipeJob = job({ drw: { epoch: 3 } });
  const context = { numClasses: 4, classCounts: TRAIN_COUNTS, totalEpochs: 4 };
  const loss = recipeLoss(recipeJob, getLoss('ce').create({}, context), context);
  const logits = tf.tensor2d([2, 0, 0, 0, 0, 1, 0, 0, 0.5, 0, 0, 1, 0, 0, 3, 0], [4, 4]);
  const labels = tf.tensor1d([0, 1, 3, 2], 'int32');
  const at = (epoch: number) => loss(logits, labels, { epoch }).dataSync()[0]!;
  const plain = getLoss('ce').create({}, context)(logits, labels, { epoch: 0 }).dataSync()[0]!;
  const weights = classBalancedWeights(TRAIN_COUNTS, 0.9999);
  const weighted = getLoss('weighted-ce').create({ scheme: 'custom', weights }, context)(logits, labels, { epoch: 0 }).dataSync()[0]!;
  assert.equal(at(0), plain);
  assert.equal(at(2), plain);
  assert.equal(at(3), weighted);
  assert.notEqual(plain, weighted);
  tf.dispose([logits, labels]);
  assert.equal(data.numClasses, 4);
});

test('DRW records its switch epoch; LDAM with DRW drives its own schedule', async () => {
  const outcome = await trainRun(job({ drw: { epoch: 1 } }, 2, 'ldam'), imbalancedData());
  assert.equal(outcome.drwEpoch, 1);
  assert.deepEqual(outcome.seenPerClass, TRAIN_COUNTS.map((n) => 2 * n));
});

test('cRT retrains the classifier with class-balanced sampling; LWS learns per-class scales of the same logits', async () => {
  const crt = await trainRun(job({ secondStage: { kind: 'crt', epochs: 2 } }, 2), imbalancedData());
  assert.deepEqual(crt.history.map((h) => h.stage), ['train', 'train', 'crt', 'crt']);
  const balanced = classQuotas(samplerProbabilities('class-balanced', TRAIN_COUNTS, 0, 2), 45);
  assert.deepEqual(crt.seenPerClass, TRAIN_COUNTS.map((n, c) => 2 * n + 2 * balanced[c]!));
  assert.equal(crt.classifierNorms, undefined, 'no τ-norm row on top of a second stage');
  const lws = await trainRun(job({ secondStage: { kind: 'lws', epochs: 2 } }, 2), imbalancedData());
  assert.deepEqual(lws.history.map((h) => h.stage), ['train', 'train', 'lws', 'lws']);
  assert.equal(lws.lwsScales?.length, 4);
  assert.ok(lws.lwsScales!.some((s) => s !== 1), 'the scales moved');
  assert.equal(lws.classifierNorms, undefined);
});

async function interruptedThenResumed(recipe: RecipeInput, stopAfterBatches: number): Promise<RunOutcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-recipe-resume-'));
  let batches = 0;
  await assert.rejects(
    trainRun(job(recipe), imbalancedData(), { checkpointDir: dir, isCancelled: () => ++batches > stopAfterBatches }),
    RunCancelledError,
  );
  return trainRun(job(recipe), imbalancedData(), { checkpointDir: dir });
}

test('resume stays exact with a non-default sampler, DRS and a second stage', async () => {
  for (const [recipe, stop] of [
    [{ sampler: 'progressive' }, 7],
    [{ sampler: 'sqrt', drs: 2, secondStage: { kind: 'crt', epochs: 2 } }, 14],
  ] as const) {
    const straight = await trainRun(job(recipe), imbalancedData());
    const resumed = await interruptedThenResumed(recipe, stop);
    assert.deepEqual(comparable(resumed), comparable(straight), JSON.stringify(recipe));
  }
});

test('with a frozen backbone, samplers apply to the head training and cRT / LWS follow on the cached features', async () => {
  const data = imbalancedData();
  const dim = 6;
  const rng = createRng(9);
  const values = new Float32Array(data.labels.length * dim);
  data.labels.forEach((y, i) => {
    for (let d = 0; d < dim; d++) values[i * dim + d] = (d === y ? 1.5 : 0) + (rng() - 0.5);
  });
  const frozen = { ...data, features: { values, dim } };
  const model = modelSchema.parse({ family: 'backbone', source: 'fake', finetune: 'none' });
  // The frozen path only reads the backbone's size, to report the whole network's.
  const backbone = { totalParams: 100, flopsPerImage: 1000 } as unknown as NonNullable<RunJob['backbone']>;
  const frozenJob = (recipe: RecipeInput) => ({ ...job(recipe, 2), model, backbone });
  const sampled = await trainRun(frozenJob({ sampler: 'class-balanced' }), frozen);
  const balanced = classQuotas(samplerProbabilities('class-balanced', TRAIN_COUNTS, 0, 2), 45);
  assert.deepEqual(sampled.seenPerClass, balanced.map((q) => 2 * q));
  const crt = await trainRun(frozenJob({ secondStage: { kind: 'crt', epochs: 2 } }), frozen);
  assert.deepEqual(crt.history.map((h) => h.stage), ['train', 'train', 'crt', 'crt']);
  assert.deepEqual(crt.seenPerClass, TRAIN_COUNTS.map((n, c) => 2 * n + 2 * balanced[c]!));
  const lws = await trainRun(frozenJob({ secondStage: { kind: 'lws', epochs: 2 } }), frozen);
  assert.deepEqual(lws.history.map((h) => h.stage), ['train', 'train', 'lws', 'lws']);
  assert.equal(lws.network!.totalParams, 6 * 4 + 4 + 100, 'the backbone counts in the network size');
  assert.equal(lws.lwsScales?.length, 4);
});
