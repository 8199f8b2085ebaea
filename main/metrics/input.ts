/**
 * Shape and range checks shared by every metric that reads labels and an N×C probability
 * matrix. Metrics fail loudly on malformed input instead of returning a plausible number.
 */

export type ProbMatrix = Float32Array | Float64Array;

/**
 * How far outside [0, 1] a probability may stray and still be accepted: exp(log_softmax) in
 * float32 can give 1.0000001. Such values are used as given (NLL clips them anyway).
 */
export const PROBABILITY_SLACK = 1e-6;

export function isProbability(p: number): boolean {
  return p >= -PROBABILITY_SLACK && p <= 1 + PROBABILITY_SLACK;
}

/** Throws unless labels are integers in [0, numClasses) and probs is labels.length × numClasses. */
export function checkLabelsAndProbs(labels: ArrayLike<number>, probs: ProbMatrix, numClasses: number): void {
  checkLabels(labels, numClasses);
  const n = labels.length;
  if (probs.length !== n * numClasses) {
    throw new RangeError(
      `probabilities have ${probs.length} values; expected ${n} samples × ${numClasses} classes = ${n * numClasses}`,
    );
  }
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] as number;
    // Also rejects NaN. Values outside [0, 1] usually mean logits were passed by mistake.
    if (!isProbability(p)) {
      const row = Math.floor(i / numClasses);
      const col = i % numClasses;
      throw new RangeError(
        `probability at sample ${row}, class ${col} is ${p}; probabilities must lie in [0, 1] (logits need a softmax first)`,
      );
    }
  }
}

export function checkLabels(labels: ArrayLike<number>, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`number of classes must be a positive integer, got ${numClasses}`);
  }
  if (labels.length === 0) throw new RangeError('no samples: metrics need at least one labelled sample');
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new RangeError(`label at sample ${i} is ${y}; expected a class index in 0..${numClasses - 1}`);
    }
  }
}

/** Largest |row sum − 1| over samples; callers decide whether to warn (sklearn ≥ 1.5 warns, never rescales). */
export function maxRowSumDeviation(probs: ProbMatrix, numClasses: number): number {
  let worst = 0;
  for (let r = 0; r * numClasses < probs.length; r++) {
    let s = 0;
    for (let c = 0; c < numClasses; c++) s += probs[r * numClasses + c] as number;
    worst = Math.max(worst, Math.abs(s - 1));
  }
  return worst;
}
