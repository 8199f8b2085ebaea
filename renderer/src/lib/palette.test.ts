import { describe, expect, it } from 'vitest';
import { MARKERS, seriesPalette, seriesStyle, SERIES_COUNT } from './palette';

/*
 * Independent measurement of the series palette: colour-vision deficiencies simulated with
 * Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB; distances in CIELAB (D65).
 */
const SIMULATIONS: Record<string, number[][]> = {
  normal: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

function linear(hex: string): number[] {
  return [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
}

function lab(rgb: number[]): number[] {
  const [r, g, b] = rgb.map((v) => Math.min(1, Math.max(0, v))) as [number, number, number];
  const xyz = [0.4124 * r + 0.3576 * g + 0.1805 * b, 0.2126 * r + 0.7152 * g + 0.0722 * b, 0.0193 * r + 0.1192 * g + 0.9505 * b];
  const white = [0.95047, 1, 1.08883];
  const f = xyz.map((v, i) => {
    const t = v / white[i]!;
    return t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29;
  }) as [number, number, number];
  return [116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])];
}

function simulate(hex: string, matrix: number[][]): number[] {
  const rgb = linear(hex);
  return lab(matrix.map((row) => row.reduce((sum, m, j) => sum + m * rgb[j]!, 0)));
}

function smallestDifference(colours: readonly string[], matrix: number[][]): number {
  const labs = colours.map((c) => simulate(c, matrix));
  let smallest = Infinity;
  for (let i = 0; i < labs.length; i++) for (let j = i + 1; j < labs.length; j++) smallest = Math.min(smallest, Math.hypot(...labs[i]!.map((v, k) => v - labs[j]![k]!)));
  return smallest;
}

function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = linear(hex) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

// The surfaces charts are drawn on (app.css --surface).
const SURFACE = { light: '#ffffff', dark: '#1b1f27' } as const;
/** ΔE this palette reaches with all 12 colours (rounded down); a change that crowds colours together fails here. */
const SMALLEST_DELTA_E = { light: 16, dark: 13 } as const;

describe('series palette for 12 recipes', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`keeps 12 ${theme}-theme colours apart for normal vision and the three dichromacies, at 3:1 contrast`, () => {
      const palette = seriesPalette(theme);
      expect(palette).toHaveLength(SERIES_COUNT);
      for (const [vision, matrix] of Object.entries(SIMULATIONS)) {
        expect(smallestDifference(palette, matrix), `${theme}, ${vision}`).toBeGreaterThanOrEqual(SMALLEST_DELTA_E[theme]);
      }
      for (const colour of palette) expect(contrast(colour, SURFACE[theme]), colour).toBeGreaterThanOrEqual(3);
    });
  }

  it('gives each of the 12 series its own marker-and-dash pair, so no two differ by colour alone', () => {
    const pairs = Array.from({ length: SERIES_COUNT }, (_, i) => seriesStyle(i, 'light')).map((s) => `${s.marker}/${s.dash ?? 'solid'}`);
    expect(new Set(pairs).size).toBe(SERIES_COUNT);
    expect(new Set(pairs.map((p) => p.split('/')[0])).size).toBe(MARKERS.length);
  });
});
