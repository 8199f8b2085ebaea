import { rankWithTies } from '../stats/paired';
import type { PairedBootstrap } from './bootstrap';
import { bootstrapColumn } from './compare';
import type { Ranking } from './types';
import type { Variant } from './variants';

/**
 * Ranks trained losses by mean balanced accuracy over the seeds that every one of them
 * finished (so each score averages the same seeds and the bootstrap can pair runs by seed).
 * A loss ties with its group's leader when the paired bootstrap interval of their
 * difference includes 0 (stats/paired.ts rankWithTies: ranks read 1, 1, 3). Post-hoc rows
 * are not ranked: they are decision rules on the trained runs, shown beside them.
 * Null when no loss has predictions.
 */
export function rankVariants(variants: readonly Variant[], boot: PairedBootstrap): Ranking | null {
  const trained = variants.filter((v) => v.kind === 'trained');
  const usable = trained.filter((v) => v.runs.some((r) => r.predictions));
  if (usable.length === 0) return null;
  let common: number[] | null = null;
  for (const v of usable) {
    const own = new Set(v.runs.filter((r) => r.predictions).map((r) => r.seed));
    common = common === null ? [...own].sort((a, b) => a - b) : common.filter((s) => own.has(s));
  }
  const seeds = common ?? [];
  if (seeds.length === 0) return { seeds: [], entries: [], excluded: trained.map((v) => v.key) };
  const columnOf = new Map(usable.map((v) => [v.key, bootstrapColumn(boot, v, seeds.map((s) => v.runs.find((r) => r.seed === s)!))]));
  const entries = usable.map((v) => ({ key: v.key, score: boot.balancedAccuracy(columnOf.get(v.key)!) }));
  const ranked = rankWithTies(entries, (better, worse) => boot.compare(columnOf.get(better)!, columnOf.get(worse)!).significant);
  return { seeds, entries: ranked, excluded: trained.filter((v) => !usable.includes(v)).map((v) => v.key) };
}
