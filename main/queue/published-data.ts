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

/** The blob: magic, header length, JSON header, then the arrays (each starting on a 4-byte boundary). */
export function encodeTrainingData(data: TrainingData): Buffer {
  if (data.features) throw new Error('a frozen backbone\'s features are not published; such studies train locally');
  if (isPixelFile(data.pixels)) {
    throw new Error('The decoded data is larger than this machine holds in memory (it is read from a pixel file on disk), too large to publish; let the workers read the dataset themselves (leave out --publish-data and --data-share).');
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
  const parts: Buffer[] = [prefix, head, Buffer.alloc(pad4(prefix.length + head.length))];
  for (const array of arrays) {
    parts.push(Buffer.from(array.buffer, array.byteOffset, array.byteLength), Buffer.alloc(pad4(array.byteLength)));
  }
  return Buffer.concat(parts);
}

/** Reads a blob back; pixels land in a SharedArrayBuffer, as a decoded dataset's do, for the training threads. */
export function decodeTrainingData(bytes: Buffer): TrainingData {
  if (bytes.length < MAGIC.length + 4 || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error('the published data is not a LossLab data blob');
  const headLength = bytes.readUInt32LE(MAGIC.length);
  let offset = MAGIC.length + 4;
  if (offset + headLength > bytes.length) throw new Error('the published data is cut short');
  const header = JSON.parse(bytes.toString('utf8', offset, offset + headLength)) as BlobHeader;
  offset += headLength;
  offset += pad4(offset);
  const take = (byteLength: number): Uint8Array => {
    if (offset + byteLength > bytes.length) throw new Error('the published data is cut short');
    const view = bytes.subarray(offset, offset + byteLength);
    offset += byteLength + pad4(byteLength);
    return view;
  };
  const pixels = new Uint8Array(new SharedArrayBuffer(Math.max(1, header.lengths.pixels)), 0, header.lengths.pixels);
  pixels.set(take(header.lengths.pixels));
  const ints = (count: number): Int32Array => {
    const copy = new Int32Array(count);
    new Uint8Array(copy.buffer).set(take(count * 4));
    return copy;
  };
  const labels = ints(header.lengths.labels);
  const train = ints(header.lengths.train);
  const val = ints(header.lengths.val);
  const test = ints(header.lengths.test);
  return {
    pixels,
    imageSize: header.imageSize,
    channels: header.channels,
    labels,
    train,
    val,
    test,
    numClasses: header.numClasses,
    trainCounts: header.trainCounts,
    channelMean: header.channelMean,
    channelStd: header.channelStd,
  };
}

export function maxRedisBytes(env: NodeJS.ProcessEnv = process.env): number {
  const megabytes = Number(env.LOSSLAB_MAX_REDIS_DATA_MB);
  return Number.isFinite(megabytes) && megabytes > 0 ? megabytes * 1024 * 1024 : DEFAULT_MAX_REDIS_BYTES;
}

/**
 * Publishes a study's data under its fingerprint, unless it is there already (then only its
 * lifetime is renewed). The meta key is written last: a worker that finds it finds every chunk.
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
    if (fs.existsSync(file)) return { bytes: fs.statSync(file).size, uploaded: false };
    const blob = encodeTrainingData(data);
    fs.mkdirSync(location.folder, { recursive: true });
    // Written beside its final name and renamed: a worker never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, blob);
    fs.renameSync(partial, file);
    return { bytes: blob.length, uploaded: true };
  }
  const meta = await redis.get(metaKey(fingerprint));
  if (meta !== null) {
    const { chunks, bytes } = JSON.parse(meta) as { chunks: number; bytes: number };
    const renew = redis.multi().expire(metaKey(fingerprint), BLOB_TTL_S);
    for (let index = 0; index < chunks; index++) renew.expire(chunkKey(fingerprint, index), BLOB_TTL_S);
    await renew.exec();
    return { bytes, uploaded: false };
  }
  const blob = encodeTrainingData(data);
  if (blob.length > limitBytes) {
    throw new Error(
      `The decoded data is ${(blob.length / 2 ** 20).toFixed(0)} MiB, more than the ${(limitBytes / 2 ** 20).toFixed(0)} MiB LossLab puts in Redis. Give --data-share DIR (a folder every worker mounts, given to each worker as --data-share too), or let the workers read the dataset themselves (leave out --publish-data).`,
    );
  }
  const chunks = Math.max(1, Math.ceil(blob.length / chunkBytes));
  for (let index = 0; index < chunks; index++) {
    await redis.set(chunkKey(fingerprint, index), blob.subarray(index * chunkBytes, (index + 1) * chunkBytes), 'EX', BLOB_TTL_S);
  }
  await redis.set(metaKey(fingerprint), JSON.stringify({ chunks, bytes: blob.length, chunkBytes }), 'EX', BLOB_TTL_S);
  return { bytes: blob.length, uploaded: true };
}

/**
 * Fetches published data and checks it against the fingerprint the job names. Throws a message
 * for the worker's log when it is missing (expired, or a shared folder this machine lacks).
 */
export async function fetchTrainingData(redis: Redis, fingerprint: string, location: PublishedLocation): Promise<TrainingData> {
  let blob: Buffer;
  if (location.where === 'shared') {
    const file = sharedBlobPath(location.folder, fingerprint);
    if (!fs.existsSync(file)) throw new Error(`the study's published data is not in ${location.folder} on this machine (is the shared folder mounted there?)`);
    blob = fs.readFileSync(file);
  } else {
    const meta = await redis.get(metaKey(fingerprint));
    if (meta === null) throw new Error('the study\'s published data is no longer in Redis (expired or deleted); start the study again to publish it');
    const { chunks, bytes } = JSON.parse(meta) as { chunks: number; bytes: number };
    const parts: Buffer[] = [];
    for (let index = 0; index < chunks; index++) {
      const part = await redis.getBuffer(chunkKey(fingerprint, index));
      if (part === null) throw new Error(`chunk ${index + 1} of ${chunks} of the study's published data is missing from Redis`);
      parts.push(part);
    }
    blob = Buffer.concat(parts);
    if (blob.length !== bytes) throw new Error(`the study's published data is ${blob.length} bytes in Redis, not the ${bytes} published`);
  }
  const data = decodeTrainingData(blob);
  const found = trainingDataFingerprint(data);
  if (found !== fingerprint) throw new Error(`the published data does not match its fingerprint (${found.slice(0, 12)}… instead of ${fingerprint.slice(0, 12)}…)`);
  return data;
}
