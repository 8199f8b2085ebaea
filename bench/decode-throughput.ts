/**
 * Decode throughput: images per second through loadDataset, cold (every image decoded by
 * sharp) and cached (pixels read back from the on-disk cache), on generated 64×64 JPEGs.
 *
 *   node dist/bench/decode-throughput.js [--images 2000] [--classes 10] [--size 32] [--concurrency 1,2,3,4]
 *        [--photo 3000x2000]
 *
 * --photo WxH generates camera-sized JPEGs (smooth content, so file sizes are like photos'
 * rather than noise's) instead of 64×64 ones: large photos are where sharp's JPEG
 * shrink-on-load matters (libjpeg decodes at 1/2, 1/4 or 1/8 scale before resizing). The
 * report also gives, for comparison, a full-resolution decode of the same files (what the
 * decode would cost without shrink-on-load) and the memory the decoded pixels take.
 *
 * Prints one JSON object; asserts nothing. Cold runs use a fresh cache folder each, so the
 * numbers for different concurrencies are comparable; the OS file cache is warm after the
 * fixture is written, which is the case that matters when a user reopens a dataset.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { defaultConcurrency, loadDataset } from '../main/dataset/load';
import { inMemory } from '../main/dataset/pixel-file';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

/** A photo-sized JPEG per index: smooth gradients and a few discs, roughly a real photo's entropy. */
async function makePhoto(index: number, width: number, height: number): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  const discs = Array.from({ length: 5 }, (_, k) => ({ x: ((index * 37 + k * 911) % width), y: ((index * 53 + k * 577) % height), r: 150 + ((index + k) * 97) % 400, c: (index * 29 + k * 71) % 256 }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      let r = (x * 255) / width;
      let g = (y * 255) / height;
      let b = ((x + y + index * 10) % 512) / 2;
      for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r * d.r) [r, g, b] = [d.c, 255 - d.c, (d.c * 3) % 256];
      px[o] = r;
      px[o + 1] = g;
      px[o + 2] = b;
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

/** Seconds to decode every file at full resolution (no resize, so no shrink-on-load), one at a time. */
async function fullDecodeSeconds(files: string[]): Promise<number> {
  const t0 = performance.now();
  for (const file of files) await sharp(file).removeAlpha().raw().toBuffer();
  return (performance.now() - t0) / 1000;
}

/** A 64×64 image per index: a coloured disc on a gradient, different for every image, so JPEG sizes are realistic. */
async function makeJpeg(index: number): Promise<Buffer> {
  const size = 64;
  const px = Buffer.alloc(size * size * 3);
  const cx = 16 + (index * 7) % 32;
  const cy = 16 + (index * 13) % 32;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 3;
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < 144;
      px[o] = inside ? (index * 31) % 256 : x * 4;
      px[o + 1] = inside ? (index * 57) % 256 : y * 4;
      px[o + 2] = inside ? 255 - ((index * 11) % 256) : ((x + y + index) * 3) % 256;
    }
  }
  return sharp(px, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

async function main(): Promise<void> {
  const images = Number(arg('images', '2000'));
  const classes = Number(arg('classes', '10'));
  const imageSize = Number(arg('size', '32'));
  const photo = /^(\d+)x(\d+)$/.exec(arg('photo', ''));
  const concurrencies = arg('concurrency', `1,2,${defaultConcurrency()},4`).split(',').map(Number).filter((n, i, all) => all.indexOf(n) === i);
  const work = mkdtempSync(path.join(os.tmpdir(), 'losslab-bench-decode-'));
  try {
    const root = path.join(work, 'data');
    const t0 = performance.now();
    for (let c = 0; c < classes; c++) mkdirSync(path.join(root, `class-${c}`), { recursive: true });
    const files: string[] = [];
    for (let i = 0; i < images; i++) {
      const file = path.join(root, `class-${i % classes}`, `${String(i).padStart(6, '0')}.jpg`);
      writeFileSync(file, photo ? await makePhoto(i, Number(photo[1]), Number(photo[2])) : await makeJpeg(i));
      files.push(file);
    }
    const generateSeconds = (performance.now() - t0) / 1000;

    const cold: Array<{ concurrency: number; seconds: number; imagesPerSecond: number }> = [];
    let pixelMB = 0;
    let cacheDir = '';
    for (const concurrency of concurrencies) {
      cacheDir = path.join(work, `cache-${concurrency}`);
      const ds = await loadDataset({ root, imageSize, resize: 'center-crop', colorMode: 'rgb', cacheDir, concurrency });
      const seconds = ds.loadStats?.seconds ?? NaN;
      cold.push({ concurrency, seconds: round(seconds), imagesPerSecond: Math.round(ds.items.length / seconds) });
      pixelMB = inMemory(ds.pixels).byteLength / 2 ** 20;
    }
    const cached: Array<{ seconds: number; imagesPerSecond: number; cachedImages: number }> = [];
    for (let run = 0; run < 3; run++) {
      const ds = await loadDataset({ root, imageSize, resize: 'center-crop', colorMode: 'rgb', cacheDir });
      const seconds = ds.loadStats?.seconds ?? NaN;
      cached.push({ seconds: round(seconds), imagesPerSecond: Math.round(ds.items.length / seconds), cachedImages: ds.loadStats?.cached ?? 0 });
    }
    // Full-resolution decodes of photos are slow: a sample of them is enough for a rate.
    const sample = files.slice(0, photo ? Math.min(files.length, 40) : files.length);
    const full = await fullDecodeSeconds(sample);
    const best = cold.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
    console.log(JSON.stringify({
      benchmark: 'decode-throughput',
      images, classes, sourceSize: photo ? `${photo[1]}x${photo[2]} JPEG` : '64x64 JPEG', imageSize,
      sharpConcurrency: sharp.concurrency(),
      fullResolutionDecode: { images: sample.length, imagesPerSecond: Math.round(sample.length / full), note: 'one at a time, no resize: what decoding costs without shrink-on-load' },
      decodedPixels: { megabytes: round(pixelMB), bytesPerImage: imageSize * imageSize * 3 }, resize: 'center-crop', colorMode: 'rgb',
      machine: { cpus: os.availableParallelism(), loadAverage1m: round(os.loadavg()[0] ?? 0), node: process.version, sharp: sharp.versions.sharp, vips: sharp.versions.vips },
      generateSeconds: round(generateSeconds),
      defaultConcurrency: defaultConcurrency(),
      cold,
      cached,
      summary: { coldImagesPerSecond: best.imagesPerSecond, coldBestConcurrency: best.concurrency, cachedImagesPerSecond: Math.max(...cached.map((c) => c.imagesPerSecond)) },
    }, null, 2));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
