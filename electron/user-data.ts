import path from 'node:path';
import { defaultDataDir } from '../main/store/paths';
import type { ElectronApi } from './electron-api';

export interface UserDataPaths {
  userData: string;
  /** The experiment store. */
  experiments: string;
  /** Decoded-pixel cache of datasets. */
  pixelCache: string;
  windowState: string;
}

/**
 * Everything LossLab keeps lives under the OS's app-data folder. userData is pointed at the
 * same folder `losslab serve` and the CLI use (main/store/paths.ts), so the desktop app and
 * served mode share one experiment history. Must run before the app is ready.
 */
export function enableUserData(electron: ElectronApi): UserDataPaths {
  electron.app.setPath('userData', defaultDataDir());
  const userData = electron.app.getPath('userData');
  return {
    userData,
    experiments: path.join(userData, 'experiments'),
    pixelCache: path.join(userData, 'pixel-cache'),
    windowState: path.join(userData, 'window-state.json'),
  };
}
