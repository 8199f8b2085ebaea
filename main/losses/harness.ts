/**
 * Test-only helpers: seeded inputs, running a catalogue loss through tfjs (value, per-sample
 * values, gradient), and closeness checks with explicit tolerances.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import './tf-gradients';
import { createRng } from '../util/random';
import type { RawParams } from './params';
import { getLoss, resolveLossParams } from './registry';
import type { LossParams } from './types';

export async function useBackend(name: 'cpu' | 'wasm' = 'cpu'): Promise<void> {
  // Silences the "install tfjs-node" banner. (IS_TEST would too, but it also switches on a
  // kernel leak heuristic that misfires on the wasm backend's logSoftmax.)
  tf.enableProdMode();
  await tf.setBackend(name);
  await tf.ready();
}

/** Gaussian-ish values from the project's seeded generator (sum of uniforms). */
export function randomMatrix(seed: number, rows: number, cols: number, scale: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rng() + rng() + rng() - 1.5) * 2 * scale));
}

export interface TfEvaluation {
  params: LossParams;
  loss: number;
  perSample: number[] | null;
  gradient: number[][];
  reduction: string;
}

export function evaluate(id: string, raw: RawParams, counts: number[], totalEpochs: number, z: number[][], y: number[], epoch = 0, numClasses?: number): TfEvaluation {
  const def = getLoss(id);
  const params = resolveLossParams(id, raw);
  const C = numClasses ?? (def.kind === 'logits' ? z[0]!.length : counts.length);
  const fn = def.create(params, { numClasses: C, classCounts: counts, totalEpochs });
  const x = tf.tensor2d(z);
  const labels = tf.tensor1d(y, 'int32');
  const step = { epoch };
  try {
    const loss = tf.tidy(() => fn(x, labels, step).dataSync()[0]!);
    const gradient = tf.tidy(() => tf.grad((o: tf.Tensor) => fn(o as tf.Tensor2D, labels, step))(x).arraySync() as number[][]);
    const perSample = fn.perSample ? tf.tidy(() => Array.from(fn.perSample!(x, labels, step).dataSync())) : null;
    return { params, loss, perSample, gradient, reduction: fn.reduction ?? '' };
  } finally {
    x.dispose();
    labels.dispose();
  }
}

export function assertClose(actual: number, expected: number, atol: number, rtol: number, what: string): void {
  const tol = atol + rtol * Math.abs(expected);
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (|diff| ${Math.abs(actual - expected)} > ${tol})`);
}

export function assertAllClose(actual: number[] | number[][], expected: number[] | number[][], atol: number, rtol: number, what: string): void {
  const a = (actual as number[][]).flat ? (actual as (number | number[])[]).flat() as number[] : (actual as number[]);
  const e = (expected as (number | number[])[]).flat() as number[];
  assert.equal(a.length, e.length, `${what}: length ${a.length} vs ${e.length}`);
  a.forEach((v, i) => assertClose(v, e[i]!, atol, rtol, `${what}[${i}]`));
}

export function assertFinite(values: number[] | number[][] | number | null, what: string): void {
  if (values === null) return;
  const flat = typeof values === 'number' ? [values] : ((values as (number | number[])[]).flat() as number[]);
  flat.forEach((v, i) => assert.ok(Number.isFinite(v), `${what}[${i}] is ${v}`));
}
