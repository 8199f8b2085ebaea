/**
 * Seeded pseudo-random numbers. Every random choice LossLab makes (splits, which classes
 * become the tail, batch order, augmentation, weight initialisation seeds) draws from one
 * of these so that the same seed gives the same numbers on every machine.
 */

/**
 * A generator of floats in [0, 1). Its whole state is one 32-bit integer, readable and
 * settable, so a checkpoint can store it and a resumed run continues the same stream.
 */
export interface Rng {
  (): number;
  state: number;
}

/** Mulberry32: small, fast, and good enough for shuffles; 32-bit state so it is portable. */
export function createRng(seed: number): Rng {
  const rng = (() => {
    rng.state = (rng.state + 0x6d2b79f5) >>> 0;
    let t = rng.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  rng.state = seed >>> 0;
  return rng;
}

/**
 * Derives an independent seed for a named purpose, so that e.g. the data split does not
 * change when the number of augmentation draws changes. FNV-1a over the label, mixed with the seed.
 */
export function deriveSeed(seed: number, purpose: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < purpose.length; i++) {
    h ^= purpose.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Fisher–Yates shuffle in place; returns the same array. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
