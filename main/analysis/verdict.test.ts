import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExperimentAnalysis, PairedComparison, RankingEntry, VariantAnalysis } from './types';
import { verdictOf } from './verdict';

/** Only the fields the verdict reads. */
function row(key: string, label: string, balancedAccuracy: number, kind: 'trained' | 'posthoc' = 'trained'): VariantAnalysis {
  return { key, label, kind, metrics: { balancedAccuracy: { n: 2, mean: balancedAccuracy, std: 0.01, ci95: null } } } as unknown as VariantAnalysis;
}

function comparison(key: string, difference: number, interval: [number, number], significant: boolean): PairedComparison {
  return { key, baseline: 'ce', seeds: [1, 2], difference, interval, significant } as PairedComparison;
}

function analysis(variants: VariantAnalysis[], entries: RankingEntry[] | null, comparisons: PairedComparison[] = [], baseline = 'ce'): ExperimentAnalysis {
  return {
    settings: { baseline, level: 0.95 },
    variants,
    comparisons,
    ranking: entries ? { seeds: [1, 2], entries, excluded: [] } : null,
  } as unknown as ExperimentAnalysis;
}

const ce = row('ce', 'Cross-entropy', 0.6);
const bs = row('balanced-softmax', 'Balanced softmax', 0.75);
const ldam = row('ldam', 'LDAM (with DRW)', 0.73);

test('names the best loss, its gain over the baseline with the interval, and the losses tied with it', () => {
  const v = verdictOf(
    analysis(
      [ce, row('ce+posthoc-la', 'Cross-entropy + post-hoc LA (τ = 1)', 0.7, 'posthoc'), bs, ldam],
      [
        { key: 'balanced-softmax', score: 0.75, rank: 1, tiedWith: ['balanced-softmax', 'ldam'] },
        { key: 'ldam', score: 0.73, rank: 1, tiedWith: ['balanced-softmax', 'ldam'] },
        { key: 'ce', score: 0.6, rank: 3, tiedWith: ['ce'] },
      ],
      [comparison('balanced-softmax', 0.15, [0.12, 0.19], true), comparison('ldam', 0.13, [0.1, 0.17], true)],
    ),
  );
  assert.equal(v.text, 'Balanced softmax is best: +0.150 balanced accuracy over Cross-entropy [+0.120, +0.190] (95% paired bootstrap); LDAM (with DRW) is not distinguishable from it.');
  assert.deepEqual([v.best, v.difference, v.interval, v.significant, v.tied], ['balanced-softmax', 0.15, [0.12, 0.19], true, ['ldam']]);
});

test('says when the gain over the baseline is not significant, and when nothing ties', () => {
  const v = verdictOf(analysis([ce, bs], [{ key: 'balanced-softmax', score: 0.62, rank: 1, tiedWith: ['balanced-softmax'] }, { key: 'ce', score: 0.6, rank: 2, tiedWith: ['ce'] }], [comparison('balanced-softmax', 0.02, [-0.01, 0.05], false)]));
  assert.equal(v.text, 'Balanced softmax is best: +0.020 balanced accuracy over Cross-entropy [−0.010, +0.050] (95% paired bootstrap, not significant); every other loss is significantly worse.');
});

test('the baseline itself can be best', () => {
  const v = verdictOf(analysis([ce, bs], [{ key: 'ce', score: 0.6, rank: 1, tiedWith: ['ce', 'balanced-softmax'] }, { key: 'balanced-softmax', score: 0.58, rank: 1, tiedWith: ['ce', 'balanced-softmax'] }]));
  assert.equal(v.text, 'Cross-entropy (the baseline) is best: balanced accuracy 0.600; Balanced softmax is not distinguishable from it.');
  assert.equal(v.difference, null);
});

test('without logits, only the means: and it says so', () => {
  const v = verdictOf(analysis([ce, bs], null));
  assert.equal(v.best, 'balanced-softmax');
  assert.match(v.text, /^Balanced softmax has the highest mean balanced accuracy \(0\.750\); no paired test was possible/);
});

test('one loss, or none, is not a comparison', () => {
  assert.match(verdictOf(analysis([ce], [{ key: 'ce', score: 0.6, rank: 1, tiedWith: ['ce'] }])).text, /^Only one loss finished: Cross-entropy/);
  assert.equal(verdictOf(analysis([], null)).best, null);
});
