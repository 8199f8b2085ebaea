/** Bounded-concurrency helpers: at most `limit` tasks in flight, so memory and file handles stay bounded. */

/** Runs `task(i)` for i in [0, count) with at most `limit` running at once; stops early when aborted. */
export async function forEachBounded(count: number, limit: number, task: (index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      if (signal?.aborted) return;
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, worker));
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}

/**
 * Rate-limits a progress callback: the UI gains nothing from 10,000 events a second, and an
 * IPC bridge can choke on them. The first and the final call always go through.
 */
export function throttle<T>(fn: ((value: T) => void) | undefined, intervalMs = 50): { push: (value: T, final?: boolean) => void } {
  let last = -Infinity;
  return {
    push(value: T, final = false): void {
      if (!fn) return;
      const now = performance.now();
      if (final || now - last >= intervalMs) {
        last = now;
        fn(value);
      }
    },
  };
}
