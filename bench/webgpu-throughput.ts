import * as os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendInfo, type BackendRequest } from '../main/engine/backends/select-backend';
import { enableWebGpuTimestampQueries } from '../main/engine/backends/webgpu';
import { buildNetwork, disposeNetwork, forwardLogits } from '../main/engine/model';
import { buildReferenceCnn, REFERENCE } from './reference-cnn';

/**
 * Training and inference throughput of the reference CNN (bench/reference-cnn.ts) on the
 * 'webgpu' backend, next to the same loop on other backends, printed as JSON. Reports, asserts
 * nothing.
 *
 *   node dist/bench/webgpu-throughput.js [--backends webgpu,wasm] [--variants bn,plain]
 *        [--networks cnn,resnet20] [--batch N] [--profile]
 *        [--steps 5] [--warmup 2] [--inference-batches 3] [--workers N]
 *
 * Kept apart from bench/train-throughput.ts because that one times synchronous steps
 * (dataSync), which tfjs's webgpu backend cannot do in Node (its synchronous read-back needs
 * OffscreenCanvas). Here every step ends with an awaited read of the loss, so GPU time counts.
 * The first step is timed on its own: on a GPU it includes compiling every shader, which on a
 * software Vulkan driver (lavapipe) takes seconds.
 * --workers N  also trains N copies at once, one per worker thread, each with its own device.
 * --networks   the product's networks instead of the reference CNN's variants: 'cnn' (LossLab's
 *              default, 16/32/64 at 32 px, batch 64, Adam), 'resnet20' (CIFAR ResNet-20 at 32 px,
 *              batch 128, SGD with momentum as pytorch_reference.py trains it). MobileNet
 *              features at 224 px are bench/mobilenet.ts's.
 * --profile    one extra training step under tf.profile: each kernel's share of the step's
 *              kernel time (on WebGPU from timestamp queries, where the adapter has them).
 */

type NetworkId = 'reference-bn' | 'reference-plain' | 'cnn' | 'resnet20';
const NETWORKS: readonly NetworkId[] = ['reference-bn', 'reference-plain', 'cnn', 'resnet20'];

