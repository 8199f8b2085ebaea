/**
 * Many/medium/few-shot accuracy (Liu et al. 2019, "Large-Scale Long-Tailed Recognition in
 * an Open World"): classes are grouped by their number of TRAINING images, > 100 many,
 * 20–100 medium, < 20 few, and accuracy is reported on the test images of each group.
 */

import type { ShotGroupAccuracy } from './types';

export type ShotGroup = 'many' | 'medium' | 'few';

export function shotGroupOf(trainCount: number): ShotGroup {
  if (trainCount > 100) return 'many';
  if (trainCount >= 20) return 'medium';
  return 'few';
}

/**
 * Pooled accuracy over the test images whose true class falls in each group (correct /
 * images, so larger test classes weigh more, as the type's "accuracy on test images"
 * says; with a balanced test set, as in Liu et al., this equals the mean per-class
 * accuracy). A group is null when no class belongs to it or its classes have no test images.
 * Without training counts every group is null.
 */
export function shotGroupAccuracy(cm: number[][], trainCounts: readonly number[] | undefined): ShotGroupAccuracy {
  const result: ShotGroupAccuracy = { many: null, medium: null, few: null };
  if (!trainCounts) return result;
  if (trainCounts.length !== cm.length) {
    throw new RangeError(`${trainCounts.length} training counts for ${cm.length} classes`);
  }
  const correct = { many: 0, medium: 0, few: 0 };
  const total = { many: 0, medium: 0, few: 0 };
  trainCounts.forEach((count, c) => {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`training count for class ${c} is ${count}; expected a non-negative integer`);
    }
    const g = shotGroupOf(count);
    const row = cm[c] as number[];
    correct[g] += row[c] as number;
    for (const v of row) total[g] += v;
  });
  for (const g of ['many', 'medium', 'few'] as const) {
    result[g] = total[g] > 0 ? correct[g] / total[g] : null;
  }
  return result;
}
