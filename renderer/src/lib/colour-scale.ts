/**
 * A sequential single-hue colour scale for heatmaps. Interpolation happens in linear-light
 * RGB so that equal steps look like equal steps; endpoints differ per theme so that "no
 * value" blends into the page background in both light and dark mode.
 */

export type Theme = 'light' | 'dark';

type Rgb = [number, number, number];

const ENDPOINTS: Record<Theme, { low: Rgb; high: Rgb }> = {
  light: { low: [247, 251, 255], high: [8, 48, 107] },
  dark: { low: [28, 33, 43], high: [158, 214, 255] },
};

function toLinear(channel: number): number {
  const c = channel / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function fromLinear(linear: number): number {
  const c = linear <= 0.0031308 ? linear * 12.92 : 1.055 * linear ** (1 / 2.4) - 0.055;
  return Math.round(Math.min(1, Math.max(0, c)) * 255);
}

function hex(rgb: Rgb): string {
  return '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
}

function mix(t: number, theme: Theme): Rgb {
  const { low, high } = ENDPOINTS[theme];
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  return [0, 1, 2].map((k) => fromLinear(toLinear(low[k]!) + (toLinear(high[k]!) - toLinear(low[k]!)) * clamped)) as Rgb;
}

/** Fill colour for a position t ∈ [0, 1] on the scale. */
export function heatColour(t: number, theme: Theme): string {
  return hex(mix(t, theme));
}

function relativeLuminance(rgb: Rgb): number {
  return 0.2126 * toLinear(rgb[0]) + 0.7152 * toLinear(rgb[1]) + 0.0722 * toLinear(rgb[2]);
}

/** Black or white, whichever contrasts more with the fill at t (WCAG contrast ratio). */
export function heatTextColour(t: number, theme: Theme): '#000000' | '#ffffff' {
  const l = relativeLuminance(mix(t, theme));
  const againstBlack = (l + 0.05) / 0.05;
  const againstWhite = 1.05 / (l + 0.05);
  return againstBlack >= againstWhite ? '#000000' : '#ffffff';
}
