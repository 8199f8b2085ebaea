import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm run bench`: every benchmark in one JSON report — training and inference throughput of
 * the reference CNN per backend (one run, and all cores in parallel; WebGPU separately), sharp decode throughput
 * (cold and cached), memory (50,000 images held; growth over a 20-epoch run), and, where /usr/bin/python3 has torch, the same network trained by
 * PyTorch in the same run with the ratio LossLab ÷ PyTorch. Benchmarks report; they assert nothing.
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

function hasTorch(python: string): boolean {
  return spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

type Parallel = { variant: string; aggregateImagesPerSecond?: number };
type Single = { variant: string; backend: string; train?: { imagesPerSecond?: number } };
type Torch = { variant: string; threads: number; trainImagesPerSecond: number };

function main(): void {
  const here = __dirname;
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const report: Record<string, unknown> = {
    machine: { cpus: cores, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverage: os.loadavg() },
  };
  report.training = runJson(process.execPath, [path.join(here, 'train-throughput.js'), '--workers', String(cores)], 20 * 60_000);
  // WebGPU in its own script: its steps end with awaited reads (see webgpu-throughput.ts).
  report.webgpu = runJson(process.execPath, [path.join(here, 'webgpu-throughput.js'), '--backends', 'webgpu', '--variants', 'bn'], 20 * 60_000);
  report.decode = runJson(process.execPath, [path.join(here, 'decode-throughput.js')], 10 * 60_000);
  report.memory = runJson(process.execPath, ['--expose-gc', path.join(here, 'memory.js')], 10 * 60_000);

  const python = '/usr/bin/python3';
  const script = path.resolve(here, '../../bench/pytorch_reference.py');
  if (hasTorch(python)) {
    const torch: unknown[] = [];
    for (const variant of ['plain', 'bn', 'app']) {
      for (const threads of [1, cores]) torch.push(runJson(python, [script, '--variant', variant, '--threads', String(threads)], 5 * 60_000));
    }
    report.pytorch = torch;
    const training = report.training as { results?: Single[]; parallel?: Parallel[] };
    report.ratios = ['plain', 'bn', 'app'].map((variant) => {
      const single = training.results?.find((r) => r.variant === variant && r.backend !== 'cpu')?.train?.imagesPerSecond ?? null;
      const parallel = training.parallel?.find((r) => r.variant === variant)?.aggregateImagesPerSecond ?? null;
      const torchOne = (torch as Torch[]).find((t) => t.variant === variant && t.threads === 1)?.trainImagesPerSecond ?? null;
      const torchAll = (torch as Torch[]).find((t) => t.variant === variant && t.threads === cores)?.trainImagesPerSecond ?? null;
      return {
        variant,
        oneCore: single !== null && torchOne ? Number((single / torchOne).toFixed(3)) : null,
        allCores: parallel !== null && torchAll ? Number((parallel / torchAll).toFixed(3)) : null,
        meaning: 'LossLab training images/s ÷ PyTorch training images/s, same network, batch and optimiser',
      };
    });
  } else {
    report.pytorch = { skipped: `${python} with torch not found (Debian: apt-get install python3-torch)` };
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main();
