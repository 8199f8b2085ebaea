import fs from 'node:fs';
import path from 'node:path';
import { CSV_TABLES, csvPaths } from './csv';
import type { ReportFormat } from './index';

/**
 * The rules for where a report may be written, in one place: the app's export call (served and
 * desktop) and the CLI's `report --out` all go through resolveExportTarget before anything is
 * written. Every refusal says what to do instead; nothing is written when a check fails.
 *
 * - A relative path is resolved against a stated base (the CLI's working folder, served mode's
 *   --root) or, with no base, refused.
 * - The format's extension is added when missing (report → report.html). CSV is written either
 *   as one .zip archive of the tables or as a folder of tables (see CsvLayout).
 * - A file that already exists is refused unless `overwrite` is true (ExportTargetExistsError).
 * - A folder is refused where a file is meant, and so is a parent folder that does not exist.
 * - Nothing may be written inside the folders of the dataset being studied; paths are compared
 *   after resolving symbolic links and `..`, so neither can dodge the rule.
 */

/** A target the rules refuse; the message says what to do. */
export class ExportTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportTargetError';
  }
}

/** The target (or one of the files a CSV export would write) exists and overwriting was not confirmed. */
export class ExportTargetExistsError extends ExportTargetError {
  constructor(
    message: string,
    /** The files that exist already. */
    readonly existing: string[],
    /** The path the export would have been written to (with its extension). */
    readonly target: string,
  ) {
    super(message);
    this.name = 'ExportTargetExistsError';
  }
}

/**
 * How CSV tables are written: 'zip' always writes one archive (the app: one file to name, save
 * or download); 'folder' writes a folder of tables, or an archive when the path ends in .zip
 * (the CLI, which prints every file it writes).
 */
export type CsvLayout = 'zip' | 'folder';

export interface ExportTargetOptions {
  format: ReportFormat;
  /** Folder a relative path is resolved against; null refuses relative paths. */
  base: string | null;
  /** Replace files that exist (the user confirmed, or the CLI got --force). */
  overwrite?: boolean;
  /** Folders nothing may be written into: the experiment's dataset (config.data, config.testData). */
  protectedFolders?: readonly (string | null | undefined)[];
  csvLayout?: CsvLayout;
  /** How to confirm overwriting in this context, ending the "already exists" message. */
  overwriteHint?: string;
}

export interface ExportTarget {
  /** The absolute path written: a file, or for CSV as a folder, the folder. */
  path: string;
  /** Every file the export writes. */
  files: string[];
  /** What to pass to the report writer (exportReport): `path`, or for x.csv tables the stem x.csv. */
  writePath: string;
  kind: 'file' | 'zip' | 'folder';
}

const EXTENSIONS: Record<ReportFormat, readonly string[]> = {
  html: ['.html', '.htm'],
  pdf: ['.pdf'],
  json: ['.json'],
  md: ['.md', '.markdown'],
  csv: ['.zip'],
};

const CSV_FILE_NAMES = CSV_TABLES.map((t) => `${t}.csv`);

