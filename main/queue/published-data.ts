import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { isPixelFile } from '../dataset/pixel-file';
import type { TrainingData } from '../engine/types';
import { pixelsFingerprint, trainingDataFingerprint } from './run-data';

/**
 * The second way a study's data reaches its workers: the study publishes its decoded data and
 * workers fetch it instead of reading and decoding the dataset themselves.
 *
 * Two content-addressed blobs: the pixels (by pixelsFingerprint) and the split (labels,
 * train/val/test, class counts, normalisation; small) by trainingDataFingerprint, which hashes
 * both. The settings of an imbalance sweep share their pixels and differ only in the split, so
 * Redis holds the pixels once, and a worker fetches them once. A worker recomputes both
 * fingerprints after fetching: a blob that was cut, corrupted or swapped never trains a run.
 *
 * Blobs travel in Redis (chunked: Redis strings stop at 512 MB, and smaller values keep Redis
 * responsive to everyone else) or, when large, through a folder every machine mounts.
 */

type BlobKind = 'pixels' | 'split';
const MAGIC: Record<BlobKind, string> = { pixels: 'LLPX2\n', split: 'LLSP1\n' };
/** The same length for both, so a prefix is read before the kind is known to be right. */
const PREFIX_BYTES = 6 + 4;

/**
 * Redis values are written and read in pieces of this size: just under 4 MiB, because Redis's
 * allocator rounds a value of 4 MiB plus its header up to 5 MiB (measured: 25% more memory).
 */
export const CHUNK_BYTES = 4 * 1024 * 1024 - 4096;
/** Published pixels larger than this are refused in Redis and need a shared folder (LOSSLAB_MAX_REDIS_DATA_MB overrides). */
export const DEFAULT_MAX_REDIS_BYTES = 1024 * 1024 * 1024;
/** A blob nobody re-publishes leaves Redis after a week; each study on the same data renews it. */
const BLOB_TTL_S = 7 * 24 * 3600;
/** While chunks are uploaded they live this long: an upload cut off leaves nothing for a week. */
const UPLOAD_TTL_S = 3600;
/** File reads and writes move at most this much per call (one call stops short of 2 GiB). */
const IO_BYTES = 64 * 2 ** 20;

/** The content addresses of a study's published data. */
export interface DataAddress {
  /** trainingDataFingerprint: pixels, labels, split and normalisation. */
  data: string;
  /** pixelsFingerprint: the decoded images alone. */
  pixels: string;
}

export function addressOf(data: TrainingData): DataAddress {
  return { data: trainingDataFingerprint(data), pixels: pixelsFingerprint(data) };
}

/** Where published data lives; `shared` is the folder as this machine sees it. */
export type PublishedLocation = { where: 'redis' } | { where: 'shared'; folder: string };

function redisKey(kind: BlobKind, fingerprint: string, part: number | 'meta'): string {
  return `losslab:${kind}:${fingerprint}:${part}`;
}

