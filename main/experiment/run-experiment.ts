import { loadDataset } from '../dataset/load';
import { releasePixels } from '../dataset/pixel-file';
import { planSplits } from '../dataset/splits';
import type { LoadedDataset, LoadProgress, SplitPlan } from '../dataset/types';
import { channelStatistics } from '../engine/batches';
import { defaultWorkerCount, TrainingPool, type PoolEvents, type RunSettlement } from '../engine/pool';
import type { RunJob, RunOutcome, TrainingData } from '../engine/types';
import type { BackendReport } from '../engine/worker-protocol';
import { getLoss, resolveLossParams } from '../losses/registry';
import { recipeLabel } from '../losses/recipe-label';
import type { LossParams } from '../losses/types';
import { checkRecipe, isPlainRecipe, recipeKeyParts, withRecipeParts } from '../methods/recipe';
import { selectBackend } from '../engine/backends/select-backend';
import { resolveBackbone, scalingStatistics } from '../engine/backbone/backbone';
import type { DownloadProgress } from '../engine/backbone/download';
import { datasetFeatures, type FeatureProgress } from '../engine/backbone/features';
import type { ResolvedBackbone } from '../engine/backbone/load-backbone';
import { BackboneError } from '../engine/backbone/source';
import { computeMetrics } from '../metrics/classification';
import { softmaxRows } from '../util/softmax';
import { summarizeRuns } from '../results/summarize';
import type { BackboneSummary, ExperimentResults, NetworkSummary, RunResult } from '../results/types';
import { RESULTS_FORMAT_VERSION } from '../results/types';
import { softwareVersions } from '../util/versions';
import type { ExperimentConfig, LossChoice } from './config';
import { finetuneName, headName, modelLabel } from './model-label';

export interface ExperimentEvents extends PoolEvents {
  onDatasetProgress?: (progress: LoadProgress) => void;
  onDatasetLoaded?: (dataset: LoadedDataset, plan: SplitPlan) => void;
  /** A backbone's files downloading (once per URL). */
  onBackboneDownload?: (progress: DownloadProgress & { file: string }) => void;
  /** The backbone was found and checked: which feature layer, its hash, its feature size. */
  onBackboneResolved?: (backbone: ResolvedBackbone) => void;
  /** A frozen backbone's features being computed (or read from the cache: one event, cached). */
  onFeatureProgress?: (progress: FeatureProgress) => void;
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

/** A loss entry's key with its recipe: "ce", "ce+sampler=class-balanced", "ldam+drw=8", "ce+crt". Plain training keeps the loss key, so earlier run ids stay. */
export function recipeKeyOf(id: string, params: Record<string, unknown>, recipe: LossChoice['recipe']): string {
  return [lossKeyOf(id, params), ...recipeKeyParts(recipe)].join('+');
}

/**
 * The run list: every loss × every seed, losses outermost so the first results cover every loss early.
 * Recipes that cannot run or that would over-correct are refused here, before anything is loaded or written.
 */
export function planRuns(config: ExperimentConfig): RunJob[] {
  if (config.sweep) {
    // A sweep is several experiments (main/sweep); training it as one would silently drop its settings.
    throw new Error('This configuration is a sweep (several imbalance settings or hyperparameter values); run it with `losslab run`, which trains one experiment per setting.');
  }
  const losses = config.losses.map((choice) => {
    const params = resolveLossParams(choice.id, choice.params);
    const recipe = isPlainRecipe(choice.recipe) ? undefined : choice.recipe;
    if (recipe) {
      checkRecipe({ lossId: choice.id, params, lossKind: getLoss(choice.id).kind, recipe, epochs: config.training.epochs });
    }
    return { id: choice.id, params, key: recipeKeyOf(choice.id, choice.params, recipe), recipe, label: withRecipeParts(recipeLabel(choice.id, recipe?.drw ? withoutKeys(choice.params, ['drw', 'drwBeta']) : choice.params).display, recipe) };
  });
  const keys = new Set<string>();
  for (const loss of losses) {
    if (keys.has(loss.key)) throw new Error(`Loss ${loss.key} is listed twice; list each loss and parameter set once.`);
    keys.add(loss.key);
  }
  validateBackboneConfig(config, losses.map((l) => l.id));
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
        ...(loss.recipe ? { recipe: loss.recipe, label: loss.label } : {}),
      });
    }
  }
  return jobs;
}

