import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types';
import * as tfl from '@tensorflow/tfjs-layers';
import { LaggedLossReader } from './lagged-loss';
import { getLoss } from '../losses/registry';
import type { LossContext, LossFunction } from '../losses/types';
import { DEFAULT_RECIPE, deferredWeighting } from '../methods/recipe';
import { epochOrder, positionsByClass, type SamplerId } from '../methods/samplers';
import { classWeightNorms } from '../methods/tau-norm';
import { scaleLogits } from '../methods/lws';
import { createRng, deriveSeed, type Rng } from '../util/random';
import type { TrainingSpec } from '../experiment/config';
import { fillBatch } from './batches';
import { disposeCheckpoint, readCheckpoint, writeCheckpoint, type RunCheckpoint } from './checkpoint';
import { predictFeatures, predictLogits, quickAccuracy } from './evaluate';
import {
  buildHead,
  buildNetwork,
  disposeNetwork,
  exportableModel,
  forwardFeatures,
  forwardLogits,
  restoreWeights,
  snapshotWeights,
  type Network,
} from './model';
import { networkStats, type NetworkStats } from './network-stats';
import { buildBackboneNetwork, buildHeadOnlyNetwork, headUnits } from './backbone/backbone';
import { learningRateAt } from './schedule';
import {
  RunCancelledError,
  type BatchProgress,
  type EpochRecord,
  type RunJob,
  type RunOutcome,
  type SavedWeights,
  type TrainingData,
  type TrainingStage,
} from './types';

export interface RunCallbacks {
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
  /** Checked before every batch, so a cancel takes effect within one batch. */
  isCancelled?: () => boolean;
  /** Keep the selected model's weights in the outcome. */
  keepWeights?: boolean;
  /** Folder for per-epoch checkpoints; a run that finds one there continues from it. */
  checkpointDir?: string;
}

/** Optimisers whose learning rate the schedule changes between steps. */
type ScheduledOptimizer = tf.Optimizer & { learningRate: number };

function makeOptimizer(training: TrainingSpec): ScheduledOptimizer {
  const optimizer =
    training.optimizer === 'adam'
      ? tf.train.adam(training.learningRate, 0.9, 0.999, 1e-8)
      : tf.train.momentum(training.learningRate, training.momentum);
  return optimizer as unknown as ScheduledOptimizer;
}

/**
 * Adam's bias-correction powers live in private variables that setWeights recomputes with
 * pow(); saving and restoring them exactly keeps a resumed run bit-identical.
 */
type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

async function optimizerState(optimizer: tf.Optimizer): Promise<NamedTensor[]> {
  const state = await optimizer.getWeights();
  const internals = optimizer as unknown as AdamInternals;
  if (internals.accBeta1 && internals.accBeta2) {
    state.push({ name: '__accBeta1', tensor: tf.clone(internals.accBeta1) }, { name: '__accBeta2', tensor: tf.clone(internals.accBeta2) });
  }
  return state;
}

async function restoreOptimizer(optimizer: tf.Optimizer, state: NamedTensor[]): Promise<void> {
  const internals = optimizer as unknown as AdamInternals;
  const powers = state.filter((n) => n.name.startsWith('__accBeta'));
  await optimizer.setWeights(state.filter((n) => !n.name.startsWith('__accBeta')));
  for (const { name, tensor } of powers) {
    const target = name === '__accBeta1' ? internals.accBeta1 : internals.accBeta2;
    target?.assign(tensor as tf.Scalar);
  }
}

/** Disposes what optimizerState created (the iteration counter and the copied powers), not the optimiser's own variables. */
function disposeOptimizerState(state: NamedTensor[]): void {
  for (const { name, tensor } of state) if (name === 'iter' || name.startsWith('__accBeta')) tensor.dispose();
}

/** Coupled L2 decay, 0.5·λ·Σw², whose gradient λ·w is what PyTorch's weight_decay adds. */
function weightPenalty(variables: tf.Variable[], decay: number): tf.Scalar | null {
  if (decay <= 0 || variables.length === 0) return null;
  return tf.mul(0.5 * decay, tf.addN(variables.map((v) => tf.sum(tf.square(v))))) as tf.Scalar;
}

