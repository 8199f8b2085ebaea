/** Parses the seeds field ("1, 2, 3" or "1-5") into distinct non-negative integers, or says what is wrong. */
export function parseSeeds(text: string): { ok: true; seeds: number[] } | { ok: false; message: string } {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) return { ok: false, message: 'Give at least one seed, e.g. 1 or 1, 2, 3.' };
  const seeds: number[] = [];
  for (const part of parts) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (to < from || to - from >= 100) return { ok: false, message: `"${part}" is not a usable range (at most 100 seeds, low-high).` };
      for (let s = from; s <= to; s++) seeds.push(s);
    } else if (/^\d+$/.test(part)) {
      seeds.push(Number(part));
    } else {
      return { ok: false, message: `"${part}" is not a seed: seeds are whole numbers ≥ 0, separated by commas.` };
    }
  }
  const distinct = [...new Set(seeds)];
  if (distinct.length > 100) return { ok: false, message: 'At most 100 seeds.' };
  if (distinct.some((s) => s > 2 ** 31 - 1)) return { ok: false, message: 'Seeds must be below 2³¹.' };
  return { ok: true, seeds: distinct };
}
