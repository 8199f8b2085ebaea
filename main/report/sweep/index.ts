import path from 'node:path';
import type { AnalysisOptions } from '../../analysis/analyze';
import { loadSweep, type LoadedSweep } from '../../sweep/load';
import { writeFileAtomic } from '../../util/atomic-write';
import { findChromium } from '../chromium';
import type { Paper } from '../html/style';
import type { PdfPrinter, ReportFormat } from '../index';
import { htmlToPdf } from '../pdf';
import { writeSweepCsv } from './csv';
import { renderSweepHtml } from './html';

/**
 * Reports of a sweep: HTML (self-contained: the settings, each metric against ρ or the
 * hyperparameter with intervals, the comparison against the baseline per setting, every run,
 * and each setting's own comparison), PDF (the same HTML printed), CSV (the tidy tables) and
 * JSON (the sweep's analysis and each setting's).
 */

export const SWEEP_REPORT_FORMATS: readonly ReportFormat[] = ['html', 'pdf', 'csv', 'json'];

export interface SweepReportOptions extends AnalysisOptions {
  paper?: Paper;
  chromiumPath?: string;
  printPdf?: PdfPrinter;
}

export function defaultSweepReportPath(dir: string, format: ReportFormat): string {
  return path.join(dir, format === 'csv' ? 'sweep-report-csv' : `sweep-report.${format}`);
}

export function sweepReportJson(loaded: LoadedSweep): unknown {
  return {
    kind: 'losslab-sweep-report',
    sweep: { id: loaded.record.id, createdAt: loaded.record.createdAt, config: loaded.record.config, settings: loaded.record.settings, totalRuns: loaded.record.totalRuns },
    analysis: loaded.sweep,
    unfinished: loaded.unfinished,
    settings: loaded.settings.map((s) => ({ index: s.index, label: s.label, rho: s.rho, dir: s.dir, analysis: s.analysis })),
  };
}

export async function writeSweepReport(loaded: LoadedSweep, format: ReportFormat, outPath: string, options: SweepReportOptions = {}): Promise<string[]> {
  switch (format) {
    case 'html':
      writeFileAtomic(outPath, renderSweepHtml(loaded));
      return [outPath];
    case 'pdf': {
      const paper = options.paper ?? 'a4';
      const html = renderSweepHtml(loaded, { paper });
      if (options.printPdf) writeFileAtomic(outPath, await options.printPdf(html, paper));
      else await htmlToPdf(html, outPath, { paper, executablePath: options.chromiumPath ?? findChromium() });
      return [outPath];
    }
    case 'csv':
      return writeSweepCsv(loaded, outPath);
    case 'json':
      writeFileAtomic(outPath, JSON.stringify(sweepReportJson(loaded), null, 2) + '\n');
      return [outPath];
    default:
      throw new Error(`A sweep report is written as ${SWEEP_REPORT_FORMATS.join(', ')}, not ${String(format)}; each setting's own report (losslab report SWEEP/settings/SETTING) also has md.`);
  }
}

export async function exportSweepReport(dir: string, format: ReportFormat, outPath: string, options: SweepReportOptions = {}): Promise<string[]> {
  if (!SWEEP_REPORT_FORMATS.includes(format)) throw new Error(`A sweep report is written as ${SWEEP_REPORT_FORMATS.join(', ')}, not ${format}.`);
  return writeSweepReport(loadSweep(dir, options), format, path.resolve(outPath), options);
}