/** What a backbone experiment cannot do, refused before anything is loaded or written. */
function validateBackboneConfig(config: ExperimentConfig, lossIds: string[]): void {
  const model = config.model;
  if (model.family !== 'backbone') return;
  if (config.colorMode === 'grayscale') {
    throw new BackboneError('A pretrained backbone takes RGB images; use --color-mode auto or rgb (grayscale images are then given to it as three equal channels)');
  }
  if (model.finetune === 'none') {
    const embedding = lossIds.filter((id) => getLoss(id).kind === 'embedding');
    if (embedding.length > 0) {
      throw new BackboneError(`${embedding.join(', ')} train${embedding.length === 1 ? 's' : ''} the features, but --finetune none freezes the backbone; use --finetune last:N or all, or leave ${embedding.length === 1 ? 'it' : 'them'} out`);
    }
    if (config.training.augment.flip || config.training.augment.crop) {
      throw new BackboneError('--finetune none computes the backbone\'s features once, so images cannot be augmented per batch; use --augment none, or --finetune last:N or all');
    }
  }
}

/** The engine's view of a loaded, split dataset (also rebuilt by queue workers from the same configuration). */
export function trainingData(dataset: LoadedDataset, plan: SplitPlan): TrainingData {
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
  /** Folder of downloaded backbones (default: the app-data folder's backbones/). */
  backboneDir?: string;
  /** Who trains the runs: the local TrainingPool unless given (queue mode hands them to workers through Redis). */
  runner?: RunnerFactory;
}

/** What trains an experiment's runs: the local TrainingPool, or a queue of workers. */
export interface RunPool {
  run(jobs: RunJob[]): Promise<RunSettlement[]>;
  cancel(runIndex?: number): void;
}

export type RunnerFactory = (input: {
  id: string;
  config: ExperimentConfig;
  data: TrainingData;
  keepWeights: boolean;
  checkpointDir?: (runIndex: number) => string;
  events: PoolEvents;
}) => RunPool;

