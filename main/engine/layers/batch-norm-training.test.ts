import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { initWasmAndCpu, relativeError, seededValues } from '../backends/kernel-test-support';
import { batchNormTraining, composedBatchNormTraining, fusedBatchNormAvailable } from './batch-norm-training';
import { batchNormalization } from './fast-layers';

/**
 * The fused batch-norm kernels against tfjs-layers' own composition (tf.moments +
 * tf.batchNorm, differentiated by tfjs), on both backends that run them.
 */

before(async () => {
  await initWasmAndCpu();
  assert.ok(await tf.setBackend('wasm'));
});

const BACKENDS = ['wasm', 'cpu'] as const;

/** Floor of the error measure: inputs are O(1), so differences below 1e-3 are rounding noise on either side. */
const NOISE = 1e-3;

function maxRelativeError(actual: tf.TypedArray, expected: tf.TypedArray): number {
  actual.forEach((v, i) => assert.ok(Number.isFinite(v), `value ${i} is finite`));
  return relativeError(actual as Float32Array, expected as Float32Array, NOISE);
}

interface Case {
  shape: number[];
  /** Added to x: a large mean relative to the spread must not wreck the variance. */
  mean: number;
  spread: number;
}

const CASES: Case[] = [
  { shape: [4, 5, 6, 3], mean: 0, spread: 1 },
  { shape: [8, 8, 8, 16], mean: 50, spread: 0.5 },
  { shape: [2, 3, 4, 5], mean: -3, spread: 10 },
  { shape: [7, 3], mean: 1, spread: 2 }, // rank 2 (a dense layer's batch norm)
  { shape: [5, 4, 4, 1], mean: 0.5, spread: 1 }, // one channel
  // Multiples of 4 channels take wasm's SIMD loops: several 64-row blocks and a partial one.
  { shape: [3, 7, 5, 8], mean: 0, spread: 1 },
  { shape: [16, 8, 8, 32], mean: 2, spread: 3 },
  { shape: [6, 4], mean: -1, spread: 1 },
  { shape: [130, 12], mean: 100, spread: 1 },
];

function inputs(c: Case, seed: number): { x: tf.Tensor; scale: tf.Tensor1D; offset: tf.Tensor1D } {
  const channels = c.shape[c.shape.length - 1];
  const size = tf.util.sizeFromShape(c.shape);
  return {
    x: tf.tensor(seededValues(size, seed, c.mean - c.spread, c.mean + c.spread), c.shape),
    scale: tf.tensor1d(seededValues(channels, seed + 1, 0.5, 2)),
    offset: tf.tensor1d(seededValues(channels, seed + 2, -1, 1)),
  };
}

type Impl = typeof batchNormTraining;

