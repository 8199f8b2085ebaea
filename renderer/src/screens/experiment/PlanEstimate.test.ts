import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import PlanEstimate from './PlanEstimate.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import type { Responses } from '../../../../main/api/contract';

const CONFIG = { data: '/data/digits', losses: [{ id: 'ce' }, { id: 'focal' }], seeds: [1, 2] };

function plan(seconds: number | null, pastRuns: number): Responses['sweep.plan'] {
  return {
    settings: [{ index: 0, label: 'exp ρ = 10', rho: 10, runs: 4, trainImages: 353 }],
    param: null,
    totalRuns: 4,
    limit: 2000,
    needsConfirmation: false,
    estimate: { seconds, basis: seconds === null ? 'none' : 'past', pastRuns },
  };
}

describe('PlanEstimate', () => {
  it('asks the main side on request and shows the run count and the estimate from earlier runs here', async () => {
    const requests: unknown[] = [];
    const { client } = fakeClient({
      'sweep.plan': (request) => {
        requests.push(request);
        return plan(754, 6);
      },
    });
    render(PlanEstimate, { app: new AppState(client), config: CONFIG });
    expect(requests).toEqual([]);
    await fireEvent.click(screen.getByRole('button', { name: 'Estimate the duration' }));
    await waitFor(() => expect(screen.getByTestId('plan-estimate').textContent).toMatch(/4 runs:\s+about 12 min 34 s on this machine \(from 6 earlier runs of this network here\)/));
    expect(requests).toEqual([{ config: CONFIG }]);
  });

  it('says where the estimate will come from when nothing was measured, and shows a refusal', async () => {
    let refuse = false;
    const { client } = fakeClient({
      'sweep.plan': () => {
        if (refuse) throw new Error('Setting 2 (exp ρ = 100) leaves class "cat" with no training image');
        return plan(null, 0);
      },
    });
    render(PlanEstimate, { app: new AppState(client), config: CONFIG });
    await fireEvent.click(screen.getByRole('button', { name: 'Estimate the duration' }));
    await waitFor(() => expect(screen.getByTestId('plan-estimate').textContent).toContain('no earlier run of this network here'));
    refuse = true;
    await fireEvent.click(screen.getByRole('button', { name: 'Estimate the duration' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('leaves class "cat"'));
  });

  it('cannot be asked before the design is complete', () => {
    const { client } = fakeClient({});
    render(PlanEstimate, { app: new AppState(client), config: null });
    expect((screen.getByRole('button', { name: 'Estimate the duration' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
