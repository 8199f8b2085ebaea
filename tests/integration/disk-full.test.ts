import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { temporaryDir, writeMnistFolder } from '../fixtures/mnist-folder';

const cli = path.resolve(__dirname, '../../../bin/losslab.js');

// A real full disk: a 300 KiB tmpfs. Mounting needs root and mount rights, which CI has and
// many developer machines do not; there the test says so and skips.
test('a disk that fills up during a run fails it with a message, keeps what was written, and the CLI exits 1 without a stack trace', async (t) => {
  const mountPoint = temporaryDir('tinyfs');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a small tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim()}); run as root to test a full disk`);
    return;
  }
  try {
    const data = await writeMnistFolder(temporaryDir('tinyfs-data'), { digits: [0, 1], perClass: 20 });
    const out = path.join(mountPoint, 'experiment');
    const home = temporaryDir('tinyfs-home');
    const result = spawnSync(
      process.execPath,
      [cli, 'run', '--data', data, '--losses', 'ce', '--epochs', '3', '--image-size', '16', '--width', '32', '--depth', '3', '--backend', 'wasm', '--workers', '1', '--out', out],
      { encoding: 'utf8', env: { ...process.env, LOSSLAB_DATA_DIR: path.join(home, 'data'), LOSSLAB_CACHE_DIR: path.join(home, 'cache') } },
    );
    // The checkpoint does not fit: its write fails whole (no truncated file is renamed into place,
    // and the temporary file's space is given back), so the run fails with the disk-full message,
    // the results that record the failure still fit, and the exit status says a run failed.
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout + result.stderr, /FAILED ce#seed1: Cannot write .*: the disk is full\. Free some space/);
    assert.match(result.stdout, /1 run\(s\) failed; see "error" in results\.json/);
    assert.ok(!result.stderr.includes('    at '), 'no stack trace');
    const record = JSON.parse(fs.readFileSync(path.join(out, 'experiment.json'), 'utf8')) as { id: string };
    assert.ok(record.id, 'the experiment record written before the disk filled is intact');
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { runs: Array<{ status: string; error?: string }> };
    assert.equal(results.runs[0]?.status, 'failed');
    assert.match(results.runs[0]?.error ?? '', /disk is full/);
    const runDir = path.join(out, 'runs', '0');
    const leftovers = fs.existsSync(runDir) ? fs.readdirSync(runDir).filter((f) => f.startsWith('checkpoint')) : [];
    assert.deepEqual(leftovers, [], 'no checkpoint, whole or truncated, is left behind');
  } finally {
    spawnSync('umount', [mountPoint]);
  }
});
