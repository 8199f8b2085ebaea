import type { BrowserWindow } from 'electron';
import { START_URL } from './app-protocol';
import type { ElectronApi } from './electron-api';
import { secureWebPreferences } from './security';
import { WINDOW_MIN_SIZE, type WindowState } from './window-state';

/** The one LossLab window, shown once its first paint is ready so it never flashes empty. */
export function createMainWindow(electron: ElectronApi, options: { preload: string; state: WindowState; icon?: string }): BrowserWindow {
  const { state } = options;
  const window = new electron.BrowserWindow({
    width: state.width,
    height: state.height,
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    minWidth: WINDOW_MIN_SIZE.width,
    minHeight: WINDOW_MIN_SIZE.height,
    title: 'LossLab',
    show: false,
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: secureWebPreferences(options.preload),
  });
  window.once('ready-to-show', () => {
    if (state.maximized) window.maximize();
    window.show();
  });
  void window.loadURL(START_URL);
  return window;
}
