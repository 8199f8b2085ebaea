import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs-layers' classes in the serialization map read below.
import '@tensorflow/tfjs-layers';
import type { BatchNormalization, BatchNormalizationLayerArgs } from '@tensorflow/tfjs-layers/dist/layers/normalization';
import type { Conv2D, ConvLayerArgs } from '@tensorflow/tfjs-layers/dist/layers/convolutional';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import type { LayerVariable } from '@tensorflow/tfjs-layers/dist/variables';
import { batchNormTraining } from './batch-norm-training';

/**
 * tfjs-layers' Conv2D and BatchNormalization with faster training-mode calls. They keep
 * their class names, configurations and weights, so saved models are ordinary tfjs layers
 * models and load anywhere; only what a training step computes changes:
 *
 * - BatchNormalization runs as one fused kernel each way where the backend has it (see
 *   batch-norm-training.ts) instead of a dozen composed ops.
 * - Conv2D without bias or activation calls the plain conv2d op, whose gradient tfjs
 *   computes only for the inputs that need one. The fused op it replaces always computes
 *   the input gradient too, which for the first layer (the images) is thrown away: about
 *   a twentieth of a step.
 */

function stockClass<T>(className: string): T {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry === undefined) throw new Error(`tfjs-layers has not registered ${className}`);
  return entry[0] as unknown as T;
}

const StockConv2D = stockClass<typeof Conv2D>('Conv2D');
const StockBatchNormalization = stockClass<typeof BatchNormalization>('BatchNormalization');

class TrainingConv2D extends StockConv2D {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const plain = !this.useBias && this.activation.getClassName() === 'linear' && this.dataFormat === 'channelsLast' && this.rank === 2;
    if (!plain || (this.padding !== 'same' && this.padding !== 'valid')) return super.call(inputs, kwargs);
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const padding = this.padding;
    return tf.tidy(() => tf.conv2d(x as tf.Tensor4D, this.kernel.read() as tf.Tensor4D, this.strides as [number, number], padding, 'NHWC', this.dilationRate as [number, number]));
  }
}

/** The private fields of tfjs-layers' BatchNormalization this class reads (they exist at run time). */
interface BatchNormFields {
  axis: number | number[];
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: LayerVariable;
  beta: LayerVariable;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}

class TrainingBatchNormalization extends StockBatchNormalization {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormFields;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    if (kwargs.training !== true || !lastAxis || !self.center || !self.scale) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon);
      updateMovingAverage(self.movingMean, mean, self.momentum);
      updateMovingAverage(self.movingVariance, variance, self.momentum);
      return y;
    });
  }
}

/** The same update, in the same order of operations, as tfjs-layers: v ← v − (v − batch)·(1 − momentum). */
function updateMovingAverage(variable: LayerVariable, batchValue: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const current = variable.read();
    variable.write(tf.sub(current, tf.mul(tf.sub(current, batchValue), 1 - momentum)));
  });
}

export function conv2d(args: ConvLayerArgs): Conv2D {
  return new TrainingConv2D(args);
}

export function batchNormalization(args: BatchNormalizationLayerArgs = {}): BatchNormalization {
  return new TrainingBatchNormalization(args);
}
