import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ParsedRequest, PlannedRun, Responses, RunningExperimentInfo, SweepSettingInfo } from '../api/contract';
import { serializeError } from '../api/errors';
import type { ExperimentConfig } from '../experiment/config';
import { experimentId, planRuns, type ExperimentEvents, type ExperimentOutput, type RunnerFactory } from '../experiment/run-experiment';
import { resumeStoredExperiment, startStoredExperiment, type RunningStoredExperiment } from '../experiment/stored-experiment';
import type { RunResult } from '../results/types';
import type { ExperimentStore } from '../store/experiment-store';
import type { FolderAccess } from './folder-access';
import { backboneRefusal, type QueueChoice } from './queue-choice';
import { isDownloadedSource } from '../engine/backbone/presets';
import { notOpenableMessage } from './dataset-service';
import { apiEvent, type Emit } from './types';

/** Batch events per run at most this often: a small model trains hundreds of batches a second, and a UI needs ~10 updates. */
const BATCH_EVENT_INTERVAL_MS = 100;

/** What the service needs of a running experiment: a stored one, or a sweep's setting. */
type ExperimentHandle = Pick<RunningStoredExperiment, 'cancel' | 'done'>;

interface Tracked {
  info: RunningExperimentInfo;
  handle: ExperimentHandle;
  /** Settles (never rejects) once results are written or the experiment failed. */
  finished: Promise<void>;
}

export interface ExperimentServiceOptions {
  access: FolderAccess;
  store: Pick<ExperimentStore, 'open'>;
  cacheDir: string | undefined;
  emit: Emit;
  /** Who trains the runs: queue workers while one is chosen (serve --redis, or the desktop's choice); local worker threads otherwise. */
  queue: QueueChoice;
}

