import os from 'node:os';
import path from 'node:path';

/** The app's name on disk; electron-builder's productName must match so both modes share one store. */
export const APP_FOLDER_NAME = 'LossLab';

/**
 * The per-user app-data folder Electron calls `userData` (same rule, computed without Electron),
 * so `losslab serve` and the desktop app see the same experiments. LOSSLAB_DATA_DIR overrides it.
 */
export function userDataDir(): string {
  if (process.env.LOSSLAB_DATA_DIR) return path.resolve(process.env.LOSSLAB_DATA_DIR);
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), APP_FOLDER_NAME);
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', APP_FOLDER_NAME);
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), APP_FOLDER_NAME);
}

/** Where experiments live inside the app-data folder. */
export function experimentsDir(userData: string = userDataDir()): string {
  return path.join(userData, 'experiments');
}
