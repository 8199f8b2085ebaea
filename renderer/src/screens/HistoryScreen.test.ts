import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import HistoryScreen from './HistoryScreen.svelte';
import { AppState } from '../stores/app.svelte';
import { fakeClient } from '../test/fake-client';
import { ceInfo, lossSummary, results } from '../test/fixtures';
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
});
