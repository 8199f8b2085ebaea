import type { Theme } from './colour-scale';

/**
 * Colours, marker shapes and line dashes for one series per loss or recipe, so that a chart
 * with 12 recipes stays readable without relying on colour: every series also has its own
 * marker (6 shapes) and, from the seventh on, a dashed line, and the legend names each one.
 *
 * The 12 colours per theme were chosen (the first three are Okabe–Ito's blue, vermillion and
 * green) to keep every pair apart for normal vision and, simulated with Machado et al.'s (2009)
 * matrices, for protanopia, deuteranopia and tritanopia, with at least 3:1 contrast against the
 * theme's surface (WCAG 1.4.11 for graphics). palette.test.ts measures both: the smallest
 * CIELAB ΔE between any two colours under any of the four visions is 16.2 (light) and 13.1
 * (dark); the previous 10-colour set had 5.1 (light) and 5.2 (dark), for protanopia.
 */
const SERIES: Record<Theme, readonly string[]> = {
  light: ['#0072b2', '#d55e00', '#009e73', '#9900ff', '#773311', '#554455', '#9977ff', '#4433aa', '#aa88aa', '#ff1155', '#772277', '#667744'],
  dark: ['#56b4e9', '#ff8c42', '#2fd3a0', '#9911ff', '#cc2244', '#eeee00', '#666688', '#bbddee', '#8888ff', '#dd0011', '#aa33bb', '#ff44bb'],
};

export const SERIES_COUNT = 12;

export const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'cross'] as const;
export type Marker = (typeof MARKERS)[number];

export interface SeriesStyle {
  colour: string;
  marker: Marker;
  /** SVG stroke-dasharray, or null for a solid line. */
  dash: string | null;
}

export function seriesColour(index: number, theme: Theme): string {
  const palette = SERIES[theme];
  return palette[index % palette.length]!;
}

/** Colour, marker and dash of the index-th series; the first 12 differ in all three from each other in at least two. */
export function seriesStyle(index: number, theme: Theme): SeriesStyle {
  return {
    colour: seriesColour(index, theme),
    marker: MARKERS[index % MARKERS.length]!,
    dash: Math.floor(index / MARKERS.length) % 2 === 1 ? '6 3' : null,
  };
}

/** The palette itself, for the test that measures it. */
export function seriesPalette(theme: Theme): readonly string[] {
  return SERIES[theme];
}

/** SVG path of a marker of size `r` (half-width) centred on (x, y). */
export function markerPath(marker: Marker, x: number, y: number, r: number): string {
  const f = (n: number) => n.toFixed(1);
  switch (marker) {
    case 'circle':
      return `M${f(x - r)},${f(y)}a${f(r)},${f(r)} 0 1,0 ${f(2 * r)},0a${f(r)},${f(r)} 0 1,0 ${f(-2 * r)},0Z`;
    case 'square':
      return `M${f(x - r)},${f(y - r)}h${f(2 * r)}v${f(2 * r)}h${f(-2 * r)}Z`;
    case 'triangle':
      return `M${f(x)},${f(y - r * 1.15)}L${f(x + r * 1.15)},${f(y + r)}L${f(x - r * 1.15)},${f(y + r)}Z`;
    case 'triangle-down':
      return `M${f(x)},${f(y + r * 1.15)}L${f(x + r * 1.15)},${f(y - r)}L${f(x - r * 1.15)},${f(y - r)}Z`;
    case 'diamond':
      return `M${f(x)},${f(y - r * 1.3)}L${f(x + r * 1.3)},${f(y)}L${f(x)},${f(y + r * 1.3)}L${f(x - r * 1.3)},${f(y)}Z`;
    case 'cross': {
      const t = r * 0.4;
      return `M${f(x - t)},${f(y - r)}h${f(2 * t)}v${f(r - t)}h${f(r - t)}v${f(2 * t)}h${f(-(r - t))}v${f(r - t)}h${f(-2 * t)}v${f(-(r - t))}h${f(-(r - t))}v${f(-2 * t)}h${f(r - t)}Z`;
    }
  }
}
