/**
 * Finds the images of a dataset on disk, before anything is decoded.
 *
 * Two layouts are recognised:
 *  - class layout: ROOT/<class>/**\/<image> (images may sit in nested folders inside a class);
 *  - split layout: ROOT/train/<class>/..., ROOT/test/<class>/... and optionally ROOT/val/<class>/...
 *    It is chosen when ROOT has a train/ folder and every other folder is a split folder, so a
 *    class literally named "train" among other classes keeps working as a class.
 *
 * Class order is the class folder names sorted by Unicode code point (not locale), so class
 * indices are the same on every machine.
 *
 * Symbolic links are followed, but each folder's images are taken at most once (tracked by
 * real path): a link back to an ancestor is a loop and is not followed, and a second path to
 * a folder already scanned would count its images twice (or put them in both train and test);
 * both are listed in `skipped` instead. Class folders are walked in parallel (file-system calls
 * are slow one at a time), and duplicates are settled afterwards in a fixed order, so the
 * result never depends on timing.
 */
import { promises as fs, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { DatasetError } from './errors';
import { fsReason } from './fs-reasons';
import { classNameProblem, compareCodePoints, isIgnoredName, printable, splitOfFolder } from './names';
import type { GivenSplit, SkippedFile } from './types';

export interface ScannedFile {
  absolutePath: string;
  /** Relative to the root it was found under, POSIX separators. */
  file: string;
  className: string;
  given: GivenSplit;
  /** Which root it came from: the dataset root or LoadOptions.testRoot. */
  fromTestRoot: boolean;
  size: number;
  mtimeMs: number;
}

export interface ScanResult {
  root: string;
  testRoot?: string;
  layout: 'classes' | 'splits';
  classes: string[];
  /** In a deterministic order: root before testRoot, then split, class, path by code point. */
  files: ScannedFile[];
  skipped: SkippedFile[];
  /** Real paths of the dataset roots, used to key the pixel cache. */
  realRoots: string[];
}

export interface ScanOptions {
  signal?: AbortSignal;
  /** Called as files are found; the total is not known until the scan ends. */
  onFound?: (count: number) => void;
}

/** Folders nested deeper than this inside a class are not entered (guards against pathological trees). */
const MAX_DEPTH = 64;
/** Parallel stat() calls per folder: enough to hide latency on network drives, few enough to keep file handles bounded. */
const STAT_CONCURRENCY = 32;

const SPLIT_ORDER: Record<string, number> = { train: 0, val: 1, test: 2 };

interface WalkContext {
  base: string;
  /** Real path of `base`: a folder whose real path differs from base-real + its relative path was reached through a link. */
  baseReal: string;
  fromTestRoot: boolean;
  /** Real paths of folders already taken by some class (see resolveDuplicates). */
  claimed: Set<string>;
  files: ScannedFile[];
  skipped: SkippedFile[];
  options: ScanOptions;
  found: { count: number };
}

/** A folder entered while walking one class, and the range of that class's files found beneath it. */
interface DirRecord {
  dir: string;
  real: string;
  viaLink: boolean;
  fileStart: number;
  fileEnd: number;
}

/** What walking one class folder found, kept apart so classes can be walked in parallel. */
interface ClassWalk {
  files: ScannedFile[];
  skipped: SkippedFile[];
  dirs: DirRecord[];
}

/** Class folders walked at once: file-system calls are slow one at a time, and a dataset may have 10,000 classes. */
const CLASS_CONCURRENCY = 16;

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

function skip(ctx: WalkContext, absolutePath: string, reason: string, into: SkippedFile[] = ctx.skipped): void {
  into.push({ file: toPosix(path.relative(ctx.base, absolutePath)) || '.', absolutePath, reason });
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}

async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Checks that a root exists and is a readable folder; throws the DatasetError the user needs otherwise. */
async function openRoot(given: string, label: string): Promise<{ absolute: string; real: string; entries: Dirent[] }> {
  const absolute = path.resolve(given);
  let stats: Stats;
  try {
    stats = await fs.stat(absolute);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new DatasetError('unreadable-folder', `Cannot open the ${label} ${absolute} (permission denied).`,
        'Give your user access to it, or copy the images to a folder you can read.', absolute);
    }
    if (code === 'ELOOP') {
      throw new DatasetError('missing-path', `The ${label} ${absolute} is a symbolic link loop.`,
        'Point LossLab at the real folder instead of the link.', absolute);
    }
    throw new DatasetError('missing-path', `The ${label} ${absolute} does not exist.`,
      `Check the path for typos (relative paths are resolved from ${process.cwd()}).`, absolute);
  }
  if (!stats.isDirectory()) {
    throw new DatasetError('not-a-folder', `The ${label} ${absolute} is a file, not a folder.`,
      'Point LossLab at the folder that holds one subfolder per class.', absolute);
  }
  let entries: Dirent[];
  let real: string;
  try {
    real = await fs.realpath(absolute);
    entries = await fs.readdir(absolute, { withFileTypes: true });
  } catch (error) {
    throw new DatasetError('unreadable-folder', `Cannot read the ${label} ${absolute}: ${fsReason(error, 'folder')}.`,
      'Fix its permissions (e.g. chmod -R u+rX) or copy the images to a folder you can read.', absolute);
  }
  return { absolute, real, entries: sortEntries(entries) };
}

