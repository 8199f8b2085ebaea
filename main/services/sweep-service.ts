import path from 'node:path';
import type { ParsedRequest, Responses } from '../api/contract';
import { serializeError } from '../api/errors';
import type { ExperimentConfig } from '../experiment/config';
import { experimentId, type ExperimentOutput } from '../experiment/run-experiment';
import { defaultSweepReportPath, writeSweepReport } from '../report/sweep';
import { listSweeps, SweepFolder } from '../sweep/folder';
import { loadSweep } from '../sweep/load';
import { pastThroughput } from '../sweep/past-throughput';
import { planSweep } from '../sweep/plan';
import { sweepPlanView } from '../sweep/plan-view';
import { startSweep, type RunningSweep, type SweepEvents } from '../sweep/run-sweep';
import { notOpenableMessage } from './dataset-service';
import type { ExperimentService } from './experiment-service';
import type { FolderAccess } from './folder-access';
import { backboneRefusal, type QueueChoice } from './queue-choice';
import { apiEvent, type Emit } from './types';

export interface SweepServiceOptions {
  access: FolderAccess;
  storeRoot: string;
  cacheDir: string | undefined;
  emit: Emit;
  /** Follows each setting as an ordinary experiment (its events, cancel, experiments.running). */
  experiments: Pick<ExperimentService, 'adopt'>;
  /** Who trains the runs, read when a sweep starts: every setting of that sweep goes there. */
  queue: QueueChoice;
}

/** The setting the sweep is training, as the experiment service follows it. */
interface CurrentSetting {
  resolve: (output: ExperimentOutput) => void;
  reject: (error: unknown) => void;
  settle: (outcome: { output: ExperimentOutput } | { error: unknown }) => void;
}

/**
 * `sweep.plan`: the run count and estimated duration of a configuration, before it starts.
 * `sweep.start`: the app's `losslab run` of a sweep. It trains in the background through
 * main/sweep/run-sweep.ts, in a sweep folder of the store (where the CLI puts one too), and each
 * setting is adopted by the experiment service, so the Training screen follows it like any
 * experiment; 'sweep.progress' says which setting is next.
 */
export function createSweepService({ access, storeRoot, cacheDir, emit, experiments, queue }: SweepServiceOptions) {
  const running = new Map<string, RunningSweep>();

  async function requireReadable(config: ExperimentConfig): Promise<void> {
    for (const folder of [config.data, config.testData]) {
      if (folder !== undefined && (await access.openable(folder)) === null) throw new Error(await notOpenableMessage(folder, access));
    }
  }

  /** Reads the finished sweep back: its plain-words summary, and the HTML report written beside it. */
  async function conclude(dir: string): Promise<{ summary: string[]; report: string | null }> {
    let loaded;
    try {
      loaded = loadSweep(dir);
    } catch {
      // No setting finished (cancelled in the first one): nothing to summarise yet.
      return { summary: [], report: null };
    }
    try {
      const report = defaultSweepReportPath(dir, 'html');
      await writeSweepReport(loaded, 'html', report);
      return { summary: loaded.sweep.summary, report };
    } catch {
      // The summary still stands without its report; `losslab report DIR` writes it again.
      return { summary: loaded.sweep.summary, report: null };
    }
  }

  async function plan({ config }: ParsedRequest<'sweep.plan'>): Promise<Responses['sweep.plan']> {
    await requireReadable(config);
    return sweepPlanView(config, { storeRoot, ...(cacheDir !== undefined ? { cacheDir } : {}) });
  }

  return {
    plan,

    async start({ config, confirmed }: ParsedRequest<'sweep.start'>): Promise<Responses['sweep.start']> {
      if (!config.sweep) throw new Error('This configuration has a single setting; start it as an experiment ("Start experiment"), not as a sweep.');
      const runner = queue.get()?.runner;
      if (runner && config.model.family === 'backbone') throw new Error(backboneRefusal(queue));
      // The run guard first (no dataset needed), then everything `sweep.plan` checks against the data
      // (a class left without training images): all refused here, before the sweep folder exists.
      planSweep(config, { confirmed });
      const view = await plan({ config });
      const id = experimentId();
      const dir = path.join(storeRoot, id);
      const past = pastThroughput(storeRoot, config);
      let current: CurrentSetting | null = null;
      const events: SweepEvents = {
        onSettingStart: (setting) => {
          const settingId = `${id}-${setting.slug}`;
          const info = { id, setting: setting.index, settings: view.settings.length, label: setting.label, rho: setting.rho };
          emit(apiEvent('sweep.progress', { ...info, experimentId: settingId }));
          let resolve: CurrentSetting['resolve'] = () => undefined;
          let reject: CurrentSetting['reject'] = () => undefined;
          const done = new Promise<ExperimentOutput>((yes, no) => {
            resolve = yes;
            reject = no;
          });
          const adopted = experiments.adopt(settingId, setting.config, {
            done,
            cancel: (runIndex?: number) => {
              if (runIndex !== undefined) throw new Error('A setting of a sweep cannot cancel a single run; Cancel stops the sweep (finished runs are kept, and `losslab resume` continues it).');
              sweep.cancel();
            },
          }, info);
          // run-sweep reads `events.experiment` when the setting starts, so the setting reports to its adopted experiment.
          events.experiment = adopted.events;
          current = { resolve, reject, settle: adopted.settle };
        },
        onSettingDone: (_setting, output) => {
          // Announced now, synchronously: run-sweep starts (and announces) the next setting right after this.
          current?.settle({ output });
          current?.resolve(output);
          current = null;
        },
      };
      const sweep = startSweep(new SweepFolder(dir), config, {
        id,
        confirmed,
        events,
        ...(cacheDir !== undefined ? { cacheDir } : {}),
        ...(runner ? { runner } : {}),
        pastSecondsPerImageEpoch: past?.secondsPerImageEpoch ?? null,
      });
      running.set(id, sweep);
      sweep.done
        .then(async (outcome) => {
          const concluded = await conclude(dir);
          // Not running any more by the time anyone hears it ended (History lists it as finished).
          running.delete(id);
          emit(apiEvent('sweep.done', { id, dir, cancelled: outcome.cancelled, ...concluded }));
        })
        .catch((error: unknown) => {
          running.delete(id);
          const failed = current as CurrentSetting | null;
          failed?.settle({ error });
          failed?.reject(error);
          current = null;
          emit(apiEvent('sweep.failed', { id, dir, error: serializeError(error) }));
        });
      return { id, dir, settings: view.settings, totalRuns: view.totalRuns };
    },

    /** `sweeps.list`: every sweep of the store (the app's and the CLI's), newest first. */
    list(): Responses['sweeps.list'] {
      return listSweeps(storeRoot).map((sweep) => ({ ...sweep, running: running.has(sweep.id) }));
    },

    /** Cancels every sweep (app quit, server close); each setting winds down through the experiment service. */
    shutdown(): void {
      for (const sweep of running.values()) sweep.cancel();
    },
  };
}
