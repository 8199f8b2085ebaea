import type { ExperimentAnalysis } from '../../analysis/types';
import { escapeHtml } from '../format';
import { seriesStyle } from '../svg';

/** Small HTML helpers shared by the report's sections. Cell contents are HTML already escaped by the caller. */

export function table(
  headers: string[],
  rows: string[][],
  options: { className?: string; caption?: string; rowHeaders?: boolean; rowClasses?: (string | undefined)[] } = {},
): string {
  const head = `<thead><tr>${headers.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>`;
  const body = rows
    .map((row, r) => {
      const cls = options.rowClasses?.[r];
      const cells = row.map((cell, i) => (i === 0 && options.rowHeaders !== false ? `<th scope="row">${cell}</th>` : `<td>${cell}</td>`)).join('');
      return `<tr${cls ? ` class="${cls}"` : ''}>${cells}</tr>`;
    })
    .join('');
  const caption = options.caption ? `<caption>${options.caption}</caption>` : '';
  return `<div class="table-wrap"><table${options.className ? ` class="${options.className}"` : ''}>${caption}${head}<tbody>${body}</tbody></table></div>`;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

export function figure(svg: string, caption: string, className = ''): string {
  return `<figure class="${className}">${svg}<figcaption>${caption}</figcaption></figure>`;
}

export function legend(items: { label: string; color: string; dash?: string | undefined }[]): string {
  return `<ul class="legend">${items
    .map((i) => `<li><span class="swatch${i.dash ? ' dashed' : ''}" style="border-color:${i.color};background:${i.dash ? 'transparent' : i.color}"></span>${escapeHtml(i.label)}</li>`)
    .join('')}</ul>`;
}

/** One colour per trained loss, in configuration order; a post-hoc row takes its source's colour, dashed. */
export function variantStyles(analysis: ExperimentAnalysis): Map<string, { color: string; dash: string | undefined }> {
  const styles = new Map<string, { color: string; dash: string | undefined }>();
  let i = 0;
  for (const v of analysis.variants) {
    if (v.kind === 'trained') styles.set(v.key, seriesStyle(i++));
  }
  for (const v of analysis.variants) {
    if (v.kind === 'posthoc') styles.set(v.key, { color: styles.get(v.source ?? '')?.color ?? '#777777', dash: '5 3' });
  }
  return styles;
}

export function definitionList(entries: [string, string][]): string {
  return `<dl class="facts">${entries.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}
