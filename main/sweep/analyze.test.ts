import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANALYSIS_METRICS, type AnalysisMetric } from '../analysis/types';
import { summarize } from '../stats/summary';
import { analyzeSweep, type SettingAnalysis, type SweepSettingInput } from './analyze';
import { contrastSentence } from './summary';

/** A row whose balanced accuracy over seeds is `values`; other metrics absent. */
function variant(key: string, label: string, values: number[]): SettingAnalysis['variants'][number] {
  const metrics = Object.fromEntries(ANALYSIS_METRICS.map((m) => [m, summarize(m === 'balancedAccuracy' ? values : [])])) as Record<AnalysisMetric, ReturnType<typeof summarize>>;
  return {
    key,
    label,
    kind: 'trained',
    metrics,
    runs: values.map((v, k) => ({ seed: k + 1, runId: `${key}#seed${k + 1}`, metrics: Object.fromEntries(ANALYSIS_METRICS.map((m) => [m, m === 'balancedAccuracy' ? v : null])) as Record<AnalysisMetric, number | null> })),
  };
}

function vs(key: string, difference: number, interval: [number, number]): SettingAnalysis['comparisons'][number] {
  return { key, baseline: 'ce', difference, interval, significant: interval[0] > 0 || interval[1] < 0 };
}

function setting(index: number, rho: number, rows: SettingAnalysis['variants'], comparisons: SettingAnalysis['comparisons']): SweepSettingInput {
  return { index, label: `exp ρ = ${rho}`, rho, analysis: { settings: { baseline: 'ce' }, variants: rows, comparisons } };
}

// Three settings given out of axis order: the analysis sorts them by ρ.
const settings = [
  setting(2, 100, [variant('ce', 'Cross-entropy', [0.5, 0.52]), variant('balanced-softmax', 'Balanced softmax', [0.7, 0.72]), variant('focal', 'Focal loss', [0.5, 0.5]), variant('ldam', 'LDAM', [0.4, 0.44])],
    [vs('balanced-softmax', 0.2, [0.15, 0.25]), vs('focal', -0.01, [-0.04, 0.02]), vs('ldam', -0.09, [-0.12, -0.06])]),
  setting(0, 1, [variant('ce', 'Cross-entropy', [0.9, 0.9]), variant('balanced-softmax', 'Balanced softmax', [0.9, 0.91]), variant('focal', 'Focal loss', [0.89, 0.9]), variant('ldam', 'LDAM', [0.95, 0.95])],
    [vs('balanced-softmax', 0.005, [-0.01, 0.02]), vs('focal', -0.005, [-0.02, 0.01]), vs('ldam', 0.05, [0.03, 0.07])]),
  setting(1, 10, [variant('ce', 'Cross-entropy', [0.7, 0.7]), variant('balanced-softmax', 'Balanced softmax', [0.8, 0.8]), variant('focal', 'Focal loss', [0.7, 0.71]), variant('ldam', 'LDAM', [0.7, 0.7])],
    [vs('balanced-softmax', 0.1, [0.06, 0.14]), vs('focal', 0.005, [-0.02, 0.03]), vs('ldam', 0, [-0.02, 0.02])]),
];

