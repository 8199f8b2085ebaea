/**
 * Identifies an image format from a file's first bytes. The extension is not trusted: a PNG
 * saved as .jpg still loads, and a text file named .png is reported as "not an image" without
 * handing it to the decoder. Formats sharp cannot read in LossLab (BMP, HEIC, SVG, ...) get a
 * reason that names them, so the user knows to convert rather than wonder why.
 */

export type SupportedFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

export type Sniffed =
  | { supported: true; format: SupportedFormat }
  | { supported: false; reason: string };

/** Bytes to read to recognise every format below (ISO-BMFF brand lists need a few dozen). */
export const SNIFF_BYTES = 64;

const SUPPORTED_LIST = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';

function startsWith(buf: Uint8Array, bytes: number[], offset = 0): boolean {
  if (buf.length < offset + bytes.length) return false;
  return bytes.every((b, i) => buf[offset + i] === b);
}

function ascii(buf: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...buf.subarray(start, Math.min(end, buf.length)));
}

/** Reads the brands of an ISO base media file (AVIF, HEIC): major brand plus compatible brands. */
function isoBrands(buf: Uint8Array): string[] | undefined {
  if (buf.length < 16 || ascii(buf, 4, 8) !== 'ftyp') return undefined;
  const boxSize = ((buf[0] as number) << 24 | (buf[1] as number) << 16 | (buf[2] as number) << 8 | (buf[3] as number)) >>> 0;
  const end = Math.min(boxSize || buf.length, buf.length);
  const brands = [ascii(buf, 8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(buf, at, at + 4));
  return brands;
}

function unsupported(name: string): Sniffed {
  return { supported: false, reason: `${name} images are not supported; convert it to ${SUPPORTED_LIST}` };
}

export function sniffFormat(head: Uint8Array): Sniffed {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { supported: true, format: 'jpeg' };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { supported: true, format: 'png' };
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return { supported: true, format: 'gif' };
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return { supported: true, format: 'webp' };
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])
    || startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) {
    return { supported: true, format: 'tiff' };
  }
  const brands = isoBrands(head);
  if (brands) {
    if (brands.some((b) => b === 'avif' || b === 'avis')) return { supported: true, format: 'avif' };
    if (brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(b))) return unsupported('HEIC/HEIF');
    return { supported: false, reason: 'not an image (a video or other ISO media file)' };
  }
  if (ascii(head, 0, 2) === 'BM') return unsupported('BMP');
  if (startsWith(head, [0x00, 0x00, 0x01, 0x00])) return unsupported('ICO');
  if (ascii(head, 0, 4) === '8BPS') return unsupported('Photoshop (PSD)');
  if (startsWith(head, [0xff, 0x0a]) || ascii(head, 4, 8) === 'JXL ') return unsupported('JPEG XL');
  if (ascii(head, 4, 8) === 'jP  ' || startsWith(head, [0xff, 0x4f, 0xff, 0x51])) return unsupported('JPEG 2000');
  if (ascii(head, 0, 5) === '%PDF-') return { supported: false, reason: 'not an image (a PDF document)' };
  const text = ascii(head, 0, head.length).trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return unsupported('SVG');
  if (head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f))) {
    return { supported: false, reason: `not an image (looks like a text file); LossLab reads ${SUPPORTED_LIST}` };
  }
  return { supported: false, reason: `not an image in a supported format (${SUPPORTED_LIST})` };
}
