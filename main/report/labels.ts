import type { AnalysisMetric } from '../analysis/types';

/** Display names of the analysis metrics, shared by every writer. */
export const METRIC_LABELS: Record<AnalysisMetric, string> = {
  accuracy: 'accuracy',
  balancedAccuracy: 'balanced accuracy',
  macroF1: 'macro-F1',
  weightedF1: 'weighted F1',
  gmean: 'G-mean',
  ece: 'ECE',
  eceTemperatureScaled: 'ECE after T-scaling',
  nll: 'NLL',
  brier: 'Brier',
  manyShotAccuracy: 'many-shot acc.',
  mediumShotAccuracy: 'medium-shot acc.',
  fewShotAccuracy: 'few-shot acc.',
};

/** snake_case column names for the CSV tables. */
export const METRIC_COLUMNS: Record<AnalysisMetric, string> = {
  accuracy: 'accuracy',
  balancedAccuracy: 'balanced_accuracy',
  macroF1: 'macro_f1',
  weightedF1: 'weighted_f1',
  gmean: 'gmean',
  ece: 'ece',
  eceTemperatureScaled: 'ece_temperature_scaled',
  nll: 'nll',
  brier: 'brier',
  manyShotAccuracy: 'many_shot_accuracy',
  mediumShotAccuracy: 'medium_shot_accuracy',
  fewShotAccuracy: 'few_shot_accuracy',
};
