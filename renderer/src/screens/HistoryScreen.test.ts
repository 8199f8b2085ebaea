import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import HistoryScreen from './HistoryScreen.svelte';
import { AppState } from '../stores/app.svelte';
import { fakeClient } from '../test/fake-client';
import { ceInfo, focalInfo, lossSummary, results } from '../test/fixtures';
import type { Responses } from '../../../main/api/contract';

const listing: Responses['experiments.list'] = [
  { id: 'exp-1', name: 'long tail', createdAt: '2026-01-01T10:00:00.000Z', status: 'done', dataset: '/data/digits', losses: ['ce'], seeds: [1], runsTotal: 1, runsFinished: 1, balancedAccuracy: { ce: 0.61 } },
  { id: 'exp-2', createdAt: '2026-01-02T10:00:00.000Z', status: 'interrupted', dataset: '/data/digits', losses: ['ce'], seeds: [1, 2], runsTotal: 2, runsFinished: 1 },
];

function setup() {
  const { client, transport } = fakeClient({
    'experiments.list': () => listing,
    'experiments.delete': () => ({ deleted: true }),
    'experiments.get': () => results([lossSummary('ce', 'ce', {})]),
  });
  const app = new AppState(client);
  app.design.setCatalogue([ceInfo]);
  return { app, transport };
}

describe('HistoryScreen', () => {
  it('lists past experiments with names from the catalogue and their best balanced accuracy', async () => {
    const { app } = setup();
    render(HistoryScreen, { app });
    await screen.findByText('long tail');
    expect(screen.getByText('61.0 % (Cross-entropy)')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Resume exp-2' })).toBeTruthy();
  });

  it('reopens a finished experiment on the Results screen', async () => {
    const { app } = setup();
    render(HistoryScreen, { app });
    await fireEvent.click(await screen.findByRole('button', { name: 'Open long tail' }));
    await waitFor(() => expect(app.screen).toBe('results'));
    expect(app.results.results?.id).toBe('exp-1');
  });

  it('deletes only after a confirmation', async () => {
    const { app, transport } = setup();
    render(HistoryScreen, { app });
    await fireEvent.click(await screen.findByRole('button', { name: 'Delete long tail' }));
    expect(transport.calls.some((c) => c.channel === 'experiments.delete')).toBe(false);
    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByText('long tail')).toBeNull());
    expect(transport.calls.find((c) => c.channel === 'experiments.delete')?.request).toEqual({ id: 'exp-1' });
    expect(screen.getByRole('status').textContent).toBe('Deleted long tail.');
  });

  it('Duplicate loads the stored settings into the Experiment screen and opens their dataset', async () => {
    const stored = results([lossSummary('focal', 'focal', {})]);
    stored.config = {
      name: 'long tail',
      data: '/data/digits',
      imageSize: 28,
      resize: 'squash',
      colorMode: 'grayscale',
      testFraction: 0.3,
      valFraction: 0.1,
      splitSeed: 4,
      imbalance: { kind: 'exp', ratio: 20 },
      losses: [{ id: 'focal', params: { gamma: 1, alpha: null } }],
      seeds: [1, 2],
      model: { family: 'cnn', width: 8, depth: 2 },
      training: { epochs: 5, batchSize: 32, optimizer: 'sgd', learningRate: 0.1, momentum: 0.9, weightDecay: 0, schedule: 'step', augment: { flip: true, crop: false }, probeEpochs: 10 },
      backend: 'wasm',
      workers: 2,
    } as typeof stored.config;
    const { client, transport } = fakeClient({
      'experiments.list': () => listing,
      'experiments.get': () => stored,
      'dataset.open': (request) => ({ path: request.path, imageSize: request.imageSize, resize: request.resize, classes: ['a', 'b'] }) as never,
    });
    const app = new AppState(client, null);
    app.design.setCatalogue([ceInfo, focalInfo]);
    render(HistoryScreen, { app });
    await fireEvent.click(await screen.findByRole('button', { name: 'Duplicate long tail' }));
    await waitFor(() => expect(app.dataset.path).toBe('/data/digits'));
    expect(app.screen).toBe('experiment');
    expect(transport.calls.find((c) => c.channel === 'dataset.open')?.request).toEqual({ path: '/data/digits', imageSize: 28, resize: 'squash', colorMode: 'grayscale' });
    const design = app.design;
    expect(design.name).toBe('long tail (copy)');
    expect([design.testFraction, design.splitSeed, design.imbalanceKind, design.ratio]).toEqual([0.3, 4, 'exp', 20]);
    expect(design.losses['focal']).toEqual({ checked: true, inputs: { gamma: '1', alpha: '' } });
    expect(design.losses['ce']!.checked).toBe(false);
    expect([design.epochs, design.batchSize, design.optimizer, design.schedule, design.flip]).toEqual([5, 32, 'sgd', 'step', true]);
    expect([design.family, design.width, design.depth, design.seedsText, design.backend, design.workers]).toEqual(['cnn', 8, 2, '1, 2', 'wasm', 2]);
    expect(transport.calls.some((c) => c.channel === 'experiment.start')).toBe(false);
  });

  it('Run again starts a new experiment with exactly the stored settings', async () => {
    const stored = results([lossSummary('ce', 'ce', {})]);
    const { client, transport } = fakeClient({
      'experiments.list': () => listing,
      'experiments.get': () => stored,
      'experiment.start': () => ({ id: 'exp-3', runs: [] }),
    });
    const app = new AppState(client, null);
    render(HistoryScreen, { app });
    await fireEvent.click(await screen.findByRole('button', { name: 'Run long tail again' }));
    await waitFor(() => expect(app.screen).toBe('training'));
    expect(transport.calls.find((c) => c.channel === 'experiment.start')?.request).toEqual({ config: stored.config });
    expect(app.training.experimentId).toBe('exp-3');
  });
});


