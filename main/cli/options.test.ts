import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseByteSize, parseImbalance, parseLossParams, parseSeeds, readCountsFile, UsageError } from './options';

test('imbalance profiles parse and bad ones say what is accepted', () => {
  assert.deepEqual(parseImbalance('none'), { kind: 'none' });
  assert.deepEqual(parseImbalance('exp:10'), { kind: 'exp', ratio: 10 });
  assert.deepEqual(parseImbalance('step:2.5'), { kind: 'step', ratio: 2.5 });
  assert.throws(() => parseImbalance('exp:0.5'), /ratio ≥ 1/);
  assert.throws(() => parseImbalance('longtail'), /none, exp:RHO, step:RHO, counts:FILE/);
});

test('counts files are read as JSON or class,count CSV and validated', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-counts-'));
  const json = path.join(dir, 'c.json');
  fs.writeFileSync(json, '{"cat": 10, "dog": 3}');
  assert.deepEqual(readCountsFile(json), { cat: 10, dog: 3 });
  const csv = path.join(dir, 'c.csv');
  fs.writeFileSync(csv, 'cat,10\nsea, lion,4\n');
  assert.deepEqual(readCountsFile(csv), { cat: 10, 'sea, lion': 4 });
  fs.writeFileSync(csv, 'cat,0\n');
  assert.throws(() => readCountsFile(csv), /whole number ≥ 1/);
  assert.throws(() => readCountsFile(path.join(dir, 'missing.json')), /Cannot read the counts file .*ENOENT/);
  assert.deepEqual(parseImbalance(`counts:${json}`), { kind: 'counts', counts: { cat: 10, dog: 3 } });
});

test('seeds and loss parameters parse; mistakes are usage errors', () => {
  assert.deepEqual(parseSeeds('1, 2,3'), [1, 2, 3]);
  assert.deepEqual(parseSeeds('1-3,7'), [1, 2, 3, 7], 'ranges, as the app accepts them');
  assert.throws(() => parseSeeds('3-1'), /must go upwards/);
  assert.throws(() => parseSeeds('1-3,2'), /repeats a seed/);
  assert.throws(() => parseSeeds('1,1'), UsageError);
  assert.throws(() => parseSeeds('a'), /whole numbers/);
  const params = parseLossParams(['focal.gamma=1.5', 'weighted-ce.weights=1,2,3', 'weighted-ce.mode=inverse']);
  assert.deepEqual(params.get('focal'), { gamma: 1.5 });
  assert.deepEqual(params.get('weighted-ce'), { weights: [1, 2, 3], mode: 'inverse' });
  assert.throws(() => parseLossParams(['gamma=2']), /LOSS\.KEY=VALUE/);
});

test('upload limits parse as sizes with K, M, G, T suffixes (powers of 1024)', () => {
  const parse = parseByteSize('--upload-limit');
  assert.equal(parse('1048576'), 2 ** 20);
  assert.equal(parse('500M'), 500 * 2 ** 20);
  assert.equal(parse('2G'), 2 * 2 ** 30);
  assert.equal(parse('1.5GiB'), 1.5 * 2 ** 30);
  assert.equal(parse('64k'), 64 * 1024);
  for (const bad of ['', '0', '-1M', 'lots', '2X']) assert.throws(() => parse(bad), UsageError, bad);
});
