import type { MethodDefinition } from '../methods/catalogue';
import { z } from 'zod';
import type { LoadProgress, SkippedFile } from '../dataset/types';
import type { BackendReport } from '../engine/worker-protocol';
import type { BatchProgress, EpochRecord } from '../engine/types';
import type { listBackends } from '../engine/backends/select-backend';
import type { DoctorReport } from '../doctor/report';
import { experimentConfigSchema, modelSchema, type ExperimentConfig } from '../experiment/config';
import type { LossTag } from '../losses/tags';
import type { LossDefinition } from '../losses/types';
import type { ExperimentResults, NetworkSummary, RunResult } from '../results/types';
import type { ExperimentListing } from '../store/experiment-store';
import type { ExperimentAnalysis, VariantAnalysis } from '../analysis/types';
import type { Verdict } from '../analysis/verdict';
import type { SweepListing, SweepPlanView } from '../sweep/plan-view-types';
import type { SeenWorker } from '../queue/worker-status';

/**
 * The one API contract between the app's user interface and the main-side services. The
 * Electron preload exposes exactly these calls over IPC, served mode exposes the same calls
 * over HTTP + WebSocket, and both validate every request against these schemas at runtime.
 * Channel names are the keys of `requestSchemas`; nothing else crosses the boundary.
 */

const pathString = z.string().min(1).max(4096);
const experimentId = z.string().regex(/^[\w.-]{1,128}$/, 'an experiment id');
const exportFormat = z.enum(['html', 'pdf', 'csv', 'json', 'md']);

