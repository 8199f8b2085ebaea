/**
 * The few DOM calls the report tests make, typed by hand: the project compiles without the
 * DOM library and jsdom ships no types. Test support only.
 */
export interface Element {
  id: string;
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): Element | null;
  querySelectorAll(selector: string): ArrayLike<Element> & Iterable<Element>;
}

export interface Document extends Element {
  title: string;
}

/** Parses HTML with jsdom (no scripts run, no resources loaded). */
export function parseHtml(html: string): Document {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JSDOM } = require('jsdom') as { JSDOM: new (html: string) => { window: { document: Document } } };
  return new JSDOM(html).window.document;
}
