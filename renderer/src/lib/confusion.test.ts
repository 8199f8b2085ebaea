import { describe, expect, it } from 'vitest';
import { normaliseConfusion, scalePosition, sharedScaleMax } from './confusion';

const matrix = [
  [8, 2, 0],
  [1, 3, 0],
  [0, 0, 0],
];

describe('normaliseConfusion', () => {
  it('keeps counts as they are (and copies them)', () => {
    const shown = normaliseConfusion(matrix, 'counts');
    expect(shown).toEqual(matrix);
    expect(shown[0]).not.toBe(matrix[0]);
  });

  it('row-normalises so each true class sums to 1 (recall on the diagonal)', () => {
    const shown = normaliseConfusion(matrix, 'row');
    expect(shown[0]).toEqual([0.8, 0.2, 0]);
    expect(shown[1]).toEqual([0.25, 0.75, 0]);
  });

  it('column-normalises so each predicted class sums to 1 (precision on the diagonal)', () => {
    const shown = normaliseConfusion(matrix, 'column');
    expect(shown[0]![0]).toBeCloseTo(8 / 9);
    expect(shown[1]![0]).toBeCloseTo(1 / 9);
    expect(shown[0]![1]).toBeCloseTo(0.4);
    expect(shown[1]![1]).toBeCloseTo(0.6);
  });

  it('marks cells of an empty row or column as null rather than 0 %', () => {
    expect(normaliseConfusion(matrix, 'row')[2]).toEqual([null, null, null]);
    expect(normaliseConfusion(matrix, 'column').map((row) => row[2])).toEqual([null, null, null]);
  });
});

describe('sharedScaleMax', () => {
  it('uses the largest count over every matrix, so one colour means one value everywhere', () => {
    expect(sharedScaleMax([matrix, [[20, 1], [0, 5]]], 'counts')).toBe(20);
  });

  it('fixes normalised views to [0, 1] even when no cell reaches 1', () => {
    expect(sharedScaleMax([[[1, 1], [1, 1]]], 'row')).toBe(1);
    expect(sharedScaleMax([[[1, 1], [1, 1]]], 'column')).toBe(1);
  });

  it('never returns 0 (an all-zero matrix would divide by zero)', () => {
    expect(sharedScaleMax([[[0, 0], [0, 0]]], 'counts')).toBe(1);
    expect(sharedScaleMax([], 'counts')).toBe(1);
  });
});

describe('scalePosition', () => {
  it('maps onto [0, 1] and clamps', () => {
    expect(scalePosition(5, 10)).toBe(0.5);
    expect(scalePosition(15, 10)).toBe(1);
    expect(scalePosition(-1, 10)).toBe(0);
    expect(scalePosition(NaN, 10)).toBe(0);
    expect(scalePosition(3, 0)).toBe(0);
  });
});
