import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { strFromU8, unzipSync } from 'fflate';
import type { ApiEvent, ApiEvents } from '../api/contract';
import { CSV_TABLES } from '../report';
import { parseExperimentConfig } from '../experiment/config';
import { servicesForTest, temporaryDir, tmpFile, writeMnistFolder } from './service-fixtures';

/** The smallest experiment that still trains: two losses, one epoch, a 4-filter single block at 16 px. */
function tinyConfig(data: string, overrides: Record<string, unknown> = {}) {
  return parseExperimentConfig({
    name: 'service test',
    data,
    imageSize: 16,
    imbalance: { kind: 'exp', ratio: 2 },
    losses: [{ id: 'ce' }, { id: 'focal', params: { gamma: 2 } }],
    seeds: [1],
    model: { width: 4, depth: 1 },
    training: { epochs: 1, batchSize: 16 },
    backend: 'wasm',
    workers: 2,
    ...overrides,
  });
}

let data = '';
let services: ReturnType<typeof servicesForTest>;
let id = '';

function ofType<E extends ApiEvent['type']>(type: E): ApiEvents[E][] {
  return services.events.filter((e) => e.type === type).map((e) => e.data as ApiEvents[E]);
}

before(async () => {
  data = await writeMnistFolder(temporaryDir('exp-digits'), { digits: [0, 1, 7], perClass: 30 });
  services = servicesForTest();
  await services.access.chooseFolder(data);
  const started = await services.handlers['experiment.start']({ config: tinyConfig(data) });
  id = started.id;
  await services.settled(id);
});

test('experiment.start trains every run and reports progress as events, in order', () => {
  const types = services.events.map((e) => e.type);
  const failed = ofType('experiment.failed');
  assert.deepEqual(failed, [], JSON.stringify(failed));
  assert.equal(types[0], 'experiment.started');
  assert.equal(types.at(-1), 'experiment.done');
  for (const type of ['experiment.datasetProgress', 'experiment.datasetLoaded', 'experiment.backend', 'experiment.runStart', 'experiment.batch', 'experiment.epoch', 'experiment.runSettled'] as const) {
    assert.ok(types.includes(type), `${type} arrives`);
    assert.ok(ofType(type).every((event) => event.id === id), `${type} carries the experiment id`);
  }
  assert.ok(types.indexOf('experiment.datasetLoaded') < types.indexOf('experiment.runStart'));
  const started = ofType('experiment.started')[0]!;
  assert.deepEqual(started.runs.map((r) => [r.index, r.runId]), [[0, 'ce#seed1'], [1, 'focal(gamma=2)#seed1']]);
  assert.equal(started.resumed, false);
  const settled = ofType('experiment.runSettled');
  assert.deepEqual(settled.map((s) => s.status), ['done', 'done']);
  const batches = ofType('experiment.batch');
  assert.ok(batches.every((b) => b.index === (b.runId === 'ce#seed1' ? 0 : 1)), 'batch events carry the run index');
  assert.ok(batches.some((b) => b.batch === b.batches), 'the last batch of an epoch is never dropped by the throttle');
  assert.deepEqual(ofType('experiment.done')[0]!.runs, { done: 2, failed: 0, cancelled: 0 });
  const loaded = ofType('experiment.datasetLoaded')[0]!;
  assert.deepEqual(loaded.classes, ['digit-0', 'digit-1', 'digit-7']);
});

test('experiments.list / get / running describe the stored experiment', async () => {
  const { handlers } = services;
  const list = await handlers['experiments.list']({});
  assert.equal(list.length, 1);
  assert.equal(list[0]!.id, id);
  assert.equal(list[0]!.status, 'done');
  assert.equal(list[0]!.name, 'service test');
  const results = await handlers['experiments.get']({ id });
  assert.equal(results.id, id);
  assert.equal(results.runs.length, 2);
  assert.ok(fs.existsSync(path.join(services.dataDir, id, 'predictions.csv')));
  assert.deepEqual(await handlers['experiments.running']({}), []);
  assert.deepEqual(await handlers['experiment.cancel']({ id }), { cancelled: false }, 'a finished experiment has nothing to cancel');
});

