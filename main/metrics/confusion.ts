/**
 * Metrics that depend only on true and predicted classes, defined as scikit-learn defines
 * them (checked against sklearn in classification.test.ts; see README.md in this folder for
 * the exact conventions and the versions compared).
 */

import { checkLabels } from './input';

/** Counts with rows = true class, columns = predicted class; every class has a row and a column. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number[][] {
  checkLabels(labels, numClasses);
  if (predicted.length !== labels.length) {
    throw new RangeError(`${predicted.length} predictions for ${labels.length} labels`);
  }
  checkLabels(predicted, numClasses);
  const cm: number[][] = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    cm[labels[i] as number]![predicted[i] as number]! += 1;
  }
  return cm;
}

export interface ClassCounts {
  /** Correct predictions of the class (diagonal). */
  tp: number;
  /** Samples whose true class it is (row sum). */
  support: number;
  /** Samples predicted as the class (column sum). */
  predicted: number;
}

export function classCounts(cm: number[][]): ClassCounts[] {
  const k = cm.length;
  const out: ClassCounts[] = [];
  for (let c = 0; c < k; c++) {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += cm[c]![j]!;
      predicted += cm[j]![c]!;
    }
    out.push({ tp: cm[c]![c]!, support, predicted });
  }
  return out;
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Per-class scores with sklearn's zero_division=0: an undefined ratio (no predictions of
 * the class, or no true samples) is 0. F1 is 2·tp / (support + predicted), the form current
 * sklearn uses (identical to 2PR/(P+R) wherever that is defined).
 */
export function precisionRecallF1(counts: ClassCounts): PrecisionRecallF1 {
  const { tp, support, predicted } = counts;
  return {
    precision: predicted > 0 ? tp / predicted : 0,
    recall: support > 0 ? tp / support : 0,
    f1: support + predicted > 0 ? (2 * tp) / (support + predicted) : 0,
  };
}

/** Fraction of samples on the diagonal. */
export function accuracyFromConfusion(cm: number[][]): number {
  let correct = 0;
  let total = 0;
  for (let c = 0; c < cm.length; c++) {
    for (let j = 0; j < cm.length; j++) total += cm[c]![j]!;
    correct += cm[c]![c]!;
  }
  return correct / total;
}

/**
 * Mean recall over the classes present in y_true. sklearn's balanced_accuracy_score builds
 * its matrix from the labels seen in y_true ∪ y_pred, gets NaN recall for a class that is
 * predicted but never true, warns "y_pred contains classes not in y_true" and drops it;
 * classes absent from both never enter. Either way only classes with support > 0 count.
 */
export function balancedAccuracy(counts: readonly ClassCounts[]): number {
  let sum = 0;
  let k = 0;
  for (const c of counts) {
    if (c.support > 0) {
      sum += c.tp / c.support;
      k++;
    }
  }
  return sum / k;
}

/**
 * Unweighted mean F1 over the classes that occur in y_true or y_pred: sklearn's
 * f1_score(average='macro') with labels=None. A class that is neither true nor predicted
 * anywhere is left out rather than counted as F1 = 0.
 */
export function macroF1(counts: readonly ClassCounts[]): number {
  let sum = 0;
  let k = 0;
  for (const c of counts) {
    if (c.support > 0 || c.predicted > 0) {
      sum += precisionRecallF1(c).f1;
      k++;
    }
  }
  return sum / k;
}

/** Support-weighted mean F1 (sklearn average='weighted'); classes without support weigh 0. */
export function weightedF1(counts: readonly ClassCounts[]): number {
  let sum = 0;
  let total = 0;
  for (const c of counts) {
    sum += precisionRecallF1(c).f1 * c.support;
    total += c.support;
  }
  return sum / total;
}

/**
 * Geometric mean of per-class recalls over the classes present in y_true, with imblearn's
 * correction = 0: any such class with recall 0 makes the score 0. Equals imblearn's
 * geometric_mean_score(y_true, y_pred, average='multiclass', labels=np.unique(y_true)).
 * imblearn's default labels=None also includes classes that are only predicted, whose
 * recall 0/0 it sets to 0, so one stray prediction would zero the score; restricting to
 * y_true's classes keeps G-mean consistent with balanced accuracy (the arithmetic mean of
 * the same recalls).
 */
export function geometricMeanRecall(counts: readonly ClassCounts[]): number {
  let logSum = 0;
  let k = 0;
  for (const c of counts) {
    if (c.support === 0) continue;
    if (c.tp === 0) return 0;
    logSum += Math.log(c.tp / c.support);
    k++;
  }
  return Math.exp(logSum / k);
}