describe('HistoryScreen Duplicate when the dataset is gone', () => {
  it('says so, and names the dataset the design would otherwise use', async () => {
    const stored = results([lossSummary('ce', 'ce', {})]);
    stored.config = { ...stored.config, data: '/data/moved', imageSize: 32, resize: 'center-crop', colorMode: 'auto', testFraction: 0.2, valFraction: 0.1, splitSeed: 0, imbalance: { kind: 'none' }, losses: [{ id: 'ce', params: {} }], seeds: [1], training: { epochs: 2, batchSize: 64, optimizer: 'adam', learningRate: 0.002, momentum: 0.9, weightDecay: 0, schedule: 'cosine', augment: { flip: false, crop: false }, probeEpochs: 10 }, backend: 'auto', workers: 0 } as typeof stored.config;
    const { client } = fakeClient({
      'experiments.list': () => listing,
      'experiments.get': () => stored,
      'dataset.open': (request) => {
        if (request.path !== '/data/digits') throw new Error(`The folder ${request.path} does not exist.`);
        return { path: request.path, imageSize: 32, resize: 'center-crop', classes: [] } as never;
      },
    });
    const app = new AppState(client, null);
    app.design.setCatalogue([ceInfo]);
    await app.dataset.open('/data/digits');
    render(HistoryScreen, { app });
    await fireEvent.click(await screen.findByRole('button', { name: 'Duplicate long tail' }));
    await waitFor(() => expect(app.notices.items).toHaveLength(1));
    expect(app.notices.items[0]!.title).toBe('The duplicated experiment’s dataset could not be opened');
    expect(app.notices.items[0]!.message).toContain('/data/moved does not exist');
    expect(app.notices.items[0]!.advice).toContain('still uses /data/digits');
  });
});

describe('Sweeps in History', () => {
  const sweeps: Responses['sweeps.list'] = [
    { id: 'sweep-1', dir: '/store/sweep-1', createdAt: '2026-01-03T10:00:00.000Z', settings: 3, runsTotal: 6, runsFinished: 6, running: false },
    { id: 'sweep-2', dir: '/store/sweep-2', createdAt: '2026-01-02T10:00:00.000Z', settings: 2, runsTotal: 4, runsFinished: 0, running: false },
  ];

  it('lists sweeps with their settings and runs, and offers the report of one that trained', async () => {
    const { client } = fakeClient({ 'experiments.list': () => listing, 'sweeps.list': () => sweeps });
    const app = new AppState(client);
    app.design.setCatalogue([ceInfo]);
    render(HistoryScreen, { app });
    const table = await screen.findByRole('heading', { name: 'Sweeps across imbalance levels' });
    expect(table).toBeTruthy();
    expect(screen.getByText('6/6 runs')).toBeTruthy();
    expect(screen.getByText('No run finished yet')).toBeTruthy();
    // The finished sweep's report: HTML, PDF or JSON only.
    const formats = screen.getAllByRole('combobox').flatMap((select) => Array.from((select as HTMLSelectElement).options).map((o) => o.value));
    expect(formats).toEqual(['html', 'pdf', 'json']);
  });

  it('still lists experiments when sweeps cannot be listed', async () => {
    const { client } = fakeClient({ 'experiments.list': () => listing, 'sweeps.list': () => { throw new Error('unreadable'); } });
    const app = new AppState(client);
    app.design.setCatalogue([ceInfo]);
    render(HistoryScreen, { app });
    await screen.findByText('long tail');
    expect(screen.queryByRole('heading', { name: 'Sweeps across imbalance levels' })).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
