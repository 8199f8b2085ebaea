import { loadDataset } from '../dataset/load';
import { planSplits } from '../dataset/splits';
import type { LoadedDataset, LoadProgress, SplitPlan } from '../dataset/types';
import { channelStatistics } from '../engine/batches';
import { TrainingPool, type PoolEvents, type RunSettlement } from '../engine/pool';
import type { RunJob, RunOutcome, TrainingData } from '../engine/types';
import type { BackendReport } from '../engine/worker-protocol';
import { resolveLossParams } from '../losses/registry';
import { computeMetrics } from '../metrics/classification';
import { softmaxRows } from '../util/softmax';
import { summarizeRuns } from '../results/summarize';
import type { ExperimentResults, NetworkSummary, RunResult } from '../results/types';
import { RESULTS_FORMAT_VERSION } from '../results/types';
import { softwareVersions } from '../util/versions';
import type { ExperimentConfig } from './config';
import { modelLabel } from './model-label';

export interface ExperimentEvents extends PoolEvents {
  onDatasetProgress?: (progress: LoadProgress) => void;
  onDatasetLoaded?: (dataset: LoadedDataset, plan: SplitPlan) => void;
}

/** Everything an experiment produced, including the raw logits that results.json leaves out. */
export interface ExperimentOutput {
  results: ExperimentResults;
  /** Per run id: logits of the test and validation items (row-major, classes wide). */
  logits: Map<string, { test: Float32Array; testLast: Float32Array; val: Float32Array }>;
  valItems: { file: string; classIndex: number }[];
}

export interface RunningExperiment {
  /** Cancels one run by its index, or every run. */
  cancel(runIndex?: number): void;
  done: Promise<ExperimentOutput>;
}

export function experimentId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Identifies a loss with its parameters, so that two entries of the same loss with different parameters stay apart. */
export function lossKeyOf(id: string, params: Record<string, unknown>): string {
  const keys = Object.keys(params).sort();
  if (keys.length === 0) return id;
  return `${id}(${keys.map((k) => `${k}=${JSON.stringify(params[k])}`).join(',')})`;
}

/** The run list: every loss × every seed, losses outermost so the first results cover every loss early. */
export function planRuns(config: ExperimentConfig): RunJob[] {
  const losses = config.losses.map((choice) => {
    const params = resolveLossParams(choice.id, choice.params);
    return { id: choice.id, params, key: lossKeyOf(choice.id, choice.params) };
  });
  const keys = new Set<string>();
  for (const loss of losses) {
    if (keys.has(loss.key)) throw new Error(`Loss ${loss.key} is listed twice; list each loss and parameter set once.`);
    keys.add(loss.key);
  }
  const jobs: RunJob[] = [];
  for (const seed of config.seeds) {
    for (const loss of losses) {
      jobs.push({
        index: jobs.length,
        runId: `${loss.key}#seed${seed}`,
        lossId: loss.id,
        params: loss.params,
        seed,
        model: config.model,
        training: config.training,
      });
    }
  }
  return jobs;
}

function trainingData(dataset: LoadedDataset, plan: SplitPlan): TrainingData {
  const labels = Int32Array.from(dataset.items, (item) => item.classIndex);
  const train = Int32Array.from(plan.train);
  const stats = channelStatistics(dataset.pixels, train, dataset.imageSize, dataset.channels);
  return {
    pixels: dataset.pixels,
    imageSize: dataset.imageSize,
    channels: dataset.channels,
    labels,
    train,
    val: Int32Array.from(plan.val),
    test: Int32Array.from(plan.test),
    numClasses: dataset.classes.length,
    trainCounts: plan.counts.train,
    channelMean: stats.mean,
    channelStd: stats.std,
  };
}

/**
 * Loads the dataset, splits it, trains every loss × seed in parallel workers and computes
 * the metrics. Loss parameters are validated before anything is decoded or trained.
 */
export interface StartOptions {
  id?: string;
  createdAt?: string;
  cacheDir?: string;
  keepWeights?: boolean;
  events?: ExperimentEvents;
  /** Runs already finished (on resume): not trained again, but part of the results. */
  completed?: Map<number, RunOutcome>;
  /** Per-run folder for epoch checkpoints; runs continue from a checkpoint found there. */
  checkpointDir?: (runIndex: number) => string;
  /** Called once the dataset is loaded, before training; throwing stops the experiment. */
  verifyDataset?: (dataset: LoadedDataset) => void;
}

