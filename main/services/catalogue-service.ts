import type { LossInfo, ParsedRequest, Responses } from '../api/contract';
import { listBackends } from '../engine/backends/select-backend';
import { listLosses } from '../losses/registry';
import type { LossDefinition } from '../losses/types';

/** A catalogue entry as plain data: functions (the loss itself, hooks) stay in the main process. */
export function lossInfo(definition: LossDefinition): LossInfo {
  const { create: _create, head, ...described } = definition;
  // A JSON round trip drops any further function-valued fields a catalogue entry carries (hooks).
  const info = JSON.parse(JSON.stringify(described)) as LossInfo;
  if (head) info.head = { cosineClassifier: head.cosineClassifier ?? false, note: head.note };
  return info;
}

export function createCatalogueService() {
  return {
    async losses(_request: ParsedRequest<'losses.list'>): Promise<Responses['losses.list']> {
      return listLosses().map(lossInfo);
    },
    async backends(_request: ParsedRequest<'backends.list'>): Promise<Responses['backends.list']> {
      return await listBackends();
    },
  };
}
