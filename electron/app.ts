import path from 'node:path';
import type { BrowserWindow } from 'electron';
import { createServices, type Services } from '../main/services/create-services';
import { createPdfPrinter } from './print-pdf';
import { apiEvent } from '../main/services/types';
import { enableAppProtocol, registerAppScheme } from './app-protocol';
import { enableDialogs, enableDrops } from './dialogs';
import type { ElectronApi, Log } from './electron-api';
import { enableIpc, eventBroadcaster } from './ipc';
import { createMainWindow } from './main-window';
import { enableMenu } from './menu';
import { enableSecurity } from './security';
import { enableSingleInstance } from './single-instance';
import { enableUserData } from './user-data';
import { enableWindowState, readWindowState } from './window-state';

export interface AppOptions {
  /** Folder of the compiled preload.js (this file's folder in dist/electron). */
  electronDir: string;
  /** The renderer build (dist/renderer). */
  rendererDir: string;
  icon?: string;
  log?: Log;
}

export interface StartedApp {
  /** Resolves once the window exists (never, in a second instance that quits). */
  ready: Promise<{ window: BrowserWindow; services: Services } | null>;
}

/**
 * Composes the desktop app from its parts, in the order Electron requires: user data, the
 * single-instance lock and the app:// scheme before `ready`; services, protocol, security, IPC,
 * dialogs, menu and the window after it. Quitting cancels running experiments first, so their
 * folders are left resumable.
 */
export function startApp(electron: ElectronApi, options: AppOptions): StartedApp {
  const log = options.log ?? ((line: string) => console.warn(`[losslab] ${line}`));
  const { app } = electron;
  const paths = enableUserData(electron);
  let mainWindow: BrowserWindow | null = null;
  if (!enableSingleInstance(electron, () => mainWindow)) return { ready: Promise.resolve(null) };
  registerAppScheme(electron);

  const ready = app.whenReady().then(() => {
    const emit = eventBroadcaster(electron);
    const services = createServices({ dataDir: paths.experiments, cacheDir: paths.pixelCache, emit, mode: 'desktop', printPdf: createPdfPrinter(electron), log });
    enableAppProtocol(electron, { rendererDir: options.rendererDir, access: services.access });
    enableSecurity(electron, log);
    enableDialogs(electron, services);
    enableIpc(electron, services.handlers, log);
    enableDrops(electron, services.access, log);
    enableMenu(electron, (command) => emit(apiEvent('app.command', { command })));

    const openWindow = () => {
      mainWindow = createMainWindow(electron, {
        preload: path.join(options.electronDir, 'preload.js'),
        state: readWindowState(paths.windowState),
        ...(options.icon ? { icon: options.icon } : {}),
      });
      enableWindowState(mainWindow, paths.windowState);
      mainWindow.on('closed', () => {
        mainWindow = null;
      });
      return mainWindow;
    };
    const window = openWindow();
    app.on('activate', () => {
      if (electron.BrowserWindow.getAllWindows().length === 0) openWindow();
    });
    app.on('window-all-closed', () => {
      if (process.platform !== 'darwin') app.quit();
    });
    let shutDown = false;
    app.on('before-quit', (event) => {
      if (shutDown) return;
      event.preventDefault();
      shutDown = true;
      void services.shutdown().finally(() => app.quit());
    });
    return { window, services };
  });
  return { ready };
}
