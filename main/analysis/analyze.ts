import { DEFAULT_CALIBRATION_BINS } from '../metrics/calibration';
import { PairedBootstrap } from './bootstrap';
import { calibrateVariant } from './calibration';
import { compareToBaseline, prepareComparison } from './compare';
import { hardestClasses } from './hardest';
import { loadExperiment, type LoadedExperiment } from './load';
import { rankVariants } from './ranking';
import { meanPerClass, runMetrics, summarizeVariant, summedConfusion } from './seed-summary';
import { ANALYSIS_FORMAT_VERSION, type AnalysisSettings, type ExperimentAnalysis, type PairedComparison, type VariantAnalysis } from './types';
import { labelsOf, posthocVariant, tauNormVariant, trainedVariants, type Variant } from './variants';

export interface AnalysisOptions {
  /** A loss key ("focal(gamma=1)") or loss id ("ce"); default `ce`, else the first loss. */
  baseline?: string;
  /** Paired-bootstrap resamples (default 2000). */
  resamples?: number;
  /** Seed of the bootstrap resampling (default 0): the same folder gives the same intervals. */
  bootstrapSeed?: number;
  level?: number;
  bins?: number;
  /** τ of the post-hoc logit adjustment rows; null leaves them (and the τ-normalisation rows) out. Default 1. */
  posthocTau?: number | null;
  hardestClasses?: number;
  examplesPerClass?: number;
}

export class AnalysisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalysisError';
  }
}

/** Chooses the baseline row among the trained losses. */
export function resolveBaseline(trained: readonly Variant[], wanted?: string): Variant {
  if (trained.length === 0) throw new AnalysisError('No run finished, so there is nothing to compare.');
  if (wanted !== undefined) {
    const found = trained.find((v) => v.key === wanted) ?? trained.find((v) => v.loss === wanted);
    if (!found) throw new AnalysisError(`Baseline "${wanted}" is not among the trained losses (${trained.map((v) => v.key).join(', ')}).`);
    return found;
  }
  return trained.find((v) => v.key === 'ce') ?? trained.find((v) => v.loss === 'ce') ?? trained[0]!;
}

/** Reads an experiment folder and computes the full comparison. */
export function analyzeExperimentFolder(dir: string, options: AnalysisOptions = {}): ExperimentAnalysis {
  return analyzeExperiment(loadExperiment(dir), options);
}

export function analyzeExperiment(experiment: LoadedExperiment, options: AnalysisOptions = {}): ExperimentAnalysis {
  const { results } = experiment;
  const C = results.classes.length;
  const labels = labelsOf(experiment);
  const trained = trainedVariants(experiment);
  const baseline = resolveBaseline(trained, options.baseline);
  const settings: AnalysisSettings = {
    baseline: baseline.key,
    bootstrapResamples: options.resamples ?? 2000,
    bootstrapSeed: options.bootstrapSeed ?? 0,
    level: options.level ?? 0.95,
    calibrationBins: options.bins ?? DEFAULT_CALIBRATION_BINS,
    posthocTau: options.posthocTau === undefined ? 1 : options.posthocTau,
    hardestClasses: options.hardestClasses ?? 3,
    examplesPerClass: options.examplesPerClass ?? 6,
  };
  const warnings: string[] = [];
  if (experiment.logitsProblem) warnings.push(`${experiment.logitsProblem}: paired tests, temperature scaling and post-hoc rows need the logits.`);
  const missing = trained.flatMap((v) => v.runs.filter((r) => !r.testLogits).map((r) => r.runId));
  if (missing.length > 0 && !experiment.logitsProblem) warnings.push(`No logits for ${missing.join(', ')}; those runs are left out of paired tests and calibration.`);
  if (labels.val.length === 0) warnings.push('The experiment has no validation set, so temperature scaling could not be fitted.');

  const variants: Variant[] = [];
  for (const v of trained) {
    variants.push(v);
    if (settings.posthocTau !== null) {
      const adjusted = posthocVariant(v, experiment, labels, settings.posthocTau);
      if (adjusted) variants.push(adjusted);
      // τ-normalisation is the other post-hoc correction; the same switch shows or hides both.
      const normalised = tauNormVariant(v, experiment, labels);
      if (normalised) variants.push(normalised);
    }
  }

  // One bootstrap for every comparison: the same resamples of the test set throughout.
  const boot = new PairedBootstrap(labels.test, C, settings.bootstrapResamples, settings.bootstrapSeed, settings.level);
  for (const v of variants) if (v !== baseline) prepareComparison(v, baseline, boot);
  const ranking = rankVariants(variants, boot);
  const comparisons: PairedComparison[] = [];
  for (const v of variants) {
    if (v === baseline) continue;
    const result = compareToBaseline(v, baseline, boot);
    if (result) comparisons.push(result);
    else warnings.push(`${v.label} shares no finished seed with the baseline ${baseline.label}; it is not compared.`);
  }

  const analysed: VariantAnalysis[] = variants.map((v) => {
    const calibration = calibrateVariant(v, labels, C, settings.calibrationBins);
    const fitted = new Map((calibration?.temperature ?? []).map((t) => [t.seed, t]));
    return {
      key: v.key,
      label: v.label,
      kind: v.kind,
      loss: v.loss,
      params: v.params,
      ...(v.source ? { source: v.source } : {}),
      seeds: v.runs.map((r) => r.seed),
      seedsWithLogits: v.runs.filter((r) => r.testLogits).map((r) => r.seed),
      metrics: summarizeVariant(v, calibration?.temperature ?? [], settings.level),
      recall: meanPerClass(v, C, 'recall'),
      precision: meanPerClass(v, C, 'precision'),
      f1: meanPerClass(v, C, 'f1'),
      confusion: summedConfusion(v, C),
      calibration,
      runs: v.runs.map((r) => ({
        seed: r.seed,
        runId: r.runId,
        metrics: runMetrics(r.metrics, fitted.get(r.seed)?.eceAfter ?? null),
        temperature: fitted.get(r.seed)?.temperature ?? null,
        perClass: r.metrics.perClass.map(({ precision, recall, f1, support }) => ({ precision, recall, f1, support })),
        confusion: r.metrics.confusion,
      })),
      curves: v.runs.filter(() => v.kind === 'trained').map((r) => ({ seed: r.seed, history: r.history, bestEpoch: r.bestEpoch })),
    };
  });

  return {
    analysisVersion: ANALYSIS_FORMAT_VERSION,
    experimentId: results.id,
    classes: results.classes,
    headToTail: results.dataset.headToTail,
    settings,
    variants: analysed,
    comparisons,
    ranking,
    hardest: hardestClasses(variants, results.testItems, C, { classes: settings.hardestClasses, examplesPerClass: settings.examplesPerClass }),
    incompleteRuns: results.runs.filter((r) => r.status !== 'done').map((r) => ({ runId: r.runId, status: r.status, ...(r.error ? { error: r.error } : {}) })),
    warnings,
  };
}
