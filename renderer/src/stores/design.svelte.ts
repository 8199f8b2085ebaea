import type { ImbalancePreview, LossInfo } from '../../../main/api/contract';
import type { ExperimentConfigInput } from '../../../main/experiment/config';
import type { LossLabClient } from '../api';
import { describeError, type ShownError } from '../lib/error-advice';
import { checkParamInput, paramInputText, type ParamCheck, type ParamValue } from '../lib/loss-params';
import { parseSeeds } from '../lib/seeds';

export type ImbalanceKind = 'none' | 'exp' | 'step' | 'counts';
export type Optimizer = 'adam' | 'sgd';
export type Schedule = 'constant' | 'cosine' | 'step';
/** From the experiment schema, so a backend the engine adds appears here without an edit. */
export type BackendChoice = NonNullable<ExperimentConfigInput['backend']>;

/** The opened dataset and how it was preprocessed; the experiment trains on exactly that. */
export interface DatasetChoice {
  path: string;
  imageSize: number;
  resize: 'center-crop' | 'squash' | 'letterbox';
  colorMode: 'auto' | 'rgb' | 'grayscale';
}

export interface LossSelection {
  checked: boolean;
  /** What the user typed, per parameter key; validated on every change. */
  inputs: Record<string, string>;
}

/** A problem that keeps the experiment from starting, with the field it belongs to. */
export interface Problem {
  field: string;
  message: string;
}

/** Numeric fields with the ranges the experiment schema accepts, so they can be checked as the user types. */
export const TRAINING_LIMITS = {
  epochs: { min: 1, max: 1000, integer: true, label: 'Epochs' },
  batchSize: { min: 2, max: 4096, integer: true, label: 'Batch size' },
  learningRate: { min: 1e-6, max: 10, integer: false, label: 'Learning rate' },
  momentum: { min: 0, max: 0.999, integer: false, label: 'Momentum' },
  weightDecay: { min: 0, max: 1, integer: false, label: 'Weight decay' },
  width: { min: 4, max: 256, integer: true, label: 'Width' },
  depth: { min: 1, max: 6, integer: true, label: 'Depth' },
  workers: { min: 0, max: 64, integer: true, label: 'Workers' },
  ratio: { min: 1, max: 10000, integer: false, label: 'Imbalance ratio ρ' },
  testFraction: { min: 0.01, max: 0.9, integer: false, label: 'Test fraction' },
  valFraction: { min: 0, max: 0.9, integer: false, label: 'Validation fraction' },
  splitSeed: { min: 0, max: 2 ** 31 - 1, integer: true, label: 'Split seed' },
} as const;

export type LimitedField = keyof typeof TRAINING_LIMITS;

