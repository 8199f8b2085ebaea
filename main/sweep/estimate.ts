/**
 * How long a sweep will take, measured on this machine. The unit of work is one training image
 * seen once (an image-epoch): a setting's run costs its training images × epochs, so a ρ = 100
 * setting (few images) costs less than a balanced one. The first epochs give seconds per
 * image-epoch; once runs finish, their whole time (start-up, validation and test included)
 * replaces that figure, so the estimate is refined as the sweep goes on.
 */

export interface SettingWork {
  /** Runs in the setting and the training images each sees per epoch. */
  runs: number;
  trainImages: number;
  epochs: number;
  /** Runs trained at once in this setting (workers, at most its runs). */
  parallel: number;
}

export interface DurationEstimate {
  /** Seconds left, or null before anything was measured. */
  remainingSeconds: number | null;
  /** What the figure comes from: nothing yet, earlier experiments on this machine, the first epochs, or finished runs. */
  basis: 'none' | 'past' | 'epochs' | 'runs';
  runsLeft: number;
}

export class DurationEstimator {
  private epochSeconds = 0;
  private epochWork = 0;
  private runSeconds = 0;
  private runWork = 0;
  private readonly finished: number[];
  private readonly epochsDone: number[];

  /** `pastSecondsPerImageEpoch`: measured by earlier experiments here (past-throughput.ts), used until this sweep measures its own. */
  constructor(
    private readonly settings: readonly SettingWork[],
    private readonly pastSecondsPerImageEpoch: number | null = null,
  ) {
    this.finished = settings.map(() => 0);
    this.epochsDone = settings.map(() => 0);
  }

  /** A run's epoch ended in `setting` after `seconds` (training stage only). */
  observeEpoch(setting: number, seconds: number): void {
    const s = this.settings[setting]!;
    this.epochSeconds += seconds;
    this.epochWork += s.trainImages;
    this.epochsDone[setting]! += 1;
  }

  /** A run finished; `seconds` is its whole time, or null for a run finished earlier (resume), which only counts as done. */
  observeRun(setting: number, seconds: number | null): void {
    const s = this.settings[setting]!;
    this.finished[setting]! += 1;
    // Its epochs are now part of a finished run, not of work in progress.
    this.epochsDone[setting] = Math.max(0, this.epochsDone[setting]! - s.epochs);
    if (seconds !== null) {
      this.runSeconds += seconds;
      this.runWork += s.trainImages * s.epochs;
    }
  }

  estimate(): DurationEstimate {
    const runsLeft = this.settings.reduce((sum, s, k) => sum + s.runs - this.finished[k]!, 0);
    const basis = this.runWork > 0 ? 'runs' : this.epochWork > 0 ? 'epochs' : this.pastSecondsPerImageEpoch !== null ? 'past' : 'none';
    if (basis === 'none') return { remainingSeconds: null, basis, runsLeft };
    const perImageEpoch = basis === 'runs' ? this.runSeconds / this.runWork : basis === 'epochs' ? this.epochSeconds / this.epochWork : this.pastSecondsPerImageEpoch!;
    let seconds = 0;
    this.settings.forEach((s, k) => {
      const work = (s.runs - this.finished[k]!) * s.trainImages * s.epochs - this.epochsDone[k]! * s.trainImages;
      seconds += (Math.max(0, work) * perImageEpoch) / Math.max(1, Math.min(s.parallel, s.runs));
    });
    return { remainingSeconds: seconds, basis, runsLeft };
  }
}

/** "45 s", "12 min", "3 h 20 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
