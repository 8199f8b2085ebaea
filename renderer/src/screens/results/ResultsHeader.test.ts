import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import ResultsHeader from './ResultsHeader.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import { lossSummary, results } from '../../test/fixtures';
import type { ExperimentResults } from '../../../../main/results/types';

describe('ResultsHeader network', () => {
  it('names the network with its trainable parameters from results.network', () => {
    const app = new AppState(fakeClient().client);
    const withNetwork: ExperimentResults = {
      ...results([lossSummary('ce', 'ce', {})]),
      network: { label: 'ResNet-20 (CIFAR, option-A shortcuts), width 16', trainableParams: 269_722, totalParams: 273_658, flopsPerImage: 81_626_368 },
    };
    render(ResultsHeader, { app, results: withNetwork });
    const network = screen.getByTestId('results-network');
    expect(network.textContent).toBe('ResNet-20 (CIFAR, option-A shortcuts), width 16, 269,722 trainable parameters');
    expect(network.getAttribute('title')).toBe('273,658 parameters in all; 81.6 MFLOPs per image');
  });

  it('names the network of older results from the configuration, without a family meaning the CNN', () => {
    const app = new AppState(fakeClient().client);
    const older = results([lossSummary('ce', 'ce', {})]);
    (older.config as { model?: unknown }).model = { width: 32, depth: 4 };
    render(ResultsHeader, { app, results: older });
    expect(screen.getByTestId('results-network').textContent).toBe('CNN, 4 conv blocks, width 32');
  });
});
