import * as os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { listBackends, selectBackend, type BackendRequest } from '../main/engine/backends/select-backend';
import type * as tfl from '@tensorflow/tfjs-layers';
import { modelSchema } from '../main/experiment/config';
import { buildNetwork, exportableModel } from '../main/engine/model';
import { APP_DEFAULT_FILTERS, buildReferenceCnn, makeTrainStep, predictBatch, REFERENCE, syntheticBatch, type BenchOptimizer } from './reference-cnn';

/**
 * Training and inference throughput of the reference CNN (bench/reference-cnn.ts) on each
 * available TensorFlow.js backend, printed as JSON. It reports numbers and asserts nothing.
 *
 *   node dist/bench/train-throughput.js [--backends wasm,cpu] [--variants plain,bn,app,resnet20,resnet32]
 *        [--steps 10] [--warmup 3] [--workers N] [--profile] [--cpu-train]
 *
 * Variants: 'plain' is the ENVIRONMENT.md reference (conv+bias+ReLU blocks), 'bn' the same
 * widths with the product's block (conv, batch norm, ReLU), 'app' LossLab's default network
 * (those blocks at widths 16/32/64), 'resnet20'/'resnet32' LossLab's CIFAR ResNets (main/engine/resnet.ts,
 * width 16, with the product's dense head; SGD with momentum instead of Adam). All run by default.
 * --workers N  also trains N copies at once, one per worker thread (wasm has no threads in
 *              Node, so several trainings in parallel are how a machine's cores get used).
 * --profile    breaks one training step down by kernel, with tf.profile (wall time) and with
 *              process CPU time (steadier when other processes share the machine).
 * --cpu-train  also times training on the pure-JS cpu backend (minutes per step).
 *
 * Besides wall-clock rates every measurement reports a rate computed from this process's CPU
 * time: on a busy machine wall time counts other processes' turns, CPU time does not.
 */

interface Options {
  backends: string[] | null;
  steps: number;
  warmup: number;
  inferenceBatches: number;
  workers: number;
  profile: boolean;
  variants: Variant[];
  cpuTrain: boolean;
}

const VARIANTS = ['plain', 'bn', 'app', 'resnet20', 'resnet32'] as const;
type Variant = (typeof VARIANTS)[number];

const VARIANT_LAYERS: Record<Variant, string> = {
  plain: 'conv32-ReLU-pool-conv64-ReLU-pool-conv128-ReLU-GAP-dense10',
  bn: 'conv32-BN-ReLU-pool-conv64-BN-ReLU-pool-conv128-BN-ReLU-GAP-dense10',
  app: 'conv16-BN-ReLU-pool-conv32-BN-ReLU-pool-conv64-BN-ReLU-GAP-dense10 (LossLab default network)',
  resnet20: "LossLab's CIFAR ResNet-20 (width 16, option-A shortcuts, main/engine/resnet.ts) + dense10; SGD momentum 0.9, lr 0.1",
  resnet32: "LossLab's CIFAR ResNet-32 (width 16, option-A shortcuts, main/engine/resnet.ts) + dense10; SGD momentum 0.9, lr 0.1",
};

/** The ResNets train with SGD and momentum, as the CIFAR recipe (and PyTorch's side of the comparison) does; the CNNs with Adam. */
function optimizerOf(variant: Variant): BenchOptimizer {
  return variant.startsWith('resnet') ? 'sgd' : 'adam';
}

function buildVariant(variant: Variant): tfl.LayersModel {
  if (variant === 'resnet20' || variant === 'resnet32') {
    // The product's network (features and head), as one model; the same layers trainRun trains.
    const spec = modelSchema.parse({ family: 'resnet', depth: variant === 'resnet20' ? 20 : 32, width: 16 });
    return exportableModel(buildNetwork(spec, { imageSize: REFERENCE.imageSize, channels: REFERENCE.channels }, REFERENCE.classes, 1));
  }
  if (variant === 'app') return buildReferenceCnn({ batchNorm: true, filters: APP_DEFAULT_FILTERS });
  return buildReferenceCnn({ batchNorm: variant === 'bn' });
}