function trainableVariables(models: tfl.LayersModel[]): tf.Variable[] {
  return models.flatMap((m) => m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
}

/**
 * One optimiser step on `lossOf()` plus the coupled weight decay; returns the data loss
 * (without the decay term), still on the device: LaggedLossReader reads it back one batch
 * later, so that a diverging loss is caught without making the GPU wait every step.
 */
function optimizeStep(optimizer: tf.Optimizer, variables: tf.Variable[], decay: number, lossOf: () => tf.Scalar): tf.Scalar {
  let dataLoss: tf.Scalar | null = null;
  const total = optimizer.minimize(
    () => {
      const loss = lossOf();
      dataLoss = tf.keep(loss);
      const penalty = weightPenalty(variables, decay);
      // minimize disposes what it is given back, so hand it a copy, never the kept loss itself.
      return penalty ? tf.add(loss, penalty) : tf.clone(loss);
    },
    false,
    variables,
  );
  total?.dispose();
  return dataLoss as unknown as tf.Scalar;
}

interface ParameterGroup {
  optimizer: ScheduledOptimizer;
  variables: tf.Variable[];
}

/**
 * One step for several parameter groups, each with its own optimiser (a fine-tuned backbone's
 * layers at their own learning rate): one gradient of the loss plus the coupled decay over
 * every group, then each optimiser applies its share.
 */
function optimizeGroupsStep(groups: ParameterGroup[], decay: number, lossOf: () => tf.Scalar): tf.Scalar {
  const all = groups.flatMap((g) => g.variables);
  let dataLoss: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const loss = lossOf();
    dataLoss = tf.keep(loss);
    const penalty = weightPenalty(all, decay);
    return penalty ? tf.add(loss, penalty) : tf.clone(loss);
  }, all);
  for (const group of groups) {
    if (group.variables.length === 0) continue;
    group.optimizer.applyGradients(Object.fromEntries(group.variables.map((v) => [v.name, grads[v.name]!])));
  }
  value.dispose();
  tf.dispose(Object.values(grads));
  return dataLoss as unknown as tf.Scalar;
}

/**
 * One epoch's loss reader: each batch's loss, once read back, is checked (a diverged loss ends
 * the run, saying what to do), added to the epoch's sum weighted by the batch size, and reported.
 */
function epochLossReader(
  job: RunJob,
  meter: ProgressMeter,
  at: { stage: TrainingStage; epoch: number; epochs: number; batches: number },
  add: (weighted: number) => void,
): LaggedLossReader<{ b: number; size: number }> {
  return new LaggedLossReader((value, { b, size }) => {
    if (!Number.isFinite(value)) {
      throw new Error(`Loss ${job.lossId} became ${value} at epoch ${at.epoch + 1}, batch ${b + 1} (run ${job.runId}). Lower the learning rate or check the loss's parameters.`);
    }
    add(value * size);
    meter.report({ runId: job.runId, stage: at.stage, epoch: at.epoch, epochs: at.epochs, batch: b + 1, batches: at.batches, loss: value });
  });
}

type ValScores = { accuracy: number | null; balancedAccuracy: number | null };

function epochRecord(epoch: number, stage: TrainingStage, lossSum: number, seen: number, val: ValScores, learningRate: number, startedAt: number): EpochRecord {
  return {
    epoch,
    stage,
    trainLoss: seen > 0 ? lossSum / seen : 0,
    valAccuracy: val.accuracy,
    valBalancedAccuracy: val.balancedAccuracy,
    learningRate,
    seconds: (performance.now() - startedAt) / 1000,
    numTensors: tf.memory().numTensors,
  };
}

/**
 * The selected epoch: its weights and, when the caller hands them over, the validation logits
 * it was scored on (the selected weights' own, so the run's end need not compute them again).
 */
interface SelectedEpoch {
  epoch: number;
  snapshot: tf.Tensor[];
  valLogits?: Float32Array;
}

/** Keeps a copy of the weights of the best-scoring epoch so far (validation balanced accuracy). */
class BestEpoch {
  best: SelectedEpoch | null = null;
  score = -Infinity;

  consider(score: number, epoch: number, snapshot: () => tf.Tensor[], valLogits?: Float32Array): void {
    if (score <= this.score) return;
    this.score = score;
    this.best?.snapshot.forEach((t) => t.dispose());
    this.best = { epoch, snapshot: snapshot(), ...(valLogits ? { valLogits } : {}) };
  }

  dispose(): void {
    this.best?.snapshot.forEach((t) => t.dispose());
    this.best = null;
  }
}

/** Per-batch progress is throttled: posting every batch of a tiny model would flood the caller. */
const PROGRESS_INTERVAL_MS = 200;

class ProgressMeter {
  private lastReport = 0;
  private images = 0;
  private readonly started = performance.now();
  constructor(
    private readonly totalImages: number,
    private readonly callback: RunCallbacks['onBatch'],
  ) {}

  private priorSeconds = 0;

  add(images: number): void {
    this.images += images;
  }

  /** Carries over the time and images of the epochs a resumed run already trained. */
  restore(seconds: number, images: number): void {
    this.priorSeconds = seconds;
    this.images = images;
  }

  get imagesSeen(): number {
    return this.images;
  }

  get seconds(): number {
    return this.priorSeconds + (performance.now() - this.started) / 1000;
  }