test('experiments.cellImages returns the test images of a confusion cell, readable by the renderer', async () => {
  const { handlers, access } = services;
  const results = await handlers['experiments.get']({ id });
  const run = results.runs[0]!;
  const confusion = run.confusion!;
  let checked = 0;
  for (let t = 0; t < confusion.length; t++) {
    for (let p = 0; p < confusion.length; p++) {
      const cell = await handlers['experiments.cellImages']({ id, runId: run.runId, trueClass: t, predictedClass: p, limit: 500 });
      assert.equal(cell.total, confusion[t]![p], `cell ${t},${p} matches the confusion matrix`);
      assert.equal(cell.images.length, cell.total);
      for (const image of cell.images) {
        assert.ok(image.file.startsWith(`${results.classes[t]}/`), `${image.file} is a ${results.classes[t]} image`);
        assert.ok(fs.existsSync(image.absolutePath));
        assert.ok(await access.readable(image.absolutePath));
        assert.ok(image.confidence > 0 && image.confidence <= 1);
      }
      const confidences = cell.images.map((i) => i.confidence);
      assert.deepEqual(confidences, [...confidences].sort((a, b) => b - a), 'most confident first');
      checked += cell.total;
    }
  }
  assert.equal(checked, results.testItems.length);
  const limited = await handlers['experiments.cellImages']({ id, runId: run.runId, trueClass: 0, predictedClass: 0, limit: 1 });
  assert.ok(limited.images.length <= 1);
  await assert.rejects(handlers['experiments.cellImages']({ id, runId: 'nope#seed1', trueClass: 0, predictedClass: 0, limit: 5 }), /no finished run "nope#seed1"/);
  await assert.rejects(handlers['experiments.cellImages']({ id, runId: run.runId, trueClass: 9, predictedClass: 0, limit: 5 }), /no true class 9/);
});

test('experiments.export writes reports only where allowed', async () => {
  const { handlers, access } = services;
  const target = tmpFile('report.md');
  await assert.rejects(handlers['experiments.export']({ id, format: 'md', path: target, overwrite: false }), /may not write/);
  access.allowSave(target);
  const written = await handlers['experiments.export']({ id, format: 'md', path: target, overwrite: false });
  assert.deepEqual(written, { path: target, files: [target] });
  assert.ok(fs.readFileSync(target, 'utf8').length > 100);
  const json = tmpFile('results.json');
  access.allowSave(json);
  await handlers['experiments.export']({ id, format: 'json', path: json, overwrite: false });
  assert.ok(JSON.parse(fs.readFileSync(json, 'utf8')));
  await assert.rejects(handlers['experiments.export']({ id: 'missing', format: 'json', path: json, overwrite: false }), /no experiment "missing"/);
});

test('experiments.export never replaces a file unless asked to', async () => {
  const { handlers, access } = services;
  const target = tmpFile('existing.html');
  fs.writeFileSync(target, 'precious');
  access.allowSave(target);
  await assert.rejects(handlers['experiments.export']({ id, format: 'html', path: target, overwrite: false }), (error: Error) => {
    assert.equal(error.name, 'ExportTargetExistsError');
    assert.match(error.message, /already exists/);
    return true;
  });
  assert.equal(fs.readFileSync(target, 'utf8'), 'precious', 'nothing was written');
  const replaced = await handlers['experiments.export']({ id, format: 'html', path: target, overwrite: true });
  assert.deepEqual(replaced.files, [target]);
  assert.match(fs.readFileSync(target, 'utf8'), /^<!DOCTYPE html>/i);
});

test('a CSV export is one .zip of the tables, named as written', async () => {
  const { handlers, access } = services;
  const asked = tmpFile('tables.csv');
  access.allowSave(asked);
  const answer = await handlers['experiments.export']({ id, format: 'csv', path: asked, overwrite: false });
  const zip = asked.replace(/\.csv$/, '.zip');
  assert.deepEqual(answer, { path: zip, files: [zip] });
  for (const file of answer.files) assert.ok(fs.statSync(file).isFile(), `${file} exists`);
  assert.equal(fs.existsSync(asked), false);
  const entries = unzipSync(fs.readFileSync(zip));
  assert.deepEqual(Object.keys(entries).sort(), CSV_TABLES.map((t) => `${t}.csv`).sort());
  const runs = strFromU8(entries['runs.csv']!);
  assert.match(runs.split('\n')[0]!, /^row,kind,loss,source,seed,run_id,status,/);
  assert.ok(runs.includes('ce#seed1') && runs.includes('focal'), 'the runs of the experiment are in it');
});

