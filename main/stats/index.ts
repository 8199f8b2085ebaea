/** Public surface of the statistics library. */
export { summarize, summarizeSample, mean, sampleStd, type Summary, type SampleSummary } from './summary';
export {
  pairedBootstrap,
  mcnemar,
  mcnemarTest,
  rankWithTies,
  rankByPairedBootstrap,
  percentileSorted,
  MCNEMAR_EXACT_BELOW,
  type PairedBootstrapOptions,
  type PairedBootstrapResult,
  type McNemarResult,
  type RankInput,
  type RankedEntry,
  type Predictions,
  type RunPredictions,
  type BootstrapRanking,
  type BootstrapRankingOptions,
} from './paired';
export {
  fitTemperature,
  temperatureScaling,
  softmaxWithTemperature,
  scaledNll,
  type TemperatureFit,
  type TemperatureScalingResult,
  type FitOptions,
  type LogitMatrix,
} from './temperature';
export {
  studentTQuantile,
  studentTCdf,
  chiSquareSf,
  binomialHalfCdf,
  logGamma,
  logBeta,
  regularizedIncompleteBeta,
  regularizedGammaQ,
} from './special';
