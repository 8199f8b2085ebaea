/**
 * Decodes one image file into S×S pixels through sharp, or says why it cannot.
 *
 * Untrusted input is the norm here (whatever is in the user's folders), so:
 *  - the file's size is checked before it is read, and its format is sniffed from its bytes;
 *  - sharp's pixel limit rejects decompression bombs from the header, before decoding;
 *  - failOn 'error' rejects truncated and corrupt data but tolerates harmless warnings that
 *    many cameras' JPEGs trigger;
 *  - a per-image timeout stops pathological inputs from hanging a load.
 * Alpha is dropped, not composited, as torchvision's `convert('RGB')` does, so numbers are
 * comparable with the usual PyTorch pipelines.
 */
import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import { fsReason, isTransientFsError } from './fs-reasons';
import { decodeSimplePng, encodeSimplePng, simplePngSupported, type SimplePng } from './simple-png';
import { SNIFF_BYTES, sniffFormat, type SupportedFormat } from './sniff';
import type { ResizePolicy } from './types';

export interface DecodeSettings {
  imageSize: number;
  resize: ResizePolicy;
  /** Channels stored per pixel: 1 decodes to grayscale, 3 to sRGB. */
  channels: 1 | 3;
  maxPixels: number;
  maxFileBytes: number;
  timeoutSeconds: number;
}

export type DecodeResult =
  | { ok: true; pixels: Buffer; gray: boolean }
  /** `cacheable`: the reason follows from the file's bytes (so it can be remembered by file identity). */
  | { ok: false; reason: string; cacheable: boolean };

/** Largest channel spread still counted as gray: JPEG chroma rounding makes gray pixels differ by 1. */
const GRAY_TOLERANCE = 2;

/** True when every pixel of an RGB buffer has (nearly) equal channels. */
export function isGrayRgb(rgb: Uint8Array): boolean {
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    const r = rgb[i] as number;
    const g = rgb[i + 1] as number;
    const b = rgb[i + 2] as number;
    const hi = r > g ? (r > b ? r : b) : (g > b ? g : b);
    const lo = r < g ? (r < b ? r : b) : (g < b ? g : b);
    if (hi - lo > GRAY_TOLERANCE) return false;
  }
  return true;
}

function megapixels(n: number): string {
  return `${(n / 1e6).toFixed(n < 1e6 ? 2 : 1)} megapixels`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').trim();
}

/**
 * Whether a file of a known format ends before its end marker. Checked on the bytes rather than
 * read from sharp's message, because libvips reports errors through a per-thread buffer and
 * under parallel decoding the message is sometimes lost ("Unknown error").
 */
export function endsEarly(format: SupportedFormat, bytes: Uint8Array): boolean {
  const n = bytes.length;
  const tail = bytes.subarray(Math.max(0, n - 32));
  switch (format) {
    case 'jpeg': {
      // FF D9 (end of image) cannot occur inside entropy-coded data, where FF is stuffed as FF 00.
      for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return false;
      return true;
    }
    case 'png':
      return !Buffer.from(tail).includes('IEND', 0, 'latin1');
    case 'gif':
      return !tail.includes(0x3b);
    case 'webp':
      // RIFF length field: the file must be at least that long.
      return n < 8 || n < Buffer.from(bytes.buffer, bytes.byteOffset, 8).readUInt32LE(4) + 8;
    default:
      return false;
  }
}

async function describeSharpError(error: unknown, input: Buffer, settings: DecodeSettings, format: SupportedFormat): Promise<{ reason: string; cacheable: boolean }> {
  const message = firstLine(error);
  const detail = /^unknown error$/i.test(message) || message === '' ? '' : ` (${message})`;
  let width = 0;
  let height = 0;
  try {
    // Header only: dimensions are read without decoding, so this is safe even for a bomb.
    const meta = await sharp(input, { limitInputPixels: false }).metadata();
    width = meta.width ?? 0;
    height = meta.height ?? 0;
  } catch {
    // An unreadable header is itself a sign of corruption; classified below.
  }
  if (/pixel limit/i.test(message) || width * height > settings.maxPixels) {
    const size = width && height ? `${width}×${height} = ${megapixels(width * height)}, ` : '';
    return {
      reason: `too many pixels (${size}above the ${megapixels(settings.maxPixels)} limit that guards against decompression bombs); downscale the image or raise the pixel limit`,
      cacheable: true,
    };
  }
  if (/timeout/i.test(message)) {
    return { reason: `decoding took longer than ${settings.timeoutSeconds} s; the file is probably malformed`, cacheable: false };
  }
  if (endsEarly(format, input) || /premature end|truncat|unexpected end|end of (file|data|stream)|not enough data|short read/i.test(message)) {
    return { reason: `truncated ${format.toUpperCase()} file (it ends before the image data does${detail ? `; ${message}` : ''}); copy or download it again`, cacheable: true };
  }
  return { reason: `corrupt ${format.toUpperCase()} image, cannot be decoded${detail}`, cacheable: true };
}