  get imagesPerSecond(): number {
    return this.seconds > 0 ? this.images / this.seconds : 0;
  }

  report(partial: Omit<BatchProgress, 'imagesPerSecond' | 'etaSeconds'>, force = false): void {
    if (!this.callback) return;
    const now = performance.now();
    // The last batch of an epoch always goes out, so progress bars end each epoch exactly.
    const endOfEpoch = partial.batch === partial.batches;
    if (!force && !endOfEpoch && now - this.lastReport < PROGRESS_INTERVAL_MS) return;
    this.lastReport = now;
    const rate = this.imagesPerSecond;
    const remaining = Math.max(0, this.totalImages - this.images);
    this.callback({ ...partial, imagesPerSecond: rate, etaSeconds: rate > 0 ? remaining / rate : 0 });
  }
}

function batchesOf(order: number[], batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    // A batch of one gives batch norm a zero variance; fold it into the previous batch instead.
    if (batch.length < 2 && batches.length > 0) batches[batches.length - 1]!.push(...batch);
    else batches.push(batch);
  }
  return batches;
}

interface StageResult {
  best: SelectedEpoch | null;
  /**
   * The network still holds the selected weights: they are the stage's last epoch's, and
   * nothing trained after it. Test logits of the last weights are then the selected ones too.
   */
  selectedIsLast?: boolean;
}

/**
 * Trains one loss with one seed and returns test logits of the selected and the last weights.
 * Everything random depends on the seed alone (initial weights, batch order, augmentation),
 * so runs of different losses with the same seed differ only in the loss.
 */
