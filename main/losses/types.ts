import type * as tf from '@tensorflow/tfjs-core';

/** Contract between the loss catalogue and the training engine. */

export interface ParamSpec {
  key: string;
  label: string;
  description: string;
  /** 'number' values are validated against min/max; 'enum' against options; 'vector' is one number per class. */
  type: 'number' | 'enum' | 'vector';
  default: number | string | null;
  min?: number;
  max?: number;
  /** Whether min / max themselves are allowed. */
  minInclusive?: boolean;
  maxInclusive?: boolean;
  options?: string[];
  /** The parameter may be switched off: the value `null`, written 'none' on the command line. */
  nullable?: boolean;
  /** For 'vector' parameters: a single number is also accepted and applies to every class. */
  scalarAllowed?: boolean;
}

export type LossParams = Record<string, number | string | number[] | null>;

/** What a loss may know about the training set and the schedule. */
export interface LossContext {
  numClasses: number;
  /** Training-set images per class (after imbalance). */
  classCounts: number[];
  totalEpochs: number;
}

/** Per-step information that schedule-dependent losses (LDAM-DRW) need. */
export interface LossStep {
  /** 0-based epoch being trained. */
  epoch: number;
}

export interface LossFunction {
  /**
   * Scalar training loss for a batch. `output` is [B, C] logits for kind 'logits' and
   * [B, D] embeddings for kind 'embedding'; `labels` is int32 [B].
   */
  (output: tf.Tensor2D, labels: tf.Tensor1D, step: LossStep): tf.Scalar;
  /**
   * Per-sample contributions, as a framework's reduction='none' would report them (class
   * weights included). Absent for losses that do not decompose over samples (soft Dice).
   */
  perSample?: (output: tf.Tensor2D, labels: tf.Tensor1D, step: LossStep) => tf.Tensor1D;
  /** One line saying how the batch loss is formed from the per-sample values. */
  reduction?: string;
}

/** Advice to the engine about the classifier head a loss was published with; optional to follow. */
export interface HeadAdvice {
  /** The reference code uses a cosine-normalised linear classifier (normalised features and weights). */
  cosineClassifier?: boolean;
  /** Initial value for every bias of the final layer, given the number of classes. */
  initialBias?: (numClasses: number) => number;
  /** Plain-language reason, for the report. */
  note: string;
}

export interface LossDefinition {
  id: string;
  name: string;
  /** TeX source of the defining formula. */
  formula: string;
  citation: { authors: string; year: number; title: string; venue?: string };
  /** Our own plain-language summary: what it changes and when it helps. */
  explanation: string;
  params: ParamSpec[];
  needsClassCounts: boolean;
  /** 'embedding' losses are trained on features and read out by a linear probe (two-stage protocol). */
  kind: 'logits' | 'embedding';
  /** How the batch loss is reduced (mean over the batch, weighted mean, …), for the catalogue. */
  reduction?: string;
  /** Head the reference implementation trains this loss with; see HeadAdvice. */
  head?: HeadAdvice;
  /** Validates params (throwing LossParamError) and returns the batch loss function. */
  create(params: LossParams, context: LossContext): LossFunction;
}
