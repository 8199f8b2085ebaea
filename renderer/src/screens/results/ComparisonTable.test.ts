import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import ComparisonTable from './ComparisonTable.svelte';
import { ceInfo, focalInfo, lossSummary, results } from '../../test/fixtures';

describe('ComparisonTable', () => {
  it('shows mean ± std per loss and metric and marks the best of each column', () => {
    const summary = [
      lossSummary('ce', 'ce', { balancedAccuracy: 0.61, nll: 0.9, ece: 0.05 }),
      lossSummary('focal(gamma=2)', 'focal', { balancedAccuracy: 0.7, nll: 1.1, ece: 0.05 }),
    ];
    const { container } = render(ComparisonTable, { results: results(summary), catalogue: [ceInfo, focalInfo] });
    const rows = [...container.querySelectorAll('tbody tr')];
    expect(rows.map((r) => r.querySelector('th .name')?.textContent)).toEqual(['Cross-entropy', 'Focal loss (softmax)']);

    const cell = (row: number, metric: string) => rows[row]!.querySelector(`td[data-metric="${metric}"]`)!;
    expect(cell(0, 'balancedAccuracy').textContent?.trim()).toBe('61.0 ± 1.0');
    expect(cell(1, 'balancedAccuracy').classList.contains('best')).toBe(true);
    expect(cell(0, 'balancedAccuracy').classList.contains('best')).toBe(false);
    // Lower is better for NLL; a tie (ECE) marks both.
    expect(cell(0, 'nll').classList.contains('best')).toBe(true);
    expect(cell(0, 'ece').classList.contains('best')).toBe(true);
    expect(cell(1, 'ece').classList.contains('best')).toBe(true);
    expect(screen.getAllByLabelText('best').length).toBe(container.querySelectorAll('td.best').length);
  });

  it('names recipes after their loss and their parts, so a loss and its recipes are told apart', () => {
    const summary = [
      lossSummary('ce', 'ce', {}),
      lossSummary('ce+sampler=class-balanced', 'ce', {}),
      lossSummary('ce+drw=8+crt', 'ce', {}),
    ];
    const { container } = render(ComparisonTable, { results: results(summary), catalogue: [ceInfo, focalInfo] });
    const names = [...container.querySelectorAll('tbody tr th .name')].map((n) => n.textContent);
    expect(names).toEqual(['Cross-entropy', 'Cross-entropy + class-balanced sampler', 'Cross-entropy + DRW@8 + cRT']);
  });

  it('says which direction is better in every header', () => {
    render(ComparisonTable, { results: results([lossSummary('ce', 'ce', {})]), catalogue: [ceInfo] });
    expect(screen.getAllByLabelText('higher is better').length).toBe(5);
    expect(screen.getAllByLabelText('lower is better').length).toBe(3);
  });
});
