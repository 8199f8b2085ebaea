/**
 * MobileNet v1 (α = 1.0) and v2 (α = 1.0) feature extraction at 224 px on each TensorFlow.js
 * backend, beside PyTorch running the same architectures (bench/pytorch_mobilenet.py, on CUDA
 * when the backends include webgpu and CUDA torch is found; bench/python.ts says where it looks); then the time to train one linear head on cached features, which
 * is what each run of a frozen-backbone study does. Random weights: only speed is measured.
 *
 *   node dist/bench/mobilenet.js [--backends wasm] [--images 64] [--batch 32]
 *
 * Prints one JSON object; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend, type BackendRequest } from '../main/engine/backends/select-backend';
import { findTorchPython, noTorchReason } from './python';
import { mobilenetV1, mobilenetV2 } from './mobilenet-models';

type Version = 'v1' | 'v2';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

async function featuresPerSecond(model: tfl.LayersModel, images: number, batch: number): Promise<number> {
  const x = tf.randomUniform([batch, 224, 224, 3], -1, 1);
  const once = async () => {
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
  };
  await once(); // warm-up: kernel set-up and XNNPACK packing
  const t0 = performance.now();
  for (let done = 0; done < images; done += batch) await once();
  x.dispose();
  return (Math.ceil(images / batch) * batch) / ((performance.now() - t0) / 1000);
}

/** One linear head trained on cached 1024-dimensional features: 2,000 images, 30 epochs, batch 64, Adam. */
async function headSeconds(dim: number): Promise<number> {
  const n = 2000;
  const features = tf.randomNormal([n, dim]);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 10), 'int32'), 10);
  const head = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [dim], units: 10 })] });
  const optimizer = tf.train.adam(1e-3);
  const t0 = performance.now();
  for (let epoch = 0; epoch < 30; epoch++) {
    for (let start = 0; start < n; start += 64) {
      const size = Math.min(64, n - start);
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.slice(labels, [start, 0], [size, 10]), head.apply(tf.slice(features, [start, 0], [size, dim])) as tf.Tensor) as tf.Scalar, true);
      loss?.dispose();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([features, labels]);
  optimizer.dispose();
  head.dispose();
  return seconds;
}

/** The same architectures in PyTorch: on CUDA when LossLab's side ran on a GPU and CUDA torch is here, else on the CPU. */
function pytorch(images: number, batch: number, gpu: boolean): unknown {
  const python = (gpu ? findTorchPython({ cuda: true }) : null) ?? findTorchPython();
  if (!python) return { skipped: noTorchReason() };
  const script = path.join(__dirname, '..', '..', 'bench', 'pytorch_mobilenet.py');
  const device = gpu && findTorchPython({ cuda: true }) === python ? 'cuda' : 'cpu';
  const result = spawnSync(python, [script, '--images', String(images), '--batch', String(batch), '--device', device], { encoding: 'utf8', timeout: 20 * 60_000 });
  if (result.status !== 0) return { skipped: `${python} ${script} failed: ${(result.stderr || result.error?.message || '').trim().split('\n').at(-1)}` };
  return JSON.parse(result.stdout);
}

async function main(): Promise<void> {
  const backends = arg('backends', 'wasm').split(',') as BackendRequest[];
  const images = Number(arg('images', '64'));
  const batch = Number(arg('batch', '32'));
  const losslab: Record<string, unknown>[] = [];
  for (const backend of backends) {
    const info = await selectBackend(backend);
    for (const version of ['v1', 'v2'] as Version[]) {
      const model = version === 'v1' ? mobilenetV1() : mobilenetV2();
      losslab.push({ backend: info.name, version, featureImagesPerSecond: Math.round(await featuresPerSecond(model, images, batch)) });
      model.dispose();
    }
    losslab.push({ backend: info.name, headTrainingSeconds: Number((await headSeconds(1024)).toFixed(2)), head: '1024 -> 10 linear, 2,000 images, 30 epochs, batch 64, Adam' });
  }
  console.log(JSON.stringify({
    benchmark: 'mobilenet-features',
    imageSize: 224, batch, images,
    machine: { cpus: os.availableParallelism(), loadAverage1m: Number((os.loadavg()[0] ?? 0).toFixed(2)), node: process.version },
    losslab,
    pytorch: pytorch(images, batch, backends.includes('webgpu')),
  }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
