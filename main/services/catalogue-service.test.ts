import assert from 'node:assert/strict';
import { test } from 'node:test';
import { servicesForTest } from './service-fixtures';

test('losses.list is plain data: every loss with formula, explanation and parameters, no functions', async () => {
  const { handlers } = servicesForTest();
  const losses = await handlers['losses.list']({});
  assert.ok(losses.length >= 10);
  const ids = losses.map((l) => l.id);
  for (const id of ['ce', 'focal', 'balanced-softmax']) assert.ok(ids.includes(id), id);
  for (const loss of losses) {
    assert.ok(loss.formula.length > 0 && loss.explanation.length > 0, loss.id);
    assert.deepEqual(JSON.parse(JSON.stringify(loss)), loss, `${loss.id} survives JSON unchanged`);
    assert.ok(structuredClone(loss), `${loss.id} can cross IPC`);
  }
  const focal = losses.find((l) => l.id === 'focal')!;
  assert.ok(focal.params.some((p) => p.key === 'gamma'));
  assert.ok(losses.find((l) => l.id === 'cb-ce')!.tags.includes('imbalance'), 'the catalogue carries its tags');
});

test('methods.list is the training-method catalogue as plain data, for a recipe builder', async () => {
  const { handlers } = servicesForTest();
  const methods = await handlers['methods.list']({});
  assert.deepEqual(methods.map((m) => m.kind), ['sampler', 'sampler', 'sampler', 'sampler', 'schedule', 'schedule', 'second-stage', 'second-stage', 'post-hoc']);
  assert.deepEqual(JSON.parse(JSON.stringify(methods)), methods);
});

test('backends.list names the backends and app.info describes served mode', async () => {
  const { handlers } = servicesForTest({ browseRoot: '/srv' });
  const backends = await handlers['backends.list']({});
  assert.ok(Array.isArray(backends) && backends.length > 0);
  assert.deepEqual(JSON.parse(JSON.stringify(backends)), backends);
  const info = await handlers['app.info']({});
  assert.equal(info.mode, 'served');
  assert.equal(info.browseRoot, '/srv');
  assert.deepEqual(info.features, { nativeDialogs: false, folderBrowser: true, export: true });
  await assert.rejects(handlers['dialog.saveExport']({ id: 'x', format: 'csv' }), /desktop app/);
});

test('doctor.report answers a plain-data report, and a second call while one runs gets the same one', async () => {
  const { handlers } = servicesForTest();
  const [first, second] = await Promise.all([handlers['doctor.report']({ seconds: 0 }), handlers['doctor.report']({ seconds: 0 })]);
  assert.equal(first, second);
  assert.deepEqual(first.backends.map((b) => b.name), ['tensorflow', 'webgpu', 'wasm', 'cpu']);
  assert.deepEqual(structuredClone(first), first);
  assert.ok(first.findings.length > 0);
  const later = await handlers['doctor.report']({ seconds: 0 });
  assert.notEqual(later, first, 'a finished report is not cached: the machine may have changed');
});
