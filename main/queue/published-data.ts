import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { isPixelFile } from '../dataset/pixel-file';
import type { TrainingData } from '../engine/types';
import { trainingDataFingerprint } from './run-data';

/**
 * The second way a study's data reaches its workers: the study publishes the decoded pixels,
 * labels and split once per fingerprint, and workers fetch them instead of reading and decoding
 * the dataset themselves. The blob is content-addressed by trainingDataFingerprint, which hashes
 * exactly what the blob holds, so a worker recomputes it after fetching: a blob that was cut,
 * corrupted or swapped can never train a run.
 *
 * Small blobs travel in Redis (chunked: Redis strings stop at 512 MB, and smaller values keep
 * Redis responsive to everyone else); larger ones go to a folder every machine mounts.
 */

const MAGIC = 'LLPX1\n';
/**
 * Redis values are written and read in pieces of this size: just under 4 MiB, because Redis's
 * allocator rounds a value of 4 MiB plus its header up to 5 MiB (measured: 25% more memory).
 */
export const CHUNK_BYTES = 4 * 1024 * 1024 - 4096;
/** Published data larger than this is refused in Redis and needs a shared folder (LOSSLAB_MAX_REDIS_DATA_MB overrides). */
export const DEFAULT_MAX_REDIS_BYTES = 1024 * 1024 * 1024;
/** A blob nobody re-publishes leaves Redis after a week; each study on the same data renews it. */
const BLOB_TTL_S = 7 * 24 * 3600;

interface BlobHeader {
  imageSize: number;
  channels: 1 | 3;
  numClasses: number;
  trainCounts: number[];
  channelMean: number[];
  channelStd: number[];
  lengths: { pixels: number; labels: number; train: number; val: number; test: number };
}

/** Where published data lives; `shared` is the folder as this machine sees it. */
export type PublishedLocation = { where: 'redis' } | { where: 'shared'; folder: string };

function metaKey(fingerprint: string): string {
  return `losslab:data:${fingerprint}:meta`;
}

function chunkKey(fingerprint: string, index: number): string {
  return `losslab:data:${fingerprint}:${index}`;
}

/** The file name of a blob in a shared folder: only the fingerprint, so no path ever comes from the queue. */
export function sharedBlobPath(folder: string, fingerprint: string): string {
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new Error('a data fingerprint is 64 hex digits');
  return path.join(folder, `${fingerprint}.losslab-data`);
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

/** File reads and writes move at most this much per call (one call stops short of 2 GiB). */
const IO_BYTES = 64 * 2 ** 20;

/**
 * The blob as its parts, in order: magic, header length, JSON header, then the arrays (each
 * starting on a 4-byte boundary). Kept apart so a large blob is written to a file part by part
 * instead of being joined into one buffer (Node's buffers stop at a few GiB).
 */
function blobParts(data: TrainingData): Uint8Array[] {
  if (data.features) throw new Error('a frozen backbone\'s features are not published; such studies train locally');
  if (isPixelFile(data.pixels)) {
    throw new Error('The decoded data is larger than this machine holds in memory (it is read from a pixel file on disk), too large to publish; let the workers read the dataset themselves (leave out --publish-data and --data-share; in the app, untick "send the images through Redis").');
  }
  const pixels = data.pixels;
  const arrays = [pixels, data.labels, data.train, data.val, data.test];
  const header: BlobHeader = {
    imageSize: data.imageSize,
    channels: data.channels,
    numClasses: data.numClasses,
    trainCounts: data.trainCounts,
    channelMean: data.channelMean,
    channelStd: data.channelStd,
    lengths: { pixels: pixels.length, labels: data.labels.length, train: data.train.length, val: data.val.length, test: data.test.length },
  };
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(head.length, MAGIC.length);
  const parts: Uint8Array[] = [prefix, head, new Uint8Array(pad4(prefix.length + head.length))];
  for (const array of arrays) parts.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), new Uint8Array(pad4(array.byteLength)));
  return parts;
}

function sizeOf(parts: Uint8Array[]): number {
  return parts.reduce((sum, part) => sum + part.length, 0);
}

/** The whole blob in one buffer (Redis's way; its limit keeps it far from Node's). */
export function encodeTrainingData(data: TrainingData): Buffer {
  return Buffer.concat(blobParts(data));
}

/** Where a blob is read from: a buffer, or a file read piece by piece. */
interface BlobReader {
  size: number;
  readInto(offset: number, target: Uint8Array): void;
}

