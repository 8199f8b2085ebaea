/**
 * Minimal SVG building blocks for the report's charts: escaped elements, linear and log
 * scales with readable ticks, and axes. Charts are strings inlined into the HTML, so the
 * report needs no script, font or network to show them.
 */

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Coordinates rounded to 0.1 px: enough for print, and keeps the file small. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

type AttrValue = string | number | undefined | null;

export function el(tag: string, attrs: Record<string, AttrValue>, children?: string): string {
  const parts = Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}="${typeof v === 'number' ? px(v) : escapeXml(v as string)}"`);
  const open = `<${tag}${parts.length > 0 ? ' ' + parts.join(' ') : ''}`;
  return children === undefined ? `${open}/>` : `${open}>${children}</${tag}>`;
}

/** A tooltip: the <title> child browsers show on hover. */
export function tooltip(content: string): string {
  return `<title>${escapeXml(content)}</title>`;
}

export function text(x: number, y: number, content: string, attrs: Record<string, AttrValue> = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

/**
 * A whole chart. No xmlns: inline SVG in HTML does not need it, and leaving it out keeps
 * the report free of any URL. Width scales down with the page (max-width in the CSS).
 */
export function svgChart(width: number, height: number, title: string, body: string): string {
  return el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title, class: 'chart' }, `<title>${escapeXml(title)}</title>${body}`);
}

export interface Scale {
  (value: number): number;
  domain: [number, number];
  ticks: number[];
}

/** Ticks at 1, 2 or 5 × 10^k steps, about `count` of them, covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step - 1e-9) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

export function linearScale(domain: [number, number], range: [number, number], tickCount = 5): Scale {
  const [d0, d1] = domain[1] > domain[0] ? domain : [domain[0] - 0.5, domain[0] + 0.5];
  const f = ((v: number) => range[0] + ((v - d0) / (d1 - d0)) * (range[1] - range[0])) as Scale;
  f.domain = [d0, d1];
  f.ticks = niceTicks(d0, d1, tickCount);
  return f;
}

/** Log10 scale for counts spanning orders of magnitude; ticks at 1, 10, 100, … */
export function logScale(domain: [number, number], range: [number, number]): Scale {
  const lo = Math.log10(Math.max(1, domain[0]));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(1, domain[1]))));
  const start = Math.floor(lo);
  const f = ((v: number) => range[0] + ((Math.log10(Math.max(1, v)) - start) / (hi - start)) * (range[1] - range[0])) as Scale;
  f.domain = [10 ** start, 10 ** hi];
  f.ticks = Array.from({ length: hi - start + 1 }, (_, i) => 10 ** (start + i));
  return f;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The plotting area inside a frame's margins. */
export function plotArea(f: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: f.left, x1: f.width - f.right, y0: f.height - f.bottom, y1: f.top };
}

export function formatTick(value: number): string {
  if (Math.abs(value) >= 1000) return value.toLocaleString('en-US');
  return String(Number(value.toPrecision(6)));
}

/** Left y axis with grid lines and an optional label. */
export function yAxis(scale: Scale, frame: Frame, label?: string, format: (v: number) => string = formatTick): string {
  const { x0, x1, y0, y1 } = plotArea(frame);
  const parts = scale.ticks.map((t) => {
    const y = scale(t);
    return el('line', { x1: x0, x2: x1, y1: y, y2: y, class: 'grid' }) + text(x0 - 4, y + 3.5, format(t), { 'text-anchor': 'end', class: 'tick' });
  });
  parts.push(el('line', { x1: x0, x2: x0, y1: y0, y2: y1, class: 'axis' }));
  if (label) parts.push(text(12, (y0 + y1) / 2, label, { transform: `rotate(-90 12 ${px((y0 + y1) / 2)})`, 'text-anchor': 'middle', class: 'axis-label' }));
  return parts.join('');
}

/** Bottom x axis; categorical labels are given as (position, text) pairs and may be slanted. */
export function xAxis(ticks: { x: number; label: string }[], frame: Frame, label?: string, slant = false): string {
  const { x0, x1, y0 } = plotArea(frame);
  const parts = [el('line', { x1: x0, x2: x1, y1: y0, y2: y0, class: 'axis' })];
  // Many categories: label every k-th so that the labels do not overlap.
  const every = Math.ceil(ticks.length / 30);
  for (const [k, t] of ticks.entries()) {
    if (k % every !== 0) continue;
    parts.push(el('line', { x1: t.x, x2: t.x, y1: y0, y2: y0 + 3, class: 'axis' }));
    parts.push(
      slant
        ? text(t.x, y0 + 10, t.label, { transform: `rotate(-35 ${px(t.x)} ${px(y0 + 10)})`, 'text-anchor': 'end', class: 'tick' })
        : text(t.x, y0 + 14, t.label, { 'text-anchor': 'middle', class: 'tick' }),
    );
  }
  if (label) parts.push(text((x0 + x1) / 2, frame.height - 4, label, { 'text-anchor': 'middle', class: 'axis-label' }));
  return parts.join('');
}

/** Okabe–Ito colours (distinguishable with colour-vision deficiencies), yellow left out for contrast on white. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
/** Beyond seven series, colours repeat with a dash pattern. */
export const DASHES = [undefined, '6 3', '2 2', '8 3 2 3'];

export function seriesStyle(index: number): { color: string; dash: string | undefined } {
  return { color: PALETTE[index % PALETTE.length]!, dash: DASHES[Math.floor(index / PALETTE.length) % DASHES.length] };
}
