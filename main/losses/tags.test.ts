import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listLosses } from './registry';
import { CATALOGUE_TAGS, LOSS_PRESETS, LOSS_TAGS, tagsOf } from './tags';

test('every loss of the catalogue is tagged, and only with known tags', () => {
  const ids = listLosses().map((loss) => loss.id);
  assert.deepEqual(Object.keys(CATALOGUE_TAGS).sort(), [...ids].sort());
  for (const id of ids) {
    assert.ok(tagsOf(id).length > 0, `${id} has a tag`);
    for (const tag of tagsOf(id)) assert.ok(tag in LOSS_TAGS, `${id}: ${tag} is a known tag`);
  }
});

test('"imbalance" finds the losses made for long tails, whatever their names say', () => {
  for (const id of ['cb-ce', 'ldam', 'balanced-softmax', 'logit-adjusted', 'weighted-ce', 'focal']) {
    assert.ok(tagsOf(id).includes('imbalance'), `${id} is tagged imbalance`);
  }
  assert.ok(!tagsOf('ce').includes('imbalance'));
});

test('presets name only losses of the catalogue, each once', () => {
  const ids = new Set(listLosses().map((loss) => loss.id));
  for (const preset of LOSS_PRESETS) {
    assert.equal(new Set(preset.losses).size, preset.losses.length, preset.id);
    for (const id of preset.losses) assert.ok(ids.has(id), `${preset.id}: ${id} exists`);
  }
});
