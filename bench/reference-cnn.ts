import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormalization, conv2d } from '../main/engine/layers/fast-layers';

/**
 * The reference CNN of shared/ENVIRONMENT.md, used to compare TensorFlow.js engines:
 * 32x32x3 input, conv32-pool-conv64-pool-conv128-GAP-dense10 (3x3 'same' convolutions,
 * each followed by batch norm and ReLU, 2x2 max-pools), trained with Adam on batches of 64.
 * Forward cost: 20.6 MFLOP per image.
 *
 * By default it mirrors the product network's block structure (conv without bias, batch
 * norm, ReLU, pool) so that its kernel mix is the one real training runs; `batchNorm: false`
 * gives the plain conv(+bias)-ReLU variant. It is kept separate from the product model so
 * that the benchmark stays comparable while that model evolves.
 */
export const REFERENCE = {
  imageSize: 32,
  channels: 3,
  classes: 10,
  trainBatch: 64,
  inferenceBatch: 256,
  filters: [32, 64, 128],
} as const;

export interface ReferenceOptions {
  seed?: number;
  /** Conv-BN-ReLU blocks (the product's) when true, conv(+bias)-ReLU when false. */
  batchNorm?: boolean;
  /** Filters per block; LossLab's default network (width 16, depth 3) is [16, 32, 64]. */
  filters?: readonly number[];
}

/** LossLab's default network: the 'bn' blocks at the app's default width (16) and depth (3). */
export const APP_DEFAULT_FILTERS = [16, 32, 64] as const;

export function buildReferenceCnn({ seed = 1, batchNorm = true, filters: widths = REFERENCE.filters }: ReferenceOptions = {}): tfl.Sequential {
  const model = tfl.sequential({ name: 'reference_cnn' });
  widths.forEach((filters, block) => {
    // The product's layers (same classes and weights as tfjs-layers', faster to train).
    model.add(
      conv2d({
        ...(block === 0 ? { inputShape: [REFERENCE.imageSize, REFERENCE.imageSize, REFERENCE.channels] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        // The bias is redundant before batch norm; without it, ReLU fuses into the conv.
        useBias: !batchNorm,
        activation: batchNorm ? 'linear' : 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: seed + block }),
      }),
    );
    if (batchNorm) {
      model.add(batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
      model.add(tfl.layers.reLU());
    }
    if (block < widths.length - 1) model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  });
  model.add(tfl.layers.globalAveragePooling2d({}));
  model.add(tfl.layers.dense({ units: REFERENCE.classes, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 10 }) }));
  return model;
}

/** A fixed synthetic batch: the benchmark measures arithmetic, not data loading. */
export function syntheticBatch(batch: number, seed = 7): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  return tf.tidy(() => {
    const images = tf.randomUniform([batch, REFERENCE.imageSize, REFERENCE.imageSize, REFERENCE.channels], 0, 1, 'float32', seed) as tf.Tensor4D;
    const classes = tf.randomUniform([batch], 0, REFERENCE.classes, 'int32', seed + 1);
    const labels = tf.cast(tf.oneHot(classes as tf.Tensor1D, REFERENCE.classes), 'float32') as tf.Tensor2D;
    return { images, labels };
  });
}

/** The optimiser of a benchmark step: Adam 1e-3 (the CNN benchmarks), or SGD with momentum 0.9 and lr 0.1 (the CIFAR ResNet recipe). */
export type BenchOptimizer = 'adam' | 'sgd';

/**
 * One training step the way LossLab trains: forward in training mode (batch statistics),
 * softmax cross-entropy, gradients of every trainable weight, an Adam (or SGD-momentum) update.
 */
export function makeTrainStep(model: tfl.LayersModel, optimizerKind: BenchOptimizer = 'adam'): (images: tf.Tensor4D, labels: tf.Tensor2D) => number {
  const optimizer = optimizerKind === 'adam' ? tf.train.adam(1e-3) : tf.train.momentum(0.1, 0.9);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return (images, labels) => {
    const loss = optimizer.minimize(
      () => {
        const logits = model.apply(images, { training: true }) as tf.Tensor2D;
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      },
      true,
      vars,
    );
    if (loss === null) throw new Error('optimizer.minimize returned no loss');
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
}

export function predictBatch(model: tfl.LayersModel, images: tf.Tensor4D): void {
  tf.tidy(() => {
    const logits = model.apply(images, { training: false }) as tf.Tensor;
    logits.dataSync();
  });
}
