import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { BackboneModelSpec, BackboneScaling } from '../../experiment/config';
import { BackboneError, manifestPaths, type LocatedBackbone } from './source';

/**
 * Everything a worker needs to rebuild the same backbone, and everything results.json records
 * about it. Plain data: it travels to the training workers inside each run's job.
 */
export interface ResolvedBackbone {
  /** SOURCE as given. */
  source: string;
  kind: LocatedBackbone['kind'];
  /** The folder, file or URL the model came from. */
  location: string;
  /** Local model.json the workers load. */
  modelJson: string;
  /** SHA-256 of model.json followed by its weight files in manifest order. */
  sha256: string;
  featureLayer: string;
  /** How the feature layer was chosen. */
  featureLayerFrom: 'given' | 'preset' | 'before-classifier' | 'last-layer';
  /** Whether a global average pool turns the layer's feature map into a vector. */
  pooled: boolean;
  inputSize: number;
  scaling: BackboneScaling;
  featureSize: number;
  /** Layers of the truncated backbone that have weights (what `last:N` counts). */
  layersWithWeights: number;
  /** Forward FLOPs per image and all parameters of the truncated backbone. */
  flopsPerImage: number;
  totalParams: number;
}

interface ModelJson {
  format?: string;
  modelTopology?: Record<string, unknown>;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

function readModelJson(file: string): { json: ModelJson; bytes: Buffer } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new BackboneError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: ModelJson;
  try {
    json = JSON.parse(bytes.toString('utf8')) as ModelJson;
  } catch {
    throw new BackboneError(`${file} is not JSON; a TF.js layers model's model.json was expected`);
  }
  if (typeof json !== 'object' || json === null) throw new BackboneError(`${file} is not a TF.js model.json`);
  const topology = json.modelTopology;
  const isGraph = json.format === 'graph-model' || (topology !== undefined && topology !== null && ('node' in topology || 'versions' in topology));
  if (isGraph) {
    throw new BackboneError(
      `${file} is a TF.js graph model: TF.js can run a graph model but cannot train or cut it at a layer. Convert the original Keras model to a layers model instead (tensorflowjs_converter --input_format keras model.h5 out/, or --input_format keras_saved_model; for a SavedModel, load it in Keras and save it as .h5 first), then pass --backbone out/`,
    );
  }
  if (!topology || typeof topology !== 'object' || !json.weightsManifest) {
    throw new BackboneError(`${file} is not a TF.js layers model (it has no modelTopology or weightsManifest)`);
  }
  return { json, bytes };
}

/** Reads model.json and its weight files; refuses graph models and missing shards; hashes everything. */
export function readBackboneFiles(modelJson: string): { artifacts: tf.io.ModelArtifacts; sha256: string } {
  const { json, bytes } = readModelJson(modelJson);
  const dir = path.dirname(modelJson);
  const hash = createHash('sha256').update(bytes);
  const shards: Buffer[] = [];
  for (const name of manifestPaths(json)) {
    const file = path.join(dir, name);
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      throw new BackboneError(`The weight file ${name} that ${modelJson} lists is missing (${file}); copy every file of the model into that folder`);
    }
    hash.update(data);
    shards.push(data);
  }
  const joined = Buffer.concat(shards);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
  const weightSpecs = (json.weightsManifest ?? []).flatMap((group) => group.weights);
  const expected = weightSpecs.reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1) * (w.dtype === 'float32' || w.dtype === 'int32' || w.dtype === undefined ? 4 : 1), 0);
  if (!weightSpecs.some((w) => w.quantization) && expected !== joined.byteLength) {
    throw new BackboneError(`The weight files of ${modelJson} hold ${joined.byteLength} bytes but model.json describes ${expected}; a shard is truncated or from another model`);
  }
  return { artifacts: { modelTopology: json.modelTopology as tf.io.ModelJSON['modelTopology'], weightSpecs, weightData }, sha256: hash.digest('hex') };
}

const TRAILING = new Set(['Activation', 'Softmax', 'Reshape', 'Flatten', 'Dropout']);

/**
 * The layer before the classifier: trailing activations, reshapes and dropout are skipped, then
 * one classifier layer (a Dense, or a 1×1 Conv2D on a 1×1 map as in Keras' MobileNet), then
 * dropout and reshapes before it. A model without a classifier (a "no top" model) gives its last layer.
 */
export function layerBeforeClassifier(model: tfl.LayersModel): { name: string; from: 'before-classifier' | 'last-layer' } {
  const layers = model.layers;
  let i = layers.length - 1;
  while (i > 0 && TRAILING.has(layers[i]!.getClassName())) i--;
  const candidate = layers[i]!;
  const kind = candidate.getClassName();
  const out = candidate.outputShape as (number | null)[];
  const isClassifier = kind === 'Dense' || (kind === 'Conv2D' && out.length === 4 && out[1] === 1 && out[2] === 1);
  if (!isClassifier || i === 0) return { name: layers[layers.length - 1]!.name, from: 'last-layer' };
  i--;
  while (i > 0 && TRAILING.has(layers[i]!.getClassName())) i--;
  return { name: layers[i]!.name, from: 'before-classifier' };
}

