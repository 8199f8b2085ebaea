import { cbCe, cbFocal, cbSigmoid } from './class-balanced';
import { contrastive, supcon } from './contrastive';
import { balancedSoftmax, ce, labelSmoothing, logitAdjusted, poly1, weightedCe } from './cross-entropy';
import { LossParamError } from './errors';
import { focal, sigmoidFocal } from './focal';
import { hinge, squaredHinge } from './hinge';
import { ldam } from './ldam';
import { resolveParamsFor, type CatalogueEntry, type RawParams } from './params';
import { dice, mae, mse } from './probability';
import { gce, sce } from './robust';
import type { LossContext, LossDefinition, LossFunction, LossParams } from './types';

export { LossParamError } from './errors';
export { parseParamAssignments, parseScopedParamAssignments, formatRange, type RawParams, type RawParamValue } from './params';

/** Catalogue order: baseline, re-weighting, focal family, logit/target changes, margins, robust, other, embeddings. */
const CATALOGUE: readonly CatalogueEntry[] = [
  ce,
  weightedCe,
  cbCe,
  cbFocal,
  cbSigmoid,
  focal,
  sigmoidFocal,
  labelSmoothing,
  logitAdjusted,
  balancedSoftmax,
  ldam,
  mse,
  mae,
  hinge,
  squaredHinge,
  poly1,
  gce,
  sce,
  dice,
  contrastive,
  supcon,
];

const BY_ID = new Map(CATALOGUE.map((e) => [e.id, e]));

function entry(id: string): CatalogueEntry {
  const found = BY_ID.get(id);
  if (!found) {
    throw new LossParamError(`Unknown loss '${id}'. Valid losses: ${CATALOGUE.map((e) => e.id).join(', ')}.`, id);
  }
  return found;
}

/** The definition for an id; unknown ids raise LossParamError listing the valid ones. */
export function getLoss(id: string): LossDefinition {
  return entry(id);
}

export function listLosses(): LossDefinition[] {
  return CATALOGUE.slice();
}

/**
 * Defaults applied, CLI strings parsed, ranges and cross-parameter rules checked. Call it for
 * every selected loss before training starts; the result can be stored in results.json and
 * passed to create() unchanged.
 */
export function resolveLossParams(id: string, params: RawParams = {}): LossParams {
  return resolveParamsFor(entry(id), params);
}

/** Convenience for the engine: resolve, validate the context, and build the loss function. */
export function createLoss(id: string, params: RawParams, context: LossContext): LossFunction {
  return entry(id).create(resolveLossParams(id, params), context);
}
