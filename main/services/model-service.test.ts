import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatch } from '../api/dispatch';
import { createModelService } from './model-service';
import { servicesForTest } from './service-fixtures';

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
