import { checkLabels } from '../metrics/input';
import { percentileSorted, type PairedBootstrapResult } from '../stats/paired';
import { createRng, randomInt } from '../util/random';

/**
 * Paired bootstrap of Δ balanced accuracy between rows of seed-matched runs, exactly as
 * stats/paired.ts pairedBootstrap defines it (non-stratified; the same generator and the
 * same draws for a given seed, so the two agree to rounding — tested), but organised so
 * that a report's dozen comparisons cost little more than one.
 *
 * Within one resample every run sees the same images, hence the same per-class totals W_c,
 * and for R seed-matched runs
 *   mean_r BA(cand_r) − mean_r BA(base_r) = 1/(R·K) · Σ_c (S_c(cand) − S_c(base)) / W_c,
 * where S_c(row) sums, over the drawn images of class c, the number of the row's runs that
 * got the image right, and K counts the classes drawn. So each resample is drawn once, each
 * row ("column": a row restricted to a set of seeds) is reduced to its S_c once, and any
 * pair of columns is then compared from those integers. The integers are exact, so a class
 * where both rows do equally well contributes exactly 0.
 */
export class PairedBootstrap {
  private readonly labels: Int32Array;
  /** The labels the comparisons are made on (a copy; callers must not change it). */
  get testLabels(): Int32Array {
    return this.labels;
  }
  /** Image indices sorted by class, and each class's range in that order. */
  private readonly order: Int32Array;
  private readonly classStart: Int32Array;
  private readonly columns: { correct: Int32Array; runs: number; sums: Int32Array | null }[] = [];
  private readonly columnKeys = new Map<string, number>();
  /** W_c per resample, row-major [resamples, numClasses]. */
  private totals: Int32Array | null = null;
  private readonly cache = new Map<string, PairedBootstrapResult>();

  constructor(
    labels: ArrayLike<number>,
    readonly numClasses: number,
    readonly resamples: number,
    readonly seed: number,
    readonly level: number,
  ) {
    if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
    if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
    if (labels.length === 0) throw new RangeError('no test images to compare on');
    checkLabels(labels, numClasses);
    this.labels = Int32Array.from(labels);
    this.order = Int32Array.from(this.labels.keys()).sort((a, b) => this.labels[a]! - this.labels[b]! || a - b);
    this.classStart = new Int32Array(numClasses + 1);
    for (const y of this.labels) this.classStart[y + 1]! += 1;
    for (let c = 0; c < numClasses; c++) this.classStart[c + 1]! += this.classStart[c]!;
  }

  /**
   * Registers a row's seed-matched runs (predicted class per test image, in seed order);
   * `key` names the row and seed set so that a column is counted once however often it is
   * compared. Returns the column's key.
   */
  addColumn(key: string, runs: readonly ArrayLike<number>[]): string {
    if (this.columnKeys.has(key)) return key;
    if (runs.length === 0) throw new RangeError(`column ${key} has no runs`);
    const n = this.labels.length;
    const correct = new Int32Array(n);
    for (const run of runs) {
      if (run.length !== n) throw new RangeError(`a run of ${key} has ${run.length} predictions for ${n} test images`);
      for (let i = 0; i < n; i++) if (run[i] === this.labels[i]) correct[i]! += 1;
    }
    this.columnKeys.set(key, this.columns.length);
    this.columns.push({ correct, runs: runs.length, sums: null });
    return key;
  }

