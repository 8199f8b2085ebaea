import type { LossParams } from '../losses/types';
import { classBalancedWeights } from '../losses/weights';
import { recipeSchema, type Recipe } from '../experiment/config';
import type { SamplerId } from './samplers';

/**
 * A training recipe (loss + sampler + deferred schedule + second stage): its key and label,
 * the refusals of combinations that over-correct, and how deferred re-weighting reaches the
 * loss. The engine applies recipes; this module decides what they mean.
 */

export const DEFAULT_RECIPE: Recipe = recipeSchema.parse({});

/** Raised before anything trains: the recipe cannot work, or its parts would double a correction. */
export class RecipeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecipeError';
  }
}

export function isPlainRecipe(recipe: Recipe | undefined): boolean {
  return !recipe || (recipe.sampler === 'instance' && recipe.drw === null && recipe.drs === null && recipe.secondStage === null);
}

/** Parts appended to the loss key, so that each recipe of a loss gets its own run ids; none for plain training. */
export function recipeKeyParts(recipe: Recipe | undefined): string[] {
  if (!recipe) return [];
  const parts: string[] = [];
  if (recipe.sampler !== 'instance') parts.push(`sampler=${recipe.sampler}`);
  if (recipe.drw) parts.push(`drw=${recipe.drw.epoch}${recipe.drw.beta !== DEFAULT_BETA ? `(beta=${recipe.drw.beta})` : ''}`);
  if (recipe.drs !== null) parts.push(`drs=${recipe.drs}`);
  if (recipe.secondStage) parts.push(`${recipe.secondStage.kind}${recipe.secondStage.epochs !== DEFAULT_STAGE_EPOCHS ? `(epochs=${recipe.secondStage.epochs})` : ''}`);
  return parts;
}

const DEFAULT_BETA = 0.9999;
const DEFAULT_STAGE_EPOCHS = 10;

const SAMPLER_WORDS: Record<SamplerId, string> = {
  instance: 'instance sampler',
  'class-balanced': 'class-balanced sampler',
  sqrt: 'square-root sampler',
  progressive: 'progressively balanced sampler',
};

/**
 * A recipe's name: the loss's name followed by the recipe's parts in words ("Cross-entropy +
 * class-balanced sampler", "LDAM + DRW@8", "ce + cRT" where `loss` is the id); the loss alone for
 * plain training.
 */
export function withRecipeParts(loss: string, recipe: Recipe | undefined): string {
  if (!recipe || isPlainRecipe(recipe)) return loss;
  const parts = [loss];
  if (recipe.sampler !== 'instance') parts.push(SAMPLER_WORDS[recipe.sampler]);
  if (recipe.drw) parts.push(`DRW@${recipe.drw.epoch}${recipe.drw.beta !== DEFAULT_BETA ? ` (β=${recipe.drw.beta})` : ''}`);
  if (recipe.drs !== null) parts.push(`DRS@${recipe.drs}`);
  if (recipe.secondStage) parts.push(recipe.secondStage.kind === 'crt' ? 'cRT' : 'LWS');
  return parts.join(' + ');
}

/**
 * Why a loss already corrects for the class imbalance (so a re-balancing sampler or DRW on
 * top would correct twice), or null when it does not.
 */
export function rebalancingOf(lossId: string, params: LossParams): string | null {
  switch (lossId) {
    case 'weighted-ce':
      return 'weights every image by its class (1/n, 1/√n or given weights)';
    case 'cb-ce':
    case 'cb-sigmoid':
    case 'cb-focal':
      return 'weights every image by the inverse effective number of its class';
    case 'balanced-softmax':
      return 'adds log n_y to the logits, which removes the training prior just as a class-balanced sampler does';
    case 'logit-adjusted':
      return 'adds τ·log π_y to the logits, which removes the training prior just as a class-balanced sampler does';
    case 'focal':
      return Array.isArray(params['alpha']) ? 'weights every image by a per-class α' : null;
    case 'ldam':
      return params['drw'] === 'on' ? 'switches to class-balanced weights itself (its own DRW; set ldam.drw=off to combine it with a sampler)' : null;
    default:
      return null;
  }
}

