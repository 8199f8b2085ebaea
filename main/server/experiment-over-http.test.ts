import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
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
    socket.close();
  } finally {
    await server.close();
  }
});