export async function trainRun(job: RunJob, data: TrainingData, givenCallbacks: RunCallbacks = {}): Promise<RunOutcome> {
  const definition = getLoss(job.lossId);
  const backbone = job.model.family === 'backbone' ? job.model : null;
  const frozen = backbone !== null && backbone.finetune === 'none';
  if (backbone && !job.backbone) throw new Error(`Run ${job.runId} has a backbone network but no resolved backbone`);
  if (frozen && !data.features) throw new Error(`Run ${job.runId} has a frozen backbone but no precomputed features`);
  if (frozen && definition.kind === 'embedding') {
    throw new Error(`${job.lossId} trains the features, but with --finetune none the backbone is frozen; use --finetune last:N or all`);
  }
  // Backbone runs keep no mid-run checkpoints (a frozen one trains in seconds): resume restarts them.
  const { checkpointDir: givenCheckpointDir, ...rest } = givenCallbacks;
  const callbacks: RunCallbacks = backbone || !givenCheckpointDir ? rest : { ...rest, checkpointDir: givenCheckpointDir };
  const training = job.training;
  const recipe = job.recipe ?? DEFAULT_RECIPE;
  const lossContext: LossContext = { numClasses: data.numClasses, classCounts: data.trainCounts, totalEpochs: training.epochs };
  const lossFn = recipeLoss(job, definition.create(job.params, lossContext), lossContext);
  const protocol = definition.kind === 'embedding' ? 'linear-probe' : 'end-to-end';
  const network = frozen
    ? buildHeadOnlyNetwork(backbone, data.features!.dim, data.numClasses, job.seed)
    : backbone
      ? await buildBackboneNetwork(backbone, job.backbone!, data.numClasses, job.seed)
      : buildNetwork(job.model, data, data.numClasses, job.seed);
  const history: EpochRecord[] = [];
  const orderRng = createRng(deriveSeed(job.seed, 'batch-order'));
  const augmentRng = createRng(deriveSeed(job.seed, 'augmentation'));
  const probeEpochs = protocol === 'linear-probe' ? training.probeEpochs : 0;
  const meter = new ProgressMeter(data.train.length * (training.epochs + probeEpochs), callbacks.onBatch);
  const cancelled = () => callbacks.isCancelled?.() === true;
  let selection: StageResult = { best: null };
  const resume = callbacks.checkpointDir ? readCheckpoint(callbacks.checkpointDir) : null;
  const secondStage = recipe.secondStage;
  try {
    const context: StageContext = {
      orderRng,
      augmentRng,
      meter,
      history,
      callbacks,
      cancelled,
      // Deferred re-sampling replaces the recipe's sampler from its epoch on.
      samplerAt: (epoch) => (recipe.drs !== null && epoch >= recipe.drs ? 'class-balanced' : recipe.sampler),
      seenPerClass: new Array<number>(data.numClasses).fill(0),
      headStageFollows: protocol === 'linear-probe' || secondStage !== null,
    };
    const switches = { drwEpoch: recipe.drw && recipe.drw.epoch < training.epochs ? recipe.drw.epoch : null, drsEpoch: recipe.drs !== null && recipe.drs < training.epochs ? recipe.drs : null };
    if (frozen) return { ...(await trainFrozenBackboneRun(job, data, network, lossFn, context, meter, job.backbone!)), ...switches };
    if (resume?.stage === 'probe') {
      restoreWeights(network, resume.tensors.network);
      restoreStreams(resume, context, data.trainCounts);
      if (secondStage && resume.best && resume.tensors.best) selection = { best: { epoch: resume.best.epoch, snapshot: resume.tensors.best.map((t) => tf.clone(t)) } };
    } else {
      selection = await trainNetworkStage(job, data, network, lossFn, protocol, context, resume);
    }
    if (secondStage) {
      // The second stage starts from the first stage's selected weights, whose features it keeps.
      if (selection.best) restoreWeights(network, selection.best.snapshot);
      selection.best?.snapshot.forEach((t) => t.dispose());
      selection = { best: null };
      if (secondStage.kind === 'lws') {
        return { ...(await trainLwsStage(job, data, network, context, secondStage.epochs, (indices) => predictLogits(network, data, indices))), ...switches };
      }
      const trainFeatures = await predictFeatures(network, data, data.train);
      const valFeatures = data.val.length > 0 ? await predictFeatures(network, data, data.val) : null;
      selection = await trainCrtStage(job, data, network, context, secondStage.epochs, trainFeatures, valFeatures);
    }
    if (protocol === 'linear-probe') {
      const trainFeatures = await predictFeatures(network, data, data.train);
      const valFeatures = data.val.length > 0 ? await predictFeatures(network, data, data.val) : null;
      selection = await trainHeadStage(job, data, network, context, {
        stage: 'probe',
        epochs: training.probeEpochs,
        trainFeatures,
        valFeatures,
        loss: (logits, labels) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, data.numClasses), logits) as tf.Scalar,
      });
    }
    const testLogitsLast = await predictLogits(network, data, data.test);
    // Inference is deterministic: the same weights give the same logits bit for bit, so what
    // was computed already for these very weights is reused, not computed again.
    const reuseLast = selection.selectedIsLast === true;
    if (selection.best && !reuseLast) restoreWeights(network, selection.best.snapshot);
    const testLogits = selection.best && !reuseLast ? await predictLogits(network, data, data.test) : testLogitsLast;
    const valLogits = selection.best?.valLogits ?? (await predictLogits(network, data, data.val));
    const weights = callbacks.keepWeights ? await saveWeights(network) : undefined;
    return {
      runId: job.runId,
      testLogits,
      testLogitsLast,
      valLogits,
      history,
      bestEpoch: selection.best?.epoch ?? history.length - 1,
      trainSeconds: meter.seconds,
      imagesPerSecond: meter.imagesPerSecond,
      protocol,
      network: networkStats(network),
      ...(weights ? { weights } : {}),
      seenPerClass: context.seenPerClass,
      ...switches,
      // τ-normalisation is an alternative to a second stage, not something to stack on it.
      ...(secondStage ? {} : { classifierNorms: await classifierNorms(network, data.numClasses) }),
    };
  } finally {
    if (resume) disposeCheckpoint(resume);
    selection.best?.snapshot.forEach((t) => t.dispose());
    disposeNetwork(network);
  }
}

function restoreStreams(checkpoint: RunCheckpoint, context: Pick<StageContext, 'orderRng' | 'augmentRng' | 'meter' | 'history' | 'seenPerClass'>, trainCounts: readonly number[]): void {
  context.orderRng.state = checkpoint.orderState;
  context.augmentRng.state = checkpoint.augmentState;
  context.history.push(...checkpoint.history);
  context.meter.restore(checkpoint.elapsedSeconds, checkpoint.imagesSeen);
  // Checkpoints from before samplers: every epoch drew each training image once.
  const seen = checkpoint.seenPerClass ?? trainCounts.map((n) => n * checkpoint.nextEpoch);
  context.seenPerClass.splice(0, context.seenPerClass.length, ...seen);
}

interface StageContext {
  orderRng: Rng;
  augmentRng: Rng;
  meter: ProgressMeter;
  history: EpochRecord[];
  callbacks: RunCallbacks;
  cancelled: () => boolean;
  /** The recipe's sampler for a 0-based epoch of the main training. */
  samplerAt: (epoch: number) => SamplerId;
  /** Images drawn per class so far, every stage included. */
  seenPerClass: number[];
  /** A probe or second stage trains after the network stage (its last checkpoint says so). */
  headStageFollows: boolean;
}

/**
 * The run's loss under its recipe: with deferred re-weighting, the loss without class weights
 * before the switch epoch and with class-balanced weights from it on.
 */
