import { LOWER_IS_BETTER, type AnalysisMetric } from '../../analysis/types';
import type { LoadedSweep } from '../../sweep/load';
import { formatX } from '../../sweep/summary';
import { sweepChart } from '../charts/sweep-chart';
import { contextOf } from '../context';
import { escapeHtml, fixed, signed } from '../format';
import { comparisonSection } from '../html/comparison';
import { figure, legend, section, table } from '../html/elements';
import { reportStyle, type Paper } from '../html/style';
import { METRIC_LABELS } from '../labels';
import { seriesStyle } from '../svg';
import { sweepTables } from './tables';

/** The metrics drawn against the sweep's axis. */
export const SWEEP_CHART_METRICS: AnalysisMetric[] = ['balancedAccuracy', 'macroF1', 'fewShotAccuracy', 'accuracy', 'ece'];

function settingsSection(loaded: LoadedSweep): string {
  const rows = sweepTables(loaded)['sweep-settings'].slice(1).map((r) => r.map((c) => (typeof c === 'number' && !Number.isInteger(c) ? c.toFixed(1) : escapeHtml(String(c ?? '—')))));
  const c = loaded.record.config;
  const intro = `<p>Every setting splits the same images with split seed ${c.splitSeed}: the test set (and validation set) are the same for all of them; only the training pool is thinned. Each setting is an ordinary LossLab experiment in <code>settings/</code>, trained with the same seeds (${c.seeds.join(', ')}), network and training settings.</p>`;
  return section('settings', 'Settings', intro + table(['setting', 'imbalance', 'ρ', 'achieved ratio', 'training images', 'runs', 'status'], rows));
}

function chartsSection(loaded: LoadedSweep): string {
  const { sweep } = loaded;
  const styles = sweep.series.map((_, i) => seriesStyle(i));
  const xs = sweep.xs.map((p) => p.x);
  const key = legend(sweep.series.map((s, i) => ({ label: s.label, ...styles[i]! })));
  const charts = SWEEP_CHART_METRICS.map((metric) => {
    const series = sweep.series.map((s, i) => ({
      label: s.label,
      ...styles[i]!,
      points: s.points.map((p) => ({ x: p.x, mean: p.metrics[metric].mean, interval: p.metrics[metric].ci95 })),
    }));
    if (!series.some((s) => s.points.some((p) => p.mean !== null))) return '';
    const name = `${METRIC_LABELS[metric]}${LOWER_IS_BETTER.has(metric) ? ' (lower is better)' : ''}`;
    return figure(sweepChart({ title: `${name} against ${sweep.axis.name}`, xLabel: sweep.axis.name, yLabel: METRIC_LABELS[metric], series, xs }), `${escapeHtml(name)} against ${escapeHtml(sweep.axis.name)}: mean over seeds, bar = 95% interval of the mean (Student t; none with one seed).`);
  });
  return section('charts', `Metrics against ${sweep.axis.name}`, key + charts.join(''));
}

function contrastsSection(loaded: LoadedSweep): string {
  const { sweep } = loaded;
  if (sweep.contrasts.length === 0) return section('contrasts', 'Against the baseline', '<p>No recipe shares a finished seed with the baseline, so nothing is compared.</p>');
  const xs = sweep.xs.map((p) => p.x);
  const rows = sweep.contrasts.map((c) => [
    escapeHtml(c.label),
    ...xs.map((x) => {
      const p = c.points.find((q) => q.x === x);
      if (!p) return '—';
      return `<span class="${p.status === 'tie' ? 'ns' : ''}">${signed(p.difference)}</span><small>[${signed(p.interval[0])}, ${signed(p.interval[1])}]</small>`;
    }),
  ]);
  const base = escapeHtml(sweep.contrasts[0]!.baselineLabel);
  const intro = `<p>Δ balanced accuracy against ${base} in each setting, with its 95% paired bootstrap interval over the shared test images (runs paired by seed), as in each setting's own comparison. Grey: the interval includes 0 (not distinguishable).</p>`;
  return section('contrasts', `Against ${sweep.contrasts[0]!.baselineLabel}, per setting`, intro + table(['', ...xs.map((x) => `${escapeHtml(sweep.axis.symbol)} = ${formatX(x)}`)], rows));
}

function runsSection(loaded: LoadedSweep): string {
  const [header, ...rows] = sweepTables(loaded)['sweep-runs'];
  const shown = ['setting', 'setting_label', 'recipe', 'seed', 'balanced_accuracy', 'accuracy', 'macro_f1', 'few_shot_accuracy'];
  const at = shown.map((h) => header!.indexOf(h));
  const cells = rows.map((r) => at.map((k) => (typeof r[k] === 'number' && !Number.isInteger(r[k]) ? fixed(r[k] as number) : escapeHtml(String(r[k] ?? '—')))));
  return section('runs', 'Every run (recipe × setting × seed)', `<details open><summary>${rows.length} runs</summary>${table(shown, cells, { rowHeaders: false })}</details>`);
}

function perSettingSections(loaded: LoadedSweep): string {
  return loaded.settings
    .map((s) => {
      const html = comparisonSection(contextOf(s.experiment, s.analysis));
      // Each setting's comparison is the one-experiment comparison; its ids are made unique here.
      return html
        .replace('<section id="comparison"><h2>Comparison</h2>', `<section id="setting-${s.index + 1}"><h2>Setting ${s.index + 1}: ${escapeHtml(s.label)}</h2>`)
        .replace('<h3 id="ranking">', `<h3 id="ranking-${s.index + 1}">`);
    })
    .join('\n');
}

export function renderSweepHtml(loaded: LoadedSweep, options: { paper?: Paper | null; generatedAt?: string } = {}): string {
  const { record, sweep } = loaded;
  const title = record.name ?? `Sweep ${record.id}`;
  const recipes = sweep.series.length;
  const lead = sweep.summary.length > 0 ? `<ul class="lead verdict sweep-summary">${sweep.summary.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>` : '';
  const notes = loaded.unfinished.length > 0 ? `<div class="notes"><strong>Notes</strong><ul>${loaded.unfinished.map((u) => `<li>Setting ${u.index + 1} (${escapeHtml(u.label)}) has not finished; \`losslab resume\` trains it.</li>`).join('')}</ul></div>` : '';
  const body = [
    `<header><h1>${escapeHtml(title)}</h1><p class="subtitle">LossLab sweep report · ${record.settings.length} settings · ${recipes} recipes × ${record.config.seeds.length} seeds · ${record.totalRuns} runs · generated ${escapeHtml(options.generatedAt ?? new Date().toISOString())}</p>${lead}${notes}</header>`,
    settingsSection(loaded),
    chartsSection(loaded),
    contrastsSection(loaded),
    runsSection(loaded),
    perSettingSections(loaded),
    section('configuration', 'Configuration', `<pre>${escapeHtml(JSON.stringify(record.config, null, 2))}</pre>`),
    `<footer>Generated by LossLab from ${escapeHtml(loaded.dir)}. Each setting's full report: <code>losslab report ${escapeHtml(loaded.dir)}/settings/&lt;setting&gt;</code>. This file is self-contained: it loads nothing from the network.</footer>`,
  ];
  const csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="generator" content="LossLab"><title>${escapeHtml(title)} — LossLab sweep report</title><style>${reportStyle(options.paper ?? null)}</style></head><body>${body.join('\n')}</body></html>\n`;
}
