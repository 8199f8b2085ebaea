import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../main/engine/backends/select-backend';
import { trainRun } from '../main/engine/train-run';
import type { TrainingData } from '../main/engine/types';
import type { ImageItem } from '../main/dataset/types';
import { modelSchema, trainingSchema } from '../main/experiment/config';
import { createRng } from '../main/util/random';

/**
 * Memory benchmark (issue: 50,000 RGB 32×32 images in under 1 GB; no per-epoch growth).
 * 1. Holds 50,000 images the way a loaded dataset does (pixels in one SharedArrayBuffer plus one
 *    item record per image) and reports the process's resident-memory growth.
 * 2. Trains the default model for 20 epochs in this process and reports, per epoch, resident
 *    memory, JS heap and live tensors. Reports only; asserts nothing.
 */

const MB = 2 ** 20;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

function datasetFootprint(count: number): Record<string, number> {
  global.gc?.();
  const before = process.memoryUsage();
  const size = 32 * 32 * 3;
  const pixels = new Uint8Array(new SharedArrayBuffer(count * size));
  const rng = createRng(1);
  for (let i = 0; i < pixels.length; i += 4096) pixels[i] = Math.floor(rng() * 256); // touch every page
  pixels.fill(7);
  const items: ImageItem[] = Array.from({ length: count }, (_, i) => ({
    file: `class-${i % 10}/image-${String(i).padStart(6, '0')}.jpg`,
    absolutePath: `/data/images/class-${i % 10}/image-${String(i).padStart(6, '0')}.jpg`,
    classIndex: i % 10,
    given: 'pool',
  }));
  global.gc?.();
  const after = process.memoryUsage();
  const result = { images: count, pixelMB: mb(pixels.byteLength), rssGrowthMB: mb(after.rss - before.rss), heapGrowthMB: mb(after.heapUsed - before.heapUsed), items: items.length };
  return result;
}

async function trainingGrowth(epochs: number, images: number): Promise<Record<string, unknown>> {
  const backend = await selectBackend('wasm');
  const s = 32;
  const pixels = new Uint8Array(new SharedArrayBuffer(images * s * s * 3));
  const rng = createRng(2);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(rng() * 256);
  const labels = Int32Array.from({ length: images }, (_, i) => i % 10);
  const all = Array.from({ length: images }, (_, i) => i);
  const data: TrainingData = {
    pixels,
    imageSize: s,
    channels: 3,
    labels,
    train: Int32Array.from(all.filter((i) => i % 10 < 8)),
    val: Int32Array.from(all.filter((i) => i % 10 === 8)),
    test: Int32Array.from(all.filter((i) => i % 10 === 9)),
    numClasses: 10,
    trainCounts: Array(10).fill((images * 0.8) / 10),
    channelMean: [0.5, 0.5, 0.5],
    channelStd: [0.29, 0.29, 0.29],
  };
  const perEpoch: Record<string, number>[] = [];
  const outcome = await trainRun(
    { index: 0, runId: 'memory', lossId: 'ce', params: {}, seed: 1, model: modelSchema.parse({}), training: trainingSchema.parse({ epochs }) },
    data,
    {
      onEpoch: (record) => {
        global.gc?.();
        const m = process.memoryUsage();
        perEpoch.push({ epoch: record.epoch + 1, rssMB: mb(m.rss), heapMB: mb(m.heapUsed), externalMB: mb(m.external), tensors: record.numTensors, bytesInTensors: tf.memory().numBytes });
      },
    },
  );
  const rss = perEpoch.map((p) => p.rssMB as number);
  return {
    backend: backend.name,
    epochs,
    trainImages: data.train.length,
    imagesPerSecond: Math.round(outcome.imagesPerSecond),
    tensorsFirstLast: [perEpoch[0]?.tensors, perEpoch.at(-1)?.tensors],
    rssGrowthFromEpoch2MB: Math.round(((rss.at(-1) as number) - (rss[1] as number)) * 10) / 10,
    perEpoch,
  };
}

async function main(): Promise<void> {
  const report = { dataset: datasetFootprint(50_000), training: await trainingGrowth(20, 1000), note: 'run with node --expose-gc for steadier numbers' };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

void main();
