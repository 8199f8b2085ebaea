import type { ImbalancePreview, LossInfo } from '../../../main/api/contract';
import type { MethodDefinition } from '../../../main/methods/catalogue';
import type { LossParams } from '../../../main/losses/types';
import type { ExperimentConfig, ExperimentConfigInput, ModelSpec } from '../../../main/experiment/config';
import type { NetworkSummary } from '../../../main/results/types';
import type { LossLabClient } from '../api';
import { describeError, type ShownError } from '../lib/error-advice';
import { checkParamInput, paramInputText, type ParamCheck, type ParamValue } from '../lib/loss-params';
import { MODEL_DEFAULTS, storedModel, type NetworkFamily, type EditableModelSpec } from '../lib/network';
import { backboneFieldsOf, backboneProblems, backboneSpec, defaultBackboneFields, isDownloadedSource, knownInputSize, type BackboneFields } from '../lib/backbone-form';
import { parseSeeds } from '../lib/seeds';
import { parseImbalanceLevels, type LevelsCheck, type LevelsKind } from '../lib/imbalance-levels';
import { checkRecipeEntry, isPlainRecipe, newRecipeEntry, recipeDisplayName, recipeIdentity, type RecipeCheckResult, type RecipeEntry } from '../lib/recipes';

/** The configuration's limit on loss entries (plain losses and recipes together). */
export const MAX_ENTRIES = 64;

/** One line of what the experiment compares: a ticked loss, or a recipe of the builder. */
export interface DesignEntry {
  key: string;
  name: string;
}

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
  resnetWidth: { min: 4, max: 256, integer: true, label: 'Width' },
  workers: { min: 0, max: 64, integer: true, label: 'Parallel trainings' },
  ratio: { min: 1, max: 10000, integer: false, label: 'Imbalance ratio ρ' },
  testFraction: { min: 0.01, max: 0.9, integer: false, label: 'Test fraction' },
  valFraction: { min: 0, max: 0.9, integer: false, label: 'Validation fraction' },
  splitSeed: { min: 0, max: 2 ** 31 - 1, integer: true, label: 'Split seed' },
} as const;

export type LimitedField = keyof typeof TRAINING_LIMITS;

