import { HEADLINE_METRICS, type HeadlineMetric, type LossSummary, type MetricSummary } from '../../../main/results/types';

export const SHOT_GROUPS = ['many', 'medium', 'few'] as const;
export type ShotGroup = (typeof SHOT_GROUPS)[number];

export const SHOT_GROUP_INFO: Record<ShotGroup, { label: string; description: string }> = {
  many: { label: 'Many-shot acc.', description: 'Accuracy on classes with more than 100 training images' },
  medium: { label: 'Medium-shot acc.', description: 'Accuracy on classes with 20 to 100 training images' },
  few: { label: 'Few-shot acc.', description: 'Accuracy on classes with fewer than 20 training images' },
};

/** Shot-group accuracy as "mean ± std" in percent; "—" where the split has no class of that size. */
export function formatShotGroup(summary: LossSummary['shotGroups'][ShotGroup] | undefined): string {
  if (!summary || summary.mean === null || summary.n === 0) return '—';
  const mean = (summary.mean * 100).toFixed(1);
  return summary.std === null ? mean : `${mean} ± ${(summary.std * 100).toFixed(1)}`;
}

/** Loss keys with the highest shot-group accuracy (ties all marked); none when the group is empty. */
export function bestShotGroupKeys(summaries: LossSummary[]): Record<ShotGroup, Set<string>> {
  const best = {} as Record<ShotGroup, Set<string>>;
  for (const group of SHOT_GROUPS) {
    const values = summaries.map((s) => ({ key: s.lossKey, mean: s.shotGroups?.[group]?.mean ?? null })).filter((v): v is { key: string; mean: number } => v.mean !== null && Number.isFinite(v.mean));
    const top = Math.max(...values.map((v) => v.mean));
    best[group] = new Set(values.filter((v) => Math.abs(v.mean - top) <= 1e-12).map((v) => v.key));
  }
  return best;
}

export { HEADLINE_METRICS };
export type { HeadlineMetric };

export interface MetricInfo {
  label: string;
  /** Spelled-out name for screen readers and tooltips. */
  description: string;
  higherIsBetter: boolean;
  /** Rates are shown as percentages; scores such as NLL as plain decimals. */
  unit: 'percent' | 'decimal';
}

export const METRIC_INFO: Record<HeadlineMetric, MetricInfo> = {
  accuracy: { label: 'Accuracy', description: 'Share of test images classified correctly', higherIsBetter: true, unit: 'percent' },
  balancedAccuracy: {
    label: 'Balanced acc.',
    description: 'Mean recall over classes: every class counts equally however rare',
    higherIsBetter: true,
    unit: 'percent',
  },
  macroF1: { label: 'Macro F1', description: 'Unweighted mean of per-class F1', higherIsBetter: true, unit: 'percent' },
  weightedF1: { label: 'Weighted F1', description: 'Per-class F1 weighted by test support', higherIsBetter: true, unit: 'percent' },
  gmean: { label: 'G-mean', description: 'Geometric mean of per-class recall; collapses to 0 if any class is never recognised', higherIsBetter: true, unit: 'percent' },
  nll: { label: 'NLL', description: 'Negative log-likelihood of the true class (lower is better)', higherIsBetter: false, unit: 'decimal' },
  brier: { label: 'Brier', description: 'Mean squared error of the predicted probabilities (lower is better)', higherIsBetter: false, unit: 'decimal' },
  ece: { label: 'ECE', description: 'Expected calibration error (lower is better)', higherIsBetter: false, unit: 'percent' },
};

export function formatMetricValue(metric: HeadlineMetric, value: number): string {
  if (!Number.isFinite(value)) return '—';
  return METRIC_INFO[metric].unit === 'percent' ? (value * 100).toFixed(1) : value.toFixed(3);
}

/** "mean ± std" in the metric's unit; the std is left out with a single seed. */
export function formatMeanStd(metric: HeadlineMetric, summary: MetricSummary): string {
  const mean = formatMetricValue(metric, summary.mean);
  if (summary.std === null || !Number.isFinite(summary.std)) return mean;
  return `${mean} ± ${formatMetricValue(metric, summary.std)}`;
}

/**
 * For each metric, the loss keys with the best mean. Ties are all marked: picking one of
 * two equal results would suggest a difference that is not there. Losses whose runs all
 * failed (n = 0 or a non-finite mean) never win.
 */
export function bestLossKeys(summaries: LossSummary[], metrics: readonly HeadlineMetric[] = HEADLINE_METRICS): Record<HeadlineMetric, Set<string>> {
  const best = {} as Record<HeadlineMetric, Set<string>>;
  for (const metric of metrics) {
    const sign = METRIC_INFO[metric].higherIsBetter ? 1 : -1;
    let top = -Infinity;
    const winners = new Set<string>();
    for (const s of summaries) {
      const m = s.metrics[metric];
      if (!m || m.n === 0 || !Number.isFinite(m.mean)) continue;
      const score = sign * m.mean;
      if (score > top + 1e-12) {
        top = score;
        winners.clear();
        winners.add(s.lossKey);
      } else if (Math.abs(score - top) <= 1e-12) {
        winners.add(s.lossKey);
      }
    }
    best[metric] = winners;
  }
  return best;
}
