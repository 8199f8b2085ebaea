import path from 'node:path';
import type { AnalysisOptions } from '../analysis/analyze';
import { writeFileAtomic } from '../util/atomic-write';
import { buildReportContext, type ReportContext } from './context';
import { writeCsvReport } from './csv';
import { renderHtml } from './html/document';
import type { Paper } from './html/style';
import { writeJsonReport } from './json';
import { renderMarkdown } from './markdown';
import { findChromium } from './chromium';
import { htmlToPdf } from './pdf';

export type ReportFormat = 'html' | 'pdf' | 'csv' | 'json' | 'md';
export const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'pdf', 'csv', 'json', 'md'];

export interface ReportOptions extends AnalysisOptions {
  /** Paper for PDF output (default a4). */
  paper?: Paper;
  /** Embed thumbnails of misclassified images in HTML/PDF (default true). */
  thumbnails?: boolean;
  /** Browser for PDF output; found automatically when absent. */
  chromiumPath?: string;
  /** Prints the report's HTML to PDF bytes; the desktop app passes Electron's printToPDF, so it needs no Chromium of its own. */
  printPdf?: PdfPrinter;
}

export type PdfPrinter = (html: string, paper: Paper) => Promise<Uint8Array>;

/** The shape the app's export service calls with (services/export-service.ts). */
export interface ExportRequest {
  folder: string;
  format: ReportFormat;
  path: string;
  options?: ReportOptions;
}

export { buildReportContext, type ReportContext } from './context';
export { renderHtml, REPORT_SECTIONS } from './html/document';
export { renderMarkdown } from './markdown';
export { csvTables, csvPaths, CSV_TABLES } from './csv';
export { reportJson } from './json';
export { findChromium, ChromiumNotFoundError } from './chromium';
export { parseCsv, parseCsvRecords } from './csv-parse';

/** The default output next to the experiment: report.html, report.pdf, report.json, report.md, or the folder report-csv/. */
export function defaultReportPath(experimentDir: string, format: ReportFormat): string {
  return path.join(experimentDir, format === 'csv' ? 'report-csv' : `report.${format}`);
}

/** Writes an already analysed report in one format; returns the files written. */
export async function writeReport(ctx: ReportContext, format: ReportFormat, outPath: string, options: ReportOptions = {}): Promise<string[]> {
  switch (format) {
    case 'html': {
      const html = await renderHtml(ctx, { thumbnails: options.thumbnails !== false });
      writeFileAtomic(outPath, html);
      return [outPath];
    }
    case 'pdf': {
      const paper = options.paper ?? 'a4';
      if (options.printPdf) {
        const html = await renderHtml(ctx, { paper, thumbnails: options.thumbnails !== false });
        writeFileAtomic(outPath, await options.printPdf(html, paper));
        return [outPath];
      }
      // Find the browser first: without one, say so before any rendering work.
      const executablePath = options.chromiumPath ?? findChromium();
      const html = await renderHtml(ctx, { paper, thumbnails: options.thumbnails !== false });
      await htmlToPdf(html, outPath, { paper, executablePath });
      return [outPath];
    }
    case 'csv':
      return writeCsvReport(ctx, outPath);
    case 'json':
      return writeJsonReport(ctx, outPath);
    case 'md':
      writeFileAtomic(outPath, renderMarkdown(ctx));
      return [outPath];
    default:
      throw new Error(`Unknown report format "${String(format)}"; use one of ${REPORT_FORMATS.join(', ')}.`);
  }
}

/**
 * Reads an experiment folder, analyses it and writes the report. For csv, `outPath` is a
 * folder (runs.csv, summary.csv, …) or, when it ends in .csv, the stem of sibling files
 * (report.csv → report-runs.csv, …). Returns every file written.
 *
 * Also accepts the app export service's single-object call, exportReport({ folder, format, path }).
 */
export async function exportReport(experimentDir: string, format: ReportFormat, outPath: string, options?: ReportOptions): Promise<string[]>;
export async function exportReport(request: ExportRequest): Promise<string[]>;
export async function exportReport(first: string | ExportRequest, format?: ReportFormat, outPath?: string, options: ReportOptions = {}): Promise<string[]> {
  const request: ExportRequest = typeof first === 'string' ? { folder: first, format: format!, path: outPath!, options } : first;
  if (!REPORT_FORMATS.includes(request.format)) throw new Error(`Unknown report format "${String(request.format)}"; use one of ${REPORT_FORMATS.join(', ')}.`);
  const ctx = buildReportContext(request.folder, request.options ?? {});
  return writeReport(ctx, request.format, path.resolve(request.path), request.options ?? {});
}
