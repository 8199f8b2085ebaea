import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initWasmAndCpu, seededValues } from './kernel-test-support';
import { registerWasmGradients } from './wasm-gradients';

before(async () => {
  await initWasmAndCpu();
  registerWasmGradients();
});

function on<T>(backend: string, f: () => T): T {
  const previous = tf.getBackend();
  tf.setBackend(backend);
  try {
    return f();
  } finally {
    tf.setBackend(previous);
  }
}

test("Mean's gradient on wasm gives the values of the stock gradient (dy times ones, divided by the count)", () => {
  const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
    { shape: [3, 5, 7, 6], axis: [1, 2], keepDims: false }, // global average pooling
    { shape: [3, 5, 7, 6], axis: [1, 2], keepDims: true },
    { shape: [4, 9], axis: -1, keepDims: false },
    { shape: [2, 3, 4], axis: [0, 1, 2], keepDims: false },
    { shape: [6, 1, 3], axis: 0, keepDims: true },
  ];
  for (const { shape, axis, keepDims } of cases) {
    const values = seededValues(tf.util.sizeFromShape(shape), shape.length);
    values.set([NaN, Infinity, -0, 1e-45], 0);
    const grad = () => {
      const x = tf.tensor(values, shape);
      const y = tf.mean(x, axis, keepDims);
      const dy = tf.tensor(seededValues(y.size, 7).map((v, i) => (i === 1 ? -Infinity : v * 1e3)), y.shape);
      const g = tf.grad((v: tf.Tensor) => tf.mean(v, axis, keepDims))(x, dy);
      return Float32Array.from(g.dataSync() as Float32Array);
    };
    // cpu runs tfjs's own gradient; its float32 division rounds as wasm's does.
    const reference = on('cpu', grad);
    const actual = on('wasm', grad);
    let differing = 0;
    for (let i = 0; i < reference.length; i++) if (!Object.is(actual[i], reference[i])) differing++;
    assert.equal(differing, 0, `${JSON.stringify(shape)} over ${JSON.stringify(axis)}: values differ`);
  }
});

test("Mean's gradient on wasm builds no tensor of ones (no Multiply by it)", async () => {
  const kernels = await on('wasm', () =>
    tf.profile(() => {
      const x = tf.tensor4d(seededValues(2 * 4 * 4 * 3, 1), [2, 4, 4, 3]);
      tf.grad((v: tf.Tensor) => tf.mean(v, [1, 2]))(x).dispose();
      x.dispose();
    }),
  );
  const names = kernels.kernels.map((k) => k.name);
  assert.ok(!names.includes('Multiply'), `kernels run: ${names.join(', ')}`);
});
