import { escapeHtml } from './format';

type Katex = typeof import('katex');

let katex: Katex | null | undefined;

function loadKatex(): Katex | null {
  if (katex === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      katex = require('katex') as Katex;
    } catch {
      katex = null;
    }
  }
  return katex;
}

/**
 * A TeX formula as inline MathML, rendered now so the report needs no script or font:
 * browsers lay MathML out natively. The xmlns attribute is dropped (HTML parsers put <math>
 * in the MathML namespace anyway), so the file holds no URL. Without KaTeX, or for TeX it
 * cannot parse, the source is shown as code instead.
 */
export function texToMathml(tex: string, display = true): string {
  const k = loadKatex();
  if (k) {
    try {
      const html = k.renderToString(tex, { output: 'mathml', displayMode: display, throwOnError: true, strict: 'ignore' });
      return html.replace(/\s+xmlns="[^"]*"/g, '');
    } catch {
      // fall through to the source
    }
  }
  return `<code class="tex">${escapeHtml(tex)}</code>`;
}
