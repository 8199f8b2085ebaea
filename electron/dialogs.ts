import fs from 'node:fs/promises';
import { IPC_DROP_CHANNEL, type ApiHandlers, type ExportFormat } from '../main/api/contract';
import type { Services } from '../main/services/create-services';
import { exportFileName } from '../main/services/export-service';
import { isAppUrl } from './app-protocol';
import type { ElectronApi, Log } from './electron-api';

const EXPORT_FILTERS: Record<ExportFormat, { name: string; extensions: string[] }> = {
  html: { name: 'Web page report', extensions: ['html'] },
  pdf: { name: 'PDF report', extensions: ['pdf'] },
  md: { name: 'Markdown report', extensions: ['md'] },
  csv: { name: 'CSV tables (ZIP archive)', extensions: ['zip'] },
  json: { name: 'Results (JSON)', extensions: ['json'] },
};

/**
 * Native dialogs: the folder the user picks becomes readable, the file they save to becomes the
 * one place an export may be written. The dialogs belong to the focused LossLab window.
 */
export function enableDialogs(electron: ElectronApi, services: Pick<Services, 'handlers' | 'access' | 'exportTo' | 'modelExport'>): void {
  const handlers: ApiHandlers = services.handlers;
  const parent = () => electron.BrowserWindow.getFocusedWindow() ?? electron.BrowserWindow.getAllWindows()[0];

  handlers['dialog.openFolder'] = async () => {
    const options = { title: 'Open a dataset folder', properties: ['openDirectory' as const] };
    const window = parent();
    const answer = window ? await electron.dialog.showOpenDialog(window, options) : await electron.dialog.showOpenDialog(options);
    const chosen = answer.canceled ? undefined : answer.filePaths[0];
    if (!chosen) return { path: null };
    await services.access.chooseFolder(chosen);
    return { path: chosen };
  };

  handlers['dialog.saveExport'] = async ({ id, format }) => {
    const options = { title: 'Export the experiment', defaultPath: exportFileName(id, format), filters: [EXPORT_FILTERS[format]] };
    const window = parent();
    const answer = window ? await electron.dialog.showSaveDialog(window, options) : await electron.dialog.showSaveDialog(options);
    if (answer.canceled || !answer.filePath) return { path: null, files: [] };
    services.access.allowSave(answer.filePath);
    // The OS dialog already asked about replacing this exact file; a path LossLab changed (an
    // extension added) is still refused if it exists.
    return services.exportTo(id, format, answer.filePath, { overwrite: 'exact' });
  };

  handlers['dialog.saveModel'] = async ({ id, runId }) => {
    const options = {
      title: 'Choose where to save the trained model',
      buttonLabel: 'Save model here',
      properties: ['openDirectory' as const, 'createDirectory' as const],
    };
    const window = parent();
    const answer = window ? await electron.dialog.showOpenDialog(window, options) : await electron.dialog.showOpenDialog(options);
    const chosen = answer.canceled ? undefined : answer.filePaths[0];
    if (!chosen) return { path: null, files: [] };
    // A new folder named after the run is made inside the chosen one: nothing there is replaced.
    return services.modelExport.saveInto(id, runId, chosen);
  };
}

/**
 * Paths of files and folders dropped on the window. The preload resolves a dropped File to its
 * path (webUtils.getPathForFile, which only real dropped or picked files have) and reports it
 * here; from then on LossLab may read it, as if it had been picked in a dialog.
 */
export function enableDrops(electron: ElectronApi, access: Services['access'], log: Log): void {
  electron.ipcMain.handle(IPC_DROP_CHANNEL, async (event, dropped: unknown): Promise<string | null> => {
    if (!isAppUrl(event.senderFrame?.url) || typeof dropped !== 'string' || dropped.length === 0 || dropped.length > 4096) {
      log('rejected a dropped path: not a path string from the app page');
      return null;
    }
    const stat = await fs.stat(dropped).catch(() => null);
    if (!stat) return null;
    if (stat.isDirectory()) await access.chooseFolder(dropped);
    else await access.chooseFiles([dropped]);
    return dropped;
  });
}
