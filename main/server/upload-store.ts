import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { SNIFF_BYTES, sniffFormat } from '../dataset/sniff';
import { isInside } from '../services/folder-access';
import { isImageName, sanitiseRelativePath, sanitiseWorkspace, UploadNameError } from './upload-names';

/** The folder below --root that holds every upload workspace. */
export const UPLOADS_FOLDER = 'losslab-uploads';

export interface UploadLimits {
  /** Largest single image. */
  fileBytes: number;
  /** Largest workspace (everything uploaded into it, a zip counted by what it unpacks to). */
  workspaceBytes: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { fileBytes: 50 * 2 ** 20, workspaceBytes: 2 * 2 ** 30 };

export interface StoredUpload {
  workspace: string;
  /** The workspace folder on the server: open it as a dataset. */
  folder: string;
  /** Paths (with "/") relative to the workspace of what was written. */
  stored: string[];
  /** Entries left out, with why (zip uploads: non-images, hidden files). */
  skipped: { path: string; reason: string }[];
  /** The workspace's size after this upload. */
  workspaceBytes: number;
}

/** A refusal the client caused: an HTTP status and a message that says what to do. */
export class UploadError extends Error {
  constructor(readonly status: number, message: string, name = 'UploadRefused') {
    super(message);
    this.name = name;
  }
}

function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function temporaryName(): string {
  // Dot-prefixed: the dataset scanner ignores hidden files, so a half-written one is never an image.
  return `.upload-${randomBytes(6).toString('hex')}.part`;
}

/**
 * Writes uploads into workspaces below `<root>/losslab-uploads`. Nothing is written anywhere
 * else: names are sanitised, every folder on the way is created here and checked not to be a
 * symbolic link, and the real path of the destination is checked to lie inside the workspace.
 * Each file is written to a hidden temporary file and renamed into place, so an interrupted
 * upload leaves no half image. Workspace sizes are counted once from disk and then kept here.
 */
export class UploadStore {
  private readonly usage = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();

  constructor(readonly root: string, readonly limits: UploadLimits = DEFAULT_UPLOAD_LIMITS) {}

  get uploadsRoot(): string {
    return path.join(this.root, UPLOADS_FOLDER);
  }

  /** One image (the request body) stored at `relativePath` in the workspace. */
  async storeFile(workspaceName: string, relativePath: string, body: Readable, declaredBytes?: number): Promise<StoredUpload> {
    const workspace = this.workspaceName(workspaceName);
    const segments = this.names(relativePath);
    const fileName = segments[segments.length - 1]!;
    if (!isImageName(fileName)) throw new UploadError(415, `${relativePath} is not an image LossLab reads (JPEG, PNG, WebP, GIF, TIFF or AVIF), nor a .zip.`, 'UnsupportedType');
    if (declaredBytes !== undefined && declaredBytes > this.limits.fileBytes) throw this.fileTooLarge(relativePath);
    const folder = await this.workspaceFolder(workspace);
    await this.reserveCheck(workspace, declaredBytes ?? 0);
    const parent = await this.safeFolder(folder, segments.slice(0, -1));
    await this.writeAtomically(workspace, parent, fileName, relativePath, body);
    return { workspace, folder, stored: [segments.join('/')], skipped: [], workspaceBytes: this.usage.get(workspace) ?? 0 };
  }

