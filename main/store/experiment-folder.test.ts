import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
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

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a resume claim is refused while another live process holds the claim lock, and changes nothing', async () => {
  const folder = freshFolder();
  folder.writeRecord(record);
  folder.release();
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  try {
    fs.writeFileSync(folder.claimLockFile, JSON.stringify({ pid: holder.pid, host: os.hostname() }));
    let checked = false;
    assert.throws(() => folder.claimExclusively(() => (checked = true)), /being resumed by process \d+ right now/);
    assert.equal(checked, false, 'the status check never ran');
    assert.equal(folder.readRecord().owner, null);
    assert.ok(fs.existsSync(folder.claimLockFile), "the other process's lock stays");
  } finally {
    holder.kill();
  }
});

test('a claim lock left by a process that died is taken over, and released after the claim', () => {
  const folder = freshFolder();
  folder.writeRecord(record);
  folder.release();
  fs.writeFileSync(folder.claimLockFile, JSON.stringify({ pid: deadPid(), host: os.hostname() }));
  const claimed = folder.claimExclusively((status) => assert.equal(status, 'interrupted'));
  assert.equal(claimed.owner?.pid, process.pid);
  assert.equal(folder.status(), 'running');
  assert.ok(!fs.existsSync(folder.claimLockFile));
  folder.release();
});

test('a refused check releases the claim lock and leaves the record unowned', () => {
  const folder = freshFolder();
  folder.writeRecord(record);
  folder.release();
  assert.throws(() => folder.claimExclusively(() => {
    throw new Error('nothing to resume');
  }), /nothing to resume/);
  assert.ok(!fs.existsSync(folder.claimLockFile));
  assert.equal(folder.readRecord().owner, null);
});

test('a claim lock from another host is respected, with the way out in the message', () => {
  const folder = freshFolder();
  folder.writeRecord(record);
  folder.release();
  fs.writeFileSync(folder.claimLockFile, JSON.stringify({ pid: 1, host: `${os.hostname()}-elsewhere` }));
  assert.throws(() => folder.claimExclusively(() => {}), /by a process on .*-elsewhere\. If nothing there is resuming it, delete .*claim\.lock/);
});
