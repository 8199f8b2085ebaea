/** Public surface of the analysis: an experiment folder in, the comparison every report shows out. */
export { analyzeExperiment, analyzeExperimentFolder, resolveBaseline, AnalysisError, type AnalysisOptions } from './analyze';
export { loadExperiment, type LoadedExperiment, type RunLogits } from './load';
export { compareToBaseline, pairBySeed } from './compare';
export * from './types';
export { verdictOf, type Verdict } from './verdict';
