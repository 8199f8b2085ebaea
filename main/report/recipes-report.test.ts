import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeSyntheticExperiment } from '../analysis/synthetic';
import { recipeSchema } from '../experiment/config';
import type { ExperimentResults } from '../results/types';
import { buildReportContext, csvTables, renderHtml } from './index';

let root = '';
let dir = '';

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-recipes-report-'));
  dir = await writeSyntheticExperiment(path.join(root, 'exp'), { losses: [{ id: 'ce' }, { id: 'focal' }], seeds: [1, 2], classes: 3, headCount: 60, ratio: 10, testPerClass: 10, valPerClass: 5, epochs: 2 });
  // Dress the synthetic runs as a recipe experiment: focal trained with the class-balanced sampler, ce with classifier norms.
  const file = path.join(dir, 'results.json');
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentResults;
  const recipe = recipeSchema.parse({ sampler: 'class-balanced' });
  results.config.losses[1]!.recipe = recipe;
  for (const run of results.runs) {
    if (run.loss === 'focal') Object.assign(run, { recipe, label: 'focal + class-balanced sampler', seenPerClass: [20, 20, 20], drwEpoch: null, drsEpoch: null });
    else Object.assign(run, { seenPerClass: [120, 40, 12], classifierNorms: [2, 1.5, 1] });
  }
  fs.writeFileSync(file, JSON.stringify(results));
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

test('reports name recipes, explain the methods used, and show what each run drew', async () => {
  const ctx = buildReportContext(dir, { resamples: 100 });
  const html = await renderHtml(ctx);
  assert.match(html, /focal \+ class-balanced sampler/);
  assert.match(html, /<h3>Class-balanced sampling <small>\(sampler\)<\/small><\/h3>/);
  assert.match(html, /<h3>τ-normalisation of the classifier <small>\(post-hoc\)<\/small><\/h3>/);
  assert.doesNotMatch(html, /Deferred re-weighting \(DRW\) <small>/, 'only the methods used are explained');
  assert.match(html, /images drawn per class/);
  assert.match(html, /20 \/ 20 \/ 20/);
  const runs = csvTables(ctx).runs;
  const header = runs[0]!;
  const column = (name: string) => header.indexOf(name);
  const focal = runs.find((r) => r[0] === 'focal')!;
  const ceTau = runs.find((r) => r[0] === 'ce+tau-norm')!;
  assert.equal(focal[column('sampler')], 'class-balanced');
  assert.equal(focal[column('seen_per_class')], '20 20 20');
  assert.equal(ceTau[column('sampler')], 'instance', 'a post-hoc row keeps its run\'s recipe');
  assert.equal(ceTau[column('seen_per_class')], '120 40 12');
});
