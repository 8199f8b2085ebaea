import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chooseTau, tauNormalizeLogits } from '../methods/tau-norm';
import { argmaxRows } from '../metrics/predictions';
import type { ExperimentResults } from '../results/types';
import { analyzeExperimentFolder } from './analyze';
import { loadExperiment } from './load';
import { writeSyntheticExperiment } from './synthetic';

let root = '';
let dir = '';
const NORMS = [2.5, 1.8, 1.3, 1];

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-tau-norm-'));
  dir = await writeSyntheticExperiment(path.join(root, 'exp'), {
    losses: [{ id: 'ce' }, { id: 'focal' }],
    seeds: [4, 7],
    classes: 4,
    headCount: 200,
    ratio: 20,
    testPerClass: 30,
    valPerClass: 8,
    epochs: 3,
  });
  // Runs trained after this change record their classifier norms; give them to ce only.
  const file = path.join(dir, 'results.json');
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentResults;
  for (const run of results.runs) if (run.loss === 'ce') run.classifierNorms = NORMS;
  fs.writeFileSync(file, JSON.stringify(results));
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

test('runs with classifier norms get a τ-normalised row beside the post-hoc logit adjustment, τ chosen on validation', () => {
  const a = analyzeExperimentFolder(dir, { resamples: 200 });
  assert.deepEqual(a.variants.map((v) => v.key), ['ce', 'ce+posthoc-la', 'ce+tau-norm', 'focal', 'focal+posthoc-la']);
  const row = a.variants.find((v) => v.key === 'ce+tau-norm')!;
  assert.equal(row.kind, 'posthoc');
  assert.equal(row.source, 'ce');
  assert.match(row.label, /^Cross-entropy \+ τ-norm \(τ=[\d./]+ on validation\)$/);
  const experiment = loadExperiment(dir);
  const C = 4;
  const valLabels = Int32Array.from(experiment.valItems, (t) => t.classIndex);
  for (const seed of [4, 7]) {
    const logits = experiment.logits.get(`ce#seed${seed}`)!;
    const { tau } = chooseTau(logits.val, valLabels, C, NORMS);
    const predicted = argmaxRows(tauNormalizeLogits(logits.test, C, NORMS, tau), C);
    const accuracy = predicted.filter((p, i) => p === experiment.results.testItems[i]!.classIndex).length / predicted.length;
    assert.equal(row.runs.find((r) => r.seed === seed)!.metrics.accuracy, accuracy);
  }
  const off = analyzeExperimentFolder(dir, { resamples: 200, posthocTau: null });
  assert.deepEqual(off.variants.map((v) => v.key), ['ce', 'focal']);
});
