import { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FolderListing, ParsedRequest } from '../api/contract';
import { isInside } from './folder-access';

/** Folders listed per call; a folder with more is reported as truncated rather than stalling the picker. */
const MAX_FOLDERS = 2000;

/**
 * Served mode's folder picker. It lists sub-folders only (never files) and never leaves the
 * --root the user named: paths are resolved through symbolic links before the check.
 */
export function createBrowseService(browseRoot: string | null) {
  return {
    async browse({ path: requested }: ParsedRequest<'fs.browse'>): Promise<FolderListing> {
      if (browseRoot === null) {
        throw new Error('The folder browser is only available in served mode (losslab serve --root DIR). In the desktop app, use "Open folder…".');
      }
      const root = await fs.realpath(browseRoot);
      let folder: string;
      try {
        folder = await fs.realpath(path.resolve(root, requested ?? '.'));
      } catch {
        throw new Error(`The folder ${requested} does not exist. Pick a folder from the list.`);
      }
      if (!isInside(root, folder)) throw new Error(`${requested} is outside ${root}, the folder this server may browse (its --root).`);
      let entries: Dirent[];
      try {
        entries = await fs.readdir(folder, { withFileTypes: true });
      } catch (error) {
        throw new Error(`Cannot list ${folder} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}). Check its permissions or pick another folder.`);
      }
      const folders: FolderListing['folders'] = [];
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue; // hidden folders are never datasets and only clutter the picker
        const full = path.join(folder, entry.name);
        const isFolder = entry.isDirectory() || (entry.isSymbolicLink() && (await linksToFolderInside(root, full)));
        if (isFolder) folders.push({ name: entry.name, path: full });
      }
      folders.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
      return {
        root,
        path: folder,
        parent: folder === root ? null : path.dirname(folder),
        folders: folders.slice(0, MAX_FOLDERS),
        truncated: folders.length > MAX_FOLDERS,
      };
    },
  };
}

async function linksToFolderInside(root: string, link: string): Promise<boolean> {
  try {
    const target = await fs.realpath(link);
    return isInside(root, target) && (await fs.stat(target)).isDirectory();
  } catch {
    return false;
  }
}