interface Options {
  backends: BackendRequest[];
  networks: NetworkId[];
  /** Training batch for every network, instead of each one's own. */
  batch: number | null;
  profile: boolean;
  steps: number;
  warmup: number;
  inferenceBatches: number;
  workers: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { backends: ['webgpu', 'wasm'], networks: ['reference-bn'], batch: null, profile: false, steps: 5, warmup: 2, inferenceBatches: 3, workers: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      return value;
    };
    if (arg === '--backends') options.backends = next().split(',') as BackendRequest[];
    else if (arg === '--variants') options.networks = next().split(',').map((v) => (v === 'plain' ? 'reference-plain' : 'reference-bn'));
    else if (arg === '--networks') options.networks = next().split(',').map(networkId);
    else if (arg === '--batch') options.batch = Math.max(1, Number(next()));
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--steps') options.steps = Math.max(1, Number(next()));
    else if (arg === '--warmup') options.warmup = Math.max(0, Number(next()));
    else if (arg === '--inference-batches') options.inferenceBatches = Math.max(1, Number(next()));
    else if (arg === '--workers') options.workers = Math.max(0, Number(next()));
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

function networkId(text: string): NetworkId {
  if (!(NETWORKS as readonly string[]).includes(text)) throw new Error(`--networks takes ${NETWORKS.join(', ')}; got ${text}`);
  return text as NetworkId;
}

/** A network to time, whatever builds it: the reference CNN (a tfjs-layers Sequential) or the product's Network. */
interface Subject {
  id: NetworkId;
  label: string;
  imageSize: number;
  trainBatch: number;
  /** As pytorch_reference.py trains the same network, so that ratios compare like with like. */
  optimizer: 'adam' | 'sgd-momentum';
  forward(images: tf.Tensor4D, training: boolean): tf.Tensor2D;
  variables(): tf.Variable[];
  dispose(): void;
}

const CLASSES = REFERENCE.classes;

function buildSubject(id: NetworkId, batch: number | null): Subject {
  if (id === 'reference-bn' || id === 'reference-plain') {
    const model = buildReferenceCnn({ batchNorm: id === 'reference-bn' });
    return {
      id,
      label: `reference CNN 32/64/128${id === 'reference-bn' ? ' with batch norm' : ''}, 32 px`,
      imageSize: REFERENCE.imageSize,
      trainBatch: batch ?? REFERENCE.trainBatch,
      optimizer: 'adam',
      forward: (images, training) => model.apply(images, { training }) as tf.Tensor2D,
      variables: () => model.trainableWeights.map((w) => w.read() as tf.Variable),
      dispose: () => model.dispose(),
    };
  }
  const spec = id === 'cnn' ? ({ family: 'cnn', width: 16, depth: 3 } as const) : ({ family: 'resnet', depth: 20, width: 16 } as const);
  const network = buildNetwork(spec, { imageSize: 32, channels: REFERENCE.channels }, CLASSES, 1);
  return {
    id,
    label: id === 'cnn' ? "LossLab's default CNN 16/32/64, 32 px" : 'ResNet-20 (CIFAR, width 16), 32 px',
    imageSize: 32,
    trainBatch: batch ?? (id === 'resnet20' ? 128 : 64),
    optimizer: id === 'resnet20' ? 'sgd-momentum' : 'adam',
    forward: (images, training) => forwardLogits(network, images, training),
    variables: () => [...network.features.trainableWeights, ...network.head.trainableWeights].map((w) => w.read() as tf.Variable),
    dispose: () => disposeNetwork(network),
  };
}

function randomBatch(batch: number, size: number, seed = 7): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  return tf.tidy(() => {
    const images = tf.randomUniform([batch, size, size, REFERENCE.channels], 0, 1, 'float32', seed) as tf.Tensor4D;
    const classes = tf.randomUniform([batch], 0, CLASSES, 'int32', seed + 1) as tf.Tensor1D;
    return { images, labels: tf.cast(tf.oneHot(classes, CLASSES), 'float32') as tf.Tensor2D };
  });
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

interface TrainStep {
  /** One step, ending in an awaited read of its loss, as LossLab's engine trains. */
  (images: tf.Tensor4D, labels: tf.Tensor2D): Promise<number>;
  /**
   * `steps` steps, each loss read while the next step is already queued (the read lags one
   * step), so the GPU never waits for JavaScript between steps; returns the last loss.
   */
  pipelined(images: tf.Tensor4D, labels: tf.Tensor2D, steps: number): Promise<number>;
  /** Milliseconds spent in JavaScript recording steps (optimizer.minimize returns before the GPU finishes). */
  dispatchMs: number;
}

/** The optimiser step pytorch_reference.py also takes (Adam, or SGD with momentum for ResNets). */
function makeAsyncTrainStep(subject: Subject): TrainStep {
  const optimizer = subject.optimizer === 'adam' ? tf.train.adam(1e-3) : tf.train.momentum(0.1, 0.9);
  const vars = subject.variables();
  const record = (images: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar => {
    const t0 = performance.now();
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, subject.forward(images, true)) as tf.Scalar, true, vars);
    step.dispatchMs += performance.now() - t0;
    if (!loss) throw new Error('optimizer.minimize returned no loss');
    return loss;
  };
  const read = async (loss: tf.Scalar): Promise<number> => {
    const value = (await loss.data())[0] as number;
    loss.dispose();
    return value;
  };
  const step = (async (images: tf.Tensor4D, labels: tf.Tensor2D) => read(record(images, labels))) as TrainStep;
  step.pipelined = async (images, labels, steps) => {
    let previous: Promise<number> | null = null;
    let value = NaN;
    for (let i = 0; i < steps; i++) {
      const current = read(record(images, labels));
      if (previous) value = await previous;
      previous = current;
    }
    return previous ? await previous : value;
  };
  step.dispatchMs = 0;
  return step;
}

