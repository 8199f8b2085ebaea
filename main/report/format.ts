import type { ModelSpec } from '../experiment/config';
import { modelLabel } from '../experiment/model-label';
import type { NetworkSummary } from '../results/types';
import type { Summary } from '../stats/summary';

/** Number and text formatting shared by the HTML and Markdown writers. */

import { fixed } from './numbers';

export { fixed, pValue, signed } from './numbers';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${(100 * value).toFixed(digits)}%`;
}

/** "0.812" with its interval "[0.790, 0.834]" (seed interval, Student t) when there is one. */
export function summaryParts(s: Summary, digits = 3): { mean: string; interval: string | null; std: string | null } {
  return {
    mean: fixed(s.mean, digits),
    interval: s.ci95 ? `[${s.ci95[0].toFixed(digits)}, ${s.ci95[1].toFixed(digits)}]` : null,
    std: s.std !== null ? s.std.toFixed(digits) : null,
  };
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function describeImbalance(profile: { kind: string; ratio?: number; counts?: Record<string, number> }): string {
  switch (profile.kind) {
    case 'none':
      return 'none (every class keeps its whole pool)';
    case 'exp':
      return `exponential, ρ = ${profile.ratio} (class i of C keeps n_max·ρ^(−i/(C−1)) training images)`;
    case 'step':
      return `step, ρ = ${profile.ratio} (the tail half keeps n_max/ρ training images)`;
    case 'counts':
      return `explicit counts for ${Object.keys(profile.counts ?? {}).length} classes`;
    default:
      return profile.kind;
  }
}

/** The trained network in one line: family and settings, then size and cost when they were recorded. */
export function describeNetwork(results: { config: { model: ModelSpec }; network?: NetworkSummary | null }): string {
  const n = results.network;
  const label = n?.label ?? modelLabel(results.config.model);
  if (!n) return label;
  return `${label}; ${n.trainableParams.toLocaleString('en-US')} trainable parameters, ${(n.flopsPerImage / 1e6).toFixed(1)} MFLOPs per image`;
}