function pipeline(input: Buffer, settings: DecodeSettings): sharp.Sharp {
  const size = settings.imageSize;
  let image = sharp(input, { failOn: 'error', limitInputPixels: settings.maxPixels, sequentialRead: true })
    .timeout({ seconds: settings.timeoutSeconds })
    .rotate(); // no angle: orient by the EXIF Orientation tag
  switch (settings.resize) {
    case 'center-crop':
      image = image.resize(size, size, { fit: 'cover', position: 'centre' });
      break;
    case 'squash':
      image = image.resize(size, size, { fit: 'fill' });
      break;
    case 'letterbox':
      image = image.resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 1 } });
      break;
  }
  image = image.removeAlpha().toColourspace(settings.channels === 1 ? 'b-w' : 'srgb');
  return image.raw({ depth: 'uchar' });
}

/** Brings sharp's raw output to exactly `channels` channels, whatever the source had. */
function normaliseChannels(data: Buffer, have: number, want: 1 | 3, pixels: number): Buffer {
  if (have === want) return data;
  const out = Buffer.alloc(pixels * want);
  for (let p = 0; p < pixels; p++) {
    if (want === 3) {
      const v = data[p * have] as number;
      if (have >= 3) {
        out[p * 3] = v;
        out[p * 3 + 1] = data[p * have + 1] as number;
        out[p * 3 + 2] = data[p * have + 2] as number;
      } else {
        out[p * 3] = v;
        out[p * 3 + 1] = v;
        out[p * 3 + 2] = v;
      }
    } else if (have >= 3) {
      out[p] = Math.round(((data[p * have] as number) + (data[p * have + 1] as number) + (data[p * have + 2] as number)) / 3);
    } else {
      out[p] = data[p * have] as number;
    }
  }
  return out;
}

/**
 * How sharp's pipeline maps a simple PNG's samples (simple-png.ts) at these settings, learnt by
 * running it once on PNGs holding every sample value: per value for a gray source, and for an
 * RGB source whose pixels are gray; whether RGB comes out unchanged. A mapping is only kept
 * when every pixel of a value came out alike, so the fast path gives sharp's pixels exactly.
 */
interface SampleMapping {
  /** Output value (every output channel) of each gray sample value, or null. */
  fromGray: Uint8Array | null;
  /** Output value of each RGB pixel (v, v, v), or null. */
  fromGrayRgb: Uint8Array | null;
  /** True when an RGB source comes out as it is (3-channel output only). */
  rgbUnchanged: boolean;
}

const mappings = new Map<string, Promise<SampleMapping>>();

function mappingFor(settings: DecodeSettings): Promise<SampleMapping> {
  const key = `${settings.imageSize}|${settings.resize}|${settings.channels}`;
  let mapping = mappings.get(key);
  if (mapping === undefined) {
    mapping = learnMapping(settings).catch(() => ({ fromGray: null, fromGrayRgb: null, rgbUnchanged: false }));
    mappings.set(key, mapping);
  }
  return mapping;
}

