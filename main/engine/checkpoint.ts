import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types';
import { writeFileAtomic } from '../util/atomic-write';
import type { EpochRecord } from './types';

/**
 * Everything a run needs to continue after its last completed epoch as if it had never
 * stopped: weights (batch-norm statistics included), optimiser state, the random streams'
 * states and the current batch order. Saved after every epoch; resumed runs end with the
 * same numbers as uninterrupted ones.
 */
export interface RunCheckpoint {
  /** 'train': inside the network stage; 'probe': the network stage is complete and a head stage (probe, cRT, LWS) follows. */
  stage: 'train' | 'probe';
  nextEpoch: number;
  step: number;
  history: EpochRecord[];
  orderState: number;
  augmentState: number;
  order: number[];
  best: { epoch: number; score: number } | null;
  elapsedSeconds: number;
  imagesSeen: number;
  /** Images drawn per class so far; absent in checkpoints from before samplers (every epoch then saw each image once). */
  seenPerClass?: number[];
  tensors: {
    network: tf.Tensor[];
    optimizer: NamedTensor[];
    best: tf.Tensor[] | null;
  };
}

interface StoredTensor {
  group: 'network' | 'optimizer' | 'best';
  name?: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

const HEADER_FILE = 'checkpoint.json';
const DATA_FILE = 'checkpoint.bin';

/**
 * The data file is named by its checksum and written before the header, both atomically, so a
 * header always names a complete data file; the previous data file goes only once the new
 * header is in place. A crash at any point leaves one complete checkpoint.
 */
export async function writeCheckpoint(dir: string, checkpoint: RunCheckpoint): Promise<void> {
  const entries: { group: StoredTensor['group']; name?: string; tensor: tf.Tensor }[] = [
    ...checkpoint.tensors.network.map((tensor) => ({ group: 'network' as const, tensor })),
    ...checkpoint.tensors.optimizer.map((named) => ({ group: 'optimizer' as const, name: named.name, tensor: named.tensor })),
    ...(checkpoint.tensors.best ?? []).map((tensor) => ({ group: 'best' as const, tensor })),
  ];
  const chunks: Buffer[] = [];
  const stored: StoredTensor[] = [];
  let offset = 0;
  for (const entry of entries) {
    const values = await entry.tensor.data();
    const dtype = entry.tensor.dtype === 'int32' ? 'int32' : 'float32';
    const typed = dtype === 'int32' ? Int32Array.from(values as Int32Array) : Float32Array.from(values as Float32Array);
    const bytes = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
    chunks.push(bytes);
    stored.push({ group: entry.group, ...(entry.name ? { name: entry.name } : {}), shape: entry.tensor.shape, dtype, offset, length: typed.length });
    offset += bytes.length;
  }
  const data = Buffer.concat(chunks);
  const dataName = `${DATA_FILE}.${checksum(data)}`;
  const { tensors: _tensors, ...rest } = checkpoint;
  writeFileAtomic(path.join(dir, dataName), data);
  const previous = readHeader(dir)?.dataFile;
  writeFileAtomic(path.join(dir, HEADER_FILE), JSON.stringify({ ...rest, dataFile: dataName, byteLength: data.length, stored }));
  if (previous && previous !== dataName) fs.rmSync(path.join(dir, previous), { force: true });
}

type Header = Omit<RunCheckpoint, 'tensors'> & { dataFile: string; byteLength: number; stored: StoredTensor[] };

function readHeader(dir: string): Header | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, HEADER_FILE), 'utf8')) as Header;
  } catch {
    return null;
  }
}

/** The last complete checkpoint, or null when there is none or it does not verify (then the run restarts from scratch). */
export function readCheckpoint(dir: string): RunCheckpoint | null {
  const header = readHeader(dir);
  if (!header) return null;
  let data: Buffer;
  try {
    data = fs.readFileSync(path.join(dir, header.dataFile));
  } catch {
    return null;
  }
  if (data.length !== header.byteLength || `${DATA_FILE}.${checksum(data)}` !== header.dataFile) return null;
  const tensors: RunCheckpoint['tensors'] = { network: [], optimizer: [], best: null };
  for (const entry of header.stored) {
    const bytes = data.subarray(entry.offset, entry.offset + entry.length * 4);
    const copy = new Uint8Array(bytes).buffer;
    const values = entry.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    const tensor = tf.tensor(values, entry.shape, entry.dtype);
    if (entry.group === 'network') tensors.network.push(tensor);
    else if (entry.group === 'optimizer') tensors.optimizer.push({ name: entry.name ?? '', tensor });
    else (tensors.best ??= []).push(tensor);
  }
  const { dataFile: _d, byteLength: _b, stored: _s, ...rest } = header;
  return { ...rest, tensors };
}

export function disposeCheckpoint(checkpoint: RunCheckpoint): void {
  checkpoint.tensors.network.forEach((t) => t.dispose());
  checkpoint.tensors.optimizer.forEach((n) => n.tensor.dispose());
  checkpoint.tensors.best?.forEach((t) => t.dispose());
}

/** Removes the checkpoint, and data or temporary files an interrupted write left behind. */
export function removeCheckpoint(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === HEADER_FILE || name.startsWith(`${DATA_FILE}.`) || (name.startsWith(HEADER_FILE) && name.endsWith('.tmp'))) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}

/** FNV-1a over the bytes: cheap, and enough to tell a complete data file from a torn one. */
function checksum(data: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** A checkpoint as its two files' bytes, for copying it to another machine unchanged. */
export interface CheckpointBytes {
  header: string;
  data: Buffer;
}

/** The last complete checkpoint's files, verified like readCheckpoint does; null when there is none. */
export function readCheckpointBytes(dir: string): CheckpointBytes | null {
  // The training thread may replace the checkpoint while we read: a second try sees the new one.
  for (let attempt = 0; attempt < 2; attempt++) {
    const header = readHeader(dir);
    if (!header) return null;
    try {
      const data = fs.readFileSync(path.join(dir, header.dataFile));
      if (data.length === header.byteLength && `${DATA_FILE}.${checksum(data)}` === header.dataFile) {
        return { header: fs.readFileSync(path.join(dir, HEADER_FILE), 'utf8'), data };
      }
    } catch {
      // replaced under us: try again
    }
  }
  return null;
}

/** Writes checkpoint files read elsewhere with readCheckpointBytes, in the same crash-safe order as writeCheckpoint. */
export function writeCheckpointBytes(dir: string, bytes: CheckpointBytes): void {
  let header: Header;
  try {
    header = JSON.parse(bytes.header) as Header;
  } catch {
    throw new Error('The checkpoint header is not JSON');
  }
  const dataName = `${DATA_FILE}.${checksum(bytes.data)}`;
  if (header.dataFile !== dataName || header.byteLength !== bytes.data.length) throw new Error('The checkpoint data does not match its header');
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, dataName), bytes.data);
  const previous = readHeader(dir)?.dataFile;
  writeFileAtomic(path.join(dir, HEADER_FILE), bytes.header);
  if (previous && previous !== dataName) fs.rmSync(path.join(dir, previous), { force: true });
}

/** The epoch a checkpoint continues from (0 when there is none). */
export function checkpointNextEpoch(bytes: CheckpointBytes | null): number {
  if (!bytes) return 0;
  try {
    const next = (JSON.parse(bytes.header) as Header).nextEpoch;
    return Number.isInteger(next) && next >= 0 ? next : 0;
  } catch {
    return 0;
  }
}
