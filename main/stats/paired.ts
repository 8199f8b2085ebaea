/**
 * Paired comparison of two models evaluated on the same test images: a paired bootstrap
 * interval for the difference in balanced accuracy, McNemar's test on the correct/incorrect
 * pairs, and a ranking that ties models whose differences are not significant.
 */

import { checkLabels } from '../metrics/input';
import { createIndexSampler } from './resample-rng';
import { binomialHalfCdf, chiSquareSf } from './special';

/** Predicted class per test image, for one run. */
export type Predictions = ArrayLike<number>;

/**
 * Either one run, or several seed-matched runs (run r of the baseline pairs with run r of
 * the candidate), all on the same test images in the same order.
 */
export type RunPredictions = Predictions | readonly Predictions[];

export interface PairedBootstrapOptions {
  labels: ArrayLike<number>;
  numClasses: number;
  baseline: RunPredictions;
  candidate: RunPredictions;
  /** Bootstrap resamples; default 2,000. */
  resamples?: number;
  /** Seed of the resampling; the same seed gives the same interval. Default 0. */
  seed?: number;
  /** Interval confidence level; default 0.95. */
  level?: number;
  /**
   * Resample within each true class, keeping class counts fixed (a stratified bootstrap).
   * Default false: plain resampling of test images, the textbook paired bootstrap.
   */
  stratified?: boolean;
  /** Return the bootstrap distribution too (for plots and tests). */
  keepSamples?: boolean;
}

export interface PairedBootstrapResult {
  /** Balanced accuracy of candidate minus baseline on the full test set (mean over runs). */
  difference: number;
  baseline: number;
  candidate: number;
  /** Percentile interval of the bootstrap differences. */
  interval: [number, number];
  level: number;
  /** True when the interval excludes 0; an interval touching or containing 0 is not significant. */
  significant: boolean;
  resamples: number;
  seed: number;
  samples?: Float64Array;
}

function isRunList(p: RunPredictions): p is readonly Predictions[] {
  return Array.isArray(p) && p.length > 0 && typeof p[0] !== 'number';
}

function toRuns(p: RunPredictions, n: number, what: string): Int32Array[] {
  const runs = isRunList(p) ? [...p] : [p as Predictions];
  if (runs.length === 0) throw new RangeError(`${what}: no runs`);
  return runs.map((r, i) => {
    if (r.length !== n) throw new RangeError(`${what} run ${i} has ${r.length} predictions for ${n} test images`);
    return Int32Array.from(r as ArrayLike<number>);
  });
}

/**
 * The test images reduced to "cells": images with the same true class and the same
 * right/wrong pattern across all runs are interchangeable for balanced accuracy, so a
 * resample only needs how many times each cell was drawn. There are at most
 * C · 2^(runs) cells and usually far fewer, so scoring a resample costs O(cells · runs)
 * instead of O(images · runs).
 */
interface Cells {
  /** Cell of each image. */
  cellOf: Int32Array;
  /** True class of each cell. */
  cellClass: Int32Array;
  /** cellCorrect[k · runs + r] = 1 when run r is right on cell k's images. */
  cellCorrect: Uint8Array;
  count: number;
  runs: number;
}

function buildCells(labels: Int32Array, runs: readonly Int32Array[]): Cells {
  const n = labels.length;
  const ids = new Map<string, number>();
  const cellOf = new Int32Array(n);
  const classes: number[] = [];
  const correct: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    let key = `${y}:`;
    const pattern: number[] = [];
    for (const r of runs) {
      const ok = r[i] === y ? 1 : 0;
      pattern.push(ok);
      key += ok;
    }
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
      classes.push(y);
      correct.push(...pattern);
    }
    cellOf[i] = id;
  }
  return { cellOf, cellClass: Int32Array.from(classes), cellCorrect: Uint8Array.from(correct), count: ids.size, runs: runs.length };
}

/**
 * Balanced accuracy of every run given how often each cell was drawn. Classes absent from
 * the draw do not count (sklearn's rule for classes absent from y_true). Writes into `out`.
 */
