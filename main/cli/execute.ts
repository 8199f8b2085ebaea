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

export interface ExecuteOptions {
  /** Output folder; defaults to <store>/<experiment id> under the user-data directory. */
  out?: string;
  cache: boolean;
  label?: string;
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
  const progress = terminalProgress();
  return follow(() => startStoredExperiment(new ExperimentFolder(dir), config, { id, ...cacheOption(options.cache), events: progress.events }), progress, dir);
}

export async function resumeExperiment(folder: ExperimentFolder, cache: boolean): Promise<string> {
  const progress = terminalProgress();
  return follow(() => resumeStoredExperiment(folder, { ...cacheOption(cache), events: progress.events }), progress, folder.dir);
}

function cacheOption(cache: boolean): { cacheDir?: string } {
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
    if (failed.length > 0) process.stdout.write(`${failed.length} run(s) failed; see "error" in results.json.\n`);
    if (cancelled.length > 0) process.stdout.write(`${cancelled.length} run(s) were cancelled; \`losslab resume ${experiment.id}\` trains them.\n`);
    const results = path.join(dir, 'results.json');
    process.stdout.write(`Experiment ${experiment.id}\nResults written to ${results}\n`);
    return results;
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
  }
}
