/**
 * The documented special cases and reductions, checked through the tfjs implementations
 * themselves (float32 against float32, so tolerances are tight).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COUNTS, LABELS, TOTAL_EPOCHS } from './cases';
import { assertAllClose, assertClose, evaluate, randomMatrix, useBackend } from './harness';
import { drwStartEpoch } from './ldam';
import { getLoss, resolveLossParams } from './registry';
import type { RawParams } from './params';

before(async () => useBackend('cpu'));

const Z = randomMatrix(7, LABELS.length, COUNTS.length, 3);
const run = (id: string, params: RawParams = {}, epoch = 0, z = Z, counts = COUNTS) => evaluate(id, params, counts, TOTAL_EPOCHS, z, LABELS, epoch);

function assertSameLoss(a: ReturnType<typeof run>, b: ReturnType<typeof run>, what: string, tol = 2e-6): void {
  assertClose(a.loss, b.loss, tol, tol, `${what}: loss`);
  if (a.perSample && b.perSample) assertAllClose(a.perSample, b.perSample, tol, tol, `${what}: per-sample`);
  assertAllClose(a.gradient, b.gradient, tol, tol, `${what}: gradient`);
}

describe('special cases reduce to cross-entropy', () => {
  const ce = run('ce');
  test('focal with γ = 0 is CE', () => assertSameLoss(run('focal', { gamma: 0 }), ce, 'focal γ=0'));
  test('logit-adjusted with τ = 0 is CE', () => assertSameLoss(run('logit-adjusted', { tau: 0 }), ce, 'logit-adjusted τ=0'));
  test('label smoothing with ε = 0 is CE', () => assertSameLoss(run('label-smoothing', { epsilon: 0 }), ce, 'label-smoothing ε=0'));
  test('class-balanced CE with β = 0 is CE', () => assertSameLoss(run('cb-ce', { beta: 0 }), ce, 'cb-ce β=0'));
  test('poly1 with ε = 0 is CE', () => assertSameLoss(run('poly1', { epsilon: 0 }), ce, 'poly1 ε=0'));
  test('weighted CE with equal custom weights is CE', () => assertSameLoss(run('weighted-ce', { weights: '2,2,2,2,2' }), ce, 'weighted-ce equal'));
  test('weighted CE with equal class counts is CE', () => assertSameLoss(run('weighted-ce', {}, 0, Z, [7, 7, 7, 7, 7]), ce, 'weighted-ce balanced'));
  test('SCE with α = 1, β = 0 is CE', () => assertSameLoss(run('sce', { alpha: 1, beta: 0 }), ce, 'sce α=1 β=0'));
  test('LDAM with tiny margins, s = 1 and no DRW is CE', () => assertSameLoss(run('ldam', { maxMargin: 1e-9, s: 1, drw: 'off' }), ce, 'ldam'));
  test('LDAM with DRW β = 0 after the switch is still unweighted', () => {
    assertSameLoss(run('ldam', { drwBeta: 0 }, 9), run('ldam', { drw: 'off' }, 9), 'ldam drwBeta=0');
  });
  test('GCE with q → 0 approaches CE (error ≈ q·CE²/2)', () => {
    const g = run('gce', { q: 1e-4 });
    // (1 − e^{−q·ℓ})/q = ℓ − qℓ²/2 + …; with ℓ ≲ 15 the gap is below 0.012 — and shrinks with q.
    for (const [i, v] of g.perSample!.entries()) {
      const l = ce.perSample![i]!;
      assert.ok(Math.abs(v - l) <= 1e-4 * l * l * 0.5 + 1e-5, `sample ${i}: ${v} vs CE ${l}`);
    }
    const finer = run('gce', { q: 1e-6 });
    assertClose(finer.loss, ce.loss, 1e-4, 1e-4, 'gce q=1e-6');
  });
});

describe('other documented identities', () => {
  test('GCE with q = 1 is 1 − p_y, half of MAE', () => {
    const g = run('gce', { q: 1 });
    const m = run('mae');
    assertAllClose(g.perSample!, m.perSample!.map((v) => v / 2), 2e-6, 2e-6, 'gce q=1 vs mae/2');
  });
  test('balanced softmax equals logit-adjusted with τ = 1', () => assertSameLoss(run('balanced-softmax'), run('logit-adjusted', { tau: 1 }), 'bs vs la', 1e-5));
  test('class-balanced focal with γ = 0 equals class-balanced sigmoid', () => assertSameLoss(run('cb-focal', { gamma: 0 }), run('cb-sigmoid'), 'cb-focal γ=0'));
  test('squared hinge is the hinge squared', () => {
    assertAllClose(run('squared-hinge').perSample!, run('hinge').perSample!.map((v) => v * v), 1e-5, 1e-6, 'squared hinge');
  });
  test('focal with a scalar α is α times focal without α', () => {
    const a = run('focal', { alpha: 0.25 });
    const b = run('focal');
    assertAllClose(a.perSample!, b.perSample!.map((v) => 0.25 * v), 1e-6, 1e-6, 'scalar α');
  });
  test('sigmoid focal with γ = 0 and no α is the mean element-wise BCE', () => {
    const s = run('sigmoid-focal', { gamma: 0, alpha: 'none' });
    const sig = run('cb-sigmoid', { beta: 0 }); // Σ_c BCE per image, weights 1
    assertAllClose(s.perSample!, sig.perSample!.map((v) => v / COUNTS.length), 1e-6, 1e-6, 'sigmoid-focal γ=0');
  });
  test('label smoothing with ε = 1 is CE against the uniform distribution', () => {
    const ls = run('label-smoothing', { epsilon: 1 });
    const first = ls.perSample![0]!;
    const row = Z[0]!;
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    assertClose(first, lse - row.reduce((s, v) => s + v, 0) / row.length, 1e-5, 1e-5, 'uniform target');
  });
});

describe('reductions', () => {
  const plainMean = ['ce', 'cb-ce', 'cb-focal', 'cb-sigmoid', 'focal', 'sigmoid-focal', 'label-smoothing', 'logit-adjusted', 'balanced-softmax', 'mse', 'mae', 'hinge', 'squared-hinge', 'poly1', 'gce', 'sce'];
  for (const id of plainMean) {
    test(`${id}: batch loss = Σ per-sample / B`, () => {
      const r = run(id);
      assertClose(r.loss, r.perSample!.reduce((a, b) => a + b, 0) / LABELS.length, 1e-6, 1e-6, id);
    });
  }
  test('weighted CE: batch loss = Σ w_y·ℓ / Σ w_y (PyTorch), per-sample values include w_y', () => {
    const w = run('weighted-ce', { weights: '1,2,3,4,5' });
    const ce = run('ce');
    // custom weights normalised to sum to C = 5: w_c = (c+1)/3.
    const wc = [1, 2, 3, 4, 5].map((v) => v / 3);
    assertAllClose(w.perSample!, ce.perSample!.map((l, i) => wc[LABELS[i]!]! * l), 1e-5, 1e-6, 'per-sample');
    const wsum = LABELS.reduce((s, c) => s + wc[c]!, 0);
    assertClose(w.loss, w.perSample!.reduce((a, b) => a + b, 0) / wsum, 1e-6, 1e-6, 'weighted mean');
  });
  test('class-balanced CE divides by the batch size, not by Σ w (Cui et al. reference code)', () => {
    const r = run('cb-ce');
    assertClose(r.loss, r.perSample!.reduce((a, b) => a + b, 0) / LABELS.length, 1e-6, 1e-6, 'cb-ce');
  });
  test('LDAM after DRW: weighted mean Σ w_y·ℓ / Σ w_y with class-balanced weights (β = 0.9999)', () => {
    const r = run('ldam', {}, 9);
    const plain = run('ldam', {}, 0);
    const raw = COUNTS.map((n) => (1 - 0.9999) / (1 - 0.9999 ** n));
    const w = raw.map((v) => (v * raw.length) / raw.reduce((a, b) => a + b, 0));
    assertAllClose(r.perSample!, plain.perSample!.map((l, i) => w[LABELS[i]!]! * l), 1e-5, 1e-5, 'weighted per-sample');
    const wsum = LABELS.reduce((s, c) => s + w[c]!, 0);
    assertClose(r.loss, r.perSample!.reduce((a, b) => a + b, 0) / wsum, 1e-5, 1e-5, 'ldam drw');
  });
  test('contrastive: mean of per-image values equals the mean over pairs', () => {
    const f = randomMatrix(3, LABELS.length, 6, 1);
    const r = evaluate('contrastive', {}, [], 1, f, LABELS, 0, 5);
    assertClose(r.loss, r.perSample!.reduce((a, b) => a + b, 0) / LABELS.length, 1e-6, 1e-6, 'contrastive');
  });
  test('dice reports no per-sample values and says why', () => {
    const r = run('dice');
    assert.equal(r.perSample, null);
    assert.match(r.reduction, /not decomposable/);
  });
});

describe('LDAM-DRW schedule', () => {
  const ctx = (T: number) => ({ numClasses: 5, classCounts: COUNTS, totalEpochs: T });
  test('DRW starts at epoch ⌈0.8·T⌉ (160 of 200, as the reference idx = epoch // 160)', () => {
    const p = resolveLossParams('ldam', {});
    assert.equal(drwStartEpoch(p, ctx(200)), 160);
    assert.equal(drwStartEpoch(p, ctx(10)), 8);
    assert.equal(drwStartEpoch(p, ctx(7)), 6);
    assert.equal(drwStartEpoch(resolveLossParams('ldam', { drwStart: 0.7 }), ctx(10)), 7);
    assert.equal(drwStartEpoch(resolveLossParams('ldam', { drw: 'off' }), ctx(10)), Infinity);
  });
  test('the loss switches exactly at the DRW epoch', () => {
    const before7 = run('ldam', {}, 7);
    const at8 = run('ldam', {}, 8);
    const at0 = run('ldam', {}, 0);
    assertSameLoss(before7, at0, 'epochs 0 and 7 both unweighted', 0);
    assert.ok(Math.abs(at8.loss - before7.loss) > 1e-3, 'epoch 8 uses class-balanced weights');
  });
  test('a loss function reads the epoch from each step, not from creation', () => {
    const fn = getLoss('ldam').create(resolveLossParams('ldam', {}), ctx(10));
    assert.ok(fn.reduction?.includes('DRW'));
  });
});
