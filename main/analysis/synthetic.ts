import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { EpochRecord } from '../engine/types';
import { parseExperimentConfig } from '../experiment/config';
import { lossKeyOf, planRuns, type ExperimentOutput } from '../experiment/run-experiment';
import { resolveLossParams } from '../losses/registry';
import { computeMetrics } from '../metrics/classification';
import { summarizeRuns } from '../results/summarize';
import { RESULTS_FORMAT_VERSION, type RunResult } from '../results/types';
import { writeExperimentOutput } from '../results/write';
import { ExperimentFolder } from '../store/experiment-folder';
import { createRng, deriveSeed, type Rng } from '../util/random';
import { softmaxRows } from '../util/softmax';
import { softwareVersions } from '../util/versions';

/**
 * A synthetic but valid experiment folder, written through the real writers (results.json,
 * logits.json, predictions.csv, metrics.csv, experiment.json): for report tests and the
 * report benchmark, which must not spend minutes training. Logits are drawn so that each
 * loss has its own skill per class, the tail is harder, and seeds differ a little.
 */

export interface SyntheticOptions {
  /** Loss ids with optional parameters; default five common losses. */
  losses?: { id: string; params?: Record<string, number> }[];
  seeds?: number[];
  classes?: number;
  /** Training images of the head class; the tail gets headCount / ratio. */
  headCount?: number;
  ratio?: number;
  testPerClass?: number;
  valPerClass?: number;
  epochs?: number;
  /** Write a small PNG per test image under <dir>/dataset so thumbnails can be embedded. */
  images?: boolean;
  seed?: number;
}

export const DEFAULT_SYNTHETIC_LOSSES: { id: string; params?: Record<string, number> }[] = [{ id: 'ce' }, { id: 'focal' }, { id: 'weighted-ce' }, { id: 'balanced-softmax' }, { id: 'label-smoothing' }];

