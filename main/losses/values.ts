import * as tf from '@tensorflow/tfjs-core';
import './tf-gradients';
import { LossParamError } from './errors';
import type { RawParams } from './params';
import { getLoss, resolveLossParams } from './registry';
import type { LossContext, LossParams } from './types';

/**
 * The logic behind `losslab loss-values`: evaluates one loss on given outputs and labels and
 * returns what a user needs to compare it with their own framework. Uses whichever tfjs
 * backend is active (the command selects 'cpu'), in float32 like training does.
 */

export interface LossValuesInput {
  lossId: string;
  /** Raw parameters (CLI strings allowed); defaults fill the rest. */
  params?: RawParams;
  /** [B, C] logits, or [B, D] embeddings for 'embedding' losses. */
  output: number[][];
  /** Class index per row. */
  labels: number[];
  /** Training-set images per class; required by losses with needsClassCounts. */
  classCounts?: number[];
  /** 0-based epoch, for schedule-dependent losses (LDAM-DRW). Default 0. */
  epoch?: number;
  /** Total epochs of the imagined training run. Default 1. */
  totalEpochs?: number;
}

export interface LossValuesResult {
  loss: string;
  kind: 'logits' | 'embedding';
  params: LossParams;
  /** How `mean` is formed from the rows (plain mean, weighted mean, …). */
  reduction: string;
  /** Per-row values as reduction='none' would give them (class weights included); null when the loss does not decompose per row. */
  perSample: number[] | null;
  /** The batch loss that training minimises, i.e. the reduced value (named "mean" for the CLI output). */
  mean: number;
  /** d mean / d output, same shape as the output. */
  gradient: number[][];
  epoch: number;
  totalEpochs: number;
}

/** −0 (e.g. the negated zero loss of an anchor without positives) prints as 0 anyway; make it 0. */
const noNegZero = (v: number): number => v + 0;

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${value}).`);
}

export function computeLossValues(input: LossValuesInput): LossValuesResult {
  const def = getLoss(input.lossId);
  const params = resolveLossParams(def.id, input.params ?? {});
  const { output, labels } = input;
  const epoch = input.epoch ?? 0;
  const totalEpochs = input.totalEpochs ?? 1;
  checkInteger('epoch', epoch, 0);
  checkInteger('total epochs', totalEpochs, 1);

  const rows = output.length;
  if (rows === 0) throw new Error('The output (logits) has no rows.');
  const width = output[0]!.length;
  if (width === 0 || output.some((r) => r.length !== width)) throw new Error('The output (logits) must be a non-empty table with the same number of values in every row.');
  if (output.some((r) => r.some((v) => !Number.isFinite(v)))) throw new Error('The output (logits) contains a value that is not a finite number.');
  if (labels.length !== rows) throw new Error(`There are ${labels.length} labels for ${rows} rows of output.`);

  let numClasses: number;
  if (def.kind === 'logits') {
    numClasses = width;
  } else {
    numClasses = input.classCounts?.length ?? Math.max(2, ...labels.map((l) => l + 1));
  }
  labels.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) {
      throw new Error(`Label ${i + 1} is ${l}; labels must be class indices 0..${numClasses - 1}.`);
    }
  });
  if (input.classCounts && input.classCounts.length !== numClasses) {
    throw new Error(`There are ${input.classCounts.length} class counts for ${numClasses} classes.`);
  }
  if (def.needsClassCounts && !input.classCounts) {
    throw new LossParamError(`Loss '${def.id}' needs the training-set class counts (--class-counts FILE).`, def.id);
  }
  const context: LossContext = { numClasses, classCounts: input.classCounts ?? [], totalEpochs };
  const fn = def.create(params, context);
  const step = { epoch };

  const x = tf.tensor2d(output, [rows, width], 'float32');
  const y = tf.tensor1d(labels, 'int32');
  try {
    const mean = noNegZero(tf.tidy(() => fn(x, y, step).dataSync()[0]!));
    const gradient = tf.tidy(() => (tf.grad((o: tf.Tensor) => fn(o as tf.Tensor2D, y, step))(x).arraySync() as number[][]).map((r) => r.map(noNegZero)));
    const perSample = fn.perSample ? tf.tidy(() => Array.from(fn.perSample!(x, y, step).dataSync(), noNegZero)) : null;
    return {
      loss: def.id,
      kind: def.kind,
      params,
      reduction: fn.reduction ?? def.reduction ?? '',
      perSample,
      mean,
      gradient,
      epoch,
      totalEpochs,
    };
  } finally {
    x.dispose();
    y.dispose();
  }
}