function plannedRuns(config: ExperimentConfig): PlannedRun[] {
  return planRuns(config).map((job) => ({
    index: job.index,
    runId: job.runId,
    lossKey: job.runId.replace(/#seed\d+$/, ''),
    loss: job.lossId,
    seed: job.seed,
    ...(job.label ? { label: job.label } : {}),
  }));
}

export function createExperimentService({ access, store, cacheDir, emit, queue }: ExperimentServiceOptions) {
  const running = new Map<string, Tracked>();
  /** Read once per start or resume: the study keeps this runner whatever is chosen while it trains. */
  const launchOptions = (runner: RunnerFactory | undefined) => ({ ...(cacheDir !== undefined ? { cacheDir } : {}), ...(runner ? { runner } : {}) });

  async function requireReadable(folder: string | undefined): Promise<void> {
    if (folder !== undefined && (await access.openable(folder)) === null) throw new Error(await notOpenableMessage(folder, access));
  }

  function eventsFor(id: string, info: RunningExperimentInfo): ExperimentEvents {
    const runByRunId = new Map(info.runs.map((run) => [run.runId, run]));
    const lastBatchSent = new Map<string, number>();
    let lastFeatureSent = 0;
    return {
      onDatasetProgress: (progress) => emit(apiEvent('experiment.datasetProgress', { id, ...progress })),
      onFeatureProgress: (progress) => {
        // Throttled like batches; the first and the last always go.
        const now = Date.now();
        if (progress.done < progress.total && lastFeatureSent !== 0 && now - lastFeatureSent < BATCH_EVENT_INTERVAL_MS) return;
        lastFeatureSent = now;
        emit(apiEvent('experiment.featureProgress', { id, ...progress }));
      },
      onDatasetLoaded: (dataset, plan) =>
        emit(apiEvent('experiment.datasetLoaded', { id, classes: dataset.classes, ...plan.counts, headToTail: plan.headToTail })),
      onBackend: (backend) => emit(apiEvent('experiment.backend', { id, backend })),
      onRunStart: (job) => {
        const run = runByRunId.get(job.runId);
        if (run) run.status = 'running';
        emit(apiEvent('experiment.runStart', { id, index: job.index, runId: job.runId }));
      },
      onBatch: (progress) => {
        const run = runByRunId.get(progress.runId);
        if (!run) return;
        run.lastBatch = progress;
        const now = Date.now();
        const endOfEpoch = progress.batch >= progress.batches;
        if (!endOfEpoch && now - (lastBatchSent.get(progress.runId) ?? 0) < BATCH_EVENT_INTERVAL_MS) return;
        lastBatchSent.set(progress.runId, now);
        emit(apiEvent('experiment.batch', { id, index: run.index, ...progress }));
      },
      onEpoch: (runId, record) => {
        const run = runByRunId.get(runId);
        if (!run) return;
        run.epochs.push(record);
        emit(apiEvent('experiment.epoch', { id, index: run.index, runId, record }));
      },
      onWorkers: (workers) => {
        info.workers = workers;
        emit(apiEvent('experiment.workers', { id, workers }));
      },
      onRunSettled: (settlement) => {
        const run = runByRunId.get(settlement.job.runId);
        if (run) run.status = settlement.status;
        emit(apiEvent('experiment.runSettled', {
          id,
          index: settlement.job.index,
          runId: settlement.job.runId,
          status: settlement.status,
          ...(settlement.status === 'failed' ? { error: settlement.message } : {}),
        }));
      },
    };
  }

  /** The end of an experiment, announced; synchronous so that a sweep's next setting is announced after it. */
  function conclude(id: string, outcome: { output: ExperimentOutput } | { error: unknown }): void {
    running.delete(id);
    if ('error' in outcome) {
      emit(apiEvent('experiment.failed', { id, error: serializeError(outcome.error) }));
      return;
    }
    const runs: Record<RunResult['status'], number> = { done: 0, failed: 0, cancelled: 0 };
    for (const run of outcome.output.results.runs) runs[run.status]++;
    emit(apiEvent('experiment.done', { id, runs }));
  }

  async function finish(id: string, handle: ExperimentHandle): Promise<void> {
    // The stored experiment writes results.json and the other result files into its folder before this resolves.
    await handle.done.then(
      (output) => conclude(id, { output }),
      (error: unknown) => conclude(id, { error }),
    );
  }

  /** `finish` false: the caller announces the end itself (conclude), as a sweep does for its settings. */
  function track(id: string, config: ExperimentConfig, runs: PlannedRun[], finished: ReadonlySet<number> | null, launch: (events: ExperimentEvents) => ExperimentHandle, follow = true): void {
    const info: RunningExperimentInfo = {
      id,
      name: config.name ?? null,
      startedAt: new Date().toISOString(),
      config,
      runs: runs.map((run) => ({ ...run, status: finished?.has(run.index) ? 'done' : 'queued', lastBatch: null, epochs: [] })),
      workers: null,
    };
    // Launching throws synchronously for a bad configuration; training events start only after the dataset loads, so 'started' still comes first.
    const handle = launch(eventsFor(id, info));
    emit(apiEvent('experiment.started', { id, config, runs, resumed: finished !== null }));
    for (const run of runs) {
      if (finished?.has(run.index)) emit(apiEvent('experiment.runSettled', { id, index: run.index, runId: run.runId, status: 'done' }));
    }
    const tracked: Tracked = { info, handle, finished: Promise.resolve() };
    running.set(id, tracked);
    tracked.finished = follow ? finish(id, handle) : handle.done.then(() => undefined, () => undefined);
  }

  return {
    async start({ config }: ParsedRequest<'experiment.start'>): Promise<Responses['experiment.start']> {
      await requireReadable(config.data);
      await requireReadable(config.testData);
      const runner = queue.get()?.runner;
      // Refused before the backbone's file is looked for: where it is does not matter to a queue.
      if (runner && config.model.family === 'backbone') throw new Error(backboneRefusal(queue));
      // A backbone on disk is read like a dataset: only inside what the user chose (or --root).
      if (config.model.family === 'backbone' && !isDownloadedSource(config.model.source) && (await access.openable(config.model.source)) === null) {
        throw new Error(
          `LossLab cannot load the backbone ${config.model.source}: it is not inside a folder you opened${access.browseRoot !== null ? ` or below the folder this server shares (${access.browseRoot})` : ''}, or it does not exist. ${access.browseRoot !== null ? 'Pick it with "Browse server folders…"' : 'Choose its folder with "Choose folder…"'} on the Experiment screen.`,
        );
      }
      // Planning first validates every loss and its parameters, so a typo fails this call instead of a run later.
      const runs = plannedRuns(config);
      const id = experimentId();
      const folder = store.open(id);
      track(id, config, runs, null, (events) => startStoredExperiment(folder, config, { id, ...launchOptions(runner), events }));
      return { id, runs };
    },

    async resume({ id }: ParsedRequest<'experiment.resume'>): Promise<Responses['experiment.resume']> {
      if (running.has(id)) throw new Error(`Experiment ${id} is already running.`);
      const folder = store.open(id);
      if (!folder.exists()) throw new Error(`There is no experiment "${id}" in the store; it may have been deleted.`);
      const { config } = folder.readRecord();
      const runner = queue.get()?.runner;
      if (runner && config.model.family === 'backbone') throw new Error(backboneRefusal(queue, id));
      await requireReadable(config.data);
      await requireReadable(config.testData);
      const runs = plannedRuns(config);
      const finished = new Set(runs.filter((run) => existsSync(path.join(folder.runDir(run.index), 'outcome.json'))).map((run) => run.index));
      // resumeStoredExperiment refuses finished or still-running experiments with its own message, before anything starts.
      track(id, config, runs, finished, (events) => resumeStoredExperiment(folder, { ...launchOptions(runner), events }));
      return { id, runs };
    },

    async cancel({ id, runIndex }: ParsedRequest<'experiment.cancel'>): Promise<Responses['experiment.cancel']> {
      const tracked = running.get(id);
      if (!tracked) return { cancelled: false };
      if (runIndex !== undefined && !tracked.info.runs.some((run) => run.index === runIndex)) {
        throw new Error(`Experiment ${id} has no run ${runIndex}; its runs are numbered 0 to ${tracked.info.runs.length - 1}.`);
      }
      tracked.handle.cancel(runIndex);
      return { cancelled: true };
    },

    async running(_request: ParsedRequest<'experiments.running'>): Promise<Responses['experiments.running']> {
      return [...running.values()].map((tracked) => tracked.info);
    },

    /**
     * A setting of a sweep, which the sweep itself launches: announced and followed like any
     * experiment (the same 'experiment.*' events, cancel, experiments.running), so the Training
     * screen needs nothing sweep-specific to show it. `handle.done` must settle no later than
     * the sweep calls `settle`, which announces the end at once (before the next setting starts).
     */
    adopt(id: string, config: ExperimentConfig, handle: ExperimentHandle, sweep: SweepSettingInfo): { events: ExperimentEvents; settle: (outcome: { output: ExperimentOutput } | { error: unknown }) => void } {
      let events: ExperimentEvents = {};
      track(id, config, plannedRuns(config), null, (settingEvents) => {
        events = settingEvents;
        return handle;
      }, false);
      running.get(id)!.info.sweep = sweep;
      return { events, settle: (outcome) => conclude(id, outcome) };
    },

    isRunning(id: string): boolean {
      return running.has(id);
    },

    /** Resolves once the experiment's results are written (or it failed); immediately for unknown ids. */
    async settled(id: string): Promise<void> {
      await running.get(id)?.finished;
    },

    /** Cancels every experiment and waits for them to wind down (app quit, server close). */
    async shutdown(): Promise<void> {
      const all = [...running.values()];
      for (const tracked of all) tracked.handle.cancel();
      await Promise.all(all.map((tracked) => tracked.finished));
    },
  };
}

export type ExperimentService = ReturnType<typeof createExperimentService>;
