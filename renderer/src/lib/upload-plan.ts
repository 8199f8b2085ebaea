/**
 * What the browser sends when a user uploads images to `losslab serve`: the files of a dropped
 * or picked folder (or one .zip), each with its path inside the folder, filtered to what the
 * server accepts, and refused up front when the server's limits would refuse them anyway.
 * The server checks everything again; this only spares the user a long upload that fails.
 */

/** Extensions the server stores (main/server/upload-names.ts). */
const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'jpe', 'jfif', 'png', 'webp', 'gif', 'tif', 'tiff', 'avif']);

export interface UploadItem {
  file: File;
  /** Path inside the workspace, with "/": "cats/001.png". */
  path: string;
}

export interface UploadPlan {
  /** The workspace name: the folder's (or zip's) name. */
  workspace: string;
  items: UploadItem[];
  totalBytes: number;
  /** Files left out here, e.g. ".DS_Store" or "notes.txt", with why. */
  skipped: { path: string; reason: string }[];
  isZip: boolean;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function hidden(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.') || part.toLowerCase() === '__macosx' || part.toLowerCase() === 'thumbs.db' || part.toLowerCase() === 'desktop.ini');
}

/**
 * Builds the plan from files with their paths relative to what the user chose
 * ("digits/3/001.png" for a picked folder "digits"). One top folder becomes the workspace and
 * is stripped from the paths; loose files or several folders go to a workspace named "upload".
 */
export function planUpload(files: readonly { file: File; relativePath: string }[]): UploadPlan {
  const paths = files.map(({ relativePath, file }) => (relativePath || file.name).replace(/^\/+/u, ''));
  if (files.length === 1 && extensionOf(files[0]!.file.name) === 'zip') {
    const file = files[0]!.file;
    return { workspace: file.name.replace(/\.zip$/iu, '') || 'upload', items: [{ file, path: file.name }], totalBytes: file.size, skipped: [], isZip: true };
  }
  const tops = new Set(paths.map((p) => (p.includes('/') ? p.split('/')[0] : '')));
  const single = tops.size === 1 && !tops.has('') ? [...tops][0]! : null;
  const items: UploadItem[] = [];
  const skipped: UploadPlan['skipped'] = [];
  files.forEach(({ file }, i) => {
    const path = single ? paths[i]!.slice(single.length + 1) : paths[i]!;
    if (hidden(path)) skipped.push({ path, reason: 'hidden or system file' });
    else if (!IMAGE_EXTENSIONS.has(extensionOf(file.name))) skipped.push({ path, reason: 'not an image LossLab reads' });
    else items.push({ file, path });
  });
  return { workspace: single ?? 'upload', items, totalBytes: items.reduce((sum, item) => sum + item.file.size, 0), skipped, isZip: false };
}

/** Why the server would refuse this plan, or null when it fits its limits. */
export function planProblem(plan: UploadPlan, limits: { fileBytes: number; workspaceBytes: number }): string | null {
  if (plan.items.length === 0) return 'There are no images to upload (JPEG, PNG, WebP, GIF, TIFF or AVIF, in one folder per class).';
  if (plan.totalBytes > limits.workspaceBytes) return `That is ${formatBytes(plan.totalBytes)}, more than the ${formatBytes(limits.workspaceBytes)} the server accepts per upload. Upload fewer images, or restart \`losslab serve\` with a larger --upload-limit.`;
  if (!plan.isZip) {
    const big = plan.items.find((item) => item.file.size > limits.fileBytes);
    if (big) return `${big.path} is ${formatBytes(big.file.size)}, more than the ${formatBytes(limits.fileBytes)} the server accepts per image (--upload-file-limit).`;
  }
  return null;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 2 ** 20) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/**
 * Sends every item with at most `concurrency` requests in flight, reporting bytes done after
 * each file. The first failure stops new sends and is thrown once those in flight finish.
 */
export async function sendAll<T>(items: readonly UploadItem[], send: (item: UploadItem) => Promise<T>, onProgress: (bytesDone: number) => void, concurrency = 3): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  let done = 0;
  let failure: unknown = null;
  async function worker(): Promise<void> {
    while (failure === null && next < items.length) {
      const item = items[next++]!;
      try {
        results.push(await send(item));
        done += item.file.size;
        onProgress(done);
      } catch (error) {
        failure ??= error;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== null) throw failure;
  return results;
}

interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
  file?(success: (file: File) => void, failure: (error: unknown) => void): void;
  createReader?(): { readEntries(success: (entries: EntryLike[]) => void, failure: (error: unknown) => void): void };
}

/** Every file below dropped entries (FileSystemEntry from webkitGetAsEntry), with its path. */
export async function filesFromEntries(entries: readonly EntryLike[]): Promise<{ file: File; relativePath: string }[]> {
  const out: { file: File; relativePath: string }[] = [];
  async function visit(entry: EntryLike): Promise<void> {
    if (entry.isFile && entry.file) {
      const file = await new Promise<File>((resolve, reject) => entry.file!(resolve, reject));
      out.push({ file, relativePath: entry.fullPath.replace(/^\/+/u, '') });
    } else if (entry.isDirectory && entry.createReader) {
      const reader = entry.createReader();
      // readEntries answers in batches (100 in Chromium) until it answers an empty one.
      for (;;) {
        const batch = await new Promise<EntryLike[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await visit(child);
      }
    }
  }
  for (const entry of entries) await visit(entry);
  return out;
}
