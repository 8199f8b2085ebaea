/** Proper scoring rules on predicted probabilities: negative log-likelihood and Brier score. */

import type { ProbMatrix } from './input';

/** Machine epsilon of the array's float type, which is what sklearn clips with. */
export function dtypeEpsilon(probs: ProbMatrix): number {
  return probs instanceof Float32Array ? 2 ** -23 : Number.EPSILON;
}

/**
 * Mean negative log-likelihood of the true class, as scikit-learn ≥ 1.5's log_loss:
 * probabilities are clipped to [eps, 1 − eps] with eps the machine epsilon of the input's
 * float type (2^-52 for Float64Array, 2^-23 for Float32Array), and rows are NOT
 * renormalised. sklearn 1.2–1.4 divided each clipped row by its sum; that changes results
 * only for rows that do not sum to 1 (by ~1e-16 for rows that do), and 1.5 dropped it in
 * favour of a warning. Logs are taken in float64 whatever the input type.
 */
export function negativeLogLikelihood(labels: ArrayLike<number>, probs: ProbMatrix, numClasses: number): number {
  const eps = dtypeEpsilon(probs);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = probs[i * numClasses + (labels[i] as number)] as number;
    sum -= Math.log(Math.min(Math.max(p, eps), 1 - eps));
  }
  return sum / labels.length;
}

/**
 * Multiclass Brier score in Brier's (1950) original form: mean over samples of
 * Σ_c (p_c − y_c)² with y one-hot, range [0, 2]. This is sklearn ≥ 1.7's
 * brier_score_loss for an N×C y_proba (scale_by_half='auto' does not halve multiclass);
 * it is twice the binary "mean squared error of the positive class" convention when C = 2.
 * Unclipped probabilities.
 */
export function brierScore(labels: ArrayLike<number>, probs: ProbMatrix, numClasses: number): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    for (let c = 0; c < numClasses; c++) {
      const d = (probs[i * numClasses + c] as number) - (c === y ? 1 : 0);
      sum += d * d;
    }
  }
  return sum / labels.length;
}