/** Losses whose class weights DRW can set, and how. */
const DRW_LOSSES = ['ce', 'focal', 'ldam'] as const;

/**
 * The loss before and after the DRW switch. CE becomes weighted CE with the class-balanced
 * weights (PyTorch's weighted mean, as in Cao et al.'s code); focal takes them as its per-class
 * α; LDAM's own DRW is driven from the recipe (off before, on from the switch).
 */
export function deferredWeighting(
  lossId: string,
  params: LossParams,
  classCounts: readonly number[],
  beta: number,
): { before: { id: string; params: LossParams }; after: { id: string; params: LossParams } } {
  const weights = classBalancedWeights(classCounts, beta);
  switch (lossId) {
    case 'ce':
      return { before: { id: 'ce', params }, after: { id: 'weighted-ce', params: { scheme: 'custom', weights } } };
    case 'focal':
      return { before: { id: 'focal', params }, after: { id: 'focal', params: { ...params, alpha: weights } } };
    case 'ldam':
      return { before: { id: 'ldam', params: { ...params, drw: 'off' } }, after: { id: 'ldam', params: { ...params, drw: 'on', drwStart: 0, drwBeta: beta } } };
    default:
      throw new RecipeError(`DRW sets class weights, and ${lossId} takes none; DRW works with ${DRW_LOSSES.join(', ')}`);
  }
}

export interface RecipeCheck {
  lossId: string;
  /** Resolved loss parameters (defaults applied). */
  params: LossParams;
  lossKind: 'logits' | 'embedding';
  recipe: Recipe;
  epochs: number;
}

/** Refuses, with the reason, a recipe that cannot run or whose parts would over-correct. */
export function checkRecipe({ lossId, params, lossKind, recipe, epochs }: RecipeCheck): void {
  const name = withRecipeParts(lossId, recipe);
  const rebalancing = lossId === 'ldam' && recipe.drw ? null : rebalancingOf(lossId, params);
  const resampling = recipe.sampler !== 'instance' ? `the ${SAMPLER_WORDS[recipe.sampler]}` : recipe.drs !== null ? 'deferred re-sampling' : null;
  if (resampling && rebalancing) {
    throw new RecipeError(
      `${name}: ${resampling} and ${lossId}, which ${rebalancing}, both correct for the imbalance, so together they over-correct (the rare classes count twice). Use the sampler with a plain loss such as ce or focal, or this loss with the instance sampler.`,
    );
  }
  if (recipe.drw) {
    if (rebalancing) throw new RecipeError(`${name}: DRW switches to class-balanced weights, and ${lossId} already ${rebalancing}; the two would double.`);
    if (resampling) throw new RecipeError(`${name}: DRW re-weights the classes and ${resampling} re-samples them; together they over-correct. Choose one.`);
    if (!(DRW_LOSSES as readonly string[]).includes(lossId)) throw new RecipeError(`${name}: DRW sets class weights, and ${lossId} takes none; DRW works with ${DRW_LOSSES.join(', ')}.`);
    if (recipe.drw.epoch >= epochs) throw new RecipeError(`${name}: DRW from epoch ${recipe.drw.epoch} never starts, since training has ${epochs} epochs (0-based epochs 0–${epochs - 1}).`);
  }
  if (recipe.drs !== null) {
    if (recipe.sampler === 'class-balanced') throw new RecipeError(`${name}: deferred re-sampling switches to the class-balanced sampler, which this recipe uses from the start.`);
    if (recipe.drs >= epochs) throw new RecipeError(`${name}: DRS from epoch ${recipe.drs} never starts, since training has ${epochs} epochs (0-based epochs 0–${epochs - 1}).`);
  }
  if (recipe.secondStage) {
    if (lossKind === 'embedding') throw new RecipeError(`${name}: ${lossId} is already read out by a linear probe on frozen features; a second stage does not apply.`);
  }
}
