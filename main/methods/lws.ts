import * as tf from '@tensorflow/tfjs-core';

/**
 * Learnable weight scaling (Kang et al. 2020): the trained classifier's logits, multiplied by
 * one learned scale per class, under softmax cross-entropy (mean over the batch).
 */
export function lwsLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, scales: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const scaled = tf.mul(logits, tf.expandDims(scales, 0)) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, logits.shape[1]), scaled) as tf.Scalar;
  });
}

/** Logits rows times the per-class scales (plain JS, for saved logits). */
export function scaleLogits(logits: Float32Array, numClasses: number, scales: ArrayLike<number>): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i += numClasses) {
    for (let c = 0; c < numClasses; c++) out[i + c] = (logits[i + c] as number) * (scales[c] as number);
  }
  return out;
}
