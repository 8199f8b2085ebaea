import type { LossParams, ParamSpec } from './types';

/**
 * How people read a loss recipe: the catalogue's name, plus the parameters that differ from the
 * catalogue's defaults, written with the catalogue's symbols — "Focal loss (softmax) (γ = 1)",
 * "LDAM (with DRW)" rather than `ldam(drw="on",drwBeta=0.9999,…)`. Pure, so the app, the reports
 * and the CLI all print the same names.
 */

/** The part of a catalogue entry a name needs. */
export interface NamedLoss {
  name: string;
  params: readonly Pick<ParamSpec, 'key' | 'label' | 'default'>[];
}

export interface RecipeName {
  /** The catalogue's name (the loss id when the catalogue does not know it). */
  name: string;
  /** Parameters that differ from the defaults: what sets this recipe apart. Empty when none. */
  detail: string;
  /** Every parameter, for a tooltip. */
  full: string;
  /** `name (detail)`, or the name alone: the one line every table and chart shows. */
  display: string;
}

export function formatParamValue(value: LossParams[string]): string {
  if (value === null) return 'none';
  if (Array.isArray(value)) return value.length > 4 ? `[${value.slice(0, 3).join(', ')}, …]` : `[${value.join(', ')}]`;
  return String(value);
}

function isDefault(info: NamedLoss | undefined, key: string, value: unknown): boolean {
  const spec = info?.params.find((p) => p.key === key);
  return spec !== undefined && JSON.stringify(spec.default) === JSON.stringify(value);
}

export function recipeName(lossId: string, params: LossParams, info: NamedLoss | undefined): RecipeName {
  const symbols = new Map(info?.params.map((p) => [p.key, p.label]) ?? []);
  const keys = Object.keys(params).sort();
  const write = (key: string) => `${symbols.get(key) ?? key} = ${formatParamValue(params[key]!)}`;
  const name = info?.name ?? lossId;
  const detail = keys.filter((key) => !isDefault(info, key, params[key])).map(write).join(', ');
  return { name, detail, full: keys.map(write).join(', '), display: detail ? `${name} (${detail})` : name };
}

/** The post-hoc logit-adjusted twin of a trained recipe. */
export function posthocDisplayName(sourceDisplay: string, tau: number): string {
  return `${sourceDisplay} + post-hoc LA (τ = ${tau})`;
}

