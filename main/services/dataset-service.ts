import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { DatasetOverview, ImbalancePreview, ParsedRequest, Responses } from '../api/contract';
import { loadDataset } from '../dataset/load';
import { releasePixels } from '../dataset/pixel-file';
import { sampleDatasetPath } from '../dataset/sample';
import { planSplits } from '../dataset/splits';
import type { LoadedDataset } from '../dataset/types';
import type { FolderAccess } from './folder-access';
import { apiEvent, type Emit, type ImageUrl } from './types';

/** Thumbnails listed per class in the overview (the renderer's thumbnail strip). */
const SAMPLES_PER_CLASS = 8;
/** Source-file headers read for the size/colour summary: enough to describe a folder, cheap to read. */
const HEADERS_TO_READ = 200;
/** Skipped files listed in full; the rest are only counted, so a broken folder cannot flood the UI. */
const SKIPPED_LISTED = 500;

/** What a preview needs of an opened dataset: its items and classes, not its pixels. */
type DatasetShape = LoadedDataset;

export interface DatasetServiceOptions {
  access: FolderAccess;
  cacheDir: string | undefined;
  emit: Emit;
  imageUrl: ImageUrl;
}

/**
 * Why a folder the renderer asked for may not be opened, in words that say what to do. In
 * served mode a folder outside --root gets the same answer whether it exists or not, so the
 * page cannot probe the server's disk beyond what it shares.
 */
export async function notOpenableMessage(folder: string, access: FolderAccess): Promise<string> {
  const resolved = path.resolve(folder);
  if (access.browseRoot !== null) {
    const root = path.resolve(access.browseRoot);
    const relative = path.relative(root, resolved);
    const inside = relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
    if (!inside) {
      return `LossLab cannot open ${folder}: it is outside the folder this server shares (${access.browseRoot}, its --root). Pick a folder below it with "Browse server folders…", or type a path below it.`;
    }
  }
  if (!(await exists(resolved))) {
    return `The folder ${folder} does not exist. Check the spelling${access.browseRoot !== null ? `, or pick the folder with "Browse server folders…"` : ', or pick the folder with "Open folder…"'}.`;
  }
  const how = access.browseRoot !== null
    ? `Pick a folder below ${access.browseRoot} with "Browse server folders…" (the server was started with --root ${access.browseRoot}).`
    : 'Choose it with "Open folder…" or drop it on the window first.';
  return `LossLab may not read ${folder}: it is not a folder you chose in this session. ${how}`;
}

async function exists(target: string): Promise<boolean> {
  try {
    await fs.stat(target);
    return true;
  } catch {
    return false;
  }
}

export function createDatasetService({ access, cacheDir, emit, imageUrl }: DatasetServiceOptions) {
  /** Opened datasets by real path, pixels dropped: the preview re-plans splits from items alone. */
  const opened = new Map<string, DatasetShape>();

  async function requireOpenable(folder: string): Promise<string> {
    const real = await access.openable(folder);
    if (real === null) throw new Error(await notOpenableMessage(folder, access));
    return real;
  }

  return {
    async samplePath(_request: ParsedRequest<'dataset.samplePath'>): Promise<Responses['dataset.samplePath']> {
      const sample = sampleDatasetPath();
      await access.chooseFolder(sample);
      return { path: sample };
    },

    async open(request: ParsedRequest<'dataset.open'>): Promise<DatasetOverview> {
      const folder = await requireOpenable(request.path);
      const dataset = await loadDataset({
        root: folder,
        imageSize: request.imageSize,
        resize: request.resize,
        colorMode: request.colorMode,
        ...(cacheDir !== undefined ? { cacheDir } : {}),
        onProgress: (progress) => emit(apiEvent('dataset.progress', { path: request.path, ...progress })),
      });
      // The preview needs the items only; a pixel file (a dataset too large for memory) goes now.
      releasePixels(dataset.pixels);
      await access.chooseFolder(folder);
      opened.set(folder, { ...dataset, pixels: new Uint8Array(0) });
      return overview(dataset, imageUrl);
    },

    async previewImbalance(request: ParsedRequest<'dataset.previewImbalance'>): Promise<ImbalancePreview> {
      const folder = await requireOpenable(request.path);
      const dataset = opened.get(folder);
      if (!dataset) throw new Error(`Open the dataset ${request.path} first: the preview uses the class counts found when it is opened.`);
      const plan = planSplits(dataset, {
        testFraction: request.testFraction,
        valFraction: request.valFraction,
        imbalance: request.imbalance,
        seed: request.splitSeed,
      });
      const train = plan.counts.train;
      return {
        classes: dataset.classes,
        poolBeforeImbalance: plan.counts.poolBeforeImbalance,
        train,
        val: plan.counts.val,
        test: plan.counts.test,
        headToTail: plan.headToTail,
        imbalanceRatio: Math.max(...train) / Math.max(1, Math.min(...train)),
      };
    },
  };
}

