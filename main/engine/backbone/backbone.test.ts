import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { modelSchema, trainingSchema, type BackboneModelSpec } from '../../experiment/config';
import { initWasmAndCpu } from '../backends/kernel-test-support';
import { createRng } from '../../util/random';
import { trainRun } from '../train-run';
import type { RunJob, TrainingData } from '../types';
import { resolveBackbone, scalingStatistics } from './backbone';
import { datasetFeatures, splitRanges } from './features';
import { findPreset } from './source';
import * as tfl from '@tensorflow/tfjs-layers';
import { saveLayersModel, saveTinyBackbone, writeTinyGraphModel } from './test-support';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-backbone-'));
let folder = '';

before(async () => {
  await initWasmAndCpu();
  assert.ok(await tf.setBackend('wasm'));
  folder = await saveTinyBackbone(path.join(root, 'tiny'), 1);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const spec = (over: Partial<BackboneModelSpec> = {}) => modelSchema.parse({ family: 'backbone', source: folder, ...over }) as BackboneModelSpec;

function filesHash(dir: string): string {
  return createHash('sha256').update(fs.readFileSync(path.join(dir, 'model.json'))).update(fs.readFileSync(path.join(dir, 'weights.bin'))).digest('hex');
}

test('a folder source: the layer before the classifier is found, hashed and described', async () => {
  const { resolved, features } = await resolveBackbone(spec(), { imageSize: 16 });
  features.dispose();
  assert.equal(resolved.kind, 'folder');
  assert.equal(resolved.featureLayer, 'gap', 'softmax, the dense classifier and dropout are skipped');
  assert.equal(resolved.featureLayerFrom, 'before-classifier');
  assert.equal(resolved.featureSize, 6);
  assert.equal(resolved.pooled, false);
  assert.equal(resolved.sha256, filesHash(folder));
  assert.equal(resolved.layersWithWeights, 3, 'conv1, bn1, conv2');
  assert.ok(resolved.flopsPerImage > 0);
  // A model.json path works as well as its folder; a feature map layer gets a global average pool.
  const byFile = await resolveBackbone(spec({ source: path.join(folder, 'model.json'), featureLayer: 'relu1' }), { imageSize: 16 });
  byFile.features.dispose();
  assert.equal(byFile.resolved.kind, 'file');
  assert.equal(byFile.resolved.featureLayer, 'relu1');
  assert.equal(byFile.resolved.pooled, true);
  assert.equal(byFile.resolved.featureSize, 4);
});

test('refusals are one line and say what to do', async () => {
  const refuse = async (s: BackboneModelSpec, pattern: RegExp, imageSize = 16) => {
    await assert.rejects(resolveBackbone(s, { imageSize }), (error: Error) => {
      assert.equal(error.name, 'BackboneError');
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'), error.message);
      return true;
    });
  };
  await refuse(spec({ featureLayer: 'conv9' }), /has no layer "conv9"; its last layers are .*predictions/);
  await refuse(spec(), /takes 16×16 images; use --image-size 16/, 32);
  await refuse(spec({ source: writeTinyGraphModel(path.join(root, 'graph')) }), /graph model.*cannot train.*tensorflowjs_converter --input_format keras/);
  const broken = await saveTinyBackbone(path.join(root, 'broken'), 1);
  fs.rmSync(path.join(broken, 'weights.bin'));
  await refuse(spec({ source: broken }), /weight file weights\.bin .* is missing/);
  await refuse(spec({ sha256: '0'.repeat(64) }), /Checksum mismatch .* hash to [0-9a-f]{64}, not the expected 0{64}/);
  await refuse(spec({ finetune: { last: 9 } }), /last:9 asks for more layers .* \(3\); use last:3 or all/);
  await refuse(spec({ source: path.join(root, 'nowhere') }), /no such file or folder, and not a preset \(mobilenet-v1-0\.25/);
  assert.equal(findPreset('mobilenet-v2')?.featureLayer, 'out_relu');
  assert.equal(findPreset('mobilenet-v1-1.00')?.url, 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_1.0_224/model.json');
});

/** Serves `folder` on 127.0.0.1; the first `cutFirst` requests for weights.bin stop halfway. */
async function serveFolder(dir: string, cutFirst: number) {
  const requests: { url: string; range: string | undefined }[] = [];
  let cuts = cutFirst;
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url!, range: req.headers.range });
    const file = path.join(dir, path.basename(req.url!));
    if (!req.url!.startsWith('/tiny/') || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const bytes = fs.readFileSync(file);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const body = bytes.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'Content-Length': body.length,
      ...(range ? { 'Content-Range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    if (req.url!.endsWith('weights.bin') && cuts > 0) {
      cuts--;
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('a URL source: downloaded once with progress, a cut-off download resumes with a Range request, a wrong checksum is refused', async () => {
  const downloadDir = path.join(root, 'downloads');
  const server = await serveFolder(folder, 1);
  try {
    const url = `${server.base}/tiny/model.json`;
    const progress: number[] = [];
    const options = { imageSize: 16, downloadDir, onDownload: (p: { received: number }) => progress.push(p.received) };
    await assert.rejects(resolveBackbone(spec({ source: url }), options), (error: Error) => {
      assert.match(error.message, /Could not download the backbone .*connection broke.*Run again to resume, or download .* --backbone \/path\/to\/folder/);
      return true;
    });
    const weightsSize = fs.statSync(path.join(folder, 'weights.bin')).size;
    const parts = fs.readdirSync(downloadDir).flatMap((d) => fs.readdirSync(path.join(downloadDir, d)).map((f) => path.join(downloadDir, d, f)));
    const part = parts.find((f) => f.endsWith('weights.bin.part'))!;
    assert.equal(fs.statSync(part).size, Math.floor(weightsSize / 2), 'half of the weights stay in the .part file');

    const { resolved, features } = await resolveBackbone(spec({ source: url }), options);
    features.dispose();
    const resumed = server.requests.filter((r) => r.url.endsWith('weights.bin'));
    assert.deepEqual(resumed.map((r) => r.range), [undefined, `bytes=${Math.floor(weightsSize / 2)}-`]);
    assert.equal(resolved.kind, 'url');
    assert.equal(resolved.location, url);
    assert.equal(resolved.sha256, filesHash(folder), 'the resumed copy is byte for byte the original');
    assert.ok(progress.length > 0);

    // Downloaded once: a second use makes no request at all.
    const before = server.requests.length;
    const again = await resolveBackbone(spec({ source: url, sha256: resolved.sha256 }), options);
    again.features.dispose();
    assert.equal(server.requests.length, before);

    await assert.rejects(resolveBackbone(spec({ source: url, sha256: 'f'.repeat(64) }), options), /Checksum mismatch .*the download was removed/);
    await assert.rejects(resolveBackbone(spec({ source: `${server.base}/missing/model.json` }), options), /HTTP 404.*--backbone \/path\/to\/folder/);
  } finally {
    await server.close();
  }
});

/** Random 16×16 RGB images whose class is the brightest channel: learnable from the tiny backbone's features. */
function colourData(perClass: number, scaling = scalingStatistics('minus1to1')): TrainingData {
  const s = 16;
  const n = perClass * 3;
  const pixels = new Uint8Array(new SharedArrayBuffer(n * s * s * 3));
  const rng = createRng(5);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < s * s; p++) for (let c = 0; c < 3; c++) pixels[(i * s * s + p) * 3 + c] = c === i % 3 ? 150 + rng() * 100 : rng() * 120;
  }
  const all = Array.from({ length: n }, (_, i) => i);
  return {
    pixels,
    imageSize: s,
    channels: 3,
    labels,
    train: Int32Array.from(all.filter((i) => i % 5 > 1)),
    val: Int32Array.from(all.filter((i) => i % 5 === 0)),
    test: Int32Array.from(all.filter((i) => i % 5 === 1)),
    numClasses: 3,
    trainCounts: [0, 1, 2].map((c) => all.filter((i) => i % 5 > 1 && i % 3 === c).length),
    channelMean: scaling.mean,
    channelStd: scaling.std,
  };
}

function job(model: BackboneModelSpec, backbone: RunJob['backbone'], lossId = 'ce'): RunJob {
  return { index: 0, runId: `${lossId}#seed1`, lossId, params: {}, seed: 1, model, backbone, training: trainingSchema.parse({ epochs: 3, batchSize: 16, learningRate: 0.01 }) };
}

/** Weights of a saved run by name (the exported model nests the backbone and the head). */
function savedWeights(outcome: Awaited<ReturnType<typeof trainRun>>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of outcome.weights!.weightSpecs as { name: string; shape: number[] }[]) {
    const size = spec.shape.reduce((a, d) => a * d, 1);
    out.set(spec.name, new Float32Array(outcome.weights!.weightData.slice(offset, offset + size * 4)));
    offset += size * 4;
  }
  return out;
}

test('fine-tuning last:1 changes only conv2 (and the head); frozen layers, batch-norm statistics included, stay as loaded; same seed, same numbers', async () => {
  const model = spec({ finetune: { last: 1 }, backboneLearningRate: 0.01 });
  const { resolved, features } = await resolveBackbone(model, { imageSize: 16 });
  const original = new Map(features.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
  features.dispose();
  const data = colourData(20);
  const first = await trainRun(job(model, resolved), data, { keepWeights: true });
  const second = await trainRun(job(model, resolved), data, { keepWeights: true });
  assert.deepEqual(second.testLogits, first.testLogits, 'same seed, same numbers');
  const trained = savedWeights(first);
  const byName = (suffix: string) => [...trained.entries()].find(([name]) => name.endsWith(suffix))![1];
  for (const name of ['conv1/kernel', 'conv1/bias', 'bn1/gamma', 'bn1/beta', 'bn1/moving_mean', 'bn1/moving_variance']) {
    assert.deepEqual(byName(name), original.get(name), `${name} is frozen`);
  }
  assert.notDeepEqual(byName('conv2/kernel'), original.get('conv2/kernel'), 'conv2 is fine-tuned');
  // Trainable: conv2 (3·3·4·6 + 6) and the linear head (6·3 + 3).
  assert.equal(first.network!.trainableParams, 3 * 3 * 4 * 6 + 6 + 6 * 3 + 3);
});

test('finetune none: features computed once and cached, the head trains on them with the run\'s loss, same seed same numbers', async () => {
  const model = spec();
  const { resolved, features } = await resolveBackbone(model, { imageSize: 16 });
  const data = colourData(20);
  const cacheDir = path.join(root, 'features');
  const computed = await datasetFeatures(features, resolved, data, { datasetFingerprint: 'fp1', cacheDir });
  const reused = await datasetFeatures(features, resolved, data, { datasetFingerprint: 'fp1', cacheDir });
  assert.equal(computed.cached, false);
  assert.equal(reused.cached, true);
  assert.deepEqual(reused.values, computed.values);
  // Another preprocessing or another backbone is another cache entry.
  const rescaled = await datasetFeatures(features, { ...resolved, scaling: '0to1' }, { ...data, ...{ channelMean: [0, 0, 0], channelStd: [1, 1, 1] } }, { datasetFingerprint: 'fp1', cacheDir });
  assert.equal(rescaled.cached, false);
  assert.notDeepEqual(rescaled.values, computed.values);
  // A corrupted cache file is a miss, never wrong features.
  const file = computed.cacheFile!;
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 1] ^= 0xff;
  fs.writeFileSync(file, bytes);
  const recomputed = await datasetFeatures(features, resolved, data, { datasetFingerprint: 'fp1', cacheDir });
  assert.equal(recomputed.cached, false);
  assert.deepEqual(recomputed.values, computed.values);
  features.dispose();

  const withFeatures = { ...data, features: { values: computed.values, dim: computed.dim } };
  for (const loss of ['ce', 'focal', 'balanced-softmax']) {
    const a = await trainRun(job(model, resolved, loss), withFeatures, { keepWeights: true });
    const b = await trainRun(job(model, resolved, loss), withFeatures);
    assert.deepEqual(b.testLogits, a.testLogits, `${loss}: same seed, same numbers`);
    assert.equal(a.history.length, 3);
    assert.equal(a.network!.trainableParams, 6 * 3 + 3, 'only the head trains');
    assert.equal(a.testLogits.length, data.test.length * 3);
    assert.equal(a.valLogits.length, data.val.length * 3);
  }
  await assert.rejects(trainRun(job(model, resolved, 'supcon'), withFeatures), /frozen/);
  const mlp = await trainRun(job(spec({ head: { mlp: 8 } }), resolved), withFeatures);
  assert.equal(mlp.network!.trainableParams, 6 * 8 + 8 + 8 * 3 + 3);
});

test('a nested model (a LossLab run\'s saved model: features then head) works cut at its inner features model', async () => {
  const inner = tfl.sequential({ name: 'features', layers: [tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 5, kernelSize: 3, name: 'conv0' }), tfl.layers.globalAveragePooling2d({ name: 'gap' })] });
  const head = tfl.sequential({ name: 'head', layers: [tfl.layers.dense({ inputShape: [5], units: 3, name: 'logits' })] });
  const whole = tfl.sequential({ layers: [inner, head] });
  const dir = await saveLayersModel(whole, path.join(root, 'nested'));
  whole.dispose();
  const { resolved, features } = await resolveBackbone(spec({ source: dir, featureLayer: 'features' }), { imageSize: 16 });
  const data = colourData(4);
  const computed = await datasetFeatures(features, resolved, data, { datasetFingerprint: 'nested' });
  features.dispose();
  assert.equal(resolved.featureSize, 5);
  assert.equal(computed.values.length, data.labels.length * 5);
  assert.ok(computed.values.every(Number.isFinite));
});

test('features split over worker threads are the very numbers one thread computes, with progress up to every item', async () => {
  const { resolved, features } = await resolveBackbone(spec(), { imageSize: 16 });
  const data = colourData(30); // 90 items: three chunks of 32, 32 and 26
  const one = await datasetFeatures(features, resolved, data, { datasetFingerprint: 'threads' });
  const progress: number[] = [];
  const two = await datasetFeatures(features, resolved, data, {
    datasetFingerprint: 'threads',
    parallel: { backend: 'wasm', threads: 2 },
    onProgress: (p) => progress.push(p.done),
  });
  features.dispose();
  assert.deepEqual(two.values, one.values);
  assert.equal(progress.at(-1), data.labels.length);
  assert.ok(progress.length >= 2, 'progress arrives per chunk, from both threads');
});

test('feature ranges are whole chunks counted from item 0, as even as chunks allow, never more ranges than chunks', () => {
  assert.deepEqual(splitRanges(90, 2), [
    [0, 64],
    [64, 90],
  ]);
  assert.deepEqual(splitRanges(200, 3), [
    [0, 96],
    [96, 160],
    [160, 200],
  ]);
  assert.deepEqual(splitRanges(20, 4), [[0, 20]]);
});

test('a backbone that fails in a feature worker is an error that says so, not a hang', async () => {
  const { resolved, features } = await resolveBackbone(spec(), { imageSize: 16 });
  features.dispose();
  const data = colourData(30);
  await assert.rejects(
    datasetFeatures(features, { ...resolved, modelJson: path.join(root, 'missing', 'model.json') }, data, { datasetFingerprint: 'broken', parallel: { backend: 'wasm', threads: 2 } }),
    /Computing the backbone's features failed/,
  );
});

test('a depthwise-separable backbone (as MobileNet is) fine-tunes on wasm: the depthwise kernel trains', async () => {
  const input = tfl.input({ shape: [16, 16, 3] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), name: 'stem' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthwiseInitializer: tfl.initializers.glorotUniform({ seed: 2 }), name: 'dw' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 6, kernelSize: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }), name: 'pw' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 5, activation: 'softmax', name: 'classifier' }).apply(x) as tfl.SymbolicTensor;
  const whole = tfl.model({ inputs: input, outputs: x });
  const dir = await saveLayersModel(whole, path.join(root, 'separable'));
  whole.dispose();
  const model = spec({ source: dir, finetune: 'all', backboneLearningRate: 0.01 });
  const { resolved, features } = await resolveBackbone(model, { imageSize: 16 });
  const before = features.getLayer('dw').getWeights()[0]!.dataSync().slice();
  features.dispose();
  const outcome = await trainRun(job(model, resolved), colourData(10), { keepWeights: true });
  const after = [...savedWeights(outcome)].find(([name]) => name.includes('dw') && name.includes('depthwise_kernel'))?.[1];
  assert.ok(after, `saved weights: ${[...savedWeights(outcome).keys()].join(', ')}`);
  assert.equal(after.length, before.length);
  assert.notDeepEqual(Array.from(after), Array.from(before), 'the depthwise kernel was updated');
  assert.ok(outcome.testLogits.every(Number.isFinite));
});
