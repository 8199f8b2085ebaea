import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import StartBar from './StartBar.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import { ceInfo } from '../../test/fixtures';
import '../../test/no-layout';

/** A design over a 3-class dataset with cross-entropy ticked; `levels` compares long-tail ratios. */
function appWith(levels: string, seeds = '1') {
  const { client, transport } = fakeClient({ 'sweep.start': () => ({ id: 's1', dir: '/store/s1', settings: [], totalRuns: 0 }) });
  const app = new AppState(client, null);
  app.design.setCatalogue([ceInfo]);
  app.design.losses['ce']!.checked = true;
  app.design.seedsText = seeds;
  app.design.imbalanceKind = 'exp';
  app.design.compareLevels = true;
  app.design.levelsText = levels;
  app.dataset.overview = { path: '/data/digits', imageSize: 32, resize: 'center-crop', channels: 1, classes: Array.from({ length: 3 }, (_, i) => ({ name: `c${i}`, count: 10, samples: [] })) } as never;
  return { app, transport };
}

describe('the start bar of a sweep', () => {
  it('starts a sweep of the compared levels with sweep.start', async () => {
    const { app, transport } = appWith('1, 10');
    render(StartBar, { app });
    await fireEvent.click(screen.getByRole('button', { name: 'Start sweep' }));
    await waitFor(() => expect(transport.calls.some((c) => c.channel === 'sweep.start')).toBe(true));
    const request = transport.calls.find((c) => c.channel === 'sweep.start')!.request as { config: { sweep: unknown }; confirmed: boolean };
    expect(request.config.sweep).toEqual({ imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 10 }] });
    expect(request.confirmed).toBe(false);
    expect(transport.calls.some((c) => c.channel === 'experiment.start')).toBe(false);
  });

  it('asks before more than 2,000 runs, and sends the confirmation', async () => {
    const ratios = Array.from({ length: 21 }, (_, k) => k + 1).join(', ');
    const { app, transport } = appWith(ratios, '1-100');
    render(StartBar, { app });
    const button = screen.getByRole('button', { name: 'Start sweep' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    await fireEvent.click(screen.getByLabelText(/Train all 2100 runs/));
    expect(button.disabled).toBe(false);
    await fireEvent.click(button);
    await waitFor(() => expect((transport.calls.find((c) => c.channel === 'sweep.start')?.request as { confirmed: boolean } | undefined)?.confirmed).toBe(true));
  });
});
