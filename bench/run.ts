import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { findTorchPython, noTorchReason } from './python';

/**
 * `npm run bench -- --backends webgpu[,wasm]`: only the GPU-path figures — per network
 * (LossLab's default CNN, ResNet-20), training and inference images/s and each kernel's share
 * of a training step, from webgpu-throughput.ts; MobileNet v1/v2 features at 224 px from
 * mobilenet.ts; beside them PyTorch on CUDA with the ratio, where /usr/bin/python3 has CUDA torch. Steps default to few (a software Vulkan driver takes seconds per step); further
 * options (--steps, --warmup, --inference-batches, --batch, --networks) go to webgpu-throughput.
 *
 * `npm run bench`: every benchmark in one JSON report — training and inference throughput of
 * the reference CNN per backend (one run, and all cores in parallel; WebGPU separately), sharp decode throughput
 * (cold and cached), memory (50,000 images held; growth over a 20-epoch run), and, where /usr/bin/python3 has torch, the same network trained by
 * PyTorch in the same run with the ratio LossLab ÷ PyTorch. Networks: the reference CNN (plain and with batch norm), LossLab's
 * default CNN, and the CIFAR ResNet-20 and ResNet-32 (batch 64, 32 px RGB, SGD with momentum). Benchmarks report; they assert nothing.
 * The whole-job comparison for ResNet-32 is a separate script (bench/whole-job-resnet.ts): it takes minutes.
 */

