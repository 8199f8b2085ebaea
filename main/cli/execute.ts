import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig } from '../experiment/config';
import { experimentId, type ExperimentOutput } from '../experiment/run-experiment';
import { resumeStoredExperiment, startStoredExperiment, type RunningStoredExperiment } from '../experiment/stored-experiment';
import { ExperimentFolder } from '../store/experiment-folder';
import { ExperimentStore } from '../store/experiment-store';
import { defaultStoreRoot } from '../store/paths';
import { defaultCacheDir } from '../util/paths';
import { terminalProgress } from './progress';
import { formatSummaryTable } from './summary-table';
import { UsageError } from './options';
import os from 'node:os';
import type { BackendRequest } from '../engine/worker-protocol';
import type { RunnerFactory } from '../experiment/run-experiment';
import { redactRedisUrl } from '../queue/connection';
import { queueRunner, type DataTransport } from '../queue/queue-pool';
import { QueueWorker } from '../queue/queue-worker';

export interface ExecuteOptions {
  /** Output folder; defaults to <store>/<experiment id> under the user-data directory. */
  out?: string;
  cache: boolean;
  label?: string;
  /** Queue mode: the runs go to the workers serving this Redis (see `losslab worker`). */
  redis?: string;
  /** In queue mode, workers this process runs itself besides the remote ones (default none). */
  localWorkers?: number;
  /** In queue mode, how the data reaches the workers (default: they read the dataset themselves). */
  dataTransport?: DataTransport;
}

/** The queue-mode part of run's and resume's flags. */
export interface QueueFlags {
  redis?: string;
  workers?: number;
  publishData?: boolean;
  dataShare?: string;
}

export function queueOptionsFromFlags(flags: QueueFlags): Pick<ExecuteOptions, 'redis' | 'localWorkers' | 'dataTransport'> {
  const publish = flags.publishData === true || flags.dataShare !== undefined;
  if (!flags.redis) {
    if (publish) throw new UsageError('--publish-data and --data-share are for queue mode; add --redis URL');
    return {};
  }
  return {
    redis: flags.redis,
    // In queue mode this process trains nothing unless --workers asks it to.
    localWorkers: flags.workers ?? 0,
    ...(publish ? { dataTransport: { mode: 'publish' as const, ...(flags.dataShare ? { sharedFolder: path.resolve(flags.dataShare) } : {}) } } : {}),
  };
}

/** Who trains a study's runs: local worker threads, or queue workers (and optionally some in this process). */
export async function runnerOptions(options: Pick<ExecuteOptions, 'redis' | 'localWorkers' | 'cache' | 'dataTransport'>, backend: BackendRequest, log: (line: string) => void): Promise<{ runner?: RunnerFactory; stop: () => Promise<void> }> {
  if (!options.redis) return { stop: async () => undefined };
  const url = options.redis;
  log(`queue mode: runs go to the workers serving ${redactRedisUrl(url)}`);
  let worker: QueueWorker | null = null;
  if (options.localWorkers && options.localWorkers > 0) {
    worker = new QueueWorker({
      redisUrl: url,
      concurrency: options.localWorkers,
      backend,
      workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-worker-')),
      ...(options.cache ? { cacheDir: defaultCacheDir() } : {}),
      ...(options.dataTransport?.mode === 'publish' && options.dataTransport.sharedFolder ? { dataShare: options.dataTransport.sharedFolder } : {}),
      log,
    });
    await worker.start();
  }
  return { runner: queueRunner(url, log, options.dataTransport), stop: async () => void (await worker?.close()) };
}

/** An experiment folder named by id (in the store) or by path (any folder holding experiment.json). */
export function locateExperiment(idOrPath: string, storeRoot = defaultStoreRoot()): ExperimentFolder {
  if (fs.existsSync(path.join(idOrPath, 'experiment.json'))) return new ExperimentFolder(path.resolve(idOrPath));
  const folder = new ExperimentStore(storeRoot).open(idOrPath);
  if (!folder.exists()) throw new UsageError(`No experiment "${idOrPath}" in ${storeRoot}; \`losslab list\` shows the ones there.`);
  return folder;
}

/** Runs a new experiment with terminal progress, stored in its own folder. */
export async function executeExperiment(config: ExperimentConfig, options: ExecuteOptions): Promise<string> {
  const id = options.label ? `${options.label}-${experimentId()}` : experimentId();
  const dir = path.resolve(options.out ?? path.join(defaultStoreRoot(), id));
  if (fs.existsSync(path.join(dir, 'experiment.json'))) {
    throw new UsageError(`${dir} already holds an experiment; choose another --out folder, or continue it with \`losslab resume ${dir}\`.`);
  }
  if (options.redis && config.model.family === 'backbone') throw new UsageError('Studies on a pretrained backbone train locally only; leave out --redis');
  const progress = terminalProgress();
  const { runner, stop } = await runnerOptions(options, config.backend, stderrLine);
  try {
    return await follow(() => startStoredExperiment(new ExperimentFolder(dir), config, { id, ...cacheOption(options.cache), events: progress.events, ...(runner ? { runner } : {}) }), progress, dir);
  } finally {
    await stop();
  }
}

export async function resumeExperiment(folder: ExperimentFolder, cache: boolean, queue: Pick<ExecuteOptions, 'redis' | 'localWorkers' | 'dataTransport'> = {}): Promise<string> {
  const { config } = folder.readRecord();
  if (queue.redis && config.model.family === 'backbone') throw new UsageError('This study trains on a pretrained backbone, which trains locally only; resume it without --redis');
  const progress = terminalProgress();
  const { runner, stop } = await runnerOptions({ ...queue, cache }, config.backend, stderrLine);
  try {
    return await follow(() => resumeStoredExperiment(folder, { ...cacheOption(cache), events: progress.events, ...(runner ? { runner } : {}) }), progress, folder.dir);
  } finally {
    await stop();
  }
}

export function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function cacheOption(cache: boolean): { cacheDir?: string } {
  return cache ? { cacheDir: defaultCacheDir() } : {};
}

/**
 * Follows a running experiment to its end. Ctrl-C cancels the remaining runs and still writes
 * what finished (resume continues the rest); a second Ctrl-C quits at once.
 */
async function follow(start: () => RunningStoredExperiment, progress: ReturnType<typeof terminalProgress>, dir: string): Promise<string> {
  const experiment = start();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nCancelling the remaining runs; finished runs will still be written. Press Ctrl-C again to quit now.\n');
    experiment.cancel();
  };
  process.on('SIGINT', onInterrupt);
  try {
    const output: ExperimentOutput = await experiment.done;
    progress.stop();
    process.stdout.write(`\n${formatSummaryTable(output.results)}\n\n`);
    const failed = output.results.runs.filter((r) => r.status === 'failed');
    const cancelled = output.results.runs.filter((r) => r.status === 'cancelled');
    if (failed.length > 0) {
      process.stdout.write(`${failed.length} run(s) failed; see "error" in results.json.\n`);
      // The results are written, but a script must not mistake a study with failed runs for a finished one.
      process.exitCode = 1;
    }
    if (cancelled.length > 0) process.stdout.write(`${cancelled.length} run(s) were cancelled; \`losslab resume ${experiment.id}\` trains them.\n`);
    const results = path.join(dir, 'results.json');
    process.stdout.write(`Experiment ${experiment.id}\nResults written to ${results}\n`);
    return results;
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
  }
}
