import { describe, expect, it } from 'vitest';
import { fitLabel } from './fit-label';

describe('fitLabel', () => {
  it('keeps a long name whole when its slot has room for it', () => {
    expect(fitLabel('sneaker-high-top', 120)).toBe('sneaker-high-top');
  });

  it('shortens only to what fits, with an ellipsis, never below three characters', () => {
    expect(fitLabel('sneaker-high-top', 64)).toBe('sneaker-h…');
    expect(fitLabel('sneaker-high-top', 5)).toBe('sn…');
  });
});
