import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createBrowseService } from './browse-service';
import { temporaryDir } from '../../tests/fixtures/mnist-folder';

test('fs.browse lists sub-folders only, sorted, and never leaves the root', async () => {
  const root = fs.realpathSync(temporaryDir('browse'));
  for (const name of ['b', 'a', 'a10', 'a2', '.hidden']) fs.mkdirSync(path.join(root, name));
  fs.writeFileSync(path.join(root, 'file.png'), 'x');
  const outside = temporaryDir('browse-outside');
  fs.symlinkSync(outside, path.join(root, 'link-out'));
  fs.symlinkSync(path.join(root, 'b'), path.join(root, 'link-in'));
  const { browse } = createBrowseService(root);

  const top = await browse({});
  assert.equal(top.path, root);
  assert.equal(top.parent, null);
  assert.deepEqual(top.folders.map((f) => f.name), ['a', 'a2', 'a10', 'b', 'link-in']);
  const inner = await browse({ path: path.join(root, 'a') });
  assert.equal(inner.parent, root);
  assert.deepEqual(inner.folders, []);

  await assert.rejects(browse({ path: path.dirname(root) }), /outside/);
  await assert.rejects(browse({ path: path.join(root, '..', '..') }), /outside/);
  await assert.rejects(browse({ path: path.join(root, 'link-out') }), /outside/);
  await assert.rejects(browse({ path: path.join(root, 'missing') }), /does not exist/);
  await assert.rejects(createBrowseService(null).browse({}), /only available in served mode/);
});