/** True when `inner` is `outer` itself or lies below it (both absolute and resolved). */
export function isInsideFolder(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function lstat(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

function stat(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/**
 * The real path of `p` even where it does not exist yet: the real path of its nearest existing
 * ancestor, joined with the components that do not exist. Symbolic links and `..` are resolved.
 */
export function realPathOfTarget(p: string): string {
  const absolute = path.resolve(p);
  const missing: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return absolute;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

function withExtension(file: string, format: ReportFormat): string {
  const ext = path.extname(file).toLowerCase();
  if (EXTENSIONS[format].includes(ext)) return file;
  // A CSV export named like a table (report.csv) becomes the archive report.zip.
  if (format === 'csv' && ext === '.csv') return file.slice(0, -ext.length) + '.zip';
  return file + EXTENSIONS[format][0];
}

/** The requested path made absolute against `base`; a relative path with no base is refused. */
export function absoluteExportPath(requested: string, base: string | null): string {
  const trimmed = requested.trim();
  if (trimmed === '') throw new ExportTargetError('No export path was given. Give the file to write, e.g. /home/me/report.html.');
  if (path.isAbsolute(trimmed)) return path.resolve(trimmed);
  if (base !== null) return path.resolve(base, trimmed);
  throw new ExportTargetError(`"${trimmed}" is a relative path, and it is unclear which folder it is relative to. Give the full path, starting with / (or a drive letter on Windows).`);
}

/**
 * Applies the rules to a requested path; returns where the export goes and which files it will
 * write, or throws ExportTargetError (ExportTargetExistsError for files that exist) saying what
 * to do. Reads the disk, writes nothing.
 */
export function resolveExportTarget(requested: string, options: ExportTargetOptions): ExportTarget {
  const { format } = options;
  const absolute = absoluteExportPath(requested, options.base);

  // What kind of target: one file, a zip of the CSV tables, or a folder of them.
  const existing = stat(absolute);
  let kind: ExportTarget['kind'];
  let target: string;
  let files: string[] | null = null;
  const csvFolder = format === 'csv' && (options.csvLayout ?? 'zip') === 'folder' && path.extname(absolute).toLowerCase() !== '.zip';
  if (csvFolder && path.extname(absolute).toLowerCase() === '.csv') {
    // x.csv names sibling tables x-runs.csv, x-summary.csv, … in its folder: the folder is what is named.
    if (existing?.isDirectory()) throw new ExportTargetError(`${absolute} is a folder. Give it without the .csv ending to write the tables into it, or a path ending in .zip for one archive.`);
    kind = 'folder';
    target = path.dirname(absolute);
    files = Object.values(csvPaths(absolute));
  } else if (csvFolder) {
    kind = 'folder';
    target = absolute;
    if (existing && !existing.isDirectory()) {
      throw new ExportTargetError(`${absolute} is a file, but CSV tables are written into a folder. Give a folder (it is created if missing) or a path ending in .zip for one archive.`);
    }
  } else {
    if (existing?.isDirectory()) {
      const example = path.join(absolute, `report${EXTENSIONS[format][0]}`);
      throw new ExportTargetError(`${absolute} is a folder. Give the name of the file to write inside it, e.g. ${example}.`);
    }
    kind = format === 'csv' ? 'zip' : 'file';
    target = withExtension(absolute, format);
    if (target !== absolute && stat(target)?.isDirectory()) {
      throw new ExportTargetError(`${target} is a folder. Give the name of the file to write inside it, e.g. ${path.join(target, `report${EXTENSIONS[format][0]}`)}.`);
    }
  }

  // Never inside the dataset being studied, however the path is spelled.
  const real = realPathOfTarget(target);
  for (const folder of options.protectedFolders ?? []) {
    if (!folder) continue;
    const protectedReal = realPathOfTarget(folder);
    if (isInsideFolder(protectedReal, real) || (files !== null && isInsideFolder(protectedReal, realPathOfTarget(files[0]!)))) {
      throw new ExportTargetError(`${target} is inside the dataset folder ${folder}, which this experiment studies; LossLab never writes there. Choose a folder outside the dataset.`);
    }
  }

  // The folder the file (or the CSV folder) goes into must exist and be a folder.
  const parent = files ? target : path.dirname(target);
  const parentStat = stat(parent);
  if (!parentStat) {
    throw new ExportTargetError(`The folder ${parent} does not exist. Create it first, or choose a folder that exists.`);
  }
  if (!parentStat.isDirectory()) {
    throw new ExportTargetError(`${parent} is a file, not a folder, so nothing can be written inside it. Choose a path in a folder.`);
  }

  files ??= kind === 'folder' ? CSV_FILE_NAMES.map((name) => path.join(target, name)) : [target];
  if (!options.overwrite) {
    const taken = files.filter((file) => lstat(file) !== null);
    if (taken.length > 0) {
      const what = taken.length === 1 ? `${taken[0]} already exists` : `${taken.length} of the files exist already (${taken.map((f) => path.basename(f)).join(', ')} in ${path.dirname(taken[0]!)})`;
      const hint = options.overwriteHint ?? 'Choose another name, or confirm that it should be replaced.';
      throw new ExportTargetExistsError(`${what}. ${hint}`, taken, target);
    }
  }
  return { path: target, files, kind, writePath: kind === 'folder' && target !== absolute ? absolute : target };
}
