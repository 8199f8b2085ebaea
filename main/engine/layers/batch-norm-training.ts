import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, registerBatchNormKernels } from '../backends/batch-norm-kernels';

/**
 * Training-mode batch normalisation over the last axis: normalises x with its own batch
 * statistics, then scales and shifts; returns those statistics too, for the moving
 * averages. Same definition as tfjs-layers (and Keras): biased variance, ε inside the root.
 *
 * On 'wasm' and 'cpu' it runs as one fused kernel each way; elsewhere (webgpu, the native
 * binding) it is composed from tfjs ops exactly as tfjs-layers composes it.
 */
export interface BatchNormTrainingResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

registerBatchNormKernels('wasm');
registerBatchNormKernels('cpu');

if (tf.getGradient(BATCH_NORM_TRAINING) === undefined) {
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAINING,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dMean, dVariance] = dys as tf.Tensor[];
      const [x, scale, mean, variance] = saved;
      // One kernel yields all three gradients; the closures hand out its outputs (the
      // engine disposes whichever is not asked for when the backward pass ends).
      const [dx, dScale, dOffset] = tf.engine().runKernel(
        BATCH_NORM_TRAINING_GRAD,
        { dy, dMean, dVariance, x, scale, mean, variance },
        attrs as tf.NamedAttrMap,
      ) as tf.Tensor[];
      return { x: () => dx, scale: () => dScale, offset: () => dOffset };
    },
  });
}

/** True when the current backend runs the fused kernels. */
export function fusedBatchNormAvailable(): boolean {
  return tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend()) !== undefined;
}

export function batchNormTraining(x: tf.Tensor, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  if (fusedBatchNormAvailable()) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale, offset }, { epsilon }) as tf.Tensor[];
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  return composedBatchNormTraining(x, scale, offset, epsilon);
}

/** The tfjs-layers composition, for backends without the fused kernels (and as the tests' reference). */
export function composedBatchNormTraining(x: tf.Tensor, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.batchNorm(x, mean, variance, offset, scale, epsilon);
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}
