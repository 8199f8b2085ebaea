import type { LossInfo } from '../../../main/api/contract';
import type { MethodDefinition } from '../../../main/methods/catalogue';
import { checkRecipe, isPlainRecipe, RecipeError, withRecipeParts } from '../../../main/methods/recipe';
import { SAMPLER_IDS, type SamplerId } from '../../../main/methods/samplers';

export { SAMPLER_IDS };
import { recipeSchema, type Recipe } from '../../../main/experiment/config';
import type { LossParams, ParamSpec } from '../../../main/losses/types';
import { checkParamInput } from './loss-params';

/**
 * The recipe builder's entries: one loss trained with a sampler, a deferred schedule and a
 * second stage (main/methods). What the user typed is kept as text, like loss parameters,
 * and checked on every change with the methods catalogue's ranges, the configuration's
 * recipe schema and the main side's own refusal rules (`checkRecipe`), so the screen refuses
 * exactly what `losslab run` refuses, with the same words.
 */

export const SCHEDULES = ['none', 'drw', 'drs'] as const;
export type ScheduleChoice = (typeof SCHEDULES)[number];
export const SECOND_STAGES = ['none', 'crt', 'lws'] as const;
export type StageChoice = (typeof SECOND_STAGES)[number];

export interface RecipeEntry {
  /** Stable within the design, for keyed lists and field ids. */
  id: string;
  lossId: string;
  sampler: SamplerId;
  schedule: ScheduleChoice;
  /** 0-based epoch of the DRW or DRS switch, as typed. */
  scheduleEpoch: string;
  /** DRW's effective-number β, as typed. */
  drwBeta: string;
  secondStage: StageChoice;
  /** Epochs of the second stage, as typed. */
  stageEpochs: string;
}

export function newRecipeEntry(id: string, lossId: string, recipe: Partial<Recipe> = {}): RecipeEntry {
  const full = recipeSchema.parse(recipe);
  return {
    id,
    lossId,
    sampler: full.sampler,
    schedule: full.drw ? 'drw' : full.drs !== null ? 'drs' : 'none',
    scheduleEpoch: full.drw ? String(full.drw.epoch) : full.drs !== null ? String(full.drs) : '',
    drwBeta: String(full.drw?.beta ?? 0.9999),
    secondStage: full.secondStage?.kind ?? 'none',
    stageEpochs: String(full.secondStage?.epochs ?? 10),
  };
}

/** A fallback used only when the catalogue has no entry for a parameter (an older main side). */
const FALLBACK: Record<string, ParamSpec> = {
  epoch: { key: 'epoch', label: 'epoch', description: '0-based epoch of the switch.', type: 'number', default: null, min: 0 },
  beta: { key: 'beta', label: 'β', description: 'Effective-number hyperparameter.', type: 'number', default: 0.9999, min: 0, max: 1, maxInclusive: false },
  epochs: { key: 'epochs', label: 'epochs', description: 'Epochs of the second stage.', type: 'number', default: 10, min: 1, max: 200 },
};

/** A method's parameter as the catalogue specifies it (its range is what the field accepts). */
export function methodParam(methods: readonly MethodDefinition[], methodId: string, key: string): ParamSpec {
  return methods.find((m) => m.id === methodId)?.params.find((p) => p.key === key) ?? FALLBACK[key]!;
}

/** The catalogue entries a recipe entry uses, in the order the builder shows them. */
export function methodsOf(entry: RecipeEntry, methods: readonly MethodDefinition[]): MethodDefinition[] {
  const ids = [entry.sampler, entry.schedule !== 'none' ? entry.schedule : null, entry.secondStage !== 'none' ? entry.secondStage : null];
  return ids.flatMap((id) => methods.filter((m) => m.id === id));
}

export type FieldKey = 'scheduleEpoch' | 'drwBeta' | 'stageEpochs';

