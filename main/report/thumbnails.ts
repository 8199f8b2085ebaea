import fs from 'node:fs/promises';
import path from 'node:path';

export const THUMBNAIL_SIZE = 64;

/**
 * Small PNG thumbnails as data: URIs, keyed by the item's file path, read from the first
 * root that holds the file. A file that is gone (the dataset moved or was edited) or does
 * not decode is left out, and the report says so instead of failing. PNG because every
 * browser and PDF renderer shows it; at 64 px it stays a few kilobytes.
 */
export async function embedThumbnails(files: readonly string[], roots: readonly string[], size = THUMBNAIL_SIZE): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (files.length === 0) return out;
  let sharp: typeof import('sharp');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sharp = require('sharp') as typeof import('sharp');
  } catch {
    return out;
  }
  await Promise.all(
    [...new Set(files)].map(async (file) => {
      for (const root of roots) {
        const full = path.resolve(root, file);
        try {
          await fs.access(full);
        } catch {
          continue;
        }
        try {
          const meta = await sharp(full).metadata();
          // Small images (digits, icons) are enlarged with crisp pixels; photos are reduced smoothly.
          const kernel = Math.max(meta.width ?? 0, meta.height ?? 0) < size ? 'nearest' : 'lanczos3';
          const png = await sharp(full)
            .rotate()
            .resize(size, size, { fit: 'contain', background: { r: 255, g: 255, b: 255, alpha: 1 }, kernel })
            .png()
            .toBuffer();
          out.set(file, `data:image/png;base64,${png.toString('base64')}`);
        } catch {
          // undecodable now: skip it
        }
        return;
      }
    }),
  );
  return out;
}
