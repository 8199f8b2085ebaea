import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { ExperimentResults } from '../../main/results/types';
import { temporaryDir, writeMnistFolder } from '../fixtures/mnist-folder';

const cli = path.resolve(__dirname, '../../../bin/losslab.js');
let data = '';
let home = '';

before(async () => {
  data = await writeMnistFolder(temporaryDir('cli-data'), { digits: [4, 7], perClass: 30 });
  home = temporaryDir('cli-home');
});

function losslab(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOSSLAB_DATA_DIR: path.join(home, 'data'), LOSSLAB_CACHE_DIR: path.join(home, 'cache') },
  });
}

test('run writes results.json, metrics.csv and predictions.csv and says where', () => {
  const out = path.join(home, 'run');
  const result = losslab(['run', '--data', data, '--losses', 'ce,focal', '--param', 'focal.gamma=1', '--epochs', '2', '--image-size', '16', '--width', '4', '--depth', '1', '--imbalance', 'step:3', '--out', out]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`Results written to ${path.join(out, 'results.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ExperimentResults;
  assert.deepEqual(results.runs.map((r) => r.runId), ['ce#seed1', 'focal(gamma=1)#seed1']);
  assert.equal(results.runs[1]!.params.gamma, 1);
  assert.deepEqual(results.dataset.imbalance, { kind: 'step', ratio: 3 });
  for (const key of ['classes', 'dataset', 'config', 'backend', 'runs', 'summary']) assert.ok(key in results, key);
  const predictions = fs.readFileSync(path.join(out, 'predictions.csv'), 'utf8').trim().split('\n');
  assert.equal(predictions[0], 'run,file,true_class,predicted_class,p_digit-4,p_digit-7');
  assert.equal(predictions.length, 1 + 2 * results.testItems.length);
  const metrics = fs.readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(metrics.length, 3);
  assert.match(metrics[1]!, /^ce#seed1,ce,1,done,/);
});

test('errors end with exit code 1 and one line that says what to do', () => {
  const missing = losslab(['run', '--losses', 'ce']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^losslab: --data DIR is required/);

  const out = path.join(home, 'refused');
  const nowhere = losslab(['run', '--data', path.join(home, 'no-such-folder'), '--losses', 'ce', '--out', out]);
  assert.equal(nowhere.status, 1);
  assert.ok(!fs.existsSync(out), 'bad input writes nothing');
  assert.equal(nowhere.stderr.trim().split('\n').length, 1, nowhere.stderr);
  assert.match(nowhere.stderr, /no-such-folder/);

  const badLoss = losslab(['run', '--data', data, '--losses', 'ce,fcoal']);
  assert.equal(badLoss.status, 1);
  assert.match(badLoss.stderr, /fcoal/);

  const badParam = losslab(['run', '--data', data, '--losses', 'focal', '--param', 'focal.gamma=-1']);
  assert.equal(badParam.status, 1);
  assert.match(badParam.stderr, /gamma/);
  assert.ok(!badParam.stderr.includes('    at '), 'no stack trace without --debug');
});
