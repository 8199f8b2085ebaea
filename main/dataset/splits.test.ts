import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatasetError } from './errors';
import { planSplits, previewImbalance } from './splits';
import type { GivenSplit, ImbalanceProfile, LoadedDataset, SplitOptions } from './types';

/** A dataset with no pixels: splits only look at items and classes. */
function dataset(counts: Record<string, number | Partial<Record<GivenSplit, number>>>): LoadedDataset {
  const classes = Object.keys(counts);
  const items: LoadedDataset['items'] = [];
  classes.forEach((name, classIndex) => {
    const spec = counts[name] as number | Partial<Record<GivenSplit, number>>;
    const perGiven: Partial<Record<GivenSplit, number>> = typeof spec === 'number' ? { pool: spec } : spec;
    for (const [given, n] of Object.entries(perGiven) as Array<[GivenSplit, number]>) {
      for (let i = 0; i < n; i++) items.push({ file: `${given}/${name}/${i}.png`, absolutePath: `/x/${given}/${name}/${i}.png`, classIndex, given });
    }
  });
  return {
    root: '/x', classes, imageSize: 1, channels: 1, items, pixels: new Uint8Array(new SharedArrayBuffer(items.length)),
    skipped: [], classCounts: classes.map((_, c) => items.filter((it) => it.classIndex === c).length), fingerprint: 'test',
  };
}

const options = (over: Partial<SplitOptions> = {}): SplitOptions => ({ testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'none' }, seed: 7, ...over });

function perClass(ds: LoadedDataset, indices: number[]): number[] {
  const counts = ds.classes.map(() => 0);
  for (const i of indices) counts[ds.items[i]?.classIndex as number]++;
  return counts;
}

describe('planSplits: stratified hold-out', () => {
  const ds = dataset({ a: 100, b: 50, c: 20 });

  it('holds out test first, then validation from the rest, per class', () => {
    const plan = planSplits(ds, options());
    assert.deepEqual(plan.counts.test, [20, 10, 4]);
    assert.deepEqual(plan.counts.val, [8, 4, 2]);
    assert.deepEqual(plan.counts.poolBeforeImbalance, [72, 36, 14]);
    assert.deepEqual(plan.counts.train, [72, 36, 14]);
    assert.deepEqual(perClass(ds, plan.test), plan.counts.test);
    assert.deepEqual(perClass(ds, plan.train), plan.counts.train);
  });

  it('splits are disjoint, sorted and cover every item when there is no imbalance', () => {
    const plan = planSplits(ds, options());
    const all = [...plan.train, ...plan.val, ...plan.test];
    assert.equal(new Set(all).size, all.length);
    assert.equal(all.length, ds.items.length);
    for (const list of [plan.train, plan.val, plan.test]) assert.deepEqual(list, [...list].sort((x, y) => x - y));
  });

  it('is deterministic for a seed and differs between seeds', () => {
    assert.deepEqual(planSplits(ds, options()), planSplits(ds, options()));
    assert.notDeepEqual(planSplits(ds, options()).test, planSplits(ds, options({ seed: 8 })).test);
  });

  it('never touches test or validation with the imbalance profile', () => {
    const base = planSplits(ds, options());
    const profiles: ImbalanceProfile[] = [{ kind: 'exp', ratio: 50 }, { kind: 'step', ratio: 10 }, { kind: 'counts', counts: { a: 3, c: 1 } }];
    for (const imbalance of profiles) {
      const plan = planSplits(ds, options({ imbalance }));
      assert.deepEqual(plan.test, base.test, imbalance.kind);
      assert.deepEqual(plan.val, base.val, imbalance.kind);
      assert.deepEqual(plan.counts.poolBeforeImbalance, base.counts.poolBeforeImbalance);
      assert.ok(plan.train.every((i) => base.train.includes(i)), 'train is a subset of the pool');
    }
  });

  it('keeps at least one test and one training image in a two-image class', () => {
    const plan = planSplits(dataset({ a: 2, b: 10 }), options());
    assert.deepEqual(plan.counts.test, [1, 2]);
    assert.equal(plan.counts.train[0], 1);
    assert.equal(plan.counts.val[0], 0);
  });

  it('uses given train/val/test folders as they are', () => {
    const given = dataset({ a: { train: 30, val: 3, test: 7 }, b: { train: 10, val: 2, test: 5 } });
    const plan = planSplits(given, options({ imbalance: { kind: 'exp', ratio: 10 } }));
    assert.deepEqual(plan.counts.test, [7, 5]);
    assert.deepEqual(plan.counts.val, [3, 2]);
    assert.deepEqual(plan.counts.poolBeforeImbalance, [30, 10]);
    assert.ok(plan.test.every((i) => given.items[i]?.given === 'test'));
    assert.ok(plan.val.every((i) => given.items[i]?.given === 'val'));
    assert.ok(plan.train.every((i) => given.items[i]?.given === 'train'));
  });

  it('carves validation from given train items when there is no val folder', () => {
    const given = dataset({ a: { train: 50, test: 5 }, b: { train: 50, test: 5 } });
    const plan = planSplits(given, options());
    assert.deepEqual(plan.counts.val, [5, 5]);
    assert.deepEqual(plan.counts.test, [5, 5]);
  });
});