function balancedAccuracies(cells: Cells, hist: Int32Array, numClasses: number, scratch: Float64Array, out: Float64Array): void {
  const { runs } = cells;
  const total = scratch.subarray(0, numClasses);
  const correct = scratch.subarray(numClasses, numClasses * (1 + runs));
  scratch.fill(0);
  for (let k = 0; k < cells.count; k++) {
    const h = hist[k] as number;
    if (h === 0) continue;
    const y = cells.cellClass[k] as number;
    total[y]! += h;
    for (let r = 0; r < runs; r++) if (cells.cellCorrect[k * runs + r]) correct[r * numClasses + y]! += h;
  }
  for (let r = 0; r < runs; r++) {
    let sum = 0;
    let present = 0;
    for (let c = 0; c < numClasses; c++) {
      const t = total[c] as number;
      if (t > 0) {
        sum += (correct[r * numClasses + c] as number) / t;
        present++;
      }
    }
    out[r] = sum / present;
  }
}

/** Mean balanced accuracy over runs, on all images (no resampling). */
function meanBalancedAccuracy(labels: Int32Array, runs: readonly Int32Array[], numClasses: number): number {
  const cells = buildCells(labels, runs);
  const hist = new Int32Array(cells.count);
  for (const k of cells.cellOf) hist[k]! += 1;
  const out = new Float64Array(runs.length);
  balancedAccuracies(cells, hist, numClasses, new Float64Array(numClasses * (1 + runs.length)), out);
  return out.reduce((s, v) => s + v, 0) / runs.length;
}

/** Linear-interpolation percentile (numpy's default), q in [0, 1], of sorted data. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * Paired bootstrap of Δ = BA(candidate) − BA(baseline): each resample draws N test images
 * with replacement (the same images for both models and for every seed-matched run, which
 * is what makes it paired) and recomputes the mean over runs of the per-run difference.
 * The interval is the (1−level)/2 and (1+level)/2 percentiles of the resampled Δ
 * (percentile method, linear interpolation). Draws come from LossLab's seeded Mulberry32
 * stream, so a seed reproduces the interval on any machine.
 */
export function pairedBootstrap(options: PairedBootstrapOptions): PairedBootstrapResult {
  const { numClasses } = options;
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 0;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const n = options.labels.length;
  if (n === 0) throw new RangeError('no test images to compare on');
  checkLabels(options.labels, numClasses);
  const labels = Int32Array.from(options.labels);
  const base = toRuns(options.baseline, n, 'baseline');
  const cand = toRuns(options.candidate, n, 'candidate');
  if (base.length !== cand.length) {
    throw new RangeError(`baseline has ${base.length} runs, candidate ${cand.length}; runs must be seed-matched`);
  }
  const runs = base.length;
  // Runs 0..R−1 are the baseline's, R..2R−1 the candidate's.
  const cells = buildCells(labels, [...base, ...cand]);
  const scratch = new Float64Array(numClasses * (1 + 2 * runs));
  const ba = new Float64Array(2 * runs);
  const hist = new Int32Array(cells.count);
  const difference = (): number => {
    balancedAccuracies(cells, hist, numClasses, scratch, ba);
    let d = 0;
    for (let r = 0; r < runs; r++) d += (ba[runs + r] as number) - (ba[r] as number);
    return d / runs;
  };

  for (const k of cells.cellOf) hist[k]! += 1;
  balancedAccuracies(cells, hist, numClasses, scratch, ba);
  const mean = (from: number) => ba.subarray(from, from + runs).reduce((s, v) => s + v, 0) / runs;
  const baselineBa = mean(0);
  const candidateBa = mean(runs);

  // Cells of each class's images, for the stratified variant.
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((y, i) => byClass[y]!.push(cells.cellOf[i] as number));

  const draw = createIndexSampler(seed);
  const samples = new Float64Array(resamples);
  const cellOf = cells.cellOf;
  for (let b = 0; b < resamples; b++) {
    hist.fill(0);
    if (options.stratified) {
      for (const members of byClass) for (let j = 0; j < members.length; j++) hist[members[draw(members.length)]!]! += 1;
    } else {
      for (let j = 0; j < n; j++) hist[cellOf[draw(n)]!]! += 1;
    }
    samples[b] = difference();
  }
  const sorted = Float64Array.from(samples).sort();
  const interval: [number, number] = [percentileSorted(sorted, (1 - level) / 2), percentileSorted(sorted, (1 + level) / 2)];
  return {
    difference: candidateBa - baselineBa,
    baseline: baselineBa,
    candidate: candidateBa,
    interval,
    level,
    significant: interval[0] > 0 || interval[1] < 0,
    resamples,
    seed,
    ...(options.keepSamples ? { samples } : {}),
  };
}

