import { describe, expect, it } from 'vitest';
import type { LossSummary, MetricSummary } from '../../../main/results/types';
import { bestLossKeys, bestShotGroupKeys, formatMeanStd, formatShotGroup, HEADLINE_METRICS } from './metrics';

function metric(mean: number, std: number | null = 0.01, n = 3): MetricSummary {
  return { mean, std, ci95: null, n };
}

function summary(lossKey: string, values: Partial<Record<(typeof HEADLINE_METRICS)[number], MetricSummary>>): LossSummary {
  const metrics = Object.fromEntries(HEADLINE_METRICS.map((m) => [m, values[m] ?? metric(0.5)])) as LossSummary['metrics'];
  const none = { n: 0, mean: null, std: null, ci95: null };
  return { lossKey, loss: lossKey, params: {}, seeds: [1, 2, 3], metrics, shotGroups: { many: none, medium: none, few: none } };
}

describe('bestLossKeys', () => {
  it('marks the highest mean for higher-is-better metrics and the lowest for lower-is-better ones', () => {
    const best = bestLossKeys([
      summary('ce', { balancedAccuracy: metric(0.6), nll: metric(1.2) }),
      summary('focal', { balancedAccuracy: metric(0.7), nll: metric(1.4) }),
    ]);
    expect([...best.balancedAccuracy]).toEqual(['focal']);
    expect([...best.nll]).toEqual(['ce']);
  });

  it('marks every loss that ties for best', () => {
    const best = bestLossKeys([summary('a', { macroF1: metric(0.8) }), summary('b', { macroF1: metric(0.8) }), summary('c', { macroF1: metric(0.7) })]);
    expect([...best.macroF1].sort()).toEqual(['a', 'b']);
  });

  it('never marks a loss without finished runs', () => {
    const best = bestLossKeys([summary('done', { accuracy: metric(0.5) }), summary('failed', { accuracy: metric(0.9, null, 0) })]);
    expect([...best.accuracy]).toEqual(['done']);
  });
});

describe('shot groups', () => {
  it('marks the best many/medium/few-shot accuracy and skips empty groups', () => {
    const a = summary('a', {});
    const b = summary('b', {});
    a.shotGroups = { many: { n: 3, mean: 0.9, std: 0.01, ci95: null }, medium: { n: 3, mean: 0.5, std: 0.02, ci95: null }, few: { n: 0, mean: null, std: null, ci95: null } };
    b.shotGroups = { many: { n: 3, mean: 0.8, std: 0.01, ci95: null }, medium: { n: 3, mean: 0.6, std: 0.02, ci95: null }, few: { n: 0, mean: null, std: null, ci95: null } };
    const best = bestShotGroupKeys([a, b]);
    expect([...best.many]).toEqual(['a']);
    expect([...best.medium]).toEqual(['b']);
    expect(best.few.size).toBe(0);
    expect(formatShotGroup(a.shotGroups.many)).toBe('90.0 ± 1.0');
    expect(formatShotGroup(a.shotGroups.few)).toBe('—');
  });
});

describe('formatMeanStd', () => {
  it('writes rates as percentages with the std, and leaves the std out for one seed', () => {
    expect(formatMeanStd('accuracy', metric(0.8123, 0.0234))).toBe('81.2 ± 2.3');
    expect(formatMeanStd('nll', metric(0.41234, 0.0051))).toBe('0.412 ± 0.005');
    expect(formatMeanStd('accuracy', metric(0.8, null, 1))).toBe('80.0');
  });
});