test('experiments.export refuses the dataset being studied, even through a link', async () => {
  const { handlers, access } = services;
  const classDir = path.join(data, 'digit-0');
  const inside = path.join(classDir, 'report.html');
  access.allowSave(inside);
  const before = fs.readdirSync(classDir).sort();
  assert.ok(before.length > 0);
  await assert.rejects(handlers['experiments.export']({ id, format: 'html', path: inside, overwrite: true }), /inside the dataset folder/);
  const link = path.join(temporaryDir('link-to-data'), 'data');
  fs.symlinkSync(data, link);
  const viaLink = path.join(link, 'report.html');
  access.allowSave(viaLink);
  await assert.rejects(handlers['experiments.export']({ id, format: 'html', path: viaLink, overwrite: true }), /inside the dataset folder/);
  assert.deepEqual(fs.readdirSync(classDir).sort(), before, 'nothing was written into the dataset');
  assert.deepEqual(fs.readdirSync(data).filter((f) => f.endsWith('.html')), []);
});

test('bad experiments are refused before anything trains', async () => {
  const { handlers } = servicesForTest();
  await assert.rejects(handlers['experiment.start']({ config: tinyConfig(data) }), /not a folder you chose/);
  const fresh = servicesForTest();
  await fresh.access.chooseFolder(data);
  await assert.rejects(fresh.handlers['experiment.start']({ config: tinyConfig(data, { losses: [{ id: 'focal', params: { gamma: -3 } }] }) }), /gamma/);
  await assert.rejects(fresh.handlers['experiment.start']({ config: tinyConfig(data, { losses: [{ id: 'no-such-loss' }] }) }), /Unknown loss/);
  assert.deepEqual(fresh.events, []);
});

test('cancelling a running experiment stops its runs; it can then be resumed and deleted', async () => {
  const local = servicesForTest();
  await local.access.chooseFolder(data);
  const { handlers } = local;
  const { id: cancelId } = await handlers['experiment.start']({ config: tinyConfig(data, { training: { epochs: 200, batchSize: 16 }, losses: [{ id: 'ce' }], workers: 1 }) });
  await local.nextEvent('experiment.batch');
  const running = await handlers['experiments.running']({});
  assert.equal(running[0]!.id, cancelId);
  assert.equal(running[0]!.runs[0]!.status, 'running');
  await assert.rejects(handlers['experiments.delete']({ id: cancelId }), /still training/);
  await assert.rejects(handlers['experiment.cancel']({ id: cancelId, runIndex: 5 }), /no run 5/);
  assert.deepEqual(await handlers['experiment.cancel']({ id: cancelId }), { cancelled: true });
  await local.settled(cancelId);
  const settled = local.events.filter((e) => e.type === 'experiment.runSettled').map((e) => (e.data as ApiEvents['experiment.runSettled']).status);
  assert.deepEqual(settled, ['cancelled']);
  assert.equal((await handlers['experiments.list']({}))[0]!.status, 'interrupted');

  // Resume, then cancel again at once: the resume must announce itself as one.
  const resumed = await handlers['experiment.resume']({ id: cancelId });
  assert.equal(resumed.runs.length, 1);
  await local.nextEvent('experiment.started', (e) => (e.data as ApiEvents['experiment.started']).resumed);
  await handlers['experiment.cancel']({ id: cancelId });
  await local.settled(cancelId);

  assert.deepEqual(await handlers['experiments.delete']({ id: cancelId }), { deleted: true });
  assert.deepEqual(await handlers['experiments.list']({}), []);
  await assert.rejects(handlers['experiments.get']({ id: cancelId }), /no experiment/);
});

test('experiment.start refuses a backbone on disk outside the folders the user chose, and writes nothing', async () => {
  const before = (await services.handlers['experiments.list']({})).length;
  const elsewhere = temporaryDir('backbone-elsewhere');
  await assert.rejects(
    services.handlers['experiment.start']({ config: tinyConfig(data, { model: { family: 'backbone', source: elsewhere } }) }),
    /cannot load the backbone .*backbone-elsewhere.*: it is not inside a folder you opened/,
  );
  assert.equal((await services.handlers['experiments.list']({})).length, before);
});