export function checkLimited(field: LimitedField, value: number): string | null {
  const limit = TRAINING_LIMITS[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${limit.label} needs a number.`;
  if (limit.integer && !Number.isInteger(value)) return `${limit.label} must be a whole number.`;
  if (value < limit.min || value > limit.max) return `${limit.label} must be between ${limit.min} and ${limit.max}.`;
  return null;
}

const PREVIEW_DELAY_MS = 150;

/**
 * The experiment being designed: split, imbalance (with its live preview), the chosen
 * losses and their parameters, and the training settings. `buildConfig` turns it into the
 * contract's experiment configuration or lists what must be fixed first.
 */
export class DesignState {
  name = $state('');
  testFraction = $state(0.2);
  valFraction = $state(0.1);
  splitSeed = $state(0);

  imbalanceKind = $state<ImbalanceKind>('none');
  ratio = $state(10);
  /** Custom training count per class name (the 'counts' profile). */
  customCounts = $state<Record<string, number>>({});

  preview = $state<ImbalancePreview | null>(null);
  previewLoading = $state(false);
  previewError = $state<ShownError | null>(null);

  catalogue = $state<LossInfo[]>([]);
  losses = $state<Record<string, LossSelection>>({});

  epochs = $state(15);
  batchSize = $state(64);
  optimizer = $state<Optimizer>('adam');
  learningRate = $state(0.002);
  momentum = $state(0.9);
  weightDecay = $state(5e-4);
  schedule = $state<Schedule>('cosine');
  flip = $state(false);
  crop = $state(false);
  width = $state(16);
  depth = $state(3);
  seedsText = $state('1');
  backend = $state<BackendChoice>('auto');
  workers = $state(0);

  private previewTimer: ReturnType<typeof setTimeout> | null = null;
  private previewRequest = 0;

  constructor(private readonly client: LossLabClient) {}

  setCatalogue(catalogue: LossInfo[]): void {
    this.catalogue = catalogue;
    const selections: Record<string, LossSelection> = {};
    for (const loss of catalogue) {
      selections[loss.id] = this.losses[loss.id] ?? {
        checked: false,
        inputs: Object.fromEntries(loss.params.map((p) => [p.key, paramInputText(p.default)])),
      };
    }
    this.losses = selections;
  }

  /** Another dataset was opened: per-class settings of the old one no longer apply. */
  datasetChanged(): void {
    this.preview = null;
    this.previewError = null;
    this.customCounts = {};
  }

  selectedLosses(): LossInfo[] {
    return this.catalogue.filter((loss) => this.losses[loss.id]?.checked);
  }

  /** The validation result of every parameter of one loss. */
  paramChecks(loss: LossInfo, numClasses: number | null): Record<string, ParamCheck> {
    const inputs = this.losses[loss.id]?.inputs ?? {};
    return Object.fromEntries(loss.params.map((spec) => [spec.key, checkParamInput(spec, inputs[spec.key] ?? '', numClasses)]));
  }

  imbalanceProfile(): ExperimentConfigInput['imbalance'] {
    switch (this.imbalanceKind) {
      case 'none':
        return { kind: 'none' };
      case 'exp':
        return { kind: 'exp', ratio: this.ratio };
      case 'step':
        return { kind: 'step', ratio: this.ratio };
      case 'counts':
        return { kind: 'counts', counts: { ...this.customCounts } };
    }
  }

  /** Starts custom counts from what the current profile gives, so switching to sliders changes nothing yet. */
  seedCustomCounts(): void {
    const preview = this.preview;
    if (!preview) return;
    const counts: Record<string, number> = {};
    preview.classes.forEach((name, c) => (counts[name] = Math.max(1, this.customCounts[name] ?? preview.train[c] ?? 1)));
    this.customCounts = counts;
  }

  splitProblems(): Problem[] {
    const problems: Problem[] = [];
    for (const field of ['testFraction', 'valFraction', 'splitSeed'] as const) {
      const message = checkLimited(field, this[field]);
      if (message) problems.push({ field, message });
    }
    if (this.testFraction + this.valFraction >= 0.95) {
      problems.push({ field: 'valFraction', message: 'Test and validation fractions together leave almost nothing to train on; keep their sum below 0.95.' });
    }
    if (this.imbalanceKind === 'exp' || this.imbalanceKind === 'step') {
      const message = checkLimited('ratio', this.ratio);
      if (message) problems.push({ field: 'ratio', message });
    }
    return problems;
  }

  /** Asks for the preview shortly after the last change; an answer to an older request is ignored. */
  schedulePreview(datasetPath: string | null): void {
    if (this.previewTimer) clearTimeout(this.previewTimer);
    if (!datasetPath) return;
    if (this.splitProblems().length > 0) return;
    const request = {
      path: datasetPath,
      testFraction: this.testFraction,
      valFraction: this.valFraction,
      imbalance: this.imbalanceProfile(),
      splitSeed: this.splitSeed,
    };
    this.previewLoading = true;
    this.previewTimer = setTimeout(() => void this.fetchPreview(request), PREVIEW_DELAY_MS);
  }

  private async fetchPreview(request: Parameters<LossLabClient['api']['dataset.previewImbalance']>[0]): Promise<void> {
    this.previewTimer = null;
    const id = ++this.previewRequest;
    try {
      const preview = await this.client.api['dataset.previewImbalance'](request);
      if (id !== this.previewRequest) return;
      this.preview = preview;
      this.previewError = null;
      // Custom counts cleared by a dataset change start again from this dataset's counts.
      if (this.imbalanceKind === 'counts' && Object.keys(this.customCounts).length === 0) this.seedCustomCounts();
    } catch (error) {
      if (id !== this.previewRequest) return;
      this.previewError = describeError(error, 'Could not preview the training counts', 'Adjust the imbalance or split settings; the message above says which value is not possible.');
    } finally {
      if (id === this.previewRequest) this.previewLoading = false;
    }
  }

  /** The experiment configuration, or every problem that keeps it from starting. */
  buildConfig(dataset: DatasetChoice | null, numClasses: number | null): { config: ExperimentConfigInput | null; problems: Problem[] } {
    const problems: Problem[] = [];
    const datasetPath = dataset?.path ?? null;
    if (!datasetPath) problems.push({ field: 'dataset', message: 'Open a dataset first (Dataset screen).' });
    problems.push(...this.splitProblems());

    const chosen = this.selectedLosses();
    if (chosen.length === 0) problems.push({ field: 'losses', message: 'Tick at least one loss to compare.' });
    const losses: { id: string; params: Record<string, ParamValue> }[] = [];
    for (const loss of chosen) {
      const checks = this.paramChecks(loss, numClasses);
      const params: Record<string, ParamValue> = {};
      for (const spec of loss.params) {
        const check = checks[spec.key]!;
        if (check.ok) params[spec.key] = check.value;
        else problems.push({ field: `loss:${loss.id}:${spec.key}`, message: `${loss.name}: ${check.message}` });
      }
      losses.push({ id: loss.id, params });
    }

    for (const field of ['epochs', 'batchSize', 'learningRate', 'weightDecay', 'width', 'depth', 'workers'] as const) {
      const message = checkLimited(field, this[field]);
      if (message) problems.push({ field, message });
    }
    if (this.optimizer === 'sgd') {
      const message = checkLimited('momentum', this.momentum);
      if (message) problems.push({ field: 'momentum', message });
    }
    const seeds = parseSeeds(this.seedsText);
    if (!seeds.ok) problems.push({ field: 'seeds', message: seeds.message });
    if (this.imbalanceKind === 'counts' && Object.keys(this.customCounts).length === 0) {
      problems.push({ field: 'imbalance', message: 'Custom counts need the preview of the dataset; wait for it to load.' });
    }

    if (problems.length > 0 || !dataset || !seeds.ok) return { config: null, problems };
    const config: ExperimentConfigInput = {
      ...(this.name.trim() ? { name: this.name.trim() } : {}),
      data: dataset.path,
      imageSize: dataset.imageSize,
      resize: dataset.resize,
      colorMode: dataset.colorMode,
      testFraction: this.testFraction,
      valFraction: this.valFraction,
      imbalance: this.imbalanceProfile(),
      splitSeed: this.splitSeed,
      losses,
      seeds: seeds.seeds,
      model: { width: this.width, depth: this.depth },
      training: {
        epochs: this.epochs,
        batchSize: this.batchSize,
        optimizer: this.optimizer,
        learningRate: this.learningRate,
        momentum: this.momentum,
        weightDecay: this.weightDecay,
        schedule: this.schedule,
        augment: { flip: this.flip, crop: this.crop },
      },
      backend: this.backend,
      workers: this.workers,
    };
    return { config, problems };
  }

  runCount(): number {
    const seeds = parseSeeds(this.seedsText);
    return this.selectedLosses().length * (seeds.ok ? seeds.seeds.length : 0);
  }
}
