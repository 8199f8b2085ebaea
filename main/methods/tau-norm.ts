import { argmaxRows } from '../metrics/predictions';

/**
 * Post-hoc τ-normalisation (Kang et al. 2020): w̃_c = w_c / ‖w_c‖^τ. LossLab scales each
 * class's bias with its weights, so the adjusted logits are z_c / ‖w_c‖^τ and can be computed
 * from saved logits and the per-class weight norms alone, without the features. Plain JS in
 * float64, like the other post-hoc corrections.
 */

/** τ grid searched on validation: 0, 0.1, …, 2 (τ = 0 is the trained classifier). */
export const TAU_GRID: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 10);

/** L2 norm of each class's weight vector; `kernel` is the dense layer's [inputs, classes] matrix, row-major. */
export function classWeightNorms(kernel: ArrayLike<number>, numClasses: number): number[] {
  const inputs = kernel.length / numClasses;
  if (!Number.isInteger(inputs)) throw new Error(`A kernel of ${kernel.length} values does not have ${numClasses} columns`);
  const sums = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < inputs; i++) {
    for (let c = 0; c < numClasses; c++) sums[c]! += (kernel[i * numClasses + c] as number) ** 2;
  }
  return sums.map(Math.sqrt);
}

/** Logits divided per class by ‖w_c‖^τ. */
export function tauNormalizeLogits(logits: Float32Array, numClasses: number, norms: readonly number[], tau: number): Float32Array {
  if (norms.length !== numClasses) throw new Error(`${norms.length} weight norms for ${numClasses} classes`);
  if (norms.some((n) => !(n > 0))) throw new Error('τ-normalisation needs every class weight norm to be > 0');
  const factors = norms.map((n) => 1 / n ** tau);
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i += numClasses) {
    for (let c = 0; c < numClasses; c++) out[i + c] = (logits[i + c] as number) * (factors[c] as number);
  }
  return out;
}

/** Mean per-class recall over the classes present in `labels`. */
export function balancedAccuracyOf(logits: Float32Array, labels: Int32Array, numClasses: number): number {
  const predicted = argmaxRows(logits, numClasses);
  const hits = new Array<number>(numClasses).fill(0);
  const totals = new Array<number>(numClasses).fill(0);
  labels.forEach((y, r) => {
    totals[y]! += 1;
    if (predicted[r] === y) hits[y]! += 1;
  });
  const present = totals.map((t, c) => (t > 0 ? hits[c]! / t : null)).filter((r): r is number => r !== null);
  return present.length > 0 ? present.reduce((a, b) => a + b, 0) / present.length : 0;
}

/** τ of the grid with the best validation balanced accuracy; the smallest such τ on ties. */
export function chooseTau(valLogits: Float32Array, valLabels: Int32Array, numClasses: number, norms: readonly number[], grid: readonly number[] = TAU_GRID): { tau: number; score: number } {
  let best = { tau: grid[0] as number, score: -Infinity };
  for (const tau of grid) {
    const score = balancedAccuracyOf(tauNormalizeLogits(valLogits, numClasses, norms, tau), valLabels, numClasses);
    if (score > best.score) best = { tau, score };
  }
  return best;
}
