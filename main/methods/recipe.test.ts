import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { configFromFlags } from '../cli/commands/run';
import { parseExperimentConfig } from '../experiment/config';
import { planRuns } from '../experiment/run-experiment';
import { listMethods, methodsText } from './catalogue';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../engine/backends/select-backend';
import { getLoss, resolveLossParams } from '../losses/registry';
import { classBalancedWeights } from '../losses/weights';
import { deferredWeighting, RecipeError } from './recipe';

function plan(losses: unknown[], training: Record<string, unknown> = { epochs: 10 }) {
  return planRuns(parseExperimentConfig({ data: '/d', losses, training }));
}

test('plain training keeps its run ids; each recipe gets its own id and a readable name', () => {
  const jobs = plan([
    { id: 'ce' },
    { id: 'ce', recipe: { sampler: 'class-balanced' } },
    { id: 'ldam', params: { drw: 'off' }, recipe: { drw: { epoch: 8 } } },
    { id: 'ce', recipe: { secondStage: { kind: 'crt' } } },
    { id: 'focal', params: { gamma: 1 }, recipe: { sampler: 'sqrt', drs: 5, secondStage: { kind: 'lws', epochs: 3 } } },
  ]);
  assert.deepEqual(
    jobs.map((j) => j.runId),
    ['ce#seed1', 'ce+sampler=class-balanced#seed1', 'ldam(drw="off")+drw=8#seed1', 'ce+crt#seed1', 'focal(gamma=1)+sampler=sqrt+drs=5+lws(epochs=3)#seed1'],
  );
  assert.deepEqual(
    jobs.map((j) => j.label),
    [undefined, 'Cross-entropy + class-balanced sampler', 'LDAM (with DRW) + DRW@8', 'Cross-entropy + cRT', 'Focal loss (softmax) (γ = 1) + square-root sampler + DRS@5 + LWS'],
  );
  assert.equal(jobs[0]!.recipe, undefined);
  // An empty recipe is plain training: the same run as no recipe, so listing both is a repeat.
  assert.throws(() => plan([{ id: 'ce' }, { id: 'ce', recipe: {} }]), /listed twice/);
});

test('a sampler or DRW on top of a loss that already re-balances is refused, saying why', () => {
  for (const [losses, pattern] of [
    [[{ id: 'balanced-softmax', recipe: { sampler: 'class-balanced' } }], /class-balanced sampler and balanced-softmax, which adds log n_y .* over-correct/],
    [[{ id: 'cb-ce', recipe: { drs: 3 } }], /deferred re-sampling and cb-ce, which weights every image by the inverse effective number/],
    [[{ id: 'weighted-ce', recipe: { sampler: 'sqrt' } }], /square-root sampler and weighted-ce/],
    [[{ id: 'ldam', recipe: { sampler: 'class-balanced' } }], /set ldam\.drw=off/],
    [[{ id: 'focal', params: { alpha: [1, 2] }, recipe: { drw: { epoch: 2 } } }], /DRW switches to class-balanced weights, and focal already weights every image by a per-class α/],
    [[{ id: 'ce', recipe: { sampler: 'class-balanced', drw: { epoch: 2 } } }], /DRW re-weights the classes and the class-balanced sampler re-samples them/],
    [[{ id: 'mse', recipe: { drw: { epoch: 2 } } }], /mse takes none; DRW works with ce, focal, ldam/],
    [[{ id: 'ce', recipe: { drw: { epoch: 10 } } }], /never starts, since training has 10 epochs/],
    [[{ id: 'ce', recipe: { sampler: 'class-balanced', drs: 2 } }], /uses from the start/],
    [[{ id: 'supcon', recipe: { secondStage: { kind: 'crt' } } }], /linear probe/],
  ] as const) {
    assert.throws(() => plan(losses as unknown as unknown[]), (error: unknown) => error instanceof RecipeError && pattern.test(error.message), JSON.stringify(losses));
  }
  // Allowed: LDAM with the recipe's DRW, balanced softmax with a second stage, CE with a progressive sampler and DRS.
  assert.equal(plan([{ id: 'ldam', recipe: { drw: { epoch: 8 } } }, { id: 'balanced-softmax', recipe: { secondStage: { kind: 'crt' } } }, { id: 'ce', recipe: { sampler: 'progressive', drs: 8 } }]).length, 3);
});

