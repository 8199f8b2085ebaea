import path from 'node:path';
import type { ExperimentConfig } from '../experiment/config';
import { experimentId, startExperiment } from '../experiment/run-experiment';
import { writeExperimentOutput } from '../results/write';
import { defaultCacheDir } from '../util/paths';
import { terminalProgress } from './progress';
import { formatSummaryTable } from './summary-table';

export interface ExecuteOptions {
  /** Output folder; defaults to ./losslab-results/<experiment id>. */
  out?: string;
  cache: boolean;
  label?: string;
}

/**
 * Runs an experiment with terminal progress and writes its results. Ctrl-C cancels the
 * remaining runs and still writes what finished; a second Ctrl-C quits at once.
 */
export async function executeExperiment(config: ExperimentConfig, options: ExecuteOptions): Promise<string> {
  const id = experimentId();
  const out = path.resolve(options.out ?? path.join('losslab-results', options.label ? `${options.label}-${id}` : id));
  const progress = terminalProgress();
  const experiment = startExperiment(config, {
    id,
    ...(options.cache ? { cacheDir: defaultCacheDir() } : {}),
    events: progress.events,
  });
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nCancelling the remaining runs; finished runs will still be written. Press Ctrl-C again to quit now.\n');
    experiment.cancel();
  };
  process.on('SIGINT', onInterrupt);
  try {
    const output = await experiment.done;
    progress.stop();
    const files = writeExperimentOutput(output, out);
    process.stdout.write(`\n${formatSummaryTable(output.results)}\n\n`);
    const failed = output.results.runs.filter((r) => r.status === 'failed');
    if (failed.length > 0) process.stdout.write(`${failed.length} run(s) failed; see "error" in results.json.\n`);
    process.stdout.write(`Results written to ${files.results}\n`);
    return files.results;
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
  }
}
