import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerMetricsCommand, runMetricsCommand } from './metrics';

const dir = mkdtempSync(join(tmpdir(), 'losslab-metrics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// 6 samples, 3 classes; predictions: row-argmax = [0, 1, 1, 2, 2, 0].
const labels = file('labels.csv', 'label\ncat\ndog\ncat\nfox\nfox\ndog\n');
const probs = file('probs.csv', 'cat,dog,fox\n0.8,0.1,0.1\n0.2,0.7,0.1\n0.3,0.4,0.3\n0.1,0.1,0.8\n0.0,0.4,0.6\n0.5,0.25,0.25\n');

async function cli(args: string[]): Promise<string> {
  let out = '';
  // exitOverride: commander throws instead of exiting; silent stderr keeps test output clean.
  const program = new Command('losslab').exitOverride().configureOutput({ writeErr: () => undefined });
  registerMetricsCommand(program, (t) => (out += t));
  await program.parseAsync(['node', 'losslab', 'metrics', ...args]);
  return out;
}

describe('losslab metrics', () => {
  it('prints a readable table', async () => {
    const text = await cli(['--labels', labels, '--probs', probs]);
    assert.match(text, /^6 samples, 3 classes/);
    assert.match(text, /\naccuracy\s+0\.6667\n/);
    assert.match(text, /balanced accuracy\s+0\.6667/); // recalls 1/2, 1/2, 1
    assert.match(text, /Per class/);
    assert.match(text, /Confusion matrix \(rows: true class, columns: predicted\)/);
    // cat row: one right, one predicted dog.
    assert.match(text, /\ncat\s+1\s+1\s+0\n/);
    assert.doesNotMatch(text, /many-shot/);
  });

  it('prints JSON with metrics, classes and the reliability diagram', async () => {
    const out = JSON.parse(await cli(['--labels', labels, '--probs', probs, '--json', '--train-counts', '500,30,5']));
    assert.deepEqual(out.classes, ['cat', 'dog', 'fox']);
    assert.equal(out.samples, 6);
    assert.equal(out.metrics.accuracy, 4 / 6);
    assert.deepEqual(out.metrics.confusion, [[1, 1, 0], [1, 1, 0], [0, 0, 2]]);
    assert.deepEqual(out.metrics.shotGroups, { many: 0.5, medium: 0.5, few: 1 });
    assert.equal(out.reliability.bins.length, 15);
    assert.equal(out.reliability.ece, out.metrics.ece);
    assert.deepEqual(out.warnings, []);
  });

  it('takes JSON inputs with class indices and --classes', () => {
    const l = file('l.json', '[0, 1, 1]');
    const p = file('p.json', '[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]');
    const out = JSON.parse(runMetricsCommand({ labels: l, probs: p, classes: 'neg,pos', json: true }));
    assert.deepEqual(out.classes, ['neg', 'pos']);
    assert.equal(out.metrics.perClass[1].recall, 0.5);
  });

  it('fails with one-line reasons', async () => {
    assert.throws(() => runMetricsCommand({ labels: join(dir, 'missing.csv'), probs }), /^Error: cannot read labels file .*missing\.csv: no such file$/);
    assert.throws(() => runMetricsCommand({ labels: dir, probs }), /cannot read labels file .*: it is a folder/);
    assert.throws(() => runMetricsCommand({ labels, probs, trainCounts: '1,2' }), /--train-counts has 2 numbers for 3 classes/);
    await assert.rejects(cli(['--probs', probs]), /required option '--labels <file>' not specified/);
  });
});