test('CLI: recipe parts in --losses, and flags that apply to every entry unless it names its own', () => {
  const base = { data: '/d', param: [] as string[], cache: true };
  const config = parseExperimentConfig(configFromFlags({ ...base, losses: 'ce,ce+sampler:class-balanced,ldam+drw:8,ce+crt:5,focal+lws', param: ['ldam.drw=off'] }));
  assert.deepEqual(
    config.losses.map((l) => l.recipe && { sampler: l.recipe.sampler, drw: l.recipe.drw, drs: l.recipe.drs, secondStage: l.recipe.secondStage }),
    [
      undefined,
      { sampler: 'class-balanced', drw: null, drs: null, secondStage: null },
      { sampler: 'instance', drw: { epoch: 8, beta: 0.9999 }, drs: null, secondStage: null },
      { sampler: 'instance', drw: null, drs: null, secondStage: { kind: 'crt', epochs: 5 } },
      { sampler: 'instance', drw: null, drs: null, secondStage: { kind: 'lws', epochs: 10 } },
    ],
  );
  const flagged = parseExperimentConfig(configFromFlags({ ...base, losses: 'ce,focal+sampler:sqrt', sampler: 'progressive', drs: 4, secondStage: 'lws:3' }));
  assert.deepEqual(flagged.losses.map((l) => [l.recipe?.sampler, l.recipe?.drs, l.recipe?.secondStage?.kind]), [['progressive', 4, 'lws'], ['sqrt', 4, 'lws']]);
  assert.throws(() => configFromFlags({ ...base, losses: 'ce+bogus' }), /"bogus" is not a recipe part/);
  assert.throws(() => configFromFlags({ ...base, losses: 'ce', drwBeta: 0.99 }), /--drw-beta needs --drw/);
});

test('a refused recipe on `losslab run` writes nothing', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-recipe-refusal-')), 'experiment');
  const cli = path.resolve(__dirname, '../../../bin/losslab.js');
  const result = spawnSync(process.execPath, [cli, 'run', '--data', '/nonexistent', '--losses', 'balanced-softmax', '--sampler', 'class-balanced', '--out', out], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^losslab: balanced-softmax \+ class-balanced sampler: the class-balanced sampler and balanced-softmax/);
  assert.ok(!fs.existsSync(out));
});

test('every method has a formula, a citation, an explanation and ranged parameters', () => {
  const methods = listMethods();
  assert.deepEqual(methods.map((m) => m.id), ['instance', 'class-balanced', 'sqrt', 'progressive', 'drw', 'drs', 'crt', 'lws', 'tau-norm']);
  for (const m of methods) {
    assert.ok(m.formula.length > 10 && m.explanation.length > 80 && m.citation.year > 2000, m.id);
  }
  const text = methodsText(methods);
  assert.match(text, /progressive — Progressively balanced sampling \[sampler\]/);
  assert.match(text, /beta: default 0\.9999; a number in \[0, 1\)/);
});

test('DRW reaches each loss its own way: CE becomes weighted CE, focal takes the weights as α, LDAM runs its own DRW from the switch', async () => {
  await selectBackend('cpu');
  const counts = [50, 10, 2];
  const weights = classBalancedWeights(counts, 0.999);
  assert.deepEqual(deferredWeighting('ce', {}, counts, 0.999), { before: { id: 'ce', params: {} }, after: { id: 'weighted-ce', params: { scheme: 'custom', weights } } });
  const focal = resolveLossParams('focal', { gamma: 1 });
  assert.deepEqual(deferredWeighting('focal', focal, counts, 0.999).after, { id: 'focal', params: { ...focal, alpha: weights } });
  // LDAM: after the switch it is LDAM-DRW with that β; before, LDAM without weights.
  const ldam = resolveLossParams('ldam', {});
  const { before, after } = deferredWeighting('ldam', ldam, counts, 0.999);
  const context = { numClasses: 3, classCounts: counts, totalEpochs: 10 };
  const z = tf.tensor2d([1, 0.2, -0.3, 0.1, 0.4, 0, -1, 0.5, 0.9], [3, 3]);
  const y = tf.tensor1d([0, 1, 2], 'int32');
  const value = (id: string, params: Record<string, unknown>, epoch: number) => getLoss(id).create(resolveLossParams(id, params as never), context)(z, y, { epoch }).dataSync()[0]!;
  assert.equal(value(after.id, after.params, 0), value('ldam', { ...ldam, drwBeta: 0.999 }, 9));
  assert.equal(value(before.id, before.params, 9), value('ldam', { ...ldam, drw: 'off' }, 0));
  assert.notEqual(value(after.id, after.params, 0), value(before.id, before.params, 0));
  tf.dispose([z, y]);
  assert.throws(() => deferredWeighting('label-smoothing', {}, counts, 0.999), /takes none/);
});