/** A blob's file name in a shared folder: its kind and fingerprint only, so no path ever comes from the queue. */
export function sharedBlobPath(folder: string, kind: BlobKind, fingerprint: string): string {
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new Error('a data fingerprint is 64 hex digits');
  return path.join(folder, `${fingerprint}.losslab-${kind}`);
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

/**
 * A blob as its parts, in order: magic, header length, JSON header (with each array's byte
 * length), then the arrays, each starting on a 4-byte boundary. Kept apart so a large blob is
 * written to a file part by part instead of joined into one buffer (Node's stop at a few GiB).
 */
function blobParts(kind: BlobKind, header: object, arrays: Uint8Array[]): Uint8Array[] {
  const head = Buffer.from(JSON.stringify({ ...header, byteLengths: arrays.map((array) => array.length) }), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(MAGIC[kind], 0, 'latin1');
  prefix.writeUInt32LE(head.length, MAGIC[kind].length);
  const parts: Uint8Array[] = [prefix, head, new Uint8Array(pad4(prefix.length + head.length))];
  for (const array of arrays) parts.push(array, new Uint8Array(pad4(array.length)));
  return parts;
}

function bytesOf(array: Uint8Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function pixelsOf(data: TrainingData): Uint8Array {
  if (data.features) throw new Error("a frozen backbone's features are not published; such studies train locally");
  if (isPixelFile(data.pixels)) {
    throw new Error('The decoded data is larger than this machine holds in memory (it is read from a pixel file on disk), too large to publish; let the workers read the dataset themselves (leave out --publish-data and --data-share; in the app, untick "send the images through Redis").');
  }
  return data.pixels;
}

function pixelsParts(data: TrainingData): Uint8Array[] {
  const pixels = pixelsOf(data);
  return blobParts('pixels', { imageSize: data.imageSize, channels: data.channels }, [pixels]);
}

function splitParts(data: TrainingData): Uint8Array[] {
  const header = { numClasses: data.numClasses, trainCounts: data.trainCounts, channelMean: data.channelMean, channelStd: data.channelStd };
  return blobParts('split', header, [data.labels, data.train, data.val, data.test].map(bytesOf));
}

function sizeOf(parts: Uint8Array[]): number {
  return parts.reduce((sum, part) => sum + part.length, 0);
}

/** Where a blob is read from: a buffer, or a file read piece by piece. */
interface BlobReader {
  size: number;
  readInto(offset: number, target: Uint8Array): void;
}

function bufferReader(bytes: Buffer): BlobReader {
  return {
    size: bytes.length,
    readInto: (offset, target) => {
      if (offset + target.length > bytes.length) throw new Error('the published data is cut short');
      target.set(bytes.subarray(offset, offset + target.length));
    },
  };
}

function fileReader(fd: number, size: number): BlobReader {
  return {
    size,
    readInto: (offset, target) => {
      for (let done = 0; done < target.length; ) {
        const got = fs.readSync(fd, target, done, Math.min(IO_BYTES, target.length - done), offset + done);
        if (got === 0) throw new Error('the published data is cut short');
        done += got;
      }
    },
  };
}

/** A blob's header, and where each of its arrays lies (checked against the blob's size before anything that large is allocated). */
function openBlob(reader: BlobReader, kind: BlobKind): { header: Record<string, unknown>; arrays: { at: number; byteLength: number }[] } {
  const prefix = new Uint8Array(PREFIX_BYTES);
  if (reader.size < PREFIX_BYTES) throw new Error(`the published ${kind} are not a LossLab data blob`);
  reader.readInto(0, prefix);
  const prefixBytes = Buffer.from(prefix);
  if (prefixBytes.toString('latin1', 0, MAGIC[kind].length) !== MAGIC[kind]) throw new Error(`the published ${kind} are not a LossLab data blob`);
  const headLength = prefixBytes.readUInt32LE(MAGIC[kind].length);
  let offset = PREFIX_BYTES;
  if (offset + headLength > reader.size) throw new Error('the published data is cut short');
  const head = new Uint8Array(headLength);
  reader.readInto(offset, head);
  const header = JSON.parse(Buffer.from(head).toString('utf8')) as Record<string, unknown>;
  offset += headLength;
  offset += pad4(offset);
  const lengths = header.byteLengths;
  if (!Array.isArray(lengths)) throw new Error(`the published ${kind} have no array lengths`);
  const arrays = lengths.map((byteLength: unknown) => {
    if (typeof byteLength !== 'number' || !Number.isSafeInteger(byteLength) || byteLength < 0 || offset + byteLength > reader.size) throw new Error('the published data is cut short');
    const at = offset;
    offset += byteLength + pad4(byteLength);
    return { at, byteLength };
  });
  return { header, arrays };
}

/** Decoded pixels and their shape, as published. */
export interface PublishedPixels {
  pixels: Uint8Array;
  imageSize: number;
  channels: 1 | 3;
}

/** Pixels land in a SharedArrayBuffer, as a decoded dataset's do, for the training threads. */
function readPixels(reader: BlobReader): PublishedPixels {
  const { header, arrays } = openBlob(reader, 'pixels');
  const [place] = arrays;
  if (!place || arrays.length !== 1) throw new Error('the published pixels are not one array');
  const pixels = new Uint8Array(new SharedArrayBuffer(Math.max(1, place.byteLength)), 0, place.byteLength);
  reader.readInto(place.at, pixels);
  return { pixels, imageSize: header.imageSize as number, channels: header.channels as 1 | 3 };
}

function readSplit(reader: BlobReader, pixels: PublishedPixels): TrainingData {
  const { header, arrays } = openBlob(reader, 'split');
  if (arrays.length !== 4 || arrays.some((array) => array.byteLength % 4 !== 0)) throw new Error('the published split is not four lists of indices');
  const [labels, train, val, test] = arrays.map(({ at, byteLength }) => {
    const values = new Int32Array(byteLength / 4);
    reader.readInto(at, new Uint8Array(values.buffer));
    return values;
  }) as [Int32Array, Int32Array, Int32Array, Int32Array];
  return {
    ...pixels,
    labels,
    train,
    val,
    test,
    numClasses: header.numClasses as number,
    trainCounts: header.trainCounts as number[],
    channelMean: header.channelMean as number[],
    channelStd: header.channelStd as number[],
  };
}

/** The whole data as one buffer per blob, for tests and Redis. */
export function encodeTrainingData(data: TrainingData): { pixels: Buffer; split: Buffer } {
  return { pixels: Buffer.concat(pixelsParts(data)), split: Buffer.concat(splitParts(data)) };
}

export function decodeTrainingData(blobs: { pixels: Buffer; split: Buffer }): TrainingData {
  return readSplit(bufferReader(blobs.split), readPixels(bufferReader(blobs.pixels)));
}

export function maxRedisBytes(env: NodeJS.ProcessEnv = process.env): number {
  const megabytes = Number(env.LOSSLAB_MAX_REDIS_DATA_MB);
  return Number.isFinite(megabytes) && megabytes > 0 ? megabytes * 1024 * 1024 : DEFAULT_MAX_REDIS_BYTES;
}

function tooLargeForRedis(bytes: number, limitBytes: number): Error {
  return new Error(
    `The decoded pixels are ${(bytes / 2 ** 20).toFixed(0)} MiB, more than the ${(limitBytes / 2 ** 20).toFixed(0)} MiB LossLab puts in Redis. Give --data-share DIR (a folder every worker mounts, given to each worker as --data-share too), or let the workers read the dataset themselves (leave out --publish-data; in the app, untick "send the images through Redis").`,
  );
}

/** Writes a blob to a shared folder part by part, under a temporary name renamed when complete. */
function writeBlobFile(file: string, parts: Uint8Array[]): void {
  const partial = `${file}.${process.pid}.partial`;
  const fd = fs.openSync(partial, 'w');
  try {
    for (const part of parts) {
      for (let done = 0; done < part.length; ) done += fs.writeSync(fd, part, done, Math.min(IO_BYTES, part.length - done));
    }
    fs.closeSync(fd);
    // Renamed only once whole: a worker never reads half a file.
    fs.renameSync(partial, file);
  } catch (error) {
    try {
      fs.closeSync(fd);
    } catch {
      // closed already
    }
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

function withFile<T>(file: string, read: (reader: BlobReader) => T): T {
  const fd = fs.openSync(file, 'r');
  try {
    return read(fileReader(fd, fs.fstatSync(fd).size));
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether a blob file on the share is whole and holds what its name says (read through once). */
function fileHolds(file: string, check: (reader: BlobReader) => boolean): boolean {
  try {
    return fs.existsSync(file) && withFile(file, check);
  } catch {
    return false;
  }
}

/**
 * Puts one blob in Redis under its fingerprint, unless it is there whole already (then only its
 * lifetime is renewed). Chunks live an hour until the last is written; the meta key, written
 * last with every chunk's full lifetime, tells a worker that the blob is complete.
 */
async function storeInRedis(redis: Redis, kind: BlobKind, fingerprint: string, parts: () => Uint8Array[], { limitBytes, chunkBytes }: { limitBytes: number; chunkBytes: number }): Promise<{ bytes: number; uploaded: boolean }> {
  const meta = await redis.get(redisKey(kind, fingerprint, 'meta'));
  if (meta !== null) {
    const { chunks, bytes } = JSON.parse(meta) as { chunks: number; bytes: number };
    const renew = redis.multi().expire(redisKey(kind, fingerprint, 'meta'), BLOB_TTL_S);
    for (let index = 0; index < chunks; index++) renew.expire(redisKey(kind, fingerprint, index), BLOB_TTL_S);
    const replies = (await renew.exec()) ?? [];
    // EXPIRE answers 0 for a key that is gone (evicted, deleted): then the blob is uploaded again.
    if (replies.length === chunks + 1 && replies.every(([error, found]) => !error && found === 1)) return { bytes, uploaded: false };
    await redis.del(redisKey(kind, fingerprint, 'meta'));
  }
  const blobParts = parts();
  const size = sizeOf(blobParts);
  if (size > limitBytes) throw tooLargeForRedis(size, limitBytes);
  const blob = Buffer.concat(blobParts);
  const chunks = Math.max(1, Math.ceil(blob.length / chunkBytes));
  try {
    for (let index = 0; index < chunks; index++) {
      await redis.set(redisKey(kind, fingerprint, index), blob.subarray(index * chunkBytes, (index + 1) * chunkBytes), 'EX', UPLOAD_TTL_S);
    }
    const complete = redis.multi();
    for (let index = 0; index < chunks; index++) complete.expire(redisKey(kind, fingerprint, index), BLOB_TTL_S);
    complete.set(redisKey(kind, fingerprint, 'meta'), JSON.stringify({ chunks, bytes: blob.length, chunkBytes }), 'EX', BLOB_TTL_S);
    await complete.exec();
  } catch (error) {
    // A Redis that is full (maxmemory) must not stay full of a blob nobody can use.
    const cleanUp = redis.multi();
    for (let index = 0; index < chunks; index++) cleanUp.del(redisKey(kind, fingerprint, index));
    await cleanUp.exec().catch(() => undefined);
    throw error;
  }
  return { bytes: blob.length, uploaded: true };
}

async function loadFromRedis(redis: Redis, kind: BlobKind, fingerprint: string): Promise<Buffer> {
  const meta = await redis.get(redisKey(kind, fingerprint, 'meta'));
  if (meta === null) throw new Error(`the study's published ${kind} are not in Redis (expired, evicted or deleted); the study's process publishes them again within the hour while it runs, or resume the study`);
  const { chunks, bytes } = JSON.parse(meta) as { chunks: number; bytes: number };
  const parts: Buffer[] = [];
  for (let index = 0; index < chunks; index++) {
    const part = await redis.getBuffer(redisKey(kind, fingerprint, index));
    if (part === null) throw new Error(`chunk ${index + 1} of ${chunks} of the study's published ${kind} is missing from Redis`);
    parts.push(part);
  }
  const blob = Buffer.concat(parts);
  if (blob.length !== bytes) throw new Error(`the study's published ${kind} are ${blob.length} bytes in Redis, not the ${bytes} published`);
  return blob;
}

function storeInFolder(folder: string, kind: BlobKind, fingerprint: string, parts: () => Uint8Array[], holds: (reader: BlobReader) => boolean): { bytes: number; uploaded: boolean } {
  const file = sharedBlobPath(folder, kind, fingerprint);
  // A file found there is used only if it verifies: a broken one is replaced, not trusted by its name.
  if (fileHolds(file, holds)) return { bytes: fs.statSync(file).size, uploaded: false };
  const blob = parts();
  fs.mkdirSync(folder, { recursive: true });
  writeBlobFile(file, blob);
  return { bytes: sizeOf(blob), uploaded: true };
}

/**
 * Publishes a study's data: its pixels (once for every study and sweep setting on the same
 * images) and its split. Returns the bytes now published for it and whether anything had to be
 * uploaded (rather than renewed).
 */
export async function publishTrainingData(
  redis: Redis,
  data: TrainingData,
  address: DataAddress,
  location: PublishedLocation,
  { limitBytes = maxRedisBytes(), chunkBytes = CHUNK_BYTES }: { limitBytes?: number; chunkBytes?: number } = {},
): Promise<{ bytes: number; uploaded: boolean }> {
  if (location.where === 'shared') {
    const pixels = storeInFolder(location.folder, 'pixels', address.pixels, () => pixelsParts(data), (reader) => pixelsFingerprint(readPixels(reader)) === address.pixels);
    const split = storeInFolder(location.folder, 'split', address.data, () => splitParts(data), (reader) => {
      const pixelsOnly = { pixels: pixelsOf(data), imageSize: data.imageSize, channels: data.channels };
      return trainingDataFingerprint(readSplit(reader, pixelsOnly)) === address.data;
    });
    return { bytes: pixels.bytes + split.bytes, uploaded: pixels.uploaded || split.uploaded };
  }
  const pixels = await storeInRedis(redis, 'pixels', address.pixels, () => pixelsParts(data), { limitBytes, chunkBytes });
  const split = await storeInRedis(redis, 'split', address.data, () => splitParts(data), { limitBytes, chunkBytes });
  return { bytes: pixels.bytes + split.bytes, uploaded: pixels.uploaded || split.uploaded };
}

/** Fetches published pixels and checks them against their fingerprint. */
export async function fetchPixels(redis: Redis, fingerprint: string, location: PublishedLocation): Promise<PublishedPixels> {
  const pixels =
    location.where === 'shared'
      ? (() => {
          const file = sharedBlobPath(location.folder, 'pixels', fingerprint);
          if (!fs.existsSync(file)) throw new Error(`the study's published pixels are not in ${location.folder} on this machine (is the shared folder mounted there?)`);
          // Read piece by piece: a blob above 2 GiB is more than one read (or one buffer) takes.
          return withFile(file, readPixels);
        })()
      : readPixels(bufferReader(await loadFromRedis(redis, 'pixels', fingerprint)));
  const found = pixelsFingerprint(pixels);
  if (found !== fingerprint) throw new Error(`the published pixels do not match their fingerprint (${found.slice(0, 12)}… instead of ${fingerprint.slice(0, 12)}…)`);
  return pixels;
}

/**
 * Fetches a study's published data (its pixels unless `pixels` holds them already, fetched and
 * checked for an earlier run) and checks the whole against the fingerprint the job names.
 */
export async function fetchTrainingData(redis: Redis, address: DataAddress, location: PublishedLocation, pixels?: PublishedPixels): Promise<TrainingData> {
  const images = pixels ?? (await fetchPixels(redis, address.pixels, location));
  let data: TrainingData;
  if (location.where === 'shared') {
    const file = sharedBlobPath(location.folder, 'split', address.data);
    if (!fs.existsSync(file)) throw new Error(`the study's published split is not in ${location.folder} on this machine (is the shared folder mounted there?)`);
    data = withFile(file, (reader) => readSplit(reader, images));
  } else {
    data = readSplit(bufferReader(await loadFromRedis(redis, 'split', address.data)), images);
  }
  const found = trainingDataFingerprint(data);
  if (found !== address.data) throw new Error(`the published data does not match its fingerprint (${found.slice(0, 12)}… instead of ${address.data.slice(0, 12)}…)`);
  return data;
}
