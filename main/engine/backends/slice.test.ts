import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initWasmAndCpu, seededValues } from './kernel-test-support';

before(async () => {
  await initWasmAndCpu();
});

function sliced(backend: string, shape: number[], begin: number[], size: number[], dtype: 'float32' | 'int32'): number[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const values = dtype === 'int32' ? Int32Array.from(seededValues(tf.util.sizeFromShape(shape), 5), (v) => Math.round(v * 1000)) : seededValues(tf.util.sizeFromShape(shape), 5);
    return Array.from(tf.slice(tf.tensor(values, shape, dtype), begin, size).dataSync());
  });
}

test('Slice on wasm gives exactly what cpu gives, for cuts in every axis', () => {
  const cases: [number[], number[], number[]][] = [
    [[4, 10, 10, 3], [0, 1, 1, 0], [4, 8, 8, 3]], // ZeroPadding2D's gradient
    [[2, 6, 5, 4], [1, 2, 0, 0], [1, 3, 5, 4]],
    [[3, 5, 7, 2], [0, 0, 2, 1], [3, 5, 4, 1]], // innermost cut: the stock kernel
    [[3, 4, 5], [1, 1, 0], [2, 2, 5]],
    [[6, 8], [2, 0], [3, 8]], // contiguous
    [[2, 3, 4, 5, 6], [0, 1, 2, 0, 0], [2, 2, 1, 5, 6]],
    [[2, 3, 4], [0, 0, 0], [2, -1, 4]],
    [[2, 0, 4], [0, 0, 0], [2, 0, 4]],
  ];
  for (const [shape, begin, size] of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      assert.deepEqual(sliced('wasm', shape, begin, size, dtype), sliced('cpu', shape, begin, size, dtype), `${dtype} ${JSON.stringify([shape, begin, size])}`);
    }
  }
});
