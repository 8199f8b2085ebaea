import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { wasmBinaryMap } from './select-backend';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

/**
 * What the kernel tests share: the wasm backend initialised next to cpu (the reference every
 * kernel is compared with), seeded inputs that do not depend on any backend, and the error
 * measure. Used by tests only.
 */

/** Initialises 'wasm' (with LossLab's kernels unless `register` is false), then selects 'cpu'. */
export async function initWasmAndCpu({ register = true }: { register?: boolean } = {}): Promise<void> {
  setWasmPaths(wasmBinaryMap());
  if (register) registerWasmTrainingKernels();
  assert.ok(await tf.setBackend('wasm'), 'wasm backend initialises');
  assert.ok(await tf.setBackend('cpu'));
}

/** `size` values uniform in [lo, hi) from a xorshift32 stream seeded by `seed`. */
export function seededValues(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  let state = (seed * 0x9e3779b1) | 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = lo + ((state >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

let nextSeed = 1;

/** Values for a tensor of `shape`, from a fresh seed at every call (deterministic per test file). */
export function valuesFor(shape: number[], lo = -1, hi = 1): Float32Array {
  return seededValues(tf.util.sizeFromShape(shape), nextSeed++, lo, hi);
}

/**
 * Largest absolute difference over the largest absolute expected value (or `floor`, when
 * that is larger: below it, differences are rounding noise for the inputs at hand).
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 0): number {
  assert.equal(actual.length, expected.length, 'same number of elements');
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(Number(actual[i]) - Number(expected[i])));
    scale = Math.max(scale, Math.abs(Number(expected[i])));
  }
  return scale === 0 ? diff : diff / scale;
}
