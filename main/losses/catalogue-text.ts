import { tagsOf, type LossTag } from './tags';
import { formatRange } from './params';
import type { LossDefinition, ParamSpec } from './types';
import { wrapText } from '../util/wrap-text';

/** What `losslab losses --json` prints for one loss: the definition without functions. */
export interface CatalogueJsonEntry {
  id: string;
  name: string;
  kind: 'logits' | 'embedding';
  /** What the loss is for (tags.ts). */
  tags: LossTag[];
  formula: string;
  citation: LossDefinition['citation'];
  explanation: string;
  params: (ParamSpec & { range: string })[];
  needsClassCounts: boolean;
  reduction: string | null;
  head: { cosineClassifier: boolean; initialBias: 'depends on the number of classes' | null; note: string } | null;
}

export function catalogueJson(defs: readonly LossDefinition[]): CatalogueJsonEntry[] {
  return defs.map((d) => ({
    id: d.id,
    name: d.name,
    kind: d.kind,
    tags: tagsOf(d.id),
    formula: d.formula,
    citation: d.citation,
    explanation: d.explanation,
    params: d.params.map((p) => ({ ...p, range: formatRange(p) + (p.nullable ? ", or 'none'" : '') })),
    needsClassCounts: d.needsClassCounts,
    reduction: d.reduction ?? null,
    head: d.head
      ? { cosineClassifier: d.head.cosineClassifier === true, initialBias: d.head.initialBias ? 'depends on the number of classes' : null, note: d.head.note }
      : null,
  }));
}

function formatDefault(p: ParamSpec): string {
  return p.default === null ? 'none' : String(p.default);
}

function citationLine(d: LossDefinition): string {
  const c = d.citation;
  return `${c.authors} (${c.year}). ${c.title}${c.venue ? `. ${c.venue}` : ''}.`;
}

/** Human-readable listing for `losslab losses`. */
export function catalogueText(defs: readonly LossDefinition[]): string {
  const blocks = defs.map((d) => {
    const out = [`${d.id} — ${d.name}${d.kind === 'embedding' ? ' [embedding: two-stage, linear probe]' : ''}`];
    out.push(`  for:       ${tagsOf(d.id).join(', ')}`);
    out.push(`  formula:   ${d.formula}`);
    out.push(wrapText(`cite: ${citationLine(d)}`, 92, '  '));
    if (d.params.length === 0) out.push('  params:    none');
    for (const p of d.params) {
      out.push(`  --param ${d.id}.${p.key}=…  default ${formatDefault(p)}; ${formatRange(p)}${p.nullable ? ", or 'none'" : ''}`);
      out.push(wrapText(p.description, 88, '      '));
    }
    if (d.needsClassCounts) out.push('  uses the training-set class counts');
    if (d.reduction) out.push(wrapText(`batch loss: ${d.reduction}`, 92, '  '));
    out.push(wrapText(d.explanation, 92, '  '));
    if (d.head) out.push(wrapText(`head advice: ${d.head.note}`, 92, '  '));
    return out.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}