export function recipeLoss(job: RunJob, plain: LossFunction, context: LossContext): LossFunction {
  const drw = job.recipe?.drw;
  if (!drw) return plain;
  const { before, after } = deferredWeighting(job.lossId, job.params, context.classCounts, drw.beta);
  const early = getLoss(before.id).create(before.params, context);
  const late = getLoss(after.id).create(after.params, context);
  return (output, labels, step) => (step.epoch >= drw.epoch ? late : early)(output, labels, step);
}

/** Per-class L2 norms of the final classifier layer's weights. */
async function classifierNorms(network: Network, numClasses: number): Promise<number[]> {
  const layers = network.head.layers;
  const kernel = layers[layers.length - 1]!.getWeights()[0]!;
  return classWeightNorms((await kernel.data()) as Float32Array, numClasses);
}

function countSeen(seen: number[], labels: Int32Array): void {
  for (const y of labels) seen[y]! += 1;
}

async function trainNetworkStage(
  job: RunJob,
  data: TrainingData,
  network: Network,
  lossFn: LossFunction,
  protocol: 'end-to-end' | 'linear-probe',
  context: StageContext,
  resume: RunCheckpoint | null,
): Promise<StageResult> {
  const { training } = job;
  const { imageSize: s, channels: ch } = data;
  const augment = training.augment.flip || training.augment.crop ? training.augment : null;
  const models = protocol === 'end-to-end' ? [network.features, network.head] : [network.features];
  const variables = trainableVariables(models);
  const optimizer = makeOptimizer(training);
  // A fine-tuned backbone's layers train at their own learning rate, with their own optimiser.
  const spec = job.model;
  const backboneRate = spec.family === 'backbone' ? (spec.backboneLearningRate ?? training.learningRate / 10) : null;
  const backboneOptimizer = backboneRate !== null ? makeOptimizer({ ...training, learningRate: backboneRate }) : null;
  const groups: ParameterGroup[] | null = backboneOptimizer
    ? [
        { optimizer, variables: protocol === 'end-to-end' ? trainableVariables([network.head]) : [] },
        { optimizer: backboneOptimizer, variables: trainableVariables([network.features]) },
      ]
    : null;
  const order = Array.from(data.train);
  const byClass = positionsByClass(Int32Array.from(data.train, (i) => data.labels[i] as number), data.numClasses).map((g) => g.map((p) => data.train[p] as number));
  const batchesPerEpoch = batchesOf(order, training.batchSize).length;
  const totalSteps = batchesPerEpoch * training.epochs;
  const buffer = new Float32Array((training.batchSize + 1) * s * s * ch);
  const tracker = new BestEpoch();
  let step = 0;
  let firstEpoch = 0;
  // Whether the epoch that just ended was selected (its weights are then the network's own).
  let selectedNow = false;
  try {
    if (resume) {
      restoreWeights(network, resume.tensors.network);
      await restoreOptimizer(optimizer, resume.tensors.optimizer);
      restoreStreams(resume, context, data.trainCounts);
      order.splice(0, order.length, ...resume.order);
      step = resume.step;
      firstEpoch = resume.nextEpoch;
      if (resume.best && resume.tensors.best) {
        tracker.best = { epoch: resume.best.epoch, snapshot: resume.tensors.best.map((t) => tf.clone(t)) };
        tracker.score = resume.best.score;
      }
    }
    for (let epoch = firstEpoch; epoch < training.epochs; epoch++) {
      const epochStart = performance.now();
      selectedNow = false;
      const items = epochOrder(context.samplerAt(epoch), order, byClass, epoch, training.epochs, context.orderRng);
      const batches = batchesOf(items, training.batchSize);
      let lossSum = 0;
      let seen = 0;
      const losses = epochLossReader(job, context.meter, { stage: 'train', epoch, epochs: training.epochs, batches: batches.length }, (weighted) => (lossSum += weighted));
      for (let b = 0; b < batches.length; b++) {
        if (context.cancelled()) throw new RunCancelledError(job.runId);
        const batch = batches[b]!;
        optimizer.learningRate = learningRateAt(training, step, totalSteps);
        if (backboneOptimizer) backboneOptimizer.learningRate = optimizer.learningRate * ((backboneRate as number) / training.learningRate);
        const view = buffer.subarray(0, batch.length * s * s * ch);
        fillBatch(data, batch, view, augment, context.augmentRng);
        const labels = Int32Array.from(batch, (i) => data.labels[i] as number);
        countSeen(context.seenPerClass, labels);
        const lossOf = () => {
          const x = tf.tensor4d(view, [batch.length, s, s, ch]);
          const y = tf.tensor1d(labels, 'int32');
          const output = protocol === 'end-to-end' ? forwardLogits(network, x, true) : forwardFeatures(network, x, true);
          return lossFn(output, y, { epoch });
        };
        const loss = groups ? optimizeGroupsStep(groups, training.weightDecay, lossOf) : optimizeStep(optimizer, variables, training.weightDecay, lossOf);
        seen += batch.length;
        step++;
        context.meter.add(batch.length);
        await losses.push(loss, { b, size: batch.length });
      }
      await losses.flush();
      // Embedding losses are selected after the probe; the network stage keeps its last epoch.
      let valScores: ValScores = { accuracy: null, balancedAccuracy: null };
      if (protocol === 'end-to-end' && data.val.length > 0) {
        const valLogits = await predictLogits(network, data, data.val);
        valScores = quickAccuracy(valLogits, data.labels, data.val, data.numClasses);
        tracker.consider(valScores.balancedAccuracy as number, epoch, () => snapshotWeights(network), valLogits);
        selectedNow = tracker.best?.epoch === epoch;
      }
      const record = epochRecord(epoch, 'train', lossSum, seen, valScores, optimizer.learningRate, epochStart);
      context.history.push(record);
      if (context.callbacks.checkpointDir) {
        const state = await optimizerState(optimizer);
        try {
          await writeCheckpoint(context.callbacks.checkpointDir, {
            stage: epoch + 1 === training.epochs && context.headStageFollows ? 'probe' : 'train',
            nextEpoch: epoch + 1,
            step,
            history: context.history,
            orderState: context.orderRng.state,
            augmentState: context.augmentRng.state,
            order,
            best: tracker.best ? { epoch: tracker.best.epoch, score: tracker.score } : null,
            elapsedSeconds: context.meter.seconds,
            imagesSeen: context.meter.imagesSeen,
            seenPerClass: context.seenPerClass,
            tensors: { network: [...network.features.getWeights(), ...network.head.getWeights()], optimizer: state, best: tracker.best?.snapshot ?? null },
          });
        } finally {
          disposeOptimizerState(state);
        }
      }
      context.callbacks.onEpoch?.(record);
    }
  } catch (error) {
    tracker.dispose();
    throw error;
  } finally {
    optimizer.dispose();
    backboneOptimizer?.dispose();
  }
  return { best: tracker.best, selectedIsLast: selectedNow };
}

