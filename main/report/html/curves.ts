import type { VariantAnalysis } from '../../analysis/types';
import type { EpochRecord } from '../../engine/types';
import { lineChart, type LineSeries } from '../charts/line-chart';
import type { ReportContext } from '../context';
import { escapeHtml } from '../format';
import { figure, legend, section, variantStyles } from './elements';

type Curves = VariantAnalysis['curves'];

/** Per-seed points of one quantity over the network-training epochs (probe epochs left out). */
function seedPoints(history: EpochRecord[], pick: (h: EpochRecord) => number | null): [number, number | null][] {
  return history.filter((h) => h.stage === 'train').map((h) => [h.epoch + 1, pick(h)]);
}

/** Mean over seeds per epoch, skipping seeds without a value at that epoch. */
function meanPoints(curves: Curves, pick: (h: EpochRecord) => number | null): [number, number | null][] {
  const byEpoch = new Map<number, number[]>();
  for (const c of curves) {
    for (const [epoch, v] of seedPoints(c.history, pick)) {
      if (v === null || !Number.isFinite(v)) continue;
      byEpoch.set(epoch, [...(byEpoch.get(epoch) ?? []), v]);
    }
  }
  return [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([e, vs]) => [e, vs.reduce((s, x) => s + x, 0) / vs.length]);
}

function seriesFor(v: VariantAnalysis, color: string, dash: string | undefined, pick: (h: EpochRecord) => number | null): LineSeries[] {
  const seeds: LineSeries[] = v.curves.map((c) => ({ label: `${v.label} seed ${c.seed}`, points: seedPoints(c.history, pick), color, weight: 'thin' }));
  return [...seeds, { label: `${v.label} mean`, points: meanPoints(v.curves, pick), color, dash, weight: 'bold' }];
}

/** Training curves: validation balanced accuracy of every loss together, training loss per loss. */
export function curvesSection(ctx: ReportContext): string {
  const styles = variantStyles(ctx.analysis);
  const trained = ctx.analysis.variants.filter((v) => v.kind === 'trained' && v.curves.some((c) => c.history.length > 0));
  if (trained.length === 0) return section('curves', 'Training curves', '<p>No epoch records were stored.</p>');
  const valSeries = trained.flatMap((v) => seriesFor(v, styles.get(v.key)!.color, styles.get(v.key)!.dash, (h) => h.valBalancedAccuracy));
  const val = figure(
    lineChart({ title: 'Validation balanced accuracy per epoch', series: valSeries, xLabel: 'epoch', yLabel: 'validation balanced accuracy', width: 760, height: 280 }) +
      legend(trained.map((v) => ({ label: v.label, ...styles.get(v.key)! }))),
    'Thin lines: individual seeds; bold: their mean. Test metrics use the epoch with the best validation balanced accuracy.',
  );
  const lossCharts = trained.map((v) =>
    figure(lineChart({ title: `Training loss: ${v.label}`, series: seriesFor(v, styles.get(v.key)!.color, undefined, (h) => h.trainLoss), xLabel: 'epoch', yLabel: 'training loss', width: 340, height: 200 }), escapeHtml(v.label)),
  );
  return section('curves', 'Training curves', val + `<h3>Training loss per loss</h3><p>Each loss has its own scale, so they are drawn apart.</p><div class="grid-charts">${lossCharts.join('')}</div>`);
}
