import type { BrowserWindow } from 'electron';
import type { ElectronApi } from './electron-api';

/**
 * One LossLab at a time: two would train into the same store and fight over its files. A second
 * launch quits at once and brings the first one's window forward. Returns false in that second
 * instance (the caller then does nothing else).
 */
export function enableSingleInstance(electron: ElectronApi, mainWindow: () => BrowserWindow | null): boolean {
  if (!electron.app.requestSingleInstanceLock()) {
    electron.app.quit();
    return false;
  }
  electron.app.on('second-instance', () => {
    const window = mainWindow();
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  });
  return true;
}