export const requestSchemas = {
  /** Catalogue of losses with formulas, explanations and parameter specs. */
  'losses.list': z.object({}),
  /** Catalogue of training methods (samplers, DRW/DRS, cRT/LWS, τ-norm) a recipe combines with a loss. */
  'methods.list': z.object({}),
  /** Backends this machine can use, and which one `auto` would pick. */
  'backends.list': z.object({}),
  /**
   * `losslab doctor`: GPUs, drivers, Vulkan and CUDA seen, each backend's verdict and a short
   * training probe of `seconds` per usable backend (0: none). One report at a time: a call while
   * one is being made gets that one.
   */
  'doctor.report': z.object({ seconds: z.number().int().min(0).max(30).default(10) }),
  /**
   * The network a model choice builds for this input, measured by the engine: its label,
   * trainable and total parameters and FLOPs per image (the Experiment screen shows them).
   */
  'models.describe': z.object({
    model: modelSchema,
    imageSize: z.number().int().min(8).max(256),
    channels: z.union([z.literal(1), z.literal(3)]),
    numClasses: z.number().int().min(1).max(100_000),
  }),
  /** Path of the built-in sample dataset. */
  'dataset.samplePath': z.object({}),
  /** Scans and decodes a dataset folder the user chose; progress arrives as 'dataset.progress' events. */
  'dataset.open': z.object({
    path: pathString,
    imageSize: z.number().int().min(8).max(256).default(32),
    resize: z.enum(['center-crop', 'squash', 'letterbox']).default('center-crop'),
    colorMode: z.enum(['auto', 'rgb', 'grayscale']).default('auto'),
  }),
  /** Training counts per class that an imbalance profile would give, for the live preview. */
  'dataset.previewImbalance': z.object({
    path: pathString,
    testFraction: z.number().min(0.01).max(0.9),
    valFraction: z.number().min(0).max(0.9),
    imbalance: experimentConfigSchema.shape.imbalance,
    splitSeed: z.number().int().min(0),
  }),
  /**
   * What a configuration will train before it starts: its settings (several for a sweep), the
   * run count against the 2,000-run confirmation limit, the training images per setting, and an
   * estimated duration from earlier runs of the same network on this machine. Refusals (invalid
   * sweep values, a setting that leaves a class without training images) come back as errors.
   */
  'sweep.plan': z.object({ config: experimentConfigSchema }),
  /**
   * Starts a sweep (a configuration with a `sweep` block): one experiment per imbalance setting,
   * one after another, in a sweep folder of the store. Refused with nothing written like
   * `losslab run`: more than 2,000 runs unless `confirmed`, a setting that leaves a class without
   * training images, invalid sweep values. Each setting is announced as 'sweep.progress' and then
   * followed with the ordinary 'experiment.*' events; 'sweep.done' carries the plain-words summary.
   */
  'sweep.start': z.object({ config: experimentConfigSchema, confirmed: z.boolean().default(false) }),
  /** Sweeps in the store, newest first (History), with whether this process is training each. */
  'sweeps.list': z.object({}),
  /** Starts an experiment; progress arrives as 'experiment.*' events. */
  'experiment.start': z.object({ config: experimentConfigSchema }),
  'experiment.cancel': z.object({ id: experimentId, runIndex: z.number().int().min(0).optional() }),
  /** Continues an interrupted experiment of the store: finished runs are kept, the others go on from their last epoch. */
  'experiment.resume': z.object({ id: experimentId }),
  /** Experiments in the store, newest first. */
  'experiments.list': z.object({}),
  /** results.json of a finished experiment. */
  'experiments.get': z.object({ id: experimentId }),
  'experiments.delete': z.object({ id: experimentId }),
  /** Test images of one confusion-matrix cell for one run. */
  'experiments.cellImages': z.object({
    id: experimentId,
    runId: z.string().min(1).max(512),
    trueClass: z.number().int().min(0),
    predictedClass: z.number().int().min(0),
    limit: z.number().int().min(1).max(500).default(60),
  }),
  /**
   * The comparison the reports show, computed in the main process by the same analysis
   * (analysis/analyze.ts, same default settings): paired comparisons against `baseline` (a loss
   * key; default cross-entropy, else the first loss), ranking, calibration, post-hoc rows, and
   * the verdict line.
   */
  'experiments.analysis': z.object({ id: experimentId, baseline: z.string().min(1).max(512).optional() }),
  /**
   * Test images a page at a time, with what every loss of one seed predicted for each and how
   * confident it was. `filter`: 'disagree' keeps images the losses disagree on; 'wrong' those at
   * least one loss got wrong. `trueClass` keeps one class.
   */
  'experiments.predictions': z.object({
    id: experimentId,
    seed: z.number().int().min(0).optional(),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(200).default(24),
    filter: z.enum(['all', 'disagree', 'wrong']).default('all'),
    trueClass: z.number().int().min(0).optional(),
  }),
  /**
   * Writes a report of an experiment to a path the user chose (desktop: a save dialog; served: below
   * --root; a relative path is relative to --root). The format's extension is added when missing;
   * CSV is one .zip of the tables. An existing file is refused with an error named
   * ExportTargetExistsError unless `overwrite` is true; so is any path inside the experiment's dataset.
   */
  'experiments.export': z.object({
    id: experimentId,
    format: exportFormat,
    path: pathString,
    overwrite: z.boolean().default(false),
  }),
  /** Experiments started in this session that have not finished, for a renderer that reloads mid-training. */
  'experiments.running': z.object({}),
  /**
   * Queue mode (served with --redis, or a queue the desktop app connected to): the queue this
   * app's experiments go to and the workers serving it, with their host, backend, current runs,
   * images/s and when they were last heard from. Running experiments also push the list as
   * 'experiment.workers' events.
   */
  'queue.workers': z.object({}),
  /**
   * Desktop only: checks that the Redis of `url` (redis:// or rediss://) answers, then hands the
   * runs of every experiment and sweep started or resumed from now on to the queue workers serving
   * it. Answers the URL without its password, which stays in the main process's memory only.
   * Served mode refuses: its queue is set by `losslab serve --redis URL`.
   */
  'queue.connect': z.object({
    url: z.string().trim().min(1, 'a Redis URL such as redis://host:6379').max(2048),
    /** The study publishes its decoded images through Redis, so workers need no copy of the folder (run --publish-data); otherwise each worker reads the folder at the same path. */
    publishData: z.boolean().default(true),
  }),
  /** Desktop only: experiments started from now on train on this computer; running ones keep their workers. */
  'queue.disconnect': z.object({}),
  /** Which mode the app runs in and what it offers (native dialogs or the folder browser). */
  'app.info': z.object({}),
  /** Served mode's folder picker: the sub-folders of a folder below the --root named on the command line. */
  'fs.browse': z.object({ path: pathString.optional() }),
  /** Desktop only: the native "open folder" dialog; the chosen folder becomes readable. null when cancelled. */
  'dialog.openFolder': z.object({}),
  /** Desktop only: a native save dialog, then the export written there. null when cancelled. */
  'dialog.saveExport': z.object({ id: experimentId, format: exportFormat }),
  /**
   * Desktop only: a native folder dialog, then the trained model of one run (TensorFlow.js layers
   * format: model.json + weights.bin) copied into a new folder there. null when cancelled. Served
   * mode downloads the same files as a .zip from GET /download?id=…&run=….
   */
  'dialog.saveModel': z.object({ id: experimentId, runId: z.string().min(1).max(512) }),
} as const;