interface HeadStage {
  stage: TrainingStage;
  epochs: number;
  /** Features of data.train (row p for data.train[p]) and of data.val. */
  trainFeatures: Float32Array;
  valFeatures: Float32Array | null;
  loss: (logits: tf.Tensor2D, labels: tf.Tensor1D, epoch: number) => tf.Scalar;
  /** The sampler per epoch of this stage; default instance. */
  sampler?: (epoch: number) => SamplerId;
  /** What trains (default: the network's head with its weight decay): LWS trains per-class scales instead. */
  trainable?: { width: number; variables: tf.Variable[]; apply: (rows: tf.Tensor2D, training: boolean) => tf.Tensor2D; snapshot: () => tf.Tensor[]; decay: number };
}

/**
 * Trains the head alone on fixed features, selected on validation: the read-out of the
 * two-stage protocol (features of the network the embedding loss trained, cross-entropy), and
 * a frozen backbone's whole training (cached backbone features, the run's own loss).
 */
async function trainHeadStage(job: RunJob, data: TrainingData, network: Network, context: StageContext, stage: HeadStage): Promise<StageResult> {
  const { training } = job;
  const trainable = stage.trainable ?? {
    width: network.featureSize,
    variables: trainableVariables([network.head]),
    apply: (rows: tf.Tensor2D, isTraining: boolean) => network.head.apply(rows, { training: isTraining }) as tf.Tensor2D,
    snapshot: () => snapshotWeights(network),
    decay: training.weightDecay,
  };
  const dim = trainable.width;
  const { trainFeatures, valFeatures } = stage;
  const variables = trainable.variables;
  const optimizer = makeOptimizer(training);
  const positions = Array.from(data.train.keys());
  const byClass = positionsByClass(Int32Array.from(data.train, (i) => data.labels[i] as number), data.numClasses);
  const batchesPerEpoch = batchesOf(positions, training.batchSize).length;
  const totalSteps = batchesPerEpoch * stage.epochs;
  const tracker = new BestEpoch();
  let step = 0;
  try {
    for (let epoch = 0; epoch < stage.epochs; epoch++) {
      const epochStart = performance.now();
      const items = epochOrder(stage.sampler?.(epoch) ?? 'instance', positions, byClass, epoch, stage.epochs, context.orderRng);
      const batches = batchesOf(items, training.batchSize);
      let lossSum = 0;
      let seen = 0;
      const losses = epochLossReader(job, context.meter, { stage: stage.stage, epoch, epochs: stage.epochs, batches: batches.length }, (weighted) => (lossSum += weighted));
      for (let b = 0; b < batches.length; b++) {
        if (context.cancelled()) throw new RunCancelledError(job.runId);
        const batch = batches[b]!;
        optimizer.learningRate = learningRateAt(training, step, totalSteps);
        const rows = new Float32Array(batch.length * dim);
        batch.forEach((p, r) => rows.set(trainFeatures.subarray(p * dim, (p + 1) * dim), r * dim));
        const labels = Int32Array.from(batch, (p) => data.labels[data.train[p] as number] as number);
        countSeen(context.seenPerClass, labels);
        const loss = optimizeStep(optimizer, variables, trainable.decay, () => {
          const logits = trainable.apply(tf.tensor2d(rows, [batch.length, dim]), true);
          return stage.loss(logits, tf.tensor1d(labels, 'int32'), epoch);
        });
        seen += batch.length;
        step++;
        context.meter.add(batch.length);
        await losses.push(loss, { b, size: batch.length });
      }
      await losses.flush();
      let valScores: ValScores = { accuracy: null, balancedAccuracy: null };
      if (valFeatures) {
        const values = await rowsThrough(trainable.apply, valFeatures, data.val.length, dim);
        valScores = quickAccuracy(values, data.labels, data.val, data.numClasses);
        // Selection indexes the whole history, whose first entries may be the network stage's epochs.
        tracker.consider(valScores.balancedAccuracy as number, context.history.length, trainable.snapshot);
      }
      const record = epochRecord(epoch, stage.stage, lossSum, seen, valScores, optimizer.learningRate, epochStart);
      context.history.push(record);
      context.callbacks.onEpoch?.(record);
    }
  } catch (error) {
    tracker.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  return { best: tracker.best };
}

/** The head's logits for rows of features (inference mode). */
function headLogits(network: Network, features: Float32Array, rows: number): Promise<Float32Array> {
  return rowsThrough((x) => network.head.apply(x) as tf.Tensor2D, features, rows, network.featureSize);
}

async function rowsThrough(apply: (rows: tf.Tensor2D, training: boolean) => tf.Tensor2D, features: Float32Array, rows: number, width: number): Promise<Float32Array> {
  if (rows === 0) return new Float32Array(0);
  const logits = tf.tidy(() => apply(tf.tensor2d(features, [rows, width]), false));
  const values = (await logits.data()) as Float32Array;
  logits.dispose();
  return values;
}

/**
 * cRT (Kang et al. 2020): a freshly initialised head (the linear classifier; with a backbone's
 * MLP head, the whole head), trained with cross-entropy and class-balanced sampling on the
 * first stage's frozen features, selected on validation.
 */
function trainCrtStage(job: RunJob, data: TrainingData, network: Network, context: StageContext, epochs: number, trainFeatures: Float32Array, valFeatures: Float32Array | null): Promise<StageResult> {
  const units = job.model.family === 'backbone' ? headUnits(job.model) : undefined;
  const fresh = buildHead(network.featureSize, data.numClasses, deriveSeed(job.seed, 'crt'), units);
  network.head.setWeights(fresh.getWeights());
  fresh.dispose();
  return trainHeadStage(job, data, network, context, {
    stage: 'crt',
    epochs,
    trainFeatures,
    valFeatures,
    sampler: () => 'class-balanced',
    loss: (logits, labels) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, data.numClasses), logits) as tf.Scalar,
  });
}

