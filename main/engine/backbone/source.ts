import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultDataDir } from '../../store/paths';
import { ChecksumError, DownloadError, downloadFile, type DownloadProgress } from './download';

/**
 * Where a backbone comes from: `--backbone SOURCE` is a folder holding model.json, a model.json
 * path, an http(s) URL of a model.json, or a preset name. URLs (presets included) are
 * downloaded once into the app-data folder (`<data dir>/backbones/<hash of the URL>/`) and
 * read from there afterwards without touching the network.
 */
// The presets live in a module without Node imports, so the app's screen can list them too.
export { BACKBONE_PRESETS, findPreset, type BackbonePreset } from './presets';
import { BACKBONE_PRESETS, findPreset, type BackbonePreset } from './presets';

export class BackboneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackboneError';
  }
}

export interface LocatedBackbone {
  kind: 'folder' | 'file' | 'url' | 'preset';
  /** What was given. */
  source: string;
  /** The file or URL the model came from. */
  location: string;
  /** Local model.json (its weight files beside it). */
  modelJson: string;
  preset?: BackbonePreset;
  /** Whether the local copy is LossLab's download cache (and so may be deleted when it is bad). */
  downloaded: boolean;
}

export interface LocateOptions {
  /** Folder of downloaded backbones; default `<app data>/backbones`. */
  downloadDir?: string;
  onDownload?: (progress: DownloadProgress & { file: string }) => void;
}

export function defaultBackboneDir(): string {
  return path.join(defaultDataDir(), 'backbones');
}

/** The weight file names model.json lists, in manifest order. */
export function manifestPaths(modelJson: unknown): string[] {
  const manifest = (modelJson as { weightsManifest?: { paths?: unknown }[] }).weightsManifest;
  if (!Array.isArray(manifest)) return [];
  return manifest.flatMap((group) => (Array.isArray(group.paths) ? group.paths.filter((p): p is string => typeof p === 'string') : []));
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BackboneError(`${file} is not a readable model.json (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function howToUseLocalCopy(url: string): string {
  return `download ${url} and the weight files it lists into one folder yourself, then pass that folder: --backbone /path/to/folder`;
}

async function downloadModel(url: string, options: LocateOptions): Promise<string> {
  const dir = path.join(options.downloadDir ?? defaultBackboneDir(), createHash('sha256').update(url).digest('hex').slice(0, 16));
  const modelJson = path.join(dir, 'model.json');
  const report = (file: string) => (p: DownloadProgress) => options.onDownload?.({ ...p, file });
  try {
    if (!fs.existsSync(modelJson)) await downloadFile(url, modelJson, { onProgress: report('model.json') });
    fs.writeFileSync(path.join(dir, 'source.txt'), `${url}\n`);
    for (const shard of manifestPaths(readJson(modelJson))) {
      if (shard.includes('..') || path.isAbsolute(shard)) throw new BackboneError(`${url} lists the weight file "${shard}", which points outside its folder`);
      const target = path.join(dir, shard);
      if (!fs.existsSync(target)) await downloadFile(new URL(shard, url).toString(), target, { onProgress: report(shard) });
    }
  } catch (error) {
    if (error instanceof DownloadError || error instanceof ChecksumError) {
      throw new BackboneError(`Could not download the backbone ${url}: ${error.message}. Run again to resume, or ${howToUseLocalCopy(url)}`);
    }
    throw error;
  }
  return modelJson;
}

/** Turns SOURCE into a local model.json, downloading it (once) when it is a URL or a preset. */
export async function locateBackbone(source: string, options: LocateOptions = {}): Promise<LocatedBackbone> {
  const preset = findPreset(source);
  if (preset) {
    return { kind: 'preset', source, location: preset.url, modelJson: await downloadModel(preset.url, options), preset, downloaded: true };
  }
  if (/^https?:\/\//i.test(source)) {
    return { kind: 'url', source, location: source, modelJson: await downloadModel(source, options), downloaded: true };
  }
  const full = path.resolve(source);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    const names = BACKBONE_PRESETS.map((p) => p.name).join(', ');
    throw new BackboneError(`--backbone ${source}: no such file or folder, and not a preset (${names}) or an http(s) URL`);
  }
  if (stat.isDirectory()) {
    const modelJson = path.join(full, 'model.json');
    if (!fs.existsSync(modelJson)) throw new BackboneError(`The folder ${full} holds no model.json; a TF.js layers model is a model.json with its weight files`);
    return { kind: 'folder', source, location: full, modelJson, downloaded: false };
  }
  return { kind: 'file', source, location: full, modelJson: full, downloaded: false };
}

/**
 * The square input size a backbone declares in its model.json (without loading its weights), or
 * null where it accepts any size or does not say. A URL is downloaded (once) to read it.
 */
export async function backboneInputSize(source: string, options: LocateOptions = {}): Promise<number | null> {
  const preset = findPreset(source);
  if (preset) return preset.inputSize;
  let located: LocatedBackbone;
  try {
    located = await locateBackbone(source, options);
  } catch {
    return null; // the experiment reports the problem, before anything is written
  }
  const json = readJsonOrNull(located.modelJson) as { modelTopology?: { model_config?: unknown; config?: unknown } } | null;
  const topology = (json?.modelTopology?.model_config ?? json?.modelTopology) as { config?: { layers?: { config?: Record<string, unknown> }[] } } | undefined;
  for (const layer of topology?.config?.layers ?? []) {
    const shape = (layer.config?.batch_input_shape ?? layer.config?.batchInputShape) as (number | null)[] | undefined;
    if (Array.isArray(shape) && shape.length === 4) return shape[1] !== null && shape[1] === shape[2] ? (shape[1] as number) : null;
  }
  return null;
}

function readJsonOrNull(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
