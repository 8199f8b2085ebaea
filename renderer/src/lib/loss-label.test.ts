import { describe, expect, it } from 'vitest';
import type { LossInfo } from '../../../main/api/contract';
import { entryLabel, lossKeyLabel, lossLabel } from './loss-label';

const focal = {
  id: 'focal',
  name: 'Focal loss (softmax)',
  params: [
    { key: 'gamma', label: 'γ', description: '', type: 'number', default: 2 },
    { key: 'alpha', label: 'α', description: '', type: 'vector', default: null },
  ],
} as unknown as LossInfo;

describe('loss labels', () => {
  it('names a loss from the catalogue and writes the parameters that differ from the defaults', () => {
    expect(lossLabel('focal', { gamma: 2, alpha: null }, [focal])).toEqual({ name: 'Focal loss (softmax)', detail: '', full: 'α = none, γ = 2' });
    expect(lossLabel('focal', { gamma: 1, alpha: null }, [focal])).toMatchObject({ detail: 'γ = 1' });
  });

  it('reads the same from a loss key, keeping commas inside arrays', () => {
    expect(lossKeyLabel('focal(alpha=[0.25,1],gamma=2)', [focal])).toEqual({ name: 'Focal loss (softmax)', detail: 'α = [0.25, 1]', full: 'α = [0.25, 1], γ = 2' });
    expect(lossKeyLabel('focal', [focal])).toEqual({ name: 'Focal loss (softmax)', detail: '', full: '' });
  });

  it('names a recipe after its loss: sampler, DRW/DRS epochs and second stage in words', () => {
    expect(lossKeyLabel('focal(alpha=[0.25,1],gamma=1)+sampler=sqrt+drw=8+lws(epochs=3)', [focal])).toEqual({
      name: 'Focal loss (softmax) + square-root sampler + DRW@8 + LWS',
      detail: 'α = [0.25, 1], γ = 1',
      full: 'α = [0.25, 1], γ = 1',
    });
    expect(lossKeyLabel('focal+sampler=class-balanced+drs=4+crt', [focal]).name).toBe('Focal loss (softmax) + class-balanced sampler + DRS@4 + cRT');
  });

  it('labels a trained entry from its parameters and its key’s recipe; a recipe’s DRW hides LDAM’s own drw setting', () => {
    const ldam = {
      id: 'ldam',
      name: 'LDAM',
      params: [
        { key: 'drw', label: 'DRW', description: '', type: 'enum', default: 'on' },
        { key: 'C', label: 'C', description: '', type: 'number', default: 0.5 },
      ],
    } as unknown as LossInfo;
    expect(entryLabel('ldam(C=0.5,drw="off")+drw=8', 'ldam', { drw: 'off', C: 0.5 }, [ldam])).toEqual({ name: 'LDAM + DRW@8', detail: '', full: 'C = 0.5' });
    expect(entryLabel('ldam(C=1,drw="off")', 'ldam', { drw: 'off', C: 1 }, [ldam])).toEqual({ name: 'LDAM', detail: 'C = 1, DRW = off', full: 'C = 1, DRW = off' });
    expect(entryLabel('focal(gamma=1)+sampler=sqrt', 'focal', { gamma: 1, alpha: null }, [focal])).toMatchObject({ name: 'Focal loss (softmax) + square-root sampler', detail: 'γ = 1' });
  });

  it('falls back to the id for a loss the catalogue does not know', () => {
    expect(lossKeyLabel('custom(k=1)', [])).toMatchObject({ name: 'custom', detail: 'k = 1' });
  });
});
