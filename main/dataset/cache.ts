/**
 * On-disk cache of decoded pixels, so reopening a dataset costs a scan plus one sequential
 * read instead of a decode per image.
 *
 * One cache file per (dataset roots, preprocessing settings). Layout:
 *
 *   bytes 0..8     magic "LLPIX001" (format version in the last three characters)
 *   bytes 8..12    header length H, uint32 little-endian
 *   bytes 12..44   SHA-256 of the header bytes
 *   bytes 44..44+H header, UTF-8 JSON: settings, bytes per image, and one entry per file:
 *                  identity (absolute path, size, mtime) plus either a pixel digest and gray
 *                  flag, or the reason the file was skipped (so hopeless files are not
 *                  re-decoded on every open)
 *   then           the pixels of every pixel entry, in header order, bytesPerImage each
 *
 * Nothing read from the file is trusted: a bad magic, header checksum, settings mismatch or
 * total length discards the whole file; each image's pixels are re-hashed on read and an image
 * whose digest differs is decoded again. A file whose size or mtime changed is a miss.
 * Writes go to a temporary file that is flushed and renamed over the old one, so a crash
 * leaves either the old cache or the new one, never half of one.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HEADERED_PREFIX_BYTES, writeHeaderedFileAtomic } from '../util/headered-file';
import type { ResizePolicy } from './types';

const MAGIC = 'LLPIX001';
const PREFIX_BYTES = HEADERED_PREFIX_BYTES;
/** Header size above which the file is assumed corrupt rather than trusted with a huge allocation. */
const MAX_HEADER_BYTES = 512 * 2 ** 20;
/** Reads and writes move pixels in chunks of about this size: few syscalls, bounded memory. */
const CHUNK_BYTES = 8 * 2 ** 20;

export interface CacheSettings {
  /** Real paths of the dataset root (and test root). */
  roots: string[];
  imageSize: number;
  resize: ResizePolicy;
  /** Channels stored per pixel (1 for grayscale mode; 3 for rgb and auto, which share entries). */
  channels: 1 | 3;
  maxPixels: number;
}

export interface FileIdentity {
  absolutePath: string;
  size: number;
  mtimeMs: number;
}

interface PixelEntryJson { p: string; s: number; m: number; g: 0 | 1; d: string }
interface SkipEntryJson { p: string; s: number; m: number; r: string }
type EntryJson = PixelEntryJson | SkipEntryJson;

interface HeaderJson {
  settings: string;
  bytesPerImage: number;
  entries: EntryJson[];
}

export type CacheHit =
  | { kind: 'pixels'; offset: number; gray: boolean; digest: string }
  | { kind: 'skip'; reason: string };

/** A pixel entry to write: its bytes and, when known from a verified read, its digest. */
export type CacheRecord =
  | (FileIdentity & { kind: 'pixels'; gray: boolean; pixels: Uint8Array | (() => Uint8Array); digest?: string })
  | (FileIdentity & { kind: 'skip'; reason: string });

function settingsKey(settings: CacheSettings): string {
  return JSON.stringify([settings.roots, settings.imageSize, settings.resize, settings.channels, settings.maxPixels]);
}

export function pixelDigest(pixels: Uint8Array): string {
  return createHash('sha256').update(pixels).digest('hex').slice(0, 32);
}

/** The cache file for a dataset and preprocessing settings; the name is a hash, so any path is safe. */
export function cacheFileFor(cacheDir: string, settings: CacheSettings): string {
  const hash = createHash('sha256').update(settingsKey(settings)).digest('hex').slice(0, 24);
  return path.join(cacheDir, `pixels-${hash}.llcache`);
}

function isPixelEntry(entry: EntryJson): entry is PixelEntryJson {
  return typeof (entry as PixelEntryJson).d === 'string';
}

function validEntry(entry: unknown): entry is EntryJson {
  if (typeof entry !== 'object' || entry === null) return false;
  const e = entry as Record<string, unknown>;
  if (typeof e.p !== 'string' || typeof e.s !== 'number' || typeof e.m !== 'number') return false;
  return (typeof e.d === 'string' && (e.g === 0 || e.g === 1)) || typeof e.r === 'string';
}

export class PixelCache {
  /** Entries or whole files that failed validation (and so will be rebuilt). */
  rejected = 0;
  private readonly byPath = new Map<string, { entry: EntryJson; offset: number }>();

  private constructor(readonly file: string, readonly bytesPerImage: number) {}

