import type { ApiEvents, ImbalancePreview, PlannedRun, RunningExperimentInfo, SeenWorker } from '../../../main/api/contract';
import type { ExperimentConfigInput } from '../../../main/experiment/config';
import type { BackendReport } from '../../../main/engine/worker-protocol';
import type { LoadProgress } from '../../../main/dataset/types';
import type { LossLabClient } from '../api';
import { describeError, type ShownError } from '../lib/error-advice';
import { appendDecimated } from '../lib/series';

export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** One training (loss × seed) as the Training screen shows it, updated from events. */
export class RunRow {
  status = $state<RunStatus>('queued');
  stage = $state<'train' | 'probe' | 'crt' | 'lws'>('train');
  epoch = $state(0);
  epochs = $state(0);
  batch = $state(0);
  batches = $state(0);
  imagesPerSecond = $state(0);
  etaSeconds = $state<number | null>(null);
  /** Batch losses, decimated to a fixed length (raw array: replaced, never mutated, for cheap updates). */
  lossSeries = $state.raw<number[]>([]);
  /** Validation balanced accuracy after each epoch. */
  valSeries = $state.raw<number[]>([]);
  error = $state<string | null>(null);
  cancelRequested = $state(false);

  constructor(
    readonly index: number,
    readonly runId: string,
    readonly lossKey: string,
    readonly loss: string,
    readonly seed: number,
  ) {}

  /** Fraction of this run's current stage that is done. */
  get fraction(): number {
    if (this.status === 'done') return 1;
    if (this.epochs <= 0 || this.batches <= 0) return 0;
    return Math.min(1, (this.epoch + this.batch / this.batches) / this.epochs);
  }

  get active(): boolean {
    return this.status === 'queued' || this.status === 'running';
  }
}

/**
 * A sweep as the Training screen follows it: its settings train one after another, each an
 * ordinary experiment that this store adopts when 'sweep.progress' names it; at the end, the
 * summary in words and where the HTML report was written.
 */
export interface SweepView {
  /** null until 'sweep.start' answers (or its first progress event arrives). */
  id: string | null;
  dir: string | null;
  settings: number;
  /** The setting training now, from 0; null before the first starts. */
  setting: number | null;
  label: string | null;
  rho: number | null;
  /** The experiment id of the setting announced last; its 'experiment.started' is adopted. */
  settingExperimentId: string | null;
  finished: boolean;
  cancelled: boolean;
  summary: string[];
  report: string | null;
}

export type ExperimentPhase = 'idle' | 'starting' | 'loading-data' | 'training' | 'done' | 'failed';

/**
 * The experiment being trained. Events from the main side drive it; calls only start and
 * cancel. Events for other experiments (another browser tab in served mode) are ignored.
 */
export class TrainingState {
  experimentId = $state<string | null>(null);
  name = $state<string | null>(null);
  phase = $state<ExperimentPhase>('idle');
  runs = $state<RunRow[]>([]);
  datasetProgress = $state<LoadProgress | null>(null);
  /** A frozen backbone's features: computed (done of total) or reused from the cache. */
  featureProgress = $state<{ done: number; total: number; cached: boolean } | null>(null);
  split = $state<Omit<ImbalancePreview, 'imbalanceRatio'> | null>(null);
  backend = $state<BackendReport | null>(null);
  /** Queue mode: the workers serving the queue, as the study last reported them; null when runs train here. */
  workers = $state.raw<SeenWorker[] | null>(null);
  error = $state<ShownError | null>(null);
  startedAt = $state<number | null>(null);
  /** The sweep being trained, when this is one; null for a single experiment. */
  sweep = $state<SweepView | null>(null);
  /** Called once results are written, so the app can load and show them. */
  onFinished: ((id: string) => void) | null = null;

  constructor(private readonly client: LossLabClient) {
    client.onEvent((event) => this.handle(event));
  }

  get runsDone(): number {
    return this.runs.filter((r) => !r.active).length;
  }

  get overallFraction(): number {
    if (this.runs.length === 0) return 0;
    return this.runs.reduce((sum, r) => sum + (r.active ? r.fraction : 1), 0) / this.runs.length;
  }

  get busy(): boolean {
    return this.phase === 'starting' || this.phase === 'loading-data' || this.phase === 'training';
  }

  async start(config: ExperimentConfigInput): Promise<boolean> {
    this.reset();
    this.phase = 'starting';
    this.name = config.name ?? null;
    try {
      const { id, runs } = await this.client.api['experiment.start']({ config });
      // 'experiment.started' may have arrived before this answer; either sets the same rows.
      if (this.experimentId !== id) this.adopt(id, runs);
      return true;
    } catch (error) {
      this.phase = 'failed';
      this.error = describeError(error, 'Could not start the experiment', 'Fix the setting the message names on the Experiment screen, then start again.');
      return false;
    }
  }

