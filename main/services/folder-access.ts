import fs from 'node:fs/promises';
import path from 'node:path';
import { realPathOfTarget } from '../report/export-target';

/** True when `inner` is `outer` itself or lies below it (both already resolved). */
export function isInside(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The path with symbolic links and `..` resolved, or null when it does not exist. */
async function realPath(p: string): Promise<string | null> {
  try {
    return await fs.realpath(path.resolve(p));
  } catch {
    return null;
  }
}

/**
 * What the user interface may touch on disk in this session. The renderer is not trusted with
 * the file system: it can read only below folders the user chose (a dialog, a drop, the folder
 * browser below --root, the sample), and write exports only where a save dialog (desktop) or the
 * browse root (served) allows. Every check resolves symbolic links first, so a link inside a
 * chosen folder cannot lead outside it.
 */
export class FolderAccess {
  private readonly chosenFolders = new Set<string>();
  private readonly chosenFiles = new Set<string>();
  private readonly saveTargets = new Set<string>();

  /** @param browseRoot served mode's --root: browsable, openable, and a place exports may be written. */
  constructor(readonly browseRoot: string | null = null) {}

  /** Records a folder the user chose; returns its real path. */
  async chooseFolder(folder: string): Promise<string> {
    const real = await realPath(folder);
    if (real === null) throw new Error(`The folder ${folder} does not exist. Check the path, or choose another folder.`);
    this.chosenFolders.add(real);
    return real;
  }

  /** Records single files the user may view (images of a past experiment reopened from the store). */
  async chooseFiles(files: readonly string[]): Promise<void> {
    for (const file of files) {
      const real = await realPath(file);
      if (real !== null) this.chosenFiles.add(real);
    }
  }

  /** Whether the user may open this folder as a dataset: chosen before, or below the browse root. Returns its real path. */
  async openable(folder: string): Promise<string | null> {
    const real = await realPath(folder);
    if (real === null) return null;
    if (this.underChosenFolder(real)) return real;
    if (this.browseRoot !== null) {
      const root = await realPath(this.browseRoot);
      if (root !== null && isInside(root, real)) return real;
    }
    return null;
  }

  /** The real path of a file the renderer may read, or null when it lies outside everything chosen. */
  async readable(file: string): Promise<string | null> {
    const real = await realPath(file);
    if (real === null) return null;
    return this.chosenFiles.has(real) || this.underChosenFolder(real) ? real : null;
  }

  /** Records a file path a native save dialog returned. */
  allowSave(target: string): void {
    this.saveTargets.add(path.resolve(target));
  }

  /** Whether an export may be written to this path: a save-dialog answer, or below the browse root. */
  async writable(target: string): Promise<boolean> {
    const resolved = path.resolve(target);
    if (this.saveTargets.has(resolved)) return true;
    if (this.browseRoot === null) return false;
    const root = await realPath(this.browseRoot);
    // The nearest folder that exists decides, so a missing folder below the root gets its own message later.
    return root !== null && isInside(root, realPathOfTarget(resolved));
  }

  private underChosenFolder(real: string): boolean {
    for (const folder of this.chosenFolders) if (isInside(folder, real)) return true;
    return false;
  }
}