function runJson(command: string, args: string[], timeoutMs: number): unknown {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
  if (result.status !== 0) return { error: (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n').slice(-3).join(' ') };
  const text = result.stdout.trim();
  // Some scripts print one JSON object per line; take them all.
  try {
    return JSON.parse(text);
  } catch {
    return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as unknown);
  }
}

type Parallel = { variant: string; aggregateImagesPerSecond?: number };
type Single = { variant: string; backend: string; train?: { imagesPerSecond?: number; imagesPerCpuSecond?: number } };
type Torch = { variant: string; threads: number; trainImagesPerSecond: number; trainImagesPerCpuSecond?: number };

/** Every network the training benchmark and PyTorch both train (bench/train-throughput.ts, bench/pytorch_reference.py). */
const VARIANTS = ['plain', 'bn', 'app', 'resnet20', 'resnet32'];

/**
 * Options (for a quicker partial report): --variants a,b limits the networks trained;
 * --training-only leaves out WebGPU, decode and memory.
 */
function parseArgs(argv: string[]): { variants: string[]; trainingOnly: boolean } {
  const options = { variants: VARIANTS, trainingOnly: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--variants') options.variants = (argv[++i] ?? '').split(',').filter((v) => VARIANTS.includes(v));
    else if (argv[i] === '--training-only') options.trainingOnly = true;
    else throw new Error(`unknown option ${argv[i]}: use --variants ${VARIANTS.join(',')} and/or --training-only`);
  }
  return options;
}

/** Networks of the GPU bench and the PyTorch variant and batch that match each. */
const GPU_NETWORKS = [
  { network: 'cnn', torchVariant: 'app', batch: 64 },
  { network: 'resnet20', torchVariant: 'resnet20', batch: 128 },
] as const;

/** Takes `--name VALUE` out of `args` (which keeps the rest) and returns VALUE. */
function takeOption(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  return args.splice(at, 2)[1];
}

function backendsOnly(backends: string, rest: string[]): void {
  const here = __dirname;
  // MobileNet's image count is bench/mobilenet.ts's; every other option is webgpu-throughput's.
  const mobilenetImages = takeOption(rest, '--mobilenet-images') ?? '32';
  const defaults = ['--networks', GPU_NETWORKS.map((n) => n.network).join(','), '--steps', '3', '--warmup', '1', '--inference-batches', '2', '--profile'];
  // Later options win in webgpu-throughput's parser, so the caller's come after the defaults.
  const throughput = runJson(process.execPath, [path.join(here, 'webgpu-throughput.js'), '--backends', backends, ...defaults, ...rest], 60 * 60_000) as { rows?: Array<Record<string, unknown>> };
  // Each part also goes to stderr as it finishes: a run cut short (a time limit on a lent GPU box) keeps what it measured.
  process.stderr.write(`${JSON.stringify({ part: 'throughput', throughput })}\n`);
  // Few images: on a software Vulkan driver one 224 px batch takes tens of seconds.
  const mobilenet = runJson(process.execPath, [path.join(here, 'mobilenet.js'), '--backends', backends, '--images', mobilenetImages, '--batch', '16'], 60 * 60_000);
  process.stderr.write(`${JSON.stringify({ part: 'mobilenet', mobilenet })}\n`);
  const report: Record<string, unknown> = { machine: { cpus: os.availableParallelism?.() ?? os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version }, throughput, mobilenet };
  const python = findTorchPython({ cuda: true });
  const script = path.resolve(here, '../../bench/pytorch_reference.py');
  if (python) {
    const torch = GPU_NETWORKS.filter((n) => n.torchVariant !== null).map((n) => ({
      network: n.network,
      ...(runJson(python, [script, '--device', 'cuda', '--variant', n.torchVariant!, '--batch', String(n.batch), '--seconds', '5'], 5 * 60_000) as Record<string, unknown>),
    }));
    report.pytorchCuda = torch;
    report.ratios = (throughput.rows ?? [])
      .filter((row) => row.train !== undefined)
      .map((row) => {
        const t = torch.find((p) => p.network === row.network) as { trainImagesPerSecond?: number; inferenceImagesPerSecond?: number } | undefined;
        const ours = row as { backend: string; network: string; train: { imagesPerSecond: number }; trainPipelined?: { imagesPerSecond: number }; inference: { imagesPerSecond: number } };
        return {
          backend: ours.backend,
          network: ours.network,
          train: t?.trainImagesPerSecond ? Number((ours.train.imagesPerSecond / t.trainImagesPerSecond).toFixed(3)) : null,
          trainPipelined: t?.trainImagesPerSecond && ours.trainPipelined ? Number((ours.trainPipelined.imagesPerSecond / t.trainImagesPerSecond).toFixed(3)) : null,
          inference: t?.inferenceImagesPerSecond ? Number((ours.inference.imagesPerSecond / t.inferenceImagesPerSecond).toFixed(3)) : null,
          meaning: 'LossLab images/s ÷ PyTorch CUDA images/s, same network, batch and optimiser, same machine',
        };
      });
  } else {
    report.pytorchCuda = { skipped: noTorchReason({ cuda: true }) };
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--backends');
  if (at >= 0) {
    const backends = args[at + 1];
    if (!backends) throw new Error('--backends needs a value, e.g. --backends webgpu');
    backendsOnly(backends, [...args.slice(0, at), ...args.slice(at + 2)]);
    return;
  }
  const here = __dirname;
  const { variants, trainingOnly } = parseArgs(process.argv.slice(2));
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const report: Record<string, unknown> = {
    machine: { cpus: cores, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverage: os.loadavg() },
  };
  report.training = runJson(process.execPath, [path.join(here, 'train-throughput.js'), '--workers', String(cores), '--variants', variants.join(',')], 20 * 60_000);
  if (!trainingOnly) {
    // WebGPU in its own script: its steps end with awaited reads (see webgpu-throughput.ts).
    report.webgpu = runJson(process.execPath, [path.join(here, 'webgpu-throughput.js'), '--backends', 'webgpu', '--variants', 'bn'], 20 * 60_000);
    report.decode = runJson(process.execPath, [path.join(here, 'decode-throughput.js')], 10 * 60_000);
    report.memory = runJson(process.execPath, ['--expose-gc', path.join(here, 'memory.js')], 10 * 60_000);
    // Pretrained-backbone studies: MobileNet features at 224 px (PyTorch beside them) and a head on cached features.
    report.mobilenet = runJson(process.execPath, [path.join(here, 'mobilenet.js')], 20 * 60_000);
  }

  const python = findTorchPython();
  const script = path.resolve(here, '../../bench/pytorch_reference.py');
  if (python) {
    const torch: unknown[] = [];
    for (const variant of variants) {
      for (const threads of [1, cores]) torch.push(runJson(python, [script, '--variant', variant, '--threads', String(threads)], 5 * 60_000));
    }
    report.pytorch = torch;
    const training = report.training as { results?: Single[]; parallel?: Parallel[] };
    const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b ? Number((a / b).toFixed(3)) : null);
    report.ratios = variants.map((variant) => {
      const single = training.results?.find((r) => r.variant === variant && r.backend !== 'cpu')?.train;
      const parallel = training.parallel?.find((r) => r.variant === variant)?.aggregateImagesPerSecond ?? null;
      const torchOne = (torch as Torch[]).find((t) => t.variant === variant && t.threads === 1);
      const torchAll = (torch as Torch[]).find((t) => t.variant === variant && t.threads === cores)?.trainImagesPerSecond ?? null;
      return {
        variant,
        oneCore: ratio(single?.imagesPerSecond, torchOne?.trainImagesPerSecond),
        // The same from CPU time (one worker vs one thread): steadier when other processes share the machine.
        oneCoreCpuTime: ratio(single?.imagesPerCpuSecond, torchOne?.trainImagesPerCpuSecond),
        allCores: ratio(parallel, torchAll),
        meaning: 'LossLab training images/s ÷ PyTorch training images/s, same network, batch and optimiser',
      };
    });
  } else {
    report.pytorch = { skipped: noTorchReason() };
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main();
