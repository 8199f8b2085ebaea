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

/** Splits "a=1,b=[1,2]" at the commas that separate parameters, not those inside arrays. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p !== '');
}

/**
 * The same label from a loss key ("focal(alpha=null,gamma=2)"), for places that only have the
 * key: live training rows and the history list.
 */
export function lossKeyLabel(lossKey: string, catalogue: readonly LossInfo[]): { name: string; detail: string } {
  const open = lossKey.indexOf('(');
  const id = open < 0 ? lossKey : lossKey.slice(0, open);
  const info = catalogue.find((l) => l.id === id);
  const symbols = new Map(info?.params.map((p) => [p.key, p.label]) ?? []);
  const inner = open < 0 ? '' : lossKey.slice(open + 1, lossKey.endsWith(')') ? -1 : undefined);
  const detail = splitTopLevel(inner)
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const key = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      return `${symbols.get(key) ?? key} = ${value === 'null' ? 'none' : value.replace(/,/g, ', ')}`;
    })
    .join(', ');
  return { name: info?.name ?? id, detail };
}