/** The backbone up to `layer`, with a global average pool where the layer gives a feature map. */
function truncate(model: tfl.LayersModel, layerName: string): { features: tfl.LayersModel; pooled: boolean } {
  const layer = model.layers.find((l) => l.name === layerName)!;
  let output = layer.output as SymbolicTensor;
  const rank = output.shape.length;
  let pooled = false;
  if (rank === 4) {
    output = tfl.layers.globalAveragePooling2d({ name: 'losslab_gap' }).apply(output) as SymbolicTensor;
    pooled = true;
  } else if (rank !== 2) {
    output = tfl.layers.flatten({ name: 'losslab_flatten' }).apply(output) as SymbolicTensor;
  }
  const features = tfl.model({ inputs: model.inputs, outputs: output, name: 'features' });
  return { features, pooled };
}

/** Frees the weights above the feature layer (the classifier), keeping every weight the truncated model uses. */
function disposeUnused(full: tfl.LayersModel, kept: tfl.LayersModel): void {
  const keep = new Set(kept.weights.map((w) => w.id));
  for (const w of full.weights) if (!keep.has(w.id)) w.dispose();
}

export function countWeightLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  return model.layers.filter((l) => l.weights.length > 0);
}

export interface InspectOptions {
  spec: BackboneModelSpec;
  imageSize: number;
  /** Default feature layer and scaling (the preset's). */
  presetLayer?: string;
  presetScaling?: BackboneScaling;
}

/**
 * Checks a located backbone against the experiment (checksum, layer name, input shape) and
 * loads it cut at its feature layer. Every refusal is a one-line BackboneError.
 * Needs a TensorFlow.js backend (the weights are loaded).
 */
export async function inspectBackbone(located: LocatedBackbone, options: InspectOptions): Promise<{ resolved: Omit<ResolvedBackbone, 'flopsPerImage' | 'totalParams'>; features: tfl.LayersModel }> {
  const { spec } = options;
  const { artifacts, sha256 } = readBackboneFiles(located.modelJson);
  if (spec.sha256 && spec.sha256.toLowerCase() !== sha256) {
    if (located.downloaded) fs.rmSync(path.dirname(located.modelJson), { recursive: true, force: true });
    throw new BackboneError(
      `Checksum mismatch for the backbone ${located.location}: its files hash to ${sha256}, not the expected ${spec.sha256.toLowerCase()}${located.downloaded ? ' (the download was removed)' : ''}`,
    );
  }
  let full: tfl.LayersModel;
  try {
    full = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new BackboneError(`TF.js cannot load the layers model ${located.location}: ${firstLine((error as Error).message)}`);
  }
  const inputShape = full.inputs[0]!.shape;
  const [, h, w, c] = inputShape;
  if (full.inputs.length !== 1 || inputShape.length !== 4) {
    full.dispose();
    throw new BackboneError(`The backbone ${located.location} takes input of shape [${inputShape.join(', ')}]; LossLab feeds one image tensor [N, H, W, 3]`);
  }
  if (c !== null && c !== 3) {
    full.dispose();
    throw new BackboneError(`The backbone ${located.location} takes ${c}-channel images; LossLab gives a backbone RGB images (3 channels)`);
  }
  if (h !== null && w !== null && h !== w) {
    full.dispose();
    throw new BackboneError(`The backbone ${located.location} takes ${h}×${w} images; LossLab's images are square, so they cannot be resized to that`);
  }
  const size = h ?? w;
  if (size !== null && size !== undefined && size !== options.imageSize) {
    full.dispose();
    throw new BackboneError(`The backbone ${located.location} takes ${size}×${size} images; use --image-size ${size} (the experiment asks for ${options.imageSize})`);
  }
  let featureLayer: string;
  let from: ResolvedBackbone['featureLayerFrom'];
  if (spec.featureLayer) {
    if (!full.layers.some((l) => l.name === spec.featureLayer)) {
      const names = full.layers.map((l) => l.name);
      full.dispose();
      throw new BackboneError(`The backbone ${located.location} has no layer "${spec.featureLayer}"; its last layers are ${names.slice(-6).join(', ')}`);
    }
    featureLayer = spec.featureLayer;
    from = 'given';
  } else if (options.presetLayer && full.layers.some((l) => l.name === options.presetLayer)) {
    featureLayer = options.presetLayer;
    from = 'preset';
  } else {
    const found = layerBeforeClassifier(full);
    featureLayer = found.name;
    from = found.from;
  }
  const { features, pooled } = truncate(full, featureLayer);
  disposeUnused(full, features);
  const featureSize = features.outputs[0]!.shape[1] as number;
  return {
    resolved: {
      source: spec.source,
      kind: located.kind,
      location: located.location,
      modelJson: located.modelJson,
      sha256,
      featureLayer,
      featureLayerFrom: from,
      pooled,
      inputSize: options.imageSize,
      scaling: spec.scaling ?? options.presetScaling ?? 'minus1to1',
      featureSize,
      layersWithWeights: countWeightLayers(features).length,
    },
    features,
  };
}

/** In a training worker: the same truncated backbone again, from the files the main process checked. */
export async function loadBackboneFeatures(resolved: ResolvedBackbone): Promise<tfl.LayersModel> {
  const { artifacts } = readBackboneFiles(resolved.modelJson);
  const full = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  const { features } = truncate(full, resolved.featureLayer);
  disposeUnused(full, features);
  return features;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300);
}
