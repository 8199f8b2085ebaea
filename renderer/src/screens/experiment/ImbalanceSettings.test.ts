import { describe, expect, it } from 'vitest';
import { flushSync } from 'svelte';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import ImbalanceSettings from './ImbalanceSettings.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import { preview } from '../../test/fixtures';

function appWithPreview(train: number[], pool?: number[]) {
  const app = new AppState(fakeClient().client);
  app.dataset.path = '/data';
  app.design.preview = preview(train, pool);
  return app;
}

describe('ImbalanceSettings preview', () => {
  it('lists training counts head → tail with the pool behind them and the ratio', () => {
    const app = appWithPreview([10, 100, 40], [100, 100, 100]);
    render(ImbalanceSettings, { app });
    expect(screen.getByTestId('preview-ratio').textContent).toBe('10.0');
    const list = screen.getByRole('list', { name: /Training images per class after imbalance/ });
    const rows = within(list).getAllByRole('listitem').map((li) => li.textContent?.replace(/\s+/g, ' ').trim());
    expect(rows).toEqual(['class-1 100 images', 'class-2 40 images of 100', 'class-0 10 images of 100']);
    expect(screen.getByText(/train 150 · validation 30 · test 60/)).toBeTruthy();
  });

  it('shows the ratio input only for long-tail and step profiles', async () => {
    const app = appWithPreview([10, 10]);
    render(ImbalanceSettings, { app });
    expect(screen.queryByLabelText('Imbalance ratio ρ')).toBeNull();
    await fireEvent.click(screen.getByLabelText(/Long-tail/));
    expect(app.design.imbalanceKind).toBe('exp');
    const ratio = screen.getByLabelText('Imbalance ratio ρ') as HTMLInputElement;
    await fireEvent.input(ratio, { target: { value: '0.5' } });
    expect(ratio.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Imbalance ratio ρ must be between 1 and 10000.')).toBeTruthy();
  });

  it('offers one slider per class for custom counts, starting from the current counts', async () => {
    const app = appWithPreview([60, 5], [80, 80]);
    render(ImbalanceSettings, { app });
    await fireEvent.click(screen.getByLabelText(/Custom/));
    flushSync();
    const slider = screen.getByLabelText('class-1') as HTMLInputElement;
    expect(slider.type).toBe('range');
    expect(slider.max).toBe('80');
    expect(slider.value).toBe('5');
    await fireEvent.input(slider, { target: { value: '30' } });
    expect(app.design.customCounts['class-1']).toBe(30);
    expect(app.design.imbalanceProfile()).toEqual({ kind: 'counts', counts: { 'class-0': 60, 'class-1': 30 } });
  });

  it('shows a failed preview with what to do', () => {
    const app = appWithPreview([10, 10]);
    app.design.previewError = { title: 'Could not preview the training counts', message: 'Too many.', advice: 'Lower them.' };
    render(ImbalanceSettings, { app });
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Too many.');
    expect(alert.textContent).toContain('What to do: Lower them.');
  });
});

describe('ImbalanceSettings: comparing several imbalance levels', () => {
  it('turns the chosen profile into a sweep of the typed ratios, checked as typed', async () => {
    const app = appWithPreview([10, 10]);
    app.design.setCatalogue([]);
    render(ImbalanceSettings, { app });
    await fireEvent.click(screen.getByLabelText(/Long-tail/));
    await fireEvent.click(screen.getByLabelText(/Compare several imbalance levels/));
    const levels = screen.getByLabelText('Ratios ρ to compare') as HTMLInputElement;
    await fireEvent.input(levels, { target: { value: '100, 1, 10' } });
    expect(screen.getByTestId('levels-hint').textContent).toContain('3 settings: ρ = 1, 10, 100');
    expect(levels.getAttribute('aria-invalid')).toBeNull();
    expect(app.design.levelsCheck()).toEqual({ ok: true, ratios: [1, 10, 100] });

    await fireEvent.input(levels, { target: { value: '1, 10, 0.5' } });
    expect(levels.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('levels-hint').textContent).toContain('ρ = 0.5 is out of range');
    await fireEvent.input(levels, { target: { value: '10, ten' } });
    expect(screen.getByTestId('levels-hint').textContent).toContain('"ten" is not a number');
    await fireEvent.input(levels, { target: { value: '10' } });
    expect(screen.getByTestId('levels-hint').textContent).toContain('at least two ratios');
    await fireEvent.input(levels, { target: { value: '10, 10' } });
    expect(screen.getByTestId('levels-hint').textContent).toContain('listed twice');
  });

  it('builds the sweep block with the profile of the chosen kind, and counts its runs', async () => {
    const app = appWithPreview([10, 10]);
    app.design.setCatalogue([{ id: 'ce', name: 'Cross-entropy', params: [] } as never]);
    app.design.losses['ce']!.checked = true;
    app.design.seedsText = '1, 2';
    render(ImbalanceSettings, { app });
    await fireEvent.click(screen.getByLabelText(/Step/));
    await fireEvent.click(screen.getByLabelText(/Compare several imbalance levels/));
    await fireEvent.input(screen.getByLabelText('Ratios ρ to compare'), { target: { value: '1, 20' } });
    const built = app.design.buildConfig({ path: '/data', imageSize: 32, resize: 'squash', colorMode: 'auto' }, 2);
    expect(built.problems).toEqual([]);
    expect(built.config?.sweep).toEqual({ imbalance: [{ kind: 'step', ratio: 1 }, { kind: 'step', ratio: 20 }] });
    expect(app.design.runCount()).toBe(4);
    // Back to one setting: no sweep block, as before.
    await fireEvent.click(screen.getByLabelText(/Compare several imbalance levels/));
    expect(app.design.buildConfig({ path: '/data', imageSize: 32, resize: 'squash', colorMode: 'auto' }, 2).config?.sweep).toBeUndefined();
    expect(app.design.runCount()).toBe(2);
  });
});
