/**
 * Per-class weights and priors, computed once in float64 from the training-set counts.
 *
 * A class with zero training images is counted as one image here. Its weight and prior then
 * stay finite (1/0 and log 0 would poison the normalisation of every other class), and it
 * cannot appear in a training batch anyway, so the choice only affects how the others are scaled.
 */

export function effectiveCounts(counts: readonly number[]): number[] {
  return counts.map((n) => Math.max(n, 1));
}

/** Rescales positive weights so that they sum to the number of classes (mean weight 1). */
export function normaliseToClassCount(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => (w / total) * weights.length);
}

export function inverseFrequencyWeights(counts: readonly number[]): number[] {
  return normaliseToClassCount(effectiveCounts(counts).map((n) => 1 / n));
}

export function inverseSqrtFrequencyWeights(counts: readonly number[]): number[] {
  return normaliseToClassCount(effectiveCounts(counts).map((n) => 1 / Math.sqrt(n)));
}

/**
 * Cui et al.'s class-balanced weights (1−β)/(1−β^n), normalised to sum to C as in their
 * reference code. 1−β^n is evaluated as −expm1(n·log1p(−(1−β))) so that β close to 1 keeps
 * its precision; β = 0 gives weight 1 for every class, i.e. plain CE.
 */
export function classBalancedWeights(counts: readonly number[], beta: number): number[] {
  const raw = effectiveCounts(counts).map((n) => {
    if (beta === 0) return 1;
    const oneMinusBetaPowN = -Math.expm1(n * Math.log1p(-(1 - beta)));
    return (1 - beta) / oneMinusBetaPowN;
  });
  return normaliseToClassCount(raw);
}

/** Training-set class priors π_c = n_c / Σn (zero counts treated as one image). */
export function classPriorsFromCounts(counts: readonly number[]): number[] {
  const eff = effectiveCounts(counts);
  const total = eff.reduce((a, b) => a + b, 0);
  return eff.map((n) => n / total);
}

/** LDAM margins m_c ∝ n_c^(−1/4), scaled so that the largest (rarest class) equals maxMargin. */
export function ldamMargins(counts: readonly number[], maxMargin: number): number[] {
  const raw = effectiveCounts(counts).map((n) => 1 / Math.sqrt(Math.sqrt(n)));
  const top = Math.max(...raw);
  return raw.map((m) => (m * maxMargin) / top);
}
