import type { LossInfo } from '../../../main/api/contract';
import type { LossParams } from '../../../main/losses/types';

function formatParam(value: LossParams[string]): string {
  if (value === null) return 'none';
  if (Array.isArray(value)) return value.length > 4 ? `[${value.slice(0, 3).join(', ')}, …]` : `[${value.join(', ')}]`;
  return String(value);
}

/**
 * A loss as people read it: the catalogue's name, plus its parameters written with the
 * catalogue's symbols (γ = 2) so two entries of the same loss stay distinguishable.
 */
export function lossLabel(lossId: string, params: LossParams, catalogue: readonly LossInfo[]): { name: string; detail: string } {
  const info = catalogue.find((l) => l.id === lossId);
  const symbols = new Map(info?.params.map((p) => [p.key, p.label]) ?? []);
  const detail = Object.keys(params)
    .sort()
    .map((key) => `${symbols.get(key) ?? key} = ${formatParam(params[key]!)}`)
    .join(', ');
  return { name: info?.name ?? lossId, detail };
}
