import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import ConfusionMatrix from './ConfusionMatrix.svelte';
import { heatColour } from '../lib/colour-scale';

const classes = ['cat', 'dog'];
const matrix = [
  [6, 2],
  [1, 1],
];

function cell(container: HTMLElement, i: number, j: number): HTMLButtonElement {
  return container.querySelector(`button[data-cell="${i}-${j}"]`)!;
}

/** jsdom normalises colours to rgb(); compare against the hex the scale produced. */
function rgbOf(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

describe('ConfusionMatrix', () => {
  it('writes column headers vertically once a name is longer than a cell holds, so they cannot overlap', () => {
    const short = render(ConfusionMatrix, { title: 'Focal', classes, matrix, view: 'counts', scaleMax: 6, theme: 'light' });
    expect(short.container.querySelectorAll('.col-head span.rotated')).toHaveLength(0);
    short.unmount();
    const long = render(ConfusionMatrix, { title: 'Focal', classes: ['sneaker', 'ankle-boot'], matrix, view: 'counts', scaleMax: 6, theme: 'light' });
    expect(long.container.querySelectorAll('.col-head span.rotated')).toHaveLength(2);
  });

  it('shows counts with spoken labels naming true and predicted class', () => {
    const { container } = render(ConfusionMatrix, { title: 'Focal', classes, matrix, view: 'counts', scaleMax: 6, theme: 'light' });
    expect(cell(container, 0, 0).textContent?.trim()).toBe('6');
    expect(cell(container, 0, 1).getAttribute('aria-label')).toBe('True cat, predicted dog: 2 images');
    expect(screen.getByRole('table').getAttribute('aria-label')).toContain('rows are true classes');
  });

  it('shows row-normalised percentages in the row view', () => {
    const { container } = render(ConfusionMatrix, { title: 'Focal', classes, matrix, view: 'row', scaleMax: 1, theme: 'light' });
    expect(cell(container, 0, 0).textContent?.trim()).toBe('75');
    expect(cell(container, 1, 0).textContent?.trim()).toBe('50');
    expect(cell(container, 0, 1).getAttribute('aria-label')).toContain('25 % of true cat');
  });

  it('shows column-normalised percentages in the column view', () => {
    const { container } = render(ConfusionMatrix, { title: 'Focal', classes, matrix, view: 'column', scaleMax: 1, theme: 'light' });
    expect(cell(container, 0, 0).textContent?.trim()).toBe('86');
    expect(cell(container, 0, 1).textContent?.trim()).toBe('67');
    expect(cell(container, 0, 1).getAttribute('aria-label')).toContain('67 % of predicted dog');
  });

  it('colours cells on the shared scale: the same count gets the same colour in two matrices', () => {
    const a = render(ConfusionMatrix, { title: 'A', classes, matrix: [[10, 0], [0, 5]], view: 'counts', scaleMax: 20, theme: 'light' });
    const b = render(ConfusionMatrix, { title: 'B', classes, matrix: [[20, 5], [0, 0]], view: 'counts', scaleMax: 20, theme: 'light' });
    expect(cell(a.container, 1, 1).style.backgroundColor).toBe(cell(b.container, 0, 1).style.backgroundColor);
    expect(cell(a.container, 0, 0).style.backgroundColor).toBe(rgbOf(heatColour(0.5, 'light')));
    expect(cell(b.container, 0, 0).style.backgroundColor).toBe(rgbOf(heatColour(1, 'light')));
  });

  it('reports the clicked cell as (true, predicted)', async () => {
    const onselect = vi.fn();
    const { container } = render(ConfusionMatrix, { title: 'Focal', classes, matrix, view: 'counts', scaleMax: 6, theme: 'light', onselect });
    await fireEvent.click(cell(container, 1, 0));
    expect(onselect).toHaveBeenCalledWith(1, 0);
  });

  it('is one tab stop, moved through with the arrow keys', async () => {
    const { container } = render(ConfusionMatrix, { title: 'Focal', classes, matrix, view: 'counts', scaleMax: 6, theme: 'light' });
    const tabStops = container.querySelectorAll('button[tabindex="0"]');
    expect(tabStops).toHaveLength(1);
    cell(container, 0, 0).focus();
    await fireEvent.keyDown(cell(container, 0, 0), { key: 'ArrowRight' });
    expect(document.activeElement).toBe(cell(container, 0, 1));
    await fireEvent.keyDown(cell(container, 0, 1), { key: 'ArrowDown' });
    expect(document.activeElement).toBe(cell(container, 1, 1));
    await fireEvent.keyDown(cell(container, 1, 1), { key: 'ArrowDown' });
    expect(document.activeElement).toBe(cell(container, 1, 1));
    expect(cell(container, 1, 1).getAttribute('tabindex')).toBe('0');
  });
});
