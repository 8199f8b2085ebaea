import { removeCheckpoint } from '../engine/checkpoint';
import { writeExperimentOutput } from '../results/write';
import type { RunOutcome } from '../engine/types';
import type { ExperimentFolder } from '../store/experiment-folder';
import type { ExperimentConfig } from './config';
import { experimentId, planRuns, startExperiment, type ExperimentEvents, type ExperimentOutput, type RunnerFactory, type RunningExperiment } from './run-experiment';

export interface StoredOptions {
  cacheDir?: string;
  events?: ExperimentEvents;
  /** Keep each run's selected weights in TensorFlow.js format (default true). */
  keepWeights?: boolean;
  /** Who trains the runs (default: local worker threads). */
  runner?: RunnerFactory;
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
  const createdAt = new Date().toISOString();
  // Validates every loss before anything is written; the record itself is written only once
  // the dataset has loaded, so bad input leaves no folder behind.
  const runs = planRuns(config).map((job) => ({ index: job.index, runId: job.runId }));
  const create = (fingerprint: string) =>
    folder.writeRecord({ id, ...(config.name ? { name: config.name } : {}), createdAt, config, runs, datasetFingerprint: fingerprint });
  return launch(folder, config, { ...options, id, createdAt, completed: new Map(), create });
}

/** Continues an interrupted experiment: finished runs are kept, unfinished ones go on from their last completed epoch. */
export function resumeStoredExperiment(folder: ExperimentFolder, options: StoredOptions = {}): RunningStoredExperiment {
  const record = folder.claimExclusively((status) => {
    if (status === 'running') throw new Error(`Experiment ${folder.readRecord().id} is still running in process ${folder.readRecord().owner?.pid}; wait for it or stop it first.`);
    if (status === 'done') throw new Error(`Experiment ${folder.readRecord().id} has finished; there is nothing to resume.`);
    // Validate the stored configuration (losses may have changed since) before taking
    // ownership, so a refused resume leaves the experiment as it was.
    planRuns(folder.readRecord().config);
  });
  const fingerprint = record.datasetFingerprint;
  return launch(folder, record.config, {
    ...options,
    id: record.id,
    createdAt: record.createdAt,
    completed: folder.readOutcomes(),
    create: (found) => {
      if (fingerprint && fingerprint !== found) {
        throw new Error(
          `The dataset in ${record.config.data} changed since experiment ${record.id} started (files added, removed or edited); resuming would mix results from different data. Start a new experiment instead.`,
        );
      }
    },
  });
}

function launch(
  folder: ExperimentFolder,
  config: ExperimentConfig,
  options: StoredOptions & {
    id: string;
    createdAt: string;
    completed: Map<number, RunOutcome>;
    /** Called with the loaded dataset's fingerprint before training: writes or checks the record. */
    create: (fingerprint: string) => void;
  },
): RunningStoredExperiment {
  const indexOf = new Map(planRuns(config).map((job) => [job.runId, job.index]));
  const events = options.events ?? {};
  const running = startExperiment(config, {
    id: options.id,
    createdAt: options.createdAt,
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    keepWeights: options.keepWeights ?? true,
    ...(options.runner ? { runner: options.runner } : {}),
    completed: options.completed,
    checkpointDir: (index) => folder.runDir(index),
    verifyDataset: (dataset) => options.create(dataset.fingerprint),
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
    .finally(() => {
      if (folder.exists()) folder.release();
    });
  return { id: options.id, cancel: running.cancel, done };
}
