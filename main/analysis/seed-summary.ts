import type { ClassificationMetrics } from '../metrics/types';
import { summarize, type Summary } from '../stats/summary';
import { ANALYSIS_METRICS, type AnalysisMetric, type TemperatureRun } from './types';
import type { Variant } from './variants';

/** How each metric is read from one run's test metrics; null means "not defined for this run". */
const READ: Record<Exclude<AnalysisMetric, 'eceTemperatureScaled'>, (m: ClassificationMetrics) => number | null> = {
  accuracy: (m) => m.accuracy,
  balancedAccuracy: (m) => m.balancedAccuracy,
  macroF1: (m) => m.macroF1,
  weightedF1: (m) => m.weightedF1,
  gmean: (m) => m.gmean,
  ece: (m) => m.ece,
  nll: (m) => m.nll,
  brier: (m) => m.brier,
  manyShotAccuracy: (m) => m.shotGroups.many,
  mediumShotAccuracy: (m) => m.shotGroups.medium,
  fewShotAccuracy: (m) => m.shotGroups.few,
};

/** One run's metrics by analysis name (the temperature-scaled ECE given separately). */
export function runMetrics(metrics: ClassificationMetrics, eceTemperatureScaled: number | null): Record<AnalysisMetric, number | null> {
  const out = {} as Record<AnalysisMetric, number | null>;
  for (const name of ANALYSIS_METRICS) out[name] = name === 'eceTemperatureScaled' ? eceTemperatureScaled : READ[name](metrics);
  return out;
}

/**
 * Mean, sample standard deviation and Student-t interval over seeds of every metric. A
 * shot group that is empty in this split (null) is skipped, not counted as zero; the
 * temperature-scaled ECE covers only seeds that had validation logits.
 */
export function summarizeVariant(variant: Variant, temperature: readonly TemperatureRun[], level: number): Record<AnalysisMetric, Summary> {
  const out = {} as Record<AnalysisMetric, Summary>;
  for (const name of ANALYSIS_METRICS) {
    const values = name === 'eceTemperatureScaled' ? temperature.map((t) => t.eceAfter) : variant.runs.map((r) => READ[name](r.metrics));
    out[name] = summarize(values, level);
  }
  return out;
}

/** Per class, the mean over seeds of a per-class score. */
export function meanPerClass(variant: Variant, numClasses: number, pick: 'recall' | 'precision' | 'f1'): number[] {
  const sums = new Array<number>(numClasses).fill(0);
  for (const run of variant.runs) run.metrics.perClass.forEach((p, c) => (sums[c]! += p[pick]));
  return sums.map((s) => s / Math.max(1, variant.runs.length));
}

/** Confusion counts summed over seeds: the same test images once per seed. */
export function summedConfusion(variant: Variant, numClasses: number): number[][] {
  const total = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (const run of variant.runs) run.metrics.confusion.forEach((row, i) => row.forEach((v, j) => (total[i]![j]! += v)));
  return total;
}
