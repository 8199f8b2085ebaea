/** Turning probability (or logit) rows into predicted classes and confidences. */

/**
 * Predicted class per row: the index of the largest value, the first one on ties, as
 * numpy.argmax does. Works the same on probabilities and logits.
 */
export function argmaxRows(matrix: ArrayLike<number>, numClasses: number): Int32Array {
  const n = Math.floor(matrix.length / numClasses);
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const base = r * numClasses;
    let best = 0;
    let bestValue = matrix[base] as number;
    for (let c = 1; c < numClasses; c++) {
      const v = matrix[base + c] as number;
      // Strictly greater: an equal later value never replaces the first maximum.
      if (v > bestValue) {
        best = c;
        bestValue = v;
      }
    }
    out[r] = best;
  }
  return out;
}

/** Largest probability per row (the model's confidence in its prediction). */
export function maxRows(matrix: ArrayLike<number>, numClasses: number): Float64Array {
  const n = Math.floor(matrix.length / numClasses);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let m = matrix[r * numClasses] as number;
    for (let c = 1; c < numClasses; c++) m = Math.max(m, matrix[r * numClasses + c] as number);
    out[r] = m;
  }
  return out;
}