export interface McNemarResult {
  /** Images the baseline got right and the candidate wrong. */
  b: number;
  /** Images the baseline got wrong and the candidate right. */
  c: number;
  /** 2×2 table [[both right, only baseline right], [only candidate right, both wrong]]. */
  table: [[number, number], [number, number]];
  method: 'exact' | 'chi2-corrected';
  /** min(b, c) for the exact test; the continuity-corrected chi-square otherwise. */
  statistic: number;
  pValue: number;
}

/** Discordant-pair count below which the exact binomial test is used. */
export const MCNEMAR_EXACT_BELOW = 25;

/**
 * McNemar's test from the discordant counts b and c. With b + c < 25 (the usual rule: the
 * chi-square approximation is poor for few discordant pairs) the exact two-sided binomial
 * test, p = min(1, 2·P(X ≤ min(b, c))), X ~ Bin(b + c, 1/2); otherwise Edwards' continuity-
 * corrected statistic (|b − c| − 1)² / (b + c) against χ² with 1 degree of freedom. Both are
 * what statsmodels' mcnemar(exact=True) and mcnemar(exact=False, correction=True) compute,
 * so results can be cross-checked there. `method` forces one of them.
 */
export function mcnemarTest(b: number, c: number, method: 'auto' | 'exact' | 'chi2-corrected' = 'auto'): { method: McNemarResult['method']; statistic: number; pValue: number } {
  for (const v of [b, c]) if (!Number.isInteger(v) || v < 0) throw new RangeError(`McNemar counts must be non-negative integers, got ${v}`);
  const n = b + c;
  const useExact = method === 'exact' || (method === 'auto' && n < MCNEMAR_EXACT_BELOW);
  if (useExact || n === 0) {
    const k = Math.min(b, c);
    return { method: 'exact', statistic: k, pValue: Math.min(1, 2 * binomialHalfCdf(k, n)) };
  }
  const d = Math.abs(b - c) - 1;
  const statistic = (d * d) / n;
  return { method: 'chi2-corrected', statistic, pValue: chiSquareSf(statistic, 1) };
}

/** McNemar's test on two prediction sets for the same test images. */
export function mcnemar(
  labels: ArrayLike<number>,
  baseline: Predictions,
  candidate: Predictions,
  method: 'auto' | 'exact' | 'chi2-corrected' = 'auto',
): McNemarResult {
  const n = labels.length;
  if (baseline.length !== n || candidate.length !== n) {
    throw new RangeError(`need one prediction per test image: ${n} labels, ${baseline.length} and ${candidate.length} predictions`);
  }
  let both = 0;
  let b = 0;
  let c = 0;
  let neither = 0;
  for (let i = 0; i < n; i++) {
    const okA = baseline[i] === labels[i];
    const okB = candidate[i] === labels[i];
    if (okA && okB) both++;
    else if (okA) b++;
    else if (okB) c++;
    else neither++;
  }
  return { b, c, table: [[both, b], [c, neither]], ...mcnemarTest(b, c, method) };
}

export interface RankInput {
  key: string;
  /** The score to order by (e.g. mean balanced accuracy over seeds). */
  score: number;
}

export interface RankedEntry extends RankInput {
  /** 1-based competition rank; entries not significantly different from their group's leader share it. */
  rank: number;
  /** Keys sharing this rank (including this one). */
  tiedWith: string[];
}

