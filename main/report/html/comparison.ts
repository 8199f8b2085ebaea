import { LOWER_IS_BETTER, type AnalysisMetric, type VariantAnalysis } from '../../analysis/types';
import { forestChart } from '../charts/forest-chart';
import type { ReportContext } from '../context';
import { escapeHtml, fixed, plural, pValue, signed, summaryParts } from '../format';
import { METRIC_LABELS } from '../labels';
import { figure, section, table } from './elements';


function metricTable(variants: VariantAnalysis[], metrics: AnalysisMetric[], caption: string): string {
  const best = new Map<AnalysisMetric, number>();
  for (const m of metrics) {
    const means = variants.map((v) => v.metrics[m].mean).filter((x): x is number => x !== null);
    if (means.length > 0) best.set(m, LOWER_IS_BETTER.has(m) ? Math.min(...means) : Math.max(...means));
  }
  const rows = variants.map((v) => {
    const cells = metrics.map((m) => {
      const s = v.metrics[m];
      const parts = summaryParts(s);
      const isBest = s.mean !== null && best.get(m) === s.mean;
      return `${isBest ? '<strong>' : ''}${parts.mean}${isBest ? '</strong>' : ''}${parts.interval ? `<small>${parts.interval}</small>` : ''}`;
    });
    return [escapeHtml(v.label), ...cells];
  });
  return table(['', ...metrics.map((m) => `${METRIC_LABELS[m]}${LOWER_IS_BETTER.has(m) ? ' ↓' : ' ↑'}`)], rows, {
    caption,
    rowClasses: variants.map((v) => (v.kind === 'posthoc' ? 'posthoc' : undefined)),
  });
}

