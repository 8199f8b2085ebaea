import { planSplits, seededClassOrder } from '../dataset/splits';
import type { LoadedDataset, SplitPlan } from '../dataset/types';
import type { ImbalanceSpec } from '../experiment/config';
import { SweepError, type SweepPlan } from './plan';

/**
 * The checks a sweep makes on the loaded data before anything trains or is written: every
 * setting splits the same dataset with the same seed, so the test and validation images are
 * the same for all of them (the imbalance only thins the training pool), and no setting may
 * leave a class without a training image.
 */

export interface SettingSplit {
  index: number;
  trainCounts: number[];
  trainImages: number;
  /** Largest over smallest training count, as the split achieved it. */
  achievedRatio: number;
}

/**
 * Classes whose training count the profile's formula puts below one image (n_max·ρ^(−i/(C−1))
 * or n_max/ρ rounding to 0). The split keeps one image for them, so the setting would not be
 * the ρ it claims; a sweep refuses it rather than plot it at the wrong ρ.
 */
export function classesLeftEmpty(poolCounts: number[], profile: ImbalanceSpec, seed: number): number[] {
  if (profile.kind !== 'exp' && profile.kind !== 'step') return [];
  const C = poolCounts.length;
  const nMax = Math.max(0, ...poolCounts);
  const order = seededClassOrder(C, seed);
  if (profile.kind === 'exp') {
    return order.filter((_, rank) => C > 1 && Math.round(nMax * profile.ratio ** (-rank / (C - 1))) < 1);
  }
  const tailStart = C - Math.floor(C / 2);
  return Math.round(nMax / profile.ratio) < 1 ? order.slice(tailStart) : [];
}

function sameIndices(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Splits the dataset for every setting; throws a SweepError naming the class and the setting at the first problem. */
export function checkSweepSplits(dataset: LoadedDataset, plan: SweepPlan): SettingSplit[] {
  let first: SplitPlan | null = null;
  return plan.settings.map((setting) => {
    const c = setting.config;
    const split = planSplits(dataset, { testFraction: c.testFraction, valFraction: c.valFraction, imbalance: c.imbalance, seed: c.splitSeed });
    const emptyByFormula = classesLeftEmpty(split.counts.poolBeforeImbalance, setting.imbalance, c.splitSeed);
    const empty = [...new Set([...split.counts.train.flatMap((n, k) => (n === 0 ? [k] : [])), ...emptyByFormula])];
    if (empty.length > 0) {
      const names = empty.map((k) => `"${dataset.classes[k]}"`);
      const nMax = Math.max(...split.counts.poolBeforeImbalance);
      const ratio = setting.imbalance.kind === 'exp' || setting.imbalance.kind === 'step' ? setting.imbalance.ratio : null;
      const why = ratio !== null ? ` (the largest class has ${nMax} training images, so ρ = ${ratio} gives the tail ${Number((nMax / ratio).toPrecision(2))} of an image)` : '';
      throw new SweepError(
        `Setting ${setting.index + 1} (${setting.label}) leaves class${names.length > 1 ? 'es' : ''} ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''} with no training image${why}. ` +
          `Use ρ of at most ${2 * nMax} for this dataset, or more images per class.`,
      );
    }
    // The design promises one held-out test set for all settings; check it rather than assume it.
    if (!first) first = split;
    else if (!sameIndices(first.test, split.test) || !sameIndices(first.val, split.val)) {
      throw new SweepError(`Setting ${setting.index + 1} (${setting.label}) would be tested on different images than setting 1; every setting must share the split seed and fractions.`);
    }
    const counts = split.counts.train;
    return {
      index: setting.index,
      trainCounts: counts,
      trainImages: counts.reduce((s, n) => s + n, 0),
      achievedRatio: Math.max(...counts) / Math.max(1, Math.min(...counts)),
    };
  });
}
