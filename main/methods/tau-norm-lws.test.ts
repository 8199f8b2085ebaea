import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../engine/backends/select-backend';
import '../losses/tf-gradients';
import { createRng } from '../util/random';
import { lwsLoss, scaleLogits } from './lws';
import { chooseTau, classWeightNorms, tauNormalizeLogits, TAU_GRID } from './tau-norm';

before(async () => {
  await selectBackend('cpu');
});

function randomMatrix(rows: number, cols: number, seed: number, scale = 3): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: rows * cols }, () => (rng() - 0.5) * 2 * scale);
}

test('classifier norms are the column norms of the [inputs, classes] kernel', () => {
  // Columns (1, 2, 2) and (0, 3, 4).
  assert.deepEqual(classWeightNorms([1, 0, 2, 3, 2, 4], 2), [3, 5]);
});

test('τ-normalisation matches a float64 reference: the logits of w/‖w‖^τ and b/‖w‖^τ', () => {
  const D = 6;
  const C = 4;
  const N = 5;
  const kernel = Array.from(randomMatrix(D, C, 1));
  const bias = Array.from(randomMatrix(1, C, 2));
  const features = Array.from(randomMatrix(N, D, 3));
  const logits = new Float32Array(N * C);
  for (let i = 0; i < N; i++) for (let c = 0; c < C; c++) logits[i * C + c] = bias[c]! + features.slice(i * D, (i + 1) * D).reduce((a, x, d) => a + x * kernel[d * C + c]!, 0);
  const norms = classWeightNorms(kernel, C);
  for (const tau of [0, 0.5, 1, 1.7]) {
    const got = tauNormalizeLogits(logits, C, norms, tau);
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < C; c++) {
        // Reference: normalise the weights and bias in float64, then take the logit.
        let norm = 0;
        for (let d = 0; d < D; d++) norm += kernel[d * C + c]! ** 2;
        const f = 1 / Math.sqrt(norm) ** tau;
        let z = bias[c]! * f;
        for (let d = 0; d < D; d++) z += features[i * D + d]! * kernel[d * C + c]! * f;
        assert.ok(Math.abs(got[i * C + c]! - z) <= 1e-5 * Math.max(1, Math.abs(z)), `τ=${tau} [${i},${c}]: ${got[i * C + c]} vs ${z}`);
      }
    }
  }
  assert.deepEqual(tauNormalizeLogits(logits, C, norms, 0), logits);
});

test('τ is chosen on validation balanced accuracy, the smallest τ on ties', () => {
  // Class 0 has the big norm and wins every row until τ removes its advantage.
  const logits = Float32Array.from([4, 3, 4, 1, 4, 3.5]);
  const labels = Int32Array.from([1, 0, 1]);
  const norms = [4, 1];
  const chosen = chooseTau(logits, labels, 2, norms);
  assert.equal(chosen.score, 1);
  // Row 0 needs 4/4^τ < 3 → τ > 0.2075; row 2 needs 4/4^τ < 3.5 → τ > 0.0963; row 1 stays class 0 while 4/4^τ > 1 → τ < 1.
  assert.equal(chosen.tau, 0.3);
  assert.equal(TAU_GRID.length, 21);
  assert.equal(chooseTau(Float32Array.from([1, 0]), Int32Array.from([0]), 2, [1, 1]).tau, 0);
});

test('LWS loss and its gradient match a float64 reference', () => {
  const N = 7;
  const C = 5;
  const z = randomMatrix(N, C, 4);
  const y = Int32Array.from({ length: N }, (_, i) => (i * 3) % C);
  const s = Float32Array.from([1, 0.5, 1.5, 2, 0.8]);
  // Reference: L = mean_i −log softmax(s ⊙ z_i)_{y_i}; ∂L/∂s_c = mean_i (p_ic − [c = y_i]) z_ic.
  let loss = 0;
  const grad = new Array<number>(C).fill(0);
  for (let i = 0; i < N; i++) {
    const scaled = Array.from({ length: C }, (_, c) => s[c]! * z[i * C + c]!);
    const max = Math.max(...scaled);
    const sum = scaled.reduce((a, v) => a + Math.exp(v - max), 0);
    loss += -(scaled[y[i]!]! - max - Math.log(sum)) / N;
    for (let c = 0; c < C; c++) grad[c]! += ((Math.exp(scaled[c]! - max) / sum - (c === y[i] ? 1 : 0)) * z[i * C + c]!) / N;
  }
  const logits = tf.tensor2d(z, [N, C]);
  const labels = tf.tensor1d(y, 'int32');
  const scales = tf.tensor1d(s);
  const value = lwsLoss(logits, labels, scales);
  const g = tf.grad((sc: tf.Tensor) => lwsLoss(logits, labels, sc as tf.Tensor1D))(scales);
  assert.ok(Math.abs(value.dataSync()[0]! - loss) < 1e-5 * Math.max(1, loss), `${value.dataSync()[0]} vs ${loss}`);
  Array.from(g.dataSync()).forEach((v, c) => assert.ok(Math.abs(v - grad[c]!) < 1e-5, `grad[${c}] ${v} vs ${grad[c]}`));
  tf.dispose([logits, labels, scales, value, g]);
  assert.deepEqual(Array.from(scaleLogits(Float32Array.from([1, 2, 3, 4]), 2, [2, 0.5])), [2, 1, 6, 2]);
});