/**
 * LWS (Kang et al. 2020): features and classifier stay as the first stage selected them; one
 * scale per class multiplies the logits, trained with cross-entropy and class-balanced
 * sampling (no weight decay, which would pull the scales to zero), selected on validation.
 */
async function trainLwsStage(
  job: RunJob,
  data: TrainingData,
  network: Network,
  context: StageContext,
  epochs: number,
  logitsOf: (indices: Int32Array) => Promise<Float32Array>,
): Promise<RunOutcome> {
  const C = data.numClasses;
  const trainLogits = await logitsOf(data.train);
  const valLogits = data.val.length > 0 ? await logitsOf(data.val) : null;
  const testLogits = await logitsOf(data.test);
  const scales = tf.variable(tf.ones([C]), true);
  let selection: StageResult = { best: null };
  try {
    selection = await trainHeadStage(job, data, network, context, {
      stage: 'lws',
      epochs,
      trainFeatures: trainLogits,
      valFeatures: valLogits,
      sampler: () => 'class-balanced',
      trainable: { width: C, variables: [scales], apply: (rows) => tf.mul(rows, scales) as tf.Tensor2D, snapshot: () => [tf.clone(scales)], decay: 0 },
      loss: (logits, labels) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, C), logits) as tf.Scalar,
    });
    const last = Array.from(await scales.data());
    const chosen = selection.best ? Array.from(await selection.best.snapshot[0]!.data()) : last;
    const weights = context.callbacks.keepWeights ? await saveWeights(network) : undefined;
    return {
      runId: job.runId,
      testLogits: scaleLogits(testLogits, C, chosen),
      testLogitsLast: scaleLogits(testLogits, C, last),
      valLogits: valLogits ? scaleLogits(valLogits, C, chosen) : new Float32Array(0),
      history: context.history,
      bestEpoch: selection.best?.epoch ?? context.history.length - 1,
      trainSeconds: context.meter.seconds,
      imagesPerSecond: context.meter.imagesPerSecond,
      protocol: 'end-to-end',
      network: networkStats(network),
      ...(weights ? { weights } : {}),
      seenPerClass: context.seenPerClass,
      lwsScales: chosen,
    };
  } finally {
    selection.best?.snapshot.forEach((t) => t.dispose());
    scales.dispose();
  }
}

