import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initWasmAndCpu } from '../engine/backends/kernel-test-support';
import { saveTinyBackbone } from '../engine/backbone/test-support';
import { makeClassDataset } from '../dataset/fixtures';
import { ExperimentFolder } from '../store/experiment-folder';
import { parseExperimentConfig, type ExperimentConfigInput } from './config';
import { startExperiment } from './run-experiment';
import { startStoredExperiment } from './stored-experiment';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-backbone-exp-'));
const data = path.join(root, 'data');
const cacheDir = path.join(root, 'cache');
let backboneA = '';
let backboneB = '';

before(async () => {
  await initWasmAndCpu();
  assert.ok(await tf.setBackend('wasm'));
  await makeClassDataset(data, { a: 14, b: 10, c: 8 }, 3);
  backboneA = await saveTinyBackbone(path.join(root, 'a'), 1);
  backboneB = await saveTinyBackbone(path.join(root, 'b'), 2);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function config(model: Record<string, unknown>, overrides: Partial<ExperimentConfigInput> = {}) {
  return parseExperimentConfig({
    data,
    imageSize: 16,
    losses: [{ id: 'ce' }, { id: 'balanced-softmax' }],
    seeds: [1],
    model: { family: 'backbone', source: backboneA, ...model },
    training: { epochs: 2, batchSize: 8, learningRate: 0.01 },
    backend: 'wasm',
    workers: 1,
    ...overrides,
  });
}

test('the feature cache is reused by a second experiment and rebuilt for another backbone or another pixel scaling; results record the backbone', async () => {
  const run = async (model: Record<string, unknown>) => (await startExperiment(config(model), { cacheDir }).done).results;
  const first = await run({});
  const second = await run({});
  const otherBackbone = await run({ source: backboneB });
  const otherScaling = await run({ scaling: '0to1' });
  assert.deepEqual(
    [first, second, otherBackbone, otherScaling].map((r) => r.network?.backbone?.featureCache),
    ['computed', 'reused', 'computed', 'computed'],
  );
  assert.deepEqual(second.runs.map((r) => r.metrics), first.runs.map((r) => r.metrics), 'same seed, same numbers');
  const b = first.network!.backbone!;
  assert.equal(b.source, backboneA);
  assert.match(b.sha256, /^[0-9a-f]{64}$/);
  assert.notEqual(otherBackbone.network!.backbone!.sha256, b.sha256);
  assert.equal(b.featureLayer, 'gap');
  assert.equal(b.finetune, 'none');
  assert.equal(first.dataset.channels, 3);
  for (const r of first.runs) {
    assert.equal(r.status, 'done', r.error);
    assert.equal(r.trainableParams, 6 * 3 + 3);
    assert.ok(r.flopsPerImage! > 0);
  }
  assert.match(first.network!.label, /at gap, 6 features, finetune none, linear head/);
});

test('fine-tuning runs in the workers, with the backbone layers it names trainable', async () => {
  const { results } = await startExperiment(config({ finetune: { last: 1 } }, { losses: [{ id: 'ce' }] }), { cacheDir }).done;
  const [r] = results.runs;
  assert.equal(r!.status, 'done', r!.error);
  assert.equal(r!.trainableParams, 3 * 3 * 4 * 6 + 6 + 6 * 3 + 3);
  assert.equal(results.network!.backbone!.finetune, 'last:1');
  assert.equal(results.network!.backbone!.backboneLearningRate, 0.001);
});

test('a refused backbone writes nothing to the store', async () => {
  const refusals: [Record<string, unknown>, Partial<ExperimentConfigInput>, RegExp][] = [
    [{ featureLayer: 'nope' }, {}, /no layer "nope"/],
    [{ sha256: 'a'.repeat(64) }, {}, /Checksum mismatch/],
    [{}, { imageSize: 24 }, /use --image-size 16/],
    [{}, { losses: [{ id: 'supcon' }] }, /--finetune none freezes the backbone/],
    [{}, { colorMode: 'grayscale' }, /takes RGB images/],
  ];
  for (const [model, overrides, pattern] of refusals) {
    const dir = path.join(root, 'store', 'refused');
    await assert.rejects(
      (async () => startStoredExperiment(new ExperimentFolder(dir), config(model, overrides), { cacheDir }).done)(),
      pattern,
    );
    assert.equal(fs.existsSync(dir), false, `${pattern}: nothing written`);
  }
});
