import fs from 'node:fs/promises';
import path from 'node:path';
import type { ExportFormat, ParsedRequest, Responses } from '../api/contract';
import type { ExperimentStore } from '../store/experiment-store';
import { readStoredResults } from './history-service';
import type { FolderAccess } from './folder-access';

/**
 * What a report module (main/report/, owned by the results work) is expected to export. It is
 * looked up at run time so that this service works — with a clear message — before it exists.
 */
type ReportWriter = (options: { folder: string; format: ExportFormat; path: string }) => Promise<unknown> | unknown;

function findReportWriter(): ReportWriter | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const report = require('../report') as { exportReport?: unknown };
    return typeof report.exportReport === 'function' ? (report.exportReport as ReportWriter) : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes('report')) return null;
    throw error;
  }
}

/** Files every experiment folder already holds, so JSON and CSV exports work without a report module. */
const PLAIN_COPIES: Partial<Record<ExportFormat, string>> = { json: 'results.json', csv: 'metrics.csv' };

export interface ExportServiceOptions {
  store: Pick<ExperimentStore, 'open'>;
  access: FolderAccess;
  findWriter?: () => ReportWriter | null;
}

export function createExportService({ store, access, findWriter = findReportWriter }: ExportServiceOptions) {
  async function exportTo(id: string, format: ExportFormat, target: string): Promise<string> {
    const resolved = path.resolve(target);
    if (!(await access.writable(resolved))) {
      const where = access.browseRoot !== null ? `a folder below ${access.browseRoot}` : 'the place you pick in the save dialog';
      throw new Error(`LossLab may not write to ${resolved}. Save the export to ${where}.`);
    }
    readStoredResults(store, id); // fails with a clear message when the experiment does not exist or has no results
    const folder = store.open(id).dir;
    const writer = findWriter();
    if (writer) {
      await writer({ folder, format, path: resolved });
      return resolved;
    }
    const plain = PLAIN_COPIES[format];
    if (plain) {
      await fs.copyFile(path.join(folder, plain), resolved);
      return resolved;
    }
    throw new Error(`Exporting ${format.toUpperCase()} reports is not available yet in this version of LossLab. Export JSON or CSV instead, or use the files in ${folder} (results.json, metrics.csv, predictions.csv).`);
  }

  return {
    exportTo,
    async export({ id, format, path: target }: ParsedRequest<'experiments.export'>): Promise<Responses['experiments.export']> {
      return { path: await exportTo(id, format, target) };
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
