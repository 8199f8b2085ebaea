/**
 * Training runs on the wasm backend, so every loss must run there (all its kernels and
 * gradients registered) and agree with the cpu backend. Skips, saying why, if the wasm backend
 * cannot start in this environment.
 */
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { COUNTS, LABELS, LOSS_CASES, TOTAL_EPOCHS } from './cases';
import { assertAllClose, assertClose, evaluate, randomMatrix, useBackend, type TfEvaluation } from './harness';
import { getLoss } from './registry';

test('every loss gives the same values and gradients on wasm as on cpu', async (t) => {
  const inputs = LOSS_CASES.map((c, k) => (getLoss(c.id).kind === 'embedding' ? randomMatrix(500 + k, LABELS.length, 6, 1) : randomMatrix(500 + k, LABELS.length, COUNTS.length, 3)));
  const runAll = (): TfEvaluation[] => LOSS_CASES.map((c, k) => evaluate(c.id, c.params, COUNTS, TOTAL_EPOCHS, inputs[k]!, LABELS, c.epoch ?? 0));
  await useBackend('cpu');
  const onCpu = runAll();
  try {
    await useBackend('wasm');
  } catch (error) {
    t.skip(`wasm backend unavailable here: ${(error as Error).message}`);
    return;
  }
  if (tf.getBackend() !== 'wasm') {
    t.skip('wasm backend unavailable here');
    return;
  }
  const onWasm = runAll();
  // No leaks on wasm either: a second pass leaves the backend's buffers where the first did.
  const buffers = tf.engine().backend.numDataIds();
  const tensors = tf.memory().numTensors;
  runAll();
  if (tf.engine().backend.numDataIds() !== buffers || tf.memory().numTensors !== tensors) {
    throw new Error(`wasm: ${tf.engine().backend.numDataIds() - buffers} buffers and ${tf.memory().numTensors - tensors} tensors left behind`);
  }
  LOSS_CASES.forEach((c, k) => {
    const what = `${c.id} (${c.label})`;
    const a = onWasm[k]!;
    const b = onCpu[k]!;
    // Different kernels (SIMD sums, exp approximations) in float32: agree to ~1e-5 relative.
    assertClose(a.loss, b.loss, 1e-5, 1e-5, `${what} loss`);
    if (b.perSample) assertAllClose(a.perSample!, b.perSample, 1e-5, 1e-5, `${what} per-sample`);
    assertAllClose(a.gradient, b.gradient, 1e-5, 1e-4, `${what} gradient`);
  });
});
