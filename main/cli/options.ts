import fs from 'node:fs';
import type { ImbalanceProfile } from '../dataset/types';

/** Parsers for the CLI's compact option syntaxes; each throws a one-line message saying what is accepted. */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseImbalance(text: string): ImbalanceProfile {
  if (text === 'none') return { kind: 'none' };
  const match = /^(exp|step|counts):(.+)$/.exec(text);
  if (!match) throw new UsageError(`--imbalance "${text}" is not one of none, exp:RHO, step:RHO, counts:FILE`);
  const [, kind, arg] = match as unknown as [string, 'exp' | 'step' | 'counts', string];
  if (kind === 'counts') return { kind, counts: readCountsFile(arg) };
  const ratio = Number(arg);
  if (!Number.isFinite(ratio) || ratio < 1) throw new UsageError(`--imbalance ${kind}:RHO needs a ratio ≥ 1, got "${arg}"`);
  return { kind, ratio };
}

/**
 * `--imbalance` with one or several settings: `exp:50` is one; `exp:1,10,50,100` is four ratios
 * of one profile; `none,exp:10,step:10` mixes profiles (a bare number repeats the profile before it).
 */
export function parseImbalanceSettings(text: string): ImbalanceProfile[] {
  if (/^counts:/.test(text)) return [parseImbalance(text)];
  const settings: ImbalanceProfile[] = [];
  let kind: 'exp' | 'step' | null = null;
  for (const token of text.split(',').map((t) => t.trim()).filter(Boolean)) {
    if (/^[\d.eE+-]+$/.test(token)) {
      if (!kind) throw new UsageError(`--imbalance "${text}": the ratio ${token} needs a profile before it, e.g. exp:1,10,50,100`);
      settings.push(parseImbalance(`${kind}:${token}`));
      continue;
    }
    const profile = parseImbalance(token);
    kind = profile.kind === 'exp' || profile.kind === 'step' ? profile.kind : null;
    settings.push(profile);
  }
  if (settings.length === 0) throw new UsageError(`--imbalance "${text}" names no setting; use none, exp:RHO, step:RHO or counts:FILE`);
  return settings;
}

/** A counts file is JSON ({"cat": 100, ...}) or CSV lines of `class,count`. */
export function readCountsFile(file: string): Record<string, number> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the counts file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const counts: Record<string, number> = {};
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(`The counts file ${file} is not valid JSON`);
    }
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) counts[name] = Number(value);
  } else {
    for (const [lineNumber, line] of trimmed.split(/\r?\n/).entries()) {
      if (!line.trim()) continue;
      const at = line.lastIndexOf(',');
      if (at < 0) throw new UsageError(`${file} line ${lineNumber + 1}: expected "class,count"`);
      counts[line.slice(0, at).trim()] = Number(line.slice(at + 1));
    }
  }
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`Counts file ${file}: class "${name}" needs a whole number ≥ 1, got ${value}`);
  }
  return counts;
}

/** `--seeds`: a list of seeds, each a whole number or a range `a-b` (as the app accepts): `1-3,7` is 1, 2, 3, 7. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from || to - from >= 100) throw new UsageError(`--seeds "${text}": the range ${part} must go upwards and hold at most 100 seeds`);
      for (let seed = from; seed <= to; seed++) seeds.push(seed);
    } else seeds.push(Number(part));
  }
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new UsageError(`--seeds "${text}" must be comma-separated whole numbers ≥ 0 or ranges, e.g. 1,2,3 or 1-3`);
  }
  if (new Set(seeds).size !== seeds.length) throw new UsageError(`--seeds "${text}" repeats a seed`);
  return seeds;
}

export function parseList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * `--param focal.gamma=1.5` (repeatable). Numbers become numbers, comma lists of numbers become
 * vectors, anything else stays a string for the loss's own validation to judge.
 */
export function parseLossParams(entries: string[]): Map<string, Record<string, number | string | number[]>> {
  const byLoss = new Map<string, Record<string, number | string | number[]>>();
  for (const entry of entries) {
    const match = /^([\w-]+)\.([\w-]+)=(.*)$/.exec(entry);
    if (!match) throw new UsageError(`--param "${entry}" must look like LOSS.KEY=VALUE, e.g. focal.gamma=2`);
    const [, loss, key, raw] = match as unknown as [string, string, string, string];
    const params = byLoss.get(loss) ?? {};
    params[key] = parseValue(raw);
    byLoss.set(loss, params);
  }
  return byLoss;
}

