/**
 * Reading the numeric inputs of `losslab loss-values` (logits or embeddings, labels, class
 * counts). Two formats, chosen by the first non-blank character:
 *  - JSON: '[' starts an array — [[…], […]] for a table, […] for a list;
 *  - CSV otherwise: one row per line, values separated by commas, semicolons, tabs or spaces;
 *    blank lines and lines starting with '#' are skipped; a first row containing anything that
 *    is not a number is taken as a header and skipped. A list may be written as one row or one
 *    column.
 * Errors are plain one-line Errors naming the input.
 */

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function toNumber(token: unknown, what: string, where: string): number {
  if (typeof token === 'number' && Number.isFinite(token)) return token;
  if (typeof token === 'string' && NUMBER_RE.test(token)) return Number(token);
  throw new Error(`${what}: ${where} is not a finite number (${JSON.stringify(token)}).`);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${what}: invalid JSON (${(e as Error).message.split('\n')[0]}).`);
  }
}

function csvRows(text: string): string[][] {
  const rows = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/[\s,;]+/).filter((t) => t !== ''));
  if (rows.length > 0 && rows[0]!.some((t) => !NUMBER_RE.test(t))) rows.shift();
  return rows;
}

/** A rectangular table of finite numbers, at least one row and one column. */
export function parseNumberTable(text: string, what: string): number[][] {
  let rows: number[][];
  if (text.trimStart().startsWith('[')) {
    const data = parseJson(text, what);
    if (!Array.isArray(data) || !data.every((r) => Array.isArray(r))) throw new Error(`${what}: expected a JSON array of rows, e.g. [[1.5, -0.2], [0.3, 2]].`);
    rows = (data as unknown[][]).map((r, i) => r.map((v, j) => toNumber(v, what, `row ${i + 1}, column ${j + 1}`)));
  } else {
    rows = csvRows(text).map((r, i) => r.map((v, j) => toNumber(v, what, `row ${i + 1}, column ${j + 1}`)));
  }
  if (rows.length === 0) throw new Error(`${what}: no rows.`);
  const width = rows[0]!.length;
  if (width === 0) throw new Error(`${what}: row 1 is empty.`);
  rows.forEach((r, i) => {
    if (r.length !== width) throw new Error(`${what}: row ${i + 1} has ${r.length} values, expected ${width} like row 1.`);
  });
  return rows;
}

/** A non-empty list of finite numbers (JSON array, or CSV as one row or one column). */
export function parseNumberList(text: string, what: string): number[] {
  if (text.trimStart().startsWith('[')) {
    const data = parseJson(text, what);
    if (!Array.isArray(data)) throw new Error(`${what}: expected a JSON array of numbers.`);
    const flat = data.map((v) => (Array.isArray(v) && v.length === 1 ? v[0] : v) as unknown);
    if (flat.length === 0) throw new Error(`${what}: the list is empty.`);
    return flat.map((v, i) => toNumber(v, what, `item ${i + 1}`));
  }
  const rows = csvRows(text);
  if (rows.length === 0) throw new Error(`${what}: no values.`);
  if (rows.length > 1 && rows.some((r) => r.length !== 1)) {
    throw new Error(`${what}: write the values as one row or one column (found ${rows.length} rows of several values).`);
  }
  return rows.flat().map((v, i) => toNumber(v, what, `item ${i + 1}`));
}
