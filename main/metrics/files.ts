/**
 * Reading predictions made elsewhere (for `losslab metrics`): labels and probabilities as
 * CSV or JSON, resolved against class names. Every problem is a one-line Error naming the
 * file and line, since the CLI prints the message as is.
 */

import { parseCsv as parseCsvText } from '../util/csv';
import { isProbability, maxRowSumDeviation } from './input';

/** CSV of hand-written or exported input files: fields trimmed. */
export function parseCsv(text: string, delimiter = ','): string[][] {
  return parseCsvText(text, { delimiter, trim: true });
}

/** Comma unless the first line uses tabs or semicolons and no commas (spreadsheet exports). */
function detectDelimiter(text: string): string {
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  if (first.includes(',')) return ',';
  if (first.includes('\t')) return '\t';
  if (first.includes(';')) return ';';
  return ',';
}

function looksLikeJson(text: string, fileName: string): boolean {
  return /\.json$/i.test(fileName) || /^\s*[[{]/.test(text.replace(/^\ufeff/, ''));
}

function parseJson(text: string, fileName: string): unknown {
  try {
    return JSON.parse(text.replace(/^\ufeff/, ''));
  } catch (error) {
    throw new Error(`${fileName} is not valid JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Non-empty CSV rows with their 1-based line numbers (blank lines skipped). */
function csvRows(text: string, fileName: string): { line: number; fields: string[] }[] {
  let rows: string[][];
  try {
    rows = parseCsv(text, detectDelimiter(text));
  } catch (error) {
    throw new Error(`${fileName}: ${(error as Error).message}`);
  }
  const out: { line: number; fields: string[] }[] = [];
  rows.forEach((fields, i) => {
    if (fields.length === 1 && fields[0] === '') return;
    out.push({ line: i + 1, fields });
  });
  return out;
}

export interface RawLabels {
  /** One token per sample (numbers as their decimal text), with where it came from. */
  tokens: { value: string; where: string }[];
}

/**
 * Labels: a JSON array (or {"labels": [...]}) of class indices or names, or a one-column
 * CSV/text file, one label per line, optionally under a header line.
 */
export function parseLabelsFile(text: string, fileName: string): RawLabels {
  if (looksLikeJson(text, fileName)) {
    const data = parseJson(text, fileName);
    const arr = Array.isArray(data) ? data : (data as { labels?: unknown })?.labels;
    if (!Array.isArray(arr)) throw new Error(`${fileName} must hold a JSON array of labels (or {"labels": [...]})`);
    return {
      tokens: arr.map((v, i) => {
        if (typeof v === 'number' || typeof v === 'string') return { value: String(v).trim(), where: `${fileName} item ${i}` };
        throw new Error(`${fileName} item ${i} is ${JSON.stringify(v)}; labels must be class indices or names`);
      }),
    };
  }
  const rows = csvRows(text, fileName);
  return {
    tokens: rows.map(({ line, fields }) => {
      if (fields.length !== 1) {
        throw new Error(`${fileName} line ${line} has ${fields.length} fields; a labels file has one label per line`);
      }
      return { value: fields[0] as string, where: `${fileName} line ${line}` };
    }),
  };
}

export interface RawProbs {
  rows: number[][];
  /** Class names from a CSV header row or a JSON "classes" field, if the file has them. */
  classNames: string[] | null;
}

function toNumber(s: string): number | null {
  if (s === '') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/**
 * Probabilities: CSV with one row per sample and one column per class (an optional header
 * row of class names), or JSON: an array of rows, or {"probs": [[...]], "classes": [...]}.
 */
export function parseProbsFile(text: string, fileName: string): RawProbs {
  let rows: number[][];
  let classNames: string[] | null = null;
  if (looksLikeJson(text, fileName)) {
    const data = parseJson(text, fileName);
    const obj = data as { probs?: unknown; classes?: unknown };
    const arr = Array.isArray(data) ? data : obj?.probs;
    if (!Array.isArray(arr)) throw new Error(`${fileName} must hold a JSON array of probability rows (or {"probs": [[...]]})`);
    if (!Array.isArray(data) && obj.classes !== undefined) {
      if (!Array.isArray(obj.classes) || !obj.classes.every((c) => typeof c === 'string')) {
        throw new Error(`${fileName}: "classes" must be an array of strings`);
      }
      classNames = obj.classes as string[];
    }
    rows = arr.map((row, i) => {
      if (!Array.isArray(row) || !row.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new Error(`${fileName} row ${i} is not an array of finite numbers`);
      }
      return row as number[];
    });
  } else {
    const csv = csvRows(text, fileName);
    const first = csv[0];
    if (first && first.fields.some((f) => toNumber(f) === null)) {
      classNames = first.fields;
      csv.shift();
    }
    rows = csv.map(({ line, fields }) =>
      fields.map((f, j) => {
        const v = toNumber(f);
        if (v === null) throw new Error(`${fileName} line ${line}, column ${j + 1}: "${f}" is not a number`);
        return v;
      }),
    );
  }
  if (rows.length === 0) throw new Error(`${fileName} has no probability rows`);
  const width = (rows[0] as number[]).length;
  if (width < 2) throw new Error(`${fileName} has ${width} column(s); need one probability per class (at least 2)`);
  rows.forEach((r, i) => {
    if (r.length !== width) throw new Error(`${fileName} row ${i + 1} has ${r.length} values; the first row has ${width}`);
  });
  if (classNames && classNames.length !== width) {
    throw new Error(`${fileName} names ${classNames.length} classes but has ${width} probability columns`);
  }
  return { rows, classNames };
}

/** Parses "--classes a,b,c". */
export function parseClassList(text: string): string[] {
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new Error(`--classes "${text}" has an empty class name`);
  return names;
}

/** Parses "--train-counts 500,120,8". */
export function parseCountList(text: string): number[] {
  return text.split(',').map((s) => {
    const v = Number(s.trim());
    if (s.trim() === '' || !Number.isInteger(v) || v < 0) throw new Error(`--train-counts: "${s.trim()}" is not a non-negative integer`);
    return v;
  });
}

/** Header words recognised on a labels file whose class names are not known in advance. */
const LABEL_HEADER_WORDS = new Set(['label', 'labels', 'y', 'y_true', 'true', 'truth', 'target', 'class', 'true_class', 'true class']);

export interface ResolvedInput {
  labels: Int32Array;
  probs: Float64Array;
  classNames: string[];
  warnings: string[];
}

/**
 * Puts labels, probabilities and class names together. Class names come from --classes,
 * else the probabilities file, else "0".."C−1" when every label is an index, else the
 * distinct label names in alphabetical order (sklearn's LabelBinarizer column order, and
 * a warning says so). A label equal to a class name is that class; otherwise an integer
 * label is a 0-based column index.
 */
export function resolveMetricsInput(raw: {
  labels: RawLabels;
  probs: RawProbs;
  classes?: string[];
  labelsFile?: string;
  probsFile?: string;
}): ResolvedInput {
  const warnings: string[] = [];
  const labelsFile = raw.labelsFile ?? 'labels';
  const probsFile = raw.probsFile ?? 'probabilities';
  const width = (raw.probs.rows[0] as number[]).length;
  let tokens = raw.labels.tokens;
  const isIndex = (s: string) => /^\d+$/.test(s);

  let classNames = raw.classes ?? raw.probs.classNames;
  if (raw.classes && raw.classes.length !== width) {
    throw new Error(`--classes names ${raw.classes.length} classes but ${probsFile} has ${width} probability columns`);
  }
  // A first line that is neither an index nor a class name is a header.
  const first = tokens[0];
  if (first && !isIndex(first.value)) {
    const header = classNames ? !classNames.includes(first.value) : LABEL_HEADER_WORDS.has(first.value.toLowerCase());
    if (header && tokens.length > 1) tokens = tokens.slice(1);
  }
  if (tokens.length === 0) throw new Error(`${labelsFile} has no labels`);
  if (!classNames) {
    if (tokens.every((t) => isIndex(t.value))) {
      classNames = Array.from({ length: width }, (_, i) => String(i));
    } else {
      const names = [...new Set(tokens.map((t) => t.value))].sort();
      if (names.length !== width) {
        throw new Error(
          `${labelsFile} names ${names.length} distinct classes but ${probsFile} has ${width} columns; pass --classes in column order`,
        );
      }
      classNames = names;
      warnings.push(`class names were not given; assuming probability columns are in alphabetical order: ${names.join(', ')}`);
    }
  }
  if (new Set(classNames).size !== classNames.length) throw new Error(`class names are not unique: ${classNames.join(', ')}`);
  const index = new Map(classNames.map((n, i) => [n, i]));
  const labels = Int32Array.from(tokens, (t) => {
    const byName = index.get(t.value);
    if (byName !== undefined) return byName;
    if (isIndex(t.value) && Number(t.value) < width) return Number(t.value);
    throw new Error(`${t.where}: label "${t.value}" is neither a class name nor a class index 0..${width - 1}`);
  });
  if (labels.length !== raw.probs.rows.length) {
    throw new Error(`${labels.length} labels in ${labelsFile} but ${raw.probs.rows.length} probability rows in ${probsFile}`);
  }
  const probs = new Float64Array(labels.length * width);
  raw.probs.rows.forEach((r, i) => probs.set(r, i * width));
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] as number;
    if (!isProbability(p)) {
      throw new Error(
        `${probsFile} row ${Math.floor(i / width) + 1}, column ${(i % width) + 1} is ${p}; expected probabilities in [0, 1] (apply a softmax to logits first)`,
      );
    }
  }
  const deviation = maxRowSumDeviation(probs, width);
  if (deviation > 1e-3) {
    warnings.push(
      `probability rows sum to 1 only within ${deviation.toPrecision(2)}; metrics use them as given, without renormalising (as scikit-learn >= 1.5)`,
    );
  }
  return { labels, probs, classNames, warnings };
}
