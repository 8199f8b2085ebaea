/**
 * On-disk cache of a frozen backbone's features, so every loss and seed — and every later
 * experiment on the same images — reuses one pass of the backbone.
 *
 * One file per (dataset fingerprint, backbone hash, feature layer, pooling, pixel scaling,
 * image size); the name is a hash of that key. Layout, like the pixel cache (dataset/cache.ts):
 *
 *   bytes 0..8     magic "LLFEAT01"
 *   bytes 8..12    header length H, uint32 little-endian
 *   bytes 12..44   SHA-256 of the header bytes
 *   bytes 44..44+H header, UTF-8 JSON: the key, item count, feature size, SHA-256 of the payload
 *   then           count × dim float32 little-endian, one row per dataset item (dataset order)
 *
 * Nothing read is trusted: a bad magic, header checksum, key, length or payload checksum makes
 * the file a miss (it is then rebuilt). Writes go to a temporary file renamed into place.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HEADERED_PREFIX_BYTES, writeHeaderedFileAtomic } from '../../util/headered-file';

const MAGIC = 'LLFEAT01';
const PREFIX_BYTES = HEADERED_PREFIX_BYTES;

export interface FeatureCacheKey {
  datasetFingerprint: string;
  backboneSha256: string;
  featureLayer: string;
  pooled: boolean;
  scaling: string;
  imageSize: number;
}

interface HeaderJson {
  key: string;
  count: number;
  dim: number;
  payloadSha256: string;
}

function keyString(key: FeatureCacheKey): string {
  return JSON.stringify([key.datasetFingerprint, key.backboneSha256, key.featureLayer, key.pooled, key.scaling, key.imageSize]);
}

export function featureCacheFile(cacheDir: string, key: FeatureCacheKey): string {
  return path.join(cacheDir, `features-${createHash('sha256').update(keyString(key)).digest('hex').slice(0, 24)}.llfeat`);
}

/** The cached features, or null on any miss or mismatch. `into` receives them when given (a shared buffer, say). */
export async function readFeatureCache(file: string, key: FeatureCacheKey, count: number, dim: number, into?: Float32Array): Promise<Float32Array | null> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    return null;
  }
  if (bytes.length < PREFIX_BYTES || bytes.toString('latin1', 0, 8) !== MAGIC) return null;
  const headerBytes = bytes.readUInt32LE(8);
  if (PREFIX_BYTES + headerBytes > bytes.length) return null;
  const header = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes);
  if (!createHash('sha256').update(header).digest().equals(bytes.subarray(12, 44))) return null;
  let parsed: HeaderJson;
  try {
    parsed = JSON.parse(header.toString('utf8')) as HeaderJson;
  } catch {
    return null;
  }
  if (parsed.key !== keyString(key) || parsed.count !== count || parsed.dim !== dim) return null;
  const payload = bytes.subarray(PREFIX_BYTES + headerBytes);
  if (payload.length !== count * dim * 4) return null;
  if (createHash('sha256').update(payload).digest('hex') !== parsed.payloadSha256) return null;
  const out = into ?? new Float32Array(count * dim);
  out.set(new Float32Array(payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.byteLength)));
  return out;
}

export async function writeFeatureCache(file: string, key: FeatureCacheKey, count: number, dim: number, values: Float32Array): Promise<void> {
  const payload = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const header = Buffer.from(
    JSON.stringify({ key: keyString(key), count, dim, payloadSha256: createHash('sha256').update(payload).digest('hex') } satisfies HeaderJson),
    'utf8',
  );
  await writeHeaderedFileAtomic(file, MAGIC, header, async (handle) => {
    await handle.write(payload);
  });
}