async function overview(dataset: LoadedDataset, imageUrl: ImageUrl): Promise<DatasetOverview> {
  const samples = dataset.classes.map(() => [] as DatasetOverview['classes'][number]['samples']);
  const givenSplits = { pool: 0, train: 0, val: 0, test: 0 };
  for (const item of dataset.items) {
    givenSplits[item.given]++;
    const list = samples[item.classIndex];
    if (list && list.length < SAMPLES_PER_CLASS) list.push({ file: item.file, absolutePath: item.absolutePath, url: imageUrl(item.absolutePath) });
  }
  return {
    path: dataset.root,
    layout: givenSplits.pool === dataset.items.length ? 'classes' : 'splits',
    classes: dataset.classes.map((name, c) => ({ name, count: dataset.classCounts[c] ?? 0, samples: samples[c] ?? [] })),
    total: dataset.items.length,
    givenSplits,
    skipped: dataset.skipped.slice(0, SKIPPED_LISTED),
    skippedTotal: dataset.skipped.length,
    imageSize: dataset.imageSize,
    channels: dataset.channels,
    resize: dataset.resize ?? 'center-crop',
    allGray: dataset.colorMode === 'auto' ? dataset.channels === 1 : null,
    sourceImages: await sourceImageSummary(samples.flat().slice(0, HEADERS_TO_READ).map((s) => s.absolutePath)),
    fingerprint: dataset.fingerprint,
    loadSeconds: dataset.loadStats?.seconds ?? 0,
    cachedImages: dataset.loadStats?.cached ?? 0,
  };
}

/** Reads only the headers of some source files: original sizes, formats and channel counts. */
async function sourceImageSummary(files: string[]): Promise<DatasetOverview['sourceImages']> {
  const summary: DatasetOverview['sourceImages'] = {
    sampled: 0,
    width: { min: 0, max: 0 },
    height: { min: 0, max: 0 },
    formats: {},
    channels: {},
  };
  const widths: number[] = [];
  const heights: number[] = [];
  for (const file of files) {
    try {
      const meta = await sharp(file).metadata();
      summary.sampled++;
      if (meta.width) widths.push(meta.width);
      if (meta.height) heights.push(meta.height);
      const format = meta.format ?? path.extname(file).slice(1).toLowerCase();
      summary.formats[format] = (summary.formats[format] ?? 0) + 1;
      const channels = String(meta.channels ?? 0);
      summary.channels[channels] = (summary.channels[channels] ?? 0) + 1;
    } catch {
      // A file that decoded during the load but whose header cannot be read now was changed meanwhile; the summary is a sample anyway.
    }
  }
  if (widths.length) summary.width = { min: Math.min(...widths), max: Math.max(...widths) };
  if (heights.length) summary.height = { min: Math.min(...heights), max: Math.max(...heights) };
  return summary;
}