/** The comparison table with intervals, the paired tests against the baseline, and the ranking. */
export function comparisonSection(ctx: ReportContext): string {
  const a = ctx.analysis;
  const level = Math.round(a.settings.level * 100);
  const seeds = ctx.experiment.results.config.seeds.length;
  const baseline = a.variants.find((v) => v.key === a.settings.baseline)!;
  const intro = `<p>Each cell is the mean over seeds; below it the ${level}% confidence interval of that mean (Student t over ${plural(seeds, 'seed')}; none with one seed). Best value per column in bold. Rows in italics apply post-hoc logit adjustment to the trained model above them.</p>`;
  const headline = metricTable(a.variants, ['balancedAccuracy', 'accuracy', 'macroF1', 'gmean', 'manyShotAccuracy', 'mediumShotAccuracy', 'fewShotAccuracy'], 'Classification (test set, weights selected by validation balanced accuracy)');
  const calibration = metricTable(a.variants, ['ece', 'eceTemperatureScaled', 'nll', 'brier'], `Calibration and likelihood (ECE: each run's, ${a.settings.calibrationBins} bins, as a fraction, mean over seeds; temperature fitted on the validation set)`);

  const rankOf = new Map((a.ranking?.entries ?? []).map((e) => [e.key, e]));
  const pairedRows = a.comparisons.map((c) => {
    const v = a.variants.find((x) => x.key === c.key)!;
    const badge = c.significant ? '<span class="badge sig">significant</span>' : '<span class="badge ns">not significant</span>';
    const mc = c.mcnemar.perSeed.map((s) => `seed ${s.seed}: b=${s.b}, c=${s.c}, p ${pValue(s.pValue).startsWith('<') ? '' : '= '}${pValue(s.pValue)}`).join('<br>');
    const rank = rankOf.get(c.key);
    return [
      escapeHtml(v.label),
      c.seeds.join(', '),
      fixed(c.candidateBalancedAccuracy),
      `<span class="${c.significant ? '' : 'ns'}">${signed(c.difference)}</span><small>[${signed(c.interval[0])}, ${signed(c.interval[1])}]</small>`,
      badge,
      `<small>${mc}</small>`,
      `${pValue(c.mcnemar.pMax)} ${c.mcnemar.significant ? '' : '<span class="ns">(n.s.)</span>'}`,
      rank ? String(rank.rank) + (rank.tiedWith.length > 1 ? ' (tied)' : '') : '—',
    ];
  });
  const baseRank = rankOf.get(baseline.key);
  pairedRows.unshift([`${escapeHtml(baseline.label)} <em>(baseline)</em>`, baseline.seedsWithLogits.join(', '), fixed(baseline.metrics.balancedAccuracy.mean), '—', '', '', '', baseRank ? String(baseRank.rank) + (baseRank.tiedWith.length > 1 ? ' (tied)' : '') : '—']);
  const paired = table(
    ['', 'seeds paired', 'balanced acc.', `Δ vs ${escapeHtml(baseline.label)} [${level}% bootstrap]`, 'interval', 'McNemar per seed (b: only baseline right, c: only this right)', 'McNemar p<sub>max</sub>', 'rank'],
    pairedRows,
    {
      caption: `Paired comparison with ${escapeHtml(baseline.label)} on the same test images`,
      rowClasses: [undefined, ...a.comparisons.map((c) => (a.variants.find((v) => v.key === c.key)?.kind === 'posthoc' ? 'posthoc' : undefined))],
    },
  );
  const method = `<p><strong>How the comparison is made.</strong> Runs are paired by seed. Δ is the mean over paired seeds of (balanced accuracy of the row − balanced accuracy of the baseline). Its interval is a paired bootstrap over test images (${a.settings.bootstrapResamples} resamples, seed ${a.settings.bootstrapSeed}): each resample draws the test images with replacement once and scores every run of both rows on that same draw, then averages the per-seed differences; the interval is the 2.5th–97.5th percentile. A difference whose interval includes 0 is <em>not significant</em>. McNemar's test compares correct/incorrect pairs for each seed (exact binomial under 25 discordant images, else χ² with continuity correction); p<sub>max</sub> is the largest per-seed p-value, and it is significant only when every seed's test is.</p>`;
  const forest = figure(
    forestChart(
      `Difference in balanced accuracy against ${baseline.label}`,
      a.comparisons.map((c) => ({ label: a.variants.find((v) => v.key === c.key)!.label, estimate: c.difference, interval: c.interval, significant: c.significant })),
      `Δ balanced accuracy vs ${baseline.label}`,
    ),
    `Δ balanced accuracy with its ${level}% paired bootstrap interval; hollow markers are not significant.`,
  );
  return section('comparison', 'Comparison', intro + headline + calibration + `<h3>Against the baseline</h3>` + method + paired + forest + rankingText(ctx));
}

function rankingText(ctx: ReportContext): string {
  const r = ctx.analysis.ranking;
  if (!r || r.entries.length === 0) return '<h3 id="ranking">Ranking</h3><p>No ranking: the losses share no finished seed with logits.</p>';
  const groups = new Map<number, string[]>();
  const label = (key: string) => ctx.analysis.variants.find((v) => v.key === key)?.label ?? key;
  for (const e of r.entries) groups.set(e.rank, [...(groups.get(e.rank) ?? []), `${escapeHtml(label(e.key))} (${fixed(e.score)})`]);
  const items = [...groups.entries()].map(([rank, keys]) => `<li value="${rank}">${keys.join(', ')}${keys.length > 1 ? ' <em>— tied: not significantly different from the first of the group</em>' : ''}</li>`);
  return `<h3 id="ranking">Ranking</h3><p>By mean balanced accuracy over seeds ${r.seeds.join(', ')}, best first. A loss shares the rank of the best loss of its group when the paired bootstrap interval of their difference includes 0.${r.excluded.length > 0 ? ` Not ranked: ${r.excluded.map((k) => escapeHtml(label(k))).join(', ')}.` : ''}</p><ol class="ranking">${items.join('')}</ol>`;
}
