import type { ExperimentResults, HeadlineMetric } from '../results/types';

const COLUMNS: { metric: HeadlineMetric; label: string; higherIsBetter: boolean }[] = [
  { metric: 'accuracy', label: 'accuracy', higherIsBetter: true },
  { metric: 'balancedAccuracy', label: 'balanced acc', higherIsBetter: true },
  { metric: 'macroF1', label: 'macro-F1', higherIsBetter: true },
  { metric: 'gmean', label: 'G-mean', higherIsBetter: true },
  { metric: 'ece', label: 'ECE', higherIsBetter: false },
];

/** A plain-text comparison table (mean ± std over seeds), the best value of each column marked with *. */
export function formatSummaryTable(results: ExperimentResults): string {
  const rows = results.summary;
  if (rows.length === 0) return 'No run finished.';
  const best = new Map<HeadlineMetric, number>();
  for (const { metric, higherIsBetter } of COLUMNS) {
    const means = rows.map((r) => r.metrics[metric].mean);
    best.set(metric, higherIsBetter ? Math.max(...means) : Math.min(...means));
  }
  const header = ['loss', ...COLUMNS.map((c) => c.label)];
  const body = rows.map((row) => [
    row.lossKey,
    ...COLUMNS.map(({ metric }) => {
      const s = row.metrics[metric];
      const text = s.std === null ? s.mean.toFixed(3) : `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`;
      return s.mean === best.get(metric) ? `${text} *` : text;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
