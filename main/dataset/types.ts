import type { Pixels } from './pixel-file';
/** Shapes shared by dataset loading, splitting and the engine. */

export type ResizePolicy = 'center-crop' | 'squash' | 'letterbox';
export type ColorMode = 'auto' | 'rgb' | 'grayscale';
/** Which split a folder layout assigned an image to; `pool` when the layout says nothing. */
export type GivenSplit = 'pool' | 'train' | 'val' | 'test';

export interface LoadOptions {
  /** Folder of class subfolders, or holding train/ and test/ (and optionally val/). */
  root: string;
  /** Optional separate test folder with the same class subfolders (CLI --test-data). */
  testRoot?: string;
  /** Images are resized to imageSize × imageSize. */
  imageSize: number;
  resize: ResizePolicy;
  colorMode: ColorMode;
  /** Where decoded pixels are cached; undefined disables the cache. */
  cacheDir?: string;
  /** Parallel decodes at once. */
  concurrency?: number;
  /** Images whose decoded width × height exceeds this are skipped (decompression-bomb guard). */
  maxPixels?: number;
  onProgress?: (progress: LoadProgress) => void;
  /** Files larger than this many bytes are skipped before being read (default 256 MiB). */
  maxFileBytes?: number;
  /** Aborts scanning and decoding; loadDataset then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Most bytes of decoded pixels held in memory; above it they stay in a pixel file on disk
   * (default: half the machine's memory, or LOSSLAB_PIXEL_MEMORY_MB).
   */
  pixelMemoryBytes?: number;
}

export interface LoadProgress {
  phase: 'scan' | 'decode';
  done: number;
  total: number;
  /** Images served from the on-disk cache so far. */
  cached: number;
}

export interface ImageItem {
  /** Path relative to the dataset root it came from (POSIX separators). */
  file: string;
  /** Absolute path, for thumbnails and the misclassified-image viewer. */
  absolutePath: string;
  classIndex: number;
  given: GivenSplit;
}

export interface SkippedFile {
  /** Path relative to the dataset root it was found under (POSIX separators). */
  file: string;
  reason: string;
  /** Absolute path, so the UI can reveal the file. */
  absolutePath?: string;
}

/** How a load went: where pixels came from and how long it took. */
export interface LoadStats {
  /** Candidate files found by the scan (before decoding). */
  filesFound: number;
  /** Images decoded through sharp during this load. */
  decoded: number;
  /** Images (and remembered failures) served from the on-disk cache. */
  cached: number;
  /** Cache entries that failed their length or checksum test and were rebuilt. */
  cacheRejected: number;
  /** The cache file used, when caching is on. */
  cacheFile?: string;
  /** Why the cache could not be written, if it could not (the load itself still succeeds). */
  cacheWriteError?: string;
  seconds: number;
}

export interface LoadedDataset {
  root: string;
  classes: string[];
  imageSize: number;
  channels: 1 | 3;
  /** One entry per decoded image; index i owns pixels[i*S*S*channels, (i+1)*S*S*channels). */
  items: ImageItem[];
  /**
   * Decoded pixels, NHWC uint8, backed by a SharedArrayBuffer so worker threads share it without
   * copies; or, when they would take more memory than LossLab allows itself, a pixel file on disk.
   */
  pixels: Pixels;
  skipped: SkippedFile[];
  /** Images found per class before any split (decoded ones only). */
  classCounts: number[];
  /** A stable hash of the file list, sizes, mtimes and preprocessing settings. */
  fingerprint: string;
  /** The separate test folder, when LoadOptions.testRoot was given (its items' `file` is relative to it). */
  testRoot?: string;
  /** Preprocessing actually applied. */
  resize?: ResizePolicy;
  colorMode?: ColorMode;
  loadStats?: LoadStats;
}

export type ImbalanceProfile =
  | { kind: 'none' }
  | { kind: 'exp'; ratio: number }
  | { kind: 'step'; ratio: number }
  | { kind: 'counts'; counts: Record<string, number> };

export interface SplitOptions {
  testFraction: number;
  valFraction: number;
  imbalance: ImbalanceProfile;
  seed: number;
}

export interface SplitPlan {
  /** Indices into LoadedDataset.items. */
  train: number[];
  val: number[];
  test: number[];
  /** Per class, in class order. */
  counts: {
    poolBeforeImbalance: number[];
    train: number[];
    val: number[];
    test: number[];
  };
  /** Class indices ordered head → tail as the imbalance profile assigned them (seeded). */
  headToTail: number[];
  imbalance: ImbalanceProfile;
  seed: number;
}
