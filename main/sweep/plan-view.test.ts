import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseExperimentConfig } from '../experiment/config';
import { temporaryDir, writeMnistFolder } from '../../tests/fixtures/mnist-folder';
import { sweepPlanView } from './plan-view';

let root = '';
let data = '';
before(async () => {
  root = temporaryDir('sweep-plan-view');
  data = await writeMnistFolder(path.join(root, 'digits'), { digits: [0, 1, 2], perClass: 20 });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const config = () =>
  parseExperimentConfig({ data, imageSize: 8, losses: [{ id: 'ce' }, { id: 'focal' }], seeds: [1, 2], workers: 2, training: { epochs: 5 }, sweep: { imbalance: [{ kind: 'none' }, { kind: 'exp', ratio: 7 }] } });

test('the plan the app shows: settings, run count, training images, and an estimate only from earlier runs here', async () => {
  const store = path.join(root, 'store');
  const empty = await sweepPlanView(config(), { storeRoot: store });
  assert.equal(empty.totalRuns, 2 * 2 * 2);
  assert.equal(empty.needsConfirmation, false);
  assert.equal(empty.limit, 2000);
  // 20 per class: 4 test, 2 validation, 14 to train; exp ρ = 7 keeps 14, round(14/√7) = 5 and 2.
  assert.deepEqual(empty.settings.map((s) => [s.label, s.runs, s.trainImages]), [['no imbalance', 4, 42], ['exp ρ = 7', 4, 21]]);
  assert.deepEqual(empty.estimate, { seconds: null, basis: 'none', pastRuns: 0 });

  // An earlier experiment of the same network here: 2 runs of 3 s on 100 images × 10 epochs = 0.003 s per image-epoch.
  const earlier = { ...config(), training: { ...config().training, epochs: 10 } };
  delete (earlier as { sweep?: unknown }).sweep;
  const results = { config: earlier, dataset: { counts: { train: [50, 50] } }, runs: [{ status: 'done', trainSeconds: 3 }, { status: 'done', trainSeconds: 3 }] };
  fs.mkdirSync(path.join(store, 'earlier'), { recursive: true });
  fs.writeFileSync(path.join(store, 'earlier', 'results.json'), JSON.stringify(results));
  const measured = await sweepPlanView(config(), { storeRoot: store });
  assert.equal(measured.estimate.basis, 'past');
  assert.equal(measured.estimate.pastRuns, 2);
  // (4 runs × 42 images + 4 runs × 21 images) × 5 epochs × 0.003 s, two runs at a time.
  assert.ok(Math.abs(measured.estimate.seconds! - ((4 * 42 + 4 * 21) * 5 * 0.003) / 2) < 1e-9);
  // A different network measures nothing for this one.
  const other = await sweepPlanView({ ...config(), model: { family: 'cnn', width: 8, depth: 3 } }, { storeRoot: store });
  assert.equal(other.estimate.basis, 'none');
});

test('refusals come back as errors with their message', async () => {
  await assert.rejects(sweepPlanView({ ...config(), sweep: { imbalance: [{ kind: 'exp', ratio: 2 }, { kind: 'exp', ratio: 60 }] } }, { storeRoot: path.join(root, 'none') }), /Setting 2 \(exp ρ = 60\) leaves class "digit-\d"/);
});
