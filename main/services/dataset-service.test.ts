import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { servicesForTest, temporaryDir, writeColourFolder, writeMnistFolder } from './service-fixtures';

let digits = '';
let colours = '';

before(async () => {
  digits = await writeMnistFolder(temporaryDir('ds-digits'), { digits: [0, 1, 2], perClass: 20 });
  fs.writeFileSync(path.join(digits, 'digit-0', 'notes.png'), 'not an image');
  colours = await writeColourFolder(temporaryDir('ds-colours'), ['red', 'green'], 6);
});

test('dataset.open refuses folders that were not chosen, then opens chosen ones with progress and an overview', async () => {
  const services = servicesForTest();
  const { handlers, access } = services;
  await assert.rejects(handlers['dataset.open']({ path: digits, imageSize: 16, resize: 'center-crop', colorMode: 'auto' }), /not a folder you chose/);
  await access.chooseFolder(digits);
  const overview = await handlers['dataset.open']({ path: digits, imageSize: 16, resize: 'center-crop', colorMode: 'auto' });
  assert.deepEqual(overview.classes.map((c) => [c.name, c.count]), [['digit-0', 20], ['digit-1', 20], ['digit-2', 20]]);
  assert.equal(overview.total, 60);
  assert.equal(overview.layout, 'classes');
  assert.equal(overview.channels, 1, 'MNIST is gray, so auto keeps one channel');
  assert.equal(overview.skippedTotal, 1);
  assert.match(overview.skipped[0]!.file, /notes\.png$/);
  assert.equal(overview.classes[0]!.samples.length, 8);
  assert.match(overview.classes[0]!.samples[0]!.url, /^\/files\?path=/);
  assert.equal(overview.sourceImages.width.min, 28);
  assert.equal(overview.sourceImages.formats.png, 24);
  assert.deepEqual(overview.sourceImages.channels, { 3: 24 }, 'the fixture saves gray digits as RGB PNGs');
  assert.equal(overview.allGray, true);
  const progress = services.events.filter((e) => e.type === 'dataset.progress');
  assert.ok(progress.length >= 2, 'scan and decode progress arrive as events');
  assert.ok(await access.readable(overview.classes[1]!.samples[0]!.absolutePath), 'an opened dataset is readable');
});

test('dataset.previewImbalance gives the training counts a profile would keep', async () => {
  const { handlers, access } = servicesForTest();
  await assert.rejects(handlers['dataset.previewImbalance']({ path: digits, testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'none' }, splitSeed: 0 }), /not a folder you chose/);
  await access.chooseFolder(digits);
  await assert.rejects(handlers['dataset.previewImbalance']({ path: digits, testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'none' }, splitSeed: 0 }), /Open the dataset/);
  await handlers['dataset.open']({ path: digits, imageSize: 16, resize: 'center-crop', colorMode: 'auto' });
  const none = await handlers['dataset.previewImbalance']({ path: digits, testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'none' }, splitSeed: 0 });
  assert.deepEqual(none.test, [4, 4, 4]);
  assert.deepEqual(none.train, none.poolBeforeImbalance);
  assert.equal(none.imbalanceRatio, 1);
  const longTail = await handlers['dataset.previewImbalance']({ path: digits, testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'exp', ratio: 10 }, splitSeed: 0 });
  assert.equal(Math.max(...longTail.train), Math.max(...none.train));
  assert.ok(longTail.imbalanceRatio >= 8, `ratio ${longTail.imbalanceRatio}`);
  assert.deepEqual([...longTail.headToTail].sort(), [0, 1, 2]);
  await assert.rejects(
    handlers['dataset.previewImbalance']({ path: digits, testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'counts', counts: { cat: 3 } }, splitSeed: 0 }),
    /does not have/,
  );
});

test('colour folders keep three channels; dataset.samplePath makes the sample readable', async () => {
  const { handlers, access } = servicesForTest();
  await access.chooseFolder(colours);
  const overview = await handlers['dataset.open']({ path: colours, imageSize: 8, resize: 'squash', colorMode: 'auto' });
  assert.equal(overview.channels, 3);
  assert.deepEqual(overview.sourceImages.channels, { 3: 12 });
  assert.equal(overview.allGray, false);
  assert.deepEqual(overview.sourceImages.width, { min: 20, max: 20 });
  const { path: sample } = await handlers['dataset.samplePath']({});
  assert.ok(fs.existsSync(sample), sample);
  assert.ok(await access.openable(sample));
});

test('served mode opens folders below --root without a prior choice, and nothing outside it', async () => {
  const root = path.dirname(colours);
  const { handlers } = servicesForTest({ browseRoot: root });
  const overview = await handlers['dataset.open']({ path: colours, imageSize: 8, resize: 'squash', colorMode: 'rgb' });
  assert.equal(overview.total, 12);
  await assert.rejects(handlers['dataset.open']({ path: path.dirname(root), imageSize: 8, resize: 'squash', colorMode: 'rgb' }), /Pick a folder below/);
});

test('dataset.open says a typed folder does not exist, and in served mode names --root for a folder outside it', async () => {
  const open = (handlers: ReturnType<typeof servicesForTest>['handlers'], folder: string) =>
    handlers['dataset.open']({ path: folder, imageSize: 16, resize: 'center-crop', colorMode: 'auto' });
  const missing = path.join(temporaryDir('ds-missing'), 'no-such-folder');

  const desktop = servicesForTest();
  await assert.rejects(open(desktop.handlers, missing), (error: Error) => {
    assert.match(error.message, /^The folder .*no-such-folder does not exist\. Check the spelling, or pick the folder with "Open folder…"\.$/);
    return true;
  });

  const root = digits;
  const served = servicesForTest({ browseRoot: root });
  await assert.rejects(open(served.handlers, path.join(root, 'no-such-folder')), (error: Error) => {
    assert.match(error.message, /does not exist\. .*"Browse server folders…"/);
    assert.doesNotMatch(error.message, /Open folder/);
    return true;
  });
  // Outside --root the answer is the same whether the folder exists or not: the page cannot probe the disk.
  for (const outside of [missing, colours]) {
    await assert.rejects(open(served.handlers, outside), /is outside the folder this server shares \(.*--root\)/);
  }
});
