import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeMetrics } from './classification';
import { calibrationBinIndex, reliabilityDiagram } from './calibration';
import { readFixture } from './fixtures/load';
import { argmaxRows } from './predictions';

interface ReferenceCase {
  name: string;
  dtype: 'float32' | 'float64';
  numClasses: number;
  labels: number[];
  probs: number[];
  trainCounts: number[] | null;
  expected: {
    confusion: number[][];
    precision: number[];
    recall: number[];
    f1: number[];
    support: number[];
    accuracy: number;
    balancedAccuracy: number;
    macroF1: number;
    weightedF1: number;
    gmean: number;
    gmeanImblearnDefaultLabels: number;
    nll: number;
    nllInstalledSklearn: number;
    brier: number;
    ece: number;
    reliability: { count: number; accuracy: number | null; confidence: number | null }[];
    shotGroups: { many: number | null; medium: number | null; few: number | null } | null;
  };
}

const reference = readFixture<{ versions: Record<string, string>; bins: number; cases: ReferenceCase[] }>(
  'main/metrics/fixtures/reference.json',
);

function close(actual: number | null, expected: number | null, what: string, tol = 1e-12): void {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, what);
    return;
  }
  const err = Math.abs(actual - expected);
  assert.ok(err <= tol * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, sklearn ${expected} (diff ${err})`);
}

function probsOf(c: ReferenceCase): Float32Array | Float64Array {
  return c.dtype === 'float32' ? Float32Array.from(c.probs) : Float64Array.from(c.probs);
}

describe('computeMetrics against scikit-learn ' + reference.versions.sklearn + ' / imblearn ' + reference.versions.imblearn, () => {
  assert.ok(reference.cases.length >= 10);
  for (const c of reference.cases) {
    it(c.name, () => {
      const classNames = Array.from({ length: c.numClasses }, (_, i) => `class${i}`);
      const m = computeMetrics({
        labels: c.labels,
        probs: probsOf(c),
        classNames,
        ...(c.trainCounts ? { trainCounts: c.trainCounts } : {}),
      });
      const e = c.expected;
      assert.deepEqual(m.confusion, e.confusion);
      m.perClass.forEach((pc, i) => {
        assert.equal(pc.class, classNames[i]);
        assert.equal(pc.support, e.support[i]);
        close(pc.precision, e.precision[i]!, `precision[${i}]`);
        close(pc.recall, e.recall[i]!, `recall[${i}]`);
        close(pc.f1, e.f1[i]!, `f1[${i}]`);
      });
      close(m.accuracy, e.accuracy, 'accuracy');
      close(m.balancedAccuracy, e.balancedAccuracy, 'balanced accuracy');
      close(m.macroF1, e.macroF1, 'macro F1');
      close(m.weightedF1, e.weightedF1, 'weighted F1');
      close(m.gmean, e.gmean, 'G-mean');
      close(m.nll, e.nll, 'NLL');
      close(m.brier, e.brier, 'Brier');
      close(m.ece, e.ece, 'ECE');
      if (e.shotGroups) {
        close(m.shotGroups.many, e.shotGroups.many, 'many-shot');
        close(m.shotGroups.medium, e.shotGroups.medium, 'medium-shot');
        close(m.shotGroups.few, e.shotGroups.few, 'few-shot');
      } else {
        assert.deepEqual(m.shotGroups, { many: null, medium: null, few: null });
      }
      const diagram = reliabilityDiagram(probsOf(c), c.labels, c.numClasses, reference.bins);
      assert.equal(diagram.bins.length, reference.bins);
      diagram.bins.forEach((b, k) => {
        const r = e.reliability[k]!;
        assert.equal(b.count, r.count, `bin ${k} count`);
        close(b.accuracy, r.accuracy, `bin ${k} accuracy`);
        close(b.confidence, r.confidence, `bin ${k} confidence`);
      });
      close(diagram.ece, e.ece, 'diagram ECE');
    });
  }

  it('covers the edge cases the definitions differ on', () => {
    const byName = new Map(reference.cases.map((c) => [c.name, c]));
    // Absent true class: balanced accuracy and G-mean use y_true's classes; imblearn's default
    // labels (y_true ∪ y_pred) would zero the G-mean.
    const absent = byName.get('absent_true_class')!.expected;
    assert.ok(absent.gmean > 0.4);
    assert.equal(absent.gmeanImblearnDefaultLabels, 0);
    // Never-predicted class: recall 0 → G-mean 0 (correction = 0).
    assert.equal(byName.get('absent_predicted_class')!.expected.gmean, 0);
    // Un-normalised rows: current sklearn (no renormalisation) differs from the installed 1.2.
    const rows = byName.get('rows_not_normalised')!.expected;
    assert.ok(Math.abs(rows.nll - rows.nllInstalledSklearn) > 1e-4);
    // Worst one-hot: NLL = −log(eps) exactly.
    close(byName.get('worst_one_hot')!.expected.nll, -Math.log(Number.EPSILON), 'worst NLL');
  });
});

describe('computeMetrics by hand', () => {
  it('perfect and worst predictions hit the bounds', () => {
    const labels = [0, 1, 2, 1];
    const perfect = new Float64Array(12);
    const worst = new Float64Array(12);
    labels.forEach((y, i) => {
      perfect[i * 3 + y] = 1;
      worst[i * 3 + ((y + 1) % 3)] = 1;
    });
    const p = computeMetrics({ labels, probs: perfect, classNames: ['a', 'b', 'c'] });
    assert.equal(p.accuracy, 1);
    assert.equal(p.brier, 0);
    assert.equal(p.ece, 0);
    assert.equal(p.nll, -Math.log(1 - Number.EPSILON)); // clipped at 1 − eps
    const w = computeMetrics({ labels, probs: worst, classNames: ['a', 'b', 'c'] });
    assert.equal(w.accuracy, 0);
    assert.equal(w.gmean, 0);
    assert.equal(w.brier, 2);
    assert.equal(w.ece, 1);
    assert.equal(w.nll, -Math.log(Number.EPSILON));
  });

  it('clips float32 input with float32 epsilon', () => {
    const probs = Float32Array.from([0, 1, 1, 0]);
    const m = computeMetrics({ labels: [0, 1], probs, classNames: ['a', 'b'] });
    assert.equal(m.nll, -Math.log(2 ** -23));
  });

  it('puts confidences that equal a bin edge into the bin they close', () => {
    assert.equal(calibrationBinIndex(0.4, 15), 5); // 0.4 = 6/15 closes (5/15, 6/15]
    assert.equal(calibrationBinIndex(1 / 3, 15), 4);
    assert.equal(calibrationBinIndex(0.4 + 1e-16, 15), 6);
    assert.equal(calibrationBinIndex(1, 15), 14);
    assert.equal(calibrationBinIndex(0, 15), 0);
    assert.equal(calibrationBinIndex(1 / 15, 15), 0);
    for (let k = 1; k <= 15; k++) assert.equal(calibrationBinIndex(k / 15, 15), k - 1);
  });

  it('takes the first maximum on ties, like numpy.argmax', () => {
    assert.deepEqual([...argmaxRows([0.4, 0.4, 0.2, 0.1, 0.45, 0.45], 3)], [0, 1]);
  });

  it('shot groups use > 100 / 20..100 / < 20 training images', () => {
    const labels = [0, 1, 2, 3, 4];
    const probs = new Float64Array(25);
    [0, 1, 2, 3, 0].forEach((p, i) => (probs[i * 5 + p] = 1)); // class 4 wrong
    const m = computeMetrics({ labels, probs, classNames: ['a', 'b', 'c', 'd', 'e'], trainCounts: [101, 100, 20, 19, 0] });
    assert.deepEqual(m.shotGroups, { many: 1, medium: 1, few: 0.5 });
    const none = computeMetrics({ labels, probs, classNames: ['a', 'b', 'c', 'd', 'e'], trainCounts: [500, 500, 500, 500, 500] });
    assert.deepEqual(none.shotGroups, { many: 0.8, medium: null, few: null });
  });

  it('rejects malformed input with a clear message', () => {
    const names = ['a', 'b'];
    assert.throws(() => computeMetrics({ labels: [], probs: new Float64Array(0), classNames: names }), /no samples/);
    assert.throws(() => computeMetrics({ labels: [0, 2], probs: new Float64Array(4), classNames: names }), /label at sample 1 is 2/);
    assert.throws(() => computeMetrics({ labels: [0, 1], probs: new Float64Array(3), classNames: names }), /expected 2 samples × 2 classes/);
    assert.throws(
      () => computeMetrics({ labels: [0], probs: Float64Array.from([2.5, -1]), classNames: names }),
      /sample 0, class 0 is 2.5.*logits/,
    );
    assert.throws(() => computeMetrics({ labels: [0], probs: Float64Array.from([NaN, 1]), classNames: names }), /NaN/);
    assert.throws(() => computeMetrics({ labels: [0], probs: Float64Array.from([1.01, 0]), classNames: names }), /1.01/);
    // Float32 rounding just above 1 is tolerated.
    assert.equal(computeMetrics({ labels: [0], probs: Float32Array.from([1.0000001, 0]), classNames: names }).accuracy, 1);
    assert.throws(
      () => computeMetrics({ labels: [0], probs: Float64Array.from([1, 0]), classNames: names, trainCounts: [1] }),
      /1 training counts for 2 classes/,
    );
  });
});