interface Rate {
  images: number;
  wallSeconds: number;
  cpuSeconds: number;
  imagesPerSecond: number;
  /** images / CPU seconds of this process (all its threads). */
  imagesPerCpuSecond: number;
  /** Highest resident memory of the whole process seen between calls. */
  peakRssMB: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { backends: null, steps: 10, warmup: 3, inferenceBatches: 10, workers: 0, profile: false, variants: [...VARIANTS], cpuTrain: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      return value;
    };
    if (arg === '--backends') options.backends = next().split(',');
    else if (arg === '--steps') options.steps = Math.max(1, Number(next()));
    else if (arg === '--warmup') options.warmup = Math.max(0, Number(next()));
    else if (arg === '--inference-batches') options.inferenceBatches = Math.max(1, Number(next()));
    else if (arg === '--workers') options.workers = Math.max(0, Number(next()));
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--variants') options.variants = next().split(',').map(parseVariant);
    else if (arg === '--cpu-train') options.cpuTrain = true;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

function parseVariant(name: string): Variant {
  const found = VARIANTS.find((v) => v === name);
  if (found) return found;
  throw new Error(`unknown variant ${name}: use ${VARIANTS.join(', ')}`);
}

function cpuSecondsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs `fn` `count` times and reports its rate, `imagesPerCall` images each time. */
function measure(count: number, imagesPerCall: number, fn: () => void): Rate {
  const cpu0 = cpuSecondsNow();
  const t0 = performance.now();
  let peakRss = process.memoryUsage.rss();
  for (let i = 0; i < count; i++) {
    fn();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsNow() - cpu0;
  const images = count * imagesPerCall;
  return {
    images,
    wallSeconds: round(wallSeconds, 3),
    cpuSeconds: round(cpuSeconds, 3),
    imagesPerSecond: round(images / wallSeconds, 1),
    imagesPerCpuSecond: round(images / cpuSeconds, 1),
    peakRssMB: round(peakRss / 2 ** 20, 1),
  };
}

/** Samples the process's resident memory every 50 ms until stopped; returns the peak in MB. */
function rssSampler(): () => number {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  return () => {
    clearInterval(timer);
    return round(Math.max(peak, process.memoryUsage.rss()) / 2 ** 20, 1);
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function benchBackend(name: string, variant: Variant, options: Options): Promise<Record<string, unknown>> {
  const info = await selectBackend(name as BackendRequest);
  const model = buildVariant(variant);
  const result: Record<string, unknown> = { variant, backend: info.name, package: info.package, version: info.version, notes: info.notes };
  try {
    const train = syntheticBatch(REFERENCE.trainBatch);
    const step = makeTrainStep(model, optimizerOf(variant));
    if (name === 'cpu' && !options.cpuTrain) {
      result.train = { skipped: 'minutes per training step on the cpu backend (2 to 10 measured); pass --cpu-train to measure it' };
    } else {
      // The cpu backend needs no JIT warm-up worth two minutes; one small batch suffices.
      const warmup = name === 'cpu' ? 0 : options.warmup;
      if (name === 'cpu') tf.tidy(() => { const b = syntheticBatch(4); makeTrainStep(model, optimizerOf(variant))(b.images, b.labels); });
      for (let i = 0; i < warmup; i++) step(train.images, train.labels);
      let loss = NaN;
      const steps = name === 'cpu' ? 1 : options.steps;
      const rate = measure(steps, REFERENCE.trainBatch, () => {
        loss = step(train.images, train.labels);
      });
      result.train = { batch: REFERENCE.trainBatch, warmupSteps: warmup, steps, msPerStep: round((rate.wallSeconds * 1000) / steps, 1), lastLoss: round(loss, 4), ...rate };
    }
    tf.dispose([train.images, train.labels]);

    if (name === 'cpu' && variant.startsWith('resnet')) {
      // A ResNet's inference batch takes minutes in pure JavaScript too; nothing to learn from it.
      result.inference = { skipped: 'ResNet inference on the cpu backend takes minutes per batch' };
      if (options.profile) result.profile = { skipped: 'no profile on the cpu backend' };
      return result;
    }
    const batch = syntheticBatch(REFERENCE.inferenceBatch, 11);
    predictBatch(model, batch.images);
    const inferenceBatches = name === 'cpu' ? Math.min(2, options.inferenceBatches) : options.inferenceBatches;
    const rate = measure(inferenceBatches, REFERENCE.inferenceBatch, () => predictBatch(model, batch.images));
    result.inference = { batch: REFERENCE.inferenceBatch, batches: inferenceBatches, ...rate };
    tf.dispose([batch.images, batch.labels]);

    if (options.profile && name !== 'cpu') result.profile = await profileStep(model, optimizerOf(variant), options);
  } finally {
    model.dispose();
  }
  return result;
}

interface KernelRow {
  kernel: string;
  ms: number;
  share: number;
  calls: number;
}

/** One training step, by kernel: tf.profile's wall times and, separately, CPU times. */
async function profileStep(model: tfl.LayersModel, optimizer: BenchOptimizer, options: Options): Promise<Record<string, unknown>> {
  const { images, labels } = syntheticBatch(REFERENCE.trainBatch);
  const step = makeTrainStep(model, optimizer);
  for (let i = 0; i < Math.max(2, options.warmup); i++) step(images, labels);

  const info = await tf.profile(() => {
    step(images, labels);
  });
  // Ops built with customGrad appear twice (as 'name__op' around their kernel); keep kernels.
  const wall = aggregate(info.kernels.filter((k) => !k.name.endsWith('__op')).map((k) => ({ name: k.name, ms: k.kernelTimeMs as number })));

  const cpu = cpuTimeByKernel(() => step(images, labels), 3);
  tf.dispose([images, labels]);
  return {
    tfProfileWallMs: { stepKernelsMs: round(sum(wall), 1), kernels: wall },
    cpuTimeMs: cpu,
  };
}

function aggregate(entries: Array<{ name: string; ms: number }>): KernelRow[] {
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const e of entries) {
    const row = byName.get(e.name) ?? { ms: 0, calls: 0 };
    row.ms += e.ms;
    row.calls++;
    byName.set(e.name, row);
  }
  const total = [...byName.values()].reduce((a, r) => a + r.ms, 0);
  return [...byName]
    .map(([kernel, r]) => ({ kernel, ms: round(r.ms, 2), share: round(r.ms / total, 3), calls: r.calls }))
    .sort((a, b) => b.ms - a.ms);
}

function sum(rows: KernelRow[]): number {
  return rows.reduce((a, r) => a + r.ms, 0);
}

/**
 * Wraps every kernel of the active backend to charge it the process CPU time it used, for
 * `repeats` steps. Kernels called from inside other kernels (LossLab's wasm kernels run
 * wasm's Conv2D, BatchMatMul...) are charged to the outer kernel only.
 */
function cpuTimeByKernel(step: () => void, repeats: number): Record<string, unknown> {
  const backendName = tf.getBackend();
  const originals = tf.getKernelsForBackend(backendName);
  const spent = new Map<string, { ms: number; calls: number }>();
  let depth = 0;
  for (const config of originals) {
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (depth > 0) return config.kernelFunc(args);
        depth++;
        const t0 = cpuSecondsNow();
        try {
          return config.kernelFunc(args);
        } finally {
          depth--;
          const row = spent.get(config.kernelName) ?? { ms: 0, calls: 0 };
          row.ms += (cpuSecondsNow() - t0) * 1000;
          row.calls++;
          spent.set(config.kernelName, row);
        }
      },
    });
  }
  let stepMs = 0;
  try {
    const t0 = cpuSecondsNow();
    for (let i = 0; i < repeats; i++) step();
    stepMs = ((cpuSecondsNow() - t0) * 1000) / repeats;
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(config);
    }
  }
  const kernels = [...spent]
    .map(([kernel, r]) => ({ kernel, ms: round(r.ms / repeats, 2), share: round(r.ms / repeats / stepMs, 3), calls: r.calls / repeats }))
    .sort((a, b) => b.ms - a.ms);
  const inKernels = kernels.reduce((a, r) => a + r.ms, 0);
  return { stepMs: round(stepMs, 1), inKernelsMs: round(inKernels, 1), outsideKernelsMs: round(stepMs - inKernels, 1), kernels };
}

