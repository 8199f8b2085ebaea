import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import TrainingScreen from './TrainingScreen.svelte';
import ResultsScreen from './ResultsScreen.svelte';
import UnfinishedRuns from './results/UnfinishedRuns.svelte';
import { AppState } from '../stores/app.svelte';
import { fakeClient } from '../test/fake-client';
import type { ApiEvent } from '../api/types';
import { lossSummary, results } from '../test/fixtures';
import type { ExperimentResults, RunResult } from '../../../main/results/types';

function training() {
  const { client, transport } = fakeClient({ 'experiment.cancel': () => ({ cancelled: 2 }) as never });
  const app = new AppState(client, null);
  app.training.resume({
    id: 'exp-9',
    name: 'long run',
    startedAt: '2026-01-01T00:00:00.000Z',
    runs: [0, 1].map((index) => ({ index, runId: `r${index}`, lossKey: 'ce', loss: 'ce', seed: index + 1, status: 'running', epochs: [] })),
  } as never);
  return { app, transport };
}

describe('Cancel all', () => {
  it('asks first, and cancels nothing when the user keeps training', async () => {
    const { app, transport } = training();
    render(TrainingScreen, { app });
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel all' }));
    const question = screen.getByRole('alertdialog');
    expect(question.textContent).toContain('Cancel all 2 unfinished runs?');
    await fireEvent.click(screen.getByRole('button', { name: 'Keep training' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(transport.calls.some((c) => c.channel === 'experiment.cancel')).toBe(false);

    await fireEvent.click(screen.getByRole('button', { name: 'Cancel all' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel all runs' }));
    expect(transport.calls.find((c) => c.channel === 'experiment.cancel')?.request).toEqual({ id: 'exp-9' });
  });
});

function withRuns(statuses: RunResult['status'][]): ExperimentResults {
  const r = results(statuses.includes('done') ? [lossSummary('ce', 'ce', {})] : []);
  r.runs = statuses.map((status, i) => ({ runId: `r${i}`, lossKey: 'ce', loss: 'ce', params: {}, seed: i + 1, status }) as RunResult);
  return r;
}

describe('Results of an experiment that did not finish', () => {
  it('says it was cancelled instead of showing empty charts', () => {
    const app = new AppState(fakeClient().client, null);
    app.results.show(withRuns(['cancelled', 'cancelled', 'cancelled']));
    render(ResultsScreen, { app });
    expect(screen.getByRole('heading', { name: 'This experiment was cancelled' })).toBeTruthy();
    expect(screen.getByText(/before any of its 3 runs finished \(3 cancelled\)/)).toBeTruthy();
    expect(screen.queryAllByRole('table', { name: /^Confusion matrix for/ })).toHaveLength(0);
  });

  it('says which runs the results leave out when some finished', () => {
    // The charts need a browser's layout; the notice is checked on its own.
    render(UnfinishedRuns, { results: withRuns(['done', 'cancelled', 'failed']), onhistory: () => {} });
    expect(screen.getByRole('note').textContent).toMatch(/1 of 3 runs finished \(1 cancelled and 1 failed\)/);
  });
});

describe('Backbone features', () => {
  function started() {
    const { client, transport } = fakeClient({ 'experiment.start': () => ({ id: 'e1', runs: [{ index: 0, runId: 'ce#seed1', lossKey: 'ce', loss: 'ce', seed: 1 }] }) as never });
    const app = new AppState(client, null);
    return { app, transport };
  }
  const loaded: ApiEvent = { type: 'experiment.datasetLoaded', data: { id: 'e1', classes: ['a'], poolBeforeImbalance: [1], train: [1], val: [0], test: [1], headToTail: [0] } };

  it('shows a bar while the frozen backbone computes its features, then the runs', async () => {
    const { app, transport } = started();
    await app.training.start({ data: '/d', losses: [{ id: 'ce' }] });
    render(TrainingScreen, { app });
    transport.emit(loaded);
    transport.emit({ type: 'experiment.featureProgress', data: { id: 'e1', done: 64, total: 200, cached: false } });
    const bar = await screen.findByRole('progressbar', { name: 'Backbone features' });
    expect(bar.getAttribute('aria-valuenow')).not.toBeNull();
    expect(screen.getByText(/64 \/ 200 images/)).toBeTruthy();
    transport.emit({ type: 'experiment.featureProgress', data: { id: 'e1', done: 200, total: 200, cached: false } });
    expect(await screen.findByRole('progressbar', { name: 'Overall progress' })).toBeTruthy();
    expect(screen.queryByRole('progressbar', { name: 'Backbone features' })).toBeNull();
  });

  it('says when the features came from the cache', async () => {
    const { app, transport } = started();
    await app.training.start({ data: '/d', losses: [{ id: 'ce' }] });
    render(TrainingScreen, { app });
    transport.emit(loaded);
    transport.emit({ type: 'experiment.featureProgress', data: { id: 'e1', done: 200, total: 200, cached: true } });
    expect(await screen.findByText(/features reused from the cache \(200 images\)/)).toBeTruthy();
  });
});

describe('a sweep on the Training screen', () => {
  it('says which setting trains, and shows the summary and the report at the end', async () => {
    const { client, transport } = fakeClient({
      'sweep.start': () => ({ id: 's1', dir: '/store/s1', settings: [], totalRuns: 4 }),
    });
    const app = new AppState(client, null);
    await app.training.startSweep({ data: '/d', losses: [{ id: 'ce' }], sweep: { imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 10 }] } });
    render(TrainingScreen, { app });
    const run = { index: 0, runId: 'ce#seed1', lossKey: 'ce', loss: 'ce', seed: 1 };
    transport.emit({ type: 'sweep.progress', data: { id: 's1', setting: 1, settings: 2, label: 'exp ρ = 10', rho: 10, experimentId: 's1-2-exp-10' } });
    transport.emit({ type: 'experiment.started', data: { id: 's1-2-exp-10', config: {} as never, runs: [run], resumed: false } });
    expect((await screen.findByTestId('sweep-setting')).textContent).toBe('Setting 2 of 2 (ρ = 10)');
    transport.emit({ type: 'sweep.done', data: { id: 's1', dir: '/store/s1', cancelled: false, summary: ['Balanced softmax is ahead of CE from ρ = 10; below, they are not distinguishable.'], report: '/store/s1/sweep-report.html' } });
    const summary = await screen.findByTestId('sweep-summary');
    expect(summary.textContent).toContain('Balanced softmax is ahead of CE from ρ = 10');
    expect(summary.textContent).toContain('/store/s1/sweep-report.html');
    expect(screen.getByRole('status').textContent).toContain('Sweep finished: 2 settings trained.');
    expect(screen.queryByRole('button', { name: /View results/ })).toBeNull();
    // The sweep's report through the export path: HTML, PDF or the analysis as JSON.
    const formats = [...(screen.getByLabelText('Export') as HTMLSelectElement).options].map((o) => o.value);
    expect(formats).toEqual(['html', 'pdf', 'json']);
  });
});
