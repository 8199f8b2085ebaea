/**
 * Calibration of the top-label confidence: reliability diagram and expected calibration
 * error (ECE) as in Guo et al. 2017, "On Calibration of Modern Neural Networks":
 * M equal-width bins B_k = (k/M, (k+1)/M] on the maximum probability, and
 * ECE = Σ_k |B_k|/N · |acc(B_k) − conf(B_k)|.
 */

import { checkLabelsAndProbs, type ProbMatrix } from './input';
import { argmaxRows, maxRows } from './predictions';

export interface ReliabilityBin {
  /** Exclusive lower edge k/M (the first bin also takes confidence exactly 0). */
  lower: number;
  /** Inclusive upper edge (k+1)/M. */
  upper: number;
  count: number;
  /** Fraction of the bin's samples predicted correctly; null for an empty bin. */
  accuracy: number | null;
  /** Mean maximum probability of the bin's samples; null for an empty bin. */
  confidence: number | null;
}

export interface ReliabilityDiagram {
  bins: ReliabilityBin[];
  /** Expected calibration error (count-weighted mean |accuracy − confidence|). */
  ece: number;
  /** Maximum calibration error over non-empty bins. */
  mce: number;
  samples: number;
}

export const DEFAULT_CALIBRATION_BINS = 15;

/**
 * Index of the bin (k/M, (k+1)/M] holding the confidence. Edges are computed as k/M (a
 * correctly rounded division), so a confidence that equals an edge in float64, e.g.
 * 0.4 = 6/15, lands in the bin it closes, never the next one; the ceil guess is corrected
 * against those edges because conf·M can round across an integer.
 */
export function calibrationBinIndex(confidence: number, bins: number): number {
  let k = Math.ceil(confidence * bins) - 1;
  if (k < 0) k = 0;
  if (k > bins - 1) k = bins - 1;
  while (k > 0 && confidence <= k / bins) k--;
  while (k < bins - 1 && confidence > (k + 1) / bins) k++;
  return k;
}

export function reliabilityDiagram(
  probs: ProbMatrix,
  labels: ArrayLike<number>,
  numClasses: number,
  bins: number = DEFAULT_CALIBRATION_BINS,
): ReliabilityDiagram {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  checkLabelsAndProbs(labels, probs, numClasses);
  const predicted = argmaxRows(probs, numClasses);
  const confidence = maxRows(probs, numClasses);
  const count = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const confSum = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const k = calibrationBinIndex(confidence[i] as number, bins);
    count[k]! += 1;
    confSum[k]! += confidence[i] as number;
    if (predicted[i] === labels[i]) correct[k]! += 1;
  }
  const n = labels.length;
  let ece = 0;
  let mce = 0;
  const out: ReliabilityBin[] = [];
  for (let k = 0; k < bins; k++) {
    const c = count[k] as number;
    if (c === 0) {
      out.push({ lower: k / bins, upper: (k + 1) / bins, count: 0, accuracy: null, confidence: null });
      continue;
    }
    const acc = (correct[k] as number) / c;
    const conf = (confSum[k] as number) / c;
    const gap = Math.abs(acc - conf);
    ece += (c / n) * gap;
    mce = Math.max(mce, gap);
    out.push({ lower: k / bins, upper: (k + 1) / bins, count: c, accuracy: acc, confidence: conf });
  }
  return { bins: out, ece, mce, samples: n };
}

/** ECE with the default 15 bins. */
export function expectedCalibrationError(
  probs: ProbMatrix,
  labels: ArrayLike<number>,
  numClasses: number,
  bins: number = DEFAULT_CALIBRATION_BINS,
): number {
  return reliabilityDiagram(probs, labels, numClasses, bins).ece;
}
