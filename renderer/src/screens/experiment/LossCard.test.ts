import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import LossCatalogue from './LossCatalogue.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import { ceInfo, focalInfo } from '../../test/fixtures';

function appWithCatalogue(classes = 3) {
  const app = new AppState(fakeClient().client);
  app.design.setCatalogue([ceInfo, focalInfo]);
  app.dataset.overview = { classes: Array.from({ length: classes }, (_, i) => ({ name: `c${i}`, count: 10, samples: [] })) } as never;
  return app;
}

describe('loss checklist', () => {
  it('lists every loss with its formula and citation, parameters hidden until ticked', async () => {
    const app = appWithCatalogue();
    render(LossCatalogue, { app });
    expect(screen.getByText('0 selected of 2')).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Formula of Focal loss (softmax)' })).toBeTruthy();
    expect(screen.queryByLabelText(/γ/)).toBeNull();
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Focal loss (softmax)' }));
    expect(app.design.losses['focal']!.checked).toBe(true);
    const gamma = screen.getByLabelText(/γ/) as HTMLInputElement;
    expect(gamma.value).toBe('2');
    expect(screen.getByText(/A number in \[0, ∞\)/)).toBeTruthy();
  });

  it('marks a parameter out of range and says what is accepted', async () => {
    const app = appWithCatalogue();
    render(LossCatalogue, { app });
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Focal loss (softmax)' }));
    const gamma = screen.getByLabelText(/γ/) as HTMLInputElement;
    await fireEvent.input(gamma, { target: { value: '-3' } });
    expect(gamma.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('-3 is outside the allowed range. A number in [0, ∞).')).toBeTruthy();
    await fireEvent.input(gamma, { target: { value: '0.5' } });
    expect(gamma.getAttribute('aria-invalid')).toBeNull();
  });

  it('checks per-class vectors against the open dataset’s class count', async () => {
    const app = appWithCatalogue(3);
    render(LossCatalogue, { app });
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Focal loss (softmax)' }));
    const alpha = screen.getByLabelText(/α/) as HTMLInputElement;
    await fireEvent.input(alpha, { target: { value: '1, 2' } });
    expect(screen.getByText('α needs 3 values, one per class (got 2).')).toBeTruthy();
    await fireEvent.input(alpha, { target: { value: '1, 2, 3' } });
    expect(alpha.getAttribute('aria-invalid')).toBeNull();
  });

  it('filters the catalogue by name', async () => {
    const app = appWithCatalogue();
    render(LossCatalogue, { app });
    await fireEvent.input(screen.getByLabelText('Filter losses'), { target: { value: 'focal' } });
    expect(screen.queryByRole('checkbox', { name: 'Cross-entropy' })).toBeNull();
    expect(screen.getByRole('checkbox', { name: 'Focal loss (softmax)' })).toBeTruthy();
  });
});

describe('loss catalogue by purpose', () => {
  const named = (id: string, name: string, tags: string[]) => ({ ...ceInfo, id, name, explanation: 'A loss.', tags }) as typeof ceInfo;
  function appWithPurposes() {
    const app = new AppState(fakeClient().client, null);
    app.design.setCatalogue([ceInfo, focalInfo, named('ldam', 'LDAM', ['imbalance', 'margin']), named('balanced-softmax', 'Balanced softmax', ['imbalance']), named('mae', 'MAE', ['noisy-labels'])]);
    return app;
  }

  it('typing "imbalance" finds losses whose names do not say so', async () => {
    render(LossCatalogue, { app: appWithPurposes() });
    await fireEvent.input(screen.getByLabelText('Filter losses'), { target: { value: 'imbalance' } });
    const shown = (name: string) => screen.queryByRole('checkbox', { name }) !== null;
    expect(['LDAM', 'Balanced softmax', 'Focal loss (softmax)', 'MAE', 'Cross-entropy'].map(shown)).toEqual([true, true, true, false, false]);
  });

  it('a preset replaces the selection', async () => {
    const app = appWithPurposes();
    app.design.losses['mae']!.checked = true;
    render(LossCatalogue, { app });
    await fireEvent.click(screen.getByRole('button', { name: 'Quick first look' }));
    const checked = Object.entries(app.design.losses).filter(([, s]) => s.checked).map(([id]) => id);
    expect(checked.sort()).toEqual(['balanced-softmax', 'ce', 'focal']);
  });
});