describe('planSplits: imbalance profiles', () => {
  // 125 per class with a 20% test set leaves exactly 100 per class in the pool (no validation).
  const five = dataset({ a: 125, b: 125, c: 125, d: 125, e: 125 });
  const noVal = (imbalance: ImbalanceProfile, seed = 3): SplitOptions => options({ valFraction: 0, imbalance, seed });

  it('exp: the class at rank i keeps round(n_max·ρ^(−i/(C−1)))', () => {
    const plan = planSplits(five, noVal({ kind: 'exp', ratio: 10 }));
    assert.deepEqual(plan.counts.poolBeforeImbalance, [100, 100, 100, 100, 100]);
    const byRank = plan.headToTail.map((c) => plan.counts.train[c]);
    assert.deepEqual(byRank, [100, 56, 32, 18, 10]);
    assert.deepEqual([...plan.headToTail].sort(), [0, 1, 2, 3, 4]);
  });

  it('none and ratio 1: head → tail is by training count, ties by class name, whatever the seed', () => {
    // Classes listed out of name order, with a tie between "ant" and "bee".
    const uneven = dataset({ zebra: 50, bee: 150, ant: 150, cat: 100 });
    for (const imbalance of [{ kind: 'none' }, { kind: 'exp', ratio: 1 }, { kind: 'step', ratio: 1 }] as ImbalanceProfile[]) {
      for (const seed of [1, 2, 3]) {
        const plan = planSplits(uneven, options({ valFraction: 0, imbalance, seed }));
        assert.deepEqual(plan.headToTail.map((c) => ['zebra', 'bee', 'ant', 'cat'][c]), ['ant', 'bee', 'cat', 'zebra'], `${imbalance.kind} seed ${seed}`);
      }
    }
  });

  it('exp: at least one image per class, and never more than the pool', () => {
    const plan = planSplits(dataset({ a: 125, b: 125, c: 125 }), noVal({ kind: 'exp', ratio: 1000 }));
    assert.deepEqual(plan.headToTail.map((c) => plan.counts.train[c]), [100, 3, 1]);
    const uneven = planSplits(dataset({ a: 25, b: 125, c: 125 }), noVal({ kind: 'exp', ratio: 2 }));
    const small = uneven.counts.poolBeforeImbalance[0] as number;
    assert.ok((uneven.counts.train[0] as number) <= small);
  });

  it('step: the tail half by rank keeps round(n_max/ρ); the head keeps its pool', () => {
    const plan = planSplits(five, noVal({ kind: 'step', ratio: 4 }));
    assert.deepEqual(plan.headToTail.map((c) => plan.counts.train[c]), [100, 100, 100, 25, 25]);
    const four = planSplits(dataset({ a: 125, b: 125, c: 125, d: 125 }), noVal({ kind: 'step', ratio: 3 }));
    assert.deepEqual(four.headToTail.map((c) => four.counts.train[c]), [100, 100, 33, 33]);
  });

  it('the tail classes are a seeded choice', () => {
    const orders = new Set([1, 2, 3, 4, 5, 6].map((seed) => planSplits(five, noVal({ kind: 'exp', ratio: 10 }, seed)).headToTail.join()));
    assert.ok(orders.size > 1, 'different seeds pick different tails');
    assert.deepEqual(planSplits(five, noVal({ kind: 'exp', ratio: 10 }, 9)).headToTail, planSplits(five, noVal({ kind: 'step', ratio: 10 }, 9)).headToTail);
  });

  it('a stronger imbalance keeps a subset of what a weaker one kept', () => {
    const mild = planSplits(five, noVal({ kind: 'exp', ratio: 2 }));
    const strong = planSplits(five, noVal({ kind: 'exp', ratio: 20 }));
    assert.ok(strong.train.every((i) => mild.train.includes(i)));
  });

  it('counts: named classes keep exactly their count, others keep their pool', () => {
    const plan = planSplits(five, noVal({ kind: 'counts', counts: { b: 7, d: 40 } }));
    assert.deepEqual(plan.counts.train, [100, 7, 100, 40, 100]);
    assert.deepEqual(plan.headToTail, [0, 2, 4, 3, 1]);
  });

  it('counts: unknown classes, too many images and bad numbers are errors', () => {
    const run = (counts: Record<string, number>): SplitPlan => planSplits(five, noVal({ kind: 'counts', counts }));
    assert.throws(() => run({ zebra: 3 }), (e: unknown) => e instanceof DatasetError && e.code === 'bad-imbalance' && /does not have: "zebra"/.test(e.message) && /The classes are: "a", "b"/.test(e.message));
    assert.throws(() => run({ a: 101 }), /"a" asks for 101 but has 100.*Lower those counts/);
    assert.throws(() => run({ a: 0 }), /count for class "a" is 0.*whole number ≥ 1/);
    assert.throws(() => run({ a: 2.5 }), /count for class "a" is 2.5/);
  });

  it('previewImbalance gives the same training counts as the plan', () => {
    const profiles: ImbalanceProfile[] = [{ kind: 'none' }, { kind: 'exp', ratio: 10 }, { kind: 'step', ratio: 5 }, { kind: 'counts', counts: { c: 9 } }];
    for (const imbalance of profiles) {
      const plan = planSplits(five, noVal(imbalance, 11));
      assert.deepEqual(previewImbalance(plan.counts.poolBeforeImbalance, imbalance, 11, five.classes), plan.counts.train, imbalance.kind);
    }
    assert.deepEqual(previewImbalance([10, 10], { kind: 'exp', ratio: 10 }, 1).sort((x, y) => x - y), [1, 10]);
  });
});

