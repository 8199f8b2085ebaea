import os from 'node:os';
import path from 'node:path';

/**
 * The per-user data folder that holds the experiment store: the OS's application-data
 * location (the same place Electron's app.getPath('userData') points to), or LOSSLAB_DATA_DIR.
 */
export function defaultDataDir(): string {
  if (process.env.LOSSLAB_DATA_DIR) return process.env.LOSSLAB_DATA_DIR;
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'LossLab');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'LossLab');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'losslab');
}

export function defaultStoreRoot(): string {
  return path.join(defaultDataDir(), 'experiments');
}
