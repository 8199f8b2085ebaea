import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { initWasmAndCpu } from '../backends/kernel-test-support';
import { batchNormalization, conv2d } from './fast-layers';

before(async () => {
  await initWasmAndCpu();
  assert.ok(await tf.setBackend('wasm'));
});

interface Layers {
  conv2d: typeof tfl.layers.conv2d;
  batchNormalization: typeof tfl.layers.batchNormalization;
}

const FAST: Layers = { conv2d, batchNormalization };
const STOCK: Layers = { conv2d: tfl.layers.conv2d, batchNormalization: tfl.layers.batchNormalization };

/** Conv-BN-ReLU ×2 with a pool, GAP, dense: the product network's shape in miniature. */
function smallNet(layers: Layers): tfl.Sequential {
  const model = tfl.sequential();
  model.add(layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: 3 }) }));
  model.add(layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
  model.add(tfl.layers.reLU());
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(layers.conv2d({ filters: 6, kernelSize: 3, padding: 'valid', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: 4 }) }));
  model.add(layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
  model.add(tfl.layers.reLU());
  model.add(tfl.layers.globalAveragePooling2d({}));
  model.add(tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }));
  return model;
}

function batch(): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.tensor4d(Array.from({ length: 5 * 8 * 8 * 3 }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.1)), [5, 8, 8, 3]);
    const y = tf.cast(tf.oneHot(tf.tensor1d([0, 2, 1, 1, 0], 'int32'), 3), 'float32') as tf.Tensor2D;
    return { x, y };
  });
}

/** Three SGD steps; returns the losses and every weight (moving statistics included) afterwards. */
function train(layers: Layers): { losses: number[]; weights: Float32Array[] } {
  const model = smallNet(layers);
  const optimizer = tf.train.sgd(0.1);
  const { x, y } = batch();
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
    losses.push(loss!.dataSync()[0]);
    loss!.dispose();
  }
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return { losses, weights };
}

for (const backend of ['wasm', 'cpu']) {
  test(`a conv-BN-ReLU network trains like the stock layers on ${backend}`, async () => {
    assert.ok(await tf.setBackend(backend));
    const before = tf.memory().numTensors;
    const fast = train(FAST);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    const stock = train(STOCK);
    fast.losses.forEach((l, i) => assert.ok(Math.abs(l - stock.losses[i]) <= 1e-5 * Math.max(1, Math.abs(stock.losses[i])), `step ${i}: loss ${l} vs ${stock.losses[i]}`));
    assert.ok(fast.losses[2] < fast.losses[0], 'the loss goes down');
    assert.equal(fast.weights.length, stock.weights.length);
    fast.weights.forEach((w, i) => {
      let diff = 0;
      for (let k = 0; k < w.length; k++) diff = Math.max(diff, Math.abs(w[k] - stock.weights[i][k]));
      assert.ok(diff <= 1e-4, `weight ${i}: max difference ${diff}`);
    });
  });
}

test('the first convolution no longer computes a gradient for the images', async () => {
  assert.ok(await tf.setBackend('wasm'));
  const inputGradients = (layers: Layers): Promise<number> =>
    tf
      .profile(() => {
        const model = smallNet(layers);
        const { x, y } = batch();
        const grads = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
        tf.dispose([x, y, grads.value, ...Object.values(grads.grads)]);
        model.dispose();
      })
      .then((info) => info.kernels.filter((k) => k.name === 'Conv2DBackpropInput').length);
  // Two convolutions: the stock fused op computes both input gradients, ours only the second.
  assert.equal(await inputGradients(STOCK), 2);
  assert.equal(await inputGradients(FAST), 1);
});

test('saved models name the standard classes and load into stock tfjs-layers', async () => {
  assert.ok(await tf.setBackend('cpu'));
  const model = smallNet(FAST);
  const json = model.toJSON(null, false) as unknown as { config: { layers: Array<{ class_name: string }> } };
  assert.deepEqual(
    json.config.layers.map((l) => l.class_name),
    ['Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D', 'Conv2D', 'BatchNormalization', 'ReLU', 'GlobalAveragePooling2D', 'Dense'],
  );
  const loaded = (await tfl.models.modelFromJSON(json as unknown as tf.io.ModelJSON)) as tfl.LayersModel;
  loaded.setWeights(model.getWeights());
  const { x } = batch();
  const a = model.predict(x) as tf.Tensor;
  const b = loaded.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  tf.dispose([x, a, b]);
  model.dispose();
  loaded.dispose();
});