  /** Starts a sweep (a configuration with several imbalance settings); `confirmed` allows more than 2,000 runs. */
  async startSweep(config: ExperimentConfigInput, confirmed = false): Promise<boolean> {
    this.reset();
    this.phase = 'starting';
    this.name = config.name ?? null;
    this.sweep = { id: null, dir: null, settings: config.sweep?.imbalance?.length ?? 1, setting: null, label: null, rho: null, settingExperimentId: null, finished: false, cancelled: false, summary: [], report: null };
    try {
      const answer = await this.client.api['sweep.start']({ config, confirmed });
      // Its first 'sweep.progress' may have arrived before this answer; both name the same sweep.
      if (this.sweep) {
        this.sweep.id = answer.id;
        this.sweep.dir = answer.dir;
        this.sweep.settings = answer.settings.length;
      }
      return true;
    } catch (error) {
      this.sweep = null;
      this.phase = 'failed';
      this.error = describeError(error, 'Could not start the sweep', 'Fix the setting the message names on the Experiment screen, then start again.');
      return false;
    }
  }

  /** Continues an interrupted experiment from the store: finished runs are kept, the rest go on from their last epoch. */
  async resumeStored(id: string, name: string | null): Promise<boolean> {
    this.reset();
    this.phase = 'starting';
    this.name = name;
    try {
      const answer = await this.client.api['experiment.resume']({ id });
      if (this.experimentId !== answer.id) this.adopt(answer.id, answer.runs);
      return true;
    } catch (error) {
      this.phase = 'failed';
      this.error = describeError(error, 'Could not resume the experiment', 'Check that its dataset folder still exists where it was; otherwise start a new experiment.');
      return false;
    }
  }

  /** Picks up an experiment that was already training (after a reload of the page). */
  resume(info: RunningExperimentInfo): void {
    this.reset();
    this.adopt(info.id, info.runs);
    this.name = info.name;
    this.workers = info.workers ?? null;
    this.startedAt = Date.parse(info.startedAt) || Date.now();
    for (const planned of info.runs) {
      const row = this.runs[planned.index];
      if (!row) continue;
      row.status = planned.status;
      if (planned.lastBatch) this.applyBatch(row, planned.lastBatch);
      for (const record of planned.epochs) if (record.valBalancedAccuracy !== null) row.valSeries = [...row.valSeries, record.valBalancedAccuracy];
    }
    this.phase = this.runs.some((r) => r.status === 'running' || r.status === 'done') ? 'training' : 'loading-data';
    // A sweep's setting: follow the sweep on to its next settings.
    if (info.sweep) {
      const { id, setting, settings, label, rho } = info.sweep;
      this.sweep = { id, dir: null, settings, setting, label, rho, settingExperimentId: info.id, finished: false, cancelled: false, summary: [], report: null };
    }
  }

  async cancel(runIndex?: number): Promise<void> {
    const id = this.experimentId;
    if (!id) return;
    const targets = runIndex === undefined ? this.runs.filter((r) => r.active) : this.runs.filter((r) => r.index === runIndex);
    for (const row of targets) row.cancelRequested = true;
    try {
      await this.client.api['experiment.cancel'](runIndex === undefined ? { id } : { id, runIndex });
    } catch (error) {
      for (const row of targets) row.cancelRequested = false;
      this.error = describeError(error, 'Could not cancel', 'Try again; if training continues regardless, restart LossLab — finished runs are kept.');
    }
  }

  private reset(): void {
    this.sweep = null;
    this.resetExperiment();
  }

  /** Forgets the experiment's rows and progress (a sweep's next setting replaces them). */
  private resetExperiment(): void {
    this.experimentId = null;
    this.runs = [];
    this.datasetProgress = null;
    this.featureProgress = null;
    this.split = null;
    this.backend = null;
    this.workers = null;
    this.error = null;
    this.startedAt = null;
  }

  private adopt(id: string, runs: PlannedRun[]): void {
    this.experimentId = id;
    this.startedAt = Date.now();
    this.runs = runs.map((r) => new RunRow(r.index, r.runId, r.lossKey, r.loss, r.seed));
    if (this.phase === 'starting' || this.phase === 'idle') this.phase = 'loading-data';
  }

  private applyBatch(row: RunRow, progress: ApiEvents['experiment.batch'] | NonNullable<RunningExperimentInfo['runs'][number]['lastBatch']>): void {
    row.stage = progress.stage;
    row.epoch = progress.epoch;
    row.epochs = progress.epochs;
    row.batch = progress.batch;
    row.batches = progress.batches;
    row.imagesPerSecond = progress.imagesPerSecond;
    row.etaSeconds = progress.etaSeconds;
  }

  /** Whether a sweep event is about the sweep this window follows (its id may not be known yet while starting). */
  private ownSweep(id: string): boolean {
    const sweep = this.sweep;
    if (!sweep || sweep.finished) return false;
    if (sweep.id === null && this.phase === 'starting') sweep.id = id;
    return sweep.id === id;
  }

