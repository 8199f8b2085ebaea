/**
 * loadDataset: scan a folder, decode every image to S×S (through the pixel cache when one is
 * configured) and return the pixels in one SharedArrayBuffer that worker threads can share, or,
 * when they would take more memory than LossLab allows itself, in a pixel file read batch by batch.
 *
 * Class order is the class folder names sorted by Unicode code point (see names.ts), so a
 * class's index never depends on the machine's locale or file system order.
 *
 * Per-file problems never fail a load: the file is skipped and listed with its reason. Only
 * problems with the dataset as a whole (missing folder, fewer than two classes, a class with
 * no readable image, mismatched split folders) throw a DatasetError.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CacheRecord, cacheFileFor, PixelCache, writeCache, type CacheSettings } from './cache';
import { decodeImage, type DecodeSettings } from './decode';
import { DatasetError } from './errors';
import { printable } from './names';
import { freeBytes, PixelFileWriter, type Pixels } from './pixel-file';
import { forEachBounded, throttle } from './pool';
import { scanDataset, type ScannedFile } from './scan';
import type { ColorMode, ImageItem, LoadedDataset, LoadOptions, LoadProgress, ResizePolicy, SkippedFile } from './types';

export const DEFAULT_MAX_PIXELS = 50_000_000;
export const DEFAULT_MAX_FILE_BYTES = 256 * 2 ** 20;
/** Per-image decode timeout; generous, since it exists only to stop a hang. */
const DECODE_TIMEOUT_SECONDS = 60;
const MAX_IMAGE_SIZE = 1024;
const RESIZE_POLICIES: ResizePolicy[] = ['center-crop', 'squash', 'letterbox'];
const COLOR_MODES: ColorMode[] = ['auto', 'rgb', 'grayscale'];

/**
 * Decodes in flight at once. sharp decodes on libuv's thread pool (4 threads by default) and
 * reading files uses the same pool, so one more task than cores keeps the cores busy while a
 * file is being read; more only adds memory.
 */
export function defaultConcurrency(): number {
  return Math.max(2, Math.min(8, os.availableParallelism() + 1));
}

/**
 * Pixels may take at most half the machine's memory (training needs the rest); above that they
 * stay on disk in a pixel file. LOSSLAB_PIXEL_MEMORY_MB sets another limit.
 */
export function pixelMemoryBudget(env: NodeJS.ProcessEnv = process.env): number {
  const megabytes = Number(env.LOSSLAB_PIXEL_MEMORY_MB);
  return Number.isFinite(megabytes) && megabytes > 0 ? megabytes * 2 ** 20 : os.totalmem() / 2;
}

/** Cached images copied at once into a pixel file: bounded memory whatever the dataset's size. */
const STREAM_READ_GROUP = 64;

/**
 * The decoded images by slot while a load runs: in one SharedArrayBuffer, or in a pixel file
 * when the pixels would not fit in memory.
 */
interface SlotStore {
  put(slot: number, bytes: Uint8Array): void;
  /** The slot's bytes: a view into memory, or a fresh copy read from the file. */
  get(slot: number): Uint8Array;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function badOption(what: string, hint: string): DatasetError {
  return new DatasetError('bad-option', what, hint);
}

function validate(options: LoadOptions): void {
  const { imageSize, resize, colorMode, concurrency, maxPixels, maxFileBytes } = options;
  if (!Number.isInteger(imageSize) || imageSize < 1 || imageSize > MAX_IMAGE_SIZE) {
    throw badOption(`Image size ${String(imageSize)} is not valid.`, `Use a whole number of pixels from 1 to ${MAX_IMAGE_SIZE} (e.g. 32 or 64).`);
  }
  if (!RESIZE_POLICIES.includes(resize)) {
    throw badOption(`Resize policy "${String(resize)}" is not known.`, `Use one of: ${RESIZE_POLICIES.join(', ')}.`);
  }
  if (!COLOR_MODES.includes(colorMode)) {
    throw badOption(`Colour mode "${String(colorMode)}" is not known.`, `Use one of: ${COLOR_MODES.join(', ')}.`);
  }
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)) {
    throw badOption(`Decode concurrency ${String(concurrency)} is not valid.`, 'Use a whole number from 1 to 256.');
  }
  if (maxPixels !== undefined && (!Number.isFinite(maxPixels) || maxPixels < 1)) {
    throw badOption(`Pixel limit ${String(maxPixels)} is not valid.`, 'Use a positive number of pixels (default 50 megapixels).');
  }
  if (maxFileBytes !== undefined && (!Number.isFinite(maxFileBytes) || maxFileBytes < 1)) {
    throw badOption(`File size limit ${String(maxFileBytes)} is not valid.`, 'Use a positive number of bytes.');
  }
}

