import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadDataset } from '../main/dataset/load';
import { isPixelFile, releasePixels } from '../main/dataset/pixel-file';
import { fillBatch } from '../main/engine/batches';
import type { TrainingData } from '../main/engine/types';
import { createRng } from '../main/util/random';

/**
 * Datasets too large for memory (issue #11): what holding decoded pixels costs, and what reading
 * them from a pixel file instead costs. Prints JSON; asserts nothing.
 *
 *   node dist/bench/pixel-stream.js [--images 2000] [--size 224] [--dir DIR]
 *
 * Makes (once) a folder of 320×240 JPEG photos-like images, loads it at --size px in memory and
 * then as a pixel file (LossLab's limit set below the pixels' size), and reports for each: load
 * time, resident memory added, and batches of 64 filled per second (the part of a training step
 * that touches pixels: read, augment, normalise), then extrapolates the memory to 10,000 images.
 */

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

async function ensureImages(root: string, count: number): Promise<void> {
  const done = path.join(root, '.complete');
  if (fs.existsSync(done)) return;
  fs.rmSync(root, { recursive: true, force: true });
  for (let i = 0; i < count; i++) {
    const c = i % 4;
    fs.mkdirSync(path.join(root, `class${c}`), { recursive: true });
    const pixels = Buffer.alloc(320 * 240 * 3);
    let state = (i * 2654435761) >>> 0;
    for (let p = 0; p < 320 * 240; p++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      const x = p % 320;
      const y = Math.floor(p / 320);
      pixels[p * 3] = (x + c * 60 + (state >>> 28)) & 255;
      pixels[p * 3 + 1] = (y + (i % 97)) & 255;
      pixels[p * 3 + 2] = ((x ^ y) + c * 30) & 255;
    }
    await sharp(pixels, { raw: { width: 320, height: 240, channels: 3 } }).jpeg({ quality: 85 }).toFile(path.join(root, `class${c}`, `${String(i).padStart(5, '0')}.jpg`));
  }
  fs.writeFileSync(done, '');
}

function residentMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

function batchesPerSecond(data: TrainingData, imageSize: number): number {
  const batch = 64;
  const out = new Float32Array(batch * imageSize * imageSize * 3);
  const order = Int32Array.from({ length: data.labels.length }, (_, i) => (i * 7919) % data.labels.length); // shuffled, as an epoch reads
  const rng = createRng(1);
  const started = performance.now();
  let batches = 0;
  for (let start = 0; start + batch <= order.length; start += batch, batches++) fillBatch(data, order.subarray(start, start + batch), out, { flip: true, crop: true }, rng);
  return batches / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const images = Number(option('--images', '2000'));
  const size = Number(option('--size', '224'));
  const root = path.join(option('--dir', path.join(os.tmpdir(), 'losslab-bench-pixel-stream')), `photos-${images}`);
  await ensureImages(root, images);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-bench-stream-cache-'));
  const bytes = images * size * size * 3;
  const result: Record<string, unknown> = { machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) }, images, imageSize: size, pixelMiB: Math.round(bytes / 2 ** 20) };
  // The first load decodes and fills the cache; both measured loads read the cache.
  releasePixels((await loadDataset({ root, imageSize: size, resize: 'center-crop', colorMode: 'rgb', cacheDir })).pixels);
  for (const mode of ['memory', 'pixel file'] as const) {
    global.gc?.();
    const before = residentMiB();
    const started = performance.now();
    const dataset = await loadDataset({ root, imageSize: size, resize: 'center-crop', colorMode: 'rgb', cacheDir, ...(mode === 'pixel file' ? { pixelMemoryBytes: bytes / 2 } : {}) });
    const loadSeconds = (performance.now() - started) / 1000;
    const added = residentMiB() - before;
    if ((mode === 'pixel file') !== isPixelFile(dataset.pixels)) throw new Error(`expected ${mode}`);
    const data: TrainingData = {
      pixels: dataset.pixels,
      imageSize: size,
      channels: 3,
      labels: Int32Array.from(dataset.items, (item) => item.classIndex),
      train: new Int32Array(0),
      val: new Int32Array(0),
      test: new Int32Array(0),
      numClasses: 4,
      trainCounts: [],
      channelMean: [0.5, 0.5, 0.5],
      channelStd: [0.25, 0.25, 0.25],
    };
    result[mode] = { loadSeconds: Math.round(loadSeconds * 10) / 10, residentMiBAdded: Math.round(added), batchesOf64PerSecond: Math.round(batchesPerSecond(data, size) * 10) / 10 };
    releasePixels(dataset.pixels);
  }
  result.tenThousandImagesInMemoryGiB = Math.round(((10_000 * size * size * 3) / 2 ** 30) * 100) / 100;
  fs.rmSync(cacheDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
