import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseExperimentConfig } from '../main/experiment/config';
import { writeMnistFolder } from '../tests/fixtures/mnist-folder';
import { CORES, machine, parseFlags, ratioOf, round, runLossLab, runMain, runPyTorch } from './whole-job-common';

/**
 * Whole-job comparison for LossLab's CNN: a long-tailed study (losses × seeds) as `losslab run`
 * trains it — decoding, split, one worker per core, training, validation every epoch, epoch
 * logs and checkpoints, saved runs and results files — beside the very same split, network,
 * recipe and runs in PyTorch (bench/whole_job.py, one run after another with as many threads
 * as cores). bench/whole-job-common.ts runs both sides. Prints one JSON object per network with
 * both wall times, LossLab's per-phase breakdown and the ratio, then one line per network with
 * the ratio. Reports; asserts nothing.
 *
 *   node dist/bench/whole-job.js [--networks cnn32,default] [--per-class 600] [--epochs 10]
 *        [--seeds 1,2,3] [--losses ce,weighted-ce,balanced-softmax,focal] [--workers 0]
 *        [--torch-threads CORES]
 *
 * Networks: cnn32 is conv-BN-ReLU 32/64/128 at 28 px grayscale (the network of issue #14's
 * 0.69× measurement); default is LossLab's default network (widths 16/32/64) at 64 px.
 * Recipe: LossLab's defaults — batch 64, Adam lr 0.002, coupled weight decay 5e-4, cosine
 * schedule, no augmentation. Data: real MNIST digits (the `mnist` dev package), ten classes,
 * an exponential long tail of ratio 10 applied by LossLab's split.
 */

const NETWORKS = {
  cnn32: { label: 'conv-BN-ReLU 32/64/128, 28 px grayscale', imageSize: 28, model: { family: 'cnn', width: 32, depth: 3 } },
  default: { label: "LossLab's default network (conv-BN-ReLU 16/32/64), 64 px grayscale", imageSize: 64, model: { family: 'cnn', width: 16, depth: 3 } },
} as const;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    networks: 'cnn32,default',
    'per-class': '600',
    epochs: '10',
    seeds: '1,2,3',
    losses: 'ce,weighted-ce,balanced-softmax,focal',
    workers: '0',
    'torch-threads': String(CORES),
  });
  const names = flags.networks.split(',') as (keyof typeof NETWORKS)[];
  for (const name of names) if (!(name in NETWORKS)) throw new Error(`unknown network ${name}; known: ${Object.keys(NETWORKS).join(', ')}`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-whole-job-'));
  const lines: string[] = [];
  try {
    const dataDir = await writeMnistFolder(path.join(root, 'data'), { digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], perClass: Number(flags['per-class']), offset: 0 });
    for (const name of names) {
      const network = NETWORKS[name];
      const workDir = path.join(root, name);
      const config = parseExperimentConfig({
        name: `whole-job benchmark: ${network.label}`,
        data: dataDir,
        imageSize: network.imageSize,
        colorMode: 'grayscale',
        imbalance: { kind: 'exp', ratio: 10 },
        losses: flags.losses.split(',').map((id) => ({ id })),
        seeds: flags.seeds.split(',').map(Number),
        model: network.model,
        training: { epochs: Number(flags.epochs), batchSize: 64, optimizer: 'adam' },
        backend: 'wasm',
        workers: Number(flags.workers),
      });
      const { report: losslab } = await runLossLab({ config, stored: true, workDir });
      const pytorch = runPyTorch('whole_job.py', path.join(workDir, 'job'), Number(flags['torch-threads']));
      const ratio = ratioOf(losslab, pytorch);
      const runs = config.losses.length * config.seeds.length;
      const report = {
        benchmark: `whole job, ${network.label}: ${config.losses.length} losses × ${config.seeds.length} seeds × ${config.training.epochs} epochs (${runs} runs)`,
        data: `10 classes of real MNIST digits, ${flags['per-class']} per class before the split, exponential long tail ratio 10`,
        recipe: 'batch 64, Adam lr 0.002, weight decay 5e-4 (coupled), cosine schedule, no augmentation, validation every epoch, test logits at the end',
        machine: machine(),
        losslab,
        pytorch,
        ratio,
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      lines.push(
        ratio
          ? `${name}: LossLab ${losslab.wholeJobSeconds} s, PyTorch ${'processSeconds' in pytorch ? pytorch.processSeconds : '?'} s: ${ratio.wholeJob}× PyTorch on the whole job (training ${ratio.training}×, CPU time ${ratio.cpu}×)`
          : `${name}: LossLab ${losslab.wholeJobSeconds} s; PyTorch failed: ${'error' in pytorch ? pytorch.error : ''}`,
      );
      fs.rmSync(workDir, { recursive: true, force: true });
    }
    process.stdout.write(`${lines.join('\n')}\n(load average at the end: ${os.loadavg().map((l) => round(l)).join(', ')})\n`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

runMain(main);