  /**
   * Draws every resample once and reduces each column not yet reduced. Columns added later
   * are reduced by a second call, which redraws the same resamples (same seed).
   */
  private reduceColumns(): void {
    const pending = this.columns.filter((c) => c.sums === null);
    if (pending.length === 0) return;
    const n = this.labels.length;
    const C = this.numClasses;
    const B = this.resamples;
    const position = new Int32Array(n);
    this.order.forEach((i, p) => (position[i] = p));
    // Correct counts in class-sorted order, so each class is one contiguous dot product.
    const sorted = pending.map((col) => Int32Array.from(this.order, (i) => col.correct[i]!));
    for (const col of pending) col.sums = new Int32Array(B * C);
    const totals = this.totals ?? new Int32Array(B * C);
    const multiplicity = new Int32Array(n);
    const rng = createRng(this.seed);
    for (let b = 0; b < B; b++) {
      multiplicity.fill(0);
      // The draw sequence of stats/paired.ts: N indices with replacement per resample.
      for (let j = 0; j < n; j++) multiplicity[position[randomInt(rng, n)]!]! += 1;
      for (let c = 0; c < C; c++) {
        const start = this.classStart[c]!;
        const end = this.classStart[c + 1]!;
        if (this.totals === null) {
          let w = 0;
          for (let p = start; p < end; p++) w += multiplicity[p]!;
          totals[b * C + c] = w;
        }
        for (let k = 0; k < pending.length; k++) {
          const values = sorted[k]!;
          let s = 0;
          for (let p = start; p < end; p++) s += multiplicity[p]! * values[p]!;
          pending[k]!.sums![b * C + c] = s;
        }
      }
    }
    this.totals = totals;
  }

  /** Δ BA of candidate − baseline with its percentile interval; both columns need the same number of runs. */
  compare(candidateKey: string, baselineKey: string): PairedBootstrapResult {
    const cacheKey = `${candidateKey}\u0000${baselineKey}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const cand = this.columns[this.columnIndex(candidateKey)]!;
    const base = this.columns[this.columnIndex(baselineKey)]!;
    if (cand.runs !== base.runs) throw new RangeError(`${candidateKey} has ${cand.runs} runs, ${baselineKey} ${base.runs}; runs must be seed-matched`);
    this.reduceColumns();
    const C = this.numClasses;
    const R = cand.runs;
    const totals = this.totals!;
    const samples = new Float64Array(this.resamples);
    for (let b = 0; b < this.resamples; b++) {
      let sum = 0;
      let k = 0;
      for (let c = 0; c < C; c++) {
        const w = totals[b * C + c]!;
        if (w > 0) {
          sum += (cand.sums![b * C + c]! - base.sums![b * C + c]!) / w;
          k++;
        }
      }
      samples[b] = sum / (R * k);
    }
    samples.sort();
    const interval: [number, number] = [percentileSorted(samples, (1 - this.level) / 2), percentileSorted(samples, (1 + this.level) / 2)];
    const baseline = this.balancedAccuracy(baselineKey);
    const candidate = this.balancedAccuracy(candidateKey);
    const result: PairedBootstrapResult = {
      difference: this.fullSetDifference(cand.correct, base.correct, R),
      baseline,
      candidate,
      interval,
      level: this.level,
      significant: interval[0] > 0 || interval[1] < 0,
      resamples: this.resamples,
      seed: this.seed,
    };
    this.cache.set(cacheKey, result);
    return result;
  }

  /** Mean over the column's runs of balanced accuracy on the full test set. */
  balancedAccuracy(key: string): number {
    const col = this.columns[this.columnIndex(key)]!;
    return this.fullSetDifference(col.correct, new Int32Array(col.correct.length), col.runs);
  }

  private fullSetDifference(a: Int32Array, b: Int32Array, runs: number): number {
    let sum = 0;
    let k = 0;
    for (let c = 0; c < this.numClasses; c++) {
      const start = this.classStart[c]!;
      const end = this.classStart[c + 1]!;
      if (end === start) continue;
      let d = 0;
      for (let p = start; p < end; p++) d += a[this.order[p]!]! - b[this.order[p]!]!;
      sum += d / (end - start);
      k++;
    }
    return sum / (runs * k);
  }

  private columnIndex(key: string): number {
    const index = this.columnKeys.get(key);
    if (index === undefined) throw new RangeError(`no bootstrap column ${key}`);
    return index;
  }
}

/** One comparison on its own (tests, and callers with a single pair). */
export function pairedBalancedAccuracyBootstrap(options: {
  labels: ArrayLike<number>;
  numClasses: number;
  baseline: readonly ArrayLike<number>[];
  candidate: readonly ArrayLike<number>[];
  resamples: number;
  seed: number;
  level: number;
}): PairedBootstrapResult {
  const boot = new PairedBootstrap(options.labels, options.numClasses, options.resamples, options.seed, options.level);
  boot.addColumn('candidate', options.candidate);
  boot.addColumn('baseline', options.baseline);
  return boot.compare('candidate', 'baseline');
}
