import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExperimentConfig } from '../main/experiment/config';
import type { ExperimentEvents, ExperimentOutput } from '../main/experiment/run-experiment';
import { startExperiment, trainingData } from '../main/experiment/run-experiment';
import { startStoredExperiment } from '../main/experiment/stored-experiment';
import { ExperimentFolder } from '../main/store/experiment-folder';
import { inMemory } from '../main/dataset/pixel-file';

/**
 * The two sides of a whole-job benchmark (bench/whole-job.ts, bench/whole-job-resnet.ts): one
 * study through LossLab's engine, from the configuration to its results (decoding, split,
 * worker pool, training, validation every epoch, test logits; with `stored`, also the store's
 * epoch logs, checkpoints, saved runs and results files, as `losslab run` writes them), then the
 * very same split, network, recipe and runs in PyTorch (a python script built on
 * bench/whole_job_common.py), one run after another with as many threads as cores.
 */

export const CORES = os.availableParallelism?.() ?? os.cpus().length;

export interface WholeJobSide {
  /** The experiment; its data folder must exist. */
  config: ExperimentConfig;
  /** Run through the store (checkpoints, logs, results files) as the CLI does, or bare startExperiment. */
  stored: boolean;
  /** Scratch folder (removed by the caller). */
  workDir: string;
}

interface RunTimeline {
  runId: string;
  startedAt: number;
  settledAt: number;
  status: string;
  trainSeconds: number | null;
  epochSeconds: number;
}

export interface LossLabSide {
  engine: 'losslab';
  backend: string | null;
  workers: number;
  wholeJobSeconds: number;
  loadingSeconds: number;
  afterLoadingSeconds: number;
  /** Node's CPU time over the whole job, every worker thread included, and from the dataset loaded on. */
  cpuSeconds: number;
  cpuAfterLoadingSeconds: number;
  /**
   * Where the time after loading went (wall seconds): epochs (training steps and the validation
   * pass, summed over runs), restOfRun (each run's set-up, checkpoints, epoch logs, test logits
   * and saving, summed over runs), workerStart (loaded to the first run's start: worker threads
   * and their backends), idleCoreSeconds (worker time with no run, mostly the last runs' tail),
   * afterLastRun (the results files).
   */
  phases: { epochs: number; restOfRun: number; workerStart: number; idleCoreSeconds: number; afterLastRun: number };
  runs: { runId: string; status: string; start: number; end: number; trainSeconds: number | null }[];
  failed: number;
}

export type PyTorchSide = { trainingSeconds: number; processSeconds: number; cpuSeconds: number; trainingCpuSeconds: number; imagesTrained: number } | { error: string };

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Trains the job in LossLab, timing each phase; writes the split for PyTorch into workDir/job. */
export async function runLossLab(side: WholeJobSide): Promise<{ report: LossLabSide; output: ExperimentOutput; jobDir: string }> {
  const { config } = side;
  const jobDir = path.join(side.workDir, 'job');
  fs.mkdirSync(jobDir, { recursive: true });
  let loadedAt = 0;
  let cpuAtLoad = 0;
  const timeline = new Map<string, RunTimeline>();
  const events: ExperimentEvents = {
    onDatasetLoaded: (dataset, plan) => {
      loadedAt = performance.now();
      cpuAtLoad = cpuSeconds();
      // Hand PyTorch the very split and normalisation LossLab trains on.
      const data = trainingData(dataset, plan);
      fs.writeFileSync(path.join(jobDir, 'pixels.u8'), inMemory(dataset.pixels));
      fs.writeFileSync(
        path.join(jobDir, 'job.json'),
        JSON.stringify({
          imageSize: data.imageSize,
          channels: data.channels,
          numClasses: data.numClasses,
          labels: Array.from(data.labels),
          train: Array.from(data.train),
          val: Array.from(data.val),
          test: Array.from(data.test),
          trainCounts: data.trainCounts,
          channelMean: data.channelMean,
          channelStd: data.channelStd,
          runs: config.seeds.flatMap((seed) => config.losses.map((loss) => ({ loss: loss.id, seed }))),
          model: config.model,
          training: config.training,
        }),
      );
    },
    onRunStart: (job) => {
      timeline.set(job.runId, { runId: job.runId, startedAt: performance.now(), settledAt: 0, status: 'running', trainSeconds: null, epochSeconds: 0 });
    },
    onEpoch: (runId, record) => {
      const run = timeline.get(runId);
      if (run) run.epochSeconds += record.seconds;
    },
    onRunSettled: (settlement) => {
      const run = timeline.get(settlement.job.runId);
      if (!run) return;
      run.settledAt = performance.now();
      run.status = settlement.status;
      if (settlement.status === 'done') run.trainSeconds = settlement.outcome.trainSeconds;
    },
  };
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const output = side.stored
    ? await startStoredExperiment(new ExperimentFolder(path.join(side.workDir, 'experiment')), config, { cacheDir: path.join(side.workDir, 'cache'), events }).done
    : await startExperiment(config, { cacheDir: path.join(side.workDir, 'cache'), events }).done;
  const finished = performance.now();
  const cpuAfter = cpuSeconds();
  const workers = config.workers === 0 ? Math.min(CORES, timeline.size) : config.workers;
  const runs = [...timeline.values()];
  const busy = runs.reduce((sum, r) => sum + (r.settledAt - r.startedAt), 0) / 1000;
  const epochs = runs.reduce((sum, r) => sum + r.epochSeconds, 0);
  const lastSettled = Math.max(...runs.map((r) => r.settledAt));
  // Each worker's time from loading to its last run's end that no run was using.
  const perWorkerSpan = workers * ((lastSettled - loadedAt) / 1000);
  const report: LossLabSide = {
    engine: 'losslab',
    backend: output.results.backend?.name ?? null,
    workers,
    wholeJobSeconds: round((finished - started) / 1000),
    loadingSeconds: round((loadedAt - started) / 1000),
    afterLoadingSeconds: round((finished - loadedAt) / 1000),
    cpuSeconds: round(cpuAfter - cpuBefore),
    cpuAfterLoadingSeconds: round(cpuAfter - cpuAtLoad),
    phases: {
      epochs: round(epochs),
      restOfRun: round(busy - epochs),
      workerStart: round(Math.min(...runs.map((r) => r.startedAt - loadedAt)) / 1000),
      idleCoreSeconds: round(perWorkerSpan - busy),
      afterLastRun: round((finished - lastSettled) / 1000),
    },
    runs: runs.map((r) => ({
      runId: r.runId,
      status: r.status,
      start: round((r.startedAt - loadedAt) / 1000),
      end: round((r.settledAt - loadedAt) / 1000),
      trainSeconds: r.trainSeconds === null ? null : round(r.trainSeconds),
    })),
    failed: runs.filter((r) => r.status !== 'done').length,
  };
  return { report, output, jobDir };
}

