import fs from 'node:fs/promises';
import sharp from 'sharp';
import { SNIFF_BYTES, sniffFormat, type SupportedFormat } from '../dataset/sniff';
import type { FolderAccess } from './folder-access';

/** Why an image was not served, with the HTTP status that says it (the desktop protocol handler reuses it). */
export class ImageFileError extends Error {
  constructor(
    readonly status: 403 | 404 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'ImageFileError';
  }
}

/** Formats every browser shows as they are; TIFF and AVIF (not universal) are converted. */
const SHOWN_AS_IS: Partial<Record<SupportedFormat, string>> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' };
/** Source images larger than this are not served raw: a multi-gigabyte TIFF must not be read into memory. */
const MAX_FILE_BYTES = 256 * 2 ** 20;

export interface DisplayImage {
  body: Buffer;
  contentType: string;
}

/**
 * Reads an image for display in the renderer, only from where the user may read. The format is
 * identified from the file's bytes, not its name, so nothing but images leaves this function.
 * `size` asks for a thumbnail that fits in size × size.
 */
export async function readDisplayImage(access: FolderAccess, file: string, size?: number): Promise<DisplayImage> {
  const real = await access.readable(file);
  if (real === null) throw new ImageFileError(403, `${file} is not inside a folder you chose in this session, so it is not shown.`);
  let body: Buffer;
  try {
    const stat = await fs.stat(real);
    if (!stat.isFile()) throw new ImageFileError(404, `${file} is not a file.`);
    if (stat.size > MAX_FILE_BYTES) throw new ImageFileError(415, `${file} is too large to display (${Math.round(stat.size / 2 ** 20)} MiB).`);
    body = await fs.readFile(real);
  } catch (error) {
    if (error instanceof ImageFileError) throw error;
    throw new ImageFileError(404, `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}); it may have been moved or deleted.`);
  }
  const sniffed = sniffFormat(body.subarray(0, SNIFF_BYTES));
  if (!sniffed.supported) throw new ImageFileError(415, `${file} is not a displayable image: ${sniffed.reason}.`);
  const asIs = SHOWN_AS_IS[sniffed.format];
  if (asIs && size === undefined) return { body, contentType: asIs };
  try {
    let image = sharp(body, { limitInputPixels: 50_000_000 }).rotate();
    if (size !== undefined) image = image.resize(size, size, { fit: 'inside', withoutEnlargement: true });
    return { body: await image.png().toBuffer(), contentType: 'image/png' };
  } catch (error) {
    throw new ImageFileError(415, `${file} could not be decoded for display (${(error as Error).message}).`);
  }
}
