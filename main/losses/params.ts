import { LossParamError } from './errors';
import type { LossContext, LossDefinition, LossParams, ParamSpec } from './types';

/** What a caller may hand in for one parameter: CLI strings, JSON numbers, arrays, or null. */
export type RawParamValue = string | number | boolean | number[] | null | undefined;
export type RawParams = Record<string, RawParamValue>;

/** A catalogue entry plus the hook for constraints that involve several parameters. */
export interface CatalogueEntry extends LossDefinition {
  /**
   * Runs after every parameter was parsed and range-checked. `given` holds the keys the
   * caller actually set, so a hook can tell a default from an explicit choice.
   */
  finishParams?: (params: LossParams, given: ReadonlySet<string>) => LossParams;
}

// A plain decimal or scientific number; Number() alone would accept '', '0x10' and ' '.
const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function formatRange(spec: ParamSpec): string {
  if (spec.type === 'enum') return `one of ${(spec.options ?? []).join(', ')}`;
  const lo = spec.min === undefined ? '(-∞' : `${spec.minInclusive === false ? '(' : '['}${spec.min}`;
  const hi = spec.max === undefined ? '∞)' : `${spec.max}${spec.maxInclusive === false ? ')' : ']'}`;
  const range = `${lo}, ${hi}`;
  if (spec.type === 'vector') {
    const scalar = spec.scalarAllowed ? 'a number or ' : '';
    return `${scalar}one number per class, each in ${range}`;
  }
  return `a number in ${range}`;
}

function describe(spec: ParamSpec): string {
  return formatRange(spec) + (spec.nullable ? ", or 'none'" : '');
}

function fail(lossId: string, spec: ParamSpec, got: unknown): never {
  const shown = typeof got === 'string' ? `'${got}'` : JSON.stringify(got);
  throw new LossParamError(
    `Loss '${lossId}': parameter '${spec.key}' must be ${describe(spec)} (got ${shown}).`,
    lossId,
    spec.key,
  );
}

function inRange(spec: ParamSpec, x: number): boolean {
  if (!Number.isFinite(x)) return false;
  if (spec.min !== undefined && (spec.minInclusive === false ? x <= spec.min : x < spec.min)) return false;
  if (spec.max !== undefined && (spec.maxInclusive === false ? x >= spec.max : x > spec.max)) return false;
  return true;
}

function parseNumber(lossId: string, spec: ParamSpec, raw: unknown, whole: unknown): number {
  let x: number;
  if (typeof raw === 'number') x = raw;
  else if (typeof raw === 'string' && NUMBER_RE.test(raw.trim())) x = Number(raw.trim());
  else fail(lossId, spec, whole);
  if (!inRange(spec, x)) fail(lossId, spec, whole);
  return x;
}

function isNone(raw: RawParamValue): boolean {
  return raw === null || (typeof raw === 'string' && raw.trim().toLowerCase() === 'none');
}

/** Parses and range-checks one parameter value. Vector lengths are checked later, against the classes. */
export function parseParamValue(lossId: string, spec: ParamSpec, raw: RawParamValue): number | string | number[] | null {
  if (isNone(raw)) {
    if (spec.nullable) return null;
    fail(lossId, spec, raw);
  }
  switch (spec.type) {
    case 'number':
      return parseNumber(lossId, spec, raw, raw);
    case 'enum': {
      const v = typeof raw === 'string' ? raw.trim() : raw;
      if (typeof v !== 'string' || !(spec.options ?? []).includes(v)) fail(lossId, spec, raw);
      return v;
    }
    case 'vector': {
      let items: unknown[];
      if (Array.isArray(raw)) items = raw;
      else if (typeof raw === 'number') items = [raw];
      else if (typeof raw === 'string') {
        // CLI form: "1,2,3" (a JSON-style "[1,2,3]" is accepted too).
        const body = raw.trim().replace(/^\[/, '').replace(/\]$/, '');
        items = body === '' ? [] : body.split(/[,\s]+/).filter((t) => t !== '');
      } else fail(lossId, spec, raw);
      if (items.length === 0) fail(lossId, spec, raw);
      const values = items.map((item) => parseNumber(lossId, spec, item, raw));
      // A lone number stays a number so that "applies to every class" survives a round trip.
      if (values.length === 1 && spec.scalarAllowed && !Array.isArray(raw)) return values[0]!;
      return values;
    }
  }
}

/**
 * Applies defaults, parses CLI strings and validates every range. Unknown keys are refused,
 * because a misspelt key silently using the default would corrupt a comparison.
 */
