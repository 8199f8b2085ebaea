import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { temporaryDir } from '../../tests/fixtures/mnist-folder';
import { parseExperimentConfig } from '../experiment/config';
import { ExperimentFolder } from '../store/experiment-folder';
import { servicesForTest } from '../services/service-fixtures';
import { queueRunner } from './queue-pool';

/**
 * Workers do not load pretrained backbones: queue mode refuses backbone studies up front, with a
 * message that says to leave the queue out, before any data is read, Redis reached or file written.
 */
const CLI = path.join(__dirname, '../../../bin/losslab.js');
// Nothing listens here; a refusal that tried Redis first would hang or say so instead.
const NOWHERE = 'redis://127.0.0.1:1';
const BACKBONE = { family: 'backbone', source: '/models/no-such-backbone/model.json' } as const;

function losslab(args: string[], home: string) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, HOME: home, LOSSLAB_DATA_DIR: path.join(home, 'data') }, timeout: 60_000 });
}

test('run --redis and resume --redis refuse a backbone study and write nothing', () => {
  const home = temporaryDir('queue-backbone');
  const out = path.join(home, 'study');
  const run = losslab(['run', '--data', home, '--losses', 'ce', '--backbone', BACKBONE.source, '--redis', NOWHERE, '--out', out], home);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /pretrained backbone train locally only; leave out --redis/);
  assert.ok(!fs.existsSync(out));

  // A backbone study interrupted earlier (its record, no runs finished).
  const folder = new ExperimentFolder(out);
  fs.mkdirSync(out, { recursive: true });
  const config = parseExperimentConfig({ data: home, losses: [{ id: 'ce' }], model: BACKBONE });
  folder.writeRecord({ id: 'bb', createdAt: '2026-01-01T00:00:00.000Z', config, runs: [{ index: 0, runId: 'ce#seed1' }] }, false);
  const before = fs.readdirSync(out).sort();
  const recordBefore = fs.readFileSync(path.join(out, 'experiment.json'), 'utf8');
  const resumed = losslab(['resume', out, '--redis', NOWHERE], home);
  assert.equal(resumed.status, 1, resumed.stderr);
  assert.match(resumed.stderr, /pretrained backbone, which trains locally only; resume it without --redis/);
  assert.deepEqual(fs.readdirSync(out).sort(), before);
  assert.equal(fs.readFileSync(path.join(out, 'experiment.json'), 'utf8'), recordBefore);
});

test('served with --redis: starting or resuming a backbone study is refused with what to do', async () => {
  const root = temporaryDir('queue-backbone-served');
  const services = servicesForTest({ browseRoot: root, runner: queueRunner(NOWHERE), redisUrl: NOWHERE });
  const config = parseExperimentConfig({ data: root, losses: [{ id: 'ce' }], model: BACKBONE });
  await assert.rejects(services.handlers['experiment.start']({ config }), /pretrained backbone train locally only/);
  const folder = new ExperimentFolder(path.join(services.dataDir, 'bb-1'));
  fs.mkdirSync(folder.dir, { recursive: true });
  folder.writeRecord({ id: 'bb-1', createdAt: '2026-01-01T00:00:00.000Z', config, runs: [{ index: 0, runId: 'ce#seed1' }] }, false);
  await assert.rejects(services.handlers['experiment.resume']({ id: 'bb-1' }), /trains on a pretrained backbone.*losslab resume bb-1` without --redis/);
  assert.equal(services.events.length, 0);
  await services.shutdown();
});
