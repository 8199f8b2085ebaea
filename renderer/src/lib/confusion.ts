/** How a confusion matrix is shown: raw counts, or each row / column scaled to sum to 1. */
export type ConfusionView = 'counts' | 'row' | 'column';

/**
 * A confusion matrix as displayed. `null` marks a cell whose row (or column) has no images
 * at all: 0/0 is not "0 %", and showing it as such would hide that a class had no test images.
 */
export type DisplayMatrix = (number | null)[][];

function rowSums(matrix: number[][]): number[] {
  return matrix.map((row) => row.reduce((sum, v) => sum + v, 0));
}

function columnSums(matrix: number[][]): number[] {
  const sums = new Array<number>(matrix[0]?.length ?? 0).fill(0);
  for (const row of matrix) row.forEach((v, j) => (sums[j] = (sums[j] ?? 0) + v));
  return sums;
}

/** Rows are true classes, columns predicted classes (the results.json convention). */
export function normaliseConfusion(matrix: number[][], view: ConfusionView): DisplayMatrix {
  if (view === 'counts') return matrix.map((row) => [...row]);
  if (view === 'row') {
    const sums = rowSums(matrix);
    return matrix.map((row, i) => row.map((v) => (sums[i] ? v / sums[i]! : null)));
  }
  const sums = columnSums(matrix);
  return matrix.map((row) => row.map((v, j) => (sums[j] ? v / sums[j]! : null)));
}

/**
 * The top of the colour scale shared by every matrix on screen, so that the same colour
 * means the same value in every loss's matrix. Normalised views always span [0, 1]: a
 * shared fraction scale keeps "70 % recall" the same shade everywhere even when no matrix
 * reaches 1.
 */
export function sharedScaleMax(matrices: number[][][], view: ConfusionView): number {
  if (view !== 'counts') return 1;
  let max = 0;
  for (const m of matrices) for (const row of m) for (const v of row) if (v > max) max = v;
  return max > 0 ? max : 1;
}

/** Position of a value on a [0, max] scale, clamped to [0, 1]. */
export function scalePosition(value: number, max: number): number {
  if (!(max > 0) || !Number.isFinite(value)) return 0;
  return Math.min(1, Math.max(0, value / max));
}
