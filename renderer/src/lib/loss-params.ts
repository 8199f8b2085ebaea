import type { LossParams, ParamSpec } from '../../../main/losses/types';

export type ParamValue = LossParams[string];

export type ParamCheck = { ok: true; value: ParamValue } | { ok: false; message: string };

// Plain decimal or scientific notation only: Number('') is 0 and Number('0x10') is 16, both wrong here.
const NUMBER_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The accepted values in words, shown under the input before anything goes wrong. */
export function describeAccepted(spec: ParamSpec): string {
  if (spec.type === 'enum') return `One of: ${(spec.options ?? []).join(', ')}`;
  const low = spec.min === undefined ? '−∞' : String(spec.min);
  const high = spec.max === undefined ? '∞' : String(spec.max);
  const open = spec.min === undefined || spec.minInclusive === false ? '(' : '[';
  const close = spec.max === undefined || spec.maxInclusive === false ? ')' : ']';
  const range = `${open}${low}, ${high}${close}`;
  const none = spec.nullable ? "; leave empty or type 'none' to switch it off" : '';
  if (spec.type === 'vector') {
    const scalar = spec.scalarAllowed ? 'One number for every class, or ' : '';
    return `${scalar}${scalar ? 'one' : 'One'} number per class separated by commas, each in ${range}${none}`;
  }
  return `A number in ${range}${none}`;
}

function withinRange(spec: ParamSpec, x: number): boolean {
  if (!Number.isFinite(x)) return false;
  if (spec.min !== undefined && (spec.minInclusive === false ? x <= spec.min : x < spec.min)) return false;
  if (spec.max !== undefined && (spec.maxInclusive === false ? x >= spec.max : x > spec.max)) return false;
  return true;
}

function parseOneNumber(spec: ParamSpec, text: string): number | string {
  if (!NUMBER_PATTERN.test(text)) return `"${text}" is not a number.`;
  const x = Number(text);
  if (!withinRange(spec, x)) return `${text} is outside the allowed range.`;
  return x;
}

/**
 * Turns what the user typed into a parameter value, or says what is wrong in words that
 * tell them what to type instead. `numClasses` is null before a dataset is open; per-class
 * lengths are then checked when the experiment starts.
 */
export function checkParamInput(spec: ParamSpec, raw: string, numClasses: number | null): ParamCheck {
  const text = raw.trim();
  if (text === '' || text.toLowerCase() === 'none') {
    if (spec.nullable) return { ok: true, value: null };
    return { ok: false, message: `${spec.label} needs a value. ${describeAccepted(spec)}.` };
  }
  if (spec.type === 'enum') {
    const options = spec.options ?? [];
    return options.includes(text) ? { ok: true, value: text } : { ok: false, message: `${describeAccepted(spec)}.` };
  }
  if (spec.type === 'number') {
    const parsed = parseOneNumber(spec, text);
    return typeof parsed === 'number' ? { ok: true, value: parsed } : { ok: false, message: `${parsed} ${describeAccepted(spec)}.` };
  }
  const parts = text.replace(/^\[/, '').replace(/\]$/, '').split(/[\s,]+/).filter((p) => p !== '');
  const values: number[] = [];
  for (const part of parts) {
    const parsed = parseOneNumber(spec, part);
    if (typeof parsed === 'string') return { ok: false, message: `${parsed} ${describeAccepted(spec)}.` };
    values.push(parsed);
  }
  if (values.length === 1 && spec.scalarAllowed) return { ok: true, value: values[0]! };
  if (numClasses !== null && values.length !== numClasses) {
    return { ok: false, message: `${spec.label} needs ${numClasses} values, one per class (got ${values.length}).` };
  }
  return { ok: true, value: values };
}

/** How a stored value is written back into a text input. */
export function paramInputText(value: ParamValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}
