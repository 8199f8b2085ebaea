/** The catalogue's contents, defaults and ranges, and the refusal of bad choices before training. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseParamAssignments, parseScopedParamAssignments } from './params';
import { createLoss, getLoss, listLosses, LossParamError, resolveLossParams } from './registry';

const ISSUE_IDS = [
  'ce', 'weighted-ce', 'cb-ce', 'cb-focal', 'cb-sigmoid', 'focal', 'sigmoid-focal', 'label-smoothing', 'logit-adjusted',
  'balanced-softmax', 'ldam', 'mse', 'mae', 'hinge', 'squared-hinge', 'poly1', 'gce', 'sce', 'dice', 'contrastive', 'supcon',
];

function refuses(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LossParamError, `expected LossParamError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    for (const part of parts) {
      if (typeof part === 'string') assert.ok(e.message.includes(part), `message "${e.message}" lacks "${part}"`);
      else assert.match(e.message, part);
    }
    return true;
  });
}

describe('catalogue', () => {
  test('holds exactly the losses of the issue, each once', () => {
    assert.deepEqual(listLosses().map((d) => d.id).sort(), [...ISSUE_IDS].sort());
  });
  test('every entry carries name, TeX formula, citation, explanation, params and flags', () => {
    for (const d of listLosses()) {
      assert.ok(d.name.length > 3, d.id);
      assert.ok(d.formula.includes('\\') || d.formula.includes('^'), `${d.id} formula looks like TeX`);
      assert.ok(d.citation.authors && d.citation.year >= 1990 && d.citation.title, `${d.id} citation`);
      assert.ok(d.explanation.length > 120, `${d.id} explanation`);
      assert.equal(typeof d.needsClassCounts, 'boolean');
      assert.ok(d.kind === 'logits' || d.kind === 'embedding');
      assert.ok(d.reduction && d.reduction.length > 5, `${d.id} reduction`);
      for (const p of d.params) {
        assert.ok(p.key && p.label && p.description, `${d.id}.${p.key}`);
        // The default must itself pass validation.
        assert.doesNotThrow(() => resolveLossParams(d.id, { [p.key]: p.default }), `${d.id}.${p.key} default`);
      }
    }
  });
  test('only the contrastive family is trained as an embedding', () => {
    assert.deepEqual(listLosses().filter((d) => d.kind === 'embedding').map((d) => d.id), ['contrastive', 'supcon']);
  });
  test('class counts are needed exactly by the prior-aware losses', () => {
    assert.deepEqual(
      listLosses().filter((d) => d.needsClassCounts).map((d) => d.id).sort(),
      ['balanced-softmax', 'cb-ce', 'cb-focal', 'cb-sigmoid', 'ldam', 'logit-adjusted', 'weighted-ce'],
    );
  });
  test('defaults are the papers\' (as listed in the issue)', () => {
    const d = (id: string) => resolveLossParams(id, {});
    assert.deepEqual(d('focal'), { gamma: 2, alpha: null });
    assert.deepEqual(d('sigmoid-focal'), { alpha: 0.25, gamma: 2 });
    assert.deepEqual(d('cb-ce'), { beta: 0.9999 });
    assert.deepEqual(d('cb-sigmoid'), { beta: 0.9999 });
    assert.deepEqual(d('cb-focal'), { beta: 0.9999, gamma: 1 });
    assert.deepEqual(d('label-smoothing'), { epsilon: 0.1 });
    assert.deepEqual(d('logit-adjusted'), { tau: 1 });
    assert.deepEqual(d('ldam'), { maxMargin: 0.5, s: 30, drw: 'on', drwStart: 0.8, drwBeta: 0.9999 });
    assert.deepEqual(d('poly1'), { epsilon: 1 });
    assert.deepEqual(d('gce'), { q: 0.7 });
    assert.deepEqual(d('sce'), { alpha: 0.1, beta: 1 });
    assert.deepEqual(d('contrastive'), { margin: 1 });
    assert.deepEqual(d('supcon'), { temperature: 0.1 });
    assert.deepEqual(d('weighted-ce'), { scheme: 'inverse', weights: null });
    assert.deepEqual(d('ce'), {});
  });
  test('listLosses returns a copy', () => {
    const list = listLosses();
    list.pop();
    assert.equal(listLosses().length, ISSUE_IDS.length);
  });
});

describe('parameter parsing', () => {
  test('CLI strings become numbers, enums, vectors and null', () => {
    assert.deepEqual(resolveLossParams('focal', { gamma: '1.5', alpha: '0.1, 0.2 0.7' }), { gamma: 1.5, alpha: [0.1, 0.2, 0.7] });
    assert.deepEqual(resolveLossParams('focal', { alpha: '0.25' }), { gamma: 2, alpha: 0.25 });
    assert.deepEqual(resolveLossParams('focal', { alpha: 'none' }), { gamma: 2, alpha: null });
    assert.deepEqual(resolveLossParams('sigmoid-focal', { alpha: 'None' }), { alpha: null, gamma: 2 });
    assert.deepEqual(resolveLossParams('ldam', { drw: 'off', s: '1e1' }).s, 10);
    assert.deepEqual(resolveLossParams('weighted-ce', { weights: [1, 2] }), { scheme: 'custom', weights: [1, 2] });
  });
  test('resolved params resolve to themselves (they can be stored and passed to create)', () => {
    for (const d of listLosses()) {
      const once = resolveLossParams(d.id, {});
      assert.deepEqual(resolveLossParams(d.id, once as Record<string, number | string | number[] | null>), once, d.id);
    }
    const custom = resolveLossParams('weighted-ce', { weights: '1,2,3' });
    assert.deepEqual(resolveLossParams('weighted-ce', custom as Record<string, number | string | number[] | null>), custom);
  });
  test('key=value and loss.key=value assignments', () => {
    assert.deepEqual(parseParamAssignments(['gamma=1', 'alpha=0.1,0.9']), { gamma: '1', alpha: '0.1,0.9' });
    assert.deepEqual(parseScopedParamAssignments(['focal.gamma=0.5', 'cb-ce.beta=0.99'], ['focal', 'cb-ce', 'ce']), {
      focal: { gamma: '0.5' },
      'cb-ce': { beta: '0.99' },
      ce: {},
    });
    refuses(() => parseParamAssignments(['gamma']), 'key=value');
    refuses(() => parseScopedParamAssignments(['gamma=1'], ['focal']), 'lossId.key=value');
    refuses(() => parseScopedParamAssignments(['ldam.s=1'], ['focal']), "'ldam'", 'focal');
  });
});

describe('bad choices are refused with the loss, the parameter and the allowed range', () => {
  test('unknown loss id lists the valid ids', () => refuses(() => getLoss('softmax-ce'), "'softmax-ce'", 'ce, weighted-ce', 'supcon'));
  test('unknown parameter lists the valid ones', () => refuses(() => resolveLossParams('focal', { gama: 2 }), "'focal'", "'gama'", 'gamma, alpha'));
  test('parameter on a loss without parameters', () => refuses(() => resolveLossParams('ce', { epsilon: 0.1 }), "'ce'", 'none'));
  test('γ < 0', () => {
    refuses(() => resolveLossParams('focal', { gamma: -0.5 }), "Loss 'focal'", "'gamma'", '[0, ∞)', '-0.5');
    refuses(() => resolveLossParams('cb-focal', { gamma: '-1' }), "'cb-focal'", "'gamma'", '[0, ∞)');
    refuses(() => resolveLossParams('sigmoid-focal', { gamma: -2 }), "'sigmoid-focal'", "'gamma'");
  });
  test('β outside [0, 1)', () => {
    for (const id of ['cb-ce', 'cb-focal', 'cb-sigmoid']) {
      refuses(() => resolveLossParams(id, { beta: 1 }), `'${id}'`, "'beta'", '[0, 1)');
      refuses(() => resolveLossParams(id, { beta: -0.1 }), `'${id}'`, "'beta'", '[0, 1)');
    }
    refuses(() => resolveLossParams('ldam', { drwBeta: 1 }), "'ldam'", "'drwBeta'", '[0, 1)');
  });
  test('ε outside [0, 1] for label smoothing; ε < −1 for poly1', () => {
    refuses(() => resolveLossParams('label-smoothing', { epsilon: 1.5 }), "'label-smoothing'", "'epsilon'", '[0, 1]');
    refuses(() => resolveLossParams('label-smoothing', { epsilon: -0.1 }), "'epsilon'", '[0, 1]');
    refuses(() => resolveLossParams('poly1', { epsilon: -1.5 }), "'poly1'", "'epsilon'", '[-1, ∞)');
  });
  test('other ranges', () => {
    refuses(() => resolveLossParams('gce', { q: 0 }), "'gce'", "'q'", '(0, 1]');
    refuses(() => resolveLossParams('gce', { q: 1.01 }), "'q'", '(0, 1]');
    refuses(() => resolveLossParams('logit-adjusted', { tau: -1 }), "'tau'", '[0, ∞)');
    refuses(() => resolveLossParams('sigmoid-focal', { alpha: 1.2 }), "'alpha'", '[0, 1]', "'none'");
    refuses(() => resolveLossParams('focal', { alpha: '0.5,-0.1' }), "'alpha'", 'each in [0, ∞)');
    refuses(() => resolveLossParams('ldam', { s: 0 }), "'s'", '(0, ∞)');
    refuses(() => resolveLossParams('ldam', { drwStart: 1.2 }), "'drwStart'", '[0, 1]');
    refuses(() => resolveLossParams('ldam', { drw: 'yes' }), "'drw'", 'one of on, off');
    refuses(() => resolveLossParams('supcon', { temperature: 0 }), "'temperature'", '[0.001, ∞)');
    refuses(() => resolveLossParams('contrastive', { margin: 0 }), "'margin'", '(0, ∞)');
    refuses(() => resolveLossParams('dice', { smooth: 0 }), "'smooth'");
    refuses(() => resolveLossParams('dice', { denominator: 'cubic' }), "'denominator'", 'squared, linear');
    refuses(() => resolveLossParams('sce', { beta: -1 }), "'sce'", "'beta'");
  });
  test('values that are not numbers', () => {
    for (const bad of ['abc', '', '1.2.3', 'NaN', 'Infinity', '0x10', '1e']) refuses(() => resolveLossParams('focal', { gamma: bad }), "'gamma'");
    refuses(() => resolveLossParams('focal', { gamma: Number.NaN }), "'gamma'");
    refuses(() => resolveLossParams('focal', { gamma: Infinity }), "'gamma'");
    refuses(() => resolveLossParams('focal', { gamma: 'none' }), "'gamma'");
    refuses(() => resolveLossParams('focal', { gamma: [1, 2] }), "'gamma'");
    refuses(() => resolveLossParams('focal', { gamma: true }), "'gamma'");
  });
  test('weighted CE: custom scheme needs weights, weights need the custom scheme, weights must be positive', () => {
    refuses(() => resolveLossParams('weighted-ce', { scheme: 'custom' }), "'weighted-ce'", "'weights'");
    refuses(() => resolveLossParams('weighted-ce', { scheme: 'inverse', weights: '1,2' }), "'weights'", "'custom'");
    refuses(() => resolveLossParams('weighted-ce', { weights: '1,0,2' }), "'weights'", '(0, ∞)');
  });
  test('create() validates too, and checks vectors and class counts against the classes', () => {
    const ctx = { numClasses: 3, classCounts: [10, 5, 1], totalEpochs: 5 };
    refuses(() => getLoss('focal').create({ gamma: -1, alpha: null }, ctx), "'focal'", "'gamma'");
    refuses(() => createLoss('focal', { alpha: '0.2,0.8' }, ctx), "'alpha'", '2 values', '3 classes');
    refuses(() => createLoss('weighted-ce', { weights: '1,2,3,4' }, ctx), "'weights'", '4 values');
    refuses(() => createLoss('cb-ce', {}, { ...ctx, classCounts: [10, 5] }), "'cb-ce'", 'one training-image count per class');
    refuses(() => createLoss('balanced-softmax', {}, { ...ctx, classCounts: [] }), "'balanced-softmax'");
    refuses(() => createLoss('ldam', {}, { ...ctx, classCounts: [10, 5.5, 1] }), 'non-negative integers');
    refuses(() => createLoss('ldam', {}, { ...ctx, classCounts: [0, 0, 0] }), 'zero');
    refuses(() => createLoss('ce', {}, { ...ctx, numClasses: 1 }), 'at least 2 classes');
    refuses(() => createLoss('ldam', {}, { ...ctx, totalEpochs: 0 }), 'totalEpochs');
    // Losses that ignore counts accept a context without them.
    assert.doesNotThrow(() => createLoss('focal', {}, { ...ctx, classCounts: [] }));
  });
});