describe('planSplits: validation', () => {
  const ds = dataset({ a: 20, b: 20 });

  it('rejects ratios below 1 and non-numbers', () => {
    assert.throws(() => planSplits(ds, options({ imbalance: { kind: 'exp', ratio: 0.5 } })), /ratio 0.5 is not valid.*≥ 1/);
    assert.throws(() => planSplits(ds, options({ imbalance: { kind: 'step', ratio: Number.NaN } })), /ratio NaN/);
    assert.throws(() => planSplits(ds, options({ imbalance: { kind: 'zipf' } as never })), /"zipf" is not known/);
  });

  it('rejects fractions outside [0, 1) and fractional seeds', () => {
    assert.throws(() => planSplits(ds, options({ testFraction: 1 })), /test fraction 1 is not valid/);
    assert.throws(() => planSplits(ds, options({ valFraction: -0.1 })), /validation fraction -0.1 is not valid/);
    assert.throws(() => planSplits(ds, options({ seed: 1.5 })), /seed 1.5 is not valid/);
  });

  it('needs a test set: a zero test fraction without a test folder is an error', () => {
    assert.throws(() => planSplits(ds, options({ testFraction: 0 })), (e: unknown) => e instanceof DatasetError && e.code === 'bad-split' && /no test set/.test(e.message));
  });

  it('every class needs a test image and a training image', () => {
    assert.throws(() => planSplits(dataset({ a: 20, lonely: 1 }), options()), /Class "lonely" has fewer than 2 readable images/);
    assert.throws(() => planSplits(dataset({ a: { train: 5, test: 2 }, b: { train: 5 } }), options()), /test set has no image of class "b"/);
    assert.throws(() => planSplits(dataset({ a: { train: 5, test: 2 }, b: { val: 3, test: 2 } }), options()), /No training image is left for class "b"/);
  });
});

type SplitPlan = ReturnType<typeof planSplits>;
