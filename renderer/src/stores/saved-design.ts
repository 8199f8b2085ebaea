import { z } from 'zod';
import type { DatasetChoice, DesignState } from './design.svelte';
import { SAMPLER_IDS, SCHEDULES, SECOND_STAGES } from '../lib/recipes';
import { BACKBONE_SCALINGS, defaultBackboneFields } from '../lib/backbone-form';

/**
 * The experiment design as it is kept across page reloads and app restarts.
 *
 * It lives in the renderer's localStorage: that works the same in served mode (the page's
 * origin, fixed by the default port) and in Electron (the app:// origin, stored in the app's
 * profile), needs no API channel, and keeps each browser's half-finished design its own —
 * two people using one `losslab serve` do not overwrite each other's design. What is stored
 * is what the user typed, valid or not (an empty field mid-edit is kept as such); anything
 * that does not match this schema — another version's format, a damaged entry — is dropped
 * whole, with a notice, rather than half-applied.
 */

export const SAVED_DESIGN_KEY = 'losslab.design.v1';

/** A number field; null is an input the user had emptied (JSON has no NaN). */
const numberField = z.number().nullable();
/** A typed field of the recipe builder, kept as typed. */
const typedField = z.string().max(100);

/** The backbone fields as typed; designs saved before the screen offered backbones have none. */
const savedBackboneSchema = z.object({
  sourceKind: z.enum(['preset', 'path']),
  preset: z.string().max(100),
  path: z.string().max(4096),
  featureLayer: z.string().max(200),
  finetuneMode: z.enum(['none', 'last', 'all']),
  finetuneLast: numberField,
  headKind: z.enum(['linear', 'mlp']),
  headUnits: numberField,
  learningRate: numberField,
  sha256: z.string().max(100),
  scaling: z.enum([...BACKBONE_SCALINGS, '']),
});

/** A recipe builder entry; designs saved before recipes existed have none. */
const savedRecipeSchema = z.object({
  id: z.string().min(1).max(40),
  lossId: z.string().min(1).max(64),
  sampler: z.enum(SAMPLER_IDS),
  schedule: z.enum(SCHEDULES),
  scheduleEpoch: typedField,
  drwBeta: typedField,
  secondStage: z.enum(SECOND_STAGES),
  stageEpochs: typedField,
});

export const savedDesignSchema = z.object({
  version: z.literal(1),
  dataset: z
    .object({
      path: z.string().min(1),
      imageSize: z.number().int().min(8).max(256),
      resize: z.enum(['center-crop', 'squash', 'letterbox']),
      colorMode: z.enum(['auto', 'rgb', 'grayscale']),
    })
    .nullable(),
  name: z.string().max(200),
  testFraction: numberField,
  valFraction: numberField,
  splitSeed: numberField,
  imbalanceKind: z.enum(['none', 'exp', 'step', 'counts']),
  ratio: numberField,
  customCounts: z.record(z.string(), z.number().int().min(1)),
  /** "Compare several imbalance levels"; designs saved before sweeps had neither field. */
  compareLevels: z.boolean().default(false),
  levelsText: z.string().max(2000).default('1, 10, 100'),
  losses: z.record(z.string(), z.object({ checked: z.boolean(), inputs: z.record(z.string(), z.string()) })),
  recipes: z.array(savedRecipeSchema).max(64).default([]),
  epochs: numberField,
  batchSize: numberField,
  optimizer: z.enum(['adam', 'sgd']),
  learningRate: numberField,
  momentum: numberField,
  weightDecay: numberField,
  schedule: z.enum(['constant', 'cosine', 'step']),
  flip: z.boolean(),
  crop: z.boolean(),
  family: z.enum(['cnn', 'resnet', 'backbone']),
  backbone: savedBackboneSchema.optional(),
  width: numberField,
  depth: numberField,
  resnetDepth: numberField,
  resnetWidth: numberField,
  seedsText: z.string().max(2000),
  backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']),
  workers: numberField,
});

export type SavedDesign = z.infer<typeof savedDesignSchema>;

const NUMBER_FIELDS = [
  'testFraction',
  'valFraction',
  'splitSeed',
  'ratio',
  'epochs',
  'batchSize',
  'learningRate',
  'momentum',
  'weightDecay',
  'width',
  'depth',
  'resnetDepth',
  'resnetWidth',
  'workers',
] as const;

function storedNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The design as stored; reading every field also makes a surrounding effect track all of them. */
export function snapshotDesign(design: DesignState, dataset: DatasetChoice | null): SavedDesign {
  const numbers = Object.fromEntries(NUMBER_FIELDS.map((field) => [field, storedNumber(design[field])])) as Record<(typeof NUMBER_FIELDS)[number], number | null>;
  return {
    version: 1,
    dataset: dataset ? { ...dataset } : null,
    name: design.name,
    ...numbers,
    imbalanceKind: design.imbalanceKind,
    customCounts: { ...design.customCounts },
    compareLevels: design.compareLevels,
    levelsText: design.levelsText,
    losses: Object.fromEntries(Object.entries(design.losses).map(([id, s]) => [id, { checked: s.checked, inputs: { ...s.inputs } }])),
    recipes: design.recipes.map((entry) => ({ ...entry })),
    optimizer: design.optimizer,
    schedule: design.schedule,
    flip: design.flip,
    crop: design.crop,
    family: design.family,
    backbone: {
      ...design.backbone,
      finetuneLast: storedNumber(design.backbone.finetuneLast),
      headUnits: storedNumber(design.backbone.headUnits),
      learningRate: storedNumber(design.backbone.learningRate),
    },
    seedsText: design.seedsText,
    backend: design.backend,
    workers: numbers.workers,
  };
}

/** Puts a saved design back; an emptied number field stays empty (NaN), and the checks say so as before. */
export function applySavedDesign(design: DesignState, saved: SavedDesign): void {
  design.name = saved.name;
  for (const field of NUMBER_FIELDS) design[field] = saved[field] ?? Number.NaN;
  design.imbalanceKind = saved.imbalanceKind;
  design.customCounts = { ...saved.customCounts };
  design.compareLevels = saved.compareLevels;
  design.levelsText = saved.levelsText;
  design.optimizer = saved.optimizer;
  design.schedule = saved.schedule;
  design.flip = saved.flip;
  design.crop = saved.crop;
  design.family = saved.family;
  if (saved.backbone) {
    const b = saved.backbone;
    // An emptied number stays empty (NaN); an empty backbone learning rate means the default.
    design.backbone = { ...defaultBackboneFields(), ...b, finetuneLast: b.finetuneLast ?? Number.NaN, headUnits: b.headUnits ?? Number.NaN, learningRate: b.learningRate ?? Number.NaN };
  }
  design.seedsText = saved.seedsText;
  design.backend = saved.backend;
  // The catalogue may not be here yet: setCatalogue keeps these selections for the losses it lists.
  design.losses = Object.fromEntries(Object.entries(saved.losses).map(([id, s]) => [id, { checked: s.checked, inputs: { ...s.inputs } }]));
  if (design.catalogue.length > 0) design.setCatalogue(design.catalogue);
  design.restoreRecipes(saved.recipes);
}

export type ReadResult = { kind: 'none' } | { kind: 'ok'; saved: SavedDesign } | { kind: 'invalid'; reason: string };

/** Reads the saved design; an entry that is not one is reported, never thrown. */
export function readSavedDesign(storage: Storage | null): ReadResult {
  let text: string | null;
  try {
    text = storage?.getItem(SAVED_DESIGN_KEY) ?? null;
  } catch {
    return { kind: 'none' };
  }
  if (text === null) return { kind: 'none' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'it is not valid JSON' };
  }
  const result = savedDesignSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { kind: 'invalid', reason: issue ? `${issue.path.join('.') || 'the entry'}: ${issue.message}` : 'it does not match this version' };
  }
  return { kind: 'ok', saved: result.data };
}

export function writeSavedDesign(storage: Storage | null, saved: SavedDesign): void {
  try {
    storage?.setItem(SAVED_DESIGN_KEY, JSON.stringify(saved));
  } catch {
    // Storage full or disabled: the design is then only kept until the page closes.
  }
}

export function forgetSavedDesign(storage: Storage | null): void {
  try {
    storage?.removeItem(SAVED_DESIGN_KEY);
  } catch {
    // nothing to forget where storage is disabled
  }
}

/** localStorage where the page may use it; null where privacy settings disable it. */
export function browserStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
