import type { ReliabilityDiagram } from '../../metrics/calibration';
import { el, linearScale, plotArea, svgChart, text, tooltip, xAxis, yAxis, type Frame } from '../svg';

/**
 * A reliability diagram (Guo et al. 2017): per confidence bin, bars of accuracy against the
 * diagonal of perfect calibration, the gap to it shaded; dots show the same bins after
 * temperature scaling when given. Empty bins draw nothing.
 */
export function reliabilityChart(title: string, before: ReliabilityDiagram, after: ReliabilityDiagram | null, color: string): string {
  const frame: Frame = { width: 250, height: 230, left: 40, right: 8, top: 18, bottom: 34 };
  const { x0, x1, y0, y1 } = plotArea(frame);
  const x = linearScale([0, 1], [x0, x1]);
  const y = linearScale([0, 1], [y0, y1]);
  const body = [yAxis(y, frame, 'accuracy', (v) => v.toFixed(1))];
  for (const bin of before.bins) {
    if (bin.count === 0 || bin.accuracy === null || bin.confidence === null) continue;
    const left = x(bin.lower) + 0.5;
    const width = x(bin.upper) - x(bin.lower) - 1;
    body.push(el('rect', { x: left, y: y(bin.accuracy), width, height: y0 - y(bin.accuracy), fill: color, 'fill-opacity': 0.75 }, tooltip(`confidence ${bin.lower.toFixed(2)}–${bin.upper.toFixed(2)}: ${bin.count} predictions, accuracy ${bin.accuracy.toFixed(3)}, mean confidence ${bin.confidence.toFixed(3)}`)));
    const top = Math.min(y(bin.accuracy), y(bin.confidence));
    body.push(el('rect', { x: left, y: top, width, height: Math.abs(y(bin.accuracy) - y(bin.confidence)), class: 'gap' }));
  }
  body.push(el('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: 'diagonal' }));
  if (after) {
    for (const bin of after.bins) {
      if (bin.count === 0 || bin.accuracy === null || bin.confidence === null) continue;
      body.push(el('circle', { cx: x(bin.confidence), cy: y(bin.accuracy), r: 2.8, class: 'after' }));
    }
  }
  body.push(xAxis(x.ticks.map((t) => ({ x: x(t), label: t.toFixed(1) })), frame, 'confidence'));
  body.push(text(x0, 12, `pooled ECE ${before.ece.toFixed(3)}${after ? ` → ${after.ece.toFixed(3)} (T-scaled)` : ''}`, { class: 'chart-note' }));
  return svgChart(frame.width, frame.height, title, body.join(''));
}
