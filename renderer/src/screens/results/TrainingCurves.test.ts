import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import TrainingCurves from './TrainingCurves.svelte';
import '../../test/no-layout';
import { ceInfo, focalInfo, lossSummary, results } from '../../test/fixtures';

const SAMPLERS = ['', '+sampler=class-balanced', '+sampler=sqrt', '+sampler=progressive'];
const STAGES = ['', '+crt', '+lws'];

describe('TrainingCurves with 12 recipes', () => {
  it('names every recipe in the legend and gives each its own colour and marker-and-dash', () => {
    const keys = SAMPLERS.flatMap((sampler) => STAGES.map((stage) => `ce${sampler}${stage}`));
    expect(keys).toHaveLength(12);
    render(TrainingCurves, { results: results(keys.map((key) => lossSummary(key, 'ce', {}))), catalogue: [ceInfo, focalInfo] });
    const legend = screen.getByRole('list', { name: 'Losses' });
    const items = within(legend).getAllByRole('listitem');
    expect(items.map((item) => item.textContent?.trim())).toContain('Cross-entropy + progressive sampler + LWS');
    expect(new Set(items.map((item) => item.textContent?.trim())).size).toBe(12);
    const looks = items.map((item) => {
      const line = item.querySelector('line')!;
      const marker = item.querySelector('path')!;
      return { colour: line.getAttribute('stroke'), style: `${marker.getAttribute('data-marker')}/${line.getAttribute('stroke-dasharray') ?? 'solid'}` };
    });
    expect(new Set(looks.map((l) => l.colour)).size).toBe(12);
    expect(new Set(looks.map((l) => l.style)).size).toBe(12);
  });
});
