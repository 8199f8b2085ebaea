/** Plain-text and JSON renderings of one set of metrics, for `losslab metrics`. */

import type { ReliabilityDiagram } from './calibration';
import type { ClassificationMetrics } from './types';

export interface MetricsReport {
  classes: string[];
  samples: number;
  metrics: ClassificationMetrics;
  reliability: ReliabilityDiagram;
  warnings: string[];
}

function fixed(v: number | null, digits = 4): string {
  return v === null ? '—' : v.toFixed(digits);
}

/** Left-aligned first column, right-aligned others; widths from the content. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j === 0 ? c.padEnd(widths[j] as number) : c.padStart(widths[j] as number))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function formatMetricsText(report: MetricsReport): string {
  const { metrics: m, classes } = report;
  const out: string[] = [];
  out.push(`${report.samples} samples, ${classes.length} classes`, '');
  const overall: [string, string][] = [
    ['accuracy', fixed(m.accuracy)],
    ['balanced accuracy', fixed(m.balancedAccuracy)],
    ['macro F1', fixed(m.macroF1)],
    ['weighted F1', fixed(m.weightedF1)],
    ['G-mean of recalls', fixed(m.gmean)],
    ['NLL', fixed(m.nll)],
    ['Brier (sum over classes)', fixed(m.brier)],
    [`ECE (${report.reliability.bins.length} bins)`, fixed(m.ece)],
  ];
  const { many, medium, few } = m.shotGroups;
  if (many !== null || medium !== null || few !== null) {
    overall.push(['many-shot accuracy (>100)', fixed(many)], ['medium-shot accuracy (20-100)', fixed(medium)], ['few-shot accuracy (<20)', fixed(few)]);
  }
  out.push(...table(['metric', 'value'], overall), '');
  out.push('Per class');
  out.push(
    ...table(
      ['class', 'precision', 'recall', 'F1', 'support'],
      m.perClass.map((c) => [c.class, fixed(c.precision), fixed(c.recall), fixed(c.f1), String(c.support)]),
    ),
    '',
  );
  out.push('Confusion matrix (rows: true class, columns: predicted)');
  out.push(...table(['', ...classes], m.confusion.map((row, i) => [classes[i] as string, ...row.map(String)])));
  for (const w of report.warnings) out.push('', `warning: ${w}`);
  return out.join('\n') + '\n';
}

export function formatMetricsJson(report: MetricsReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
