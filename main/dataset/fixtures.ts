/**
 * Test fixtures generated at test time with sharp (no binary fixtures in the repository).
 * Used only by the *.test.ts files next to it (named so that node --test does not take it for a test file).
 */
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

export type FixtureFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

export const EXTENSIONS: Record<FixtureFormat, string> = {
  jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', tiff: 'tif', avif: 'avif',
};

/** A fresh folder under the OS temp dir; remove it with `cleanup`. */
export function tempDir(label: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `losslab-${label}-`));
}

/**
 * Like tempDir, but on a RAM-backed tmpfs (/dev/shm) when there is one: fixtures with
 * thousands of folders cost tens of seconds to create and delete on a busy VM's disk.
 */
export function fastTempDir(label: string): string {
  const shm = '/dev/shm';
  try {
    accessSync(shm, constants.W_OK);
    return mkdtempSync(path.join(shm, `losslab-${label}-`));
  } catch {
    return tempDir(label);
  }
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Rgb { r: number; g: number; b: number }

/** Encodes a solid-colour image (lossless formats keep the colour exactly). */
export async function solidImage(format: FixtureFormat, width: number, height: number, colour: Rgb): Promise<Buffer> {
  const base = sharp({ create: { width, height, channels: 3, background: colour } });
  return encode(base, format);
}

/** Encodes raw pixels (RGB or gray). */
export async function rawImage(format: FixtureFormat, pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<Buffer> {
  return encode(sharp(Buffer.from(pixels), { raw: { width, height, channels } }), format);
}

function encode(image: sharp.Sharp, format: FixtureFormat): Promise<Buffer> {
  switch (format) {
    case 'jpeg': return image.jpeg({ quality: 95 }).toBuffer();
    case 'png': return image.png().toBuffer();
    case 'webp': return image.webp({ lossless: true }).toBuffer();
    case 'gif': return image.gif().toBuffer();
    case 'tiff': return image.tiff().toBuffer();
    case 'avif': return image.avif({ lossless: true }).toBuffer();
  }
}

/**
 * An image whose left half is red and right half is blue: center-crop, squash and letterbox
 * give distinguishable results, and rotations move the colours predictably.
 */
export function halvesPixels(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (x < width / 2) out[o] = 255;
      else out[o + 2] = 255;
    }
  }
  return out;
}

export function writeFile(file: string, bytes: Uint8Array | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}

/** A small gray PNG whose value encodes `n`, so tests can tell images apart. */
export async function numberedPng(n: number, size = 8, channels: 1 | 3 = 1): Promise<Buffer> {
  const v = (n * 37) % 256;
  const pixels = new Uint8Array(size * size * channels).fill(v);
  if (channels === 3) for (let i = 0; i < pixels.length; i += 3) pixels[i + 1] = (v + 80) % 256;
  return rawImage('png', pixels, size, size, channels);
}

/** Writes ROOT/<class>/<i>.png for each class and count. */
export async function makeClassDataset(root: string, counts: Record<string, number>, channels: 1 | 3 = 1): Promise<void> {
  let n = 0;
  for (const [name, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i++) writeFile(path.join(root, name, `${String(i).padStart(3, '0')}.png`), await numberedPng(n++, 8, channels));
  }
}

/** Pixel at (x, y) of an NHWC image buffer. */
export function pixelAt(pixels: Uint8Array, size: number, channels: number, x: number, y: number): number[] {
  const o = (y * size + x) * channels;
  return Array.from(pixels.subarray(o, o + channels));
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Deterministic high-entropy RGB pixels (compresses badly, so truncation hits image data). */
export function noisyPixels(width: number, height: number, seed = 1): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}
