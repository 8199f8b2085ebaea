import * as tfl from '@tensorflow/tfjs-layers';
import type { BackboneModelSpec, BackboneScaling } from '../../experiment/config';
import { buildHead, type Network } from '../model';
import { modelStats } from '../network-stats';
import type { DownloadProgress } from './download';
import { countWeightLayers, inspectBackbone, loadBackboneFeatures, type ResolvedBackbone } from './load-backbone';
import { BackboneError, locateBackbone } from './source';

/**
 * The `backbone` family: a pretrained TF.js layers model, cut at its feature layer, with
 * LossLab's head on top. With `finetune: 'none'` the backbone never runs inside a training run:
 * its features are computed once per dataset (features.ts, feature-cache.ts) and each run trains
 * only the head on them (buildHeadOnlyNetwork). With `last:N` or `all` the run trains those
 * backbone layers too, at their own learning rate (train-run.ts).
 */

/**
 * Per-channel mean and std (in [0, 1] pixel units) that make fillBatch's normalisation
 * (x/255 − mean)/std produce the backbone's own pixel scaling instead of the data's statistics.
 */
export function scalingStatistics(scaling: BackboneScaling): { mean: number[]; std: number[] } {
  switch (scaling) {
    case 'minus1to1':
      return { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }; // (x/255 − 0.5)/0.5 = x/127.5 − 1
    case '0to1':
      return { mean: [0, 0, 0], std: [1, 1, 1] };
    case 'imagenet':
      return { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  }
}

export interface ResolveOptions {
  imageSize: number;
  downloadDir?: string;
  onDownload?: (progress: DownloadProgress & { file: string }) => void;
}

/**
 * Finds, downloads (once), checks and loads the backbone. Returns the description that goes
 * to the workers and into results.json, and the loaded feature model (the caller disposes it).
 * Throws a one-line BackboneError for every refusal, before anything is trained or stored.
 */
export async function resolveBackbone(spec: BackboneModelSpec, options: ResolveOptions): Promise<{ resolved: ResolvedBackbone; features: tfl.LayersModel }> {
  const located = await locateBackbone(spec.source, {
    ...(options.downloadDir ? { downloadDir: options.downloadDir } : {}),
    ...(options.onDownload ? { onDownload: options.onDownload } : {}),
  });
  const { resolved, features } = await inspectBackbone(located, {
    spec,
    imageSize: options.imageSize,
    ...(located.preset ? { presetLayer: located.preset.featureLayer, presetScaling: located.preset.scaling } : {}),
  });
  if (typeof spec.finetune === 'object' && spec.finetune.last > resolved.layersWithWeights) {
    features.dispose();
    throw new BackboneError(`--finetune last:${spec.finetune.last} asks for more layers than the backbone has with weights up to ${resolved.featureLayer} (${resolved.layersWithWeights}); use last:${resolved.layersWithWeights} or all`);
  }
  const stats = modelStats([features]);
  return { resolved: { ...resolved, flopsPerImage: stats.flopsPerImage, totalParams: stats.totalParams }, features };
}

/** Runs a layer in inference mode whatever the caller asks: a frozen batch norm keeps its moving statistics. */
function freezeInInferenceMode(layer: tfl.layers.Layer): void {
  layer.trainable = false;
  const call = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false });
}

/**
 * Which of the backbone's layers train: none, the last N layers that have weights, or all.
 * Every layer before the first trainable one is frozen and runs in inference mode (batch norm
 * on its moving statistics, dropout off), as Keras does for a layer with trainable = false.
 */
export function applyFinetune(features: tfl.LayersModel, finetune: BackboneModelSpec['finetune']): void {
  const weighted = countWeightLayers(features);
  const trainable = new Set(finetune === 'all' ? weighted : finetune === 'none' ? [] : weighted.slice(weighted.length - finetune.last));
  const first = trainable.size > 0 ? features.layers.findIndex((l) => trainable.has(l)) : features.layers.length;
  features.layers.forEach((layer, i) => {
    if (i < first) freezeInInferenceMode(layer);
  });
}

/** A network that trains the backbone's last layers (or all of it) together with the head. */
export async function buildBackboneNetwork(spec: BackboneModelSpec, resolved: ResolvedBackbone, numClasses: number, seed: number): Promise<Network> {
  const features = await loadBackboneFeatures(resolved);
  applyFinetune(features, spec.finetune);
  const head = buildHead(resolved.featureSize, numClasses, seed, headUnits(spec));
  return { features, head, featureSize: resolved.featureSize };
}

/**
 * For a frozen backbone: the head alone, on precomputed features. `features` is an identity
 * (no weights), so snapshots, saving and statistics work as for any network; the saved model
 * takes a feature vector as its input.
 */
export function buildHeadOnlyNetwork(spec: BackboneModelSpec, featureSize: number, numClasses: number, seed: number): Network {
  const features = tfl.sequential({ name: 'features', layers: [tfl.layers.activation({ activation: 'linear', inputShape: [featureSize], name: 'backbone_features' })] });
  return { features, head: buildHead(featureSize, numClasses, seed, headUnits(spec)), featureSize };
}

/** Hidden units of an MLP head, or undefined for a linear one. */
export function headUnits(spec: BackboneModelSpec): number | undefined {
  return spec.head === 'linear' ? undefined : spec.head.mlp;
}