/** Trains the job LossLab wrote into jobDir in PyTorch, with one thread per core unless told. */
export function runPyTorch(pythonScript: string, jobDir: string, threads = CORES): PyTorchSide {
  const script = path.resolve(__dirname, '../../bench', pythonScript);
  const run = spawnSync('/usr/bin/python3', [script, jobDir, '--threads', String(threads)], { encoding: 'utf8', timeout: 60 * 60_000 });
  if (run.status !== 0) return { error: (run.stderr || run.error?.message || '').trim().split('\n').slice(-3).join(' ') };
  return JSON.parse(run.stdout.trim()) as PyTorchSide;
}

export interface Ratio {
  wholeJob: number;
  training: number;
  cpu: number;
  trainingCpu: number;
  meaning: string;
}

/** PyTorch's time ÷ LossLab's: above 1, LossLab is faster. */
export function ratioOf(losslab: LossLabSide, pytorch: PyTorchSide): Ratio | null {
  if ('error' in pytorch) return null;
  return {
    wholeJob: round(pytorch.processSeconds / losslab.wholeJobSeconds, 3),
    training: round(pytorch.trainingSeconds / losslab.afterLoadingSeconds, 3),
    cpu: round(pytorch.cpuSeconds / losslab.cpuSeconds, 3),
    trainingCpu: round(pytorch.trainingCpuSeconds / losslab.cpuAfterLoadingSeconds, 3),
    meaning:
      "PyTorch's time ÷ LossLab's (above 1: LossLab is faster). wholeJob: LossLab from the configuration (decoding PNGs included) vs PyTorch's process (torch import and reading the prepared split included); training: after loading on both sides; cpu: CPU seconds of each process, trainingCpu: the same after loading (steadier than wall time on a shared machine, but inflated on both sides when another process shares the core)",
  };
}

export function machine(): { cpus: number; cpuModel: string | undefined; loadAverage: number[] } {
  return { cpus: CORES, cpuModel: os.cpus()[0]?.model, loadAverage: os.loadavg().map((l) => round(l)) };
}

/** `--name value` pairs into a record; unknown names are refused with the list of known ones. */
export function parseFlags<T extends Record<string, string>>(argv: string[], defaults: T): T {
  const options: Record<string, string> = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const name = (argv[i] ?? '').replace(/^--/, '');
    const value = argv[i + 1];
    if (!(name in defaults)) throw new Error(`unknown option ${argv[i]}; known: ${Object.keys(defaults).map((k) => `--${k}`).join(', ')}`);
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    options[name] = value;
  }
  return options as T;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
