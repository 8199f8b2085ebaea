import { METRIC_LABELS } from './labels';
import type { ReportContext } from './context';
import { describeImbalance, describeNetwork, fixed, plural, pValue, signed, summaryParts } from './format';
import type { AnalysisMetric } from '../analysis/types';

/** Markdown table cells must not contain pipes or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), `|${headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map(line)].join('\n');
}

function withInterval(s: { mean: number | null; ci95: [number, number] | null; std: number | null; n: number }): string {
  const p = summaryParts(s);
  return p.interval ? `${p.mean} ${p.interval}` : p.mean;
}

/** A readable summary: the question, the comparison with intervals, paired tests, ranking and how to re-run. */
export function renderMarkdown(ctx: ReportContext): string {
  const { results } = ctx.experiment;
  const a = ctx.analysis;
  const d = results.dataset;
  const level = Math.round(a.settings.level * 100);
  const out: string[] = [];
  out.push(`# ${results.config.name ?? `Experiment ${results.id}`}`, '');
  out.push(`LossLab report · experiment \`${results.id}\` · generated ${ctx.generatedAt}`, '');
  out.push('## The question asked', '');
  out.push(
    `Which loss trains the network best on \`${d.root}\` (${results.classes.length} classes) when the training set is imbalanced — ${describeImbalance(d.imbalance)}, ratio ${d.imbalanceRatio.toFixed(1)}? ` +
      `${plural(a.variants.filter((v) => v.kind === 'trained').length, 'loss', 'losses')} × ${plural(results.config.seeds.length, 'seed')} (${results.config.seeds.join(', ')}), evaluated on the same ${plural(results.testItems.length, 'test image')}.`,
    '',
  );
  out.push(`Network: ${describeNetwork(results)}.`, '');
  const order = d.headToTail.length === results.classes.length ? d.headToTail : results.classes.map((_, i) => i);
  out.push(mdTable(['class (head → tail)', 'pool before imbalance', 'train', 'val', 'test'], order.map((c) => [results.classes[c]!, String(d.counts.poolBeforeImbalance[c]), String(d.counts.train[c]), String(d.counts.val[c]), String(d.counts.test[c])])), '');
  for (const w of [...a.incompleteRuns.map((r) => `Run ${r.runId} ${r.status}${r.error ? `: ${r.error}` : ''}.`), ...a.warnings]) out.push(`> **Note:** ${w}`, '');

  out.push('## Comparison', '');
  out.push(`Mean over seeds with the ${level}% confidence interval of the mean (Student t). Rows marked "post-hoc LA" apply post-hoc logit adjustment (τ = ${a.settings.posthocTau ?? '—'}, training priors) to the trained runs above them; rows marked "τ-norm" divide each class's logits by its classifier weight norm to the power τ, with τ chosen per run on the validation set.`, '');
  const metrics: AnalysisMetric[] = ['balancedAccuracy', 'accuracy', 'macroF1', 'gmean', 'ece', 'eceTemperatureScaled', 'nll', 'manyShotAccuracy', 'mediumShotAccuracy', 'fewShotAccuracy'];
  out.push(mdTable(['loss', ...metrics.map((m) => METRIC_LABELS[m])], a.variants.map((v) => [v.label, ...metrics.map((m) => withInterval(v.metrics[m]))])), '');

  const nameOf = (key: string) => a.variants.find((v) => v.key === key)?.label ?? key;
  const baseline = a.settings.baseline;
  out.push(`## Against the baseline (${a.variants.find((v) => v.key === baseline)?.label ?? baseline})`, '');
  out.push(
    `Δ = mean over seed-paired runs of the difference in balanced accuracy; ${level}% paired bootstrap interval over test images (${a.settings.bootstrapResamples} resamples, seed ${a.settings.bootstrapSeed}). McNemar p_max is the largest per-seed p-value. "n.s." = not significant (the interval includes 0).`,
    '',
  );
  out.push(
    mdTable(
      ['loss', 'seeds', 'Δ balanced acc.', `${level}% interval`, 'significant', 'McNemar p_max'],
      a.comparisons.map((c) => [a.variants.find((v) => v.key === c.key)!.label, c.seeds.join(','), signed(c.difference), `[${signed(c.interval[0])}, ${signed(c.interval[1])}]`, c.significant ? 'yes' : 'n.s.', pValue(c.mcnemar.pMax)]),
    ),
    '',
  );
  if (a.ranking && a.ranking.entries.length > 0) {
    out.push('## Ranking', '');
    out.push(`By mean balanced accuracy over seeds ${a.ranking.seeds.join(', ')}; losses whose difference from their group's best is not significant share its rank.`, '');
    for (const e of a.ranking.entries) out.push(`${e.rank}. ${nameOf(e.key)} — ${fixed(e.score)}${e.tiedWith.length > 1 ? ` (tied with ${e.tiedWith.filter((k) => k !== e.key).map(nameOf).join(', ')})` : ''}`);
    out.push('');
  }
  out.push('## Per-class recall (head → tail)', '');
  out.push(mdTable(['loss', ...order.map((c) => results.classes[c]!)], a.variants.map((v) => [v.label, ...order.map((c) => fixed(v.recall[c], 2))])), '');
  if (a.hardest.length > 0) {
    out.push('## Hardest classes', '');
    for (const h of a.hardest) {
      out.push(`- **${results.classes[h.classIndex]}** (mean recall ${fixed(h.meanRecall)}): ${h.examples.map((e) => `\`${e.file}\` → ${results.classes[e.predictedClass]} (${e.wrongRuns}/${e.totalRuns} runs)`).join('; ') || 'no examples'}`);
    }
    out.push('');
  }
  out.push('## Environment', '');
  out.push(`Backend: ${results.backend ? `${results.backend.name} (${results.backend.package} ${results.backend.version})` : 'not recorded'}. Versions: ${Object.entries(results.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  out.push('## Reproduce', '');
  out.push(`Save the configuration as \`${ctx.reproduction.configFileName}\` and run \`${ctx.reproduction.configCommand}\`.`, '');
  if (ctx.reproduction.flagsCommand) out.push('Or with flags only:', '', '```sh', ctx.reproduction.flagsCommand, '```', '');
  out.push('```json', ctx.reproduction.configJson, '```', '');
  return out.join('\n');
}
