import { el, linearScale, plotArea, svgChart, text, tooltip, xAxis, type Frame } from '../svg';

export interface ForestRow {
  label: string;
  estimate: number;
  interval: [number, number];
  significant: boolean;
}

/**
 * Differences with their intervals, one row each, around a zero line: the comparison
 * against the baseline at a glance. Hollow markers are not significant.
 */
export function forestChart(title: string, rows: ForestRow[], xLabel: string): string {
  const rowHeight = 22;
  // Room for the longest label (about 6.4 px a character at the row labels' 11.5 px), so display names are never cut on the left.
  const left = Math.max(120, Math.min(440, Math.ceil(Math.max(0, ...rows.map((r) => r.label.length)) * 6.4) + 16));
  const frame: Frame = { width: left + 390, height: 44 + rows.length * rowHeight, left, right: 20, top: 8, bottom: 36 };
  const { x0, x1, y0 } = plotArea(frame);
  const extent = Math.max(0.01, ...rows.flatMap((r) => [Math.abs(r.interval[0]), Math.abs(r.interval[1])]));
  const x = linearScale([-extent * 1.1, extent * 1.1], [x0, x1], 6);
  const body = [el('line', { x1: x(0), x2: x(0), y1: frame.top, y2: y0, class: 'zero' })];
  rows.forEach((r, i) => {
    const cy = frame.top + rowHeight * (i + 0.5);
    body.push(text(x0 - 8, cy + 4, r.label, { 'text-anchor': 'end', class: 'row-label' }));
    body.push(el('line', { x1: x(r.interval[0]), x2: x(r.interval[1]), y1: cy, y2: cy, class: 'ci' }));
    body.push(el('circle', { cx: x(r.estimate), cy, r: 4, class: r.significant ? 'est' : 'est ns' }, tooltip(`${r.label}: ${r.estimate.toFixed(4)} [${r.interval[0].toFixed(4)}, ${r.interval[1].toFixed(4)}]${r.significant ? '' : ' (not significant)'}`)));
  });
  body.push(xAxis(x.ticks.map((t) => ({ x: x(t), label: (t > 0 ? '+' : '') + t.toFixed(Math.abs(extent) < 0.05 ? 3 : 2) })), frame, xLabel));
  return svgChart(frame.width, frame.height, title, body.join(''));
}
