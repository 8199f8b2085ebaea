import assert from 'node:assert/strict';
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
