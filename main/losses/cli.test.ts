/** The two CLI commands, driven through commander as the CLI entry does. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerLossValuesCommand } from '../cli/commands/loss-values';
import { registerLossesCommand } from '../cli/commands/losses';
import { useBackend } from './harness';
import { listLosses } from './registry';

let dir = '';
before(async () => {
  await useBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-loss-cli-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<string> {
  let out = '';
  const program = new Command('losslab').exitOverride();
  program.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  registerLossesCommand(program, (s) => (out += s));
  registerLossValuesCommand(program, (s) => (out += s));
  await program.parseAsync(args, { from: 'user' });
  return out;
}

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('losslab losses', () => {
  test('--json lists every loss with formula, params (defaults, ranges) and citation', async () => {
    const list = JSON.parse(await run(['losses', '--json'])) as { id: string; formula: string; params: { key: string; default: unknown; range: string }[]; citation: { year: number } }[];
    assert.deepEqual(list.map((l) => l.id), listLosses().map((l) => l.id));
    const focal = list.find((l) => l.id === 'focal')!;
    assert.match(focal.formula, /\\gamma/);
    assert.deepEqual(focal.params.map((p) => [p.key, p.default, p.range]), [
      ['gamma', 2, 'a number in [0, ∞)'],
      ['alpha', null, "a number or one number per class, each in [0, ∞), or 'none'"],
    ]);
    assert.equal(focal.citation.year, 2017);
    assert.deepEqual((list.find((l) => l.id === 'ldam') as unknown as { tags: string[] }).tags, ['imbalance', 'margin']);
  });
  test('plain text names each loss with its --param syntax', async () => {
    const text = await run(['losses']);
    for (const l of listLosses()) assert.ok(text.includes(`${l.id} — ${l.name}`), l.id);
    assert.ok(text.includes('--param cb-ce.beta=…  default 0.9999; a number in [0, 1)'));
    assert.ok(text.includes('[embedding: two-stage, linear probe]'));
    assert.ok(text.includes('balanced-softmax — Balanced softmax\n  for:       imbalance\n'), 'each loss says what it is for');
  });
});

describe('losslab loss-values', () => {
  test('prints per-sample values, the reduced loss and the gradient as JSON', async () => {
    const logits = file('z.json', '[[0, 1.0986122886681098], [5, 5]]');
    const labels = file('y.csv', 'label\n1\n0\n');
    const out = JSON.parse(await run(['loss-values', '--loss', 'ce', '--logits', logits, '--labels', labels])) as { perSample: number[]; mean: number; gradient: number[][] };
    assert.ok(Math.abs(out.perSample[0]! - -Math.log(0.75)) < 1e-6);
    assert.ok(Math.abs(out.mean - (-Math.log(0.75) + Math.log(2)) / 2) < 1e-6);
    assert.equal(out.gradient.length, 2);
  });
  test('repeatable --param, CSV logits, class counts and the DRW epoch', async () => {
    const logits = file('z.csv', '1,0,0.5\n0,1,0.2\n');
    const labels = file('y.json', '[0, 2]');
    const counts = file('n.csv', '100,10,1');
    const args = ['loss-values', '--loss', 'ldam', '--param', 's=10', '--param', 'maxMargin=0.4', '--logits', logits, '--labels', labels, '--class-counts', counts, '--total-epochs', '10'];
    const early = JSON.parse(await run([...args, '--epoch', '7'])) as { mean: number; params: Record<string, unknown> };
    const late = JSON.parse(await run([...args, '--epoch', '8'])) as { mean: number };
    assert.equal(early.params['s'], 10);
    assert.equal(early.params['maxMargin'], 0.4);
    assert.notEqual(early.mean, late.mean);
  });
  test('errors are thrown as one-line messages for the CLI entry to print', async () => {
    const logits = file('z2.json', '[[1, 2]]');
    const labels = file('y2.json', '[0]');
    await assert.rejects(run(['loss-values', '--loss', 'focal', '--param', 'gamma=-1', '--logits', logits, '--labels', labels]), /Loss 'focal': parameter 'gamma' must be a number in \[0, ∞\)/);
    await assert.rejects(run(['loss-values', '--loss', 'cb-ce', '--logits', logits, '--labels', labels]), /needs the training-set class counts \(--class-counts FILE\)/);
    await assert.rejects(run(['loss-values', '--loss', 'ce', '--logits', path.join(dir, 'missing.json'), '--labels', labels]), /Cannot read the logits file .*missing\.json: ENOENT/);
    await assert.rejects(run(['loss-values', '--loss', 'ce', '--param', 'oops', '--logits', logits, '--labels', labels]), /must be written key=value/);
    await assert.rejects(run(['loss-values', '--loss', 'ce', '--logits', logits, '--labels', labels, '--epoch', 'x']), /--epoch must be a whole number/);
  });
});
