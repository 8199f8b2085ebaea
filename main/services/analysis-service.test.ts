import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { unzipSync } from 'fflate';
import { analyzeExperimentFolder } from '../analysis/analyze';
import { verdictOf } from '../analysis/verdict';
import { parseExperimentConfig } from '../experiment/config';
import { servicesForTest, temporaryDir, writeMnistFolder } from './service-fixtures';

/**
 * The Results screen's channels on a real tiny experiment (three losses × two seeds, one epoch):
 * the analysis is the reports' own, image predictions agree with the stored logits, and the
 * stored models leave the store intact.
 */

let services: ReturnType<typeof servicesForTest>;
let id = '';
let dir = '';

before(async () => {
  const data = await writeMnistFolder(temporaryDir('analysis-digits'), { digits: [0, 1, 7], perClass: 24 });
  services = servicesForTest();
  await services.access.chooseFolder(data);
  const config = parseExperimentConfig({
    data,
    imageSize: 16,
    imbalance: { kind: 'exp', ratio: 2 },
    losses: [{ id: 'ce' }, { id: 'focal', params: { gamma: 1 } }, { id: 'ldam' }],
    seeds: [1, 2],
    model: { width: 4, depth: 1 },
    training: { epochs: 1, batchSize: 16 },
    backend: 'wasm',
    workers: 2,
  });
  id = (await services.handlers['experiment.start']({ config })).id;
  await services.settled(id);
  dir = path.join(services.dataDir, id);
  assert.ok(fs.existsSync(path.join(dir, 'results.json')), 'the experiment finished');
});

test('experiments.analysis returns the reports\' analysis, with display names and the verdict', async () => {
  const view = await services.handlers['experiments.analysis']({ id });
  const report = analyzeExperimentFolder(dir);
  assert.equal(view.analysis.settings.baseline, 'ce');
  assert.deepEqual(view.analysis.comparisons, report.comparisons, 'the same paired intervals and McNemar tests as an export');
  assert.deepEqual(view.analysis.ranking, report.ranking);
  assert.deepEqual(view.verdict, verdictOf(report));
  const labels = view.analysis.variants.map((v) => v.label);
  // Every trained loss also gets a τ-normalised row (τ chosen per run on validation).
  assert.deepEqual(labels.filter((l) => l.includes('τ-norm')).map((l) => l.replace(/ \+ τ-norm .*$/, '')), ['Cross-entropy', 'Focal loss (softmax) (γ = 1)', 'LDAM (with DRW)']);
  assert.deepEqual(labels.filter((l) => !l.includes('τ-norm')), [
    'Cross-entropy',
    'Cross-entropy + post-hoc LA (τ = 1)',
    'Focal loss (softmax) (γ = 1)',
    'Focal loss (softmax) (γ = 1) + post-hoc LA (τ = 1)',
    'LDAM (with DRW)',
    'LDAM (with DRW) + post-hoc LA (τ = 1)',
  ]);
  const ce = view.analysis.variants[0]!;
  assert.equal(ce.precision.length, 3);
  assert.equal(ce.f1.length, 3);
  assert.ok(ce.calibration?.reliabilityTemperatureScaled, 'reliability after temperature scaling');
  assert.equal(ce.calibration.temperature.length, 2, 'a temperature per seed');
  assert.deepEqual(ce.modelRuns.map((r) => r.seed), [1, 2], 'the store kept both models');
  assert.deepEqual(view.analysis.variants[1]!.modelRuns, [], 'a post-hoc row has no model of its own');
  assert.match(view.verdict.text, / is best: /);
});

test('the comparison table (results.json) and the analysis give the same ECE and balanced accuracy', async () => {
  const view = await services.handlers['experiments.analysis']({ id });
  const results = await services.handlers['experiments.get']({ id });
  for (const summary of results.summary) {
    const row = view.analysis.variants.find((v) => v.key === summary.lossKey)!;
    for (const metric of ['ece', 'balancedAccuracy'] as const) {
      assert.ok(Math.abs(row.metrics[metric].mean! - summary.metrics[metric].mean) < 1e-12, `${summary.lossKey} ${metric}`);
    }
  }
});

test('experiments.analysis compares against the chosen baseline, and refuses an unknown one', async () => {
  const view = await services.handlers['experiments.analysis']({ id, baseline: 'focal(gamma=1)' });
  assert.equal(view.analysis.settings.baseline, 'focal(gamma=1)');
  assert.ok(view.analysis.comparisons.every((c) => c.baseline === 'focal(gamma=1)'));
  assert.ok(view.analysis.comparisons.some((c) => c.key === 'ce'));
  await assert.rejects(services.handlers['experiments.analysis']({ id, baseline: 'nope' }), /Baseline "nope" is not among the trained losses/);
  await assert.rejects(services.handlers['experiments.analysis']({ id: 'missing' }), /no experiment "missing"/);
});

