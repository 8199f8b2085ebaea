import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExportFormat, ParsedRequest, Responses } from '../api/contract';
import { exportReport, type PdfPrinter } from '../report';
import { absoluteExportPath, ExportTargetExistsError, resolveExportTarget } from '../report/export-target';
import type { ExperimentStore } from '../store/experiment-store';
import { exportSweepReport } from '../report/sweep';
import { SweepFolder } from '../sweep/folder';
import { readStoredResults } from './history-service';
import type { FolderAccess } from './folder-access';

export interface ExportServiceOptions {
  store: Pick<ExperimentStore, 'open'>;
  access: FolderAccess;
  /** The desktop app's own PDF printer (Electron's printToPDF); without it PDFs go through a system Chromium. */
  printPdf?: PdfPrinter;
}

export interface ExportToOptions {
  /**
   * Replace a file that exists: true when the user confirmed; 'exact' when a native save dialog
   * confirmed the path it returned (so only that path, not one with an extension added, may be replaced).
   */
  overwrite?: boolean | 'exact';
}

/** A report rendered for download: a file in a temporary folder, removed by cleanup(). */
export interface RenderedDownload {
  file: string;
  /** The name the browser saves it under. */
  filename: string;
  contentType: string;
  cleanup(): void;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  md: 'text/markdown; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'application/zip',
};

/** The file name of a download or a save dialog's default: losslab-<id>.<ext>; CSV is a zip of the tables. */
export function exportFileName(id: string, format: ExportFormat): string {
  return format === 'csv' ? `losslab-${id}-csv.zip` : `losslab-${id}.${format}`;
}

/** What the app exports of a sweep: its own report (CSV and Markdown of a sweep are the CLI's: `losslab report DIR`). */
const SWEEP_EXPORT_FORMATS: readonly ExportFormat[] = ['html', 'pdf', 'json'];

export function createExportService({ store, access, printPdf }: ExportServiceOptions) {
  const reportOptions = printPdf ? { options: { printPdf } } : {};

  /** The sweep folder an id names in the store (a sweep the app or the CLI started), else null. */
  function sweepDir(id: string): string | null {
    const dir = store.open(id).dir;
    return SweepFolder.isSweep(dir) ? dir : null;
  }

  /** The folders an export must not be written into: the dataset's; a sweep's come from its record. */
  function datasetFolders(id: string): (string | undefined)[] {
    const sweep = sweepDir(id);
    const config = sweep ? new SweepFolder(sweep).read().config : readStoredResults(store, id).config; // fails with a clear message when the experiment does not exist or has no results
    return [config.data, config.testData];
  }

  /** Writes an experiment's report, or a sweep's (the report across its settings). */
  async function writeExport(id: string, format: ExportFormat, writePath: string): Promise<string[]> {
    const sweep = sweepDir(id);
    if (sweep === null) return exportReport({ folder: store.open(id).dir, format, path: writePath, ...reportOptions });
    if (!SWEEP_EXPORT_FORMATS.includes(format)) {
      throw new Error(`The app exports a sweep as ${SWEEP_EXPORT_FORMATS.join(', ')}; for ${format}, run \`losslab report ${sweep} --format ${format}\`, or export one setting from its folder.`);
    }
    return exportSweepReport(sweep, format, writePath, printPdf ? { printPdf } : {});
  }

  /**
   * Writes the report after the target rules (report/export-target.ts) allowed it; returns the
   * path written and every file written (CSV: one .zip archive of the tables).
   */
  async function exportTo(id: string, format: ExportFormat, target: string, options: ExportToOptions = {}): Promise<Responses['experiments.export']> {
    // Relative paths are relative to the browse root in served mode; the desktop has no such base.
    const absolute = absoluteExportPath(target, access.browseRoot);
    if (!(await access.writable(absolute))) {
      const where = access.browseRoot !== null ? `a folder below ${access.browseRoot}` : 'the place you pick in the save dialog';
      throw new Error(`LossLab may not write to ${absolute}. Save the export to ${where}.`);
    }
    const rules = {
      format,
      base: null,
      protectedFolders: datasetFolders(id),
      csvLayout: 'zip' as const,
      overwriteHint: 'Choose another name, or confirm that it should be replaced.',
    };
    let resolved;
    try {
      resolved = resolveExportTarget(absolute, { ...rules, overwrite: options.overwrite === true });
    } catch (error) {
      // The save dialog asked the user about exactly this file.
      if (!(error instanceof ExportTargetExistsError && options.overwrite === 'exact' && error.target === absolute)) throw error;
      resolved = resolveExportTarget(absolute, { ...rules, overwrite: true });
    }
    const files = await writeExport(id, format, resolved.writePath);
    return { path: resolved.path, files };
  }

  /** Renders a report into a temporary folder for served mode's download route. */
  async function renderForDownload(id: string, format: ExportFormat): Promise<RenderedDownload> {
    datasetFolders(id);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-download-'));
    const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    try {
      const filename = exportFileName(id, format);
      const file = path.join(dir, filename);
      await writeExport(id, format, file);
      return { file, filename, contentType: CONTENT_TYPES[format], cleanup };
    } catch (error) {
      cleanup();
      throw error;
    }
  }

  return {
    exportTo,
    renderForDownload,
    async export({ id, format, path: target, overwrite }: ParsedRequest<'experiments.export'>): Promise<Responses['experiments.export']> {
      return exportTo(id, format, target, { overwrite });
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
