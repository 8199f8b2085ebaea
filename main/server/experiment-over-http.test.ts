import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { strFromU8, unzipSync } from 'fflate';
import { WebSocket } from 'ws';
import { CSV_TABLES } from '../report';
import type { ApiEvent, ApiEvents, Request, Responses } from '../api/contract';
import { temporaryDir, writeMnistFolder } from '../../tests/fixtures/mnist-folder';
import { startServer } from './server';

test('an experiment started over HTTP streams its events over the WebSocket to completion', async () => {
  const root = fs.realpathSync(temporaryDir('http-exp'));
  const data = await writeMnistFolder(path.join(root, 'digits'), { digits: [2, 5, 8], perClass: 24 });
  const server = await startServer({ port: 0, host: '127.0.0.1', browseRoot: root, dataDir: temporaryDir('http-store'), cacheDir: undefined, rendererDir: temporaryDir('http-renderer') });
  try {
    const call = async <C extends keyof Responses>(channel: C, body: Request<C>): Promise<Responses[C]> => {
      const response = await fetch(`${server.origin}/api/${channel}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as Responses[C] & { error?: { message: string } };
      assert.equal(response.status, 200, json.error?.message);
      return json;
    };

    const events: ApiEvent[] = [];
    const socket = new WebSocket(`${server.origin.replace('http', 'ws')}/events?token=${server.token}`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const finished = new Promise<ApiEvent>((resolve) => {
      socket.on('message', (raw) => {
        const event = JSON.parse(String(raw)) as ApiEvent;
        events.push(event);
        if (event.type === 'experiment.done' || event.type === 'experiment.failed') resolve(event);
      });
    });

    const listing = await call('fs.browse', {});
    const folder = listing.folders.find((f) => f.name === 'digits')!;
    const overview = await call('dataset.open', { path: folder.path, imageSize: 16 });
    assert.equal(overview.classes.length, 3);
    const preview = await call('dataset.previewImbalance', { path: folder.path, testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'exp', ratio: 4 }, splitSeed: 0 });
    const { id, runs } = await call('experiment.start', {
      config: {
        data,
        imageSize: 16,
        imbalance: { kind: 'exp', ratio: 4 },
        losses: [{ id: 'ce' }, { id: 'balanced-softmax' }],
        model: { width: 4, depth: 1 },
        training: { epochs: 1, batchSize: 16 },
        backend: 'wasm',
        workers: 2,
      },
    });
    assert.equal(runs.length, 2);

    const last = await finished;
    assert.equal(last.type, 'experiment.done', JSON.stringify(last.data));
    const types = new Set(events.map((e) => e.type));
    for (const type of ['experiment.started', 'experiment.datasetLoaded', 'experiment.runStart', 'experiment.batch', 'experiment.epoch', 'experiment.runSettled'] as const) {
      assert.ok(types.has(type), `${type} arrived over the socket`);
    }
    const loaded = events.find((e) => e.type === 'experiment.datasetLoaded')!.data as ApiEvents['experiment.datasetLoaded'];
    assert.deepEqual(loaded.train, preview.train, 'the preview predicted the training counts exactly');

    const results = await call('experiments.get', { id });
    assert.equal(results.runs.filter((r) => r.status === 'done').length, 2);
    const cell = await call('experiments.cellImages', { id, runId: results.runs[1]!.runId, trueClass: 0, predictedClass: 0 });
    assert.equal(cell.total, results.runs[1]!.confusion![0]![0]);
    if (cell.images.length > 0) {
      const image = await fetch(`${server.origin}${cell.images[0]!.url}`, { headers: { Authorization: `Bearer ${server.token}` } });
      assert.equal(image.status, 200);
      assert.equal(image.headers.get('content-type'), 'image/png');
    }
    const exportTarget = path.join(root, 'report.md');
    assert.deepEqual(await call('experiments.export', { id, format: 'md', path: exportTarget }), { path: exportTarget, files: [exportTarget] });
    const refused = await fetch(`${server.origin}/api/experiments.export`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ id, format: 'md', path: path.join(temporaryDir('http-outside'), 'report.md') }),
    });
    assert.equal(refused.status, 422, 'exports go below --root only');

    // Saving on the server: an existing file is refused with a name the UI recognises, until overwrite is said.
    const post = (body: unknown) =>
      fetch(`${server.origin}/api/experiments.export`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }, body: JSON.stringify(body) });
    const again = await post({ id, format: 'md', path: exportTarget });
    assert.equal(again.status, 422);
    const againError = ((await again.json()) as { error: { name: string; message: string } }).error;
    assert.equal(againError.name, 'ExportTargetExistsError');
    assert.match(againError.message, /already exists/);
    fs.writeFileSync(exportTarget, 'keep');
    assert.equal((await post({ id, format: 'md', path: exportTarget })).status, 422);
    assert.equal(fs.readFileSync(exportTarget, 'utf8'), 'keep');
    assert.equal((await post({ id, format: 'md', path: exportTarget, overwrite: true })).status, 200);
    assert.match(fs.readFileSync(exportTarget, 'utf8'), /## Comparison/);
    // A relative path is relative to --root, never to the server's working folder; the extension is added.
    assert.deepEqual(await call('experiments.export', { id, format: 'json', path: 'relative-report' }), { path: path.join(root, 'relative-report.json'), files: [path.join(root, 'relative-report.json')] });
    // Never into the dataset, even below --root.
    const intoData = await post({ id, format: 'html', path: path.join(data, 'digit-2', 'x.html'), overwrite: true });
    assert.equal(intoData.status, 422);
    assert.match(((await intoData.json()) as { error: { message: string } }).error.message, /inside the dataset folder/);

    // Downloading: the browser gets the file; nothing is left on the server.
    const download = (query: string, headers: Record<string, string> = { Authorization: `Bearer ${server.token}` }) => fetch(`${server.origin}/download?${query}`, { headers });
    const before = new Set(fs.readdirSync(root));
    const zipResponse = await download(`id=${id}&format=csv`);
    assert.equal(zipResponse.status, 200);
    assert.equal(zipResponse.headers.get('content-type'), 'application/zip');
    assert.equal(zipResponse.headers.get('content-disposition'), `attachment; filename="losslab-${id}-csv.zip"`);
    const entries = unzipSync(new Uint8Array(await zipResponse.arrayBuffer()));
    assert.deepEqual(Object.keys(entries).sort(), CSV_TABLES.map((t) => `${t}.csv`).sort());
    const runsCsv = strFromU8(entries['runs.csv']!);
    for (const run of results.runs) assert.ok(runsCsv.includes(run.runId), `runs.csv lists ${run.runId}`);
    assert.match(strFromU8(entries['confusion.csv']!).split('\n')[0]!, /^row,kind,seed,run_id,true_class,predicted_class,count$/);
    const mdResponse = await download(`id=${id}&format=md`);
    assert.equal(mdResponse.status, 200);
    assert.equal(mdResponse.headers.get('content-disposition'), `attachment; filename="losslab-${id}.md"`);
    assert.match(await mdResponse.text(), /## Comparison/);
    assert.deepEqual(new Set(fs.readdirSync(root)), before, 'a download writes nothing below --root');
    assert.equal((await download(`id=${id}&format=csv`, {})).status, 401, 'downloads need the token');
    assert.equal((await download(`id=${id}&format=exe`)).status, 400);
    const missing = await download('id=no-such-experiment&format=md');
    assert.equal(missing.status, 422);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /no experiment "no-such-experiment"/);

    // A trained model: model.json and weights.bin as one .zip.
    const run = results.runs[0]!;
    const modelResponse = await download(`id=${id}&run=${encodeURIComponent(run.runId)}`);
    assert.equal(modelResponse.status, 200);
    assert.equal(modelResponse.headers.get('content-type'), 'application/zip');
    const model = unzipSync(new Uint8Array(await modelResponse.arrayBuffer()));
    assert.deepEqual(Object.keys(model).map((name) => name.split('/').pop()).sort(), ['model.json', 'weights.bin']);
    const noRun = await download(`id=${id}&run=nope%23seed1`);
    assert.equal(noRun.status, 422);
    assert.match(((await noRun.json()) as { error: { message: string } }).error.message, /has no run "nope#seed1"/);
    assert.deepEqual(new Set(fs.readdirSync(root)), before, 'a model download writes nothing below --root');
    socket.close();
  } finally {
    await server.close();
  }
});