export type Channel = keyof typeof requestSchemas;
export type Request<C extends Channel> = z.input<(typeof requestSchemas)[C]>;
export type ParsedRequest<C extends Channel> = z.output<(typeof requestSchemas)[C]>;

export class ApiValidationError extends Error {
  constructor(
    readonly channel: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiValidationError';
  }
}

/** Validates a request for a channel; unknown channels and malformed arguments are refused with a message. */
export function parseRequest<C extends Channel>(channel: string, payload: unknown): ParsedRequest<C> {
  if (typeof channel !== 'string' || !Object.prototype.hasOwnProperty.call(requestSchemas, channel)) {
    // The name is echoed only when it is a string: anything else could even fail to convert to one.
    const shown = typeof channel === 'string' ? channel.slice(0, 100) : `(a ${typeof channel})`;
    throw new ApiValidationError(shown, `Unknown API call "${shown}"`);
  }
  const schema = requestSchemas[channel as C];
  const parsed = schema.safeParse(payload ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`);
    throw new ApiValidationError(channel, `Invalid request for ${channel} — ${problems.join('; ')}`);
  }
  return parsed.data as ParsedRequest<C>;
}

/** Errors cross the boundary as plain data and are rebuilt as Error objects on the other side. */
export interface SerializedError {
  name: string;
  message: string;
}

export type ExportFormat = z.output<typeof exportFormat>;

// ---------------------------------------------------------------------------------------------
// Responses. Shapes owned elsewhere (results.json, the store, the backend list) are derived from
// their source so the contract cannot drift from them.
// ---------------------------------------------------------------------------------------------

/** An image the renderer may display: `url` works in <img src> in the current mode. */
export interface ImageRef {
  /** Relative to the dataset root (POSIX separators). */
  file: string;
  absolutePath: string;
  url: string;
}

/** A loss of the catalogue as plain data (the training function stays in the main process). */
export type LossInfo = Omit<LossDefinition, 'create' | 'head'> & {
  head?: { cosineClassifier: boolean; note: string };
  /** What the loss is for (main/losses/tags.ts), for filtering the catalogue by purpose. */
  tags: LossTag[];
};

export interface DatasetOverview {
  /** The dataset folder as resolved on disk. */
  path: string;
  layout: 'classes' | 'splits';
  classes: { name: string; count: number; samples: ImageRef[] }[];
  total: number;
  /** Images the layout already assigned to a split (train/, val/, test/ folders); all 'pool' otherwise. */
  givenSplits: Record<'pool' | 'train' | 'val' | 'test', number>;
  /** The first skipped files with their reasons; `skippedTotal` counts all of them. */
  skipped: SkippedFile[];
  skippedTotal: number;
  /** How images are stored for training. */
  imageSize: number;
  channels: 1 | 3;
  resize: 'center-crop' | 'squash' | 'letterbox';
  /** Header facts of a sample of the source files: their sizes, formats and channel counts. */
  sourceImages: {
    sampled: number;
    width: { min: number; max: number };
    height: { min: number; max: number };
    formats: Record<string, number>;
    /** Files per channel count in their headers ("1" gray, "2" gray + alpha, "3" colour, "4" colour + alpha); a gray picture saved as RGB counts as 3. */
    channels: Record<string, number>;
  };
  /** Whether every decoded image turned out gray (colour mode auto); null when the colour mode was forced. */
  allGray: boolean | null;
  fingerprint: string;
  loadSeconds: number;
  cachedImages: number;
}

export interface ImbalancePreview {
  classes: string[];
  /** Per class, in class order. */
  poolBeforeImbalance: number[];
  train: number[];
  val: number[];
  test: number[];
  headToTail: number[];
  /** Largest over smallest training count. */
  imbalanceRatio: number;
}

/** One training of an experiment: a loss (with its parameters) and a seed. */
export interface PlannedRun {
  index: number;
  runId: string;
  lossKey: string;
  loss: string;
  seed: number;
  /** Display name of the loss with its training recipe ("ce + class-balanced sampler"); absent for plain training. */
  label?: string;
}

export interface RunningExperimentInfo {
  id: string;
  name: string | null;
  startedAt: string;
  config: ExperimentConfig;
  runs: (PlannedRun & { status: 'queued' | 'running' | RunResult['status']; lastBatch: BatchProgress | null; epochs: EpochRecord[] })[];
  /** Queue mode: the workers as last reported (null when its runs train in this process). */
  workers: SeenWorker[] | null;
  /** A setting of a sweep: which one, so a reloaded window follows the sweep on to its next setting. */
  sweep?: SweepSettingInfo;
}

/** What 'sweep.progress' says of a setting, without the experiment id. */
export interface SweepSettingInfo {
  id: string;
  setting: number;
  settings: number;
  label: string;
  rho: number | null;
}

export type { SeenWorker };

/** The queue experiments go to (its URL without the password) and its workers; queue null when runs train locally. */
export interface QueueWorkers {
  queue: string | null;
  workers: SeenWorker[];
}

export interface CellImage extends ImageRef {
  /** Probability the run gave the predicted class. */
  confidence: number;
}

export interface AppInfo {
  mode: 'desktop' | 'served';
  version: string;
  platform: string;
  /** Where experiments are stored. */
  dataDir: string;
  /** Served mode's folder-browser root (null on the desktop, which uses native dialogs). */
  browseRoot: string | null;
  features: { nativeDialogs: boolean; folderBrowser: boolean; export: boolean };
}

export interface FolderListing {
  root: string;
  path: string;
  /** null at the root: the browser never goes above it. */
  parent: string | null;
  folders: { name: string; path: string }[];
  /** Whether more folders exist than were listed. */
  truncated: boolean;
}

/** A row of the comparison as the app shows it: the analysis row without per-run detail and curves (results.json has those). */
export type AnalysisRow = Omit<VariantAnalysis, 'runs' | 'curves' | 'confusion'> & {
  /** The row's runs, by seed (per-seed temperatures are in `calibration`). */
  runs: { seed: number; runId: string }[];
  /** Whether the store kept this run's trained weights (a model can be exported). Trained rows only. */
  modelRuns: { seed: number; runId: string }[];
};

export interface AnalysisView {
  analysis: Omit<ExperimentAnalysis, 'variants' | 'hardest'> & { variants: AnalysisRow[] };
  verdict: Verdict;
}

/** One run's answer for a test image: the class it predicted, with its softmax probability. */
export interface ImagePrediction {
  predicted: number;
  confidence: number;
}

export interface PredictionsPage {
  /** Test images that pass the filter. */
  total: number;
  seed: number;
  /** Seeds with predictions, to choose from. */
  seeds: number[];
  /** One column per loss, in the configuration's order. */
  runs: { runId: string; lossKey: string; label: string }[];
  items: (ImageRef & {
    /** Index into results.testItems. */
    index: number;
    trueClass: number;
    /** Aligned with `runs`; null where that run has no predictions. */
    predictions: (ImagePrediction | null)[];
  })[];
}

export interface Responses {
  'losses.list': LossInfo[];
  'methods.list': MethodDefinition[];
  'backends.list': Awaited<ReturnType<typeof listBackends>>;
  'doctor.report': DoctorReport;
  'models.describe': NetworkSummary;
  'dataset.samplePath': { path: string };
  'dataset.open': DatasetOverview;
  'dataset.previewImbalance': ImbalancePreview;
  'sweep.plan': SweepPlanView;
  'sweep.start': { id: string; dir: string; settings: SweepPlanView['settings']; totalRuns: number };
  'sweeps.list': Array<SweepListing & { running: boolean }>;
  'experiment.start': { id: string; runs: PlannedRun[] };
  'experiment.cancel': { cancelled: boolean };
  'experiment.resume': { id: string; runs: PlannedRun[] };
  'experiments.list': ExperimentListing[];
  'experiments.get': ExperimentResults;
  'experiments.delete': { deleted: boolean };
  'experiments.cellImages': { total: number; images: CellImage[] };
  /** `path`: the file written (with its extension; CSV: a .zip of the tables); `files`: every file written. */
  'experiments.export': { path: string; files: string[] };
  'experiments.analysis': AnalysisView;
  'experiments.predictions': PredictionsPage;
  'experiments.running': RunningExperimentInfo[];
  'queue.workers': QueueWorkers;
  /** The queue now chosen, as its URL without the password. */
  'queue.connect': { queue: string };
  'queue.disconnect': { queue: null };
  'app.info': AppInfo;
  'fs.browse': FolderListing;
  'dialog.openFolder': { path: string | null };
  'dialog.saveExport': { path: string | null; files: string[] };
  /** The folder written (holding model.json and weights.bin); null when cancelled. */
  'dialog.saveModel': { path: string | null; files: string[] };
}

// ---------------------------------------------------------------------------------------------
// Events: pushed from the main side (IPC 'losslab:event' on the desktop, the /events WebSocket
// when served). Every experiment event carries the experiment id.
// ---------------------------------------------------------------------------------------------

type WithId<T> = { id: string } & T;

export interface ApiEvents {
  /** Scan/decode progress of a 'dataset.open' call. */
  'dataset.progress': { path: string } & LoadProgress;
  /** A start or a resume; on resume, runs already finished are announced at once as 'experiment.runSettled'. */
  'experiment.started': WithId<{ config: ExperimentConfig; runs: PlannedRun[]; resumed: boolean }>;
  'experiment.datasetProgress': WithId<LoadProgress>;
  /** A frozen backbone's features being computed (throttled), or read from the cache (one event, cached). */
  'experiment.featureProgress': WithId<{ done: number; total: number; cached: boolean }>;
  'experiment.datasetLoaded': WithId<Omit<ImbalancePreview, 'imbalanceRatio'>>;
  'experiment.backend': WithId<{ backend: BackendReport }>;
  'experiment.runStart': WithId<{ index: number; runId: string }>;
  /** Throttled per run (about ten a second); the last batch of each epoch always arrives. */
  'experiment.batch': WithId<{ index: number } & BatchProgress>;
  'experiment.epoch': WithId<{ index: number; runId: string; record: EpochRecord }>;
  /** Queue mode: the workers serving the queue (every couple of seconds while runs are unfinished). */
  'experiment.workers': WithId<{ workers: SeenWorker[] }>;
  'experiment.runSettled': WithId<{
    index: number;
    runId: string;
    status: RunResult['status'];
    error?: string;
  }>;
  /** Results are written; fetch them with 'experiments.get'. */
  'experiment.done': WithId<{ runs: Record<RunResult['status'], number> }>;
  'experiment.failed': WithId<{ error: SerializedError }>;
  /** A sweep's setting starts: from now on its 'experiment.*' events carry `experimentId`. `setting` counts from 0. */
  'sweep.progress': SweepSettingInfo & { experimentId: string };
  /**
   * The sweep has ended (finished or cancelled). `summary`: where rankings change along ρ, in
   * words (empty when no setting finished); `report`: the HTML report written into the sweep folder.
   */
  'sweep.done': WithId<{ dir: string; cancelled: boolean; summary: string[]; report: string | null }>;
  'sweep.failed': WithId<{ dir: string; error: SerializedError }>;
  /** Desktop only: an application-menu command the renderer carries out (the menu lives in the main process). */
  'app.command': { command: AppCommand };
}

export type AppCommand = 'openFolder' | 'openSample' | 'showHistory' | 'showExperiment';

export type EventName = keyof ApiEvents;
export type ApiEvent = { [E in EventName]: { type: E; data: ApiEvents[E] } }[EventName];

/** The API as the renderer sees it: one async function per channel, plus events. */
export type ApiCalls = { [C in Channel]: (request: Request<C>) => Promise<Responses[C]> };

/** What the main side implements: one function per channel, given an already validated request. */
export type ApiHandlers = { [C in Channel]: (request: ParsedRequest<C>) => Promise<Responses[C]> };

/**
 * What the desktop preload exposes as `window.losslab`: exactly one function per channel, the
 * event stream, and the path of a dropped file (which also lets the main process read it).
 */
export type DesktopBridge = ApiCalls & {
  /** Subscribes to events; returns the function that unsubscribes. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** The path of a file or folder dropped on the window, now readable by LossLab; null for a file that has no path. */
  pathForFile(file: Blob): Promise<string | null>;
};

/** The channel list as a value, for code that wires every channel (IPC handlers, the preload). */
export const CHANNELS = Object.keys(requestSchemas) as Channel[];

/** IPC channel names on the desktop: one per API channel (prefixed), plus the event stream and drop grants. */
export const IPC_PREFIX = 'losslab:';
export const IPC_EVENT_CHANNEL = 'losslab:event';
export const IPC_DROP_CHANNEL = 'losslab:dropped-path';
