import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import TrainingScreen from './TrainingScreen.svelte';
import ResultsScreen from './ResultsScreen.svelte';
import UnfinishedRuns from './results/UnfinishedRuns.svelte';
import { AppState } from '../stores/app.svelte';
import { fakeClient } from '../test/fake-client';
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
