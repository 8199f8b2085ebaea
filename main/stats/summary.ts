/**
 * Descriptive statistics of one metric over repeated runs (e.g. one loss over seeds):
 * mean, sample standard deviation and a Student-t confidence interval of the mean.
 */

import { studentTQuantile } from './special';

export interface Summary {
  /** Number of values summarised (null / undefined inputs are skipped, not counted). */
  n: number;
  /** Arithmetic mean; null when n = 0. */
  mean: number | null;
  /** Sample standard deviation (divisor n − 1); null when n < 2, where it is undefined. */
  std: number | null;
  /**
   * Confidence interval of the mean, mean ± t_{(1+level)/2, n−1} · std / √n; null when
   * n < 2 (one seed says nothing about seed-to-seed spread).
   */
  ci95: [number, number] | null;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new RangeError('mean of no values');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/** Sample standard deviation with divisor n − 1 (numpy's ddof=1). Needs n >= 2. */
export function sampleStd(values: ArrayLike<number>): number {
  if (values.length < 2) throw new RangeError('sample standard deviation needs at least 2 values');
  const m = mean(values);
  // Two-pass sum of squared deviations: no cancellation problem when values are close.
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] as number) - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (values.length - 1));
}

/**
 * Summarises values, skipping null/undefined (e.g. a few-shot accuracy that is null in a
 * run whose split has no few-shot classes). `level` is the interval's confidence; the field
 * is called ci95 because 0.95 is what LossLab reports.
 */
export function summarize(values: readonly (number | null | undefined)[], level = 0.95): Summary {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  const xs: number[] = [];
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (!Number.isFinite(v)) throw new RangeError(`cannot summarise a non-finite value (${v})`);
    xs.push(v);
  }
  const n = xs.length;
  if (n === 0) return { n, mean: null, std: null, ci95: null };
  const m = mean(xs);
  if (n === 1) return { n, mean: m, std: null, ci95: null };
  const s = sampleStd(xs);
  const half = studentTQuantile((1 + level) / 2, n - 1) * (s / Math.sqrt(n));
  return { n, mean: m, std: s, ci95: [m - half, m + half] };
}

export interface SampleSummary {
  n: number;
  mean: number;
  std: number | null;
  ci95: [number, number] | null;
}

/**
 * summarize() for a sample known to be non-empty and complete (e.g. one headline metric over
 * a loss's finished seeds), so the mean is a number. Throws on an empty sample.
 */
export function summarizeSample(values: readonly number[], level = 0.95): SampleSummary {
  if (values.length === 0) throw new RangeError('cannot summarise an empty sample');
  const s = summarize(values, level);
  return { n: s.n, mean: s.mean as number, std: s.std, ci95: s.ci95 };
}
