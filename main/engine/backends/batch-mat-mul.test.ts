import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initWasmAndCpu, relativeError, seededValues } from './kernel-test-support';

before(async () => {
  await initWasmAndCpu();
});

function product(backend: string, aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): { values: Float32Array; shape: number[] } {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const a: tf.Tensor = tf.tensor(seededValues(tf.util.sizeFromShape(aShape), 1), aShape as number[]);
    const b: tf.Tensor = tf.tensor(seededValues(tf.util.sizeFromShape(bShape), 2), bShape as number[]);
    const y = tf.matMul(a, b, transposeA, transposeB);
    return { values: y.dataSync() as Float32Array, shape: y.shape };
  });
}

test('BatchMatMul with transposed operands matches cpu (rank 2 and 3, broadcast batch)', () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[64, 1024], [64, 10], true, false], // a dense layer's weight gradient, Xᵀ·dY
    [[64, 10], [1024, 10], false, true], // its input gradient, dY·Wᵀ
    [[7, 5], [3, 7], true, true],
    [[3, 4, 6], [3, 4, 5], true, false],
    [[2, 6, 4], [1, 5, 4], false, true], // batch broadcast
    [[5, 3], [5, 4], true, false],
  ];
  for (const [aShape, bShape, ta, tb] of cases) {
    const cpu = product('cpu', aShape, bShape, ta, tb);
    const wasm = product('wasm', aShape, bShape, ta, tb);
    assert.deepEqual(wasm.shape, cpu.shape);
    const err = relativeError(wasm.values, cpu.values, 1e-6);
    assert.ok(err < 1e-5, `${JSON.stringify([aShape, bShape, ta, tb])}: relative error ${err}`);
  }
});

test('the transposed copies are freed: no tensor or wasm memory is left behind', () => {
  tf.setBackend('wasm');
  const a = tf.tensor2d(seededValues(64 * 32, 3), [64, 32]);
  const b = tf.tensor2d(seededValues(64 * 8, 4), [64, 8]);
  tf.matMul(a, b, true, false).dispose();
  const tensors = tf.memory().numTensors;
  const dataIds = tf.backend().numDataIds();
  for (let i = 0; i < 5; i++) tf.matMul(a, b, true, false).dispose();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.backend().numDataIds(), dataIds, 'the kernel frees its transposed copy');
  tf.dispose([a, b]);
});
