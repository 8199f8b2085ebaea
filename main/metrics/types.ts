/** Metric shapes as they appear in results.json (names fixed by the engine issue). */

export interface PerClassMetrics {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ShotGroupAccuracy {
  /** Accuracy on test images whose class has > 100 (many), 20..100 (medium), < 20 (few) training images; null when the group is empty. */
  many: number | null;
  medium: number | null;
  few: number | null;
}

export interface ClassificationMetrics {
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  weightedF1: number;
  gmean: number;
  nll: number;
  brier: number;
  ece: number;
  perClass: PerClassMetrics[];
  /** Rows are true classes, columns predicted; every class present. */
  confusion: number[][];
  shotGroups: ShotGroupAccuracy;
}
