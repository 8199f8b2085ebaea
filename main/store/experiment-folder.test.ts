import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseExperimentConfig } from '../experiment/config';
import { ExperimentFolder } from './experiment-folder';

const config = parseExperimentConfig({ data: '/data', losses: [{ id: 'ce' }] });
const record = { id: 'e1', createdAt: '2026-01-01T00:00:00Z', config, runs: [{ index: 0, runId: 'ce#seed1' }] };

function freshFolder(): ExperimentFolder {
  return new ExperimentFolder(fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-folder-')));
}

test('status follows the owner: running while this process trains it, interrupted once released without results', () => {
  const folder = freshFolder();
  folder.writeRecord(record);
  assert.equal(folder.status(), 'running');
  folder.release();
  assert.equal(folder.status(), 'interrupted');
});

test('a record naming our own pid that this process never opened is not running (pid reuse after a restart)', () => {
  const folder = freshFolder();
  fs.writeFileSync(folder.recordFile, JSON.stringify({ ...record, formatVersion: 1, owner: { pid: process.pid, host: os.hostname() } }));
  assert.equal(folder.status(), 'interrupted');
});

test('a torn last line of an epoch log is ignored', () => {
  const folder = freshFolder();
  folder.writeRecord(record);
  const entry = { epoch: 0, stage: 'train' as const, trainLoss: 1, valAccuracy: null, valBalancedAccuracy: null, learningRate: 0.1, seconds: 1, numTensors: 5 };
  folder.appendEpoch(0, entry);
  folder.appendEpoch(0, { ...entry, epoch: 1 });
  fs.appendFileSync(path.join(folder.runDir(0), 'log.jsonl'), '{"epoch":2,"stage":"tr');
  assert.deepEqual(folder.readEpochLog(0).map((r) => r.epoch), [0, 1]);
  folder.release();
});