test('experiments.predictions pages through test images with every loss\'s prediction of one seed', async () => {
  const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
  const logits = JSON.parse(fs.readFileSync(path.join(dir, 'logits.json'), 'utf8'));
  const page = await services.handlers['experiments.predictions']({ id, seed: 2, offset: 3, limit: 5, filter: 'all' });
  assert.equal(page.total, results.testItems.length);
  assert.deepEqual(page.seeds, [1, 2]);
  assert.deepEqual(page.runs.map((r) => r.runId), ['ce#seed2', 'focal(gamma=1)#seed2', 'ldam#seed2']);
  assert.deepEqual(page.items.map((item) => item.index), [3, 4, 5, 6, 7]);
  const C = results.classes.length;
  for (const item of page.items) {
    assert.equal(item.trueClass, results.testItems[item.index].classIndex);
    assert.ok(fs.existsSync(item.absolutePath), 'the image is on disk');
    assert.match(item.url, /^\/files\?path=/);
    page.runs.forEach((run, k) => {
      const row: number[] = logits.runs[run.runId].test.slice(item.index * C, (item.index + 1) * C);
      const argmax = row.indexOf(Math.max(...row));
      const expected = 1 / row.reduce((sum, v) => sum + Math.exp(v - row[argmax]!), 0);
      assert.equal(item.predictions[k]!.predicted, argmax);
      assert.ok(Math.abs(item.predictions[k]!.confidence - expected) < 1e-6);
    });
  }
});

test('experiments.predictions filters: disagreements, errors, one class', async () => {
  const wrong = await services.handlers['experiments.predictions']({ id, offset: 0, limit: 200, filter: 'wrong' });
  assert.ok(wrong.items.every((item) => item.predictions.some((p) => p!.predicted !== item.trueClass)));
  const disagree = await services.handlers['experiments.predictions']({ id, offset: 0, limit: 200, filter: 'disagree' });
  assert.ok(disagree.items.every((item) => new Set(item.predictions.map((p) => p!.predicted)).size > 1));
  assert.ok(disagree.total <= wrong.total, 'a disagreement means at least one loss is wrong');
  const one = await services.handlers['experiments.predictions']({ id, offset: 0, limit: 200, filter: 'all', trueClass: 2 });
  assert.ok(one.total > 0 && one.items.every((item) => item.trueClass === 2));
  await assert.rejects(services.handlers['experiments.predictions']({ id, offset: 0, limit: 5, filter: 'all', seed: 9 }), /No run of seed 9/);
  await assert.rejects(services.handlers['experiments.predictions']({ id, offset: 0, limit: 5, filter: 'all', trueClass: 3 }), /no class 3/);
});

test('a stored model is zipped for download, or copied into a new folder, never over an old one', async () => {
  const model = path.join(dir, 'runs', '0', 'model');
  const zip = services.modelExport.zip(id, 'ce#seed1');
  assert.match(zip.filename, /^losslab-.+-Cross-entropy-seed1\.zip$/);
  const files = unzipSync(zip.bytes);
  const folder = zip.filename.replace(/\.zip$/, '');
  assert.deepEqual(Object.keys(files).sort(), [`${folder}/model.json`, `${folder}/weights.bin`]);
  assert.deepEqual(Buffer.from(files[`${folder}/weights.bin`]!), fs.readFileSync(path.join(model, 'weights.bin')));

  const parent = temporaryDir('model-out');
  const a = await services.modelExport.saveInto(id, 'ce#seed1', parent);
  const b = await services.modelExport.saveInto(id, 'ce#seed1', parent);
  assert.notEqual(a.path, b.path, 'a second export gets its own folder');
  assert.equal(path.dirname(a.path), parent);
  assert.deepEqual(a.files.map((f) => path.basename(f)), ['model.json', 'weights.bin']);
  assert.deepEqual(JSON.parse(fs.readFileSync(a.files[0]!, 'utf8')), JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8')));
  assert.throws(() => services.modelExport.zip(id, 'ce#seed7'), /has no run "ce#seed7"/);
  await assert.rejects(services.modelExport.saveInto(id, 'ce#seed1', path.join(parent, 'missing')), /is not a folder/);
});
