/** Public surface of the metrics library. */
export type { ClassificationMetrics, PerClassMetrics, ShotGroupAccuracy } from './types';
export { computeMetrics, type MetricsInput } from './classification';
export {
  reliabilityDiagram,
  expectedCalibrationError,
  calibrationBinIndex,
  DEFAULT_CALIBRATION_BINS,
  type ReliabilityBin,
  type ReliabilityDiagram,
} from './calibration';
export {
  confusionMatrix,
  classCounts,
  precisionRecallF1,
  balancedAccuracy,
  macroF1,
  weightedF1,
  geometricMeanRecall,
  accuracyFromConfusion,
  type ClassCounts,
} from './confusion';
export { negativeLogLikelihood, brierScore, dtypeEpsilon } from './probabilistic';
export { shotGroupOf, shotGroupAccuracy, type ShotGroup } from './shot-groups';
export { argmaxRows, maxRows } from './predictions';
export { checkLabelsAndProbs, maxRowSumDeviation, type ProbMatrix } from './input';
export { parseCsv, parseLabelsFile, parseProbsFile, parseClassList, parseCountList, resolveMetricsInput, type ResolvedInput } from './files';
export { formatMetricsText, formatMetricsJson, type MetricsReport } from './format';
