import { el, linearScale, plotArea, px, svgChart, xAxis, yAxis, type Frame } from '../svg';

export interface LineSeries {
  label: string;
  /** Points in data coordinates; null y breaks the line (e.g. an epoch without validation). */
  points: [number, number | null][];
  color: string;
  dash?: string | undefined;
  /** Thin, translucent lines for individual seeds beside a bold mean. */
  weight?: 'bold' | 'thin';
  markers?: boolean;
}

export interface LineChartOptions {
  title: string;
  series: LineSeries[];
  xLabel?: string;
  yLabel?: string;
  /** Categorical x positions (0..n−1) with these labels, instead of numeric ticks. */
  categories?: string[];
  yDomain?: [number, number];
  width?: number;
  height?: number;
}

/** A multi-series line chart; the legend is left to the HTML around it. */
export function lineChart(options: LineChartOptions): string {
  const cats = options.categories;
  const slant = cats !== undefined && cats.length > 6;
  const frame: Frame = { width: options.width ?? 520, height: options.height ?? 240, left: 48, right: 12, top: 10, bottom: slant ? 64 : 34 };
  const { x0, x1, y0, y1 } = plotArea(frame);
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => s.points.map((p) => p[1]).filter((v): v is number => v !== null && Number.isFinite(v)));
  const xDomain: [number, number] = cats ? [-0.5, cats.length - 0.5] : [Math.min(...xs, 0), Math.max(...xs, 1)];
  const yDomain = options.yDomain ?? paddedDomain(ys);
  const x = linearScale(xDomain, [x0, x1], 8);
  const y = linearScale(yDomain, [y0, y1]);
  const xTicks = cats ? cats.map((label, i) => ({ x: x(i), label })) : x.ticks.filter((t) => Number.isInteger(t)).map((t) => ({ x: x(t), label: String(t) }));
  const body = [yAxis(y, frame, options.yLabel), xAxis(xTicks, frame, options.xLabel, slant)];
  for (const s of options.series) {
    const thin = s.weight === 'thin';
    let d = '';
    let pen = false;
    for (const [px_, py] of s.points) {
      if (py === null || !Number.isFinite(py)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${px(x(px_))} ${px(y(py))}`;
      pen = true;
    }
    if (d) body.push(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': thin ? 1 : 2, 'stroke-opacity': thin ? 0.45 : 1, 'stroke-dasharray': s.dash }));
    if (s.markers) {
      for (const [mx, my] of s.points) if (my !== null && Number.isFinite(my)) body.push(el('circle', { cx: x(mx), cy: y(my), r: 2.5, fill: s.color }));
    }
  }
  return svgChart(frame.width, frame.height, options.title, body.join(''));
}

/** Data range with 5% headroom; a flat series gets a unit-wide band. */
export function paddedDomain(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (hi === lo) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}