/**
 * Ranks entries by score, tying those whose difference is not significant. Entries are
 * sorted best first; the best opens a group, and each following entry joins the current
 * group when `significantlyDifferent(leader, entry)` is false, otherwise it opens a new group
 * led by itself. Every member of a group gets the group's rank, which is the position
 * (1-based) of its leader, so ranks read 1, 1, 3 ("standard competition" ranking).
 * Significance is not transitive (A ~ B and B ~ C do not give A ~ C); comparing with the
 * group leader keeps every member of a group within one non-significant step of its best.
 */
export function rankWithTies(
  entries: readonly RankInput[],
  significantlyDifferent: (better: string, worse: string) => boolean,
  options: { higherIsBetter?: boolean } = {},
): RankedEntry[] {
  const sign = options.higherIsBetter === false ? -1 : 1;
  const keys = new Set<string>();
  for (const e of entries) {
    if (keys.has(e.key)) throw new RangeError(`duplicate key ${e.key} in ranking`);
    if (!Number.isFinite(e.score)) throw new RangeError(`score of ${e.key} is ${e.score}`);
    keys.add(e.key);
  }
  // Stable sort: equal scores keep the caller's order.
  const sorted = [...entries].sort((a, b) => sign * (b.score - a.score));
  const ranked: RankedEntry[] = [];
  let leader: RankedEntry | undefined;
  let group: RankedEntry[] = [];
  sorted.forEach((e, i) => {
    if (leader === undefined || significantlyDifferent(leader.key, e.key)) {
      group = [];
      leader = { ...e, rank: i + 1, tiedWith: [] };
      group.push(leader);
      ranked.push(leader);
    } else {
      const member: RankedEntry = { ...e, rank: leader.rank, tiedWith: [] };
      group.push(member);
      ranked.push(member);
    }
    const keysInGroup = group.map((g) => g.key);
    for (const g of group) g.tiedWith = keysInGroup;
  });
  return ranked;
}

export interface BootstrapRankingOptions {
  labels: ArrayLike<number>;
  numClasses: number;
  /** Seed-matched runs per loss (same number of runs for every loss). */
  predictionsByKey: ReadonlyMap<string, readonly Predictions[]> | Record<string, readonly Predictions[]>;
  resamples?: number;
  seed?: number;
  level?: number;
}

export interface BootstrapRanking {
  ranking: RankedEntry[];
  /** The comparisons the ranking needed, keyed "better|worse". */
  comparisons: Map<string, PairedBootstrapResult>;
}

/**
 * Ranks losses by mean balanced accuracy over their runs, tying a loss with its group's
 * leader when the paired bootstrap interval of their difference includes 0. Only the
 * leader-vs-entry comparisons the ranking needs are computed.
 */
export function rankByPairedBootstrap(options: BootstrapRankingOptions): BootstrapRanking {
  const map =
    options.predictionsByKey instanceof Map
      ? (options.predictionsByKey as ReadonlyMap<string, readonly Predictions[]>)
      : new Map(Object.entries(options.predictionsByKey as Record<string, readonly Predictions[]>));
  checkLabels(options.labels, options.numClasses);
  if (map.size === 0) throw new RangeError('nothing to rank');
  const runsOf = (k: string): readonly Predictions[] => map.get(k) as readonly Predictions[];
  const labels = Int32Array.from(options.labels);
  const scoreOf = (runs: readonly Predictions[]): number =>
    meanBalancedAccuracy(labels, runs.map((r) => Int32Array.from(r)), options.numClasses);
  const entries = [...map.keys()].map((key) => ({ key, score: scoreOf(runsOf(key)) }));
  const comparisons = new Map<string, PairedBootstrapResult>();
  const ranking = rankWithTies(entries, (better, worse) => {
    const result = pairedBootstrap({
      labels,
      numClasses: options.numClasses,
      baseline: runsOf(worse),
      candidate: runsOf(better),
      ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.level !== undefined ? { level: options.level } : {}),
    });
    comparisons.set(`${better}|${worse}`, result);
    return result.significant;
  });
  return { ranking, comparisons };
}
