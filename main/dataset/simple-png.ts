/**
 * A strict decoder for the simplest PNGs: 8-bit grayscale or RGB, not interlaced, no colour
 * management chunks. Datasets of small images (MNIST- and CIFAR-like folders) are made of
 * these, and sharp spends about 1 ms of fixed cost on each (measured on a 28 px PNG: 0.7 ms
 * for a bare decode), which is most of a small study's loading. Inflating with Node's zlib and
 * undoing the row filters takes microseconds.
 *
 * It refuses (returns null) anything it does not handle exactly, so that sharp decodes it
 * and reports any problem: other bit depths and colour types (palette, alpha), interlacing,
 * any chunk that can change the pixels' meaning (gAMA, cHRM, sRGB, iCCP, tRNS, eXIf, ...),
 * a bad CRC, a truncated or over-long stream, an unknown filter, or bytes after IEND. The
 * pixels it returns are the file's samples as stored; decode.ts checks once per setting that
 * sharp's pipeline maps them the way it uses them.
 */
import * as zlib from 'node:zlib';

export interface SimplePng {
  width: number;
  height: number;
  /** 1 (grayscale) or 3 (RGB), interleaved, rows top to bottom. */
  channels: 1 | 3;
  samples: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Ancillary chunks that carry no pixel meaning: physical size, text, time. */
const HARMLESS = new Set(['pHYs', 'tEXt', 'zTXt', 'iTXt', 'tIME']);
/** Largest image handled here: beyond this sharp's fixed cost no longer matters. */
const MAX_PIXELS = 1 << 20;

const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** True where this Node has what the decoder needs (zlib.crc32: Node 20.15 and later). */
export function simplePngSupported(): boolean {
  return typeof crc32 === 'function';
}

export function decodeSimplePng(bytes: Buffer): SimplePng | null {
  if (crc32 === undefined || bytes.length < 8 + 25 || !bytes.subarray(0, 8).equals(SIGNATURE)) return null;
  let at = 8;
  let header: { width: number; height: number; channels: 1 | 3 } | null = null;
  const data: Buffer[] = [];
  let ended = false;
  while (at + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    if (length > bytes.length - at - 12) return null;
    const type = bytes.toString('latin1', at + 4, at + 8);
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== bytes.readUInt32BE(at + 8 + length)) return null;
    at += 12 + length;
    if (header === null) {
      if (type !== 'IHDR' || length !== 13) return null;
      const width = body.readUInt32BE(0);
      const height = body.readUInt32BE(4);
      const [depth, colour, compression, filter, interlace] = body.subarray(8, 13);
      if (depth !== 8 || (colour !== 0 && colour !== 2) || compression !== 0 || filter !== 0 || interlace !== 0) return null;
      if (width === 0 || height === 0 || width * height > MAX_PIXELS) return null;
      header = { width, height, channels: colour === 0 ? 1 : 3 };
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      ended = true;
      break;
    } else if (!HARMLESS.has(type)) {
      return null;
    }
  }
  if (header === null || !ended || at !== bytes.length || data.length === 0) return null;
  const { width, height, channels } = header;
  const stride = width * channels;
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(Buffer.concat(data));
  } catch {
    return null;
  }
  if (raw.length !== height * (stride + 1)) return null;
  const samples = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride; // the previous row's first sample (unused on the first row)
    for (let x = 0; x < stride; x++) {
      const value = raw[src + x] as number;
      const left = x >= channels ? (samples[row + x - channels] as number) : 0;
      const above = y > 0 ? (samples[up + x] as number) : 0;
      let predicted: number;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = left;
          break;
        case 2:
          predicted = above;
          break;
        case 3:
          predicted = (left + above) >> 1;
          break;
        case 4: {
          const corner = x >= channels && y > 0 ? (samples[up + x - channels] as number) : 0;
          const p = left + above - corner;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - above);
          const pc = Math.abs(p - corner);
          predicted = pa <= pb && pa <= pc ? left : pb <= pc ? above : corner;
          break;
        }
        default:
          return null;
      }
      samples[row + x] = (value + predicted) & 0xff;
    }
  }
  return { width, height, channels, samples };
}

/** A PNG of the given samples (no filtering): what the decoder accepts. For decode.ts's calibration and tests. */
export function encodeSimplePng(width: number, height: number, channels: 1 | 3, samples: Uint8Array): Buffer {
  if (crc32 === undefined) throw new Error('zlib.crc32 is not available in this Node');
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) raw.set(samples.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const chunk = (type: string, body: Buffer) => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, 'latin1');
    body.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, channels === 1 ? 0 : 2, 0, 0, 0], 8);
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
