import type { ExperimentConfig, Recipe } from '../experiment/config';
import type { ImbalanceProfile, SkippedFile } from '../dataset/types';
import type { ClassificationMetrics } from '../metrics/types';
import type { EpochRecord } from '../engine/types';
import type { BackendReport } from '../engine/worker-protocol';
import type { LossParams } from '../losses/types';
import type { Summary } from '../stats/summary';

/** The shape of results.json: everything the reports, the app and `losslab show` read. */

export const RESULTS_FORMAT_VERSION = 1;

export interface DatasetSummary {
  root: string;
  fingerprint: string;
  imageSize: number;
  channels: 1 | 3;
  /** Per class, in the order of `classes`. */
  counts: {
    found: number[];
    poolBeforeImbalance: number[];
    train: number[];
    val: number[];
    test: number[];
  };
  imbalance: ImbalanceProfile;
  /** Class indices head → tail as the imbalance profile ranked them. */
  headToTail: number[];
  /** Largest over smallest training count. */
  imbalanceRatio: number;
  skipped: SkippedFile[];
}

export interface RunResult {
  runId: string;
  /** Groups runs of the same loss and parameters across seeds. */
  lossKey: string;
  loss: string;
  params: LossParams;
  seed: number;
  status: 'done' | 'failed' | 'cancelled';
  error?: string;
  protocol?: 'end-to-end' | 'linear-probe';
  /** Test metrics of the weights selected by validation balanced accuracy. */
  metrics?: ClassificationMetrics;
  /** Test metrics of the last epoch's weights. */
  metricsLast?: ClassificationMetrics;
  confusion?: number[][];
  bestEpoch?: number;
  history?: EpochRecord[];
  trainSeconds?: number;
  imagesPerSecond?: number;
  /** Trainable parameters of the network this run trained. */
  trainableParams?: number;
  /** Forward-pass FLOPs per image (2 per multiply-accumulate of conv and dense layers). */
  flopsPerImage?: number;
  /** The training recipe, when not plain training, and its display name ("ce + class-balanced sampler"). */
  recipe?: Recipe;
  label?: string;
  /** Training images drawn per class over the whole run (every stage). */
  seenPerClass?: number[];
  /** 0-based epoch at which DRW / DRS took effect (null: the recipe has none). */
  drwEpoch?: number | null;
  drsEpoch?: number | null;
  /** Per-class L2 norms of the final classifier layer's weights, for post-hoc τ-normalisation. */
  classifierNorms?: number[];
  /** LWS runs: the learned per-class logit scales. */
  lwsScales?: number[];
}

export interface NetworkSummary {
  label: string;
  trainableParams: number;
  totalParams: number;
  flopsPerImage: number;
  /** The pretrained backbone, for the backbone family. */
  backbone?: BackboneSummary;
}

/** What a backbone experiment used: enough to find the same model again and to check it is the same. */
export interface BackboneSummary {
  /** --backbone as given. */
  source: string;
  kind: 'folder' | 'file' | 'url' | 'preset';
  /** The folder, model.json or URL the model came from. */
  location: string;
  /** SHA-256 of model.json followed by its weight files in manifest order. */
  sha256: string;
  featureLayer: string;
  featureLayerFrom: 'given' | 'preset' | 'before-classifier' | 'last-layer';
  /** Whether a global average pool turns the layer's feature map into a vector. */
  pooled: boolean;
  featureSize: number;
  inputSize: number;
  scaling: string;
  finetune: string;
  head: string;
  /** Learning rate of the fine-tuned backbone layers; null when the backbone is frozen. */
  backboneLearningRate: number | null;
  /** Frozen backbone: whether the features came from the on-disk cache, were computed, or no cache was used. */
  featureCache?: 'reused' | 'computed' | 'off';
}

export interface MetricSummary {
  mean: number;
  std: number | null;
  /** 95% confidence interval of the mean over seeds (Student's t); null with one seed. */
  ci95: [number, number] | null;
  n: number;
}

export interface LossSummary {
  lossKey: string;
  loss: string;
  params: LossParams;
  seeds: number[];
  metrics: Record<HeadlineMetric, MetricSummary>;
  /** Accuracy on many/medium/few-shot classes over seeds; mean null where the split has no such class. */
  shotGroups: Record<'many' | 'medium' | 'few', Summary>;
}

export const HEADLINE_METRICS = ['accuracy', 'balancedAccuracy', 'macroF1', 'weightedF1', 'gmean', 'nll', 'brier', 'ece'] as const;
export type HeadlineMetric = (typeof HEADLINE_METRICS)[number];

export interface ExperimentResults {
  formatVersion: number;
  id: string;
  createdAt: string;
  finishedAt: string;
  classes: string[];
  dataset: DatasetSummary;
  config: ExperimentConfig;
  /** The network every run trained: the configuration's family in words, its size and cost. */
  network?: NetworkSummary | null;
  backend: BackendReport | null;
  versions: Record<string, string>;
  runs: RunResult[];
  summary: LossSummary[];
  /** Test items in evaluation order: the rows of every run's predictions. */
  testItems: { file: string; classIndex: number }[];
}
