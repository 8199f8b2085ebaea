import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LossParamError } from './errors';
import { adjustLogitsPostHoc, argmaxRows } from './posthoc';
import { classPriorsFromCounts } from './weights';

describe('post-hoc logit adjustment', () => {
  const logits = new Float32Array([2.0, 1.5, 0.1, 0.3, 0.2, 0.25]);
  const priors = [0.7, 0.2, 0.1];

  test('subtracts τ·log π_c from every row', () => {
    const out = adjustLogitsPostHoc(logits, 3, priors, 1);
    const expected = [2 - Math.log(0.7), 1.5 - Math.log(0.2), 0.1 - Math.log(0.1), 0.3 - Math.log(0.7), 0.2 - Math.log(0.2), 0.25 - Math.log(0.1)];
    expected.forEach((v, i) => assert.ok(Math.abs(out[i]! - v) < 1e-6, `${i}: ${out[i]} vs ${v}`));
    assert.ok(out instanceof Float32Array);
    assert.notEqual(out, logits, 'a new array; the input is untouched');
    assert.equal(logits[0], 2);
  });
  test('τ = 0 leaves logits unchanged; τ moves decisions towards rare classes', () => {
    assert.deepEqual(Array.from(adjustLogitsPostHoc(logits, 3, priors, 0)), Array.from(logits));
    assert.deepEqual(Array.from(argmaxRows(logits, 3)), [0, 0]);
    assert.deepEqual(Array.from(argmaxRows(adjustLogitsPostHoc(logits, 3, priors, 1), 3)), [1, 2]);
  });
  test('priors need not be normalised: the decision is the same', () => {
    const a = argmaxRows(adjustLogitsPostHoc(logits, 3, [70, 20, 10], 1.3), 3);
    const b = argmaxRows(adjustLogitsPostHoc(logits, 3, priors, 1.3), 3);
    assert.deepEqual(Array.from(a), Array.from(b));
  });
  test('priors from counts handle a class with no training images', () => {
    const p = classPriorsFromCounts([98, 1, 0]);
    assert.deepEqual(p, [0.98, 0.01, 0.01]);
    assert.ok(Array.from(adjustLogitsPostHoc(logits, 3, p, 1)).every(Number.isFinite));
  });
  test('bad input is refused', () => {
    assert.throws(() => adjustLogitsPostHoc(logits, 4, [0.25, 0.25, 0.25, 0.25], 1), LossParamError);
    assert.throws(() => adjustLogitsPostHoc(logits, 3, [0.5, 0.5], 1), LossParamError);
    assert.throws(() => adjustLogitsPostHoc(logits, 3, [0.5, 0.5, 0], 1), LossParamError);
    assert.throws(() => adjustLogitsPostHoc(logits, 3, priors, -1), /'tau'.*\[0, ∞\)/);
    assert.throws(() => adjustLogitsPostHoc(logits, 3, priors, Number.NaN), LossParamError);
  });
});
