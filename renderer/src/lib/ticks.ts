/** Round-numbered axis ticks ("nice" steps of 1, 2 or 5 × 10^k) covering [low, high]. */
export function niceTicks(low: number, high: number, targetCount = 5): number[] {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return [];
  if (high < low) [low, high] = [high, low];
  if (high === low) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  const rough = (high - low) / Math.max(1, targetCount);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const first = Math.ceil(low / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = first; t <= high + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** The domain extended outwards to whole ticks, so lines never touch the frame. */
export function niceDomain(low: number, high: number, targetCount = 5): [number, number] {
  const ticks = niceTicks(low, high, targetCount);
  if (ticks.length < 2) return [low, high];
  const step = ticks[1]! - ticks[0]!;
  const lo = ticks[0]! > low ? ticks[0]! - step : ticks[0]!;
  const hi = ticks[ticks.length - 1]! < high ? ticks[ticks.length - 1]! + step : ticks[ticks.length - 1]!;
  return [lo, hi];
}
