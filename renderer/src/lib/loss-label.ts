import type { LossInfo } from '../../../main/api/contract';
import type { LossParams } from '../../../main/losses/types';
import { recipeName } from '../../../main/losses/display-name';

export interface LossLabel {
  name: string;
  /** Parameters that differ from the catalogue's defaults: what sets this entry apart. */
  detail: string;
  /** Every parameter, for a tooltip. */
  full: string;
}

function isDefault(info: LossInfo | undefined, key: string, value: unknown): boolean {
  const spec = info?.params.find((p) => p.key === key);
  return spec !== undefined && JSON.stringify(spec.default) === JSON.stringify(value);
}

/**
 * A loss as people read it: the catalogue's name, plus the parameters it was given that differ
 * from the defaults, written with the catalogue's symbols (γ = 1). Defaults are left out of the
 * short form — "LDAM (with DRW)" rather than five default values — but kept in `full`. The same
 * rule as the reports' names (main/losses/display-name.ts).
 */
export function lossLabel(lossId: string, params: LossParams, catalogue: readonly LossInfo[]): LossLabel {
  const { name, detail, full } = recipeName(lossId, params, catalogue.find((l) => l.id === lossId));
  return { name, detail, full };
}

/**
 * A trained entry's label: the loss's (from its parameters, as `lossLabel`) followed by its
 * recipe's parts read from the key ("Cross-entropy + class-balanced sampler"), so that CE and
 * CE with a sampler are told apart in every table, legend and matrix title. A recipe's DRW
 * replaces LDAM's own drw setting, which is then left out, as the reports do.
 */
export function entryLabel(lossKey: string, lossId: string, params: LossParams, catalogue: readonly LossInfo[]): LossLabel {
  const { recipe } = splitRecipe(lossKey);
  const hasDrw = recipe.some((part) => part.startsWith('DRW@'));
  const shown = hasDrw ? Object.fromEntries(Object.entries(params).filter(([key]) => key !== 'drw' && key !== 'drwBeta')) : params;
  const label = lossLabel(lossId, shown, catalogue);
  return recipe.length === 0 ? label : { ...label, name: [label.name, ...recipe].join(' + ') };
}

/** "Name (detail)", the one-line form tables and legends show. */
export function lossDisplayName(label: LossLabel): string {
  return label.detail ? `${label.name} (${label.detail})` : label.name;
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
export function lossKeyLabel(fullKey: string, catalogue: readonly LossInfo[]): LossLabel {
  const { lossKey, recipe } = splitRecipe(fullKey);
  const label = plainLossKeyLabel(lossKey, catalogue);
  return recipe.length === 0 ? label : { ...label, name: [label.name, ...recipe].join(' + ') };
}

const RECIPE_WORDS: Record<string, string> = { crt: 'cRT', lws: 'LWS', 'sampler=class-balanced': 'class-balanced sampler', 'sampler=sqrt': 'square-root sampler', 'sampler=progressive': 'progressive sampler' };

/**
 * A recipe's key is the loss key followed by '+'-joined parts ("focal(gamma=1)+sampler=sqrt+drw=8");
 * the parts come back in words ("square-root sampler", "DRW@8").
 */
function splitRecipe(key: string): { lossKey: string; recipe: string[] } {
  let depth = 0;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === '+' && depth === 0) {
      const parts = key.slice(i + 1).split('+');
      return {
        lossKey: key.slice(0, i),
        recipe: parts.map((p) => {
          const base = p.replace(/\(.*\)$/, '');
          const drw = /^(drw|drs)=(\d+)/.exec(base);
          return drw ? `${drw[1]!.toUpperCase()}@${drw[2]}` : (RECIPE_WORDS[base] ?? p);
        }),
      };
    }
  }
  return { lossKey: key, recipe: [] };
}

function plainLossKeyLabel(lossKey: string, catalogue: readonly LossInfo[]): LossLabel {
  const open = lossKey.indexOf('(');
  const id = open < 0 ? lossKey : lossKey.slice(0, open);
  const info = catalogue.find((l) => l.id === id);
  const symbols = new Map(info?.params.map((p) => [p.key, p.label]) ?? []);
  const inner = open < 0 ? '' : lossKey.slice(open + 1, lossKey.endsWith(')') ? -1 : undefined);
  const pairs = splitTopLevel(inner).map((pair) => {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    let parsed: unknown = value;
    try {
      parsed = JSON.parse(value);
    } catch {
      // not JSON: compared and shown as written
    }
    const text = eq < 0 ? pair : `${symbols.get(key) ?? key} = ${value === 'null' ? 'none' : value.replace(/,/g, ', ')}`;
    return { text, isDefault: isDefault(info, key, parsed) };
  });
  return {
    name: info?.name ?? id,
    detail: pairs.filter((p) => !p.isDefault).map((p) => p.text).join(', '),
    full: pairs.map((p) => p.text).join(', '),
  };
}
