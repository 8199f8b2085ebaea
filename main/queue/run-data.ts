import { createHash } from 'node:crypto';
import path from 'node:path';
import { loadDataset } from '../dataset/load';
import { forEachPixelChunk, isPixelFile, pixelChunksAsync } from '../dataset/pixel-file';
import { planSplits } from '../dataset/splits';
import type { TrainingData } from '../engine/types';
import type { ExperimentConfig } from '../experiment/config';
import { trainingData } from '../experiment/run-experiment';

/**
 * SHA-256 of everything a run reads from its data: decoded pixels, labels, the split and the
 * normalisation. Two machines with equal fingerprints train bit-identical runs. Unlike the
 * dataset's own fingerprint (file names, sizes and times), it survives a copy to another machine.
 */
export function trainingDataFingerprint(data: TrainingData): string {
  const hash = dataHashStart(data);
  forEachPixelChunk(data.pixels, (bytes) => hash.update(bytes));
  return dataHashEnd(hash, data);
}

/** SHA-256 of the decoded images alone (shape and bytes): the settings of a sweep share it. */
export function pixelsFingerprint(data: Pick<TrainingData, 'pixels' | 'imageSize' | 'channels'>): string {
  const hash = pixelsHashStart(data);
  forEachPixelChunk(data.pixels, (bytes) => hash.update(bytes));
  return hash.digest('hex');
}

/**
 * Both fingerprints in one pass over the pixels, giving the event loop a turn after every chunk
 * (8 MiB): the desktop app's main process publishes studies, and a dataset of gigabytes would
 * otherwise freeze its window for seconds.
 */
export async function fingerprintsOf(data: TrainingData): Promise<{ data: string; pixels: string }> {
  const dataHash = dataHashStart(data);
  const pixelsHash = pixelsHashStart(data);
  for await (const bytes of pixelChunksAsync(data.pixels)) {
    dataHash.update(bytes);
    pixelsHash.update(bytes);
  }
  return { data: dataHashEnd(dataHash, data), pixels: pixelsHash.digest('hex') };
}

function pixelsHashStart(data: Pick<TrainingData, 'pixels' | 'imageSize' | 'channels'>): ReturnType<typeof createHash> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ imageSize: data.imageSize, channels: data.channels }));
  // The same bytes whether the pixels are in memory or in a pixel file, so the same fingerprint.
  hash.update(String(isPixelFile(data.pixels) ? data.pixels.count * data.pixels.bytesPerImage : data.pixels.length));
  return hash;
}

function dataHashStart(data: TrainingData): ReturnType<typeof createHash> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ imageSize: data.imageSize, channels: data.channels, numClasses: data.numClasses, trainCounts: data.trainCounts, mean: data.channelMean, std: data.channelStd }));
  hash.update(String(isPixelFile(data.pixels) ? data.pixels.count * data.pixels.bytesPerImage : data.pixels.length));
  return hash;
}

function dataHashEnd(hash: ReturnType<typeof createHash>, data: TrainingData): string {
  for (const array of [data.labels, data.train, data.val, data.test]) {
    hash.update(String(array.length));
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest('hex');
}

/**
 * Where this worker finds a study's data folder: the study's own path, or, with --data-root,
 * the folder of the same name under that root (machines that mount the data elsewhere).
 */
export function mapDataPath(studyPath: string, dataRoot: string | undefined): string {
  if (!dataRoot) {
    if (!path.isAbsolute(studyPath)) throw new Error(`the study's data path ${studyPath} is not absolute`);
    return studyPath;
  }
  const name = path.basename(studyPath.replace(/[\\/]+$/, ''));
  if (!name || name === '.' || name === '..') throw new Error(`the study's data path ${studyPath} has no folder name to find under --data-root`);
  return path.join(dataRoot, name);
}

/** Decodes and splits a study's dataset on this machine exactly as the study's process did. */
export async function loadRunData(config: ExperimentConfig, options: { dataRoot?: string; cacheDir?: string }): Promise<TrainingData> {
  const root = mapDataPath(config.data, options.dataRoot);
  const dataset = await loadDataset({
    root,
    ...(config.testData ? { testRoot: mapDataPath(config.testData, options.dataRoot) } : {}),
    imageSize: config.imageSize,
    resize: config.resize,
    colorMode: config.colorMode,
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  });
  const plan = planSplits(dataset, { testFraction: config.testFraction, valFraction: config.valFraction, imbalance: config.imbalance, seed: config.splitSeed });
  return trainingData(dataset, plan);
}