/** Outputs and gradients of a loss that uses y, the mean and the variance. */
function outputsAndGradients(impl: Impl, c: Case, seed: number, useStatistics: boolean): Float32Array[] {
  return tf.tidy(() => {
    const { x, scale, offset } = inputs(c, seed);
    const channels = c.shape[c.shape.length - 1];
    const weights = tf.tensor(seededValues(x.size, seed + 3, -1, 1), c.shape);
    const statWeights = tf.tensor1d(seededValues(channels, seed + 4, -1, 1));
    const forward = impl(x, scale, offset, 1e-3);
    const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
      const { y, mean, variance } = impl(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
      let total = tf.sum(tf.mul(y, weights));
      if (useStatistics) total = tf.add(total, tf.add(tf.sum(tf.mul(mean, statWeights)), tf.sum(tf.mul(variance, tf.square(statWeights)))));
      return total as tf.Scalar;
    };
    const grads = tf.grads(loss as unknown as (...args: tf.Tensor[]) => tf.Tensor)([x, scale, offset]);
    return [forward.y, forward.mean, forward.variance, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

for (const backend of BACKENDS) {
  test(`fused batch norm matches the composed ops, forward and backward, on ${backend}`, async () => {
    assert.ok(await tf.setBackend(backend));
    assert.ok(fusedBatchNormAvailable(), `${backend} has the fused kernels`);
    const names = ['y', 'mean', 'variance', 'dx', 'dscale', 'doffset'];
    CASES.forEach((c, i) => {
      for (const useStatistics of [false, true]) {
        const before = tf.memory().numTensors;
        const fused = outputsAndGradients(batchNormTraining, c, 10 * i + 1, useStatistics);
        assert.equal(tf.memory().numTensors, before, 'no tensors leak');
        const composed = outputsAndGradients(composedBatchNormTraining, c, 10 * i + 1, useStatistics);
        fused.forEach((values, k) => {
          const err = maxRelativeError(values, composed[k]);
          // The composed float32 path loses digits on shifted data; ours accumulates in float64.
          const tolerance = c.mean / c.spread > 10 ? 2e-3 : 1e-4;
          assert.ok(err <= tolerance, `${names[k]} of [${c.shape}] (statistics used: ${useStatistics}): relative error ${err.toExponential(2)}`);
        });
      }
    });
  });
}

test('the fused variance stays exact where the composed one cancels out', async () => {
  assert.ok(await tf.setBackend('cpu'));
  // 1000 + {−1, +1}: variance exactly 1 (biased), mean exactly 1000.
  const x = tf.tensor2d([999, 1001, 999, 1001], [4, 1]);
  const { mean, variance } = batchNormTraining(x, tf.ones([1]) as tf.Tensor1D, tf.zeros([1]) as tf.Tensor1D, 1e-5);
  assert.deepEqual(Array.from(mean.dataSync()), [1000]);
  assert.deepEqual(Array.from(variance.dataSync()), [1]);
  tf.dispose([x, mean, variance]);
});

test('one row: variance 0, the output is the offset and the input gradient is exactly 0', async () => {
  for (const backend of BACKENDS) {
    assert.ok(await tf.setBackend(backend));
    const [y, dx] = tf.tidy(() => {
      const x = tf.tensor4d([1, -2, 30, 4], [1, 1, 1, 4]);
      const scale = tf.tensor1d([1, 2, 3, 4]);
      const offset = tf.tensor1d([0.5, -1, 0, 2]);
      const dy = tf.tensor4d([1, -2, 3, 0.5], [1, 1, 1, 4]);
      const grad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a, scale, offset, 1e-3).y, dy)))(x);
      return [batchNormTraining(x, scale, offset, 1e-3).y.dataSync(), grad.dataSync()];
    });
    assert.deepEqual(Array.from(y), [0.5, -1, 0, 2], backend);
    assert.deepEqual(Array.from(dx), [0, 0, 0, 0], backend);
  }
});

test('a batch-norm layer trains identically with the fused kernels and with stock tfjs-layers', async () => {
  for (const backend of BACKENDS) {
    assert.ok(await tf.setBackend(backend));
    const results = [batchNormalization, tfl.layers.batchNormalization].map((make) => {
      const layer = make({ momentum: 0.9, epsilon: 1e-5, gammaInitializer: 'ones' });
      const out = tf.tidy(() => {
        const x = tf.tensor4d(seededValues(6 * 5 * 5 * 4, 7, -2, 3), [6, 5, 5, 4]);
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        const inference = layer.apply(x, { training: false }) as tf.Tensor;
        return [y, inference, ...layer.getWeights()].map((t) => t.dataSync() as Float32Array);
      });
      const { name: _name, ...config } = layer.getConfig();
      const className = layer.getClassName();
      layer.dispose();
      return { out, className, config };
    });
    const [fast, stock] = results;
    assert.equal(fast.className, 'BatchNormalization');
    assert.deepEqual(fast.config, stock.config);
    assert.equal(fast.out.length, 6, 'y, inference output, gamma, beta, moving mean, moving variance');
    fast.out.forEach((v, k) => {
      const err = maxRelativeError(v, stock.out[k]);
      assert.ok(err <= 1e-5, `${backend} output ${k}: relative error ${err.toExponential(2)}`);
    });
    // The moving statistics did move: 0.9·(0, 1) + 0.1·(batch mean, batch variance).
    assert.notDeepEqual(Array.from(fast.out[4]), [0, 0, 0, 0]);
  }
});