function bufferReader(bytes: Buffer): BlobReader {
  return { size: bytes.length, readInto: (offset, target) => target.set(bytes.subarray(offset, offset + target.length)) };
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

/** Reads a blob back; pixels land in a SharedArrayBuffer, as a decoded dataset's do, for the training threads. */
function decodeFrom(reader: BlobReader): TrainingData {
  const prefix = new Uint8Array(MAGIC.length + 4);
  if (reader.size < prefix.length) throw new Error('the published data is not a LossLab data blob');
  reader.readInto(0, prefix);
  const prefixBytes = Buffer.from(prefix);
  if (prefixBytes.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error('the published data is not a LossLab data blob');
  const headLength = prefixBytes.readUInt32LE(MAGIC.length);
  let offset = prefix.length;
  if (offset + headLength > reader.size) throw new Error('the published data is cut short');
  const head = new Uint8Array(headLength);
  reader.readInto(offset, head);
  const header = JSON.parse(Buffer.from(head).toString('utf8')) as BlobHeader;
  offset += headLength;
  offset += pad4(offset);
  // Every length is checked against the blob before anything that size is allocated.
  const place = (byteLength: number): number => {
    if (!Number.isSafeInteger(byteLength) || byteLength < 0 || offset + byteLength > reader.size) throw new Error('the published data is cut short');
    const at = offset;
    offset += byteLength + pad4(byteLength);
    return at;
  };
  const pixelsAt = place(header.lengths.pixels);
  const intsAt = (['labels', 'train', 'val', 'test'] as const).map((name) => place(header.lengths[name] * 4));
  const pixels = new Uint8Array(new SharedArrayBuffer(Math.max(1, header.lengths.pixels)), 0, header.lengths.pixels);
  reader.readInto(pixelsAt, pixels);
  const ints = (at: number, count: number): Int32Array => {
    const copy = new Int32Array(count);
    reader.readInto(at, new Uint8Array(copy.buffer));
    return copy;
  };
  return {
    pixels,
    imageSize: header.imageSize,
    channels: header.channels,
    labels: ints(intsAt[0]!, header.lengths.labels),
    train: ints(intsAt[1]!, header.lengths.train),
    val: ints(intsAt[2]!, header.lengths.val),
    test: ints(intsAt[3]!, header.lengths.test),
    numClasses: header.numClasses,
    trainCounts: header.trainCounts,
    channelMean: header.channelMean,
    channelStd: header.channelStd,
  };
}

export function decodeTrainingData(bytes: Buffer): TrainingData {
  return decodeFrom(bufferReader(bytes));
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

export function maxRedisBytes(env: NodeJS.ProcessEnv = process.env): number {
  const megabytes = Number(env.LOSSLAB_MAX_REDIS_DATA_MB);
  return Number.isFinite(megabytes) && megabytes > 0 ? megabytes * 1024 * 1024 : DEFAULT_MAX_REDIS_BYTES;
}

/** While chunks are uploaded they live this long: an upload cut off leaves nothing for a week. */
const UPLOAD_TTL_S = 3600;

function tooLargeForRedis(bytes: number, limitBytes: number): Error {
  return new Error(
    `The decoded data is ${(bytes / 2 ** 20).toFixed(0)} MiB, more than the ${(limitBytes / 2 ** 20).toFixed(0)} MiB LossLab puts in Redis. Give --data-share DIR (a folder every worker mounts, given to each worker as --data-share too), or let the workers read the dataset themselves (leave out --publish-data; in the app, untick "send the images through Redis").`,
  );
}

/** Whether a blob file holds exactly the data of `fingerprint` (read through once). */
function blobFileHolds(file: string, fingerprint: string): boolean {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    return trainingDataFingerprint(decodeFrom(fileReader(fd, fs.fstatSync(fd).size))) === fingerprint;
  } catch {
    return false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Publishes a study's data under its fingerprint, unless it is there already whole (then only its
 * lifetime is renewed; a blob found broken is replaced). The meta key is written last, with every
 * chunk's lifetime: a worker that finds it finds every chunk.
 */
export async function publishTrainingData(
  redis: Redis,
  data: TrainingData,
  fingerprint: string,
  location: PublishedLocation,
  { limitBytes = maxRedisBytes(), chunkBytes = CHUNK_BYTES }: { limitBytes?: number; chunkBytes?: number } = {},
): Promise<{ bytes: number; uploaded: boolean }> {
  if (location.where === 'shared') {
    const file = sharedBlobPath(location.folder, fingerprint);
    if (fs.existsSync(file) && blobFileHolds(file, fingerprint)) return { bytes: fs.statSync(file).size, uploaded: false };
    const parts = blobParts(data);
    fs.mkdirSync(location.folder, { recursive: true });
    writeBlobFile(file, parts);
    return { bytes: sizeOf(parts), uploaded: true };
  }
  const meta = await redis.get(metaKey(fingerprint));
  if (meta !== null) {
    const { chunks, bytes } = JSON.parse(meta) as { chunks: number; bytes: number };
    const renew = redis.multi().expire(metaKey(fingerprint), BLOB_TTL_S);
    for (let index = 0; index < chunks; index++) renew.expire(chunkKey(fingerprint, index), BLOB_TTL_S);
    const replies = (await renew.exec()) ?? [];
    // EXPIRE answers 0 for a key that is gone (evicted, deleted): then the blob is uploaded again.
    if (replies.length === chunks + 1 && replies.every(([error, found]) => !error && found === 1)) return { bytes, uploaded: false };
    await redis.del(metaKey(fingerprint));
  }
  const parts = blobParts(data);
  const size = sizeOf(parts);
  if (size > limitBytes) throw tooLargeForRedis(size, limitBytes);
  const blob = Buffer.concat(parts);
  const chunks = Math.max(1, Math.ceil(blob.length / chunkBytes));
  try {
    for (let index = 0; index < chunks; index++) {
      await redis.set(chunkKey(fingerprint, index), blob.subarray(index * chunkBytes, (index + 1) * chunkBytes), 'EX', UPLOAD_TTL_S);
    }
    const complete = redis.multi();
    for (let index = 0; index < chunks; index++) complete.expire(chunkKey(fingerprint, index), BLOB_TTL_S);
    complete.set(metaKey(fingerprint), JSON.stringify({ chunks, bytes: blob.length, chunkBytes }), 'EX', BLOB_TTL_S);
    await complete.exec();
  } catch (error) {
    // A Redis that is full (maxmemory) must not stay full of a blob nobody can use.
    const cleanUp = redis.multi();
    for (let index = 0; index < chunks; index++) cleanUp.del(chunkKey(fingerprint, index));
    await cleanUp.exec().catch(() => undefined);
    throw error;
  }
  return { bytes: blob.length, uploaded: true };
}

/**
 * Fetches published data and checks it against the fingerprint the job names. Throws a message
 * for the worker's log when it is missing (expired, or a shared folder this machine lacks).
 */
export async function fetchTrainingData(redis: Redis, fingerprint: string, location: PublishedLocation): Promise<TrainingData> {
  let data: TrainingData;
  if (location.where === 'shared') {
    const file = sharedBlobPath(location.folder, fingerprint);
    if (!fs.existsSync(file)) throw new Error(`the study's published data is not in ${location.folder} on this machine (is the shared folder mounted there?)`);
    // Read piece by piece: a blob above 2 GiB is more than one read (or one buffer) takes.
    const fd = fs.openSync(file, 'r');
    try {
      data = decodeFrom(fileReader(fd, fs.fstatSync(fd).size));
    } finally {
      fs.closeSync(fd);
    }
  } else {
    const meta = await redis.get(metaKey(fingerprint));
    if (meta === null) throw new Error("the study's published data is not in Redis (expired, evicted or deleted); the study's process publishes it again within the hour while it runs, or resume the study");
    const { chunks, bytes } = JSON.parse(meta) as { chunks: number; bytes: number };
    const parts: Buffer[] = [];
    for (let index = 0; index < chunks; index++) {
      const part = await redis.getBuffer(chunkKey(fingerprint, index));
      if (part === null) throw new Error(`chunk ${index + 1} of ${chunks} of the study's published data is missing from Redis`);
      parts.push(part);
    }
    const blob = Buffer.concat(parts);
    if (blob.length !== bytes) throw new Error(`the study's published data is ${blob.length} bytes in Redis, not the ${bytes} published`);
    data = decodeTrainingData(blob);
  }
  const found = trainingDataFingerprint(data);
  if (found !== fingerprint) throw new Error(`the published data does not match its fingerprint (${found.slice(0, 12)}… instead of ${fingerprint.slice(0, 12)}…)`);
  return data;
}
