import * as os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend, type BackendInfo, type BackendRequest } from '../main/engine/backends/select-backend';
import { buildReferenceCnn, REFERENCE, syntheticBatch } from './reference-cnn';

/**
 * Training and inference throughput of the reference CNN (bench/reference-cnn.ts) on the
 * 'webgpu' backend, next to the same loop on other backends, printed as JSON. Reports, asserts
 * nothing.
 *
 *   node dist/bench/webgpu-throughput.js [--backends webgpu,wasm] [--variants bn,plain]
 *        [--steps 5] [--warmup 2] [--inference-batches 3] [--workers N]
 *
 * Kept apart from bench/train-throughput.ts because that one times synchronous steps
 * (dataSync), which tfjs's webgpu backend cannot do in Node (its synchronous read-back needs
 * OffscreenCanvas). Here every step ends with an awaited read of the loss, so GPU time counts.
 * The first step is timed on its own: on a GPU it includes compiling every shader, which on a
 * software Vulkan driver (lavapipe) takes seconds.
 * --workers N  also trains N copies at once, one per worker thread, each with its own device.
 */

interface Options {
  backends: BackendRequest[];
  variants: Array<'bn' | 'plain'>;
  steps: number;
  warmup: number;
  inferenceBatches: number;
  workers: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { backends: ['webgpu', 'wasm'], variants: ['bn'], steps: 5, warmup: 2, inferenceBatches: 3, workers: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      return value;
    };
    if (arg === '--backends') options.backends = next().split(',') as BackendRequest[];
    else if (arg === '--variants') options.variants = next().split(',').map((v) => (v === 'plain' ? 'plain' : 'bn'));
    else if (arg === '--steps') options.steps = Math.max(1, Number(next()));
    else if (arg === '--warmup') options.warmup = Math.max(0, Number(next()));
    else if (arg === '--inference-batches') options.inferenceBatches = Math.max(1, Number(next()));
    else if (arg === '--workers') options.workers = Math.max(0, Number(next()));
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** An Adam step as LossLab trains, ending in an awaited read so the GPU's work is included. */
function makeAsyncTrainStep(model: tfl.Sequential): (images: tf.Tensor4D, labels: tf.Tensor2D) => Promise<number> {
  const optimizer = tf.train.adam(1e-3);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return async (images, labels) => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(images, { training: true }) as tf.Tensor2D) as tf.Scalar, true, vars);
    if (!loss) throw new Error('optimizer.minimize returned no loss');
    const value = (await loss.data())[0] as number;
    loss.dispose();
    return value;
  };
}

async function predict(model: tfl.Sequential, images: tf.Tensor4D): Promise<void> {
  const logits = tf.tidy(() => model.apply(images, { training: false }) as tf.Tensor);
  await logits.data();
  logits.dispose();
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * This process's CPU seconds (all threads: lavapipe computes on threads of this process).
 * On a shared machine, images per CPU second is steadier than wall-clock rates.
 */
function cpuSecondsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function benchOne(backend: BackendRequest, variant: 'bn' | 'plain', options: Options): Promise<Record<string, unknown>> {
  let info: BackendInfo | null = null;
  const setupSeconds = await timed(async () => {
    info = await selectBackend(backend);
  });
  const { name, notes } = info as unknown as BackendInfo;
  const model = buildReferenceCnn({ batchNorm: variant === 'bn' });
  try {
    const { images, labels } = syntheticBatch(REFERENCE.trainBatch);
    const step = makeAsyncTrainStep(model);
    const firstStepSeconds = await timed(() => step(images, labels));
    for (let i = 1; i < options.warmup; i++) await step(images, labels);
    let loss = NaN;
    const trainCpu0 = cpuSecondsNow();
    const trainSeconds = await timed(async () => {
      for (let i = 0; i < options.steps; i++) loss = await step(images, labels);
    });
    const trainCpuSeconds = cpuSecondsNow() - trainCpu0;
    tf.dispose([images, labels]);

    const batch = syntheticBatch(REFERENCE.inferenceBatch, 11);
    const firstInferenceSeconds = await timed(() => predict(model, batch.images));
    const inferenceCpu0 = cpuSecondsNow();
    const inferenceSeconds = await timed(async () => {
      for (let i = 0; i < options.inferenceBatches; i++) await predict(model, batch.images);
    });
    const inferenceCpuSeconds = cpuSecondsNow() - inferenceCpu0;
    tf.dispose([batch.images, batch.labels]);
    return {
      backend: name,
      variant,
      notes,
      selectSeconds: round(setupSeconds, 2),
      train: {
        batch: REFERENCE.trainBatch,
        firstStepSeconds: round(firstStepSeconds, 2),
        steps: options.steps,
        msPerStep: round((trainSeconds * 1000) / options.steps),
        imagesPerSecond: round((options.steps * REFERENCE.trainBatch) / trainSeconds),
        imagesPerCpuSecond: round((options.steps * REFERENCE.trainBatch) / trainCpuSeconds),
        lastLoss: round(loss, 4),
      },
      inference: {
        batch: REFERENCE.inferenceBatch,
        firstBatchSeconds: round(firstInferenceSeconds, 2),
        batches: options.inferenceBatches,
        imagesPerSecond: round((options.inferenceBatches * REFERENCE.inferenceBatch) / inferenceSeconds),
        imagesPerCpuSecond: round((options.inferenceBatches * REFERENCE.inferenceBatch) / inferenceCpuSeconds),
      },
    };
  } catch (error) {
    return { backend, variant, error: (error as Error).message.split('\n')[0] };
  } finally {
    model.dispose();
  }
}

/** N workers each train the bn variant; the aggregate rate is what a multi-run experiment gets. */
async function parallel(backend: BackendRequest, options: Options): Promise<Record<string, unknown>> {
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: options.workers }, () => {
      const worker = new Worker(__filename, { workerData: { backend, options } });
      return new Promise<Record<string, unknown>>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }).finally(() => void worker.terminate());
    }),
  );
  const rates = results.map((r) => (r.train as { imagesPerSecond?: number } | undefined)?.imagesPerSecond ?? 0);
  return {
    backend,
    workers: options.workers,
    aggregateTrainImagesPerSecond: round(rates.reduce((a, b) => a + b, 0)),
    perWorker: rates,
    wallSeconds: round((performance.now() - started) / 1000, 2),
  };
}

async function main(): Promise<void> {
  tf.enableProdMode();
  if (!isMainThread) {
    const { backend, options } = workerData as { backend: BackendRequest; options: Options };
    parentPort!.postMessage(await benchOne(backend, 'bn', options));
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  const rows: Record<string, unknown>[] = [];
  for (const backend of options.backends) {
    for (const variant of options.variants) {
      try {
        rows.push(await benchOne(backend, variant, options));
      } catch (error) {
        rows.push({ backend, variant, error: (error as Error).message });
      }
    }
  }
  const parallelRows = [];
  if (options.workers > 1) for (const backend of options.backends) parallelRows.push(await parallel(backend, options));
  console.log(
    JSON.stringify(
      {
        benchmark: 'webgpu-throughput',
        model: REFERENCE,
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
        rows,
        ...(parallelRows.length > 0 ? { parallel: parallelRows } : {}),
      },
      null,
      2,
    ),
  );
}

void main();
