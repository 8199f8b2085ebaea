import type { ParsedRequest, Responses } from '../api/contract';
import { sweepPlanView } from '../sweep/plan-view';
import { notOpenableMessage } from './dataset-service';
import type { FolderAccess } from './folder-access';

/** `sweep.plan`: the run count and estimated duration of a configuration, before it starts. */
export function createSweepService({ access, storeRoot, cacheDir }: { access: FolderAccess; storeRoot: string; cacheDir: string | undefined }) {
  return {
    async plan({ config }: ParsedRequest<'sweep.plan'>): Promise<Responses['sweep.plan']> {
      for (const folder of [config.data, config.testData]) {
        if (folder !== undefined && (await access.openable(folder)) === null) throw new Error(await notOpenableMessage(folder, access));
      }
      return sweepPlanView(config, { storeRoot, ...(cacheDir !== undefined ? { cacheDir } : {}) });
    },
  };
}
