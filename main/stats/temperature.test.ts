import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argmaxRows } from '../metrics/predictions';
import { readFixture } from '../metrics/fixtures/load';
import { createRng } from '../util/random';
import { fitTemperature, scaledNll, softmaxWithTemperature, temperatureScaling } from './temperature';

const ref = readFixture<{
  temperature: {
    valLogits: number[];
    valLabels: number[];
    testLogits: number[];
    testLabels: number[];
    numClasses: number;
    temperature: number;
    nllBefore: number;
    nllAfter: number;
  };
}>('main/stats/fixtures/reference.json').temperature;

/** Logits whose softmax is the true label distribution, then multiplied by `overconfidence`. */
function syntheticLogits(n: number, k: number, overconfidence: number, seed: number) {
  const rng = createRng(seed);
  const logits = new Float64Array(n * k);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, () => {
      // Box–Muller normal draw.
      const u = 1 - rng();
      return 1.3 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
    });
    const p = softmaxWithTemperature(z, k);
    let u = rng();
    let y = 0;
    while (y < k - 1 && u >= p[y]!) u -= p[y++]!;
    labels.push(y);
    z.forEach((v, c) => (logits[i * k + c] = v * overconfidence));
  }
  return { logits, labels };
}

describe('temperature scaling', () => {
  it('finds the same T as a SciPy root solve of the same objective', () => {
    const fit = fitTemperature(ref.valLogits, ref.valLabels, ref.numClasses);
    assert.ok(Math.abs(fit.temperature / ref.temperature - 1) < 1e-10, `T ${fit.temperature} vs ${ref.temperature}`);
    assert.ok(Math.abs(fit.nllBefore - ref.nllBefore) < 1e-12);
    assert.ok(Math.abs(fit.nllAfter - ref.nllAfter) < 1e-12);
    assert.equal(fit.atBound, false);
    assert.ok(fit.iterations < 50);
    // At the optimum the derivative in beta = 1/T vanishes.
    assert.ok(Math.abs(scaledNll(ref.valLogits, ref.valLabels, ref.numClasses, 1 / fit.temperature).d1) < 1e-12);
  });

  it('recovers a known overconfidence factor and lowers test ECE', () => {
    const val = syntheticLogits(4000, 5, 2.5, 1);
    const test = syntheticLogits(4000, 5, 2.5, 2);
    const r = temperatureScaling({ valLogits: val.logits, valLabels: val.labels, testLogits: test.logits, testLabels: test.labels, numClasses: 5 });
    assert.ok(Math.abs(r.temperature - 2.5) < 0.25, `T = ${r.temperature}`);
    assert.ok(r.nllAfter < r.nllBefore);
    assert.ok(r.test.eceAfter < r.test.eceBefore / 2, `ECE ${r.test.eceBefore} → ${r.test.eceAfter}`);
    assert.ok(r.test.nllAfter < r.test.nllBefore);
    // Scaling never changes the predicted class.
    assert.deepEqual(argmaxRows(r.testProbs, 5), argmaxRows(test.logits, 5));
  });

  it('stops at the search bounds when the optimum lies outside', () => {
    // Uninformative logits: any T fits equally; T grows to the bound (uniform probabilities).
    const flat = fitTemperature([1, 1, 2, 2], [0, 1], 2);
    assert.equal(flat.atBound, true);
    assert.equal(flat.temperature, 100);
    // Perfectly separated logits: NLL keeps falling as T → 0.
    const sharp = fitTemperature([5, 0, 0, 5], [0, 1], 2);
    assert.equal(sharp.atBound, true);
    assert.equal(sharp.temperature, 0.01);
  });

  it('rejects malformed input', () => {
    assert.throws(() => fitTemperature([1, 2, 3], [0, 1], 2), /expected 2 × 2/);
    assert.throws(() => fitTemperature([1, NaN], [0], 2), /logit 1 is NaN/);
    assert.throws(() => softmaxWithTemperature([1, 2], 2, 0), /temperature must be > 0/);
  });
});
