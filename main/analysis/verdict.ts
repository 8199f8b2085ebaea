import { signed } from '../report/numbers';
import type { ExperimentAnalysis } from './types';

/**
 * The answer in one line, with its uncertainty: which loss is best, by how much it beats the
 * baseline (paired bootstrap interval), and which losses cannot be told apart from it. Built
 * from the ranking and the paired comparisons the reports show, so the app's headline and the
 * report's say the same thing with the same numbers.
 */
export interface Verdict {
  text: string;
  /** Key of the best trained loss; null when nothing finished. */
  best: string | null;
  baseline: string;
  /** Best minus baseline in balanced accuracy, with its interval; null when the best is the baseline or no paired test was possible. */
  difference: number | null;
  interval: [number, number] | null;
  significant: boolean | null;
  /** Other losses not significantly different from the best (same rank). */
  tied: string[];
  level: number;
}


function listOf(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export function verdictOf(analysis: ExperimentAnalysis): Verdict {
  const label = (key: string) => analysis.variants.find((v) => v.key === key)?.label ?? key;
  const baseline = analysis.settings.baseline;
  const level = analysis.settings.level;
  const percent = `${Math.round(level * 100)}%`;
  const none: Verdict = { text: '', best: null, baseline, difference: null, interval: null, significant: null, tied: [], level };
  const trained = analysis.variants.filter((v) => v.kind === 'trained');
  if (trained.length === 0) return { ...none, text: 'No run finished, so there is no answer yet.' };

  const ranked = analysis.ranking?.entries ?? [];
  if (ranked.length === 0) {
    // No logits: the means are all there is.
    const best = [...trained].sort((a, b) => (b.metrics.balancedAccuracy.mean ?? -1) - (a.metrics.balancedAccuracy.mean ?? -1))[0]!;
    const mean = best.metrics.balancedAccuracy.mean;
    return { ...none, best: best.key, text: `${best.label} has the highest mean balanced accuracy (${mean === null ? '—' : mean.toFixed(3)}); no paired test was possible, since the runs' predictions (logits) are missing.` };
  }
  if (trained.length === 1) {
    return { ...none, best: ranked[0]!.key, text: `Only one loss finished: ${label(ranked[0]!.key)}, balanced accuracy ${ranked[0]!.score.toFixed(3)}. Train another to compare.` };
  }

  const best = ranked[0]!;
  const tied = best.tiedWith.filter((key) => key !== best.key);
  const tiedText =
    tied.length === 0
      ? 'every other loss is significantly worse'
      : `${listOf(tied.map(label))} ${tied.length === 1 ? 'is' : 'are'} not distinguishable from it`;
  if (best.key === baseline) {
    return { ...none, best: best.key, tied, text: `${label(best.key)} (the baseline) is best: balanced accuracy ${best.score.toFixed(3)}; ${tiedText}.` };
  }
  const comparison = analysis.comparisons.find((c) => c.key === best.key);
  if (!comparison) {
    return { ...none, best: best.key, tied, text: `${label(best.key)} is best: balanced accuracy ${best.score.toFixed(3)} (not paired with the baseline ${label(baseline)}); ${tiedText}.` };
  }
  const [lo, hi] = comparison.interval;
  const against = `${signed(comparison.difference)} balanced accuracy over ${label(baseline)} [${signed(lo)}, ${signed(hi)}] (${percent} paired bootstrap${comparison.significant ? '' : ', not significant'})`;
  return {
    text: `${label(best.key)} is best: ${against}; ${tiedText}.`,
    best: best.key,
    baseline,
    difference: comparison.difference,
    interval: comparison.interval,
    significant: comparison.significant,
    tied,
    level,
  };
}