export function resolveParamsFor(entry: CatalogueEntry, raw: RawParams = {}): LossParams {
  const known = new Map(entry.params.map((p) => [p.key, p]));
  for (const key of Object.keys(raw)) {
    if (raw[key] === undefined) continue;
    if (!known.has(key)) {
      const valid = entry.params.length ? entry.params.map((p) => p.key).join(', ') : 'none';
      throw new LossParamError(
        `Loss '${entry.id}' has no parameter '${key}' (its parameters: ${valid}).`,
        entry.id,
        key,
      );
    }
  }
  const given = new Set<string>();
  const out: LossParams = {};
  for (const spec of entry.params) {
    const value = raw[spec.key];
    if (value === undefined) {
      out[spec.key] = spec.default;
    } else {
      given.add(spec.key);
      out[spec.key] = parseParamValue(entry.id, spec, value);
    }
  }
  return entry.finishParams ? entry.finishParams(out, given) : out;
}

/** Typed accessors for resolved params; they trust resolveParamsFor to have validated. */
export function num(params: LossParams, key: string): number {
  const v = params[key];
  if (typeof v !== 'number') throw new Error(`internal: parameter '${key}' is not a number`);
  return v;
}

export function str(params: LossParams, key: string): string {
  const v = params[key];
  if (typeof v !== 'string') throw new Error(`internal: parameter '${key}' is not a string`);
  return v;
}

/** A vector parameter expanded to one value per class (a scalar broadcasts); null stays null. */
export function perClass(lossId: string, params: LossParams, key: string, numClasses: number): number[] | null {
  const v = params[key];
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return new Array<number>(numClasses).fill(v);
  if (Array.isArray(v)) {
    if (v.length !== numClasses) {
      throw new LossParamError(
        `Loss '${lossId}': parameter '${key}' has ${v.length} values but there are ${numClasses} classes.`,
        lossId,
        key,
      );
    }
    return v.slice();
  }
  throw new Error(`internal: parameter '${key}' is not a vector`);
}

/**
 * Checks what the engine tells a loss about the data. Counts of zero are allowed (a class
 * can lose all its training images under strong imbalance) and handled in weights.ts.
 */
export function checkContext(lossId: string, ctx: LossContext, needsClassCounts: boolean): void {
  const c = ctx.numClasses;
  if (!Number.isInteger(c) || c < 2) {
    throw new LossParamError(`Loss '${lossId}': needs at least 2 classes (got ${c}).`, lossId);
  }
  if (!Number.isInteger(ctx.totalEpochs) || ctx.totalEpochs < 1) {
    throw new LossParamError(`Loss '${lossId}': totalEpochs must be a positive integer (got ${ctx.totalEpochs}).`, lossId);
  }
  if (!needsClassCounts) return;
  const counts = ctx.classCounts;
  if (!Array.isArray(counts) || counts.length !== c) {
    throw new LossParamError(
      `Loss '${lossId}': needs one training-image count per class (${c} classes, got ${Array.isArray(counts) ? counts.length : 'none'}).`,
      lossId,
    );
  }
  for (const n of counts) {
    if (!Number.isInteger(n) || n < 0) {
      throw new LossParamError(`Loss '${lossId}': class counts must be non-negative integers (got ${n}).`, lossId);
    }
  }
  if (counts.every((n) => n === 0)) {
    throw new LossParamError(`Loss '${lossId}': every class count is zero.`, lossId);
  }
}

/**
 * Splits CLI assignments of the form "key=value" (loss-values) or "id.key=value"
 * (run --param, several losses at once). Values keep their string form; the loss parses them.
 */
export function parseParamAssignments(assignments: readonly string[]): RawParams {
  const out: RawParams = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new LossParamError(`Parameter '${a}' must be written key=value.`);
    out[a.slice(0, eq).trim()] = a.slice(eq + 1).trim();
  }
  return out;
}

/** "focal.gamma=1" → { focal: { gamma: '1' } }; every id must be one of `lossIds`. */
export function parseScopedParamAssignments(assignments: readonly string[], lossIds: readonly string[]): Record<string, RawParams> {
  const out: Record<string, RawParams> = {};
  for (const id of lossIds) out[id] = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    const dot = a.lastIndexOf('.', eq);
    if (eq <= 0 || dot <= 0) throw new LossParamError(`Parameter '${a}' must be written lossId.key=value.`);
    const id = a.slice(0, dot).trim();
    if (!lossIds.includes(id)) {
      throw new LossParamError(`Parameter '${a}' names loss '${id}', which is not among the selected losses (${lossIds.join(', ')}).`, id);
    }
    out[id]![a.slice(dot + 1, eq).trim()] = a.slice(eq + 1).trim();
  }
  return out;
}
