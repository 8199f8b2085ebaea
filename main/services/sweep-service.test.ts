import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { ApiEvent, ApiEvents } from '../api/contract';
import { parseExperimentConfig } from '../experiment/config';
import { SweepFolder } from '../sweep/folder';
import { servicesForTest, temporaryDir, writeMnistFolder } from './service-fixtures';

/**
 * `sweep.start` through the real engine: 2 imbalance settings × 1 loss × 1 seed on 8 px digits,
 * one epoch of a 4-filter block. The sweep folder is written in the store, each setting is
 * announced ('sweep.progress') and followed as an ordinary experiment, and the end carries the
 * summary and the HTML report. Refusals leave the store empty.
 */

function sweepConfig(data: string, overrides: Record<string, unknown> = {}) {
  return parseExperimentConfig({
    data,
    imageSize: 8,
    losses: [{ id: 'ce' }],
    seeds: [1],
    sweep: { imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 4 }] },
    model: { width: 4, depth: 1 },
    training: { epochs: 1, batchSize: 16 },
    backend: 'wasm',
    workers: 1,
    ...overrides,
  });
}

let data = '';

before(async () => {
  data = await writeMnistFolder(temporaryDir('sweep-service-digits'), { digits: [0, 1, 7], perClass: 30 });
});

function ofType<E extends ApiEvent['type']>(events: ApiEvent[], type: E): ApiEvents[E][] {
  return events.filter((e) => e.type === type).map((e) => e.data as ApiEvents[E]);
}

test('sweep.start trains setting after setting in a sweep folder of the store, announcing each, and ends with its summary and report', async () => {
  const services = servicesForTest();
  await services.access.chooseFolder(data);
  const started = await services.handlers['sweep.start']({ config: sweepConfig(data), confirmed: false });
  assert.equal(started.dir, path.join(services.dataDir, started.id));
  assert.deepEqual(started.settings.map((s) => [s.label, s.runs]), [['exp ρ = 1', 1], ['exp ρ = 4', 1]]);
  assert.equal(started.totalRuns, 2);
  // A window that reloads mid-sweep learns which sweep and setting the running experiment belongs to.
  const firstSetting = (await services.nextEvent('experiment.started')).data as ApiEvents['experiment.started'];
  const running = (await services.handlers['experiments.running']({})).find((info) => info.id === firstSetting.id);
  assert.deepEqual(running?.sweep, { id: started.id, setting: 0, settings: 2, label: 'exp ρ = 1', rho: 1 });
  const end = (await Promise.race([services.nextEvent('sweep.done'), services.nextEvent('sweep.failed')])) as ApiEvent;
  assert.equal(end.type, 'sweep.done', JSON.stringify(end.data));

  const progress = ofType(services.events, 'sweep.progress');
  assert.deepEqual(progress.map((p) => [p.id, p.setting, p.settings, p.rho, p.experimentId]), [
    [started.id, 0, 2, 1, `${started.id}-1-exp-1`],
    [started.id, 1, 2, 4, `${started.id}-2-exp-4`],
  ]);
  // Each setting is an ordinary experiment to the app: started after its announcement, done before the next.
  const order = services.events.filter((e) => ['sweep.progress', 'experiment.started', 'experiment.done', 'sweep.done'].includes(e.type)).map((e) => `${e.type}:${((d) => d.experimentId ?? d.id)(e.data as unknown as { experimentId?: string; id: string })}`);
  assert.deepEqual(order, [
    `sweep.progress:${started.id}-1-exp-1`,
    `experiment.started:${started.id}-1-exp-1`,
    `experiment.done:${started.id}-1-exp-1`,
    `sweep.progress:${started.id}-2-exp-4`,
    `experiment.started:${started.id}-2-exp-4`,
    `experiment.done:${started.id}-2-exp-4`,
    `sweep.done:${started.id}`,
  ]);
  assert.deepEqual(ofType(services.events, 'experiment.done').map((d) => d.runs), [{ done: 1, failed: 0, cancelled: 0 }, { done: 1, failed: 0, cancelled: 0 }]);

  const folder = new SweepFolder(started.dir);
  assert.equal(folder.read().id, started.id);
  for (const slug of ['1-exp-1', '2-exp-4']) assert.ok(fs.existsSync(path.join(folder.setting(slug).dir, 'results.json')), `${slug} has its results`);
  const done = ofType(services.events, 'sweep.done')[0]!;
  assert.equal(done.cancelled, false);
  assert.equal(done.report, path.join(started.dir, 'sweep-report.html'));
  assert.match(fs.readFileSync(done.report!, 'utf8'), /<html/i);
  // One loss: nothing to compare against the baseline, so no sentence; the field is there for the screen.
  assert.ok(Array.isArray(done.summary));
  assert.deepEqual(await services.handlers['experiments.running']({}), []);
  // History lists it, finished.
  assert.deepEqual(
    (await services.handlers['sweeps.list']({})).map((s) => [s.id, s.settings, s.runsTotal, s.runsFinished, s.running]),
    [[started.id, 2, 2, 2, false]],
  );

  // The export/download path knows the sweep by its id: the report across its settings.
  const download = await services.renderForDownload(started.id, 'html');
  try {
    assert.equal(download.filename, `losslab-${started.id}.html`);
    assert.match(fs.readFileSync(download.file, 'utf8'), /exp ρ = 4/);
  } finally {
    download.cleanup();
  }
  await assert.rejects(services.renderForDownload(started.id, 'md'), /exports a sweep as html, pdf, json; for md, run `losslab report/);
});

test('sweep.start refuses, with nothing written: too many runs unconfirmed, a setting without a tail image, a configuration that is not a sweep', async () => {
  const services = servicesForTest();
  await services.access.chooseFolder(data);
  const seeds = Array.from({ length: 41 }, (_, k) => k);
  const ratios = Array.from({ length: 50 }, (_, k) => ({ kind: 'exp', ratio: k + 1 }));
  await assert.rejects(services.handlers['sweep.start']({ config: sweepConfig(data, { seeds, sweep: { imbalance: ratios } }), confirmed: false }), /2050 runs .*more than 2000/);
  await assert.rejects(
    services.handlers['sweep.start']({ config: sweepConfig(data, { sweep: { imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 1000 }] } }), confirmed: false }),
    /Setting 2 \(exp ρ = 1000\) leaves class.* with no training image/,
  );
  const { sweep: _sweep, ...single } = sweepConfig(data);
  await assert.rejects(services.handlers['sweep.start']({ config: single, confirmed: false }), /single setting; start it as an experiment/);
  assert.deepEqual(fs.existsSync(services.dataDir) ? fs.readdirSync(services.dataDir) : [], []);
  assert.deepEqual(ofType(services.events, 'sweep.progress'), []);
});
