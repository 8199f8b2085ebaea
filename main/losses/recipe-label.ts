import { recipeName, type RecipeName } from './display-name';
import { getLoss } from './registry';
import type { LossParams } from './types';

/** A recipe's display name from the catalogue this build ships; a loss it no longer knows keeps its id. */
export function recipeLabel(lossId: string, params: LossParams): RecipeName {
  let info;
  try {
    info = getLoss(lossId);
  } catch {
    info = undefined;
  }
  return recipeName(lossId, params, info);
}