function parseValue(raw: string): number | string | number[] {
  if (raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  if (raw.includes(',')) {
    const parts = raw.split(',').map(Number);
    if (parts.every(Number.isFinite)) return parts;
  }
  return raw;
}

export function parseInteger(name: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
    return value;
  };
}

export function parseNumber(name: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`${name} must be a number from ${min} to ${max}, got "${text}"`);
    return value;
  };
}

/** A size such as 500M, 2G or 1048576 (bytes); K, M, G, T are powers of 1024. */
export function parseByteSize(name: string) {
  return (text: string): number => {
    const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/iu.exec(text.trim());
    const power = match ? ' KMGT'.indexOf((match[2] || ' ').toUpperCase()) : -1;
    const value = match ? Math.floor(Number(match[1]) * 1024 ** power) : NaN;
    if (!Number.isFinite(value) || value < 1) throw new UsageError(`${name} must be a size such as 500M or 2G, got "${text}"`);
    return value;
  };
}

/** `--model`: cnn, or resnet-DEPTH for the CIFAR ResNets (depth 6n+2: 20, 32, 44, 56, 110). */
export function parseModel(text: string): { family: 'cnn' } | { family: 'resnet'; depth: number } {
  if (text === 'cnn') return { family: 'cnn' };
  const match = /^resnet-(\d+)$/.exec(text);
  const depth = match ? Number(match[1]) : NaN;
  if (!match || depth < 8 || depth > 110 || (depth - 2) % 6 !== 0) {
    throw new UsageError(`--model "${text}" is not one of cnn, resnet-20, resnet-32, resnet-44, resnet-56, resnet-110`);
  }
  return { family: 'resnet', depth };
}

/** `--finetune`: none, all or last:N. */
export function parseFinetune(text: string): 'none' | 'all' | { last: number } {
  if (text === 'none' || text === 'all') return text;
  const match = /^last:(\d+)$/.exec(text);
  if (!match || Number(match[1]) < 1) throw new UsageError(`--finetune "${text}" is not one of none, all, last:N (N ≥ 1 layers with weights)`);
  return { last: Number(match[1]) };
}

/** `--head`: linear or mlp:UNITS. */
export function parseHead(text: string): 'linear' | { mlp: number } {
  if (text === 'linear') return text;
  const match = /^mlp:(\d+)$/.exec(text);
  if (!match || Number(match[1]) < 1) throw new UsageError(`--head "${text}" is not linear or mlp:UNITS (e.g. mlp:256)`);
  return { mlp: Number(match[1]) };
}

/** `--second-stage crt|lws[:EPOCHS]`, also the `+crt` / `+lws:5` part of a --losses entry. */
export function parseSecondStage(text: string): { kind: 'crt' | 'lws'; epochs?: number } | null {
  if (text === 'none') return null;
  const match = /^(crt|lws)(?::(\d+))?$/.exec(text);
  if (!match) throw new UsageError(`second stage "${text}" is not one of none, crt, crt:EPOCHS, lws, lws:EPOCHS`);
  return { kind: match[1] as 'crt' | 'lws', ...(match[2] ? { epochs: Number(match[2]) } : {}) };
}

function recipeEpoch(what: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${what} needs a 0-based epoch (an integer ≥ 0), got "${text}"`);
  return n;
}

/**
 * One --losses entry: a loss id with optional recipe parts joined by '+', e.g.
 * `ce+sampler:class-balanced`, `ldam+drw:8`, `ce+drs:8`, `ce+crt`, `focal+lws:5`.
 * The parts given are returned as a partial recipe (the rest comes from the flags or defaults).
 */
export function parseRecipeEntry(text: string): { id: string; recipe: Record<string, unknown> } {
  const [id, ...parts] = text.split('+').map((p) => p.trim());
  if (!id) throw new UsageError(`--losses entry "${text}" has no loss id`);
  const recipe: Record<string, unknown> = {};
  for (const part of parts) {
    const [name, arg] = part.split(':', 2) as [string, string | undefined];
    if (name === 'sampler' && arg) recipe.sampler = arg;
    else if (name === 'drw' && arg !== undefined) recipe.drw = { epoch: recipeEpoch(`${id}+drw`, arg) };
    else if (name === 'drs' && arg !== undefined) recipe.drs = recipeEpoch(`${id}+drs`, arg);
    else if (name === 'crt' || name === 'lws') recipe.secondStage = parseSecondStage(part);
    else throw new UsageError(`--losses entry "${text}": "${part}" is not a recipe part (sampler:NAME, drw:EPOCH, drs:EPOCH, crt[:EPOCHS], lws[:EPOCHS])`);
  }
  return { id, recipe };
}
