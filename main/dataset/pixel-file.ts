/**
 * Decoded pixels that stay on disk because they would not fit in memory: one file of NHWC
 * uint8 images back to back, in the dataset's item order. Training, evaluation and feature
 * extraction read each batch's images from it instead of from one shared buffer, and get the
 * same bytes, so the same numbers.
 *
 * A reader opens the file for one batch and closes it again: training threads come and go, and a
 * descriptor held per thread would outlive the thread (descriptors belong to the process).
 * Reading a batch from the page cache costs milliseconds against the hundreds a training step
 * takes at the sizes where streaming is needed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PixelFile {
  kind: 'pixel-file';
  path: string;
  bytesPerImage: number;
  count: number;
}

/** Where a dataset's decoded pixels are: in one shared buffer, or in a pixel file. */
export type Pixels = Uint8Array | PixelFile;

export function isPixelFile(pixels: Pixels): pixels is PixelFile {
  return !(pixels instanceof Uint8Array);
}

/** Images read at once when a whole source is walked (statistics, fingerprints): about 8 MiB. */
function imagesPerChunk(bytesPerImage: number): number {
  return Math.max(1, Math.floor((8 * 2 ** 20) / bytesPerImage));
}

/**
 * Copies the images `indices` names into `into`, back to back. Neighbouring indices are read
 * with one call: batches in evaluation and feature extraction are runs of consecutive items.
 */