export function startExperiment(config: ExperimentConfig, options: StartOptions = {}): RunningExperiment {
  const jobs = planRuns(config);
  const completed = options.completed ?? new Map<number, RunOutcome>();
  const events = options.events ?? {};
  let pool: RunPool | null = null;
  let cancelledBeforeStart = false;
  const pendingCancels: number[] = [];

  const done = (async (): Promise<ExperimentOutput> => {
    const id = options.id ?? experimentId();
    const createdAt = options.createdAt ?? new Date().toISOString();
    const spec = config.model;
    let backbone: Awaited<ReturnType<typeof resolveBackbone>> | null = null;
    if (spec.family === 'backbone') {
      // The backbone is found, downloaded and checked in this process before anything is
      // decoded or stored, so a refusal leaves nothing behind.
      await selectBackend(config.backend);
      backbone = await resolveBackbone(spec, {
        imageSize: config.imageSize,
        ...(options.backboneDir ? { downloadDir: options.backboneDir } : {}),
        ...(events.onBackboneDownload ? { onDownload: events.onBackboneDownload } : {}),
      });
      events.onBackboneResolved?.(backbone.resolved);
    }
    let featureCache: BackboneSummary['featureCache'];
    let backboneDisposed = false;
    let loaded: LoadedDataset | null = null;
    try {
      const dataset = await loadDataset({
        root: config.data,
        ...(config.testData ? { testRoot: config.testData } : {}),
        imageSize: config.imageSize,
        resize: config.resize,
        // A backbone takes RGB: grayscale images become three equal channels.
        colorMode: backbone && config.colorMode === 'auto' ? 'rgb' : config.colorMode,
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
        ...(events.onDatasetProgress ? { onProgress: events.onDatasetProgress } : {}),
      });
      loaded = dataset;
      const plan = planSplits(dataset, {
        testFraction: config.testFraction,
        valFraction: config.valFraction,
        imbalance: config.imbalance,
        seed: config.splitSeed,
      });
      options.verifyDataset?.(dataset);
      events.onDatasetLoaded?.(dataset, plan);
      const data = trainingData(dataset, plan);
      if (backbone) {
        // The backbone's own pixel scaling replaces the training set's channel statistics.
        const scaling = scalingStatistics(backbone.resolved.scaling);
        data.channelMean = scaling.mean;
        data.channelStd = scaling.std;
        if (spec.family === 'backbone' && spec.finetune === 'none') {
          const computed = await datasetFeatures(backbone.features, backbone.resolved, data, {
            datasetFingerprint: dataset.fingerprint,
            ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
            ...(events.onFeatureProgress ? { onProgress: events.onFeatureProgress } : {}),
            // As many threads as training would use on this backend, however few runs there are.
            parallel: { backend: config.backend, threads: config.workers > 0 ? config.workers : defaultWorkerCount(config.backend, Number.MAX_SAFE_INTEGER) },
          });
          data.features = { values: computed.values, dim: computed.dim };
          featureCache = !computed.cacheFile ? 'off' : computed.cached ? 'reused' : 'computed';
        }
        backbone.features.dispose();
        backboneDisposed = true;
      }
      const withBackbone = backbone ? jobs.map((job) => ({ ...job, backbone: backbone!.resolved })) : jobs;
      let backend: BackendReport | null = null;
      const poolEvents: PoolEvents = {
        ...events,
        onBackend: (report) => {
          backend = report;
          events.onBackend?.(report);
        },
      };
      const keepWeights = options.keepWeights ?? false;
      pool = options.runner
        ? options.runner({ id, config, data, keepWeights, ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}), events: poolEvents })
        : new TrainingPool({
            data,
            backend: config.backend,
            workers: config.workers,
            keepWeights,
            ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
            events: poolEvents,
          });
      const running = pool.run(withBackbone.filter((job) => !completed.has(job.index)));
      if (cancelledBeforeStart) pool.cancel();
      for (const index of pendingCancels) pool.cancel(index);
      const fresh = await running;
      const earlier: RunSettlement[] = jobs
        .filter((job) => completed.has(job.index))
        .map((job) => ({ status: 'done', job, outcome: completed.get(job.index)! }));
      const settlements = [...earlier, ...fresh].sort((a, b) => a.job.index - b.job.index);
      return assemble({ id, createdAt, config, dataset, plan, data, backend, settlements, backbone: backbone ? backboneSummary(config, backbone.resolved, featureCache) : null });
    } finally {
      if (backbone && !backboneDisposed) backbone.features.dispose();
      // Every run has settled: a pixel file (a dataset too large for memory) is not needed any more.
      if (loaded) releasePixels(loaded.pixels);
    }
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
  backbone: BackboneSummary | null;
}): ExperimentOutput {
  const { dataset, plan, data, settlements } = input;
  const classNames = dataset.classes;
  const testLabels = Array.from(data.test, (i) => data.labels[i] as number);
  const logits: ExperimentOutput['logits'] = new Map();
  const runs: RunResult[] = settlements.map((settlement) => {
    const { job } = settlement;
    const lossKey = job.runId.replace(/#seed\d+$/, '');
    const base = {
      runId: job.runId,
      lossKey,
      loss: job.lossId,
      params: job.params,
      seed: job.seed,
      ...(job.recipe ? { recipe: job.recipe, label: job.label ?? lossKey } : {}),
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
      ...(outcome.seenPerClass ? { seenPerClass: outcome.seenPerClass } : {}),
      ...(job.recipe ? { drwEpoch: outcome.drwEpoch ?? null, drsEpoch: outcome.drsEpoch ?? null } : {}),
      ...(outcome.classifierNorms ? { classifierNorms: outcome.classifierNorms } : {}),
      ...(outcome.lwsScales ? { lwsScales: outcome.lwsScales } : {}),
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
    network: networkSummary(input.config, settlements, input.backbone),
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
function networkSummary(config: ExperimentConfig, settlements: RunSettlement[], backbone: BackboneSummary | null): NetworkSummary | null {
  for (const settlement of settlements) {
    if (settlement.status === 'done' && settlement.outcome.network) {
      const label = backbone
        ? `Pretrained backbone ${backbone.source} (sha256 ${backbone.sha256.slice(0, 12)}…) at ${backbone.featureLayer}, ${backbone.featureSize} features, finetune ${backbone.finetune}, ${backbone.head} head`
        : modelLabel(config.model);
      return { label, ...settlement.outcome.network, ...(backbone ? { backbone } : {}) };
    }
  }
  return null;
}

function backboneSummary(config: ExperimentConfig, resolved: ResolvedBackbone, featureCache: BackboneSummary['featureCache']): BackboneSummary | null {
  const spec = config.model;
  if (spec.family !== 'backbone') return null;
  return {
    source: resolved.source,
    kind: resolved.kind,
    location: resolved.location,
    sha256: resolved.sha256,
    featureLayer: resolved.featureLayer,
    featureLayerFrom: resolved.featureLayerFrom,
    pooled: resolved.pooled,
    featureSize: resolved.featureSize,
    inputSize: resolved.inputSize,
    scaling: resolved.scaling,
    finetune: finetuneName(spec.finetune),
    head: headName(spec.head),
    backboneLearningRate: spec.finetune === 'none' ? null : (spec.backboneLearningRate ?? config.training.learningRate / 10),
    ...(featureCache ? { featureCache } : {}),
  };
}

/** A recipe's DRW replaces a loss's own (LDAM's drw parameters): its name shows the recipe's switch, not the loss's setting. */
function withoutKeys(params: Record<string, unknown>, keys: string[]): LossParams {
  return Object.fromEntries(Object.entries(params).filter(([key]) => !keys.includes(key))) as LossParams;
}
