import { ANALYSIS_METRICS, type AnalysisMetric } from '../analysis/types';
import type { Summary } from '../stats/summary';
import type { SweptParam } from './plan';
import { contrastSentence, pointStatus, type ContrastStatus } from './summary';

/**
 * Across-settings analysis of a sweep, built from each setting's own analysis (the comparison
 * LossLab makes for one experiment: seed intervals per row, paired bootstrap against the
 * baseline on the same test images). Along the sweep's axis — ρ, or the swept hyperparameter —
 * it lines up, per recipe, every metric's mean and 95% interval over seeds, and per recipe
 * its paired difference from the baseline with its interval, and says in words where that
 * comparison changes.
 */

/** What the sweep analysis needs of one setting's analysis; a full ExperimentAnalysis is one. */
export interface SettingAnalysis {
  settings: { baseline: string };
  variants: {
    key: string;
    label: string;
    kind: 'trained' | 'posthoc';
    metrics: Record<AnalysisMetric, Summary>;
    runs: { seed: number; runId: string; metrics: Record<AnalysisMetric, number | null> }[];
  }[];
  comparisons: { key: string; baseline: string; difference: number; interval: [number, number]; significant: boolean }[];
}

export interface SweepSettingInput {
  index: number;
  label: string;
  /** ρ (nominal, or the achieved ratio for a counts profile). */
  rho: number;
  analysis: SettingAnalysis;
}

export interface SweepAxis {
  kind: 'imbalance' | 'param';
  /** "ρ" or "γ of focal"; what the charts' x axis is labelled with. */
  name: string;
  /** The symbol in sentences: "ρ", "focal.gamma". */
  symbol: string;
}

export interface SeriesPoint {
  x: number;
  setting: number;
  metrics: Record<AnalysisMetric, Summary>;
}

export interface SweepSeries {
  key: string;
  label: string;
  points: SeriesPoint[];
}

export interface ContrastPoint {
  x: number;
  setting: number;
  difference: number;
  interval: [number, number];
  status: ContrastStatus;
}

export interface SweepContrast {
  key: string;
  label: string;
  baseline: string;
  baselineLabel: string;
  points: ContrastPoint[];
  sentence: string;
}

/** One row per recipe × setting × seed: the tidy table of the reports. */
export interface SweepRunRow {
  setting: number;
  settingLabel: string;
  x: number;
  key: string;
  label: string;
  seed: number;
  runId: string;
  metrics: Record<AnalysisMetric, number | null>;
}

export interface SweepAnalysis {
  axis: SweepAxis;
  /** The settings in axis order (for a hyperparameter sweep: the values, all in setting 0). */
  xs: { x: number; label: string; setting: number }[];
  baseline: string;
  series: SweepSeries[];
  contrasts: SweepContrast[];
  /** The plain-words summary: one sentence per recipe against the baseline. */
  summary: string[];
  runs: SweepRunRow[];
}

/**
 * Along ρ when the sweep has several imbalance settings (each swept hyperparameter value is then
 * a recipe of its own); along the hyperparameter when it has one setting and a swept parameter.
 */
export function analyzeSweep(settings: readonly SweepSettingInput[], param: SweptParam | null): SweepAnalysis {
  if (settings.length === 0) throw new Error('A sweep analysis needs at least one analysed setting.');
  if (settings.length === 1 && param) return alongParam(settings[0]!, param);
  return alongRho(settings);
}

