/**
 * Numerical safety: no NaN or Inf in the loss, the per-sample values or the gradient for
 * logits of ±1e4, probabilities that round to exactly 0 or 1 in float32, classes with one
 * (or zero) training images, β near 1, and degenerate embedding batches. Also: no tensor leaks.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { COUNTS, LOSS_CASES, TOTAL_EPOCHS } from './cases';
import { assertFinite, evaluate, useBackend } from './harness';
import { getLoss, listLosses, resolveLossParams } from './registry';

before(async () => useBackend('cpu'));

// Labels 0..4; the true class sits at the top, the bottom and the middle of huge logits,
// and in rows where p_y rounds to exactly 1 (±30) or to exactly 0 in float32.
const EXTREME_LOGITS = [
  [1e4, -1e4, 0, 5e3, -5e3],
  [1e4, -1e4, 0, 5e3, -5e3],
  [1e4, -1e4, 0, 5e3, -5e3],
  [-1e4, -1e4, -1e4, 1e4, -1e4],
  [30, -30, 30, -30, 30],
  [1e4, 1e4, 1e4, 1e4, 1e4],
  [-1e4, -1e4, -1e4, -1e4, -1e4],
  [0, 200, -200, 0, 0],
];
const EXTREME_LABELS = [0, 1, 2, 3, 4, 2, 1, 2];
const TAIL_COUNTS = [5000, 1, 1, 0, 1];

const EXTRA_CASES = [
  { id: 'focal', params: { gamma: 0.3 } },
  { id: 'gce', params: { q: 1e-3 } },
  { id: 'cb-ce', params: { beta: 0.999999 } },
  { id: 'cb-focal', params: { beta: 0.999999, gamma: 0.2 } },
  { id: 'sigmoid-focal', params: { gamma: 0.5 } },
  { id: 'poly1', params: { epsilon: 50 } },
  { id: 'dice', params: { smooth: 1e-9 } },
];

describe('finite for logits of ±1e4 and probabilities that round to 0 or 1', () => {
  const logitCases = [...LOSS_CASES, ...EXTRA_CASES].filter((c) => getLoss(c.id).kind === 'logits');
  for (const c of logitCases) {
    for (const counts of [COUNTS, TAIL_COUNTS]) {
      test(`${c.id} ${JSON.stringify(c.params)} counts ${counts.join('/')}`, () => {
        const epoch = 'epoch' in c && typeof c.epoch === 'number' ? c.epoch : 9;
        const r = evaluate(c.id, c.params, counts, TOTAL_EPOCHS, EXTREME_LOGITS, EXTREME_LABELS, epoch);
        assertFinite(r.loss, `${c.id} loss`);
        assertFinite(r.perSample, `${c.id} per-sample`);
        assertFinite(r.gradient, `${c.id} gradient`);
      });
    }
  }
});

describe('embedding losses on degenerate batches', () => {
  const batches: { what: string; f: number[][]; y: number[] }[] = [
    { what: '±1e4 features', f: [[1e4, -1e4, 0], [-1e4, 1e4, 1e4], [1e4, 1e4, 1e4], [-1e4, 0, 5e3]], y: [0, 0, 1, 2] },
    { what: 'an all-zero feature row', f: [[0, 0, 0], [1, 2, 3], [0, 0, 0], [-1, 0, 2]], y: [0, 1, 0, 1] },
    { what: 'identical features across and within classes', f: [[1, 1, 1], [1, 1, 1], [1, 1, 1], [2, 2, 2]], y: [0, 1, 0, 2] },
    { what: 'a batch of one', f: [[0.3, -0.2, 0.9]], y: [3] },
    { what: 'every image its own class (no positives)', f: [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]], y: [0, 1, 2, 3] },
    { what: 'one class only (no negatives)', f: [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]], y: [2, 2, 2, 2] },
  ];
  for (const id of ['contrastive', 'supcon']) {
    for (const b of batches) {
      for (const params of [{}, id === 'supcon' ? { temperature: 0.001 } : { margin: 2.5 }]) {
        test(`${id} ${JSON.stringify(params)}: ${b.what}`, () => {
          const r = evaluate(id, params, [], 1, b.f, b.y, 0, 5);
          assertFinite(r.loss, `${id} loss`);
          assertFinite(r.perSample, `${id} per-sample`);
          assertFinite(r.gradient, `${id} gradient`);
        });
      }
    }
  }
  test('supcon: anchors without a same-class partner contribute 0', () => {
    const r = evaluate('supcon', {}, [], 1, [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]], [0, 1, 2, 3], 0, 5);
    assert.ok(r.perSample!.every((v) => v === 0), `per-sample ${JSON.stringify(r.perSample)}`);
    assert.ok(r.loss === 0, `loss ${r.loss}`);
  });
});

describe('no tensor leaks', () => {
  for (const def of listLosses()) {
    test(def.id, () => {
      const C = 5;
      const fn = def.create(resolveLossParams(def.id, {}), { numClasses: C, classCounts: COUNTS, totalEpochs: 10 });
      const x = tf.tensor2d([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [0, 0, 1, 0, 0]]);
      const y = tf.tensor1d([0, 3, 2], 'int32');
      const scale = tf.variable(tf.scalar(1.5), true, `leak-${def.id}`);
      const start = tf.memory().numTensors;
      fn(x, y, { epoch: 9 }).dispose();
      fn.perSample?.(x, y, { epoch: 9 }).dispose();
      // The way the engine trains: gradients with respect to variables upstream of the loss.
      const { value, grads } = tf.variableGrads(() => fn(tf.mul(x, scale) as tf.Tensor2D, y, { epoch: 9 }), [scale]);
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      assert.equal(tf.memory().numTensors, start, `${def.id} left ${tf.memory().numTensors - start} tensors behind`);
      scale.dispose();
      x.dispose();
      y.dispose();
    });
  }
});