/** Rows of a frozen backbone's cached features for `indices` (dataset item indices). */
function gatherFeatures(features: { values: Float32Array; dim: number }, indices: Int32Array): Float32Array {
  const { values, dim } = features;
  const out = new Float32Array(indices.length * dim);
  indices.forEach((item, r) => out.set(values.subarray(item * dim, (item + 1) * dim), r * dim));
  return out;
}

/**
 * A frozen backbone: the run's loss trains the head on the cached features, selected on
 * validation; test and validation logits come from the same head on the same cached features.
 */
async function trainFrozenBackboneRun(
  job: RunJob,
  data: TrainingData,
  network: Network,
  lossFn: LossFunction,
  context: StageContext,
  meter: ProgressMeter,
  backbone: NonNullable<RunJob['backbone']>,
): Promise<RunOutcome> {
  const features = data.features!;
  const trainFeatures = gatherFeatures(features, data.train);
  const valFeatures = data.val.length > 0 ? gatherFeatures(features, data.val) : null;
  let selection = await trainHeadStage(job, data, network, context, {
    stage: 'train',
    epochs: job.training.epochs,
    trainFeatures,
    valFeatures,
    sampler: context.samplerAt,
    loss: (logits, labels, epoch) => lossFn(logits, labels, { epoch }),
  });
  const head = () => networkStats(network);
  const withBackbone = (stats: NetworkStats): NetworkStats => ({
    trainableParams: stats.trainableParams,
    totalParams: stats.totalParams + backbone.totalParams,
    flopsPerImage: stats.flopsPerImage + backbone.flopsPerImage,
  });
  const secondStage = job.recipe?.secondStage ?? null;
  if (secondStage) {
    // The backbone's features are frozen already: the second stage starts from the selected head.
    if (selection.best) restoreWeights(network, selection.best.snapshot);
    selection.best?.snapshot.forEach((t) => t.dispose());
    selection = { best: null };
    if (secondStage.kind === 'lws') {
      const outcome = await trainLwsStage(job, data, network, context, secondStage.epochs, (indices) => headLogits(network, gatherFeatures(features, indices), indices.length));
      return { ...outcome, network: withBackbone(head()) };
    }
    selection = await trainCrtStage(job, data, network, context, secondStage.epochs, trainFeatures, valFeatures);
  }
  try {
    const testFeatures = gatherFeatures(features, data.test);
    const testLogitsLast = await headLogits(network, testFeatures, data.test.length);
    if (selection.best) restoreWeights(network, selection.best.snapshot);
    const testLogits = selection.best ? await headLogits(network, testFeatures, data.test.length) : testLogitsLast;
    const valLogits = await headLogits(network, gatherFeatures(features, data.val), data.val.length);
    const weights = context.callbacks.keepWeights ? await saveWeights(network) : undefined;
    const stats = withBackbone(head());
    return {
      runId: job.runId,
      testLogits,
      testLogitsLast,
      valLogits,
      history: context.history,
      bestEpoch: selection.best?.epoch ?? context.history.length - 1,
      trainSeconds: meter.seconds,
      imagesPerSecond: meter.imagesPerSecond,
      protocol: 'end-to-end',
      network: stats,
      ...(weights ? { weights } : {}),
      seenPerClass: context.seenPerClass,
      ...(secondStage ? {} : { classifierNorms: await classifierNorms(network, data.numClasses) }),
    };
  } finally {
    selection.best?.snapshot.forEach((t) => t.dispose());
  }
}

async function saveWeights(network: Network): Promise<SavedWeights> {
  let saved: SavedWeights | null = null;
  const model = exportableModel(network);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = {
        modelTopology: artifacts.modelTopology,
        weightSpecs: artifacts.weightSpecs ?? [],
        weightData: artifacts.weightData as ArrayBuffer,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error('Saving the model produced no weights');
  return saved;
}
