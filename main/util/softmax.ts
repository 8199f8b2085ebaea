/**
 * Row-wise softmax of N × C logits (divided by `temperature`) in float64, shifted by each
 * row's maximum so that logits of any magnitude give finite probabilities.
 */
export function softmaxRows(logits: ArrayLike<number>, numClasses: number, temperature = 1): Float64Array {
  const rows = logits.length / numClasses;
  const out = new Float64Array(logits.length);
  for (let r = 0; r < rows; r++) {
    const base = r * numClasses;
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, (logits[base + c] as number) / temperature);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) {
      const e = Math.exp((logits[base + c] as number) / temperature - max);
      out[base + c] = e;
      sum += e;
    }
    for (let c = 0; c < numClasses; c++) out[base + c] = (out[base + c] as number) / sum;
  }
  return out;
}
