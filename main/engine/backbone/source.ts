import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { BackboneScaling } from '../../experiment/config';
import { defaultDataDir } from '../../store/paths';
import { ChecksumError, DownloadError, downloadFile, type DownloadProgress } from './download';

/**
 * Where a backbone comes from: `--backbone SOURCE` is a folder holding model.json, a model.json
 * path, an http(s) URL of a model.json, or a preset name. URLs (presets included) are
 * downloaded once into the app-data folder (`<data dir>/backbones/<hash of the URL>/`) and
 * read from there afterwards without touching the network.
 */
export interface BackbonePreset {
  name: string;
  description: string;
  url: string;
  /** Square input size in pixels. */
  inputSize: number;
  scaling: BackboneScaling;
  featureLayer: string;
}

/**
 * The MobileNets Teachable Machine trains on, from the TensorFlow.js model host it uses.
 * v1: the Keras MobileNet v1 converted to a layers model (tfjs-models/tfjs/mobilenet_v1_<α>_224),
 * truncated at 'conv_pw_13_relu' as Teachable Machine's image library does; v2: the Keras
 * MobileNetV2 without its top (teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_
 * tf_kernels_<α>_224_no_top), read at 'out_relu'. Both take 224×224 RGB scaled as x/127.5 − 1
 * (Keras' mobilenet preprocess_input). Assumed from Teachable Machine's source and public uses:
 * the model host cannot be reached from LossLab's build machines, so no SHA-256 is pinned here;
 * the hash of what was downloaded is recorded with every experiment instead.
 */
export const BACKBONE_PRESETS: readonly BackbonePreset[] = [
  ...(['0.25', '0.50', '1.0'] as const).map((alpha) => ({
    name: `mobilenet-v1-${alpha === '1.0' ? '1.00' : alpha}`,
    description: `MobileNet v1, α ${alpha === '1.0' ? '1.00' : alpha}, 224 px (ImageNet)`,
    url: `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${alpha}_224/model.json`,
    inputSize: 224,
    scaling: 'minus1to1' as const,
    featureLayer: 'conv_pw_13_relu',
  })),
  ...(['0.35', '1.0'] as const).map((alpha) => ({
    name: `mobilenet-v2-${alpha === '1.0' ? '1.00' : alpha}`,
    description: `MobileNet v2, α ${alpha === '1.0' ? '1.00' : alpha}, 224 px, no top (ImageNet)`,
    url: `https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha}_224_no_top/model.json`,
    inputSize: 224,
    scaling: 'minus1to1' as const,
    featureLayer: 'out_relu',
  })),
];

/** `mobilenet-v2` alone means Teachable Machine's default (α 0.35); `mobilenet-v1` means α 0.25. */
const PRESET_ALIASES: Record<string, string> = { 'mobilenet-v1': 'mobilenet-v1-0.25', 'mobilenet-v2': 'mobilenet-v2-0.35', mobilenet: 'mobilenet-v1-0.25' };

export function findPreset(name: string): BackbonePreset | undefined {
  const key = PRESET_ALIASES[name.toLowerCase()] ?? name.toLowerCase();
  return BACKBONE_PRESETS.find((p) => p.name === key);
}

/** A backbone that cannot be used: one line that says why and what to do instead. */
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
