import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelSpec } from '../experiment/config';
import { deriveSeed } from '../util/random';
import { batchNormalization, conv2d } from './layers/fast-layers';

/**
 * The network every loss trains. It is split into a feature extractor and a linear head so
 * that embedding losses (contrastive, SupCon) can train the features alone and then fit the
 * head on frozen features, while every other loss trains both end to end.
 */
export interface Network {
  features: tfl.Sequential;
  head: tfl.Sequential;
  featureSize: number;
}

/**
 * Conv-BN-ReLU blocks with a 2×2 max-pool after every block but the last, then global average
 * pooling and one dense layer. Conv and batch norm are tfjs-layers' own, with faster
 * training-mode calls (layers/fast-layers.ts); saved models are plain tfjs layers models. All initialisers are seeded from `seed`, so every loss trained
 * with the same seed starts from exactly the same weights.
 */
export function buildNetwork(
  spec: ModelSpec,
  input: { imageSize: number; channels: number },
  numClasses: number,
  seed: number,
): Network {
  const features = tfl.sequential({ name: 'features' });
  let filters = spec.width;
  let size = input.imageSize;
  for (let block = 0; block < spec.depth; block++) {
    features.add(
      conv2d({
        ...(block === 0 ? { inputShape: [input.imageSize, input.imageSize, input.channels] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        // The bias is redundant before batch norm (its beta does the same job).
        useBias: false,
        kernelInitializer: tfl.initializers.heNormal({ seed: deriveSeed(seed, `conv${block}`) }),
        name: `conv${block}`,
      }),
    );
    features.add(batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `bn${block}` }));
    features.add(tfl.layers.reLU({ name: `relu${block}` }));
    const last = block === spec.depth - 1;
    if (!last && size >= 2) {
      features.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${block}` }));
      size = Math.floor(size / 2);
    }
    if (!last) filters *= 2;
  }
  features.add(tfl.layers.globalAveragePooling2d({ name: 'gap' }));

  const head = tfl.sequential({ name: 'head' });
  head.add(
    tfl.layers.dense({
      inputShape: [filters],
      units: numClasses,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(seed, 'head') }),
      biasInitializer: 'zeros',
      name: 'logits',
    }),
  );
  return { features, head, featureSize: filters };
}

/** Forward pass to logits; `training` switches batch norm between batch and moving statistics. */
export function forwardLogits(network: Network, images: tf.Tensor4D, training: boolean): tf.Tensor2D {
  const feats = network.features.apply(images, { training }) as tf.Tensor2D;
  return network.head.apply(feats, { training }) as tf.Tensor2D;
}

export function forwardFeatures(network: Network, images: tf.Tensor4D, training: boolean): tf.Tensor2D {
  return network.features.apply(images, { training }) as tf.Tensor2D;
}

/** One model holding both parts, for saving in TensorFlow.js's layers format. */
export function exportableModel(network: Network): tfl.Sequential {
  return tfl.sequential({ layers: [network.features, network.head], name: 'losslab_cnn' });
}

export function disposeNetwork(network: Network): void {
  network.features.dispose();
  network.head.dispose();
}

/** Current values of every weight (trainable or not), to restore the best epoch later. */
export function snapshotWeights(network: Network): tf.Tensor[] {
  return [...network.features.getWeights(), ...network.head.getWeights()].map((w) => tf.clone(w));
}

export function restoreWeights(network: Network, snapshot: tf.Tensor[]): void {
  const featureCount = network.features.getWeights().length;
  network.features.setWeights(snapshot.slice(0, featureCount));
  network.head.setWeights(snapshot.slice(featureCount));
}
