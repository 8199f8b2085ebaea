import { el, svgChart, text, tooltip } from '../svg';

/**
 * A confusion matrix as a heat map, for many classes where a table of numbers would be
 * unreadable: each cell shaded by its share of the row (blue on the diagonal, orange off
 * it), the count and share in its tooltip. `order` lists class indices in display order.
 */
export function confusionHeatmap(title: string, matrix: number[][], classes: string[], order: number[]): string {
  const n = order.length;
  const cell = Math.max(4, Math.min(14, Math.floor(640 / n)));
  const label = 90;
  const every = Math.ceil(n / 40);
  const size = label + n * cell + 6;
  const body: string[] = [];
  order.forEach((i, r) => {
    const row = matrix[i]!;
    const total = row.reduce((s, x) => s + x, 0);
    order.forEach((j, c) => {
      const count = row[j]!;
      if (count === 0) return;
      const share = count / Math.max(1, total);
      const color = i === j ? `rgba(0,114,178,${(0.15 + 0.85 * share).toFixed(2)})` : `rgba(213,94,0,${(0.15 + 0.85 * share).toFixed(2)})`;
      body.push(el('rect', { x: label + c * cell, y: label + r * cell, width: cell, height: cell, fill: color }, tooltip(`${classes[i]} → ${classes[j]}: ${count} (${(100 * share).toFixed(1)}% of the row)`)));
    });
    if (r % every === 0) body.push(text(label - 3, label + r * cell + cell * 0.8, classes[i]!, { 'text-anchor': 'end', class: 'tick' }));
  });
  order.forEach((j, c) => {
    if (c % every !== 0) return;
    const x = label + c * cell + cell * 0.7;
    body.push(text(x, label - 3, classes[j]!, { transform: `rotate(-60 ${x} ${label - 3})`, class: 'tick' }));
  });
  body.push(el('rect', { x: label, y: label, width: n * cell, height: n * cell, fill: 'none', class: 'axis' }));
  return svgChart(size, size, title, body.join(''));
}
