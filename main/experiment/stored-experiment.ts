import { removeCheckpoint } from '../engine/checkpoint';
import { writeExperimentOutput } from '../results/write';
import type { ExperimentFolder } from '../store/experiment-folder';
import type { ExperimentConfig } from './config';
import { experimentId, planRuns, startExperiment, type ExperimentEvents, type ExperimentOutput, type RunningExperiment } from './run-experiment';

export interface StoredOptions {
  cacheDir?: string;
  events?: ExperimentEvents;
  /** Keep each run's selected weights in TensorFlow.js format (default true). */
  keepWeights?: boolean;
}

export interface RunningStoredExperiment extends Omit<RunningExperiment, 'done'> {
  id: string;
  done: Promise<ExperimentOutput>;
}

/**
 * Runs an experiment inside its store folder: every epoch is logged and checkpointed as it
 * ends, every finished run is saved at once, and the results files are written at the end,
 * so a crash loses at most the epoch in progress.
 */
export function startStoredExperiment(folder: ExperimentFolder, config: ExperimentConfig, options: StoredOptions & { id?: string } = {}): RunningStoredExperiment {
  const id = options.id ?? experimentId();
  const record = folder.writeRecord({
    id,
    ...(config.name ? { name: config.name } : {}),
    createdAt: new Date().toISOString(),
    config,
    runs: planRuns(config).map((job) => ({ index: job.index, runId: job.runId })),
  });
  return launch(folder, record.config, { ...options, id, createdAt: record.createdAt, completed: new Map() });
}

/** Continues an interrupted experiment: finished runs are kept, unfinished ones go on from their last completed epoch. */
export function resumeStoredExperiment(folder: ExperimentFolder, options: StoredOptions = {}): RunningStoredExperiment {
  const status = folder.status();
  if (status === 'running') throw new Error(`Experiment ${folder.readRecord().id} is still running in process ${folder.readRecord().owner?.pid}; wait for it or stop it first.`);
  if (status === 'done') throw new Error(`Experiment ${folder.readRecord().id} has finished; there is nothing to resume.`);
  const record = folder.claim();
  return launch(folder, record.config, { ...options, id: record.id, createdAt: record.createdAt, completed: folder.readOutcomes(), fingerprint: record.datasetFingerprint });
}

function launch(
  folder: ExperimentFolder,
  config: ExperimentConfig,
  options: StoredOptions & { id: string; createdAt: string; completed: Map<number, import('../engine/types').RunOutcome>; fingerprint?: string },
): RunningStoredExperiment {
  const indexOf = new Map(planRuns(config).map((job) => [job.runId, job.index]));
  const events = options.events ?? {};
  const running = startExperiment(config, {
    id: options.id,
    createdAt: options.createdAt,
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    keepWeights: options.keepWeights ?? true,
    completed: options.completed,
    checkpointDir: (index) => folder.runDir(index),
    verifyDataset: (dataset) => {
      if (options.fingerprint && options.fingerprint !== dataset.fingerprint) {
        throw new Error(
          `The dataset in ${config.data} changed since experiment ${options.id} started (files added, removed or edited); resuming would mix results from different data. Start a new experiment instead.`,
        );
      }
      if (!options.fingerprint) {
        const record = folder.readRecord();
        folder.writeRecord({ ...record, datasetFingerprint: dataset.fingerprint });
      }
    },
    events: {
      ...events,
      onEpoch: (runId, record) => {
        const index = indexOf.get(runId);
        if (index !== undefined) folder.appendEpoch(index, record);
        events.onEpoch?.(runId, record);
      },
      onRunSettled: (settlement) => {
        if (settlement.status === 'done') {
          folder.saveOutcome(settlement.job.index, settlement.outcome);
          removeCheckpoint(folder.runDir(settlement.job.index));
        }
        events.onRunSettled?.(settlement);
      },
    },
  });
  const done = running.done
    .then((output) => {
      writeExperimentOutput(output, folder.dir);
      return output;
    })
    .finally(() => folder.release());
  return { id: options.id, cancel: running.cancel, done };
}
