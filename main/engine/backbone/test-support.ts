import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Tiny pretrained-looking layers models for the backbone tests, built and saved by the tests
 * themselves (model.json + weights.bin, as TensorFlow.js's file format has them): nothing is downloaded.
 */
export function tinyClassifier(seed: number, inputSize = 16): tfl.LayersModel {
  const input = tfl.input({ shape: [inputSize, inputSize, 3], name: 'image' });
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: seed * 100 + k });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(1), name: 'conv1' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'relu1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: init(2), name: 'conv2' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'relu2' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: 0.2, name: 'dropout' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 7, kernelInitializer: init(3), name: 'predictions' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'softmax', name: 'softmax' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x, name: 'tiny' });
}

/** Writes model.json and weights.bin into `dir`; returns the folder. */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      fs.writeFileSync(
        path.join(dir, 'model.json'),
        JSON.stringify({ format: 'layers-model', generatedBy: 'LossLab tests', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return dir;
}

export async function saveTinyBackbone(dir: string, seed = 1, inputSize = 16): Promise<string> {
  const model = tinyClassifier(seed, inputSize);
  try {
    return await saveLayersModel(model, dir);
  } finally {
    model.dispose();
  }
}

/** A graph model's model.json (what tensorflowjs_converter writes for a SavedModel): refused. */
export function writeTinyGraphModel(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'model.json'),
    JSON.stringify({
      format: 'graph-model',
      generatedBy: '2.x',
      modelTopology: { node: [{ name: 'x', op: 'Placeholder', attr: {} }], library: {}, versions: { producer: 1 } },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }],
    }),
  );
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), Buffer.alloc(0));
  return dir;
}
