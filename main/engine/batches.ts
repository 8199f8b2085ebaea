import { forEachImageChunk, isPixelFile, readImages, type PixelFile, type Pixels } from '../dataset/pixel-file';
import type { Rng } from '../util/random';
import type { TrainingData } from './types';

/** Augmentations drawn per image; the draws come from a seeded stream that depends only on the run's seed. */
export interface Augmentation {
  flip: boolean;
  crop: boolean;
}

/** Zero padding around the image before a random crop back to the original size (the CIFAR recipe uses 4 at 32 px). */
export function cropPadding(imageSize: number): number {
  return Math.max(1, Math.round(imageSize / 8));
}

/**
 * Writes the normalised pixels of `indices` into `out` (NHWC float32). Augmentation, when on,
 * draws exactly two numbers per image from `rng` whatever is enabled, so that turning flip on
 * does not change which crops are chosen.
 */
export function fillBatch(
  data: TrainingData,
  indices: ArrayLike<number>,
  out: Float32Array,
  augment: Augmentation | null,
  rng: Rng | null,
): void {
  const { imageSize: s, channels: ch, channelMean, channelStd } = data;
  const imageLength = s * s * ch;
  // Pixels on disk: this batch's images are read first, then taken from there in batch order.
  const pixels = isPixelFile(data.pixels) ? readBatch(data.pixels, indices, imageLength) : data.pixels;
  const streamed = pixels !== data.pixels;
  const pad = cropPadding(s);
  const scale = channelStd.map((std) => 1 / (255 * std));
  const offset = channelMean.map((mean, c) => mean / (channelStd[c] as number));
  for (let b = 0; b < indices.length; b++) {
    const source = (streamed ? b : (indices[b] as number)) * imageLength;
    const target = b * imageLength;
    let flip = false;
    let dy = 0;
    let dx = 0;
    if (augment && rng) {
      const flipDraw = rng();
      const cropDraw = rng();
      flip = augment.flip && flipDraw < 0.5;
      if (augment.crop) {
        const positions = (2 * pad + 1) ** 2;
        const k = Math.floor(cropDraw * positions);
        dy = Math.floor(k / (2 * pad + 1)) - pad;
        dx = (k % (2 * pad + 1)) - pad;
      }
    }
    for (let y = 0; y < s; y++) {
      const sy = y + dy;
      for (let x = 0; x < s; x++) {
        const sxRaw = x + dx;
        const sx = flip ? s - 1 - sxRaw : sxRaw;
        const t = target + (y * s + x) * ch;
        if (sy < 0 || sy >= s || sx < 0 || sx >= s) {
          // Pad with black (pixel value 0), as the CIFAR crop recipe does, rather than with the mean.
          for (let c = 0; c < ch; c++) out[t + c] = -(offset[c] as number);
        } else {
          const p = source + (sy * s + sx) * ch;
          for (let c = 0; c < ch; c++) out[t + c] = (pixels[p + c] as number) * (scale[c] as number) - (offset[c] as number);
        }
      }
    }
  }
}

/** Reused by every batch read from a pixel file (one per thread): a batch's bytes, not a new buffer each step. */
let scratch = new Uint8Array(0);
function readBatch(file: PixelFile, indices: ArrayLike<number>, imageLength: number): Uint8Array {
  const bytes = indices.length * imageLength;
  if (scratch.length < bytes) scratch = new Uint8Array(bytes);
  const batch = scratch.subarray(0, bytes);
  readImages(file, indices, batch);
  return batch;
}

/** Per-channel mean and standard deviation (in [0, 1] units) over the training images. */
export function channelStatistics(
  pixels: Pixels,
  indices: ArrayLike<number>,
  imageSize: number,
  channels: number,
): { mean: number[]; std: number[] } {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const imageLength = imageSize * imageSize * channels;
  let count = 0;
  // Images are visited in the order of `indices`, as before pixels could be on disk: the sums are bit for bit the same.
  forEachImageChunk(pixels, imageLength, indices, (images, n) => {
    for (let i = 0; i < n; i++) {
      const start = i * imageLength;
      for (let p = 0; p < imageLength; p += channels) {
        for (let c = 0; c < channels; c++) {
          const v = (images[start + p + c] as number) / 255;
          sum[c] = (sum[c] as number) + v;
          sumSq[c] = (sumSq[c] as number) + v * v;
        }
      }
      count += imageLength / channels;
    }
  });
  const mean = Array.from(sum, (s) => (count > 0 ? s / count : 0));
  const std = Array.from(sumSq, (s, c) => {
    if (count === 0) return 1;
    const variance = s / count - (mean[c] as number) ** 2;
    // A constant channel would divide by zero; leave such a channel unscaled.
    return variance > 1e-12 ? Math.sqrt(variance) : 1;
  });
  return { mean, std };
}