function alongRho(settings: readonly SweepSettingInput[]): SweepAnalysis {
  const ordered = [...settings].sort((a, b) => a.rho - b.rho || a.index - b.index);
  const baseline = ordered[0]!.analysis.settings.baseline;
  const keys = uniqueTrainedKeys(ordered.map((s) => s.analysis));
  const series = keys.map(({ key, label }) => ({
    key,
    label,
    points: ordered.flatMap((s) => {
      const v = s.analysis.variants.find((x) => x.key === key);
      return v ? [{ x: s.rho, setting: s.index, metrics: v.metrics }] : [];
    }),
  }));
  const axis: SweepAxis = { kind: 'imbalance', name: 'imbalance ratio ρ', symbol: 'ρ' };
  const contrasts = keys
    .filter(({ key }) => key !== baseline)
    .map(({ key, label }) => {
      const points = ordered.flatMap((s) => {
        const c = s.analysis.comparisons.find((x) => x.key === key && x.baseline === baseline);
        return c ? [{ x: s.rho, setting: s.index, difference: c.difference, interval: c.interval, status: pointStatus(c) }] : [];
      });
      return contrast(axis, key, label, baseline, labelOf(ordered[0]!.analysis, baseline), points);
    })
    .filter((c) => c.points.length > 0);
  return {
    axis,
    xs: ordered.map((s) => ({ x: s.rho, label: s.label, setting: s.index })),
    baseline,
    series,
    contrasts,
    summary: contrasts.map((c) => c.sentence),
    runs: ordered.flatMap((s) => tidyRows(s, () => s.rho)),
  };
}

function alongParam(setting: SweepSettingInput, param: SweptParam): SweepAnalysis {
  const { analysis } = setting;
  const baseline = analysis.settings.baseline;
  const axis: SweepAxis = { kind: 'param', name: `${param.key} of ${param.loss}`, symbol: `${param.loss}.${param.key}` };
  const xOfKey = new Map(param.recipeKeys.map((key, k) => [key, param.values[k]!]));
  const swept = param.recipeKeys.map((key) => analysis.variants.find((v) => v.key === key)).filter((v) => v !== undefined);
  const series: SweepSeries[] = [
    {
      key: param.loss,
      label: `${labelOf(analysis, param.recipeKeys[0]!).replace(/\s*\([^()]*\)$/, '')} (${param.key} swept)`,
      points: swept.map((v) => ({ x: xOfKey.get(v.key)!, setting: setting.index, metrics: v.metrics })).sort((a, b) => a.x - b.x),
    },
  ];
  const points = swept
    .flatMap((v) => {
      const c = analysis.comparisons.find((x) => x.key === v.key && x.baseline === baseline);
      return c && v.key !== baseline ? [{ x: xOfKey.get(v.key)!, setting: setting.index, difference: c.difference, interval: c.interval, status: pointStatus(c) }] : [];
    })
    .sort((a, b) => a.x - b.x);
  const contrasts = points.length > 0 ? [contrast(axis, param.loss, series[0]!.label.replace(/ \(.* swept\)$/, ''), baseline, labelOf(analysis, baseline), points)] : [];
  return {
    axis,
    xs: [...param.values].sort((a, b) => a - b).map((x) => ({ x, label: `${param.key} = ${x}`, setting: setting.index })),
    baseline,
    series,
    contrasts,
    summary: contrasts.map((c) => c.sentence),
    runs: tidyRows(setting, (key) => xOfKey.get(key) ?? setting.rho),
  };
}

function contrast(axis: SweepAxis, key: string, label: string, baseline: string, baselineLabel: string, points: ContrastPoint[]): SweepContrast {
  return { key, label, baseline, baselineLabel, points, sentence: contrastSentence(label, baselineLabel, axis.symbol, points) };
}

/** Trained rows in first-seen order over the settings (post-hoc rows stay in the per-setting comparison). */
function uniqueTrainedKeys(analyses: readonly SettingAnalysis[]): { key: string; label: string }[] {
  const seen = new Map<string, string>();
  for (const a of analyses) for (const v of a.variants) if (v.kind === 'trained' && !seen.has(v.key)) seen.set(v.key, v.label);
  return [...seen].map(([key, label]) => ({ key, label }));
}

function labelOf(analysis: SettingAnalysis, key: string): string {
  return analysis.variants.find((v) => v.key === key)?.label ?? key;
}

function tidyRows(setting: SweepSettingInput, xOf: (key: string) => number): SweepRunRow[] {
  return setting.analysis.variants
    .filter((v) => v.kind === 'trained')
    .flatMap((v) =>
      v.runs.map((r) => ({ setting: setting.index, settingLabel: setting.label, x: xOf(v.key), key: v.key, label: v.label, seed: r.seed, runId: r.runId, metrics: r.metrics })),
    );
}

export { ANALYSIS_METRICS };