function fingerprintOf(items: ImageItem[], files: ScannedFile[], settings: object): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(settings));
  items.forEach((item, i) => {
    const f = files[i] as ScannedFile;
    hash.update(`\n${f.fromTestRoot ? 1 : 0}\t${item.given}\t${item.classIndex}\t${item.file}\t${f.size}\t${f.mtimeMs}`);
  });
  return hash.digest('hex').slice(0, 32);
}

/** Takes the mean of R, G, B for each pixel; used only when every image is gray, so nothing is lost. */
function rgbToGray(rgb: Uint8Array, gray: Uint8Array): void {
  for (let p = 0, q = 0; q < gray.length; p += 3, q++) {
    gray[q] = Math.round(((rgb[p] as number) + (rgb[p + 1] as number) + (rgb[p + 2] as number)) / 3);
  }
}

function emptyClassError(classes: string[], empty: number[], scanRoot: string, layout: 'classes' | 'splits', skipped: SkippedFile[], skippedClass: Map<SkippedFile, string>): DatasetError {
  const describe = (c: number): string => {
    const name = classes[c] as string;
    const reasons = new Map<string, number>();
    for (const s of skipped) {
      if (skippedClass.get(s) !== name) continue;
      const short = s.reason.split(' (')[0]?.split(';')[0] ?? s.reason;
      reasons.set(short, (reasons.get(short) ?? 0) + 1);
    }
    const where = layout === 'classes' ? path.join(scanRoot, name) : `${path.join(scanRoot, '<split>', name)}`;
    const detail = reasons.size ? `${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')}` : 'the folder holds no files';
    return `"${printable(name)}" (${where}: ${detail})`;
  };
  const shown = empty.slice(0, 5).map(describe).join('; ');
  const more = empty.length > 5 ? ` and ${empty.length - 5} more` : '';
  const noun = empty.length === 1 ? 'Class' : `${empty.length} classes`;
  return new DatasetError('empty-class', `${noun} with no readable image: ${shown}${more}.`,
    'Add readable JPEG, PNG, WebP, GIF, TIFF or AVIF images to each such folder, or remove it.',
    layout === 'classes' && empty.length === 1 ? path.join(scanRoot, classes[empty[0] as number] as string) : scanRoot);
}