function gaussian(rng: Rng): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Writes the folder and returns its path (`dir`). */
export async function writeSyntheticExperiment(dir: string, options: SyntheticOptions = {}): Promise<string> {
  const C = options.classes ?? 10;
  const losses = options.losses ?? DEFAULT_SYNTHETIC_LOSSES;
  const seeds = options.seeds ?? [1, 2, 3];
  const head = options.headCount ?? 400;
  const ratio = options.ratio ?? 50;
  const testPer = options.testPerClass ?? 50;
  const valPer = options.valPerClass ?? 10;
  const epochs = options.epochs ?? 8;
  const base = options.seed ?? 0;
  const classes = Array.from({ length: C }, (_, c) => `class-${String(c).padStart(2, '0')}`);
  const dataRoot = path.join(dir, 'dataset');
  fs.mkdirSync(dir, { recursive: true });

  const train = classes.map((_, c) => Math.max(1, Math.round(head * ratio ** (-c / Math.max(1, C - 1)))));
  const items = (per: number, prefix: string) => classes.flatMap((name, c) => Array.from({ length: per }, (_, i) => ({ file: `${name}/${prefix}-${i}.png`, classIndex: c })));
  const testItems = items(testPer, 'test');
  const valItems = items(valPer, 'val');

  const config = parseExperimentConfig({
    name: 'Synthetic comparison',
    data: dataRoot,
    imageSize: 16,
    imbalance: { kind: 'exp', ratio },
    losses: losses.map((l) => ({ id: l.id, params: l.params ?? {} })),
    seeds,
    model: { width: 4, depth: 1 },
    training: { epochs },
    backend: 'wasm',
  });
  const jobs = planRuns(config);
  const logits: ExperimentOutput['logits'] = new Map();
  const runs: RunResult[] = jobs.map((job) => {
    const lossIndex = losses.findIndex((l) => lossKeyOf(l.id, l.params ?? {}) === job.runId.replace(/#seed\d+$/, ''));
    const rng = createRng(deriveSeed(base + job.seed, `synthetic:${job.runId}`));
    // Skill per class falls towards the tail (higher index); a prior bias towards the head, as
    // training on imbalanced data leaves it, shrinks for later losses (so post-hoc adjustment
    // helps the first losses most).
    const skill = classes.map((_, c) => 3 - (1.2 * c) / Math.max(1, C - 1) + 0.15 * gaussian(rng));
    const total = train.reduce((a, b) => a + b, 0);
    const bias = train.map((n) => Math.max(0, 1 - 0.25 * lossIndex) * Math.log(n / total));
    const draw = (list: { classIndex: number }[]) => {
      const out = new Float32Array(list.length * C);
      list.forEach((item, i) => {
        for (let k = 0; k < C; k++) out[i * C + k] = 1.1 * gaussian(rng) + (k === item.classIndex ? skill[k]! : 0) + bias[k]!;
      });
      return out;
    };
    const test = draw(testItems);
    const testLast = draw(testItems);
    const val = draw(valItems);
    logits.set(job.runId, { test, testLast, val });
    const labels = testItems.map((t) => t.classIndex);
    const metrics = computeMetrics({ labels, probs: softmaxRows(test, C), classNames: classes, trainCounts: train });
    const metricsLast = computeMetrics({ labels, probs: softmaxRows(testLast, C), classNames: classes, trainCounts: train });
    const history: EpochRecord[] = Array.from({ length: epochs }, (_, e) => ({
      epoch: e,
      stage: 'train',
      trainLoss: 2.2 * Math.exp(-e / 3) + 0.2 + 0.03 * gaussian(rng),
      valAccuracy: Math.min(1, 0.3 + 0.5 * (1 - Math.exp(-e / 2)) + 0.02 * gaussian(rng)),
      valBalancedAccuracy: Math.min(1, 0.25 + 0.45 * (1 - Math.exp(-e / 2)) + 0.02 * gaussian(rng)),
      learningRate: 0.002 * 0.5 * (1 + Math.cos((Math.PI * e) / epochs)),
      seconds: 1.5,
      numTensors: 40,
    }));
    return {
      runId: job.runId,
      lossKey: job.runId.replace(/#seed\d+$/, ''),
      loss: job.lossId,
      params: resolveLossParams(job.lossId, job.params),
      seed: job.seed,
      status: 'done',
      protocol: 'end-to-end',
      metrics,
      metricsLast,
      confusion: metrics.confusion,
      bestEpoch: epochs - 2,
      history,
      trainSeconds: 1.5 * epochs,
      imagesPerSecond: 1200,
    };
  });

  const output: ExperimentOutput = {
    results: {
      formatVersion: RESULTS_FORMAT_VERSION,
      id: path.basename(dir),
      createdAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:10:00.000Z',
      classes,
      dataset: {
        root: dataRoot,
        fingerprint: 'synthetic',
        imageSize: 16,
        channels: 1,
        counts: {
          found: classes.map(() => head + testPer + valPer),
          poolBeforeImbalance: classes.map(() => head),
          train,
          val: classes.map(() => valPer),
          test: classes.map(() => testPer),
        },
        imbalance: { kind: 'exp', ratio },
        headToTail: classes.map((_, c) => c),
        imbalanceRatio: Math.max(...train) / Math.min(...train),
        skipped: [],
      },
      config,
      backend: { name: 'wasm', requested: 'wasm', package: '@tensorflow/tfjs-backend-wasm', version: '4.22.0', notes: ['synthetic results'] },
      versions: softwareVersions(),
      runs,
      summary: summarizeRuns(runs),
      testItems,
    },
    logits,
    valItems,
  };
  const folder = new ExperimentFolder(dir);
  folder.writeRecord({ id: output.results.id, createdAt: output.results.createdAt, config, runs: jobs.map((j) => ({ index: j.index, runId: j.runId })) }, false);
  writeExperimentOutput(output, dir);
  if (options.images) await writeTestImages(dataRoot, testItems);
  return dir;
}

/** A 16×16 grey square per test image whose brightness encodes its index, so thumbnails differ. */
async function writeTestImages(root: string, testItems: { file: string }[]): Promise<void> {
  for (const [i, item] of testItems.entries()) {
    const file = path.join(root, item.file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const pixels = Buffer.alloc(16 * 16, (i * 37) % 256);
    for (let k = 0; k < 16; k++) pixels[k * 16 + k] = 255 - pixels[0]!;
    await sharp(pixels, { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(file);
  }
}
