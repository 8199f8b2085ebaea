import { el, linearScale, logScale, plotArea, svgChart, tooltip, xAxis, yAxis, type Frame } from '../svg';

export interface CountSeries {
  label: string;
  values: number[];
  color: string;
}

/**
 * Grouped bars of image counts per class (head → tail, in the order given). A log scale is
 * used once counts span more than 20×, so that tail classes stay visible.
 */
export function countsChart(title: string, classes: string[], series: CountSeries[]): string {
  const slant = classes.length > 6;
  const frame: Frame = { width: Math.max(360, Math.min(760, 60 + classes.length * 14 * Math.max(2, series.length))), height: 230, left: 52, right: 10, top: 10, bottom: slant ? 70 : 34 };
  const { x0, x1, y0, y1 } = plotArea(frame);
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const max = Math.max(1, ...all);
  const min = Math.max(1, Math.min(max, ...all));
  const useLog = max / min > 20;
  const y = useLog ? logScale([min, max], [y0, y1]) : linearScale([0, max * 1.05], [y0, y1]);
  const band = (x1 - x0) / Math.max(1, classes.length);
  const barWidth = (band * 0.8) / Math.max(1, series.length);
  const body = [yAxis(y, frame, useLog ? 'images (log scale)' : 'images')];
  classes.forEach((_, i) => {
    series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      const top = y(Math.max(useLog ? 1 : 0, v));
      const x = x0 + band * i + band * 0.1 + barWidth * k;
      body.push(el('rect', { x, y: top, width: Math.max(1, barWidth - 1), height: Math.max(0, y0 - top), fill: s.color }, tooltip(`${s.label}: ${v}`)));
    });
  });
  body.push(xAxis(classes.map((label, i) => ({ x: x0 + band * (i + 0.5), label })), frame, undefined, slant));
  return svgChart(frame.width, frame.height, title, body.join(''));
}