function sortEntries(entries: Dirent[]): Dirent[] {
  return entries.filter((e) => !isIgnoredName(e.name)).sort((a, b) => compareCodePoints(a.name, b.name));
}

/** Resolves what a directory entry is, following symbolic links (which may fail: loops, dangling links). */
async function entryKind(full: string, entry: Dirent): Promise<{ kind: 'dir' } | { kind: 'file'; stats: Stats } | { kind: 'other'; reason: string }> {
  if (entry.isDirectory()) return { kind: 'dir' };
  if (!entry.isFile() && !entry.isSymbolicLink()) {
    return { kind: 'other', reason: 'not a regular file (socket, FIFO or device); only image files are read' };
  }
  try {
    const stats = await fs.stat(full);
    if (stats.isDirectory()) return { kind: 'dir' };
    if (stats.isFile()) return { kind: 'file', stats };
    return { kind: 'other', reason: 'not a regular file (socket, FIFO or device); only image files are read' };
  } catch (error) {
    return { kind: 'other', reason: fsReason(error, 'file') };
  }
}

/** Lists the subfolders of a folder (following links) and notes loose files, which belong to no class. */
async function subfolders(ctx: WalkContext, dir: string, entries: Dirent[]): Promise<Array<{ name: string; full: string }>> {
  const kinds = await mapBounded(entries, STAT_CONCURRENCY, (e) => entryKind(path.join(dir, e.name), e));
  const folders: Array<{ name: string; full: string }> = [];
  entries.forEach((entry, i) => {
    const full = path.join(dir, entry.name);
    const kind = kinds[i];
    if (kind?.kind === 'dir') folders.push({ name: entry.name, full });
    else if (kind?.kind === 'file') skip(ctx, full, 'file is not inside a class folder; move it into the subfolder of its class');
    else if (kind) skip(ctx, full, kind.reason);
  });
  return folders;
}

/**
 * Walks one class folder depth-first in name order, collecting image candidates. Loops (a link
 * to an ancestor) and second visits within the class are cut here; duplicates across classes
 * are settled afterwards by resolveDuplicates, so the outcome does not depend on which of the
 * parallel walks got somewhere first.
 */
async function walkDir(ctx: WalkContext, walk: ClassWalk, dir: string, className: string, given: GivenSplit, ancestors: Set<string>, seen: Set<string>, depth: number): Promise<void> {
  checkAborted(ctx.options.signal);
  let real: string;
  try {
    real = await fs.realpath(dir);
  } catch (error) {
    skip(ctx, dir, fsReason(error, 'folder'), walk.skipped);
    return;
  }
  if (ancestors.has(real)) {
    skip(ctx, dir, 'symbolic link loop: this folder links back to a folder that contains it; not followed', walk.skipped);
    return;
  }
  if (seen.has(real)) {
    skip(ctx, dir, 'folder already scanned through another path (symbolic link); skipped so its images are not counted twice', walk.skipped);
    return;
  }
  if (depth > MAX_DEPTH) {
    skip(ctx, dir, `folder nested more than ${MAX_DEPTH} levels deep inside its class; not entered`, walk.skipped);
    return;
  }
  seen.add(real);
  let entries: Dirent[];
  try {
    entries = sortEntries(await fs.readdir(dir, { withFileTypes: true }));
  } catch (error) {
    skip(ctx, dir, fsReason(error, 'folder'), walk.skipped);
    return;
  }
  const record: DirRecord = {
    dir, real, viaLink: real !== path.join(ctx.baseReal, path.relative(ctx.base, dir)), fileStart: walk.files.length, fileEnd: -1,
  };
  walk.dirs.push(record);
  const kinds = await mapBounded(entries, STAT_CONCURRENCY, (e) => entryKind(path.join(dir, e.name), e));
  const inner = new Set(ancestors).add(real);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Dirent;
    const kind = kinds[i];
    const full = path.join(dir, entry.name);
    if (!kind) continue;
    if (kind.kind === 'dir') {
      await walkDir(ctx, walk, full, className, given, inner, seen, depth + 1);
    } else if (kind.kind === 'file') {
      walk.files.push({
        absolutePath: full,
        file: toPosix(path.relative(ctx.base, full)),
        className,
        given,
        fromTestRoot: ctx.fromTestRoot,
        size: kind.stats.size,
        mtimeMs: kind.stats.mtimeMs,
      });
      ctx.options.onFound?.(++ctx.found.count);
    } else {
      skip(ctx, full, kind.reason, walk.skipped);
    }
  }
  record.fileEnd = walk.files.length;
}

