import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelSpec } from '../experiment/config';
import { deriveSeed } from '../util/random';
import { buildCnnFeatures } from './cnn';
import type { FeatureExtractor, NetworkInput } from './network-family';
import { buildResnetFeatures } from './resnet';

/**
 * The network every loss trains. It is split into a feature extractor and a linear head so
 * that embedding losses (contrastive, SupCon) can train the features alone and then fit the
 * head on frozen features, while every other loss trains both end to end.
 */
export interface Network {
  features: tfl.LayersModel;
  head: tfl.Sequential;
  featureSize: number;
}

function buildFeatures(spec: ModelSpec, input: NetworkInput, seed: number): FeatureExtractor {
  switch (spec.family) {
    case 'cnn':
      return buildCnnFeatures(spec, input, seed);
    case 'resnet':
      return buildResnetFeatures(spec, input, seed);
    case 'backbone':
      throw new Error('A pretrained backbone is loaded from its files: build it with buildBackboneNetwork (backbone/backbone.ts)');
  }
}

/**
 * LossLab's head: one dense layer to the logits, or (`hidden`) a ReLU hidden layer before it.
 * The linear head's initialiser is the same for every family, so it starts from the same weights.
 */
export function buildHead(featureSize: number, numClasses: number, seed: number, hidden?: number): tfl.Sequential {
  const head = tfl.sequential({ name: 'head' });
  if (hidden !== undefined) {
    head.add(
      tfl.layers.dense({
        inputShape: [featureSize],
        units: hidden,
        activation: 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: deriveSeed(seed, 'head-hidden') }),
        biasInitializer: 'zeros',
        name: 'hidden',
      }),
    );
  }
  head.add(
    tfl.layers.dense({
      ...(hidden === undefined ? { inputShape: [featureSize] } : {}),
      units: numClasses,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(seed, 'head') }),
      biasInitializer: 'zeros',
      name: 'logits',
    }),
  );
  return head;
}

/**
 * The chosen family's feature extractor (cnn.ts, resnet.ts) with LossLab's linear head on top.
 * Conv and batch norm are tfjs-layers' own, with faster training-mode calls
 * (layers/fast-layers.ts); saved models are plain tfjs layers models. All initialisers are
 * seeded from `seed`, so every loss trained with the same seed starts from exactly the same weights.
 */
export function buildNetwork(spec: ModelSpec, input: NetworkInput, numClasses: number, seed: number): Network {
  const { model: features, featureSize } = buildFeatures(spec, input, seed);
  return { features, head: buildHead(featureSize, numClasses, seed), featureSize };
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
  return tfl.sequential({ layers: [network.features, network.head], name: 'losslab_network' });
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
