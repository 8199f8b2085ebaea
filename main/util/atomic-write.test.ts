import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { describeWriteError, writeFileAtomic } from './atomic-write';

test('writes land whole and leave no temporary file behind', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-atomic-'));
  const file = path.join(dir, 'nested', 'a.json');
  writeFileAtomic(file, '{"a":1}');
  writeFileAtomic(file, '{"a":2}');
  assert.equal(fs.readFileSync(file, 'utf8'), '{"a":2}');
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['a.json']);
});

test('disk-full, read-only and permission errors say what to do; others pass through', () => {
  const full = describeWriteError('/x/results.json', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
  assert.match(full.message, /^Cannot write \/x\/results\.json: the disk is full\. Free some space/);
  assert.equal((full as NodeJS.ErrnoException).code, 'ENOSPC');
  assert.match(describeWriteError('/x', Object.assign(new Error('r'), { code: 'EROFS' })).message, /read-only disk/);
  assert.match(describeWriteError('/x', Object.assign(new Error('a'), { code: 'EACCES' })).message, /permission denied/);
  const other = Object.assign(new Error('odd'), { code: 'EIO' });
  assert.equal(describeWriteError('/x', other), other);
});

// A real short write needs a nearly full disk: a 64 KiB tmpfs (root only; skipped elsewhere).
test('a write the disk can only take part of fails with the disk-full message and leaves nothing, not a truncated file', (t) => {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-atomic-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a small tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim()}); run as root to test a full disk`);
    return;
  }
  try {
    const file = path.join(mountPoint, 'checkpoint.bin');
    // Larger than the whole disk: the first write takes what fits and returns a shorter count.
    assert.throws(() => writeFileAtomic(file, new Uint8Array(100 * 1024).fill(7)), /^Error: Cannot write .*checkpoint\.bin: the disk is full/);
    assert.deepEqual(fs.readdirSync(mountPoint), [], 'neither the target nor a temporary file is left');
    const fits = new Uint8Array(20 * 1024).fill(9);
    writeFileAtomic(file, fits);
    assert.deepEqual(new Uint8Array(fs.readFileSync(file)), fits);
  } finally {
    spawnSync('umount', [mountPoint]);
  }
});
