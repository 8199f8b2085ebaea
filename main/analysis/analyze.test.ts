import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adjustLogitsPostHoc } from '../losses/posthoc';
import { classPriorsFromCounts } from '../losses/weights';
import { argmaxRows } from '../metrics/predictions';
import type { ExperimentResults } from '../results/types';
import { summarize } from '../stats/summary';
import { temperatureScaling } from '../stats/temperature';
import { analyzeExperiment, analyzeExperimentFolder } from './analyze';
import { loadExperiment } from './load';
import { writeSyntheticExperiment } from './synthetic';

let root = '';
let dir = '';

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-analysis-'));
  dir = await writeSyntheticExperiment(path.join(root, 'exp'), {
    losses: [{ id: 'focal' }, { id: 'ce' }, { id: 'balanced-softmax' }],
    seeds: [4, 7],
    classes: 4,
    headCount: 200,
    ratio: 20,
    testPerClass: 30,
    valPerClass: 8,
    epochs: 3,
  });
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A copy of the folder, to damage without affecting other tests. */
function copyOf(name: string): string {
  const target = path.join(root, name);
  fs.cpSync(dir, target, { recursive: true });
  return target;
}

describe('analysis of an experiment folder', () => {
  it('lists each trained loss in configuration order, followed by its post-hoc row', () => {
    const a = analyzeExperimentFolder(dir, { resamples: 300 });
    assert.deepEqual(
      a.variants.map((v) => v.key),
      ['focal', 'focal+posthoc-la', 'ce', 'ce+posthoc-la', 'balanced-softmax', 'balanced-softmax+posthoc-la'],
    );
    assert.equal(a.settings.baseline, 'ce', 'ce is the default baseline even when not listed first');
    assert.equal(a.comparisons.length, 5, 'every row but the baseline is compared');
    assert.ok(a.comparisons.every((c) => c.baseline === 'ce' && c.seeds.join() === '4,7'));
    const off = analyzeExperimentFolder(dir, { resamples: 300, posthocTau: null, baseline: 'balanced-softmax' });
    assert.deepEqual(off.variants.map((v) => v.key), ['focal', 'ce', 'balanced-softmax']);
    assert.equal(off.settings.baseline, 'balanced-softmax');
    assert.throws(() => analyzeExperimentFolder(dir, { baseline: 'nope' }), /not among the trained losses \(focal, ce, balanced-softmax\)/);
  });

  it('summarises over seeds exactly as the stats module does, and matches results.json', () => {
    const experiment = loadExperiment(dir);
    const a = analyzeExperiment(experiment, { resamples: 200 });
    for (const v of a.variants.filter((x) => x.kind === 'trained')) {
      const runs = experiment.results.runs.filter((r) => r.lossKey === v.key);
      assert.deepEqual(v.metrics.balancedAccuracy, summarize(runs.map((r) => r.metrics!.balancedAccuracy)));
      assert.deepEqual(v.metrics.fewShotAccuracy, summarize(runs.map((r) => r.metrics!.shotGroups.few)));
      const stored = experiment.results.summary.find((s) => s.lossKey === v.key)!;
      assert.ok(Math.abs(stored.metrics.balancedAccuracy.mean - v.metrics.balancedAccuracy.mean!) < 1e-15);
      const summed = runs.reduce((s, r) => s + r.confusion![0]![1]!, 0);
      assert.equal(v.confusion[0]![1], summed, 'confusion counts are summed over seeds');
    }
  });

  it('adjusts logits with the training priors for the post-hoc rows', () => {
    const experiment = loadExperiment(dir);
    const a = analyzeExperiment(experiment, { resamples: 200 });
    const { results } = experiment;
    const run = results.runs.find((r) => r.runId === 'ce#seed7')!;
    const adjusted = adjustLogitsPostHoc(experiment.logits.get(run.runId)!.test, 4, classPriorsFromCounts(results.dataset.counts.train), 1);
    const predicted = argmaxRows(adjusted, 4);
    const accuracy = results.testItems.filter((t, i) => predicted[i] === t.classIndex).length / results.testItems.length;
    const row = a.variants.find((v) => v.key === 'ce+posthoc-la')!;
    assert.equal(row.kind, 'posthoc');
    assert.equal(row.source, 'ce');
    assert.equal(row.runs.find((r) => r.seed === 7)!.metrics.accuracy, accuracy);
    assert.equal(row.curves.length, 0);
  });

  it('pools reliability bins over seeds and fits a temperature per run on validation logits', () => {
    const experiment = loadExperiment(dir);
    const a = analyzeExperiment(experiment, { resamples: 200 });
    const ce = a.variants.find((v) => v.key === 'ce')!;
    const cal = ce.calibration!;
    assert.equal(cal.reliability.bins.length, 15);
    assert.equal(cal.reliability.samples, 2 * experiment.results.testItems.length);
    assert.equal(cal.reliability.bins.reduce((s, b) => s + b.count, 0), 2 * experiment.results.testItems.length);
    const labels = experiment.results.testItems.map((t) => t.classIndex);
    const valLabels = experiment.valItems.map((t) => t.classIndex);
    const l = experiment.logits.get('ce#seed4')!;
    const direct = temperatureScaling({ valLogits: l.val, valLabels, testLogits: l.test, testLabels: labels, numClasses: 4 });
    const fitted = cal.temperature.find((t) => t.seed === 4)!;
    assert.equal(fitted.temperature, direct.temperature);
    assert.equal(fitted.eceAfter, direct.test.eceAfter);
    assert.ok(Math.abs(fitted.eceBefore - direct.test.eceBefore) < 1e-12);
    assert.ok(Math.abs(fitted.nllAfter - direct.test.nllAfter) < 1e-12);
    assert.ok(Math.abs(fitted.nllBefore - direct.test.nllBefore) < 1e-9);
    assert.deepEqual(ce.metrics.eceTemperatureScaled, summarize(cal.temperature.map((t) => t.eceAfter)));
    // Another bin count: the unscaled ECE is recomputed with it, not taken from the run's metrics.
    const ten = analyzeExperiment(experiment, { resamples: 200, bins: 10 }).variants.find((v) => v.key === 'ce')!.calibration!;
    assert.equal(ten.reliability.bins.length, 10);
    const direct10 = temperatureScaling({ valLogits: l.val, valLabels, testLogits: l.test, testLabels: labels, numClasses: 4, bins: 10 });
    assert.ok(Math.abs(ten.temperature.find((t) => t.seed === 4)!.eceBefore - direct10.test.eceBefore) < 1e-12);
  });

  it('is deterministic: the same folder and seed give the same analysis', () => {
    const a = analyzeExperimentFolder(dir, { resamples: 300, bootstrapSeed: 5 });
    const b = analyzeExperimentFolder(dir, { resamples: 300, bootstrapSeed: 5 });
    assert.deepEqual(a, b);
    const c = analyzeExperimentFolder(dir, { resamples: 300, bootstrapSeed: 6 });
    assert.notDeepEqual(a.comparisons.map((x) => x.interval), c.comparisons.map((x) => x.interval));
  });

  it('finds the hardest classes and the images most runs got wrong', () => {
    const a = analyzeExperimentFolder(dir, { resamples: 200, hardestClasses: 2, examplesPerClass: 3 });
    assert.ok(a.hardest.length > 0 && a.hardest.length <= 2);
    const recalls = a.hardest.map((h) => h.meanRecall);
    assert.deepEqual(recalls, [...recalls].sort((x, y) => x - y));
    for (const h of a.hardest) {
      assert.ok(h.examples.length <= 3);
      const wrong = h.examples.map((e) => e.wrongRuns);
      assert.deepEqual(wrong, [...wrong].sort((x, y) => y - x));
      for (const e of h.examples) {
        assert.equal(e.trueClass, h.classIndex);
        assert.notEqual(e.predictedClass, h.classIndex);
        assert.equal(e.totalRuns, 6, 'three losses × two seeds vote');
      }
    }
  });

  it('leaves failed runs out, pairs the rest by seed, and says so', () => {
    const damaged = copyOf('failed');
    const file = path.join(damaged, 'results.json');
    const results = JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentResults;
    const run = results.runs.find((r) => r.runId === 'focal#seed4')!;
    Object.assign(run, { status: 'failed', error: 'out of memory' });
    delete run.metrics;
    fs.writeFileSync(file, JSON.stringify(results));
    const a = analyzeExperimentFolder(damaged, { resamples: 200 });
    assert.deepEqual(a.incompleteRuns, [{ runId: 'focal#seed4', status: 'failed', error: 'out of memory' }]);
    assert.deepEqual(a.variants.find((v) => v.key === 'focal')!.seeds, [7]);
    assert.deepEqual(a.comparisons.find((c) => c.key === 'focal')!.seeds, [7]);
    assert.deepEqual(a.ranking!.seeds, [7], 'the ranking uses the seeds every loss finished');
  });

  it('still reports per-run metrics without logits.json', () => {
    const bare = copyOf('no-logits');
    fs.rmSync(path.join(bare, 'logits.json'));
    const a = analyzeExperimentFolder(bare, { resamples: 200 });
    assert.deepEqual(a.variants.map((v) => v.key), ['focal', 'ce', 'balanced-softmax'], 'post-hoc rows need logits');
    assert.equal(a.comparisons.length, 0);
    assert.equal(a.ranking, null);
    assert.ok(a.variants.every((v) => v.calibration === null && v.metrics.balancedAccuracy.n === 2));
    assert.match(a.warnings.join(' '), /logits\.json is missing/);
    assert.throws(() => analyzeExperimentFolder(path.join(root, 'nowhere')), /holds no results\.json/);
  });
});