export async function loadDataset(options: LoadOptions): Promise<LoadedDataset> {
  validate(options);
  const started = performance.now();
  const { imageSize, resize, colorMode, signal } = options;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const concurrency = options.concurrency ?? defaultConcurrency();
  const scanProgress = throttle<LoadProgress>(options.onProgress);
  const decodeProgress = throttle<LoadProgress>(options.onProgress);

  const scan = await scanDataset(options.root, options.testRoot, {
    ...(signal ? { signal } : {}),
    onFound: (n) => scanProgress.push({ phase: 'scan', done: n, total: n, cached: 0 }),
  });
  const files = scan.files;
  scanProgress.push({ phase: 'scan', done: files.length, total: files.length, cached: 0 }, true);

  const classIndex = new Map(scan.classes.map((name, i) => [name, i]));
  const stored: 1 | 3 = colorMode === 'grayscale' ? 1 : 3;
  const bytesPerImage = imageSize * imageSize * stored;
  const decodeSettings: DecodeSettings = {
    imageSize, resize, channels: stored, maxPixels,
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    timeoutSeconds: DECODE_TIMEOUT_SECONDS,
  };
  const cacheSettings: CacheSettings = { roots: scan.realRoots, imageSize, resize, channels: stored, maxPixels };
  const cacheFile = options.cacheDir !== undefined ? cacheFileFor(path.resolve(options.cacheDir), cacheSettings) : undefined;
  const cache = cacheFile ? await PixelCache.open(cacheFile, cacheSettings, bytesPerImage) : undefined;

  // Per file: a skip reason, or a slot in the working buffer plus its gray flag.
  const reason: Array<string | undefined> = new Array(files.length);
  const reasonCacheable: boolean[] = new Array(files.length).fill(true);
  const gray: boolean[] = new Array(files.length).fill(false);
  const digest: Array<string | undefined> = new Array(files.length);
  const hits = files.map((f) => cache?.lookup(f));
  let cached = 0;
  hits.forEach((hit, i) => {
    if (hit?.kind === 'skip') {
      reason[i] = hit.reason;
      cached++;
    }
  });
  const slot = new Int32Array(files.length).fill(-1);
  let slots = 0;
  files.forEach((_, i) => {
    if (reason[i] === undefined) slot[i] = slots++;
  });
  const needed = slots * bytesPerImage;
  const budget = options.pixelMemoryBytes ?? pixelMemoryBudget();
  // Too large to hold: the pixels go to a pixel file beside the cache (or in the temp folder).
  const streamDir = path.resolve(options.cacheDir ?? os.tmpdir());
  let spill: PixelFileWriter | null = null;
  let working: Uint8Array | null = null;
  if (needed > budget) {
    const free = freeBytes(fs.existsSync(streamDir) ? streamDir : path.dirname(streamDir));
    // The pixel file, and a rewritten cache file beside it (as large again) when one is kept.
    const room = cacheFile ? 2 * needed : needed;
    if (free !== null && free < room * 1.05) {
      throw new DatasetError('too-large', `Decoded pixels would need ${gib(needed)} (${slots} images of ${imageSize}×${imageSize}×${stored}): more than LossLab holds in memory on this machine (${gib(budget)}), and ${streamDir} has only ${gib(free)} free to keep them on disk.`,
        'Free disk space there (or use another cache folder), use a smaller image size, or a subset of the images.', scan.root);
    }
    try {
      spill = new PixelFileWriter(streamDir, bytesPerImage, slots);
    } catch (error) {
      throw new DatasetError('too-large', `LossLab could not make a file of ${gib(needed)} in ${streamDir} to keep the decoded pixels in (more than it holds in memory on this machine): ${(error as Error).message}.`,
        'Use a cache folder on a disk that can hold such a file, a smaller image size, or a subset of the images.', scan.root);
    }
  } else {
    working = new Uint8Array(new SharedArrayBuffer(Math.max(1, slots * bytesPerImage)), 0, slots * bytesPerImage);
  }
  try {
    const store: SlotStore = spill
      ? { put: (at, bytes) => spill!.write(at, bytes), get: (at) => spill!.read(at) }
      : { put: (at, bytes) => working!.set(bytes, at * bytesPerImage), get: (at) => working!.subarray(at * bytesPerImage, (at + 1) * bytesPerImage) };
    const slotOf = (i: number): number => slot[i] as number;

    // Cached pixels first, verified; what fails verification joins the files to decode.
    const pending: number[] = [];
    const reads: Array<{ offset: number; digest: string }> = [];
    const readFile: number[] = [];
    hits.forEach((hit, i) => {
      if (hit?.kind === 'pixels') {
        reads.push({ offset: hit.offset, digest: hit.digest });
        readFile.push(i);
      } else if (hit === undefined) {
        pending.push(i);
      }
    });
    const failedReads = new Set<number>();
    if (cache && working) {
      for (const k of await cache.readInto(reads.map((read, k) => ({ ...read, target: store.get(slotOf(readFile[k] as number)) })))) failedReads.add(k);
    } else if (cache) {
      // Into a pixel file: a group at a time through one small buffer.
      const group = new Uint8Array(STREAM_READ_GROUP * bytesPerImage);
      for (let start = 0; start < reads.length; start += STREAM_READ_GROUP) {
        const part = reads.slice(start, start + STREAM_READ_GROUP);
        const failed = new Set(await cache.readInto(part.map((read, k) => ({ ...read, target: group.subarray(k * bytesPerImage, (k + 1) * bytesPerImage) }))));
        part.forEach((_, k) => {
          if (failed.has(k)) failedReads.add(start + k);
          else store.put(slotOf(readFile[start + k] as number), group.subarray(k * bytesPerImage, (k + 1) * bytesPerImage));
        });
      }
    }
    readFile.forEach((i, k) => {
      if (failedReads.has(k)) {
        pending.push(i);
      } else {
        const hit = hits[i] as { gray: boolean; digest: string };
        gray[i] = hit.gray;
        digest[i] = hit.digest;
        cached++;
      }
    });
    pending.sort((a, b) => a - b);

    let done = cached;
    decodeProgress.push({ phase: 'decode', done, total: files.length, cached });
    await forEachBounded(pending.length, concurrency, async (k) => {
      const i = pending[k] as number;
      const file = files[i] as ScannedFile;
      const result = await decodeImage(file.absolutePath, file.size, decodeSettings);
      if (result.ok) {
        store.put(slotOf(i), result.pixels);
        gray[i] = result.gray;
      } else {
        reason[i] = result.reason;
        reasonCacheable[i] = result.cacheable;
      }
      done++;
      decodeProgress.push({ phase: 'decode', done, total: files.length, cached });
    }, signal);
    decodeProgress.push({ phase: 'decode', done, total: files.length, cached }, true);

    // Assemble items and the skipped list in file order.
    const items: ImageItem[] = [];
    const itemFiles: ScannedFile[] = [];
    const itemSlots: number[] = [];
    const itemFileIndex: number[] = [];
    const skipped: SkippedFile[] = [...scan.skipped];
    const skippedClass = new Map<SkippedFile, string>();
    const classCounts = new Array<number>(scan.classes.length).fill(0);
    files.forEach((file, i) => {
      const why = reason[i];
      if (why !== undefined) {
        const entry: SkippedFile = { file: file.file, reason: why, absolutePath: file.absolutePath };
        skipped.push(entry);
        skippedClass.set(entry, file.className);
        return;
      }
      const c = classIndex.get(file.className) as number;
      classCounts[c] = (classCounts[c] ?? 0) + 1;
      items.push({ file: file.file, absolutePath: file.absolutePath, classIndex: c, given: file.given });
      itemFiles.push(file);
      itemSlots.push(slot[i] as number);
      itemFileIndex.push(i);
    });

    // Save what was learned before judging the result, so a failing dataset reopens fast after a fix.
    let cacheWriteError: string | undefined;
    if (cache && cacheFile) {
      const changed = pending.length > 0 || cache.rejected > 0 || cache.size !== files.filter((_, i) => reasonCacheable[i]).length;
      if (changed) {
        const records: CacheRecord[] = [];
        files.forEach((file, i) => {
          const id = { absolutePath: file.absolutePath, size: file.size, mtimeMs: file.mtimeMs };
          const why = reason[i];
          if (why !== undefined) {
            if (reasonCacheable[i]) records.push({ ...id, kind: 'skip', reason: why });
          } else {
            const d = digest[i];
            // From a pixel file, each image is read when its chunk is written, not all at once.
            records.push({ ...id, kind: 'pixels', gray: gray[i] as boolean, pixels: working ? store.get(slotOf(i)) : () => store.get(slotOf(i)), ...(d ? { digest: d } : {}) });
          }
        });
        try {
          await writeCache(cacheFile, cacheSettings, bytesPerImage, records);
        } catch (error) {
          cacheWriteError = error instanceof Error ? error.message : String(error);
        }
      }
    }

    const empty = classCounts.map((n, c) => (n === 0 ? c : -1)).filter((c) => c >= 0);
    if (empty.length > 0) throw emptyClassError(scan.classes, empty, scan.root, scan.layout, skipped, skippedClass);

    // Final buffer: compact away skipped slots and, in auto mode, drop to one channel if all gray.
    const allGray = itemFileIndex.every((i) => gray[i]);
    const channels: 1 | 3 = colorMode === 'grayscale' ? 1 : colorMode === 'rgb' ? 3 : allGray ? 1 : 3;
    const outBytes = imageSize * imageSize * channels;
    let pixels: Pixels;
    if (channels === stored && items.length === slots) {
      pixels = spill ? spill.finish() : new Uint8Array(working!.buffer as SharedArrayBuffer, 0, slots * bytesPerImage);
    } else if (spill) {
      pixels = spill.compact(itemSlots, outBytes, channels === stored ? undefined : rgbToGray);
    } else {
      const memory = new Uint8Array(new SharedArrayBuffer(items.length * outBytes));
      itemSlots.forEach((s, k) => {
        const source = store.get(s);
        const target = memory.subarray(k * outBytes, (k + 1) * outBytes);
        if (channels === stored) target.set(source);
        else rgbToGray(source, target);
      });
      pixels = memory;
    }

    const settings = { imageSize, resize, colorMode, channels, maxPixels };
    return {
      root: scan.root,
      ...(scan.testRoot !== undefined ? { testRoot: scan.testRoot } : {}),
      classes: scan.classes,
      imageSize,
      channels,
      items,
      pixels,
      skipped,
      classCounts,
      fingerprint: fingerprintOf(items, itemFiles, settings),
      resize,
      colorMode,
      loadStats: {
        filesFound: files.length,
        decoded: pending.length,
        cached,
        cacheRejected: cache?.rejected ?? 0,
        ...(cacheFile ? { cacheFile } : {}),
        ...(cacheWriteError !== undefined ? { cacheWriteError } : {}),
        seconds: (performance.now() - started) / 1000,
      },
    };
  } catch (error) {
    // Nothing half-made is left behind: the pixel file of a load that failed goes with it.
    try {
      spill?.remove();
    } catch {
      // left to the exit hook
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new DatasetError('too-large', `The disk holding ${streamDir} ran out of space while LossLab kept the decoded pixels there (${gib(needed)}; more than it holds in memory on this machine).`,
        'Free disk space there (or use another cache folder), use a smaller image size, or a subset of the images.', scan.root);
    }
    throw error;
  }
}