  /**
   * A .zip (the request body) unpacked into the workspace. It is unpacked into a hidden staging
   * folder first and moved into place only when every entry passed: one entry that leads out of
   * the workspace refuses the whole archive and leaves nothing behind.
   */
  async storeZip(workspaceName: string, body: Readable): Promise<StoredUpload> {
    const workspace = this.workspaceName(workspaceName);
    const folder = await this.workspaceFolder(workspace);
    const staging = path.join(folder, temporaryName());
    fs.mkdirSync(staging);
    const entries: { segments: string[]; file: string }[] = [];
    const skipped: StoredUpload['skipped'] = [];
    let unpacked = 0;
    let failure: Error | null = null;
    const fail = (error: Error) => {
      failure ??= error;
    };
    try {
      const unzip = new Unzip((file: UnzipFile) => {
        if (failure) return;
        if (file.name.endsWith('/')) return; // a folder entry; folders come from the files' paths
        const segments = this.zipEntryNames(file.name, skipped, fail);
        if (!segments) return;
        const name = segments[segments.length - 1]!;
        if (!isImageName(name)) {
          skipped.push({ path: file.name, reason: 'not an image LossLab reads' });
          return;
        }
        const target = path.join(staging, `${entries.length}.part`);
        const fd = fs.openSync(target, 'wx');
        let size = 0;
        const head: Buffer[] = [];
        let open = true;
        file.ondata = (error, data, final) => {
          if (!open) return;
          if (error) fail(new UploadError(400, `The zip could not be read at ${file.name}: ${error.message}`, 'BadZip'));
          size += data.length;
          unpacked += data.length;
          if (size > this.limits.fileBytes) fail(this.fileTooLarge(file.name));
          else if (!this.fits(workspace, unpacked)) fail(this.workspaceFull(workspace));
          if (failure) {
            fs.closeSync(fd);
            open = false;
            return;
          }
          if (head.length === 0 || Buffer.concat(head).length < SNIFF_BYTES) head.push(Buffer.from(data));
          fs.writeSync(fd, data);
          if (final) {
            fs.closeSync(fd);
            open = false;
            const sniffed = sniffFormat(Buffer.concat(head));
            if (sniffed.supported) entries.push({ segments, file: target });
            else {
              fs.rmSync(target);
              unpacked -= size;
              skipped.push({ path: file.name, reason: sniffed.reason });
            }
          }
        };
        try {
          file.start();
        } catch (error) {
          // A compression method fflate cannot inflate (LZMA, encrypted entries).
          fs.closeSync(fd);
          open = false;
          fail(new UploadError(400, `The zip entry ${file.name} cannot be unpacked (${(error as Error).message}); re-create the .zip with ordinary (deflate) compression.`, 'BadZip'));
        }
      });
      unzip.register(UnzipInflate);
      for await (const chunk of body) {
        unzip.push(chunk as Uint8Array);
        if (failure) break;
      }
      if (!failure) unzip.push(new Uint8Array(0), true);
      if (failure) throw failure;
      return await this.moveStaged(workspace, folder, entries, skipped);
    } catch (error) {
      if (error instanceof UploadError) throw error;
      throw new UploadError(400, `The upload is not a readable .zip (${(error as Error).message}).`, 'BadZip');
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  private zipEntryNames(name: string, skipped: StoredUpload['skipped'], fail: (error: Error) => void): string[] | null {
    // Hidden entries (__MACOSX/, .DS_Store) are clutter every archiver adds: skipped, not refused.
    const raw = name.split(/[/\\]/u);
    if (raw.some((part) => part.startsWith('.') && part !== '.' && part !== '..') || raw.some((part) => part.toLowerCase() === '__macosx')) {
      skipped.push({ path: name, reason: 'hidden or system file' });
      return null;
    }
    try {
      return sanitiseRelativePath(name);
    } catch (error) {
      fail(new UploadError(400, `The zip was refused: entry ${(error as Error).message} Nothing from it was stored.`, 'UnsafePath'));
      return null;
    }
  }

  private async moveStaged(workspace: string, folder: string, entries: { segments: string[]; file: string }[], skipped: StoredUpload['skipped']): Promise<StoredUpload> {
    const stored: string[] = [];
    for (const entry of entries) {
      const parent = await this.safeFolder(folder, entry.segments.slice(0, -1));
      const target = path.join(parent, entry.segments[entry.segments.length - 1]!);
      const replaced = this.existingSize(target);
      fs.renameSync(entry.file, target);
      this.usage.set(workspace, (this.usage.get(workspace) ?? 0) + fs.statSync(target).size - replaced);
      stored.push(entry.segments.join('/'));
    }
    return { workspace, folder, stored, skipped, workspaceBytes: this.usage.get(workspace) ?? 0 };
  }

  private workspaceName(raw: string): string {
    try {
      return sanitiseWorkspace(raw);
    } catch (error) {
      throw new UploadError(400, `Workspace name refused: ${(error as Error).message}`, 'UnsafePath');
    }
  }

  private names(relativePath: string): string[] {
    try {
      return sanitiseRelativePath(relativePath);
    } catch (error) {
      if (error instanceof UploadNameError) throw new UploadError(400, error.message, 'UnsafePath');
      throw error;
    }
  }

  /** The workspace folder, created if needed, after checking the way to it has no links. */
  private async workspaceFolder(workspace: string): Promise<string> {
    const root = fs.realpathSync(this.root);
    const folder = await this.safeFolder(root, [UPLOADS_FOLDER, workspace]);
    if (!this.usage.has(workspace)) this.usage.set(workspace, this.measure(folder));
    return folder;
  }

  /** Creates `segments` below `base` one by one, refusing any that exists as a link or a file. */
  private async safeFolder(base: string, segments: string[]): Promise<string> {
    let current = base;
    for (const segment of segments) {
      current = path.join(current, segment);
      let stat: fs.Stats | null = null;
      try {
        stat = fs.lstatSync(current);
      } catch {
        fs.mkdirSync(current);
        stat = fs.lstatSync(current);
      }
      if (stat.isSymbolicLink()) throw new UploadError(409, `${segment} is a symbolic link on the server; uploads never follow links.`, 'UnsafePath');
      if (!stat.isDirectory()) throw new UploadError(409, `${segment} is a file on the server, not a folder; rename one of them.`, 'UnsafePath');
    }
    const real = fs.realpathSync(current);
    if (!isInside(fs.realpathSync(base), real)) throw new UploadError(409, 'That path resolves outside the workspace; nothing was written.', 'UnsafePath');
    return real;
  }

  private async writeAtomically(workspace: string, parent: string, fileName: string, shownPath: string, body: Readable): Promise<void> {
    const target = path.join(parent, fileName);
    try {
      if (fs.lstatSync(target).isSymbolicLink() || !fs.lstatSync(target).isFile()) throw new UploadError(409, `${shownPath} exists on the server and is not a plain file.`, 'UnsafePath');
    } catch (error) {
      if (error instanceof UploadError) throw error;
    }
    const temporary = path.join(parent, temporaryName());
    const out = fs.openSync(temporary, 'wx');
    let size = 0;
    const head: Buffer[] = [];
    let headBytes = 0;
    try {
      for await (const chunk of body) {
        const data = chunk as Buffer;
        size += data.length;
        this.inFlight.set(workspace, (this.inFlight.get(workspace) ?? 0) + data.length);
        if (size > this.limits.fileBytes) throw this.fileTooLarge(shownPath);
        if (!this.fits(workspace, 0)) throw this.workspaceFull(workspace);
        if (headBytes < SNIFF_BYTES) {
          head.push(data);
          headBytes += data.length;
        }
        fs.writeSync(out, data);
      }
      fs.closeSync(out);
      const sniffed = sniffFormat(Buffer.concat(head));
      if (!sniffed.supported) throw new UploadError(415, `${shownPath}: ${sniffed.reason}.`, 'UnsupportedType');
      const replaced = this.existingSize(target);
      fs.renameSync(temporary, target);
      this.usage.set(workspace, (this.usage.get(workspace) ?? 0) + size - replaced);
    } catch (error) {
      try {
        fs.closeSync(out);
      } catch {
        // already closed
      }
      fs.rmSync(temporary, { force: true });
      throw error;
    } finally {
      this.inFlight.set(workspace, (this.inFlight.get(workspace) ?? 0) - size);
    }
  }

  /** Whether `extra` more bytes (besides uploads in flight) still fit in the workspace. */
  private fits(workspace: string, extra: number): boolean {
    return (this.usage.get(workspace) ?? 0) + (this.inFlight.get(workspace) ?? 0) + extra <= this.limits.workspaceBytes;
  }

  private async reserveCheck(workspace: string, declared: number): Promise<void> {
    if (!this.fits(workspace, declared)) throw this.workspaceFull(workspace);
  }

  private existingSize(file: string): number {
    try {
      return fs.statSync(file).size;
    } catch {
      return 0;
    }
  }

  private measure(folder: string): number {
    let total = 0;
    for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
    }
    return total;
  }

  private fileTooLarge(shownPath: string): UploadError {
    return new UploadError(413, `${shownPath} is larger than the ${mib(this.limits.fileBytes)} allowed for one file (losslab serve --upload-file-limit).`, 'TooLarge');
  }

  private workspaceFull(workspace: string): UploadError {
    return new UploadError(413, `Workspace ${workspace} would grow past its ${mib(this.limits.workspaceBytes)} limit (losslab serve --upload-limit); nothing more was stored.`, 'TooLarge');
  }
}

