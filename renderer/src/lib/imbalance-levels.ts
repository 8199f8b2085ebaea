import { sweepSchema } from '../../../main/experiment/config';

/**
 * "Compare several imbalance levels": the ratios ρ a user types for the chosen profile
 * (long-tail or step), checked as typed against the configuration's own sweep schema, so what
 * passes here is exactly what `sweep.start` accepts. Each ratio becomes one setting of a sweep.
 */

export type LevelsKind = 'exp' | 'step';
export type LevelsCheck = { ok: true; ratios: number[] } | { ok: false; message: string };

export function parseImbalanceLevels(text: string, kind: LevelsKind): LevelsCheck {
  const parts = text.split(/[\s,;]+/).filter((part) => part.length > 0);
  const ratios: number[] = [];
  for (const part of parts) {
    const value = Number(part);
    if (!Number.isFinite(value)) return { ok: false, message: `Imbalance levels: "${part}" is not a number; list ratios ρ like 1, 10, 100.` };
    if (ratios.includes(value)) return { ok: false, message: `Imbalance levels: ρ = ${value} is listed twice; list each level once.` };
    ratios.push(value);
  }
  if (ratios.length < 2) return { ok: false, message: 'Imbalance levels: list at least two ratios ρ to compare, e.g. 1, 10, 100.' };
  // Lowest first: the settings train, and the Training screen counts them, in the order of the axis.
  ratios.sort((a, b) => a - b);
  const parsed = sweepSchema.safeParse({ imbalance: ratios.map((ratio) => ({ kind, ratio })) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const index = issue.path[1];
    if (issue.path[0] === 'imbalance' && typeof index === 'number') {
      return { ok: false, message: `Imbalance levels: ρ = ${ratios[index]} is out of range; each ratio must be from 1 to 10000.` };
    }
    if (issue.code === 'too_big') return { ok: false, message: `Imbalance levels: ${ratios.length} levels are more than a sweep takes (50); list fewer.` };
    return { ok: false, message: `Imbalance levels: ${issue.message}.` };
  }
  return { ok: true, ratios };
}