// ---------------------------------------------------------------- parallel training

interface WorkerJob {
  backend: string;
  variant: Variant;
  steps: number;
  warmup: number;
}

type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'done'; startMs: number; endMs: number; images: number; cpuSeconds: number }
  | { type: 'error'; message: string };

/** Clock shared by all threads of the process (performance.now() is per thread). */
function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

async function workerMain(job: WorkerJob): Promise<void> {
  const port = parentPort;
  if (!port) return;
  try {
    const info = await selectBackend(job.backend as BackendRequest);
    const model = buildVariant(job.variant);
    const { images, labels } = syntheticBatch(REFERENCE.trainBatch);
    const step = makeTrainStep(model, optimizerOf(job.variant));
    for (let i = 0; i < job.warmup; i++) step(images, labels);
    // Start together: wait for the main thread's go once every worker is warm.
    await new Promise<void>((resolve) => {
      port.once('message', () => resolve());
      port.postMessage({ type: 'ready', backend: info.name } satisfies FromWorker);
    });
    const startMs = epochMs();
    const cpu0 = threadCpuSeconds();
    for (let i = 0; i < job.steps; i++) step(images, labels);
    const endMs = epochMs();
    port.postMessage({ type: 'done', startMs, endMs, images: job.steps * REFERENCE.trainBatch, cpuSeconds: threadCpuSeconds() - cpu0 } satisfies FromWorker);
  } catch (error) {
    port.postMessage({ type: 'error', message: (error as Error).message } satisfies FromWorker);
  }
}

