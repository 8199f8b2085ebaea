import type { DatasetOverview } from '../../../main/api/contract';
import type { LoadProgress } from '../../../main/dataset/types';
import { describeError, type ShownError } from '../lib/error-advice';
import type { LossLabClient } from '../api';

export type ResizePolicy = DatasetOverview['resize'];
export type ColorModeChoice = 'auto' | 'rgb' | 'grayscale';

export interface DatasetLoadOptions {
  imageSize: number;
  resize: ResizePolicy;
  colorMode: ColorModeChoice;
}

/** Names only the button this mode has: the desktop app's dialog, or served mode's folder browser. */
function openAdvice(mode: 'desktop' | 'served'): string {
  const pick = mode === 'desktop' ? 'Pick the folder with “Open folder…” or drop it on the window' : 'Pick the folder with “Browse server folders…”';
  return `${pick}. It must hold one sub-folder per class (or train/ and test/ folders that do), with images in a common format (JPEG, PNG, WebP, GIF, TIFF, AVIF).`;
}

/** The dataset being worked on: opening it (with progress), its overview, and the preprocessing options. */
export class DatasetState {
  path = $state<string | null>(null);
  overview = $state<DatasetOverview | null>(null);
  /** Non-null while a folder is being scanned and decoded. */
  progress = $state<LoadProgress | null>(null);
  loading = $state(false);
  error = $state<ShownError | null>(null);
  options = $state<DatasetLoadOptions>({ imageSize: 32, resize: 'center-crop', colorMode: 'auto' });
  /** Called after a different folder was opened, so settings tied to the old one can be reset. */
  onOpened: ((path: string, previous: string | null) => void) | null = null;
  /** Opening a second folder while one loads makes the first result stale; only the latest counts. */
  private generation = 0;

  constructor(private readonly client: LossLabClient) {
    client.on('dataset.progress', (event) => {
      // One window opens one folder at a time; the event names the path as resolved on disk, which may differ from what was typed.
      if (this.loading) this.progress = { phase: event.phase, done: event.done, total: event.total, cached: event.cached };
    });
  }

  async open(path: string): Promise<boolean> {
    const generation = ++this.generation;
    this.loading = true;
    this.error = null;
    this.progress = null;
    try {
      const overview = await this.client.api['dataset.open']({ path, ...this.options });
      if (generation !== this.generation) return false;
      const previous = this.path;
      this.overview = overview;
      this.path = overview.path;
      if (previous !== overview.path) this.onOpened?.(overview.path, previous);
      return true;
    } catch (error) {
      if (generation !== this.generation) return false;
      this.error = describeError(error, 'Could not open the dataset', openAdvice(this.client.mode));
      return false;
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.progress = null;
      }
    }
  }

  async openSample(): Promise<boolean> {
    this.error = null;
    try {
      const { path } = await this.client.api['dataset.samplePath']({});
      return await this.open(path);
    } catch (error) {
      this.error = describeError(error, 'Could not find the sample dataset', 'The installation may be incomplete: reinstall LossLab, or open your own folder instead.');
      return false;
    }
  }

  /** Re-reads the same folder after a preprocessing option changed. */
  async reopen(): Promise<boolean> {
    return this.path ? this.open(this.path) : false;
  }
}
