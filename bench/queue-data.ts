import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { parseExperimentConfig } from '../main/experiment/config';
import { addressOf, fetchTrainingData, publishTrainingData } from '../main/queue/published-data';
import { startRedis } from '../main/queue/redis-fixture';
import { loadRunData, trainingDataFingerprint } from '../main/queue/run-data';

/**
 * How a study's data reaches queue workers, and what each way costs (issue #13), on a
 * 50,000-image dataset; it prints JSON and asserts nothing.
 *
 *   node dist/bench/queue-data.js [--images 50000] [--size 32] [--dir DIR]
 *
 * The dataset (10 classes of 32×32 RGB PNGs, CIFAR's shape) is made once under DIR (default: the
 * temp folder) and kept for the next run. Measured, each on this machine:
 * - path mode, per worker: reading and decoding the folder with no cache (a worker's first
 *   study), then again from the decoded-image cache (every later study on that data);
 * - publish mode through Redis: the study's encode + upload, the memory Redis holds for it, and
 *   each worker's fetch + fingerprint check;
 * - publish mode through a shared folder: the same, as a file.
 */

interface Options {
  images: number;
  size: number;
  dir: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { images: 50_000, size: 32, dir: path.join(os.tmpdir(), 'losslab-bench-queue-data') };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--images') options.images = Number(value);
    else if (flag === '--size') options.size = Number(value);
    else if (flag === '--dir') options.dir = path.resolve(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

const CLASSES = 10;

/** A class-coloured gradient with per-image texture: compresses like small photos, not like noise or flat colour. */
async function makeImage(file: string, size: number, classIndex: number, n: number): Promise<void> {
  const pixels = Buffer.alloc(size * size * 3);
  let state = (n * 2654435761) >>> 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      const noise = (state >>> 24) % 24;
      const o = (y * size + x) * 3;
      pixels[o] = (classIndex * 25 + x * 4 + noise) & 255;
      pixels[o + 1] = (y * 6 + (n % 50) + noise) & 255;
      pixels[o + 2] = (((x + y) * 3 + classIndex * 40) ^ noise) & 255;
    }
  }
  await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
}

async function ensureDataset(options: Options): Promise<{ root: string; diskBytes: number; madeSeconds: number | null }> {
  const root = path.join(options.dir, `images-${options.images}-${options.size}px`);
  const done = path.join(root, '.complete');
  let madeSeconds: number | null = null;
  if (!fs.existsSync(done)) {
    const started = performance.now();
    fs.rmSync(root, { recursive: true, force: true });
    const perClass = Math.ceil(options.images / CLASSES);
    const tasks: (() => Promise<void>)[] = [];
    for (let c = 0; c < CLASSES; c++) {
      fs.mkdirSync(path.join(root, `class${c}`), { recursive: true });
      for (let i = 0; i < perClass && c * perClass + i < options.images; i++) {
        tasks.push(() => makeImage(path.join(root, `class${c}`, `${String(i).padStart(5, '0')}.png`), options.size, c, c * perClass + i));
      }
    }
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }));
    fs.writeFileSync(done, '');
    madeSeconds = (performance.now() - started) / 1000;
  }
  let diskBytes = 0;
  for (const dir of fs.readdirSync(root)) {
    if (dir.startsWith('.')) continue;
    for (const file of fs.readdirSync(path.join(root, dir))) diskBytes += fs.statSync(path.join(root, dir, file)).size;
  }
  return { root, diskBytes, madeSeconds };
}

function mib(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, Math.round((performance.now() - started) / 10) / 100];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  process.stderr.write(`dataset: ${options.images} images at ${options.size} px under ${options.dir}\n`);
  const dataset = await ensureDataset(options);
  const config = parseExperimentConfig({ data: dataset.root, imageSize: options.size, losses: [{ id: 'ce' }] });
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-bench-cache-'));

  process.stderr.write('path mode: decoding the folder (cold, then from the cache)\n');
  const [cold, coldSeconds] = await timed(() => loadRunData(config, { cacheDir }));
  const [, warmSeconds] = await timed(() => loadRunData(config, { cacheDir }));
  const [address, fingerprintSeconds] = await timed(async () => addressOf(cold));

  process.stderr.write('publish mode: Redis\n');
  const server = await startRedis();
  const redis = new Redis(server.url);
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  const before = await usedMemory();
  const [published, publishSeconds] = await timed(() => publishTrainingData(redis, cold, address, { where: 'redis' }));
  const redisBytes = (await usedMemory()) - before;
  const [fetched, fetchSeconds] = await timed(() => fetchTrainingData(redis, address, { where: 'redis' }));
  if (trainingDataFingerprint(fetched) !== address.data) throw new Error('fetched data differs');
  redis.disconnect();
  await server.stop();

  process.stderr.write('publish mode: shared folder\n');
  const share = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-bench-share-'));
  const [, shareWriteSeconds] = await timed(() => publishTrainingData(null as never, cold, address, { where: 'shared', folder: share }));
  const [, shareReadSeconds] = await timed(() => fetchTrainingData(null as never, address, { where: 'shared', folder: share }));
  fs.rmSync(share, { recursive: true, force: true });
  fs.rmSync(cacheDir, { recursive: true, force: true });

  const result = {
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    dataset: { images: cold.labels.length, imageSize: options.size, onDiskMiB: mib(dataset.diskBytes), ...(dataset.madeSeconds !== null ? { madeSeconds: Math.round(dataset.madeSeconds) } : {}) },
    fingerprintsSeconds: fingerprintSeconds,
    pathMode: { perWorkerColdSeconds: coldSeconds, perWorkerFromCacheSeconds: warmSeconds },
    publishRedis: { blobMiB: mib(published.bytes), studyPublishSeconds: publishSeconds, redisMemoryMiB: mib(redisBytes), perWorkerFetchSeconds: fetchSeconds },
    publishShared: { studyWriteSeconds: shareWriteSeconds, perWorkerReadSeconds: shareReadSeconds },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
