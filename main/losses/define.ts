import { checkContext, resolveParamsFor, type CatalogueEntry, type RawParams } from './params';
import { finish, type LossCore } from './ops';
import type { LossContext, LossParams } from './types';

/** Everything a loss module writes; `build` receives validated params and context. */
export type LossSpec = Omit<CatalogueEntry, 'create'> & {
  build: (params: LossParams, context: LossContext) => LossCore;
};

/**
 * Makes a catalogue entry whose create() validates before building, so a bad value handed
 * straight to create() (bypassing resolveLossParams) is still refused with the same message.
 */
export function defineLoss(spec: LossSpec): CatalogueEntry {
  const { build, ...entry } = spec;
  const full: CatalogueEntry = {
    ...entry,
    create(params: LossParams, context: LossContext) {
      const resolved = resolveParamsFor(full, params as RawParams);
      checkContext(full.id, context, full.needsClassCounts);
      return finish(build(resolved, context));
    },
  };
  return full;
}