/** 1.1000000000000001 → "1.1": sums of typed fractions, shown without float noise. */
function formatFraction(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

export function checkLimited(field: LimitedField, value: number): string | null {
  const limit = TRAINING_LIMITS[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${limit.label} needs a number.`;
  if (limit.integer && !Number.isInteger(value)) return `${limit.label} must be a whole number.`;
  if (value < limit.min || value > limit.max) return `${limit.label} must be between ${limit.min} and ${limit.max}.`;
  return null;
}

/** The ResNet depth as the engine accepts it: 6n + 2 between 8 and 110. */
export function checkResnetDepth(depth: number): string | null {
  if (!Number.isInteger(depth) || depth < 8 || depth > 110 || (depth - 2) % 6 !== 0) return 'A CIFAR ResNet has depth 6n+2: 20, 32, 44, 56 or 110.';
  return null;
}

/** What the network is measured for: the opened dataset's input and classes (or the defaults before one is open). */
export interface NetworkInput {
  imageSize: number;
  channels: 1 | 3;
  numClasses: number;
}

const PREVIEW_DELAY_MS = 150;
/** The network is measured once the user pauses editing its settings. */
const DESCRIBE_DELAY_MS = 250;

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
  /** "Compare several imbalance levels": a sweep, one setting per ratio of `levelsText` (long-tail or step only). */
  compareLevels = $state(false);
  levelsText = $state('1, 10, 100');

  preview = $state<ImbalancePreview | null>(null);
  previewLoading = $state(false);
  previewError = $state<ShownError | null>(null);

  catalogue = $state<LossInfo[]>([]);
  losses = $state<Record<string, LossSelection>>({});
  /** The training-methods catalogue ('methods.list'): samplers, schedules, second stages. */
  methods = $state<MethodDefinition[]>([]);
  /** The recipe builder's entries: a loss with a sampler, a schedule and a second stage. */
  recipes = $state<RecipeEntry[]>([]);
  private nextRecipeId = 1;

  epochs = $state(15);
  batchSize = $state(64);
  optimizer = $state<Optimizer>('adam');
  learningRate = $state(0.002);
  momentum = $state(0.9);
  weightDecay = $state(5e-4);
  schedule = $state<Schedule>('cosine');
  flip = $state(false);
  crop = $state(false);
  /** The network family; each family keeps its own fields, so switching back and forth loses nothing. */
  family = $state<NetworkFamily>('cnn');
  /** CNN: filters of the first block and number of conv blocks. */
  width = $state<number>(MODEL_DEFAULTS.cnn.width);
  depth = $state<number>(MODEL_DEFAULTS.cnn.depth);
  resnetDepth = $state<number>(MODEL_DEFAULTS.resnet.depth);
  resnetWidth = $state<number>(MODEL_DEFAULTS.resnet.width);
  /** Pretrained backbone: source, feature layer, fine-tuning, head, backbone learning rate. */
  backbone = $state<BackboneFields>(defaultBackboneFields());
  /** The engine's measurement of the current model choice ('models.describe'), for `networkFor`. */
  network = $state<NetworkSummary | null>(null);
  networkFor = $state<string | null>(null);
  networkLoading = $state(false);
  networkError = $state<ShownError | null>(null);
  seedsText = $state('1');
  backend = $state<BackendChoice>('auto');
  workers = $state(0);

  private previewTimer: ReturnType<typeof setTimeout> | null = null;
  private previewRequest = 0;
  private describeTimer: ReturnType<typeof setTimeout> | null = null;
  private describeRequest = 0;

  constructor(private readonly client: LossLabClient) {}

  setCatalogue(catalogue: LossInfo[]): void {
    this.catalogue = catalogue;
    const selections: Record<string, LossSelection> = {};
    for (const loss of catalogue) {
      const defaults = Object.fromEntries(loss.params.map((p) => [p.key, paramInputText(p.default)]));
      const kept = this.losses[loss.id];
      // A kept selection (a restored design) gets defaults for parameters it does not know.
      selections[loss.id] = kept ? { checked: kept.checked, inputs: { ...defaults, ...kept.inputs } } : { checked: false, inputs: defaults };
    }
    this.losses = selections;
  }

  /**
   * Another dataset was opened: per-class settings of the old one no longer apply, and
   * neither does a name given for it. The first dataset of a design keeps the name typed
   * before it was opened.
   */
  datasetChanged(previousPath: string | null = null): void {
    this.preview = null;
    this.previewError = null;
    this.customCounts = {};
    if (previousPath !== null) this.name = '';
  }

  /**
   * Loads a stored experiment's configuration for editing (History → Duplicate). Returns
   * what could not be carried over, for the user to see; the dataset is the caller's to open.
   */
  applyConfig(config: ExperimentConfig): string[] {
    const notes: string[] = [];
    this.name = config.name ? `${config.name} (copy)` : '';
    this.testFraction = config.testFraction;
    this.valFraction = config.valFraction;
    this.splitSeed = config.splitSeed;
    const imbalance = config.imbalance;
    this.imbalanceKind = imbalance.kind;
    if (imbalance.kind === 'exp' || imbalance.kind === 'step') this.ratio = imbalance.ratio;
    this.customCounts = imbalance.kind === 'counts' ? { ...imbalance.counts } : {};
    // A sweep over one profile's ratios comes back as its levels; any other sweep as its first setting.
    const levels = config.sweep?.imbalance ?? [];
    const sameKind = levels.length > 0 && levels.every((l) => (l.kind === 'exp' || l.kind === 'step') && l.kind === levels[0]!.kind);
    this.compareLevels = sameKind;
    if (sameKind) {
      const first = levels[0]! as { kind: 'exp' | 'step'; ratio: number };
      this.imbalanceKind = first.kind;
      this.levelsText = levels.map((l) => (l as { ratio: number }).ratio).join(', ');
    } else if (levels.length > 0 || config.sweep?.param) {
      notes.push('The experiment was a sweep over settings this screen cannot show; the copy trains its first setting only.');
    }
    const known = new Set(this.catalogue.map((loss) => loss.id));
    const losses: Record<string, LossSelection> = {};
    for (const loss of this.catalogue) {
      const defaults = Object.fromEntries(loss.params.map((p) => [p.key, paramInputText(p.default)]));
      losses[loss.id] = { checked: false, inputs: defaults };
    }
    const seenParams = new Map<string, string>();
    const recipes: RecipeEntry[] = [];
    for (const choice of config.losses) {
      if (!known.has(choice.id)) {
        notes.push(`The loss "${choice.id}" is not in this version's catalogue; it was left out.`);
        continue;
      }
      // Recipes share their loss's parameters on this screen, so one setting per loss is kept.
      const params = JSON.stringify(choice.params);
      const before = seenParams.get(choice.id);
      if (before !== undefined && before !== params) notes.push(`"${choice.id}" was trained with different parameters in different entries; the copy keeps the last setting.`);
      seenParams.set(choice.id, params);
      const selection = losses[choice.id]!;
      for (const [key, value] of Object.entries(choice.params)) selection.inputs[key] = paramInputText(value);
      if (choice.recipe && !isPlainRecipe(choice.recipe)) recipes.push(newRecipeEntry(this.newRecipeId(), choice.id, choice.recipe));
      else selection.checked = true;
    }
    this.losses = losses;
    this.recipes = recipes;
    const training = config.training;
    this.epochs = training.epochs;
    this.batchSize = training.batchSize;
    this.optimizer = training.optimizer;
    this.learningRate = training.learningRate;
    this.momentum = training.momentum;
    this.weightDecay = training.weightDecay;
    this.schedule = training.schedule;
    this.flip = training.augment.flip;
    this.crop = training.augment.crop;
    this.setModel(config.model);
    this.seedsText = config.seeds.join(', ');
    this.backend = config.backend;
    this.workers = config.workers;
    return notes;
  }

  selectedLosses(): LossInfo[] {
    return this.catalogue.filter((loss) => this.losses[loss.id]?.checked);
  }

  setMethods(methods: MethodDefinition[]): void {
    this.methods = methods;
  }

  private newRecipeId(): string {
    return `recipe-${this.nextRecipeId++}`;
  }

  /** Adds a builder entry (by default the first ticked loss, else the first of the catalogue, with the class-balanced sampler). */
  addRecipe(lossId?: string): RecipeEntry | null {
    const loss = lossId ?? this.selectedLosses()[0]?.id ?? this.catalogue[0]?.id;
    if (!loss) return null;
    const entry = newRecipeEntry(this.newRecipeId(), loss, { sampler: 'class-balanced' });
    this.recipes = [...this.recipes, entry];
    // The state's own (reactive) copy, so that a caller's edits show on screen.
    return this.recipes.at(-1)!;
  }

  removeRecipe(id: string): void {
    this.recipes = this.recipes.filter((entry) => entry.id !== id);
  }

  /** Puts back saved builder entries (a reload), keeping new ids unique. */
  restoreRecipes(entries: RecipeEntry[]): void {
    this.recipes = entries.map((entry) => ({ ...entry }));
    const numbers = entries.map((entry) => Number(/^recipe-(\d+)$/.exec(entry.id)?.[1] ?? 0));
    this.nextRecipeId = Math.max(this.nextRecipeId, ...numbers.map((n) => n + 1));
  }

  /** A loss's parameters as the experiment would send them, or null while one of them is invalid. */
  lossParams(loss: LossInfo, numClasses: number | null): LossParams | null {
    const checks = this.paramChecks(loss, numClasses);
    const params: LossParams = {};
    for (const spec of loss.params) {
      const check = checks[spec.key]!;
      if (!check.ok) return null;
      params[spec.key] = check.value;
    }
    return params;
  }

  /** Every builder entry checked: its fields, and its combination by the main side's rules. */
  recipeChecks(numClasses: number | null): Record<string, RecipeCheckResult> {
    return Object.fromEntries(
      this.recipes.map((entry) => {
        const loss = this.catalogue.find((l) => l.id === entry.lossId);
        const params = loss ? this.lossParams(loss, numClasses) : null;
        return [entry.id, checkRecipeEntry(entry, { loss, params, epochs: this.epochs, methods: this.methods })];
      }),
    );
  }

  /** What the experiment compares, in the order it trains them: ticked losses, then the builder's recipes. */
  entries(): DesignEntry[] {
    const checks = this.recipeChecks(null);
    const plain = this.selectedLosses().map((loss) => ({ key: loss.id, name: loss.name }));
    const recipes = this.recipes.map((entry) => {
      const name = this.catalogue.find((l) => l.id === entry.lossId)?.name ?? entry.lossId;
      return { key: entry.id, name: recipeDisplayName(name, checks[entry.id]?.recipe ?? null) };
    });
    return [...plain, ...recipes];
  }

  /** Names the losses that a builder entry uses, so their cards show the parameters the recipe trains with. */
  lossesInRecipes(): Set<string> {
    return new Set(this.recipes.map((entry) => entry.lossId));
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

  /** The sweep's levels when "Compare several imbalance levels" applies (a long-tail or step profile); null otherwise. */
  levelsCheck(): LevelsCheck | null {
    if (!this.compareLevels || (this.imbalanceKind !== 'exp' && this.imbalanceKind !== 'step')) return null;
    return parseImbalanceLevels(this.levelsText, this.imbalanceKind);
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
    const sum = this.testFraction + this.valFraction;
    if (sum >= 0.95) {
      const what = sum > 1 ? `add up to ${formatFraction(sum)}, more than all the images` : `add up to ${formatFraction(sum)}, which leaves almost nothing to train on`;
      problems.push({ field: 'fractions', message: `Test and validation fractions ${what}; keep their sum below 0.95.` });
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

  /** The model of the configuration: the chosen family with its own fields. */
  modelSpec(): EditableModelSpec {
    switch (this.family) {
      case 'cnn':
        return { family: 'cnn', width: this.width, depth: this.depth };
      case 'resnet':
        return { family: 'resnet', depth: this.resnetDepth, width: this.resnetWidth };
      case 'backbone':
        return backboneSpec(this.backbone);
    }
  }

  /** Takes a stored model setting (a past experiment's); one without a family is the CNN. */
  setModel(stored: unknown): void {
    const spec = storedModel(stored);
    this.family = spec.family;
    if (spec.family === 'cnn') {
      this.width = spec.width;
      this.depth = spec.depth;
    } else if (spec.family === 'backbone') {
      this.backbone = backboneFieldsOf(spec);
    } else {
      this.resnetDepth = spec.depth;
      this.resnetWidth = spec.width;
    }
  }

  modelProblems(): Problem[] {
    const problems: Problem[] = [];
    const add = (field: string, message: string | null) => message && problems.push({ field, message });
    if (this.family === 'cnn') {
      add('width', checkLimited('width', this.width));
      add('depth', checkLimited('depth', this.depth));
    } else if (this.family === 'resnet') {
      add('resnetDepth', checkResnetDepth(this.resnetDepth));
      add('resnetWidth', checkLimited('resnetWidth', this.resnetWidth));
    } else {
      problems.push(...backboneProblems(this.backbone));
    }
    return problems;
  }

  /**
   * Why the network is not measured before the experiment starts, or null when it is: a preset
   * or URL is downloaded (once) when an experiment first uses it, not to show its size.
   */
  networkNotMeasured(): string | null {
    if (this.family !== 'backbone') return null;
    const spec = backboneSpec(this.backbone);
    return isDownloadedSource(spec.source) ? 'Downloaded when an experiment first uses it (then kept); its size is measured and recorded then.' : null;
  }

  /** What the backbone needs of the dataset's preprocessing (the engine refuses otherwise). */
  backboneDatasetProblems(dataset: DatasetChoice | null): Problem[] {
    if (this.family !== 'backbone' || !dataset) return [];
    const problems: Problem[] = [];
    const size = knownInputSize(this.backbone);
    if (size !== null && dataset.imageSize !== size) {
      problems.push({ field: 'imageSize', message: `${this.backbone.preset} takes ${size} px images; set the image size to ${size} on the Dataset screen (the images are decoded again).` });
    }
    if (dataset.colorMode === 'grayscale') problems.push({ field: 'colorMode', message: 'A pretrained backbone takes RGB images; set the colour mode to auto or RGB on the Dataset screen.' });
    return problems;
  }

  /**
   * Asks the engine for the size of the current model choice shortly after the last change;
   * an answer to an older request is ignored, and settings that cannot be valid are not sent.
   */
  scheduleNetworkDescribe(input: NetworkInput): void {
    if (this.describeTimer) clearTimeout(this.describeTimer);
    this.describeTimer = null;
    if (this.modelProblems().length > 0 || this.networkNotMeasured() !== null) {
      // Nothing to measure: an answer still on its way no longer applies either.
      this.describeRequest++;
      this.network = null;
      this.networkFor = null;
      this.networkError = null;
      this.networkLoading = false;
      return;
    }
    const request = { model: this.modelSpec(), ...input };
    if (JSON.stringify(request) === this.networkFor && !this.networkLoading) return;
    this.networkLoading = true;
    this.describeTimer = setTimeout(() => void this.fetchNetwork(request), DESCRIBE_DELAY_MS);
  }

  private async fetchNetwork(request: { model: ModelSpec } & NetworkInput): Promise<void> {
    this.describeTimer = null;
    const id = ++this.describeRequest;
    try {
      const network = await this.client.api['models.describe'](request);
      if (id !== this.describeRequest) return;
      this.network = network;
      this.networkFor = JSON.stringify(request);
      this.networkError = null;
    } catch (error) {
      if (id !== this.describeRequest) return;
      this.network = null;
      this.networkFor = null;
      const advice =
        request.model.family === 'backbone'
          ? 'Check the backbone’s path, feature layer and fine-tuning depth; the message above says what the engine refused.'
          : 'Choose a smaller width or depth; the message above says what the engine refused.';
      this.networkError = describeError(error, 'Could not measure the network', advice);
    } finally {
      if (id === this.describeRequest) this.networkLoading = false;
    }
  }

  /** The experiment configuration, or every problem that keeps it from starting. */
  buildConfig(dataset: DatasetChoice | null, numClasses: number | null): { config: ExperimentConfigInput | null; problems: Problem[] } {
    const problems: Problem[] = [];
    const datasetPath = dataset?.path ?? null;
    if (!datasetPath) problems.push({ field: 'dataset', message: 'Open a dataset first (Dataset screen).' });
    problems.push(...this.splitProblems());

    const chosen = this.selectedLosses();
    if (chosen.length === 0 && this.recipes.length === 0) problems.push({ field: 'losses', message: 'Tick at least one loss to compare, or add a recipe.' });
    const losses: NonNullable<ExperimentConfigInput['losses']> = [];
    const paramsOf = new Map<string, Record<string, ParamValue>>();
    // A loss that only a recipe trains still has its parameters checked and sent.
    const inRecipes = this.lossesInRecipes();
    const lossesUsed = [...chosen, ...this.catalogue.filter((loss) => !this.losses[loss.id]?.checked && inRecipes.has(loss.id))];
    for (const loss of lossesUsed) {
      const checks = this.paramChecks(loss, numClasses);
      const params: Record<string, ParamValue> = {};
      for (const spec of loss.params) {
        const check = checks[spec.key]!;
        if (check.ok) params[spec.key] = check.value;
        else problems.push({ field: `loss:${loss.id}:${spec.key}`, message: `${loss.name}: ${check.message}` });
      }
      paramsOf.set(loss.id, params);
    }
    for (const loss of chosen) losses.push({ id: loss.id, params: paramsOf.get(loss.id)! });
    const identities = new Map<string, string>(chosen.map((loss) => [recipeIdentity(loss.id, null), loss.name]));
    const recipeChecks = this.recipeChecks(numClasses);
    this.recipes.forEach((entry, i) => {
      const check = recipeChecks[entry.id]!;
      const lossName = this.catalogue.find((l) => l.id === entry.lossId)?.name ?? entry.lossId;
      const name = `Recipe ${i + 1} (${recipeDisplayName(lossName, check.recipe)})`;
      for (const [field, message] of Object.entries(check.fieldErrors)) problems.push({ field: `recipe:${entry.id}:${field}`, message: `${name}: ${message}` });
      if (check.refusal) problems.push({ field: `recipe:${entry.id}`, message: check.refusal });
      if (!check.recipe || !paramsOf.has(entry.lossId)) return;
      const identity = recipeIdentity(entry.lossId, check.recipe);
      const twin = identities.get(identity);
      if (twin !== undefined) {
        problems.push({ field: `recipe:${entry.id}`, message: `${name} trains the same runs as ${twin}; remove one of them.` });
        return;
      }
      identities.set(identity, name);
      const plain = isPlainRecipe(check.recipe);
      losses.push({ id: entry.lossId, params: paramsOf.get(entry.lossId)!, ...(plain ? {} : { recipe: check.recipe }) });
    });
    if (chosen.length + this.recipes.length > MAX_ENTRIES) {
      problems.push({ field: 'losses', message: `${chosen.length + this.recipes.length} losses and recipes are more than one experiment takes (${MAX_ENTRIES}); remove some.` });
    }

    problems.push(...this.modelProblems());
    problems.push(...this.backboneDatasetProblems(dataset));
    for (const field of ['epochs', 'batchSize', 'learningRate', 'weightDecay', 'workers'] as const) {
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
    const levels = this.levelsCheck();
    if (levels && !levels.ok) problems.push({ field: 'levels', message: levels.message });

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
      ...(levels?.ok ? { sweep: { imbalance: levels.ratios.map((ratio) => ({ kind: this.imbalanceKind as LevelsKind, ratio })) } } : {}),
      splitSeed: this.splitSeed,
      losses,
      seeds: seeds.seeds,
      model: this.modelSpec(),
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

  /** Every entry × seed, times the imbalance levels when several are compared. */
  runCount(): number {
    const seeds = parseSeeds(this.seedsText);
    const levels = this.levelsCheck();
    const settings = levels?.ok ? levels.ratios.length : 1;
    return (this.selectedLosses().length + this.recipes.length) * (seeds.ok ? seeds.seeds.length : 0) * settings;
  }
}
