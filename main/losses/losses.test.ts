/**
 * Every catalogue loss against an independent float64 implementation of its formula:
 * per-sample values, the reduced batch loss, and the gradient with respect to the logits
 * (float32 tf.grad vs. float64 central differences of the reference).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COUNTS, LABELS, LOSS_CASES, TOTAL_EPOCHS } from './cases';
import { assertAllClose, assertClose, evaluate, randomMatrix, useBackend } from './harness';
import { finiteDifferenceGradient, REFERENCE } from './reference64';
import { getLoss, listLosses } from './registry';

before(async () => useBackend('cpu'));

// float32 arithmetic on values of order 1–100: a few ulps of relative error per operation.
const VALUE_ATOL = 1e-5;
const VALUE_RTOL = 2e-5;
// Gradients: float32 tf.grad vs float64 finite differences (h = 1e-6, error ≈ 1e-9).
const GRAD_ATOL = 2e-5;
const GRAD_RTOL = 1e-4;

function inputsFor(id: string, seed: number): number[][] {
  // Logit scale 3 gives probabilities from ~1e-4 to ~0.999; embeddings are 6-dimensional.
  return getLoss(id).kind === 'embedding' ? randomMatrix(seed, LABELS.length, 6, 1) : randomMatrix(seed, LABELS.length, COUNTS.length, 3);
}

test('every catalogue loss has a reference implementation and at least one verification case', () => {
  for (const def of listLosses()) {
    assert.ok(REFERENCE[def.id], `no reference for ${def.id}`);
    assert.ok(LOSS_CASES.some((c) => c.id === def.id), `no case for ${def.id}`);
  }
});

describe('values and gradients match the float64 reference', () => {
  for (const [k, c] of LOSS_CASES.entries()) {
    test(`${c.id} (${c.label})`, () => {
      const ref = REFERENCE[c.id]!;
      const epoch = c.epoch ?? 0;
      for (const seed of [11 + k, 101 + k]) {
        const z = inputsFor(c.id, seed);
        const got = evaluate(c.id, c.params, COUNTS, TOTAL_EPOCHS, z, LABELS, epoch);
        const ctx = { counts: COUNTS, totalEpochs: TOTAL_EPOCHS };
        const want = ref(z, LABELS, got.params, ctx, epoch);
        assertClose(got.loss, want.loss, VALUE_ATOL, VALUE_RTOL, `${c.id} loss (seed ${seed})`);
        if (want.perSample === null) assert.equal(got.perSample, null, `${c.id} should not report per-sample values`);
        else assertAllClose(got.perSample!, want.perSample, VALUE_ATOL, VALUE_RTOL, `${c.id} per-sample (seed ${seed})`);
        const fd = finiteDifferenceGradient(ref, z, LABELS, got.params, ctx, epoch);
        assertAllClose(got.gradient, fd, GRAD_ATOL, GRAD_RTOL, `${c.id} gradient (seed ${seed})`);
      }
    });
  }
});
