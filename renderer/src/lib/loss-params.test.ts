import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../../main/losses/types';
import { checkParamInput, describeAccepted, paramInputText } from './loss-params';

const gamma: ParamSpec = { key: 'gamma', label: 'γ', description: '', type: 'number', default: 2, min: 0 };
const beta: ParamSpec = { key: 'beta', label: 'β', description: '', type: 'number', default: 0.999, min: 0, max: 1, maxInclusive: false };
const alpha: ParamSpec = { key: 'alpha', label: 'α', description: '', type: 'vector', default: null, min: 0, nullable: true, scalarAllowed: true };
const weights: ParamSpec = { key: 'w', label: 'w', description: '', type: 'vector', default: null, min: 0 };
const mode: ParamSpec = { key: 'mode', label: 'mode', description: '', type: 'enum', default: 'a', options: ['a', 'b'] };

describe('checkParamInput', () => {
  it('accepts numbers in range, plain and scientific', () => {
    expect(checkParamInput(gamma, ' 1.5 ', null)).toEqual({ ok: true, value: 1.5 });
    expect(checkParamInput(gamma, '1e-3', null)).toEqual({ ok: true, value: 0.001 });
  });

  it('refuses what Number() would wrongly accept', () => {
    for (const text of ['0x10', '1,5', 'abc', '2 3']) expect(checkParamInput(gamma, text, null).ok).toBe(false);
  });

  it('honours inclusive and exclusive bounds', () => {
    expect(checkParamInput(gamma, '0', null).ok).toBe(true);
    expect(checkParamInput(gamma, '-0.1', null).ok).toBe(false);
    expect(checkParamInput(beta, '0.99', null).ok).toBe(true);
    const atBound = checkParamInput(beta, '1', null);
    expect(atBound.ok).toBe(false);
    if (!atBound.ok) expect(atBound.message).toContain('[0, 1)');
  });

  it('requires a value unless the parameter can be switched off', () => {
    expect(checkParamInput(gamma, '', null).ok).toBe(false);
    expect(checkParamInput(alpha, '', null)).toEqual({ ok: true, value: null });
    expect(checkParamInput(alpha, 'None', null)).toEqual({ ok: true, value: null });
  });

  it('accepts a per-class vector of the right length, or one number when scalars are allowed', () => {
    expect(checkParamInput(alpha, '0.25', 3)).toEqual({ ok: true, value: 0.25 });
    expect(checkParamInput(alpha, '1, 2, 3', 3)).toEqual({ ok: true, value: [1, 2, 3] });
    expect(checkParamInput(alpha, '[1 2 3]', 3)).toEqual({ ok: true, value: [1, 2, 3] });
    const short = checkParamInput(alpha, '1, 2', 3);
    expect(short.ok).toBe(false);
    if (!short.ok) expect(short.message).toContain('needs 3 values');
    expect(checkParamInput(weights, '1', 3).ok).toBe(false);
    expect(checkParamInput(alpha, '1, -2, 3', 3).ok).toBe(false);
  });

  it('leaves vector length unchecked while no dataset is open', () => {
    expect(checkParamInput(weights, '1, 2', null)).toEqual({ ok: true, value: [1, 2] });
  });

  it('accepts only listed enum options', () => {
    expect(checkParamInput(mode, 'b', null)).toEqual({ ok: true, value: 'b' });
    expect(checkParamInput(mode, 'c', null).ok).toBe(false);
  });
});

describe('describeAccepted and paramInputText', () => {
  it('states the range in interval notation', () => {
    expect(describeAccepted(gamma)).toBe('A number in [0, ∞)');
    expect(describeAccepted(beta)).toBe('A number in [0, 1)');
    expect(describeAccepted(alpha)).toContain("'none'");
  });

  it('writes stored values back as editable text', () => {
    expect(paramInputText(null)).toBe('');
    expect(paramInputText([1, 2])).toBe('1, 2');
    expect(paramInputText(0.5)).toBe('0.5');
  });
});