describe('sweep analysis across settings (constructed results)', () => {
  const a = analyzeSweep(settings, null);

  it('lines each recipe up along ρ with its mean and 95% interval over seeds', () => {
    assert.equal(a.axis.kind, 'imbalance');
    assert.deepEqual(a.xs.map((x) => x.x), [1, 10, 100]);
    assert.deepEqual(a.series.map((s) => s.key), ['ce', 'balanced-softmax', 'focal', 'ldam']);
    const bs = a.series[1]!.points.map((p) => [p.x, p.setting, p.metrics.balancedAccuracy.mean]);
    assert.deepEqual(bs, [[1, 0, 0.905], [10, 1, 0.8], [100, 2, 0.71]]);
    const ci = a.series[1]!.points[2]!.metrics.balancedAccuracy.ci95!;
    // mean 0.71 ± t(0.975, 1) · 0.01414 / √2 = 0.71 ± 12.706 · 0.01
    assert.ok(Math.abs(ci[0] - (0.71 - 0.12706)) < 1e-4 && Math.abs(ci[1] - (0.71 + 0.12706)) < 1e-4);
  });

  it('says where each comparison with the baseline changes, from the paired intervals', () => {
    assert.deepEqual(a.summary, [
      'Balanced softmax is ahead of Cross-entropy from ρ = 10; below, they are not distinguishable.',
      'Focal loss and Cross-entropy are not distinguishable at any ρ (1 to 100).',
      'LDAM against Cross-entropy: ahead at ρ = 1; not distinguishable at ρ = 10; behind at ρ = 100.',
    ]);
    assert.deepEqual(a.contrasts[0]!.points.map((p) => [p.x, p.status, p.interval]), [[1, 'tie', [-0.01, 0.02]], [10, 'ahead', [0.06, 0.14]], [100, 'ahead', [0.15, 0.25]]]);
  });

  it('has one tidy row per recipe × setting × seed', () => {
    assert.equal(a.runs.length, 4 * 3 * 2);
    assert.deepEqual(a.runs.slice(0, 2).map((r) => [r.setting, r.x, r.key, r.seed, r.metrics.balancedAccuracy]), [[0, 1, 'ce', 1, 0.9], [0, 1, 'ce', 2, 0.9]]);
  });

  it('along a swept hyperparameter: one series for the swept loss, its comparison with the baseline per value', () => {
    const one = setting(0, 100, [variant('ce', 'Cross-entropy', [0.5]), variant('focal(gamma=0.5)', 'Focal loss (γ = 0.5)', [0.5]), variant('focal(gamma=2)', 'Focal loss (γ = 2)', [0.55]), variant('focal(gamma=5)', 'Focal loss (γ = 5)', [0.45])],
      [vs('focal(gamma=0.5)', 0, [-0.01, 0.01]), vs('focal(gamma=2)', 0.05, [0.01, 0.09]), vs('focal(gamma=5)', -0.05, [-0.09, -0.01])]);
    const p = analyzeSweep([one], { loss: 'focal', key: 'gamma', values: [2, 0.5, 5], recipeKeys: ['focal(gamma=2)', 'focal(gamma=0.5)', 'focal(gamma=5)'] });
    assert.equal(p.axis.kind, 'param');
    assert.deepEqual(p.xs.map((x) => x.x), [0.5, 2, 5]);
    assert.deepEqual(p.series.map((s) => [s.key, s.label, s.points.map((q) => [q.x, q.metrics.balancedAccuracy.mean])]), [['focal', 'Focal loss (gamma swept)', [[0.5, 0.5], [2, 0.55], [5, 0.45]]]]);
    assert.deepEqual(p.summary, ['Focal loss against Cross-entropy: ahead at focal.gamma = 2; not distinguishable at focal.gamma = 0.5; behind at focal.gamma = 5.']);
  });
});

describe('contrast sentences', () => {
  it('one outcome, a single change, a single point', () => {
    const at = (statuses: ('ahead' | 'behind' | 'tie')[]) => statuses.map((status, k) => ({ x: [1, 10, 50, 100][k]!, status }));
    assert.equal(contrastSentence('A', 'B', 'ρ', at(['ahead', 'ahead', 'ahead', 'ahead'])), 'A is ahead of B at every ρ (1 to 100).');
    assert.equal(contrastSentence('A', 'B', 'ρ', at(['behind', 'behind', 'tie', 'tie'])), 'A and B are not distinguishable from ρ = 50; below, A is behind.');
    assert.equal(contrastSentence('A', 'B', 'ρ', at(['tie', 'tie', 'tie', 'behind'])), 'A is behind B from ρ = 100; below, they are not distinguishable.');
    assert.equal(contrastSentence('A', 'B', 'ρ', [{ x: 12.3456, status: 'ahead' }]), 'A is ahead of B at ρ = 12.3.');
    assert.equal(contrastSentence('A', 'B', 'ρ', []), 'A and B share no setting to compare on.');
  });
});