async function predict(subject: Subject, images: tf.Tensor4D): Promise<void> {
  const logits = tf.tidy(() => subject.forward(images, false));
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

/** One training step under tf.profile: each kernel's total time and share, largest first. */
async function profileStep(step: () => Promise<number>): Promise<Record<string, unknown>> {
  const info = await tf.profile(async () => {
    await step();
  });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let unmeasured = 0;
  for (const kernel of info.kernels) {
    // Ops built with customGrad appear twice (as 'name__op' around their kernel); keep kernels.
    if (kernel.name.endsWith('__op')) continue;
    const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : NaN;
    if (!Number.isFinite(ms)) unmeasured++;
    const row = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
    row.ms += Number.isFinite(ms) ? ms : 0;
    row.calls++;
    byKernel.set(kernel.name, row);
  }
  const total = [...byKernel.values()].reduce((a, r) => a + r.ms, 0);
  return {
    stepKernelsMs: round(total, 2),
    ...(unmeasured > 0 || total === 0 ? { note: 'kernel times unavailable on this backend or adapter (WebGPU needs the timestamp-query feature)' } : {}),
    kernels: [...byKernel]
      .map(([kernel, r]) => ({ kernel, ms: round(r.ms, 2), share: total > 0 ? round(r.ms / total, 3) : null, calls: r.calls }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 15),
  };
}

async function benchOne(backend: BackendRequest, network: NetworkId, options: Options): Promise<Record<string, unknown>> {
  let info: BackendInfo | null = null;
  const setupSeconds = await timed(async () => {
    info = await selectBackend(backend);
  });
  const { name, notes } = info as unknown as BackendInfo;
  const subject = buildSubject(network, options.batch);
  try {
    const { images, labels } = randomBatch(subject.trainBatch, subject.imageSize);
    const step = makeAsyncTrainStep(subject);
    const firstStepSeconds = await timed(() => step(images, labels));
    for (let i = 1; i < options.warmup; i++) await step(images, labels);
    let loss = NaN;
    step.dispatchMs = 0;
    const trainCpu0 = cpuSecondsNow();
    const trainSeconds = await timed(async () => {
      for (let i = 0; i < options.steps; i++) loss = await step(images, labels);
    });
    const trainCpuSeconds = cpuSecondsNow() - trainCpu0;
    const dispatchMs = step.dispatchMs;
    const pipelinedSeconds = await timed(() => step.pipelined(images, labels, options.steps));
    const profile = options.profile ? await profileStep(() => step(images, labels)) : undefined;
    tf.dispose([images, labels]);

    const batch = randomBatch(REFERENCE.inferenceBatch, subject.imageSize, 11);
    const firstInferenceSeconds = await timed(() => predict(subject, batch.images));
    const inferenceCpu0 = cpuSecondsNow();
    const inferenceSeconds = await timed(async () => {
      for (let i = 0; i < options.inferenceBatches; i++) await predict(subject, batch.images);
    });
    const inferenceCpuSeconds = cpuSecondsNow() - inferenceCpu0;
    tf.dispose([batch.images, batch.labels]);
    return {
      backend: name,
      network,
      label: subject.label,
      optimizer: subject.optimizer,
      // Kept for older readers of this report (bench/run.ts's first versions keyed on it).
      ...(network.startsWith('reference-') ? { variant: network.slice('reference-'.length) } : {}),
      notes,
      selectSeconds: round(setupSeconds, 2),
      train: {
        batch: subject.trainBatch,
        firstStepSeconds: round(firstStepSeconds, 2),
        steps: options.steps,
        msPerStep: round((trainSeconds * 1000) / options.steps),
        imagesPerSecond: round((options.steps * subject.trainBatch) / trainSeconds),
        imagesPerCpuSecond: round((options.steps * subject.trainBatch) / trainCpuSeconds),
        // JavaScript's share of a step: recording kernels (tfjs's dispatch), not waiting for them.
        dispatchMsPerStep: round(dispatchMs / options.steps, 2),
        lastLoss: round(loss, 4),
      },
      trainPipelined: {
        note: "each step's loss read while the next step is already queued",
        msPerStep: round((pipelinedSeconds * 1000) / options.steps),
        imagesPerSecond: round((options.steps * subject.trainBatch) / pipelinedSeconds),
      },
      inference: {
        batch: REFERENCE.inferenceBatch,
        firstBatchSeconds: round(firstInferenceSeconds, 2),
        batches: options.inferenceBatches,
        imagesPerSecond: round((options.inferenceBatches * REFERENCE.inferenceBatch) / inferenceSeconds),
        imagesPerCpuSecond: round((options.inferenceBatches * REFERENCE.inferenceBatch) / inferenceCpuSeconds),
      },
      ...(profile ? { profile } : {}),
    };
  } catch (error) {
    return { backend, network, error: (error as Error).message.split('\n')[0] };
  } finally {
    subject.dispose();
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
    parentPort!.postMessage(await benchOne(backend, options.networks[0] ?? 'reference-bn', options));
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  // Kernel times on WebGPU need the device to have timestamp queries; asked for only here.
  if (options.profile) enableWebGpuTimestampQueries();
  const rows: Record<string, unknown>[] = [];
  for (const backend of options.backends) {
    for (const network of options.networks) {
      try {
        rows.push(await benchOne(backend, network, options));
      } catch (error) {
        rows.push({ backend, network, error: (error as Error).message });
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