export function startExperiment(config: ExperimentConfig, options: StartOptions = {}): RunningExperiment {
  const jobs = planRuns(config);
  const completed = options.completed ?? new Map<number, RunOutcome>();
  const events = options.events ?? {};
  let pool: TrainingPool | null = null;
  let cancelledBeforeStart = false;
  const pendingCancels: number[] = [];

  const done = (async (): Promise<ExperimentOutput> => {
    const id = options.id ?? experimentId();
    const createdAt = options.createdAt ?? new Date().toISOString();
    const dataset = await loadDataset({
      root: config.data,
      ...(config.testData ? { testRoot: config.testData } : {}),
      imageSize: config.imageSize,
      resize: config.resize,
      colorMode: config.colorMode,
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
      ...(events.onDatasetProgress ? { onProgress: events.onDatasetProgress } : {}),
    });
    const plan = planSplits(dataset, {
      testFraction: config.testFraction,
      valFraction: config.valFraction,
      imbalance: config.imbalance,
      seed: config.splitSeed,
    });
    options.verifyDataset?.(dataset);
    events.onDatasetLoaded?.(dataset, plan);
    const data = trainingData(dataset, plan);
    let backend: BackendReport | null = null;
    pool = new TrainingPool({
      data,
      backend: config.backend,
      workers: config.workers,
      keepWeights: options.keepWeights ?? false,
      ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
      events: {
        ...events,
        onBackend: (report) => {
          backend = report;
          events.onBackend?.(report);
        },
      },
    });
    const running = pool.run(jobs.filter((job) => !completed.has(job.index)));
    if (cancelledBeforeStart) pool.cancel();
    for (const index of pendingCancels) pool.cancel(index);
    const fresh = await running;
    const earlier: RunSettlement[] = jobs
      .filter((job) => completed.has(job.index))
      .map((job) => ({ status: 'done', job, outcome: completed.get(job.index)! }));
    const settlements = [...earlier, ...fresh].sort((a, b) => a.job.index - b.job.index);
    return assemble({ id, createdAt, config, dataset, plan, data, backend, settlements });
  })();

  return {
    cancel(runIndex?: number) {
      if (pool) pool.cancel(runIndex);
      else if (runIndex === undefined) cancelledBeforeStart = true;
      else pendingCancels.push(runIndex);
    },
    done,
  };
}

function assemble(input: {
  id: string;
  createdAt: string;
  config: ExperimentConfig;
  dataset: LoadedDataset;
  plan: SplitPlan;
  data: TrainingData;
  backend: BackendReport | null;
  settlements: RunSettlement[];
}): ExperimentOutput {
  const { dataset, plan, data, settlements } = input;
  const classNames = dataset.classes;
  const testLabels = Array.from(data.test, (i) => data.labels[i] as number);
  const logits: ExperimentOutput['logits'] = new Map();
  const runs: RunResult[] = settlements.map((settlement) => {
    const { job } = settlement;
    const base = {
      runId: job.runId,
      lossKey: job.runId.replace(/#seed\d+$/, ''),
      loss: job.lossId,
      params: job.params,
      seed: job.seed,
    };
    if (settlement.status === 'cancelled') return { ...base, status: 'cancelled' };
    if (settlement.status === 'failed') return { ...base, status: 'failed', error: settlement.message };
    const { outcome } = settlement;
    const metricsInput = { labels: testLabels, classNames, trainCounts: plan.counts.train };
    const metrics = computeMetrics({ ...metricsInput, probs: softmaxRows(outcome.testLogits, data.numClasses) });
    const metricsLast = computeMetrics({ ...metricsInput, probs: softmaxRows(outcome.testLogitsLast, data.numClasses) });
    logits.set(job.runId, { test: outcome.testLogits, testLast: outcome.testLogitsLast, val: outcome.valLogits });
    return {
      ...base,
      status: 'done',
      protocol: outcome.protocol,
      metrics,
      metricsLast,
      confusion: metrics.confusion,
      bestEpoch: outcome.bestEpoch,
      history: outcome.history,
      trainSeconds: outcome.trainSeconds,
      imagesPerSecond: outcome.imagesPerSecond,
      ...(outcome.network ? { trainableParams: outcome.network.trainableParams, flopsPerImage: outcome.network.flopsPerImage } : {}),
    };
  });
  const trainCounts = plan.counts.train;
  const results: ExperimentResults = {
    formatVersion: RESULTS_FORMAT_VERSION,
    id: input.id,
    createdAt: input.createdAt,
    finishedAt: new Date().toISOString(),
    classes: classNames,
    dataset: {
      root: dataset.root,
      fingerprint: dataset.fingerprint,
      imageSize: dataset.imageSize,
      channels: dataset.channels,
      counts: {
        found: dataset.classCounts,
        poolBeforeImbalance: plan.counts.poolBeforeImbalance,
        train: trainCounts,
        val: plan.counts.val,
        test: plan.counts.test,
      },
      imbalance: plan.imbalance,
      headToTail: plan.headToTail,
      imbalanceRatio: Math.max(...trainCounts) / Math.max(1, Math.min(...trainCounts)),
      skipped: dataset.skipped,
    },
    config: input.config,
    network: networkSummary(input.config, settlements),
    backend: input.backend,
    versions: softwareVersions(),
    runs,
    summary: summarizeRuns(runs),
    testItems: Array.from(data.test, (i) => ({ file: dataset.items[i]!.file, classIndex: dataset.items[i]!.classIndex })),
  };
  const valItems = Array.from(data.val, (i) => ({ file: dataset.items[i]!.file, classIndex: dataset.items[i]!.classIndex }));
  return { results, logits, valItems };
}

/** Every run trains the same architecture, so the first finished run's figures describe them all. */
function networkSummary(config: ExperimentConfig, settlements: RunSettlement[]): NetworkSummary | null {
  for (const settlement of settlements) {
    if (settlement.status === 'done' && settlement.outcome.network) return { label: modelLabel(config.model), ...settlement.outcome.network };
  }
  return null;
}
