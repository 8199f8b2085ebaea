import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import TrainingScreen from '../TrainingScreen.svelte';
import QueueNote from '../experiment/QueueNote.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import type { AppInfo, SeenWorker } from '../../../../main/api/contract';

const worker = (name: string, extra: Partial<SeenWorker> = {}): SeenWorker => ({
  name,
  host: name.split(':')[0]!,
  backend: 'wasm',
  concurrency: 1,
  state: 'idle',
  runs: [],
  imagesPerSecond: 0,
  seenAt: 0,
  secondsSinceSeen: 1,
  ...extra,
});

function trainingApp() {
  const { client, transport } = fakeClient();
  const app = new AppState(client, null);
  app.training.resume({
    id: 'exp-q',
    name: 'queued study',
    startedAt: '2026-01-01T00:00:00.000Z',
    config: {} as never,
    runs: [0, 1].map((index) => ({ index, runId: `ce#seed${index + 1}`, lossKey: 'ce', loss: 'ce', seed: index + 1, status: 'running', lastBatch: null, epochs: [] })),
    workers: null,
  });
  return { app, transport };
}

describe('Workers panel', () => {
  it('appears in queue mode with each worker: host, backend, current run, images/s and last seen', () => {
    const { app, transport } = trainingApp();
    render(TrainingScreen, { app });
    expect(screen.queryByRole('heading', { name: 'Workers' })).toBeNull();

    transport.emit({
      type: 'experiment.workers',
      data: {
        id: 'exp-q',
        workers: [
          worker('gpu-box:41', { backend: 'webgpu', state: 'training', imagesPerSecond: 1234.5, runs: [{ studyId: 'exp-q', runId: 'ce#seed1', stage: 'train', epoch: 2, epochs: 10, imagesPerSecond: 1234.5 }] }),
          worker('lab-pc:7', { state: 'training', imagesPerSecond: 88.25, runs: [{ studyId: 'other-study', runId: 'focal#seed3', stage: 'crt', epoch: 0, epochs: 5, imagesPerSecond: 88.25 }] }),
          worker('old-node:3', { secondsSinceSeen: 95 }),
        ],
      },
    });
    // Another experiment's list is not this one's.
    transport.emit({ type: 'experiment.workers', data: { id: 'someone-else', workers: [] } });
    flushSync();

    const table = screen.getByRole('table', { name: /Queue workers/ });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    const cells = (row: HTMLElement) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent!.replace(/\s+/g, ' ').trim());
    expect(cells(rows[0]!)).toEqual(['gpu-box:41', 'gpu-box', 'webgpu', 'ce#seed1 epoch 3/10', '1235', 'just now']);
    expect(cells(rows[1]!)).toEqual(['lab-pc:7', 'lab-pc', 'wasm', 'focal#seed3 cRT epoch 1/5 · another study (other-study)', '88.3', 'just now']);
    expect(cells(rows[2]!)).toEqual(['old-node:3', 'old-node', 'wasm', 'Idle', '—', '1 min 35 s ago — stopped or unreachable?']);
    expect(screen.getByText(/2 of 3 workers heard from in the last 30 s · 1323 images\/s in all/)).toBeTruthy();
  });

  it('says the runs wait when no worker serves the queue', () => {
    const { app, transport } = trainingApp();
    render(TrainingScreen, { app });
    transport.emit({ type: 'experiment.workers', data: { id: 'exp-q', workers: [] } });
    flushSync();
    expect(screen.getByText(/No worker serves the queue yet/)).toBeTruthy();
  });

  it('comes back with the running experiment after a reload', () => {
    const { client } = fakeClient();
    const app = new AppState(client, null);
    app.training.resume({ id: 'exp-r', name: null, startedAt: '2026-01-01T00:00:00.000Z', config: {} as never, runs: [], workers: [worker('a:1')] });
    render(TrainingScreen, { app });
    expect(screen.getByRole('heading', { name: 'Workers' })).toBeTruthy();
    expect(screen.getByRole('rowheader', { name: 'a:1' })).toBeTruthy();
  });
});

describe('Experiment screen: where the runs go', () => {
  const info = (mode: AppInfo['mode']): AppInfo => ({ mode, version: '0', platform: 'linux-x64', dataDir: '/d', browseRoot: null, features: { nativeDialogs: false, folderBrowser: false, export: true } });

  it('served with --redis: names the queue (no password) and its workers', async () => {
    const { client } = fakeClient({ 'queue.workers': () => ({ queue: 'redis://:***@redis.lab:6379', workers: [worker('gpu-box:41', { backend: 'webgpu' }), worker('lab-pc:7', { state: 'training' })] }) });
    const app = new AppState(client, null);
    app.info = info('served');
    render(QueueNote, { app });
    const note = await screen.findByRole('note');
    expect(note.textContent!.replace(/\s+/g, ' ')).toContain('Runs go to the queue workers serving redis://:***@redis.lab:6379: 2 workers (gpu-box, webgpu; lab-pc, wasm), 1 busy with other runs.');
  });

  it('served without a queue, and the desktop: nothing said, and the desktop asks nothing', async () => {
    const served = fakeClient({ 'queue.workers': () => ({ queue: null, workers: [] }) });
    const app = new AppState(served.client, null);
    app.info = info('served');
    render(QueueNote, { app });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(served.transport.calls.map((call) => call.channel)).toEqual(['queue.workers']);
    expect(screen.queryByRole('note')).toBeNull();

    const desktop = fakeClient({}, 'desktop');
    const desktopApp = new AppState(desktop.client, null);
    desktopApp.info = info('desktop');
    render(QueueNote, { app: desktopApp });
    expect(desktop.transport.calls.some((call) => call.channel === 'queue.workers')).toBe(false);
  });
});
