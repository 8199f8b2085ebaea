import { reliabilityChart } from '../charts/reliability-chart';
import type { ReportContext } from '../context';
import { escapeHtml, fixed } from '../format';
import { figure, section, table, variantStyles } from './elements';

/** Reliability diagrams per loss, and temperature scaling per seed. */
export function calibrationSection(ctx: ReportContext): string {
  const a = ctx.analysis;
  const styles = variantStyles(a);
  const trained = a.variants.filter((v) => v.kind === 'trained');
  const charts = trained.map((v) =>
    v.calibration
      ? figure(reliabilityChart(`Reliability diagram: ${v.label}`, v.calibration.reliability, v.calibration.reliabilityTemperatureScaled, styles.get(v.key)!.color), escapeHtml(v.label))
      : `<figure><p>${escapeHtml(v.label)}: no logits, no diagram.</p></figure>`,
  );
  const intro = `<p>Each diagram pools the test predictions of every seed into ${a.settings.calibrationBins} equal-width confidence bins (Guo et al. 2017). Bars: accuracy per bin; shaded: gap to the diagonal of perfect calibration; dots: the same bins after temperature scaling. ECE is the count-weighted mean gap; the diagram's <em>pooled ECE</em> is that of all seeds' predictions together, whereas the tables give each run's ECE and their mean over seeds (the figure the app shows, there as a percentage). The temperature T of each run is fitted by minimising the NLL of its validation logits and then applied to its test logits; it never changes a prediction, only confidences.</p>`;
  const rows = a.variants.flatMap((v) =>
    (v.calibration?.temperature ?? []).map((t) => [escapeHtml(v.label), String(t.seed), `${t.temperature.toFixed(3)}${t.atBound ? ' (bound)' : ''}`, fixed(t.eceBefore), fixed(t.eceAfter), fixed(t.nllBefore), fixed(t.nllAfter)]),
  );
  const tbl = rows.length > 0
    ? table(['', 'seed', 'T', 'test ECE before', 'after', 'test NLL before', 'after'], rows, { caption: 'Temperature scaling per run' })
    : '<p>No run had validation logits, so no temperature could be fitted.</p>';
  return section('calibration', 'Calibration: reliability diagrams', intro + `<div class="grid-charts">${charts.join('')}</div>` + tbl);
}
