import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadDataset } from '../dataset/load';
import { parseExperimentConfig, type ExperimentConfigInput } from '../experiment/config';
import { planRuns } from '../experiment/run-experiment';
import { temporaryDir, writeMnistFolder } from '../../tests/fixtures/mnist-folder';
import { SweepFolder } from './folder';
import { MAX_SWEEP_RUNS_UNCONFIRMED, planSweep } from './plan';
import { checkSweepSplits, classesLeftEmpty } from './preflight';
import { startSweep } from './run-sweep';

let root = '';
let data = '';

before(async () => {
  root = temporaryDir('sweep-plan');
  data = await writeMnistFolder(path.join(root, 'digits'), { digits: [0, 1, 2, 3], perClass: 20 });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function config(extra: Partial<ExperimentConfigInput> = {}) {
  return parseExperimentConfig({ data, imageSize: 8, losses: [{ id: 'ce' }, { id: 'focal' }], seeds: [1, 2, 3], ...extra });
}

describe('sweep plan', () => {
  it('a configuration without a sweep parses as before: no sweep key, the same runs', () => {
    const plain = config({ imbalance: { kind: 'exp', ratio: 10 } });
    assert.equal('sweep' in plain, false);
    assert.equal(planRuns(plain).length, 6);
  });

  it('counts every recipe × seed × setting, and each setting is the single-setting experiment', () => {
    const sweep = config({ sweep: { imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 10 }, { kind: 'step', ratio: 10 }, { kind: 'none' }] } });
    const plan = planSweep(sweep);
    assert.equal(plan.totalRuns, 4 * 2 * 3);
    assert.deepEqual(plan.settings.map((s) => s.label), ['exp ρ = 1', 'exp ρ = 10', 'step ρ = 10', 'no imbalance']);
    assert.deepEqual(plan.settings.map((s) => s.rho), [1, 10, 10, 1]);
    assert.deepEqual(plan.settings.map((s) => s.slug), ['1-exp-1', '2-exp-10', '3-step-10', '4-none']);
    // Setting 2's configuration is exactly what `--imbalance exp:10` alone would train.
    const single = config({ imbalance: { kind: 'exp', ratio: 10 } });
    assert.deepEqual(plan.settings[1]!.config, single);
    assert.deepEqual(planRuns(plan.settings[1]!.config), planRuns(single));
    assert.throws(() => planRuns(sweep), /is a sweep/);
  });

  it('a hyperparameter sweep is one loss entry per value, checked against the catalogue range', () => {
    const plan = planSweep(config({ sweep: { param: { loss: 'focal', key: 'gamma', values: [0.5, 1, 2, 5] } } }));
    assert.equal(plan.settings.length, 1);
    assert.deepEqual(plan.settings[0]!.config.losses.map((l) => [l.id, l.params]), [['ce', {}], ['focal', { gamma: 0.5 }], ['focal', { gamma: 1 }], ['focal', { gamma: 2 }], ['focal', { gamma: 5 }]]);
    assert.equal(plan.totalRuns, 5 * 3);
    assert.deepEqual(plan.param!.recipeKeys, ['focal(gamma=0.5)', 'focal(gamma=1)', 'focal(gamma=2)', 'focal(gamma=5)']);
    assert.throws(() => planSweep(config({ sweep: { param: { loss: 'focal', key: 'gamma', values: [1, -1] } } })), /gamma.*must be a number in/);
    assert.throws(() => planSweep(config({ sweep: { param: { loss: 'focal', key: 'nope', values: [1, 2] } } })), /has no parameter "nope"/);
    assert.throws(() => planSweep(config({ sweep: { param: { loss: 'ldam', key: 'maxMargin', values: [0.1, 0.5] } } })), /needs "ldam" among the losses/);
  });

  it(`refuses more than ${MAX_SWEEP_RUNS_UNCONFIRMED} runs unless confirmed, before anything is written`, () => {
    const seeds = Array.from({ length: 100 }, (_, i) => i);
    const ratios = Array.from({ length: 11 }, (_, i) => ({ kind: 'exp' as const, ratio: i + 1 }));
    const big = config({ seeds, sweep: { imbalance: ratios } }); // 11 × 2 × 100 = 2,200 runs
    assert.throws(() => planSweep(big), /2200 runs .* more than 2000.*--yes/);
    const dir = path.join(root, 'big');
    assert.throws(() => startSweep(new SweepFolder(dir), big), /--yes/);
    assert.equal(fs.existsSync(dir), false);
    assert.equal(planSweep(big, { confirmed: true }).totalRuns, 2200);
    // Exactly at the limit needs no confirmation.
    assert.equal(planSweep(config({ seeds, sweep: { imbalance: ratios.slice(0, 10) } })).totalRuns, 2000);
  });
});

describe('sweep preflight on real data', () => {
  it('every setting is tested on the same images; only the training pool changes', async () => {
    const dataset = await loadDataset({ root: data, imageSize: 8, resize: 'center-crop', colorMode: 'auto' });
    const plan = planSweep(config({ sweep: { imbalance: [{ kind: 'none' }, { kind: 'exp', ratio: 5 }, { kind: 'step', ratio: 2 }] } }));
    const splits = checkSweepSplits(dataset, plan);
    // 20 per class: 4 test, 2 validation, 14 in the training pool.
    assert.deepEqual(splits[0]!.trainCounts, [14, 14, 14, 14]);
    assert.equal(splits[1]!.trainImages < splits[0]!.trainImages, true);
    assert.deepEqual(splits.map((s) => Math.max(...s.trainCounts)), [14, 14, 14]);
  });

  it('refuses a setting that would leave a class without a training image, naming the class and the setting, and writes nothing', async () => {
    // 14 training images in the largest class: ρ = 100 puts the tail at 0.14 images.
    assert.deepEqual(classesLeftEmpty([14, 14, 14, 14], { kind: 'exp', ratio: 10 }, 0), []);
    assert.equal(classesLeftEmpty([14, 14, 14, 14], { kind: 'exp', ratio: 100 }, 0).length, 1);
    const sweep = config({ sweep: { imbalance: [{ kind: 'exp', ratio: 10 }, { kind: 'exp', ratio: 100 }] } });
    const dir = path.join(root, 'empty-class');
    const running = startSweep(new SweepFolder(dir), sweep);
    await assert.rejects(running.done, /Setting 2 \(exp ρ = 100\) leaves class "digit-\d" with no training image \(the largest class has 14 training images, so ρ = 100 gives the tail 0\.14 of an image\)\. Use ρ of at most 28/);
    assert.equal(fs.existsSync(dir), false);
  });
});
