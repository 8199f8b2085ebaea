import { lineChart } from '../charts/line-chart';
import type { ReportContext } from '../context';
import { escapeHtml, fixed } from '../format';
import { confusionHeatmap } from '../charts/heatmap-chart';
import { figure, legend, section, table, variantStyles } from './elements';

/** Above this many classes a confusion table no longer fits a page; a heat map is drawn instead. */
export const MAX_TABLE_CLASSES = 20;

function classOrder(ctx: ReportContext): number[] {
  const { results } = ctx.experiment;
  const h = results.dataset.headToTail;
  return h.length === results.classes.length ? h : results.classes.map((_, i) => i);
}

/** Cell shading: blue for correct (diagonal), orange for confusions, by row share. */
function shade(share: number, diagonal: boolean): string {
  if (share <= 0) return '';
  const rgb = diagonal ? '0,114,178' : '213,94,0';
  const alpha = Math.min(0.85, 0.08 + share * 0.8);
  return ` style="background:rgba(${rgb},${alpha.toFixed(2)})${alpha > 0.55 ? ';color:#fff' : ''}"`;
}

/** One confusion matrix per trained loss: counts summed over seeds, and the row-normalised share. */
export function confusionSection(ctx: ReportContext): string {
  const { results } = ctx.experiment;
  const order = classOrder(ctx);
  const names = order.map((c) => escapeHtml(results.classes[c]!));
  const trained = ctx.analysis.variants.filter((v) => v.kind === 'trained');
  if (order.length > MAX_TABLE_CLASSES) {
    const maps = trained.map((v) => figure(confusionHeatmap(`Confusion matrix: ${v.label}`, v.confusion, results.classes, order), escapeHtml(v.label)));
    return section(
      'confusion',
      'Confusion matrices',
      `<p>Rows are true classes and columns predicted classes, both head → tail, counts summed over seeds. With ${order.length} classes the matrices are drawn as heat maps shaded by each cell's share of its row (blue: correct; orange: confusions); hover a cell for its count. Every count is in the CSV export (confusion.csv).</p><div class="grid-charts">${maps.join('')}</div>`,
    );
  }
  const blocks = trained
    .map((v) => {
      const head = `<thead><tr><th scope="col">true ↓ / predicted →</th>${names.map((n) => `<th scope="col">${n}</th>`).join('')}<th scope="col">recall</th></tr></thead>`;
      const rows = order.map((i) => {
        const row = v.confusion[i]!;
        const total = row.reduce((s, x) => s + x, 0);
        const cells = order.map((j) => {
          const count = row[j]!;
          const share = total > 0 ? count / total : 0;
          return `<td${shade(share, i === j)}>${count}<small>${total > 0 ? `${(100 * share).toFixed(0)}%` : ''}</small></td>`;
        });
        return `<tr><th scope="row">${escapeHtml(results.classes[i]!)}</th>${cells.join('')}<td>${fixed(v.recall[i])}</td></tr>`;
      });
      return `<h3>${escapeHtml(v.label)}</h3><div class="table-wrap"><table class="confusion"><caption>Counts summed over ${v.seeds.length} seed(s) (each seed classifies every test image once); below each count its share of the row</caption>${head}<tbody>${rows.join('')}</tbody></table></div>`;
    });
  return section('confusion', 'Confusion matrices', `<p>Rows are true classes and columns predicted classes, both head → tail.</p>${blocks.join('')}`);
}

/** Recall per class from head to tail: where each loss gains or loses. */
export function recallSection(ctx: ReportContext): string {
  const { results } = ctx.experiment;
  const order = classOrder(ctx);
  const styles = variantStyles(ctx.analysis);
  const variants = ctx.analysis.variants;
  const series = variants.map((v) => ({
    label: v.label,
    points: order.map((c, i) => [i, v.recall[c] ?? null] as [number, number | null]),
    color: styles.get(v.key)!.color,
    dash: styles.get(v.key)!.dash,
    markers: true,
  }));
  const chart = lineChart({ title: 'Recall per class, head to tail', series, categories: order.map((c) => results.classes[c]!), yDomain: [0, 1], yLabel: 'recall (mean over seeds)', width: 760, height: 280 });
  const rows = variants.map((v) => [escapeHtml(v.label), ...order.map((c) => fixed(v.recall[c], 2))]);
  rows.unshift(['<em>training images</em>', ...order.map((c) => String(results.dataset.counts.train[c] ?? '—'))]);
  const tbl = table(['', ...order.map((c) => escapeHtml(results.classes[c]!))], rows, { rowClasses: [undefined, ...variants.map((v) => (v.kind === 'posthoc' ? 'posthoc' : undefined))] });
  return section(
    'recall',
    'Per-class recall, head → tail',
    figure(chart + legend(variants.map((v) => ({ label: v.label, ...styles.get(v.key)! }))), 'Recall of each class averaged over seeds, classes ordered from the most to the fewest training images. Dashed lines: post-hoc logit adjustment.') + tbl,
  );
}