  private handleSweep(event: { type: string; data: unknown }): void {
    const sweep = this.sweep;
    if (!sweep || !this.ownSweep((event.data as { id: string }).id)) return;
    switch (event.type) {
      case 'sweep.progress': {
        const progress = event.data as ApiEvents['sweep.progress'];
        sweep.setting = progress.setting;
        sweep.settings = progress.settings;
        sweep.label = progress.label;
        sweep.rho = progress.rho;
        sweep.settingExperimentId = progress.experimentId;
        break;
      }
      case 'sweep.done': {
        const done = event.data as ApiEvents['sweep.done'];
        sweep.finished = true;
        sweep.cancelled = done.cancelled;
        sweep.summary = done.summary;
        sweep.report = done.report;
        sweep.dir = done.dir;
        this.phase = 'done';
        for (const row of this.runs) if (row.active) row.status = 'cancelled';
        break;
      }
      case 'sweep.failed': {
        const failed = event.data as ApiEvents['sweep.failed'];
        sweep.finished = true;
        this.phase = 'failed';
        this.error = describeError(
          Object.assign(new Error(failed.error.message), { name: failed.error.name }),
          'The sweep stopped',
          `Finished settings are kept in ${failed.dir}; \`losslab resume ${failed.dir}\` continues it.`,
        );
        break;
      }
    }
  }

  handle(event: { type: string; data: unknown }): void {
    const data = event.data as { id?: string };
    if (event.type.startsWith('sweep.')) {
      this.handleSweep(event);
      return;
    }
    if (event.type === 'experiment.started' && this.sweep) {
      const started = event.data as ApiEvents['experiment.started'];
      // A sweep's next setting: its rows replace the previous setting's.
      if (!this.sweep.finished && started.id === this.sweep.settingExperimentId && started.id !== this.experimentId) {
        this.resetExperiment();
        this.adopt(started.id, started.runs);
        this.phase = 'loading-data';
      }
      return;
    }
    if (event.type === 'experiment.started') {
      const started = event.data as ApiEvents['experiment.started'];
      // Adopt only the experiment this window is starting; other tabs' experiments are theirs.
      if (this.phase === 'starting' && this.experimentId === null) this.adopt(started.id, started.runs);
      return;
    }
    if (!event.type.startsWith('experiment.') || !data?.id || data.id !== this.experimentId) return;
    switch (event.type) {
      case 'experiment.datasetProgress': {
        const p = event.data as ApiEvents['experiment.datasetProgress'];
        this.datasetProgress = { phase: p.phase, done: p.done, total: p.total, cached: p.cached };
        break;
      }
      case 'experiment.featureProgress': {
        const p = event.data as ApiEvents['experiment.featureProgress'];
        this.featureProgress = { done: p.done, total: p.total, cached: p.cached };
        break;
      }
      case 'experiment.datasetLoaded': {
        const { id: _id, ...split } = event.data as ApiEvents['experiment.datasetLoaded'];
        this.split = split;
        this.phase = 'training';
        break;
      }
      case 'experiment.backend':
        this.backend = (event.data as ApiEvents['experiment.backend']).backend;
        break;
      case 'experiment.workers':
        this.workers = (event.data as ApiEvents['experiment.workers']).workers;
        break;
      case 'experiment.runStart': {
        const row = this.runs[(event.data as ApiEvents['experiment.runStart']).index];
        if (row) row.status = 'running';
        this.phase = 'training';
        break;
      }
      case 'experiment.batch': {
        const batch = event.data as ApiEvents['experiment.batch'];
        const row = this.runs[batch.index];
        if (!row) break;
        if (row.status === 'queued') row.status = 'running';
        this.applyBatch(row, batch);
        if (Number.isFinite(batch.loss)) row.lossSeries = appendDecimated(row.lossSeries, batch.loss);
        this.phase = 'training';
        break;
      }
      case 'experiment.epoch': {
        const epoch = event.data as ApiEvents['experiment.epoch'];
        const row = this.runs[epoch.index];
        if (row && epoch.record.valBalancedAccuracy !== null) row.valSeries = [...row.valSeries, epoch.record.valBalancedAccuracy];
        break;
      }
      case 'experiment.runSettled': {
        const settled = event.data as ApiEvents['experiment.runSettled'];
        const row = this.runs[settled.index];
        if (!row) break;
        row.status = settled.status;
        row.error = settled.error ?? null;
        row.etaSeconds = null;
        break;
      }
      case 'experiment.done': {
        // A sweep's setting is not the end: the next setting follows, and 'sweep.done' ends it.
        if (this.sweep) break;
        this.phase = 'done';
        for (const row of this.runs) if (row.active) row.status = 'cancelled';
        const id = this.experimentId;
        if (id) this.onFinished?.(id);
        break;
      }
      case 'experiment.failed': {
        const failed = event.data as ApiEvents['experiment.failed'];
        this.phase = 'failed';
        this.error = describeError(
          Object.assign(new Error(failed.error.message), { name: failed.error.name }),
          'The experiment stopped',
          'Check the dataset and settings named in the message, then start it again from the Experiment screen.',
        );
        break;
      }
    }
  }
}
