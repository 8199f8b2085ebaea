import { ANALYSIS_METRICS } from '../../analysis/types';
import type { LoadedSweep } from '../../sweep/load';
import { METRIC_COLUMNS } from '../labels';

/**
 * The sweep's tidy tables, one observation per row, shared by the CSV and HTML writers:
 * runs (recipe × setting × seed), points (recipe × setting × metric, over seeds), comparisons
 * (recipe × setting against the baseline) and settings.
 */

export type Cell = string | number | null | undefined;

export const SWEEP_TABLES = ['sweep-settings', 'sweep-runs', 'sweep-points', 'sweep-comparisons'] as const;
export type SweepTable = (typeof SWEEP_TABLES)[number];

export function sweepTables(loaded: LoadedSweep): Record<SweepTable, Cell[][]> {
  const { sweep } = loaded;
  const axis = sweep.axis.kind === 'imbalance' ? 'rho' : sweep.axis.symbol.replace(/\W/g, '_');
  const trainImages = new Map(loaded.settings.map((s) => [s.index, s.results.dataset.counts.train.reduce((a, b) => a + b, 0)]));
  const labelOf = new Map(loaded.record.settings.map((s) => [s.index, s.label]));

  const settings: Cell[][] = [['setting', 'label', 'rho', 'achieved_ratio', 'train_images', 'runs', 'status']];
  for (const s of loaded.record.settings) {
    const done = loaded.settings.find((x) => x.index === s.index);
    const finished = done ? done.results.runs.every((r) => r.status === 'done') : false;
    settings.push([s.index + 1, s.label, s.rho ?? done?.rho, done?.results.dataset.imbalanceRatio, trainImages.get(s.index), s.runs, done ? (finished ? 'done' : 'incomplete') : 'not finished']);
  }

  const metricCols = ANALYSIS_METRICS.map((m) => METRIC_COLUMNS[m]);
  const runs: Cell[][] = [['setting', 'setting_label', axis, 'train_images', 'recipe', 'label', 'seed', 'run_id', ...metricCols]];
  for (const r of sweep.runs) runs.push([r.setting + 1, r.settingLabel, r.x, trainImages.get(r.setting), r.key, r.label, r.seed, r.runId, ...ANALYSIS_METRICS.map((m) => r.metrics[m])]);

  const points: Cell[][] = [['recipe', 'label', 'setting', 'setting_label', axis, 'metric', 'n', 'mean', 'std', 'ci95_low', 'ci95_high']];
  for (const series of sweep.series) {
    for (const p of series.points) {
      for (const m of ANALYSIS_METRICS) {
        const s = p.metrics[m];
        points.push([series.key, series.label, p.setting + 1, labelOf.get(p.setting), p.x, METRIC_COLUMNS[m], s.n, s.mean, s.std, s.ci95?.[0], s.ci95?.[1]]);
      }
    }
  }

  const comparisons: Cell[][] = [['recipe', 'label', 'baseline', 'setting', axis, 'difference_balanced_accuracy', 'ci_low', 'ci_high', 'outcome']];
  for (const c of sweep.contrasts) {
    for (const p of c.points) comparisons.push([c.key, c.label, c.baseline, p.setting + 1, p.x, p.difference, p.interval[0], p.interval[1], p.status === 'tie' ? 'not distinguishable' : p.status]);
  }
  return { 'sweep-settings': settings, 'sweep-runs': runs, 'sweep-points': points, 'sweep-comparisons': comparisons };
}
