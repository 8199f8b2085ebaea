/**
 * Plans the train / validation / test split of a loaded dataset, then applies the imbalance
 * profile to the training pool.
 *
 * Order matters, and is the point of the design:
 *  1. The test set is held out first: the given test/ items, or a stratified, seeded fraction
 *     of every class. It is never subsampled, so every loss is scored on the same balanced-as-
 *     found test set whatever the imbalance.
 *  2. Validation is carved from what remains (the given val/ items, or a stratified fraction),
 *     also before any subsampling, so best-epoch selection sees every class.
 *  3. The imbalance profile then thins the training pool only (see imbalance.ts).
 *
 * Every random choice is seeded per purpose and per class name (deriveSeed), so the same seed
 * gives the same plan on every machine, and adding a class does not reshuffle the others.
 * Within a class, the images kept under a profile are a prefix of one seeded order, so a
 * stronger imbalance keeps a subset of what a weaker one kept.
 */
import { DatasetError } from './errors';
import { computeImbalance } from './imbalance';
import { printable } from './names';
import type { LoadedDataset, SplitOptions, SplitPlan } from './types';
import { createRng, deriveSeed, shuffleInPlace } from '../util/random';

export { previewImbalance, computeImbalance, seededClassOrder } from './imbalance';

export const DEFAULT_TEST_FRACTION = 0.2;
export const DEFAULT_VAL_FRACTION = 0.1;

function checkFraction(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new DatasetError('bad-split', `The ${name} fraction ${String(value)} is not valid.`, 'Use a number from 0 up to (but not including) 1, e.g. 0.2 for 20%.');
  }
  return value;
}

/** Seeded order of a class's items for one purpose. */
function seededOrder(items: number[], seed: number, purpose: string, className: string): number[] {
  return shuffleInPlace([...items], createRng(deriveSeed(seed, `${purpose}:${className}`)));
}

/** Size of a stratified share of n items: rounded, but leaving at least one behind and, when asked, taking at least one. */
function share(n: number, fraction: number, atLeastOne: boolean): number {
  if (fraction === 0 || n < 2) return 0;
  const k = Math.round(n * fraction);
  return Math.min(n - 1, Math.max(atLeastOne ? 1 : 0, k));
}

function classList(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => `"${printable(n)}"`).join(', ');
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}

export function planSplits(dataset: LoadedDataset, options: SplitOptions): SplitPlan {
  const testFraction = checkFraction('test', options.testFraction);
  const valFraction = checkFraction('validation', options.valFraction);
  if (typeof options.seed !== 'number' || !Number.isInteger(options.seed)) {
    throw new DatasetError('bad-split', `The seed ${String(options.seed)} is not valid.`, 'Use a whole number.');
  }
  const seed = options.seed;
  const classes = dataset.classes;

  const pool: number[][] = classes.map(() => []);
  const test: number[][] = classes.map(() => []);
  const val: number[][] = classes.map(() => []);
  dataset.items.forEach((item, i) => {
    const target = item.given === 'test' ? test : item.given === 'val' ? val : pool;
    target[item.classIndex]?.push(i);
  });
  const givenTest = test.some((t) => t.length > 0);
  const givenVal = val.some((v) => v.length > 0);

  // 1. Test set.
  if (givenTest) {
    const missing = classes.filter((_, c) => (test[c] as number[]).length === 0);
    if (missing.length) {
      throw new DatasetError('bad-split', `The test set has no image of ${missing.length === 1 ? 'class' : 'classes'} ${classList(missing)}.`,
        'Every class needs at least one readable test image: add some to its test folder.');
    }
  } else {
    if (testFraction === 0) {
      throw new DatasetError('bad-split', 'The test fraction is 0 and the dataset has no test/ folder, so there would be no test set.',
        'Use a test fraction above 0 (default 0.2), or give a test folder.');
    }
    const tooSmall = classes.filter((_, c) => (pool[c] as number[]).length < 2);
    if (tooSmall.length) {
      throw new DatasetError('bad-split', `${tooSmall.length === 1 ? 'Class' : `${tooSmall.length} classes`} ${classList(tooSmall)} ${tooSmall.length === 1 ? 'has' : 'have'} fewer than 2 readable images, so ${tooSmall.length === 1 ? 'it' : 'they'} cannot have both a test and a training image.`,
        'Add images to those classes (a few dozen per class is a sensible minimum), or remove them.');
    }
    classes.forEach((name, c) => {
      const order = seededOrder(pool[c] as number[], seed, 'test', name);
      const k = share(order.length, testFraction, true);
      test[c] = order.slice(0, k);
      pool[c] = order.slice(k);
    });
  }

  // 2. Validation set, from the training pool.
  if (!givenVal) {
    classes.forEach((name, c) => {
      const order = seededOrder(pool[c] as number[], seed, 'val', name);
      const k = share(order.length, valFraction, true);
      val[c] = order.slice(0, k);
      pool[c] = order.slice(k);
    });
  }
  const noTrain = classes.filter((_, c) => (pool[c] as number[]).length === 0);
  if (noTrain.length) {
    throw new DatasetError('bad-split', `No training image is left for ${noTrain.length === 1 ? 'class' : 'classes'} ${classList(noTrain)} after the test and validation sets were taken.`,
      'Add training images to those classes, or lower the test/validation fractions.');
  }

  // 3. Imbalance, on the training pool only.
  const poolBeforeImbalance = pool.map((p) => p.length);
  const { counts: trainCounts, headToTail } = computeImbalance(poolBeforeImbalance, options.imbalance, seed, classes);
  const train = classes.map((name, c) => seededOrder(pool[c] as number[], seed, 'train', name).slice(0, trainCounts[c]));

  const flat = (lists: number[][]): number[] => lists.flat().sort((a, b) => a - b);
  return {
    train: flat(train),
    val: flat(val),
    test: flat(test),
    counts: {
      poolBeforeImbalance,
      train: train.map((t) => t.length),
      val: val.map((v) => v.length),
      test: test.map((t) => t.length),
    },
    headToTail,
    imbalance: options.imbalance,
    seed,
  };
}
