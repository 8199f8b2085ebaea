import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClassList, parseCountList, parseCsv, parseLabelsFile, parseProbsFile, resolveMetricsInput } from './files';

function resolve(labelsText: string, probsText: string, classes?: string[], names = { l: 'labels.csv', p: 'probs.csv' }) {
  return resolveMetricsInput({
    labels: parseLabelsFile(labelsText, names.l),
    probs: parseProbsFile(probsText, names.p),
    ...(classes ? { classes } : {}),
    labelsFile: names.l,
    probsFile: names.p,
  });
}

describe('CSV reader', () => {
  it('handles quotes, doubled quotes, CRLF, BOM and a missing final newline', () => {
    assert.deepEqual(parseCsv('\ufeffa,"b, c","say ""hi"""\r\n1, 2 ,3'), [
      ['a', 'b, c', 'say "hi"'],
      ['1', '2', '3'],
    ]);
    assert.throws(() => parseCsv('"open'), /unterminated/);
  });
});

describe('labels and probabilities files', () => {
  it('reads indices from CSV and probabilities with a header of class names', () => {
    const r = resolve('0\n2\n1\n', 'cat,dog,fox\n0.7,0.2,0.1\n0.1,0.1,0.8\n0.3,0.6,0.1\n');
    assert.deepEqual(r.classNames, ['cat', 'dog', 'fox']);
    assert.deepEqual([...r.labels], [0, 2, 1]);
    assert.deepEqual([...r.probs.slice(3, 6)], [0.1, 0.1, 0.8]);
    assert.deepEqual(r.warnings, []);
  });

  it('reads class names as labels, skips a header line, and takes --classes order', () => {
    const r = resolve('label\ndog\ncat\n', '0.2,0.8\n0.9,0.1\n', ['cat', 'dog']);
    assert.deepEqual([...r.labels], [1, 0]);
    // Names that look like numbers match names first: class "7" is column 1.
    const digits = resolve('7\n3\n', '0.2,0.8\n0.9,0.1\n', ['3', '7']);
    assert.deepEqual([...digits.labels], [1, 0]);
  });

  it('infers alphabetical class order from label names, with a warning', () => {
    const r = resolve('y\nzebra\nant\n', '0.1,0.9\n0.8,0.2\n');
    assert.deepEqual(r.classNames, ['ant', 'zebra']);
    assert.deepEqual([...r.labels], [1, 0]);
    assert.match(r.warnings[0]!, /alphabetical/);
  });

  it('reads JSON arrays and objects', () => {
    const r = resolveMetricsInput({
      labels: parseLabelsFile('{"labels": [1, "0"]}', 'l.json'),
      probs: parseProbsFile('{"classes": ["a", "b"], "probs": [[0.4, 0.6], [1, 0]]}', 'p.json'),
    });
    assert.deepEqual(r.classNames, ['a', 'b']);
    assert.deepEqual([...r.labels], [1, 0]);
    assert.equal(parseProbsFile('[[0.5,0.5]]', 'p.txt').rows.length, 1); // JSON detected by content
  });

  it('reads tab- and semicolon-separated exports', () => {
    assert.deepEqual(parseProbsFile('0.5\t0.5\n0.1\t0.9\n', 'p.tsv').rows, [[0.5, 0.5], [0.1, 0.9]]);
    assert.deepEqual(parseProbsFile('0.5;0.5\n', 'p.csv').rows, [[0.5, 0.5]]);
  });

  it('warns when rows do not sum to one and rejects values outside [0, 1]', () => {
    assert.match(resolve('0\n', '0.5,0.4\n').warnings[0]!, /without renormalising/);
    assert.throws(() => resolve('0\n', '2.3,-1.1\n'), /row 1, column 1 is 2.3; expected probabilities in \[0, 1\] \(apply a softmax/);
  });

  it('explains every malformed input in one line', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => resolve('0\n1\n', '0.5,0.5\n'), /^2 labels in labels.csv but 1 probability rows in probs.csv$/],
      [() => resolve('0\n5\n', '0.5,0.5\n0.5,0.5\n'), /labels.csv line 2: label "5" is neither a class name nor a class index 0..1/],
      [() => resolve('0\n', '0.5,0.5\n', ['a', 'b', 'c']), /--classes names 3 classes but probs.csv has 2/],
      [() => resolve('a\nb\nc\n', '0.5,0.5\n0.5,0.5\n0.5,0.5\n'), /3 distinct classes but probs.csv has 2 columns; pass --classes/],
      [() => parseProbsFile('0.5,0.5\n0.2,0.3,0.5\n', 'p.csv'), /p.csv row 2 has 3 values; the first row has 2/],
      [() => parseProbsFile('a,b\n0.5,x\n', 'p.csv'), /p.csv line 2, column 2: "x" is not a number/],
      [() => parseProbsFile('a,b\n', 'p.csv'), /no probability rows/],
      [() => parseProbsFile('1\n1\n', 'p.csv'), /1 column\(s\)/],
      [() => parseProbsFile('a,b,c\n0.5,0.5\n', 'p.csv'), /names 3 classes but has 2 probability columns/],
      [() => parseProbsFile('[[0.5, "x"]]', 'p.json'), /row 0 is not an array of finite numbers/],
      [() => parseProbsFile('{"probs": 3}', 'p.json'), /JSON array of probability rows/],
      [() => parseLabelsFile('[1, {}]', 'l.json'), /item 1 is \{\}/],
      [() => parseLabelsFile('{oops', 'l.json'), /l.json is not valid JSON/],
      [() => parseLabelsFile('0,1\n', 'l.csv'), /line 1 has 2 fields; a labels file has one label per line/],
      [() => resolve('\n\n', '0.5,0.5\n'), /has no labels/],
      [() => parseClassList('a,,b'), /empty class name/],
      [() => parseCountList('10,x'), /"x" is not a non-negative integer/],
    ];
    for (const [fn, message] of cases) {
      assert.throws(fn, (error: Error) => {
        assert.match(error.message, message);
        assert.ok(!error.message.includes('\n'), 'one line');
        return true;
      });
    }
  });
});
