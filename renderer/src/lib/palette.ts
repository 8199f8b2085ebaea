import type { Theme } from './colour-scale';

/**
 * Colours for one series per loss. Based on the Okabe–Ito set, which stays distinguishable
 * with the common colour-vision deficiencies; each theme gets shades with enough contrast
 * against its background.
 */
const SERIES: Record<Theme, string[]> = {
  light: ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#7a6a00', '#56b4e9', '#e69f00', '#000000', '#8c564b', '#6a3d9a'],
  dark: ['#56b4e9', '#ff8c42', '#2fd3a0', '#f08ac8', '#f0e442', '#8fd0ff', '#ffc04d', '#e6e6e6', '#d9a38f', '#b49be0'],
};

export function seriesColour(index: number, theme: Theme): string {
  const palette = SERIES[theme];
  return palette[index % palette.length]!;
}