  /** Opens the cache file; a missing or invalid file gives an empty cache (never an error). */
  static async open(file: string, settings: CacheSettings, bytesPerImage: number): Promise<PixelCache> {
    const cache = new PixelCache(file, bytesPerImage);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch {
      return cache;
    }
    try {
      const fileSize = (await handle.stat()).size;
      const prefix = Buffer.alloc(PREFIX_BYTES);
      const valid = await (async (): Promise<HeaderJson | undefined> => {
        if (fileSize < PREFIX_BYTES) return undefined;
        await handle.read(prefix, 0, PREFIX_BYTES, 0);
        if (prefix.toString('latin1', 0, 8) !== MAGIC) return undefined;
        const headerBytes = prefix.readUInt32LE(8);
        if (headerBytes > MAX_HEADER_BYTES || PREFIX_BYTES + headerBytes > fileSize) return undefined;
        const header = Buffer.alloc(headerBytes);
        await handle.read(header, 0, headerBytes, PREFIX_BYTES);
        if (!createHash('sha256').update(header).digest().equals(prefix.subarray(12, 44))) return undefined;
        let parsed: unknown;
        try {
          parsed = JSON.parse(header.toString('utf8'));
        } catch {
          return undefined;
        }
        const h = parsed as HeaderJson;
        if (typeof h !== 'object' || h === null || h.settings !== settingsKey(settings) || h.bytesPerImage !== bytesPerImage || !Array.isArray(h.entries)) return undefined;
        if (!h.entries.every(validEntry)) return undefined;
        const pixelEntries = h.entries.filter(isPixelEntry).length;
        if (fileSize !== PREFIX_BYTES + headerBytes + pixelEntries * bytesPerImage) return undefined;
        return h;
      })();
      if (!valid) {
        cache.rejected = 1;
        return cache;
      }
      let offset = PREFIX_BYTES + prefix.readUInt32LE(8);
      for (const entry of valid.entries) {
        cache.byPath.set(entry.p, { entry, offset: isPixelEntry(entry) ? offset : -1 });
        if (isPixelEntry(entry)) offset += bytesPerImage;
      }
    } catch {
      cache.byPath.clear();
      cache.rejected = 1;
    } finally {
      await handle.close().catch(() => undefined);
    }
    return cache;
  }

  get size(): number {
    return this.byPath.size;
  }

  /** The cached outcome for a file, if the cache holds one for exactly this size and mtime. */
  lookup(identity: FileIdentity): CacheHit | undefined {
    const found = this.byPath.get(identity.absolutePath);
    if (!found || found.entry.s !== identity.size || found.entry.m !== identity.mtimeMs) return undefined;
    const entry = found.entry;
    return isPixelEntry(entry)
      ? { kind: 'pixels', offset: found.offset, gray: entry.g === 1, digest: entry.d }
      : { kind: 'skip', reason: entry.r };
  }

  /**
   * Copies cached pixels into their targets, verifying each image's digest.
   * Returns the indices (into `reads`) whose bytes could not be read or did not verify.
   */
  async readInto(reads: Array<{ offset: number; digest: string; target: Uint8Array }>): Promise<number[]> {
    const failed: number[] = [];
    if (reads.length === 0) return failed;
    const order = reads.map((_, i) => i).sort((a, b) => (reads[a]?.offset ?? 0) - (reads[b]?.offset ?? 0));
    const bpi = this.bytesPerImage;
    const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / bpi));
    const scratch = Buffer.alloc(Math.min(perChunk, reads.length) * bpi);
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(this.file, 'r');
    } catch {
      return order;
    }
    try {
      let i = 0;
      while (i < order.length) {
        // Gather a run of entries that lie back to back in the file: one read serves them all.
        const first = reads[order[i] as number] as { offset: number };
        let n = 1;
        while (n < perChunk && i + n < order.length && (reads[order[i + n] as number] as { offset: number }).offset === first.offset + n * bpi) n++;
        let got = 0;
        try {
          got = (await handle.read(scratch, 0, n * bpi, first.offset)).bytesRead;
        } catch {
          got = 0;
        }
        for (let k = 0; k < n; k++) {
          const index = order[i + k] as number;
          const read = reads[index] as { digest: string; target: Uint8Array };
          const bytes = scratch.subarray(k * bpi, (k + 1) * bpi);
          if ((k + 1) * bpi > got || pixelDigest(bytes) !== read.digest) {
            failed.push(index);
            this.rejected++;
            continue;
          }
          read.target.set(bytes);
        }
        i += n;
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
    return failed;
  }
}

/** A record's pixels: held, or read when needed (a load whose pixels are in a pixel file). */
function pixelsOf(record: { pixels: Uint8Array | (() => Uint8Array) }): Uint8Array {
  return typeof record.pixels === 'function' ? record.pixels() : record.pixels;
}

/** Writes a complete cache file atomically (temporary file, fsync, rename). */
export async function writeCache(file: string, settings: CacheSettings, bytesPerImage: number, records: CacheRecord[]): Promise<void> {
  const entries: EntryJson[] = records.map((r) => r.kind === 'pixels'
    ? { p: r.absolutePath, s: r.size, m: r.mtimeMs, g: r.gray ? 1 : 0, d: r.digest ?? pixelDigest(pixelsOf(r)) }
    : { p: r.absolutePath, s: r.size, m: r.mtimeMs, r: r.reason });
  const header = Buffer.from(JSON.stringify({ settings: settingsKey(settings), bytesPerImage, entries } satisfies HeaderJson), 'utf8');
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / bytesPerImage));
  const pixels = records.filter((r): r is Extract<CacheRecord, { kind: 'pixels' }> => r.kind === 'pixels');
  await writeHeaderedFileAtomic(file, MAGIC, header, async (handle) => {
    for (let i = 0; i < pixels.length; i += perChunk) {
      await handle.write(Buffer.concat(pixels.slice(i, i + perChunk).map(pixelsOf)));
    }
  });
}
