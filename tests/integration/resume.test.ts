import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { ExperimentResults } from '../../main/results/types';
import { temporaryDir, writeMnistFolder } from '../fixtures/mnist-folder';

const cli = path.resolve(__dirname, '../../../bin/losslab.js');
let data = '';
let home = '';

before(async () => {
  data = await writeMnistFolder(temporaryDir('resume-data'), { digits: [0, 1, 2], perClass: 40 });
  home = temporaryDir('resume-home');
});

const env = () => ({ ...process.env, LOSSLAB_DATA_DIR: path.join(home, 'data'), LOSSLAB_CACHE_DIR: path.join(home, 'cache') });

function runArgs(out: string): string[] {
  return [cli, 'run', '--data', data, '--losses', 'ce,focal', '--seeds', '3', '--epochs', '8', '--image-size', '16', '--width', '4', '--depth', '2', '--batch-size', '16', '--backend', 'wasm', '--workers', '1', '--out', out];
}

/** What must match between an interrupted-and-resumed experiment and an uninterrupted one. */
function comparable(results: ExperimentResults) {
  return results.runs.map((run) => ({
    runId: run.runId,
    status: run.status,
    metrics: run.metrics,
    metricsLast: run.metricsLast,
    bestEpoch: run.bestEpoch,
    history: run.history?.map(({ seconds: _s, numTensors: _n, ...rest }) => rest),
  }));
}

function readResults(dir: string): ExperimentResults {
  return JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as ExperimentResults;
}

test('an experiment killed with SIGKILL mid-run resumes to the same numbers as an uninterrupted one', async () => {
  const reference = path.join(home, 'reference');
  const straight = spawnSync(process.execPath, runArgs(reference), { env: env(), encoding: 'utf8' });
  assert.equal(straight.status, 0, straight.stderr);

  const interrupted = path.join(home, 'interrupted');
  const child = spawn(process.execPath, runArgs(interrupted), { env: env(), stdio: 'ignore' });
  // Kill once the second run has logged some epochs but before it can finish.
  const log = path.join(interrupted, 'runs', '1', 'log.jsonl');
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
      if (lines >= 3) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== null) reject(new Error(`the experiment finished (code ${code}) before it could be killed`));
    });
  });
  await new Promise((resolve) => child.on('exit', resolve));
  assert.ok(!fs.existsSync(path.join(interrupted, 'results.json')), 'the killed experiment has no results yet');
  assert.ok(fs.existsSync(path.join(interrupted, 'runs', '0', 'outcome.json')), 'the first run finished before the kill and is kept');

  const list = spawnSync(process.execPath, [cli, 'list', '--store', home], { env: env(), encoding: 'utf8' });
  assert.equal(list.status, 0, list.stderr);
  const shown = spawnSync(process.execPath, [cli, 'show', interrupted], { env: env(), encoding: 'utf8' });
  assert.match(shown.stdout, /interrupted, 1\/2 runs finished/);

  const resumed = spawnSync(process.execPath, [cli, 'resume', interrupted], { env: env(), encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(comparable(readResults(interrupted)), comparable(readResults(reference)));
  assert.ok(fs.existsSync(path.join(interrupted, 'runs', '1', 'model', 'model.json')), 'weights are kept in TensorFlow.js format');

  const again = spawnSync(process.execPath, [cli, 'resume', interrupted], { env: env(), encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^losslab: .*nothing to resume/);
});
