import type { EpochRecord } from '../engine/types';
import { posthocDisplayName } from '../losses/display-name';
import { adjustLogitsPostHoc } from '../losses/posthoc';
import { recipeLabel } from '../losses/recipe-label';
import type { LossParams } from '../losses/types';
import { classPriorsFromCounts } from '../losses/weights';
import { chooseTau, tauNormalizeLogits } from '../methods/tau-norm';
import { computeMetrics } from '../metrics/classification';
import { argmaxRows } from '../metrics/predictions';
import type { ClassificationMetrics } from '../metrics/types';
import { softmaxRows } from '../util/softmax';
import type { LoadedExperiment } from './load';

/**
 * The rows of the comparison before any statistics: each trained loss with its finished
 * runs ordered by seed, and (optionally) the same runs under post-hoc logit adjustment.
 * Working data with typed arrays; the analysis turns it into JSON-friendly summaries.
 */

export interface SeedRun {
  seed: number;
  runId: string;
  metrics: ClassificationMetrics;
  /** Predicted class per test image; null without logits. */
  predictions: Int32Array | null;
  testLogits: Float32Array | null;
  /** Null without logits or without a validation set. */
  valLogits: Float32Array | null;
  history: EpochRecord[];
  bestEpoch: number | null;
}

export interface Variant {
  key: string;
  label: string;
  kind: 'trained' | 'posthoc';
  loss: string;
  params: LossParams;
  source?: string;
  /** Ascending by seed. */
  runs: SeedRun[];
}

export interface ExperimentLabels {
  test: Int32Array;
  val: Int32Array;
}

export function labelsOf(experiment: LoadedExperiment): ExperimentLabels {
  return {
    test: Int32Array.from(experiment.results.testItems, (t) => t.classIndex),
    val: Int32Array.from(experiment.valItems, (t) => t.classIndex),
  };
}

/** Trained losses in the order the configuration lists them, from the runs that finished. */
export function trainedVariants(experiment: LoadedExperiment): Variant[] {
  const { results, logits } = experiment;
  const C = results.classes.length;
  const byKey = new Map<string, Variant>();
  for (const run of results.runs) {
    if (run.status !== 'done' || !run.metrics) continue;
    let variant = byKey.get(run.lossKey);
    if (!variant) {
      // Recipe runs carry their name (the loss's display name with the recipe's parts); plain runs are named from the loss.
      variant = { key: run.lossKey, label: run.label ?? recipeLabel(run.loss, run.params).display, kind: 'trained', loss: run.loss, params: run.params, runs: [] };
      byKey.set(run.lossKey, variant);
    }
    const l = logits.get(run.runId);
    variant.runs.push({
      seed: run.seed,
      runId: run.runId,
      metrics: run.metrics,
      predictions: l ? argmaxRows(l.test, C) : null,
      testLogits: l ? l.test : null,
      valLogits: l && l.val.length > 0 ? l.val : null,
      history: run.history ?? [],
      bestEpoch: run.bestEpoch ?? null,
    });
  }
  for (const v of byKey.values()) v.runs.sort((a, b) => a.seed - b.seed);
  return [...byKey.values()];
}

export function posthocKey(sourceKey: string): string {
  return `${sourceKey}+posthoc-la`;
}

/**
 * Post-hoc logit adjustment (Menon et al. 2021) of a trained loss's runs: logits minus
 * τ·log π_c with π the training-set class priors, on test and validation logits alike (so
 * temperature scaling of the adjusted row is fitted on adjusted validation logits). Runs
 * without logits cannot be adjusted; null when none has them.
 */
export function posthocVariant(source: Variant, experiment: LoadedExperiment, labels: ExperimentLabels, tau: number): Variant | null {
  const { results } = experiment;
  const C = results.classes.length;
  const priors = classPriorsFromCounts(results.dataset.counts.train);
  const runs: SeedRun[] = [];
  for (const run of source.runs) {
    if (!run.testLogits) continue;
    const test = adjustLogitsPostHoc(run.testLogits, C, priors, tau);
    const val = run.valLogits ? adjustLogitsPostHoc(run.valLogits, C, priors, tau) : null;
    const metrics = computeMetrics({ labels: labels.test, probs: softmaxRows(test, C), classNames: results.classes, trainCounts: results.dataset.counts.train });
    runs.push({ seed: run.seed, runId: `${run.runId}+posthoc-la`, metrics, predictions: argmaxRows(test, C), testLogits: test, valLogits: val, history: [], bestEpoch: null });
  }
  if (runs.length === 0) return null;
  return {
    key: posthocKey(source.key),
    label: posthocDisplayName(source.label, tau),
    kind: 'posthoc',
    loss: source.loss,
    params: source.params,
    source: source.key,
    runs,
  };
}

export function tauNormKey(sourceKey: string): string {
  return `${sourceKey}+tau-norm`;
}

/**
 * Post-hoc τ-normalisation (Kang et al. 2020) of a trained loss's runs: logits divided per class
 * by ‖w_c‖^τ, with τ chosen per run on its validation logits (main/methods/tau-norm.ts). Needs
 * the runs' classifier norms, logits and a validation set; runs after a second stage (whose
 * classifier was re-balanced already) have no norms. Null when no run qualifies.
 */
export function tauNormVariant(source: Variant, experiment: LoadedExperiment, labels: ExperimentLabels): Variant | null {
  const { results } = experiment;
  const C = results.classes.length;
  const normsOf = new Map(results.runs.map((r) => [r.runId, r.classifierNorms]));
  const runs: SeedRun[] = [];
  const taus: number[] = [];
  for (const run of source.runs) {
    const norms = normsOf.get(run.runId);
    if (!norms || !run.testLogits || !run.valLogits || norms.some((n) => !(n > 0))) continue;
    const { tau } = chooseTau(run.valLogits, labels.val, C, norms);
    taus.push(tau);
    const test = tauNormalizeLogits(run.testLogits, C, norms, tau);
    const val = tauNormalizeLogits(run.valLogits, C, norms, tau);
    const metrics = computeMetrics({ labels: labels.test, probs: softmaxRows(test, C), classNames: results.classes, trainCounts: results.dataset.counts.train });
    runs.push({ seed: run.seed, runId: `${run.runId}+tau-norm`, metrics, predictions: argmaxRows(test, C), testLogits: test, valLogits: val, history: [], bestEpoch: null });
  }
  if (runs.length === 0) return null;
  return {
    key: tauNormKey(source.key),
    label: `${source.label} + τ-norm (τ=${[...new Set(taus)].join('/')} on validation)`,
    kind: 'posthoc',
    loss: source.loss,
    params: source.params,
    source: source.key,
    runs,
  };
}
