import { mcnemar } from '../stats/paired';
import type { PairedBootstrap } from './bootstrap';
import type { PairedComparison } from './types';
import type { SeedRun, Variant } from './variants';

/** Runs of two rows paired by seed: only seeds both finished with predictions, ascending. */
export function pairBySeed(a: Variant, b: Variant): { seeds: number[]; a: SeedRun[]; b: SeedRun[] } {
  const ofB = new Map(b.runs.filter((r) => r.predictions).map((r) => [r.seed, r]));
  const pairs = a.runs.filter((r) => r.predictions && ofB.has(r.seed));
  return { seeds: pairs.map((r) => r.seed), a: pairs, b: pairs.map((r) => ofB.get(r.seed)!) };
}

/** Registers a row restricted to some seeds with the bootstrap; returns its column key. */
export function bootstrapColumn(boot: PairedBootstrap, variant: Variant, runs: readonly SeedRun[]): string {
  // NUL cannot occur in a loss key, so row and seed list never run together ambiguously.
  return boot.addColumn(`${variant.key}\u0000${runs.map((r) => r.seed).join(',')}`, runs.map((r) => r.predictions!));
}

/**
 * Registers both rows' columns without comparing yet: the bootstrap draws its resamples once
 * for all columns registered before the first comparison, so register every pair first.
 */
export function prepareComparison(candidate: Variant, baseline: Variant, boot: PairedBootstrap): void {
  const paired = pairBySeed(candidate, baseline);
  if (paired.seeds.length === 0) return;
  bootstrapColumn(boot, candidate, paired.a);
  bootstrapColumn(boot, baseline, paired.b);
}

/**
 * Candidate against baseline on the same test images.
 *
 * Balanced accuracy: runs are paired by seed (same seed = same initial weights and batch
 * order for both losses), Δ is the mean over seeds of BA(candidate, seed) − BA(baseline,
 * seed), and its interval is the paired bootstrap of that mean: every resample draws N test
 * images with replacement once and applies the same draw to every run of both rows, so the
 * interval reflects test-set sampling with seed variation averaged out. Not significant
 * when the interval includes 0.
 *
 * McNemar: one test per seed pair on the correct/incorrect table (exact binomial below 25
 * discordant images, continuity-corrected χ² above); the row counts as significant only when
 * every seed's test is (p_max below 1 − level), an intersection–union test that stays valid
 * although the seeds share their test images.
 *
 * Null when the two rows share no seed with predictions.
 */
export function compareToBaseline(candidate: Variant, baseline: Variant, boot: PairedBootstrap): PairedComparison | null {
  const paired = pairBySeed(candidate, baseline);
  if (paired.seeds.length === 0) return null;
  const result = boot.compare(bootstrapColumn(boot, candidate, paired.a), bootstrapColumn(boot, baseline, paired.b));
  const labels = boot.testLabels;
  const perSeed = paired.seeds.map((seed, k) => {
    const m = mcnemar(labels, paired.b[k]!.predictions!, paired.a[k]!.predictions!);
    return { seed, b: m.b, c: m.c, method: m.method, statistic: m.statistic, pValue: m.pValue };
  });
  const pMax = Math.max(...perSeed.map((s) => s.pValue));
  return {
    key: candidate.key,
    baseline: baseline.key,
    seeds: paired.seeds,
    difference: result.difference,
    baselineBalancedAccuracy: result.baseline,
    candidateBalancedAccuracy: result.candidate,
    interval: result.interval,
    significant: result.significant,
    mcnemar: { perSeed, pMax, significant: pMax < 1 - boot.level },
  };
}
