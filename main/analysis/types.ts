import type { EpochRecord } from '../engine/types';
import type { LossParams } from '../losses/types';
import type { ReliabilityDiagram } from '../metrics/calibration';
import type { RankedEntry } from '../stats/paired';
import type { Summary } from '../stats/summary';

/**
 * The comparison computed from an experiment folder: what every report format shows.
 * Plain JSON-serialisable data (no typed arrays), so it can be written as is.
 */

export const ANALYSIS_FORMAT_VERSION = 1;

/** Metrics summarised over seeds for every row of the comparison table. */
export const ANALYSIS_METRICS = [
  'accuracy',
  'balancedAccuracy',
  'macroF1',
  'weightedF1',
  'gmean',
  'ece',
  'eceTemperatureScaled',
  'nll',
  'brier',
  'manyShotAccuracy',
  'mediumShotAccuracy',
  'fewShotAccuracy',
] as const;
export type AnalysisMetric = (typeof ANALYSIS_METRICS)[number];

/** Lower is better for these; higher for the rest. */
export const LOWER_IS_BETTER: ReadonlySet<AnalysisMetric> = new Set(['ece', 'eceTemperatureScaled', 'nll', 'brier']);

export interface AnalysisSettings {
  /** Variant key the paired comparisons are made against. */
  baseline: string;
  bootstrapResamples: number;
  bootstrapSeed: number;
  /** Confidence level of every interval (seed intervals and bootstrap intervals). */
  level: number;
  calibrationBins: number;
  /** τ of post-hoc logit adjustment (training priors); null when the rows are switched off. */
  posthocTau: number | null;
  /** How many of the worst classes the misclassified examples come from. */
  hardestClasses: number;
  examplesPerClass: number;
}

export interface TemperatureRun {
  seed: number;
  /** Fitted on the run's validation logits. */
  temperature: number;
  /** Whether the fit stopped at a search bound (the optimum lies beyond it). */
  atBound: boolean;
  eceBefore: number;
  eceAfter: number;
  nllBefore: number;
  nllAfter: number;
}

export interface VariantCalibration {
  /** Reliability diagram of every seed's test predictions pooled (bins summed over seeds). */
  reliability: ReliabilityDiagram;
  /** The same after each run's fitted temperature; null without validation logits. */
  reliabilityTemperatureScaled: ReliabilityDiagram | null;
  /** One entry per seed with validation logits. */
  temperature: TemperatureRun[];
}

/** One run of a row (a trained run, or its post-hoc adjusted twin). */
export interface RunAnalysis {
  seed: number;
  runId: string;
  /** Test metrics of this run; eceTemperatureScaled is null without validation logits. */
  metrics: Record<AnalysisMetric, number | null>;
  /** Fitted temperature; null without validation logits. */
  temperature: number | null;
  perClass: { precision: number; recall: number; f1: number; support: number }[];
  confusion: number[][];
}

/**
 * One row of the comparison: a trained loss (over its seeds), or the same runs' logits
 * with post-hoc logit adjustment applied.
 */
export interface VariantAnalysis {
  key: string;
  /** Display name (losses/display-name.ts), e.g. "Focal loss (softmax) (γ = 1)" or "Cross-entropy + post-hoc LA (τ = 1)". */
  label: string;
  kind: 'trained' | 'posthoc';
  /** The loss's catalogue id. */
  loss: string;
  params: LossParams;
  /** For post-hoc rows: the key of the trained loss whose logits were adjusted. */
  source?: string;
  /** Seeds that finished, ascending. */
  seeds: number[];
  /** Seeds whose logits were available (paired tests, calibration and post-hoc need them). */
  seedsWithLogits: number[];
  /** Mean, sample std and Student-t 95% interval over seeds; null-valued entries skipped. */
  metrics: Record<AnalysisMetric, Summary>;
  /** Per class in class order: recall averaged over seeds. */
  recall: number[];
  /** Per class: precision and F1 averaged over seeds. */
  precision: number[];
  f1: number[];
  /** Confusion counts summed over seeds (rows true, columns predicted, class order). */
  confusion: number[][];
  calibration: VariantCalibration | null;
  runs: RunAnalysis[];
  /** Per seed, the epoch log (empty for post-hoc rows, which share their source's curves). */
  curves: { seed: number; history: EpochRecord[]; bestEpoch: number | null }[];
}

export interface McNemarSeed {
  seed: number;
  b: number;
  c: number;
  method: 'exact' | 'chi2-corrected';
  statistic: number;
  pValue: number;
}

export interface PairedComparison {
  key: string;
  baseline: string;
  /** Seeds both rows finished with logits; run s of one pairs with run s of the other. */
  seeds: number[];
  /** Balanced accuracy (candidate − baseline), mean of the per-seed differences on the full test set. */
  difference: number;
  baselineBalancedAccuracy: number;
  candidateBalancedAccuracy: number;
  /** Paired bootstrap percentile interval of the difference. */
  interval: [number, number];
  /** False when the interval includes 0. */
  significant: boolean;
  mcnemar: {
    perSeed: McNemarSeed[];
    /**
     * Largest per-seed p-value: an intersection–union test, "every seed differs", valid at
     * the stated level whatever the dependence between seeds (they share test images).
     */
    pMax: number;
    significant: boolean;
  };
}

export interface RankingEntry extends RankedEntry {
  /** Mean balanced accuracy over the ranked seeds. */
  score: number;
}

export interface Ranking {
  /** Only the seeds every ranked loss finished; runs pair by seed. */
  seeds: number[];
  entries: RankingEntry[];
  /** Trained losses left out (no logits, or none of the common seeds). */
  excluded: string[];
}

export interface MisclassifiedExample {
  /** Index into results.testItems. */
  testIndex: number;
  file: string;
  trueClass: number;
  /** The wrong class predicted most often across runs. */
  predictedClass: number;
  /** Trained runs that got it wrong, out of totalRuns. */
  wrongRuns: number;
  totalRuns: number;
}

export interface HardClass {
  classIndex: number;
  /** Recall averaged over every trained run. */
  meanRecall: number;
  examples: MisclassifiedExample[];
}

export interface ExperimentAnalysis {
  analysisVersion: number;
  experimentId: string;
  classes: string[];
  headToTail: number[];
  settings: AnalysisSettings;
  /** Trained losses in configuration order, each followed by its post-hoc row. */
  variants: VariantAnalysis[];
  comparisons: PairedComparison[];
  ranking: Ranking | null;
  hardest: HardClass[];
  /** Runs that failed or were cancelled, for the report to say so. */
  incompleteRuns: { runId: string; status: string; error?: string }[];
  warnings: string[];
}
