import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import SplitSettings from './SplitSettings.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import { preview } from '../../test/fixtures';

function app() {
  const state = new AppState(fakeClient({ 'dataset.previewImbalance': () => preview([50, 50]) }).client, null);
  state.dataset.path = '/data';
  return state;
}

describe('SplitSettings on the Dataset screen', () => {
  it('flags fractions that add up to more than 1 as soon as they are typed', async () => {
    render(SplitSettings, { app: app() });
    expect(screen.queryByTestId('split-sum-problem')).toBeNull();
    await fireEvent.input(screen.getByLabelText('Test fraction'), { target: { value: '0.6' } });
    await fireEvent.input(screen.getByLabelText('Validation fraction'), { target: { value: '0.5' } });
    expect(screen.getByRole('alert').textContent).toBe('Test and validation fractions add up to 1.1, more than all the images; keep their sum below 0.95.');
  });

  it('warns when the split leaves a class fewer than 10 test images', () => {
    const state = app();
    state.design.preview = { ...preview([50, 50]), test: [40, 4] };
    render(SplitSettings, { app: state });
    expect(screen.getByTestId('small-test-warning').textContent).toMatch(/^One class has fewer than 10 test images: class-1 \(4\)\./);
  });
});