/**
 * Settles folders reached more than once (through symbolic links) across classes and splits:
 * a folder's own, link-free path always wins; among link paths, the first class in class
 * order wins. Losing paths are listed in `skipped`, and their images dropped, so no image is
 * counted twice (or lands in both train and test).
 */
function resolveDuplicates(ctx: WalkContext, walks: ClassWalk[]): void {
  for (const walk of walks) for (const d of walk.dirs) if (!d.viaLink) ctx.claimed.add(d.real);
  for (const walk of walks) {
    const drop = new Uint8Array(walk.files.length);
    const dropped: string[] = [];
    for (const d of walk.dirs) {
      if (!d.viaLink) continue;
      if (dropped.some((prefix) => d.dir.startsWith(prefix + path.sep))) continue;
      if (ctx.claimed.has(d.real)) {
        drop.fill(1, d.fileStart, d.fileEnd);
        dropped.push(d.dir);
        skip(ctx, d.dir, 'folder already scanned through another path (symbolic link); skipped so its images are not counted twice', walk.skipped);
      } else {
        ctx.claimed.add(d.real);
      }
    }
    if (dropped.length) walk.files = walk.files.filter((_, i) => drop[i] === 0);
  }
}

/** Scans a folder of class subfolders (classes walked in parallel); returns the class names it accepted. */
async function scanClassFolder(ctx: WalkContext, dir: string, entries: Dirent[], given: GivenSplit, ancestors: Set<string>): Promise<string[]> {
  const accepted: Array<{ name: string; full: string }> = [];
  for (const folder of await subfolders(ctx, dir, entries)) {
    const problem = classNameProblem(folder.name);
    if (problem) skip(ctx, folder.full, problem);
    else accepted.push(folder);
  }
  const walks = await mapBounded(accepted, CLASS_CONCURRENCY, async (folder) => {
    const walk: ClassWalk = { files: [], skipped: [], dirs: [] };
    await walkDir(ctx, walk, folder.full, folder.name, given, ancestors, new Set(), 1);
    return walk;
  });
  resolveDuplicates(ctx, walks);
  for (const walk of walks) {
    for (const f of walk.files) ctx.files.push(f);
    for (const s of walk.skipped) ctx.skipped.push(s);
  }
  return accepted.map((f) => f.name);
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function describeMismatch(labelA: string, a: string[], labelB: string, b: string[]): string {
  const onlyA = a.filter((x) => !b.includes(x)).map((x) => `"${printable(x)}"`);
  const onlyB = b.filter((x) => !a.includes(x)).map((x) => `"${printable(x)}"`);
  const parts: string[] = [];
  if (onlyA.length) parts.push(`only in ${labelA}: ${onlyA.slice(0, 10).join(', ')}${onlyA.length > 10 ? ` and ${onlyA.length - 10} more` : ''}`);
  if (onlyB.length) parts.push(`only in ${labelB}: ${onlyB.slice(0, 10).join(', ')}${onlyB.length > 10 ? ` and ${onlyB.length - 10} more` : ''}`);
  return parts.join('; ');
}

export async function scanDataset(root: string, testRoot: string | undefined, options: ScanOptions = {}): Promise<ScanResult> {
  const top = await openRoot(root, 'dataset folder');
  const files: ScannedFile[] = [];
  const skipped: SkippedFile[] = [];
  const ctx: WalkContext = {
    base: top.absolute, baseReal: top.real, fromTestRoot: false, claimed: new Set([top.real]), files, skipped, options, found: { count: 0 },
  };

  const folders = await subfolders({ ...ctx, skipped: [] }, top.absolute, top.entries);
  const splitFolders = folders.filter((f) => splitOfFolder(f.name) !== undefined);
  const isSplitLayout = folders.length > 0 && splitFolders.length === folders.length && splitFolders.some((f) => splitOfFolder(f.name) === 'train');

  let classes: string[];
  const realRoots = [top.real];
  let testAbsolute: string | undefined;
  if (isSplitLayout) {
    // Loose files next to train/ and test/ belong to no split; report them once.
    for (const entry of top.entries) {
      if (!folders.some((f) => f.name === entry.name)) await subfolders(ctx, top.absolute, [entry]);
    }
    const perSplit: Array<{ label: string; split: 'train' | 'val' | 'test'; classes: string[] }> = [];
    const ordered = [...splitFolders].sort((a, b) => (SPLIT_ORDER[splitOfFolder(a.name) as string] ?? 0) - (SPLIT_ORDER[splitOfFolder(b.name) as string] ?? 0));
    const seenSplits = new Map<string, string>();
    for (const folder of ordered) {
      const split = splitOfFolder(folder.name) as 'train' | 'val' | 'test';
      const earlier = seenSplits.get(split);
      if (earlier !== undefined) {
        throw new DatasetError('bad-split', `${top.absolute} has two ${split} folders: ${earlier}/ and ${folder.name}/.`,
          'Keep one of them (merge their class subfolders).', top.absolute);
      }
      seenSplits.set(split, folder.name);
      let entries: Dirent[];
      let real: string;
      try {
        real = await fs.realpath(folder.full);
        entries = sortEntries(await fs.readdir(folder.full, { withFileTypes: true }));
      } catch (error) {
        throw new DatasetError('unreadable-folder', `Cannot read ${folder.full}: ${fsReason(error, 'folder')}.`,
          'Fix its permissions or remove it.', folder.full);
      }
      ctx.claimed.add(real);
      const found = await scanClassFolder(ctx, folder.full, entries, split, new Set([top.real, real]));
      perSplit.push({ label: `${folder.name}/`, split, classes: found });
    }
    if (testRoot !== undefined && perSplit.some((s) => s.split === 'test')) {
      throw new DatasetError('conflicting-test', `${top.absolute} already has a test folder, and a separate test folder (${path.resolve(testRoot)}) was also given.`,
        'Use one or the other: drop the separate test folder option, or remove test/ from the dataset.', top.absolute);
    }
    const train = perSplit.find((s) => s.split === 'train') as { label: string; classes: string[] };
    for (const other of perSplit) {
      if (other === train) continue;
      if (!sameSet(train.classes, other.classes)) {
        throw new DatasetError('class-mismatch', `${train.label} and ${other.label} in ${top.absolute} hold different classes (${describeMismatch(train.label, train.classes, other.label, other.classes)}).`,
          'Every split folder needs the same class subfolders: add the missing ones (with images) or remove the extra ones.', top.absolute);
      }
    }
    classes = train.classes;
  } else {
    classes = await scanClassFolder(ctx, top.absolute, top.entries, 'pool', new Set([top.real]));
  }

  if (classes.length === 0) {
    const loose = skipped.filter((s) => s.reason.startsWith('file is not inside a class folder')).length;
    throw new DatasetError('no-classes', `No class subfolders in ${top.absolute}${loose ? ` (it holds ${loose} loose file${loose === 1 ? '' : 's'})` : ''}.`,
      `LossLab expects one subfolder per class (e.g. ${path.join(top.absolute, 'cat')}/*.jpg and ${path.join(top.absolute, 'dog')}/*.jpg), or train/ and test/ folders that each hold those class subfolders.`,
      top.absolute);
  }
  if (classes.length === 1) {
    throw new DatasetError('one-class', `${top.absolute} has only one class ("${printable(classes[0] as string)}").`,
      'A classifier needs at least two classes: add another class subfolder with images.', top.absolute);
  }

  if (testRoot !== undefined) {
    const test = await openRoot(testRoot, 'test folder');
    testAbsolute = test.absolute;
    realRoots.push(test.real);
    const testCtx: WalkContext = { ...ctx, base: test.absolute, baseReal: test.real, fromTestRoot: true };
    ctx.claimed.add(test.real);
    const testClasses = await scanClassFolder(testCtx, test.absolute, test.entries, 'test', new Set([test.real]));
    if (!sameSet(classes, testClasses)) {
      throw new DatasetError('class-mismatch', `The dataset (${top.absolute}) and the test folder (${test.absolute}) hold different classes (${describeMismatch('the dataset', classes, 'the test folder', testClasses)}).`,
        'Both need the same class subfolders: add the missing ones (with images) or remove the extra ones.', test.absolute);
    }
  }

  classes.sort(compareCodePoints);
  return { root: top.absolute, ...(testAbsolute !== undefined ? { testRoot: testAbsolute } : {}), layout: isSplitLayout ? 'splits' : 'classes', classes, files, skipped, realRoots };
}