export interface RecipeCheckResult {
  /** The recipe as the configuration takes it, when every field parses. */
  recipe: Recipe | null;
  /** Per field: what is wrong with what was typed. */
  fieldErrors: Partial<Record<FieldKey, string>>;
  /** The main side's refusal of the combination (double correction, a switch after the last epoch, …). */
  refusal: string | null;
}

export interface RecipeContext {
  loss: LossInfo | undefined;
  /** The loss's parameters as the experiment would send them (null while one is invalid). */
  params: LossParams | null;
  epochs: number;
  methods: readonly MethodDefinition[];
}

/** Checks one builder entry: its fields, then the combination with the main side's rules. */
export function checkRecipeEntry(entry: RecipeEntry, context: RecipeContext): RecipeCheckResult {
  const fieldErrors: Partial<Record<FieldKey, string>> = {};
  const number = (field: FieldKey, spec: ParamSpec, text: string): number | null => {
    const check = checkParamInput(spec, text, null);
    if (check.ok && typeof check.value === 'number') return check.value;
    fieldErrors[field] = check.ok ? `${spec.label} needs a number.` : check.message;
    return null;
  };
  let drw: Recipe['drw'] = null;
  let drs: Recipe['drs'] = null;
  if (entry.schedule !== 'none') {
    const epoch = number('scheduleEpoch', methodParam(context.methods, entry.schedule, 'epoch'), entry.scheduleEpoch);
    if (epoch !== null && !Number.isInteger(epoch)) fieldErrors.scheduleEpoch = 'The epoch must be a whole number.';
    if (entry.schedule === 'drw') {
      const beta = number('drwBeta', methodParam(context.methods, 'drw', 'beta'), entry.drwBeta);
      if (epoch !== null && beta !== null) drw = { epoch, beta };
    } else if (epoch !== null) drs = epoch;
  }
  let secondStage: Recipe['secondStage'] = null;
  if (entry.secondStage !== 'none') {
    const epochs = number('stageEpochs', methodParam(context.methods, entry.secondStage, 'epochs'), entry.stageEpochs);
    if (epochs !== null && !Number.isInteger(epochs)) fieldErrors.stageEpochs = 'The number of epochs must be a whole number.';
    if (epochs !== null) secondStage = { kind: entry.secondStage, epochs };
  }
  if (Object.keys(fieldErrors).length > 0) return { recipe: null, fieldErrors, refusal: null };
  // The configuration's own schema has the last word on bounds (epochs up to 999, β below 1).
  const parsed = recipeSchema.safeParse({ sampler: entry.sampler, drw, drs, secondStage });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { recipe: null, fieldErrors: {}, refusal: issue ? `${issue.path.join('.')}: ${issue.message}` : 'This recipe is not valid.' };
  }
  const recipe = parsed.data;
  if (!context.loss) return { recipe, fieldErrors, refusal: `The loss "${entry.lossId}" is not in the catalogue.` };
  if (context.params === null || !Number.isInteger(context.epochs) || context.epochs < 1) return { recipe, fieldErrors, refusal: null };
  try {
    checkRecipe({ lossId: entry.lossId, params: context.params, lossKind: context.loss.kind, recipe, epochs: context.epochs });
  } catch (error) {
    if (error instanceof RecipeError) return { recipe, fieldErrors, refusal: error.message };
    throw error;
  }
  return { recipe, fieldErrors, refusal: null };
}

/** The name a recipe is shown and stored under ("Cross-entropy + class-balanced sampler"); the loss's name alone for plain training. */
export function recipeDisplayName(lossName: string, recipe: Recipe | null): string {
  return recipe ? withRecipeParts(lossName, recipe) : lossName;
}

export { isPlainRecipe };

/** Identity of a recipe for spotting two entries that would train the same runs. */
export function recipeIdentity(lossId: string, recipe: Recipe | null): string {
  return JSON.stringify([lossId, recipe && !isPlainRecipe(recipe) ? recipe : null]);
}
