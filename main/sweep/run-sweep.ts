import os from 'node:os';
import { loadDataset } from '../dataset/load';
import { releasePixels } from '../dataset/pixel-file';
import type { LoadedDataset } from '../dataset/types';
import type { ExperimentConfig } from '../experiment/config';
import { experimentId, type ExperimentEvents, type ExperimentOutput, type RunnerFactory } from '../experiment/run-experiment';
import { resumeStoredExperiment, startStoredExperiment, type RunningStoredExperiment } from '../experiment/stored-experiment';
import { DurationEstimator, type DurationEstimate, type SettingWork } from './estimate';
import { SweepFolder, type SweepRecord } from './folder';
import { planSweep, SweepError, type SweepPlan, type SweepSetting } from './plan';
import { checkSweepSplits, type SettingSplit } from './preflight';

/**
 * Trains a sweep: one stored experiment per setting, one setting after another, each exactly
 * the experiment a single-setting study would be. Before anything is written, the plan is
 * checked (losses, values, the run guard) and the data is split for every setting (same test
 * set, no empty class). An interrupted sweep resumes setting by setting: finished settings are
 * kept, an interrupted one resumes its unfinished runs, the rest start.
 */

export interface SweepEvents {
  /** The plan, checked against the data, before the first run starts. */
  onPlan?: (plan: SweepPlan, splits: SettingSplit[]) => void;
  onSettingStart?: (setting: SweepSetting, resumed: boolean) => void;
  onSettingDone?: (setting: SweepSetting, output: ExperimentOutput) => void;
  /** The remaining time, after every epoch and every finished run. */
  onEstimate?: (estimate: DurationEstimate) => void;
  /** Events of the setting's experiment (dataset, runs, epochs). */
  experiment?: ExperimentEvents;
}

export interface SweepOptions {
  cacheDir?: string;
  events?: SweepEvents;
  runner?: RunnerFactory;
  keepWeights?: boolean;
  /** Seconds per image-epoch measured by earlier experiments here, for an estimate before the first epoch. */
  pastSecondsPerImageEpoch?: number | null;
  /** Trains a sweep of more than MAX_SWEEP_RUNS_UNCONFIRMED runs (`--yes`). */
  confirmed?: boolean;
  id?: string;
}

export interface SweepOutcome {
  id: string;
  dir: string;
  /** Per setting, its output; null where the sweep was cancelled before or during the setting. */
  outputs: (ExperimentOutput | null)[];
  cancelled: boolean;
}

export interface RunningSweep {
  id: string;
  cancel(): void;
  done: Promise<SweepOutcome>;
}

/** The dataset as every setting will load it (a backbone takes RGB), for the checks before training: its items, not its pixels. */
async function loadForChecks(config: ExperimentConfig, cacheDir: string | undefined): Promise<LoadedDataset> {
  const dataset = await loadDataset({
    root: config.data,
    ...(config.testData ? { testRoot: config.testData } : {}),
    imageSize: config.imageSize,
    resize: config.resize,
    colorMode: config.model.family === 'backbone' && config.colorMode === 'auto' ? 'rgb' : config.colorMode,
    ...(cacheDir ? { cacheDir } : {}),
  });
  releasePixels(dataset.pixels);
  return { ...dataset, pixels: new Uint8Array(0) };
}

export function workOf(plan: SweepPlan, splits: SettingSplit[]): SettingWork[] {
  return plan.settings.map((s, k) => {
    const workers = s.config.workers > 0 ? s.config.workers : os.availableParallelism();
    return { runs: s.runs, trainImages: splits[k]!.trainImages, epochs: s.config.training.epochs, parallel: Math.min(workers, s.runs) };
  });
}

export function startSweep(folder: SweepFolder, config: ExperimentConfig, options: SweepOptions = {}): RunningSweep {
  // Refused here, synchronously, before anything is loaded or written.
  const plan = planSweep(config, { confirmed: options.confirmed ?? false });
  if (folder.exists()) throw new SweepError(`${folder.dir} already holds a sweep; continue it with \`losslab resume ${folder.dir}\`, or choose another folder.`);
  const id = options.id ?? experimentId();
  return drive(folder, plan, options, id, async () => {
    folder.write({ id, createdAt: new Date().toISOString(), config, plan });
  });
}

export function resumeSweep(folder: SweepFolder, options: Omit<SweepOptions, 'confirmed' | 'id'> = {}): RunningSweep {
  const record: SweepRecord = folder.read();
  // Confirmed when it was started; the plan is rebuilt from the stored configuration.
  const plan = planSweep(record.config, { confirmed: true });
  return drive(folder, plan, options, record.id, async () => undefined);
}

function drive(folder: SweepFolder, plan: SweepPlan, options: SweepOptions, id: string, create: () => Promise<void>): RunningSweep {
  const events = options.events ?? {};
  let cancelled = false;
  let current: RunningStoredExperiment | null = null;
  const done = (async (): Promise<SweepOutcome> => {
    const first = plan.settings[0]!.config;
    const splits = checkSweepSplits(await loadForChecks(first, options.cacheDir), plan);
    await create();
    events.onPlan?.(plan, splits);
    const estimator = new DurationEstimator(workOf(plan, splits), options.pastSecondsPerImageEpoch ?? null);
    events.onEstimate?.(estimator.estimate());
    const outputs: (ExperimentOutput | null)[] = [];
    for (const setting of plan.settings) {
      if (cancelled) {
        outputs.push(null);
        continue;
      }
      const experiment = folder.setting(setting.slug);
      const status = experiment.exists() ? experiment.status() : null;
      if (status === 'done') {
        for (let k = 0; k < setting.runs; k++) estimator.observeRun(setting.index, null);
        events.onEstimate?.(estimator.estimate());
        outputs.push(null);
        continue;
      }
      if (status !== null) for (let k = 0; k < experiment.finishedRunCount(); k++) estimator.observeRun(setting.index, null);
      events.onSettingStart?.(setting, status !== null);
      const runEvents = settingEvents(events, estimator, setting.index);
      const settingOptions = {
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
        ...(options.runner ? { runner: options.runner } : {}),
        ...(options.keepWeights !== undefined ? { keepWeights: options.keepWeights } : {}),
        events: runEvents,
      };
      current = status !== null ? resumeStoredExperiment(experiment, settingOptions) : startStoredExperiment(experiment, setting.config, { ...settingOptions, id: `${id}-${setting.slug}` });
      const output = await current.done;
      current = null;
      outputs.push(output);
      events.onSettingDone?.(setting, output);
    }
    return { id, dir: folder.dir, outputs, cancelled };
  })();
  return {
    id,
    cancel() {
      cancelled = true;
      current?.cancel();
    },
    done,
  };
}

/** The setting's experiment events, with every epoch and finished run fed to the estimate. */
function settingEvents(events: SweepEvents, estimator: DurationEstimator, setting: number): ExperimentEvents {
  const inner = events.experiment ?? {};
  return {
    ...inner,
    onEpoch: (runId, record) => {
      if (record.stage === 'train') {
        estimator.observeEpoch(setting, record.seconds);
        events.onEstimate?.(estimator.estimate());
      }
      inner.onEpoch?.(runId, record);
    },
    onRunSettled: (settlement) => {
      if (settlement.status === 'done') {
        estimator.observeRun(setting, settlement.outcome.trainSeconds);
        events.onEstimate?.(estimator.estimate());
      }
      inner.onRunSettled?.(settlement);
    },
  };
}
