import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch } from '../api/dispatch';
import { createModelService } from './model-service';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { NetworkSummary } from '../results/types';
import { saveTinyBackbone } from '../engine/backbone/test-support';
import { servicesForTest, temporaryDir } from './service-fixtures';

test('models.describe measures ResNet-20 and the default CNN with the engine, through the contract', async () => {
  const { handlers, shutdown } = servicesForTest();
  try {
    const resnet = await dispatch(handlers, 'models.describe', { model: { family: 'resnet', depth: 20, width: 16 }, imageSize: 32, channels: 3, numClasses: 10 });
    assert.ok(resnet.ok, JSON.stringify(resnet));
    assert.deepEqual(resnet.result, {
      label: 'ResNet-20 (CIFAR, option-A shortcuts), width 16',
      trainableParams: 269_722,
      totalParams: 273_658,
      flopsPerImage: 81_626_368,
    });
    // A stored model without a family is the CNN, with the schema's defaults.
    const cnn = await dispatch(handlers, 'models.describe', { model: { width: 16, depth: 3 }, imageSize: 32, channels: 3, numClasses: 10 });
    assert.ok(cnn.ok, JSON.stringify(cnn));
    assert.deepEqual(cnn.result, { label: 'CNN, 3 conv blocks, width 16', trainableParams: 24_346, totalParams: 24_570, flopsPerImage: 5_604_608 });
    // Gray input and fewer classes change the first conv and the head only.
    const gray = await handlers['models.describe']({ model: { family: 'cnn', width: 16, depth: 3 }, imageSize: 32, channels: 1, numClasses: 2 });
    assert.equal(gray.trainableParams, 24_346 - 2 * 9 * 16 - 8 * (64 + 1));
  } finally {
    await shutdown();
  }
});

test('models.describe refuses an impossible network with a message that names the problem', async () => {
  const { handlers, shutdown } = servicesForTest();
  try {
    const depth = await dispatch(handlers, 'models.describe', { model: { family: 'resnet', depth: 21 }, imageSize: 32, channels: 3, numClasses: 10 });
    assert.equal(depth.ok, false);
    assert.ok(!depth.ok && depth.rejected && /model\.depth: a CIFAR ResNet has depth 6n\+2/.test(depth.error.message), JSON.stringify(depth));
    const family = await dispatch(handlers, 'models.describe', { model: { family: 'vgg' }, imageSize: 32, channels: 3, numClasses: 10 });
    assert.ok(!family.ok && family.rejected && /model\.family/.test(family.error.message), JSON.stringify(family));
    const channels = await dispatch(handlers, 'models.describe', { model: { family: 'cnn' }, imageSize: 32, channels: 4, numClasses: 10 });
    assert.ok(!channels.ok && /channels/.test(channels.error.message));
  } finally {
    await shutdown();
  }
});

test('a measurement that takes too long is stopped with advice, and the next one starts a fresh thread', async () => {
  const slow = createModelService({ timeoutMs: 1 });
  const wide = { model: { family: 'cnn' as const, width: 256, depth: 6 }, imageSize: 32, channels: 3 as const, numClasses: 10 };
  await assert.rejects(slow.describe(wide), /took over 0 s and was stopped.*smaller width or depth/);
  slow.shutdown();
  const models = createModelService();
  try {
    const small = await models.describe({ model: { family: 'cnn', width: 4, depth: 1 }, imageSize: 8, channels: 1, numClasses: 2 });
    assert.equal(small.trainableParams, 9 * 4 + 4 * 2 + 4 * 2 + 2);
  } finally {
    models.shutdown();
  }
});

test('models.describe measures a backbone on disk inside a folder the user may read, and fetches nothing to measure a preset', async () => {
  await tf.setBackend('cpu');
  const root = temporaryDir('backbones');
  const folder = await saveTinyBackbone(path.join(root, 'tiny'), 1, 16);
  const { handlers, shutdown } = servicesForTest({ browseRoot: root });
  try {
    const request = async (model: object) => {
      const answer = await dispatch(handlers, 'models.describe', { model: { family: 'backbone', ...model }, imageSize: 16, channels: 3, numClasses: 3 });
      return answer as typeof answer & ({ ok: true; result: NetworkSummary } | { ok: false; error: { message: string } });
    };
    // Frozen: only the linear head trains (6 features × 3 classes + 3 biases); the backbone's 350 parameters count in the total.
    const frozen = await request({ source: folder });
    assert.ok(frozen.ok, JSON.stringify(frozen));
    assert.equal(frozen.result.trainableParams, 6 * 3 + 3);
    assert.equal(frozen.result.totalParams, 21 + (3 * 3 * 3 * 4 + 4) + 4 * 4 + (3 * 3 * 4 * 6 + 6));
    assert.match(frozen.result.label, /at gap, 6 features, 16 px input, finetune none, linear head/);
    // Fine-tuning everything trains the convolutions and the batch norm's scale and shift too.
    const all = await request({ source: path.join(folder, 'model.json'), finetune: 'all', head: { mlp: 5 } });
    assert.ok(all.ok, JSON.stringify(all));
    assert.equal(all.result.trainableParams, 112 + 8 + 222 + (6 * 5 + 5) + (5 * 3 + 3));
    // A layer that does not exist is refused with the engine's message.
    const layer = await request({ source: folder, featureLayer: 'nope' });
    assert.ok(!layer.ok && /nope/.test(layer.error.message), JSON.stringify(layer));
    // Outside what the user may read: refused before the file is opened.
    const outside = await request({ source: temporaryDir('elsewhere') });
    assert.ok(!outside.ok && /only inside a folder you opened or below the folder this server shares/.test(outside.error.message), JSON.stringify(outside));
    // A preset is downloaded when an experiment first uses it, not to be measured.
    const preset = await request({ source: 'mobilenet-v1-0.25' });
    assert.ok(!preset.ok && /downloaded when an experiment first uses it/.test(preset.error.message), JSON.stringify(preset));
  } finally {
    await shutdown();
  }
});
