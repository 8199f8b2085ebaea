import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadDataset } from './load';
import { packageRoot, sampleDatasetPath } from './sample';
import { planSplits } from './splits';
import { inMemory } from './pixel-file';

describe('built-in sample dataset', () => {
  it('resolves inside the package, whether run from main/ or dist/', () => {
    const dir = sampleDatasetPath();
    assert.ok(existsSync(dir), dir);
    assert.equal(dir, path.join(packageRoot(), 'assets', 'sample', 'digits'));
    assert.equal(packageRoot(path.join(packageRoot(), 'dist', 'main', 'dataset')), packageRoot());
  });

  it('is small, documented and licensed', () => {
    const dir = sampleDatasetPath();
    let bytes = 0;
    for (const cls of readdirSync(dir)) for (const f of readdirSync(path.join(dir, cls))) bytes += statSync(path.join(dir, cls, f)).size;
    assert.ok(bytes < 1.5 * 2 ** 20, `${bytes} bytes`);
    const readme = readFileSync(path.join(dir, '..', 'README.md'), 'utf8');
    assert.match(readme, /MNIST/);
    assert.match(readme, /Creative Commons Attribution-Share Alike 3\.0/);
    assert.match(readme, /LeCun/);
  });

  it('loads as 10 gray digit classes of 120 real images and supports a long-tail split', async () => {
    const ds = await loadDataset({ root: sampleDatasetPath(), imageSize: 28, resize: 'center-crop', colorMode: 'auto' });
    assert.deepEqual(ds.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.deepEqual(ds.classCounts, new Array(10).fill(120));
    assert.equal(ds.channels, 1);
    assert.deepEqual(ds.skipped, []);
    // Real digits: mostly black background with a bright stroke.
    const first = inMemory(ds.pixels).subarray(0, 28 * 28);
    const bright = first.filter((v) => v > 128).length;
    assert.ok(bright > 40 && bright < 400, `${bright} bright pixels`);
    const plan = planSplits(ds, { testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'exp', ratio: 10 }, seed: 1 });
    assert.deepEqual(plan.counts.test, new Array(10).fill(24));
    assert.equal(Math.max(...plan.counts.train), 86);
    assert.equal(Math.min(...plan.counts.train), 9);
  });
});