async function learnMapping(settings: DecodeSettings): Promise<SampleMapping> {
  const s = settings.imageSize;
  const pixels = s * s;
  const run = async (channels: 1 | 3, sample: (p: number, c: number) => number) => {
    const samples = new Uint8Array(pixels * channels);
    for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) samples[p * channels + c] = sample(p, c);
    const { data, info } = await pipeline(encodeSimplePng(s, s, channels, samples), settings).toBuffer({ resolveWithObject: true });
    if (info.width !== s || info.height !== s) throw new Error('resized');
    return { samples, out: normaliseChannels(data, info.channels, settings.channels, pixels) };
  };
  const perValue = async (channels: 1 | 3): Promise<Uint8Array | null> => {
    const lut = new Int16Array(256).fill(-1);
    for (let base = 0; base < 256; base += pixels) {
      const { out } = await run(channels, (p) => (base + p) % 256);
      for (let p = 0; p < pixels; p++) {
        const v = (base + p) % 256;
        for (let c = 0; c < settings.channels; c++) {
          const o = out[p * settings.channels + c] as number;
          if (lut[v] === -1) lut[v] = o;
          else if (lut[v] !== o) return null;
        }
      }
    }
    return Uint8Array.from(lut);
  };
  let rgbUnchanged = false;
  if (settings.channels === 3) {
    const { samples, out } = await run(3, (p, c) => (p * (c === 0 ? 1 : c === 1 ? 7 : 13) + c * 85) % 256);
    rgbUnchanged = Buffer.from(samples).equals(out);
  }
  return { fromGray: await perValue(1), fromGrayRgb: await perValue(3), rgbUnchanged };
}

/** A simple PNG's pixels as the sharp pipeline would give them, or null where the mapping does not cover it. */
function mapSamples(png: SimplePng, mapping: SampleMapping, channels: 1 | 3): Buffer | null {
  const pixels = png.width * png.height;
  const { samples } = png;
  if (png.channels === 3 && channels === 3) return mapping.rgbUnchanged ? Buffer.from(samples) : null;
  const lut = png.channels === 1 ? mapping.fromGray : mapping.fromGrayRgb;
  if (lut === null) return null;
  const out = Buffer.alloc(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    let v = samples[p * png.channels] as number;
    if (png.channels === 3) {
      if (samples[p * 3 + 1] !== v || samples[p * 3 + 2] !== v) return null; // a coloured pixel: sharp converts it
    }
    v = lut[v] as number;
    for (let c = 0; c < channels; c++) out[p * channels + c] = v;
  }
  return out;
}

let simplePngs = true;

/** Turns the simple-PNG fast path off (every file through sharp) or on; returns the previous setting. For tests and benchmarks. */
export function setSimplePngFastPath(on: boolean): boolean {
  const previous = simplePngs;
  simplePngs = on;
  return previous;
}

/** The fast path for simple PNGs already at the target size; null sends the file to sharp. */
async function decodeSimple(input: Buffer, settings: DecodeSettings): Promise<DecodeResult | null> {
  const s = settings.imageSize;
  if (!simplePngs || !simplePngSupported() || s * s > settings.maxPixels) return null;
  const png = decodeSimplePng(input);
  if (png === null || png.width !== s || png.height !== s) return null;
  const pixels = mapSamples(png, await mappingFor(settings), settings.channels);
  return pixels === null ? null : { ok: true, pixels, gray: settings.channels === 1 || isGrayRgb(pixels) };
}

export async function decodeImage(absolutePath: string, size: number, settings: DecodeSettings): Promise<DecodeResult> {
  if (size === 0) return { ok: false, reason: 'empty file (0 bytes)', cacheable: true };
  if (size > settings.maxFileBytes) {
    return { ok: false, reason: `file too large (${(size / 2 ** 20).toFixed(0)} MiB, limit ${(settings.maxFileBytes / 2 ** 20).toFixed(0)} MiB)`, cacheable: true };
  }
  let input: Buffer;
  try {
    input = await fs.readFile(absolutePath);
  } catch (error) {
    return { ok: false, reason: fsReason(error, 'file'), cacheable: !isTransientFsError(error) };
  }
  if (input.length === 0) return { ok: false, reason: 'empty file (0 bytes)', cacheable: false };
  const sniffed = sniffFormat(input.subarray(0, SNIFF_BYTES));
  if (!sniffed.supported) return { ok: false, reason: sniffed.reason, cacheable: true };
  if (sniffed.format === 'png') {
    const simple = await decodeSimple(input, settings);
    if (simple !== null) return simple;
  }
  try {
    const { data, info } = await pipeline(input, settings).toBuffer({ resolveWithObject: true });
    const s = settings.imageSize;
    if (info.width !== s || info.height !== s) {
      return { ok: false, reason: `decoder returned ${info.width}×${info.height} instead of ${s}×${s}`, cacheable: false };
    }
    const pixels = normaliseChannels(data, info.channels, settings.channels, s * s);
    return { ok: true, pixels, gray: settings.channels === 1 || isGrayRgb(pixels) };
  } catch (error) {
    return { ok: false, ...(await describeSharpError(error, input, settings, sniffed.format)) };
  }
}
