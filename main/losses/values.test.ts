/** The logic behind `losslab loss-values`, and the file formats it reads. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from './harness';
import { LossParamError } from './errors';
import { parseNumberList, parseNumberTable } from './table-input';
import { computeLossValues } from './values';

before(async () => useBackend('cpu'));

describe('computeLossValues', () => {
  test('CE on a hand-checked example', () => {
    // Row 1: logits (0, ln 3) → p = (1/4, 3/4); label 1 → −ln 0.75. Row 2: equal logits, label 0 → ln 2.
    const r = computeLossValues({ lossId: 'ce', output: [[0, Math.log(3)], [5, 5]], labels: [1, 0] });
    assert.equal(r.loss, 'ce');
    assert.equal(r.kind, 'logits');
    assert.ok(Math.abs(r.perSample![0]! - -Math.log(0.75)) < 1e-6);
    assert.ok(Math.abs(r.perSample![1]! - Math.log(2)) < 1e-6);
    assert.ok(Math.abs(r.mean - (-Math.log(0.75) + Math.log(2)) / 2) < 1e-6);
    // d/dz of the batch mean: (p − onehot)/B.
    const expected = [[0.25 / 2, -0.25 / 2], [-0.5 / 2, 0.5 / 2]];
    r.gradient.flat().forEach((g, i) => assert.ok(Math.abs(g - expected.flat()[i]!) < 1e-6, `grad ${i}: ${g}`));
    assert.match(r.reduction, /mean/);
  });
  test('parameters arrive as CLI strings and are reported resolved', () => {
    const r = computeLossValues({ lossId: 'focal', params: { gamma: '0' }, output: [[1, 2, 3]], labels: [2] });
    assert.deepEqual(r.params, { gamma: 0, alpha: null });
  });
  test('weighted losses: "mean" is the reduced batch loss, per-sample values carry the weights', () => {
    const r = computeLossValues({ lossId: 'weighted-ce', output: [[1, 0], [0, 1], [2, 1]], labels: [0, 1, 1], classCounts: [3, 1] });
    // Inverse frequency 1/3, 1 normalised to sum 2: w = (0.5, 1.5).
    const ce = [Math.log(1 + Math.exp(-1)), Math.log(1 + Math.exp(-1)), Math.log(1 + Math.exp(1))];
    const per = [0.5 * ce[0]!, 1.5 * ce[1]!, 1.5 * ce[2]!];
    per.forEach((v, i) => assert.ok(Math.abs(r.perSample![i]! - v) < 1e-6));
    assert.ok(Math.abs(r.mean - (per[0]! + per[1]! + per[2]!) / 3.5) < 1e-6);
  });
  test('LDAM-DRW follows --epoch and --total-epochs', () => {
    const base = { lossId: 'ldam', output: [[1, 0, 0.5], [0, 1, 0.2]], labels: [0, 2], classCounts: [100, 10, 1], totalEpochs: 10 };
    const early = computeLossValues({ ...base, epoch: 7 });
    const late = computeLossValues({ ...base, epoch: 8 });
    assert.notEqual(early.mean, late.mean);
    assert.equal(late.epoch, 8);
  });
  test('embedding losses take features of any width; classes come from the labels or counts', () => {
    const r = computeLossValues({ lossId: 'supcon', output: [[1, 0, 0, 0], [0.9, 0.1, 0, 0], [0, 1, 0, 0]], labels: [0, 0, 1] });
    assert.equal(r.kind, 'embedding');
    assert.equal(r.gradient.length, 3);
    assert.equal(r.gradient[0]!.length, 4);
    assert.equal(r.perSample![2], 0);
  });
  test('dice has no per-sample values', () => {
    const r = computeLossValues({ lossId: 'dice', output: [[1, 0], [0, 1]], labels: [0, 1] });
    assert.equal(r.perSample, null);
    assert.ok(Number.isFinite(r.mean));
  });
  test('problems are one-line errors', () => {
    const one = (fn: () => unknown, re: RegExp) =>
      assert.throws(fn, (e: Error) => {
        assert.match(e.message, re);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    one(() => computeLossValues({ lossId: 'nope', output: [[1, 2]], labels: [0] }), /Unknown loss 'nope'/);
    one(() => computeLossValues({ lossId: 'ce', output: [[1, 2]], labels: [2] }), /Label 1 is 2; labels must be class indices 0\.\.1/);
    one(() => computeLossValues({ lossId: 'ce', output: [[1, 2]], labels: [0.5] }), /Label 1 is 0.5/);
    one(() => computeLossValues({ lossId: 'ce', output: [[1, 2], [1, 2]], labels: [0] }), /1 labels for 2 rows/);
    one(() => computeLossValues({ lossId: 'ce', output: [[1, 2], [1]], labels: [0, 0] }), /same number of values/);
    one(() => computeLossValues({ lossId: 'ce', output: [], labels: [] }), /no rows/);
    one(() => computeLossValues({ lossId: 'cb-ce', output: [[1, 2]], labels: [0] }), /needs the training-set class counts/);
    one(() => computeLossValues({ lossId: 'cb-ce', output: [[1, 2]], labels: [0], classCounts: [1, 2, 3] }), /3 class counts for 2 classes/);
    one(() => computeLossValues({ lossId: 'ldam', output: [[1, 2]], labels: [0], classCounts: [1, 2], epoch: -1 }), /epoch must be an integer/);
    assert.throws(() => computeLossValues({ lossId: 'focal', params: { gamma: '-1' }, output: [[1, 2]], labels: [0] }), LossParamError);
  });
});

describe('input files', () => {
  test('tables: JSON rows, CSV with header, comments and mixed separators', () => {
    assert.deepEqual(parseNumberTable('[[1, 2.5], [-3e-1, 4]]', 'f'), [[1, 2.5], [-0.3, 4]]);
    assert.deepEqual(parseNumberTable('z0,z1,z2\n# a comment\n1,2,3\n\n4;5\t6\r\n', 'f'), [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(parseNumberTable('1 2\n3 4\n', 'f'), [[1, 2], [3, 4]]);
  });
  test('lists: JSON, one CSV row, one CSV column (with header), JSON single-item rows', () => {
    assert.deepEqual(parseNumberList('[0, 2, 1]', 'f'), [0, 2, 1]);
    assert.deepEqual(parseNumberList('0,2,1\n', 'f'), [0, 2, 1]);
    assert.deepEqual(parseNumberList('label\n0\n2\n1\n', 'f'), [0, 2, 1]);
    assert.deepEqual(parseNumberList('[[0], [2]]', 'f'), [0, 2]);
  });
  test('malformed input names the file and the place', () => {
    assert.throws(() => parseNumberTable('[[1, 2], [3]]', 'a.json'), /a\.json: row 2 has 1 values, expected 2/);
    assert.throws(() => parseNumberTable('[[1, "x"]]', 'a.json'), /a\.json: row 1, column 2 is not a finite number/);
    assert.throws(() => parseNumberTable('[1, 2]', 'a.json'), /a\.json: expected a JSON array of rows/);
    assert.throws(() => parseNumberTable('[[1, 2]', 'a.json'), /a\.json: invalid JSON/);
    assert.throws(() => parseNumberTable('1,2\n3,abc\n', 'b.csv'), /b\.csv: row 2, column 2 is not a finite number/);
    assert.throws(() => parseNumberTable('# nothing\n', 'b.csv'), /b\.csv: no rows/);
    assert.throws(() => parseNumberList('1,2\n3,4\n', 'c.csv'), /c\.csv: write the values as one row or one column/);
    assert.throws(() => parseNumberList('[]', 'c.json'), /c\.json: the list is empty/);
    assert.throws(() => parseNumberList('[1, null]', 'c.json'), /c\.json: item 2 is not a finite number/);
  });
});