export function readImages(file: PixelFile, indices: ArrayLike<number>, into: Uint8Array): void {
  const bpi = file.bytesPerImage;
  if (into.length < indices.length * bpi) throw new Error('readImages: the target is too small');
  const fd = fs.openSync(file.path, 'r');
  try {
    let k = 0;
    while (k < indices.length) {
      const first = indices[k] as number;
      if (!Number.isInteger(first) || first < 0 || first >= file.count) throw new Error(`image ${first} is not in the pixel file (${file.count} images)`);
      let n = 1;
      while (k + n < indices.length && indices[k + n] === first + n && first + n < file.count) n++;
      const want = n * bpi;
      const got = fs.readSync(fd, into, k * bpi, want, first * bpi);
      if (got !== want) throw new Error(`the pixel file ${file.path} is shorter than its ${file.count} images (it was changed or truncated while in use)`);
      k += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Calls `visit` with the images of `indices` in order, a chunk at a time, from memory or from a pixel file. */
export function forEachImageChunk(pixels: Pixels, bytesPerImage: number, indices: ArrayLike<number>, visit: (images: Uint8Array, count: number) => void): void {
  const perChunk = imagesPerChunk(bytesPerImage);
  const scratch = new Uint8Array(Math.min(perChunk, Math.max(1, indices.length)) * bytesPerImage);
  for (let start = 0; start < indices.length; start += perChunk) {
    const count = Math.min(perChunk, indices.length - start);
    const chunk = Array.from({ length: count }, (_, k) => indices[start + k] as number);
    if (isPixelFile(pixels)) {
      readImages(pixels, chunk, scratch);
    } else {
      chunk.forEach((index, k) => scratch.set(pixels.subarray(index * bytesPerImage, (index + 1) * bytesPerImage), k * bytesPerImage));
    }
    visit(scratch.subarray(0, count * bytesPerImage), count);
  }
}

/** Every byte of a pixel source in order, a chunk at a time (for fingerprints). */
export function forEachPixelChunk(pixels: Pixels, visit: (bytes: Uint8Array) => void): void {
  if (!isPixelFile(pixels)) {
    visit(pixels);
    return;
  }
  const perChunk = imagesPerChunk(pixels.bytesPerImage);
  const scratch = new Uint8Array(Math.min(perChunk, Math.max(1, pixels.count)) * pixels.bytesPerImage);
  const fd = fs.openSync(pixels.path, 'r');
  try {
    for (let start = 0; start < pixels.count; start += perChunk) {
      const want = Math.min(perChunk, pixels.count - start) * pixels.bytesPerImage;
      const got = fs.readSync(fd, scratch, 0, want, start * pixels.bytesPerImage);
      if (got !== want) throw new Error(`the pixel file ${pixels.path} is shorter than its ${pixels.count} images`);
      visit(scratch.subarray(0, want));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The same bytes as forEachPixelChunk, as an async iterable that gives the event loop a turn
 * between chunks (file reads are asynchronous): for the desktop app's main process, which must
 * not freeze while it fingerprints gigabytes. Each chunk is only valid until the next one.
 */
export async function* pixelChunksAsync(pixels: Pixels): AsyncGenerator<Uint8Array> {
  const bytesPerImage = isPixelFile(pixels) ? pixels.bytesPerImage : 1;
  const chunkBytes = imagesPerChunk(bytesPerImage) * bytesPerImage;
  if (!isPixelFile(pixels)) {
    for (let at = 0; at < pixels.length; at += chunkBytes) {
      yield pixels.subarray(at, Math.min(pixels.length, at + chunkBytes));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return;
  }
  const total = pixels.count * pixels.bytesPerImage;
  const scratch = new Uint8Array(Math.min(chunkBytes, Math.max(1, total)));
  const file = await fs.promises.open(pixels.path, 'r');
  try {
    for (let at = 0; at < total; at += chunkBytes) {
      const want = Math.min(chunkBytes, total - at);
      const { bytesRead } = await file.read(scratch, 0, want, at);
      if (bytesRead !== want) throw new Error(`the pixel file ${pixels.path} is shorter than its ${pixels.count} images`);
      yield scratch.subarray(0, want);
    }
  } finally {
    await file.close();
  }
}

/** Pixel files of this process, removed when it exits (they are scratch, rebuilt from the cache next time). */
const owned = new Set<string>();
let exitHookInstalled = false;

function removeOwnedFiles(): void {
  for (const file of owned) {
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // the temp folder's cleaning takes it
    }
  }
  owned.clear();
}

/**
 * This machine in a pixel file's name: a cache folder shared between machines or containers
 * (NFS, a volume) holds others' files, whose pids mean nothing here.
 */
const HOST = os.hostname().replace(/[^A-Za-z0-9]/g, '').slice(0, 32) || 'host';

/** Pixel files this machine's processes left when they stopped running (a crash, a kill -9): their names carry host and pid. */
function removeOrphans(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^losslab-pixels-([A-Za-z0-9]+)-(\d+)-[0-9a-f]+\.u8$/.exec(name);
    if (!match || match[1] !== HOST || Number(match[2]) === process.pid) continue;
    try {
      process.kill(Number(match[2]), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}

/** Free bytes on the file system holding `dir`, or null where Node cannot tell. */
export function freeBytes(dir: string): number | null {
  try {
    const stats = fs.statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

/** Writes images by position into a new pixel file of `count` images, then hands it over. */
export class PixelFileWriter {
  readonly path: string;
  private fd: number | null;

  constructor(dir: string, readonly bytesPerImage: number, readonly count: number) {
    fs.mkdirSync(dir, { recursive: true });
    removeOrphans(dir);
    this.path = path.join(dir, `losslab-pixels-${HOST}-${process.pid}-${Math.random().toString(16).slice(2, 10)}.u8`);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', removeOwnedFiles);
    }
    this.fd = fs.openSync(this.path, 'w+');
    owned.add(this.path);
    try {
      // Sized up front so every position can be written in any order; most file systems make it
      // sparse, so the caller checks the free space first (a full disk still fails as ENOSPC).
      fs.ftruncateSync(this.fd, bytesPerImage * count);
    } catch (error) {
      this.remove(); // a file system that cannot hold it (FAT32's 4 GiB, a quota): nothing left behind
      throw error;
    }
  }

  write(index: number, bytes: Uint8Array): void {
    if (this.fd === null) throw new Error('the pixel file is finished');
    if (bytes.length !== this.bytesPerImage) throw new Error(`an image of ${bytes.length} bytes in a pixel file of ${this.bytesPerImage}-byte images`);
    fs.writeSync(this.fd, bytes, 0, bytes.length, index * this.bytesPerImage);
  }

  read(index: number, into: Uint8Array = new Uint8Array(this.bytesPerImage)): Uint8Array {
    if (this.fd === null) throw new Error('the pixel file is finished');
    fs.readSync(this.fd, into, 0, this.bytesPerImage, index * this.bytesPerImage);
    return into;
  }

  /**
   * Keeps the images of `slots` (ascending) as images 0, 1, …, each turned into `outBytes`
   * bytes by `convert` (or copied), then cuts the file to size. Done in place, with no second
   * file: k ≤ slots[k] and outBytes ≤ bytesPerImage, so image k's new bytes end before any later
   * image's old bytes begin, and each image is read before anything is written over it.
   */
  compact(slots: readonly number[], outBytes: number, convert?: (source: Uint8Array, target: Uint8Array) => void): PixelFile {
    if (this.fd === null) throw new Error('the pixel file is finished');
    if (outBytes > this.bytesPerImage) throw new Error('compact: images cannot grow');
    const source = new Uint8Array(this.bytesPerImage);
    const target = new Uint8Array(outBytes);
    slots.forEach((slot, k) => {
      if (slot < k || (k > 0 && slot <= (slots[k - 1] as number))) throw new Error('compact: slots must be ascending');
      this.read(slot, source);
      if (convert) convert(source, target);
      else target.set(source.subarray(0, outBytes));
      fs.writeSync(this.fd!, target, 0, outBytes, k * outBytes);
    });
    fs.ftruncateSync(this.fd, slots.length * outBytes);
    fs.closeSync(this.fd);
    this.fd = null;
    return { kind: 'pixel-file', path: this.path, bytesPerImage: outBytes, count: slots.length };
  }

  finish(): PixelFile {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    return { kind: 'pixel-file', path: this.path, bytesPerImage: this.bytesPerImage, count: this.count };
  }

  /** Abandons the file (a failed load, or a working file replaced by the final one). */
  remove(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    fs.rmSync(this.path, { force: true });
    owned.delete(this.path);
  }
}

/** Pixels that must be in memory (small datasets, tests): refused with a message when they are in a pixel file. */
export function inMemory(pixels: Pixels): Uint8Array {
  if (isPixelFile(pixels)) throw new Error(`the pixels are in a pixel file (${pixels.path}), not in memory`);
  return pixels;
}

/** Every byte of a pixel source as one array (memory permitting): for comparisons. */
export function allPixelBytes(pixels: Pixels): Uint8Array {
  if (!isPixelFile(pixels)) return pixels;
  const bytes = new Uint8Array(pixels.count * pixels.bytesPerImage);
  let at = 0;
  forEachPixelChunk(pixels, (chunk) => {
    bytes.set(chunk, at);
    at += chunk.length;
  });
  return bytes;
}

/**
 * Removes a pixel file once nothing reads it (a study finished, a preview only needed the
 * items): long-lived processes (the app, `serve`, workers) must not keep gigabytes of scratch
 * until they exit. Pixels in memory are left to the garbage collector.
 */
export function releasePixels(pixels: Pixels): void {
  if (!isPixelFile(pixels) || !owned.has(pixels.path)) return;
  try {
    fs.rmSync(pixels.path, { force: true });
    owned.delete(pixels.path);
  } catch {
    // In use elsewhere (Windows) or already gone: the exit hook tries again. A study's results
    // must never be lost to a scratch file that could not be removed.
  }
}
