import { paddedDomain } from './line-chart';
import { el, linearScale, logScale, plotArea, px, svgChart, tooltip, xAxis, yAxis, type Frame, type Scale } from '../svg';

export interface SweepChartSeries {
  label: string;
  color: string;
  dash?: string | undefined;
  /** One point per setting: the mean over seeds and its interval (null with one seed). */
  points: { x: number; mean: number | null; interval: [number, number] | null }[];
}

/**
 * A metric against the sweep's axis (ρ or a hyperparameter): one line per recipe through the
 * means, a vertical bar for each point's 95% interval. ρ spanning a decade or more is drawn on
 * a log axis (1, 10, 100 evenly spaced), as the long-tail literature plots it.
 */
export function sweepChart(options: { title: string; xLabel: string; yLabel: string; series: SweepChartSeries[]; xs: number[] }): string {
  const frame: Frame = { width: 560, height: 260, left: 52, right: 14, top: 10, bottom: 36 };
  const { x0, x1, y0, y1 } = plotArea(frame);
  const xs = options.xs;
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const useLog = lo > 0 && hi / lo >= 10;
  const pad = (range: [number, number]): [number, number] => [range[0] + 10, range[1] - 10];
  const x: Scale = useLog ? logScale([lo, hi], pad([x0, x1])) : linearScale(hi > lo ? [lo, hi] : [lo - 1, hi + 1], pad([x0, x1]), 6);
  const values = options.series.flatMap((s) => s.points.flatMap((p) => [p.mean, ...(p.interval ?? [])].filter((v): v is number => v !== null && Number.isFinite(v))));
  const y = linearScale(paddedDomain(values), [y0, y1]);
  const ticks = [...new Set(xs)].sort((a, b) => a - b).map((t) => ({ x: x(t), label: String(Number(t.toPrecision(3))) }));
  const body = [yAxis(y, frame, options.yLabel), xAxis(ticks, frame, options.xLabel)];
  for (const s of options.series) {
    const shown = s.points.filter((p) => p.mean !== null).sort((a, b) => a.x - b.x);
    const d = shown.map((p, k) => `${k === 0 ? 'M' : 'L'}${px(x(p.x))} ${px(y(p.mean!))}`).join('');
    if (d) body.push(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dash }));
    for (const p of shown) {
      if (p.interval) body.push(el('line', { x1: x(p.x), x2: x(p.x), y1: y(p.interval[0]), y2: y(p.interval[1]), stroke: s.color, 'stroke-width': 1.2 }));
      const tip = `${s.label} at ${p.x}: ${p.mean!.toFixed(3)}${p.interval ? ` [${p.interval[0].toFixed(3)}, ${p.interval[1].toFixed(3)}]` : ''}`;
      body.push(el('circle', { cx: x(p.x), cy: y(p.mean!), r: 3, fill: s.color }, tooltip(tip)));
    }
  }
  return svgChart(frame.width, frame.height, options.title, body.join(''));
}
