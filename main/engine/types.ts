import type { Pixels } from '../dataset/pixel-file';
import type { LossParams } from '../losses/types';
import type { ModelSpec, Recipe, TrainingSpec } from '../experiment/config';
import type { NetworkStats } from './network-stats';
import type { ResolvedBackbone } from './backbone/load-backbone';

/**
 * What a training worker needs to know about the data. Pixel memory is a SharedArrayBuffer,
 * so handing it to several worker threads costs no copy.
 */
export interface TrainingData {
  /** In one SharedArrayBuffer, or, for datasets too large to hold, in a pixel file read batch by batch. */
  pixels: Pixels;
  imageSize: number;
  channels: 1 | 3;
  /** Class index of every item (the same indexing as pixels). */
  labels: Int32Array;
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  numClasses: number;
  /** Training images per class after imbalance; losses such as balanced softmax need them. */
  trainCounts: number[];
  /** Per-channel mean and standard deviation of the training pixels, scaled to [0, 1]. */
  channelMean: number[];
  channelStd: number[];
  /**
   * A frozen backbone's features of every item (dataset order, `dim` per item, shared memory):
   * runs then train only the head on them.
   */
  features?: { values: Float32Array; dim: number };
}

/** One training: one loss, one seed. */
export interface RunJob {
  /** Position in the experiment's run list; also indexes the cancel flags. */
  index: number;
  runId: string;
  lossId: string;
  params: LossParams;
  seed: number;
  model: ModelSpec;
  training: TrainingSpec;
  /** Sampler, deferred schedule and second stage; absent means plain training. */
  recipe?: Recipe;
  /** Display name of the loss and recipe ("ce + class-balanced sampler"), with a recipe. */
  label?: string;
  /** The checked backbone, for the backbone family (found and loaded once, before any run). */
  backbone?: ResolvedBackbone;
}

export interface EpochRecord {
  epoch: number;
  /** 'train' for the network, 'probe' for the linear read-out of embedding losses, 'crt'/'lws' for a recipe's second stage. */
  stage: TrainingStage;
  trainLoss: number;
  valAccuracy: number | null;
  valBalancedAccuracy: number | null;
  learningRate: number;
  seconds: number;
  /** Live tensors after the epoch: flat across epochs means nothing leaks. */
  numTensors: number;
}

/** 'train': the network; 'probe': the linear read-out of embedding losses; 'crt' / 'lws': a recipe's decoupled second stage. */
export const TRAINING_STAGES = ['train', 'probe', 'crt', 'lws'] as const;
export type TrainingStage = (typeof TRAINING_STAGES)[number];

export interface BatchProgress {
  runId: string;
  stage: TrainingStage;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface RunOutcome {
  runId: string;
  /** Test-set logits of the selected (best validation) weights, N × C row-major. */
  testLogits: Float32Array;
  /** Test-set logits of the last epoch's weights. */
  testLogitsLast: Float32Array;
  /** Validation logits of the selected weights (for temperature scaling); empty without a validation set. */
  valLogits: Float32Array;
  history: EpochRecord[];
  /** 0-based epoch whose weights were selected. */
  bestEpoch: number;
  trainSeconds: number;
  imagesPerSecond: number;
  /** Whether the two-stage (embedding + linear probe) protocol was used. */
  protocol: 'end-to-end' | 'linear-probe';
  /** Size and cost of the network trained. */
  network?: NetworkStats;
  /** Weights of the selected model in TensorFlow.js's format, when asked for. */
  weights?: SavedWeights;
  /** Training images drawn per class over the whole run, every stage included (absent in runs from before recipes). */
  seenPerClass?: number[];
  /** 0-based epoch at which deferred re-weighting / re-sampling took effect; null when the recipe has none. */
  drwEpoch?: number | null;
  drsEpoch?: number | null;
  /** L2 norm of each class's weights in the final classifier layer (for post-hoc τ-normalisation); absent after a second stage. */
  classifierNorms?: number[];
  /** LWS: the learned per-class logit scales of the selected epoch. */
  lwsScales?: number[];
}

export interface SavedWeights {
  modelTopology: unknown;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
}

export class RunCancelledError extends Error {
  constructor(runId: string) {
    super(`Run ${runId} was cancelled`);
    this.name = 'RunCancelledError';
  }
}
