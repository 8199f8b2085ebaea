import { shuffleInPlace, type Rng } from '../util/random';

/**
 * Samplers decide which training images an epoch draws, and in what order. `instance` is
 * today's path (every image once, shuffled) and stays bit-identical to it; the others draw
 * a fixed number of images per class each epoch, so the class frequencies they promise are
 * met exactly, not only in expectation (Kang et al. 2020, §3: p_j = n_j^q / Σ_i n_i^q).
 */

export const SAMPLER_IDS = ['instance', 'class-balanced', 'sqrt', 'progressive'] as const;
export type SamplerId = (typeof SAMPLER_IDS)[number];

/**
 * Probability of drawing class j at `epoch` (0-based) of `totalEpochs`. Classes without a
 * training image get 0 (they cannot be drawn) and the rest share the mass.
 *  - instance: q = 1, p_j = n_j / N;
 *  - class-balanced: q = 0, p_j = 1 / C;
 *  - sqrt: q = ½;
 *  - progressive: (1 − t/T)·p^IB + (t/T)·p^CB with t the epoch and T the epochs.
 */
export function samplerProbabilities(sampler: SamplerId, counts: readonly number[], epoch: number, totalEpochs: number): number[] {
  const power = (q: number) => {
    const raw = counts.map((n) => (n > 0 ? n ** q : 0));
    const total = raw.reduce((a, b) => a + b, 0);
    return raw.map((r) => (total > 0 ? r / total : 0));
  };
  switch (sampler) {
    case 'instance':
      return power(1);
    case 'class-balanced':
      return power(0);
    case 'sqrt':
      return power(0.5);
    case 'progressive': {
      const t = totalEpochs > 0 ? epoch / totalEpochs : 0;
      const ib = power(1);
      const cb = power(0);
      return ib.map((p, j) => (1 - t) * p + t * (cb[j] as number));
    }
  }
}

/**
 * Whole images per class that add up to `total`: ⌊total·p_j⌋, then one more for the largest
 * remainders (ties to the lower class index), so every epoch draws exactly `total` images.
 */
export function classQuotas(probabilities: readonly number[], total: number): number[] {
  const exact = probabilities.map((p) => p * total);
  const quotas = exact.map((x) => Math.floor(x + 1e-9));
  let missing = total - quotas.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, j) => ({ j, rest: probabilities[j]! > 0 ? x - quotas[j]! : -1 }))
    .sort((a, b) => b.rest - a.rest || a.j - b.j);
  for (const { j, rest } of byRemainder) {
    if (missing <= 0 || rest < 0) break;
    quotas[j]! += 1;
    missing--;
  }
  return quotas;
}

/** Training positions grouped by class: `labels[p]` is the class of position p. */
export function positionsByClass(labels: ArrayLike<number>, numClasses: number): number[][] {
  const groups: number[][] = Array.from({ length: numClasses }, () => []);
  for (let p = 0; p < labels.length; p++) groups[labels[p] as number]!.push(p);
  return groups;
}

/**
 * One epoch's order for a class-quota sampler: each class's quota is drawn by cycling through
 * fresh random permutations of its images (no image repeats before every image of its class
 * was drawn, as Kang et al.'s class-aware sampler cycles), then the whole epoch is shuffled.
 * Everything comes from `rng`, so the seed's order stream fixes it.
 */
export function quotaEpochOrder<T>(groups: readonly (readonly T[])[], quotas: readonly number[], rng: Rng): T[] {
  const order: T[] = [];
  groups.forEach((items, j) => {
    let need = quotas[j] ?? 0;
    if (need > 0 && items.length === 0) throw new Error(`The sampler asked for ${need} images of class ${j}, which has none`);
    while (need > 0) {
      const cycle = shuffleInPlace(items.slice(), rng);
      const take = Math.min(need, cycle.length);
      for (let k = 0; k < take; k++) order.push(cycle[k] as T);
      need -= take;
    }
  });
  return shuffleInPlace(order, rng);
}

/**
 * The items of one epoch under `sampler`. Instance sampling shuffles `instanceOrder` in place,
 * exactly as training always has (so its numbers do not change); the others draw class quotas.
 */
export function epochOrder<T>(sampler: SamplerId, instanceOrder: T[], groups: readonly (readonly T[])[], epoch: number, totalEpochs: number, rng: Rng): T[] {
  if (sampler === 'instance') return shuffleInPlace(instanceOrder, rng);
  const counts = groups.map((g) => g.length);
  return quotaEpochOrder(groups, classQuotas(samplerProbabilities(sampler, counts, epoch, totalEpochs), instanceOrder.length), rng);
}
