import os from 'node:os';
import path from 'node:path';

/** Where decoded-pixel caches live: the OS's per-user cache folder, overridable with LOSSLAB_CACHE_DIR. */
export function defaultCacheDir(): string {
  if (process.env.LOSSLAB_CACHE_DIR) return process.env.LOSSLAB_CACHE_DIR;
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'LossLab', 'Cache');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'LossLab');
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'losslab');
}
