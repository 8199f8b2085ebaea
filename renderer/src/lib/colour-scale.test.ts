import { describe, expect, it } from 'vitest';
import { heatColour, heatTextColour } from './colour-scale';

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

describe('heatColour', () => {
  it('runs from near-background to strong colour in the light theme (darker = more)', () => {
    const steps = [0, 0.25, 0.5, 0.75, 1].map((t) => luminance(heatColour(t, 'light')));
    for (let i = 1; i < steps.length; i++) expect(steps[i]!).toBeLessThan(steps[i - 1]!);
    expect(heatColour(0, 'light')).toBe('#f7fbff');
  });

  it('runs from dark to bright in the dark theme (brighter = more)', () => {
    const steps = [0, 0.5, 1].map((t) => luminance(heatColour(t, 'dark')));
    expect(steps[1]!).toBeGreaterThan(steps[0]!);
    expect(steps[2]!).toBeGreaterThan(steps[1]!);
  });

  it('clamps out-of-range and non-finite positions', () => {
    expect(heatColour(2, 'light')).toBe(heatColour(1, 'light'));
    expect(heatColour(-1, 'light')).toBe(heatColour(0, 'light'));
    expect(heatColour(NaN, 'light')).toBe(heatColour(0, 'light'));
  });
});

describe('heatTextColour', () => {
  it('picks black on pale cells and white on dark ones', () => {
    expect(heatTextColour(0, 'light')).toBe('#000000');
    expect(heatTextColour(1, 'light')).toBe('#ffffff');
    expect(heatTextColour(0, 'dark')).toBe('#ffffff');
    expect(heatTextColour(1, 'dark')).toBe('#000000');
  });
});
