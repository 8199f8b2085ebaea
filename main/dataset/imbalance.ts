/**
 * Imbalance profiles: how many training images each class keeps.
 *
 * Classes are ranked head → tail by a seeded shuffle of the class indices (for `counts`, by the
 * requested counts). The rank order depends only on the seed and the number of classes, never
 * on the pool sizes, so the live preview and the final plan agree, and a different seed puts
 * different classes in the tail (a reported choice: SplitPlan.headToTail).
 *
 *  - none:  every class keeps its whole pool.
 *  - exp:   the class at rank i of C keeps round(n_max · ρ^(−i/(C−1))) images (at least 1),
 *           where n_max is the largest pool; the head keeps n_max, the last class n_max/ρ.
 *  - step:  the tail half by rank (floor(C/2) classes) keeps round(n_max/ρ) images (at least
 *           1); the head half keeps its pool.
 *  - counts: the named classes keep exactly the given counts; unnamed classes keep their pool.
 * A class never keeps more than its pool holds.
 */
import { DatasetError } from './errors';
import { printable } from './names';
import type { ImbalanceProfile } from './types';
import { createRng, deriveSeed, shuffleInPlace } from '../util/random';

export interface ImbalanceResult {
  /** Training images kept per class, in class order. */
  counts: number[];
  /** Class indices, head first. */
  headToTail: number[];
}

export function validateImbalance(profile: ImbalanceProfile): void {
  const kind = (profile as { kind?: unknown } | null)?.kind;
  if (kind === 'none') return;
  if (kind === 'exp' || kind === 'step') {
    const ratio = (profile as { ratio: unknown }).ratio;
    if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 1) {
      throw new DatasetError('bad-imbalance', `Imbalance ratio ${String(ratio)} is not valid for the ${kind} profile.`,
        'The ratio ρ is head size over tail size: use a number ≥ 1 (1 means balanced; 10 and 100 are common).');
    }
    return;
  }
  if (kind === 'counts') {
    const counts = (profile as { counts: unknown }).counts;
    if (typeof counts !== 'object' || counts === null || Array.isArray(counts)) {
      throw new DatasetError('bad-imbalance', 'The counts profile needs an object of class name → training image count.',
        'Write it as e.g. {"cat": 200, "dog": 20}.');
    }
    for (const [name, n] of Object.entries(counts)) {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw new DatasetError('bad-imbalance', `The count for class "${printable(name)}" is ${JSON.stringify(n)}.`,
          'Each count must be a whole number ≥ 1 (every class needs at least one training image).');
      }
    }
    return;
  }
  throw new DatasetError('bad-imbalance', `Imbalance profile "${String(kind)}" is not known.`, 'Use none, exp, step or counts.');
}

/** The seeded head → tail order for C classes. */
export function seededClassOrder(classCount: number, seed: number): number[] {
  return shuffleInPlace(Array.from({ length: classCount }, (_, i) => i), createRng(deriveSeed(seed, 'imbalance:class-order')));
}

/** Head → tail by training count (largest first), ties by class name (then index), so it is deterministic and readable. */
function orderByCount(counts: number[], classNames?: string[]): number[] {
  const name = (c: number) => classNames?.[c] ?? '';
  return Array.from({ length: counts.length }, (_, i) => i).sort(
    (a, b) => (counts[b] as number) - (counts[a] as number) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0) || a - b,
  );
}

export function computeImbalance(poolCounts: number[], profile: ImbalanceProfile, seed: number, classNames?: string[]): ImbalanceResult {
  validateImbalance(profile);
  const C = poolCounts.length;
  const nMax = poolCounts.reduce((a, b) => Math.max(a, b), 0);
  if (profile.kind === 'counts') {
    if (!classNames || classNames.length !== C) {
      throw new DatasetError('bad-imbalance', 'The counts profile needs the class names to match counts to classes.', 'Pass the dataset\'s class names.');
    }
    const counts = [...poolCounts];
    const unknown = Object.keys(profile.counts).filter((name) => !classNames.includes(name));
    if (unknown.length) {
      throw new DatasetError('bad-imbalance', `The counts profile names ${unknown.length === 1 ? 'a class' : 'classes'} the dataset does not have: ${unknown.slice(0, 10).map((n) => `"${printable(n)}"`).join(', ')}.`,
        `The classes are: ${classNames.slice(0, 20).map((n) => `"${printable(n)}"`).join(', ')}${classNames.length > 20 ? ', ...' : ''}. Fix the names (they are case-sensitive).`);
    }
    const tooMany: string[] = [];
    classNames.forEach((name, c) => {
      const want = Object.prototype.hasOwnProperty.call(profile.counts, name) ? profile.counts[name] : undefined;
      if (want === undefined) return;
      if (want > (poolCounts[c] ?? 0)) tooMany.push(`"${printable(name)}" asks for ${want} but has ${poolCounts[c]}`);
      else counts[c] = want;
    });
    if (tooMany.length) {
      throw new DatasetError('bad-imbalance', `The counts profile asks for more training images than the training pool holds (after the test and validation sets are taken): ${tooMany.slice(0, 10).join('; ')}.`,
        'Lower those counts, or lower the test/validation fractions.');
    }
    return { counts, headToTail: orderByCount(counts, classNames) };
  }
  // Nothing is reduced: the head and tail are simply the classes with the most and fewest
  // images, not a random order that would put a large class in the "tail".
  if (profile.kind === 'none' || profile.ratio === 1) return { counts: [...poolCounts], headToTail: orderByCount(poolCounts, classNames) };

  const headToTail = seededClassOrder(C, seed);
  const counts = [...poolCounts];
  if (profile.kind === 'exp') {
    headToTail.forEach((c, rank) => {
      const target = C > 1 ? Math.round(nMax * profile.ratio ** (-rank / (C - 1))) : nMax;
      counts[c] = Math.min(poolCounts[c] as number, Math.max(1, target));
    });
  } else if (profile.kind === 'step') {
    const tailStart = C - Math.floor(C / 2);
    const tailTarget = Math.max(1, Math.round(nMax / profile.ratio));
    headToTail.forEach((c, rank) => {
      if (rank >= tailStart) counts[c] = Math.min(poolCounts[c] as number, tailTarget);
    });
  }
  return { counts, headToTail };
}

/** Training images per class that a profile would keep from these pools (the UI's live preview). */
export function previewImbalance(poolCounts: number[], profile: ImbalanceProfile, seed: number, classNames?: string[]): number[] {
  return computeImbalance(poolCounts, profile, seed, classNames).counts;
}
