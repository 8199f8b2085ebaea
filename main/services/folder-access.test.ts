import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FolderAccess, isInside } from './folder-access';
import { temporaryDir } from '../../tests/fixtures/mnist-folder';

test('isInside: the folder itself and what lies below it, nothing beside or above', () => {
  assert.ok(isInside('/a/b', '/a/b'));
  assert.ok(isInside('/a/b', '/a/b/c/d.png'));
  assert.ok(!isInside('/a/b', '/a/bc'));
  assert.ok(!isInside('/a/b', '/a'));
  assert.ok(!isInside('/a/b', '/a/b/../c'.replace('/b/..', '')));
});

test('only chosen folders are readable, and symbolic links cannot lead out of them', async () => {
  const base = temporaryDir('access');
  const chosen = path.join(base, 'chosen');
  const secret = path.join(base, 'secret');
  fs.mkdirSync(chosen);
  fs.mkdirSync(secret);
  fs.writeFileSync(path.join(chosen, 'a.png'), 'x');
  fs.writeFileSync(path.join(secret, 'key.png'), 'x');
  fs.symlinkSync(secret, path.join(chosen, 'escape'));
  const access = new FolderAccess();
  assert.equal(await access.readable(path.join(chosen, 'a.png')), null, 'nothing is readable before a choice');
  await access.chooseFolder(chosen);
  assert.ok(await access.readable(path.join(chosen, 'a.png')));
  assert.equal(await access.readable(path.join(chosen, '..', 'secret', 'key.png')), null);
  assert.equal(await access.readable(path.join(chosen, 'escape', 'key.png')), null, 'a link out of the chosen folder is refused');
  assert.equal(await access.readable(path.join(chosen, 'missing.png')), null);
  await access.chooseFiles([path.join(secret, 'key.png')]);
  assert.ok(await access.readable(path.join(secret, 'key.png')), 'single files granted are readable');
  await assert.rejects(access.chooseFolder(path.join(base, 'nope')), /does not exist/);
});

test('the browse root makes folders openable and writable; save-dialog answers are writable', async () => {
  const root = temporaryDir('browse-root');
  const outside = temporaryDir('outside');
  fs.mkdirSync(path.join(root, 'data'));
  const access = new FolderAccess(root);
  assert.ok(await access.openable(path.join(root, 'data')));
  assert.equal(await access.openable(outside), null);
  assert.ok(await access.writable(path.join(root, 'report.html')));
  assert.equal(await access.writable(path.join(outside, 'report.html')), false);
  const desktop = new FolderAccess();
  assert.equal(await desktop.writable(path.join(outside, 'report.html')), false);
  desktop.allowSave(path.join(outside, 'report.html'));
  assert.ok(await desktop.writable(path.join(outside, 'report.html')));
});
