/**
 * All test-set metrics of one run, from true labels and the N×C predicted probabilities.
 * Definitions follow scikit-learn (and imblearn for G-mean); README.md in this folder lists
 * each convention and the library versions the fixtures were checked against.
 */

import { calibrationBinIndex, DEFAULT_CALIBRATION_BINS, reliabilityDiagram } from './calibration';
import {
  accuracyFromConfusion,
  balancedAccuracy,
  classCounts,
  confusionMatrix,
  geometricMeanRecall,
  macroF1,
  precisionRecallF1,
  weightedF1,
} from './confusion';
import { checkLabelsAndProbs, type ProbMatrix } from './input';
import { argmaxRows } from './predictions';
import { brierScore, negativeLogLikelihood } from './probabilistic';
import { shotGroupAccuracy } from './shot-groups';
import type { ClassificationMetrics, PerClassMetrics } from './types';

export interface MetricsInput {
  /** True class index per sample. */
  labels: ArrayLike<number>;
  /** Row-major N×C predicted probabilities (softmax outputs, not logits). */
  probs: ProbMatrix;
  /** One name per class; C = classNames.length. */
  classNames: string[];
  /** Training images per class, for the many/medium/few-shot groups; groups are null without it. */
  trainCounts?: number[];
}

export function computeMetrics(input: MetricsInput): ClassificationMetrics {
  const { labels, probs, classNames, trainCounts } = input;
  const numClasses = classNames.length;
  checkLabelsAndProbs(labels, probs, numClasses);
  const predicted = argmaxRows(probs, numClasses);
  const confusion = confusionMatrix(labels, predicted, numClasses);
  const counts = classCounts(confusion);
  const perClass: PerClassMetrics[] = counts.map((c, i) => ({
    class: classNames[i] as string,
    ...precisionRecallF1(c),
    support: c.support,
  }));
  return {
    accuracy: accuracyFromConfusion(confusion),
    balancedAccuracy: balancedAccuracy(counts),
    macroF1: macroF1(counts),
    weightedF1: weightedF1(counts),
    gmean: geometricMeanRecall(counts),
    nll: negativeLogLikelihood(labels, probs, numClasses),
    brier: brierScore(labels, probs, numClasses),
    ece: reliabilityDiagram(probs, labels, numClasses, DEFAULT_CALIBRATION_BINS).ece,
    perClass,
    confusion,
    shotGroups: shotGroupAccuracy(confusion, trainCounts),
  };
}

export { argmaxRows, calibrationBinIndex, reliabilityDiagram };
