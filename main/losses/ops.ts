import * as tf from '@tensorflow/tfjs-core';
import type { LossFunction, LossStep } from './types';

/**
 * Shared tensor building blocks. Everything works from logits in log space, so no loss
 * ever takes the log of a probability that may have rounded to 0 or 1 in float32.
 * Only functional tf.* calls are used: chained methods (x.sum()) are not registered when
 * only tfjs-core is imported.
 */

/**
 * Added to logits that must not take part in a max or log-sum-exp (the true class, the
 * diagonal of a similarity matrix). Large enough to dominate any float32 logit we accept,
 * small enough to stay finite: exp() of it underflows to exactly 0, and so does its gradient.
 */
export const MASK_OFFSET = 1e30;

export function asInt32(labels: tf.Tensor1D): tf.Tensor1D {
  return labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
}

/** One-hot targets as float32 [B, C]. */
export function oneHotF(labels: tf.Tensor1D, numClasses: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(asInt32(labels), numClasses), 'float32') as tf.Tensor2D;
}

/** Row-wise sum of a [B, C] tensor → [B]. */
export function rowSum(x: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(x, 1) as tf.Tensor1D;
}

/** log p_y from logits, [B]. */
export function trueLogProb(logits: tf.Tensor2D, onehot: tf.Tensor2D): tf.Tensor1D {
  return rowSum(tf.mul(tf.logSoftmax(logits), onehot) as tf.Tensor2D);
}

/** Cross-entropy −log p_y per sample, [B]. */
export function crossEntropy(logits: tf.Tensor2D, onehot: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(trueLogProb(logits, onehot));
}

/**
 * log(1 − p_y) = logsumexp_{j≠y} z_j − logsumexp_j z_j, exact in log space. Computing
 * 1 − exp(log p_y) instead would give exactly 0 (and log 0) whenever p_y rounds to 1.
 * Needs at least two classes.
 */
export function logOneMinusTrueProb(logits: tf.Tensor2D, onehot: tf.Tensor2D): tf.Tensor1D {
  const others = tf.sub(logits, tf.mul(onehot, MASK_OFFSET));
  return tf.sub(tf.logSumExp(others, 1), tf.logSumExp(logits, 1)) as tf.Tensor1D;
}

/** max_{j≠y} z_j per sample, [B]. */
export function maxOtherLogit(logits: tf.Tensor2D, onehot: tf.Tensor2D): tf.Tensor1D {
  return tf.max(tf.sub(logits, tf.mul(onehot, MASK_OFFSET)), 1) as tf.Tensor1D;
}

/** Gathers one constant per sample from a per-class table, [B]. */
export function perSampleFromClassTable(table: readonly number[], labels: tf.Tensor1D): tf.Tensor1D {
  return tf.gather(tf.tensor1d(table as number[], 'float32'), asInt32(labels)) as tf.Tensor1D;
}

/**
 * Element-wise binary cross-entropy with logits, max(z,0) − z·t + log(1+e^{−|z|}), written
 * with softplus: BCE = t·softplus(−z) + (1−t)·softplus(z). tf.softplus is overflow-safe and
 * its gradient (sigmoid) is exact at z = 0, unlike a hand-written |z| form.
 */
export function bceWithLogits(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor2D {
  const pos = tf.mul(targets, tf.softplus(tf.neg(logits)));
  const neg = tf.mul(tf.sub(1, targets), tf.softplus(logits));
  return tf.add(pos, neg) as tf.Tensor2D;
}

/**
 * Row-wise L2 normalisation x / sqrt(‖x‖² + ε²) with ε = 1e-6. Normalisation has no limit at
 * x = 0, so some floor is needed; torch's F.normalize uses max(‖x‖, 1e-12), whose gradient at
 * an all-zero row is 1e12 and can wreck a training step. With ε = 1e-6 the gradient there is
 * bounded by 1e6, while for any feature vector of norm ≥ 1e-2 the result differs from exact
 * normalisation by less than float32 rounding (relative ε²/2‖x‖² ≤ 5e-9).
 */
export const NORMALISE_EPS = 1e-6;

export function l2Normalise(x: tf.Tensor2D): tf.Tensor2D {
  const sq = tf.sum(tf.square(x), 1, true);
  return tf.mul(x, tf.rsqrt(tf.add(sq, NORMALISE_EPS * NORMALISE_EPS))) as tf.Tensor2D;
}

/**
 * How a loss module describes itself to `finish`: per-sample contributions and the
 * denominator of the batch reduction (the batch size when absent), or a whole-batch
 * function for losses that do not decompose over samples.
 */
export type LossCore =
  | {
      reduction: string;
      terms: (output: tf.Tensor2D, labels: tf.Tensor1D, step: LossStep) => { values: tf.Tensor1D; denominator?: tf.Scalar };
    }
  | {
      reduction: string;
      batch: (output: tf.Tensor2D, labels: tf.Tensor1D, step: LossStep) => tf.Scalar;
    };

/**
 * Turns a core into the engine's LossFunction. Every call runs in tf.tidy so that no
 * intermediate outlives it; only the returned scalar (or per-sample vector) survives.
 */
export function finish(core: LossCore): LossFunction {
  if ('batch' in core) {
    const fn = ((output: tf.Tensor2D, labels: tf.Tensor1D, step: LossStep) =>
      tf.tidy(() => core.batch(output, labels, step))) as LossFunction;
    fn.reduction = core.reduction;
    return fn;
  }
  const fn = ((output: tf.Tensor2D, labels: tf.Tensor1D, step: LossStep) =>
    tf.tidy(() => {
      const { values, denominator } = core.terms(output, labels, step);
      const total = tf.sum(values);
      return (denominator ? tf.div(total, denominator) : tf.div(total, values.shape[0])) as tf.Scalar;
    })) as LossFunction;
  fn.perSample = (output, labels, step) => tf.tidy(() => core.terms(output, labels, step).values);
  fn.reduction = core.reduction;
  return fn;
}
