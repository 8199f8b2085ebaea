import path from 'node:path';
import type { ExportFormat, ParsedRequest, Responses } from '../api/contract';
import { exportReport, type PdfPrinter } from '../report';
import type { ExperimentStore } from '../store/experiment-store';
import { readStoredResults } from './history-service';
import type { FolderAccess } from './folder-access';

export interface ExportServiceOptions {
  store: Pick<ExperimentStore, 'open'>;
  access: FolderAccess;
  /** The desktop app's own PDF printer (Electron's printToPDF); without it PDFs go through a system Chromium. */
  printPdf?: PdfPrinter;
}

export function createExportService({ store, access, printPdf }: ExportServiceOptions) {
  /** Writes the report; returns every file written (CSV writes one file per table next to the chosen name). */
  async function exportTo(id: string, format: ExportFormat, target: string): Promise<Responses['experiments.export']> {
    const resolved = path.resolve(target);
    if (!(await access.writable(resolved))) {
      const where = access.browseRoot !== null ? `a folder below ${access.browseRoot}` : 'the place you pick in the save dialog';
      throw new Error(`LossLab may not write to ${resolved}. Save the export to ${where}.`);
    }
    readStoredResults(store, id); // fails with a clear message when the experiment does not exist or has no results
    const folder = store.open(id).dir;
    const files = await exportReport({ folder, format, path: resolved, ...(printPdf ? { options: { printPdf } } : {}) });
    return { path: resolved, files };
  }

  return {
    exportTo,
    async export({ id, format, path: target }: ParsedRequest<'experiments.export'>): Promise<Responses['experiments.export']> {
      return exportTo(id, format, target);
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