/** This thread's CPU time where Node offers it (process.threadCpuUsage, Node 23.9+), else the process's. */
function threadCpuSeconds(): number {
  const perThread = (process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  const u = perThread ? perThread() : process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function benchParallel(backend: string, variant: Variant, workers: number, options: Options): Promise<Record<string, unknown>> {
  const job: WorkerJob = { backend, variant, steps: options.steps, warmup: options.warmup };
  const threads = Array.from({ length: workers }, () => new Worker(__filename, { workerData: job }));
  const cpu0 = cpuSecondsNow();
  try {
    const ready = threads.map((w) => nextMessage(w));
    const readyMessages = await Promise.all(ready);
    for (const m of readyMessages) if (m.type === 'error') throw new Error(`worker failed: ${m.message}`);
    const cpuAtGo = cpuSecondsNow();
    const done = threads.map((w) => nextMessage(w));
    const stopSampling = rssSampler();
    for (const w of threads) w.postMessage('go');
    const results = await Promise.all(done);
    const peakRssMB = stopSampling();
    const cpuSeconds = cpuSecondsNow() - cpuAtGo;
    const finished = results.map((m) => {
      if (m.type !== 'done') throw new Error(`worker failed: ${m.type === 'error' ? m.message : m.type}`);
      return m;
    });
    const start = Math.min(...finished.map((m) => m.startMs));
    const end = Math.max(...finished.map((m) => m.endMs));
    const images = finished.reduce((a, m) => a + m.images, 0);
    return {
      variant,
      backend,
      workers,
      stepsPerWorker: options.steps,
      batch: REFERENCE.trainBatch,
      wallSeconds: round((end - start) / 1000, 3),
      aggregateImagesPerSecond: round(images / ((end - start) / 1000), 1),
      aggregateImagesPerCpuSecond: round(images / cpuSeconds, 1),
      perWorkerImagesPerSecond: finished.map((m) => round(m.images / ((m.endMs - m.startMs) / 1000), 1)),
      setupCpuSeconds: round(cpuAtGo - cpu0, 2),
      peakRssMB,
    };
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}

function nextMessage(worker: Worker): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker): void => {
      worker.off('error', onError);
      resolve(m);
    };
    const onError = (e: Error): void => {
      worker.off('message', onMessage);
      reject(e);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const available = await listBackends();
  // tfjs's webgpu backend cannot read synchronously in Node (its readSync needs
  // OffscreenCanvas), and these loops time synchronous steps: bench/webgpu-throughput.ts
  // measures it with awaited reads instead.
  const chosen = (options.backends ?? available.filter((b) => b.available).map((b) => b.name)).filter((b) => b !== 'webgpu');
  const report: Record<string, unknown> = {
    benchmark: 'reference CNN training/inference throughput',
    model: {
      variants: Object.fromEntries(options.variants.map((v) => [v, VARIANT_LAYERS[v]])),
      input: [REFERENCE.imageSize, REFERENCE.imageSize, REFERENCE.channels],
      optimizer: Object.fromEntries(options.variants.map((v) => [v, optimizerOf(v) === 'adam' ? 'adam 1e-3' : 'sgd lr 0.1 momentum 0.9'])),
      trainBatch: REFERENCE.trainBatch,
      inferenceBatch: REFERENCE.inferenceBatch,
    },
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverageAtStart: os.loadavg().map((l) => round(l, 2)) },
    available,
  };
  const results: Record<string, unknown>[] = [];
  for (const variant of options.variants) {
    for (const name of chosen) {
      try {
        results.push(await benchBackend(name, variant, options));
      } catch (error) {
        results.push({ variant, backend: name, error: (error as Error).message });
      }
    }
  }
  report.results = results;
  if (options.workers > 0) {
    // Parallel training matters for the fastest single-threaded backend available.
    const backend = chosen.find((b) => b !== 'cpu') ?? chosen[0];
    const parallel: Record<string, unknown>[] = [];
    for (const variant of options.variants) {
      try {
        parallel.push(await benchParallel(backend, variant, options.workers, options));
      } catch (error) {
        parallel.push({ variant, backend, workers: options.workers, error: (error as Error).message });
      }
    }
    report.parallel = parallel;
  }
  (report.machine as Record<string, unknown>).loadAverageAtEnd = os.loadavg().map((l) => round(l, 2));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

if (isMainThread) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
} else {
  void workerMain(workerData as WorkerJob);
}
