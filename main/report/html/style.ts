/** Paper sizes the PDF is laid out for. */
export type Paper = 'a4' | 'letter';

/**
 * The report's whole stylesheet, inlined. System font stacks only (no web fonts); print
 * rules keep tables, figures and example cards from splitting across pages.
 */
export function reportStyle(paper: Paper | null): string {
  const page = paper ? `@page { size: ${paper === 'a4' ? 'A4' : 'letter'}; margin: 14mm 12mm 16mm 12mm; }` : '@page { margin: 14mm 12mm; }';
  return `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1f24; margin: 0 auto; max-width: 1080px; padding: 24px 28px 60px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #d8dee4; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p, li { max-width: 860px; }
.subtitle { color: #57606a; margin: 0 0 16px; }
.lead { font-size: 15px; background: #f3f6f9; border-left: 4px solid #0072B2; padding: 10px 14px; }
.notes { background: #fff8e6; border-left: 4px solid #E69F00; padding: 8px 14px; }
nav.toc ol { columns: 2; margin: 6px 0; }
.table-wrap { overflow-x: auto; margin: 8px 0 14px; }
table { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 3px 7px; text-align: right; vertical-align: top; }
td.text { text-align: left; }
thead th { background: #f3f6f9; text-align: center; }
tbody th { text-align: left; font-weight: 600; white-space: nowrap; }
td small, th small { display: block; color: #57606a; font-weight: normal; white-space: nowrap; }
td.best { font-weight: 700; }
tr.posthoc th, tr.posthoc td { background: #fafbfc; font-style: italic; }
.ns { color: #8c959f; }
.badge { display: inline-block; white-space: nowrap; font-size: 11px; padding: 0 5px; border-radius: 8px; border: 1px solid currentColor; font-style: normal; }
.badge.sig { color: #1a7f37; }
.badge.ns { color: #8c959f; }
table.confusion td { min-width: 34px; text-align: center; }
table.confusion td small { font-size: 10.5px; color: inherit; opacity: 0.8; }
figure { margin: 8px 0 16px; }
figcaption { font-size: 12px; color: #57606a; max-width: 760px; }
svg.chart { max-width: 100%; height: auto; font: 10.5px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
svg .grid { stroke: #eaeef2; }
svg .axis { stroke: #57606a; }
svg .tick { fill: #57606a; }
svg .axis-label, svg .chart-note { fill: #1b1f24; }
svg .row-label { fill: #1b1f24; font-size: 11.5px; }
svg .diagonal { stroke: #57606a; stroke-dasharray: 4 3; }
svg .gap { fill: #D55E00; fill-opacity: 0.25; }
svg .after { fill: #1b1f24; }
svg .zero { stroke: #57606a; stroke-dasharray: 3 3; }
svg .ci { stroke: #1b1f24; stroke-width: 2; }
svg .est { fill: #1b1f24; }
svg .est.ns { fill: #fff; stroke: #1b1f24; stroke-width: 1.5; }
.grid-charts { display: flex; flex-wrap: wrap; gap: 10px 18px; }
.grid-charts figure { margin: 0; }
ul.legend { list-style: none; padding: 0; margin: 4px 0 10px; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; }
ul.legend li { display: flex; align-items: center; gap: 5px; }
.swatch { display: inline-block; width: 16px; height: 0; border-top: 3px solid; }
.swatch.dashed { border-top-style: dashed; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 8px 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.loss { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 14px; margin: 10px 0; }
.loss .formula { overflow-x: auto; overflow-y: hidden; font-size: 15px; padding: 4px 0; }
.loss .citation { font-size: 12.5px; color: #57606a; }
code, pre { font: 12.5px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.examples { display: flex; flex-wrap: wrap; gap: 10px; }
.example { width: 140px; font-size: 11.5px; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px; }
.example img { display: block; width: 64px; height: 64px; image-rendering: pixelated; margin: 0 auto 4px; border: 1px solid #eaeef2; }
.example .missing { width: 64px; height: 64px; margin: 0 auto 4px; background: #f3f6f9; color: #8c959f; display: flex; align-items: center; justify-content: center; text-align: center; font-size: 10px; }
.example .file { word-break: break-all; color: #57606a; }
footer { margin-top: 40px; font-size: 12px; color: #57606a; }
${page}
@media print {
  body { max-width: none; padding: 0; font-size: 11.5px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  section { break-before: auto; }
  table, figure, .loss, .example, pre, dl.facts { break-inside: avoid; page-break-inside: avoid; }
  .table-wrap { overflow: visible; }
  table { font-size: 10.5px; }
  nav.toc { display: none; }
  a { color: inherit; text-decoration: none; }
}
`;
}
