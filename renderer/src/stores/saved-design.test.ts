import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { DatasetOverview, Request } from '../../../main/api/contract';
import { fakeClient } from '../test/fake-client';
import { ceInfo, focalInfo, preview } from '../test/fixtures';
import { AppState } from './app.svelte';
import { SAVED_DESIGN_KEY } from './saved-design';
import { listMethods } from '../../../main/methods/catalogue';

/** localStorage as a page has it, kept in memory so one test can play several page loads. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

function overview(path: string, imageSize = 32): DatasetOverview {
  return { path, imageSize, resize: 'center-crop', classes: ['a', 'b'] } as unknown as DatasetOverview;
}

/** One page load: a fresh AppState on the given storage, against a server that knows some folders. */
function pageLoad(storage: Storage, folders: string[] = ['/data/digits', '/data/birds']) {
  const opened: Request<'dataset.open'>[] = [];
  const { client } = fakeClient({
    'app.info': () => ({ mode: 'served', version: '0.1.0', dataDir: '/tmp/x' }) as never,
    'losses.list': () => [ceInfo, focalInfo],
    'methods.list': () => listMethods(),
    'backends.list': () => [] as never,
    'experiments.running': () => [],
    'dataset.previewImbalance': () => preview([30, 20]),
    'dataset.open': (request) => {
      opened.push(request);
      if (!folders.includes(request.path)) throw new Error(`The folder ${request.path} does not exist.`);
      return overview(request.path, request.imageSize);
    },
  });
  return { app: new AppState(client, storage), opened };
}

describe('the design across page reloads', () => {
  it('comes back after a reload: dataset with its preprocessing, losses with parameters, settings and name', async () => {
    const storage = new MemoryStorage();
    const first = pageLoad(storage);
    await first.app.init();
    first.app.dataset.options = { imageSize: 48, resize: 'center-crop', colorMode: 'grayscale' };
    await first.app.dataset.open('/data/digits');
    const design = first.app.design;
    design.name = 'tail study';
    design.imbalanceKind = 'counts';
    design.customCounts = { a: 30, b: 3 };
    design.losses['focal']!.checked = true;
    design.losses['focal']!.inputs['gamma'] = '1.5';
    design.epochs = 7;
    design.seedsText = '1, 2, 3';
    design.family = 'resnet';
    const recipe = design.addRecipe('focal')!;
    recipe.schedule = 'drs';
    recipe.scheduleEpoch = '3';
    recipe.secondStage = 'lws';
    recipe.stageEpochs = '';
    flushSync();

    const second = pageLoad(storage);
    await second.app.init();
    expect(second.opened).toEqual([{ path: '/data/digits', imageSize: 48, resize: 'center-crop', colorMode: 'grayscale' }]);
    const restored = second.app.design;
    expect(second.app.dataset.path).toBe('/data/digits');
    expect(restored.name).toBe('tail study');
    expect(restored.imbalanceKind).toBe('counts');
    // Reopening the design's own dataset keeps its per-class counts.
    expect(restored.customCounts).toEqual({ a: 30, b: 3 });
    expect(restored.losses['focal']).toEqual({ checked: true, inputs: { gamma: '1.5', alpha: '' } });
    expect(restored.losses['ce']?.checked).toBe(false);
    expect(restored.epochs).toBe(7);
    expect(restored.seedsText).toBe('1, 2, 3');
    expect(restored.family).toBe('resnet');
    // The recipe comes back as typed, the emptied field included, and is flagged as before.
    expect(restored.recipes).toEqual([{ id: recipe.id, lossId: 'focal', sampler: 'class-balanced', schedule: 'drs', scheduleEpoch: '3', drwBeta: '0.9999', secondStage: 'lws', stageEpochs: '' }]);
    expect(restored.buildConfig(null, 2).problems.map((p) => p.field)).toContain(`recipe:${recipe.id}:stageEpochs`);
    // A recipe added after the reload gets an id of its own.
    expect(restored.addRecipe('ce')!.id).not.toBe(recipe.id);
    expect(second.app.notices.items).toEqual([]);
  });

  it('keeps the backbone fields, and reads a design saved before backbones and recipes were on this screen', async () => {
    const storage = new MemoryStorage();
    const first = pageLoad(storage);
    await first.app.init();
    const design = first.app.design;
    design.family = 'backbone';
    design.backbone.sourceKind = 'path';
    design.backbone.path = '/models/tiny';
    design.backbone.featureLayer = 'gap';
    design.backbone.finetuneMode = 'last';
    design.backbone.finetuneLast = 2;
    design.backbone.headKind = 'mlp';
    design.backbone.headUnits = Number.NaN;
    flushSync();
    const second = pageLoad(storage);
    await second.app.init();
    const restored = second.app.design;
    expect(restored.family).toBe('backbone');
    expect(restored.backbone).toMatchObject({ sourceKind: 'path', path: '/models/tiny', featureLayer: 'gap', finetuneMode: 'last', finetuneLast: 2, headKind: 'mlp' });
    // The emptied hidden-units field stays empty and flagged; the empty learning rate still means the default.
    expect(Number.isNaN(restored.backbone.headUnits)).toBe(true);
    expect(restored.modelProblems().map((p) => p.field)).toEqual(['headUnits']);
    expect(second.app.notices.items).toEqual([]);

    // What the previous version wrote (no backbone block, no recipes) is still a design.
    const older = JSON.parse(storage.getItem(SAVED_DESIGN_KEY)!);
    delete older.backbone;
    delete older.recipes;
    older.family = 'resnet';
    storage.setItem(SAVED_DESIGN_KEY, JSON.stringify(older));
    const third = pageLoad(storage);
    await third.app.init();
    expect(third.app.design.family).toBe('resnet');
    expect(third.app.design.recipes).toEqual([]);
    expect(third.app.notices.items).toEqual([]);
  });

  it('keeps the imbalance levels to compare, and reads a design saved before sweeps were on this screen', async () => {
    const storage = new MemoryStorage();
    const first = pageLoad(storage);
    await first.app.init();
    first.app.design.imbalanceKind = 'exp';
    first.app.design.compareLevels = true;
    first.app.design.levelsText = '1, 50';
    flushSync();
    const second = pageLoad(storage);
    await second.app.init();
    expect([second.app.design.compareLevels, second.app.design.levelsText]).toEqual([true, '1, 50']);
    expect(second.app.design.levelsCheck()).toEqual({ ok: true, ratios: [1, 50] });

    const older = JSON.parse(storage.getItem(SAVED_DESIGN_KEY)!);
    delete older.compareLevels;
    delete older.levelsText;
    storage.setItem(SAVED_DESIGN_KEY, JSON.stringify(older));
    const third = pageLoad(storage);
    await third.app.init();
    expect(third.app.design.compareLevels).toBe(false);
    expect(third.app.design.levelsCheck()).toBeNull();
    expect(third.app.notices.items).toEqual([]);
  });

  it('keeps a field the user had emptied empty, and still flags it', async () => {
    const storage = new MemoryStorage();
    const first = pageLoad(storage);
    await first.app.init();
    first.app.design.epochs = Number.NaN;
    flushSync();
    const second = pageLoad(storage);
    await second.app.init();
    expect(Number.isNaN(second.app.design.epochs)).toBe(true);
    expect(second.app.design.buildConfig(null, null).problems.map((p) => p.field)).toContain('epochs');
  });

  it('drops a damaged or foreign saved design with a notice, and starts fresh', async () => {
    for (const stored of ['{not json', JSON.stringify({ version: 1, epochs: 'many' }), JSON.stringify({ version: 99 })]) {
      const storage = new MemoryStorage();
      storage.setItem(SAVED_DESIGN_KEY, stored);
      const { app, opened } = pageLoad(storage);
      await app.init();
      expect(app.design.epochs).toBe(15);
      expect(opened).toEqual([]);
      expect(app.notices.items).toHaveLength(1);
      expect(app.notices.items[0]!.title).toBe('Started a fresh design');
      expect(app.notices.items[0]!.message).toMatch(/could not be used \(.+\), so it was dropped/);
      flushSync();
      // What is saved now is the fresh design, which the next load reads without a notice.
      const next = pageLoad(storage);
      await next.app.init();
      expect(next.app.notices.items).toEqual([]);
    }
  });

  it('keeps the design when its dataset is gone, says so, and forgets the dataset', async () => {
    const storage = new MemoryStorage();
    const first = pageLoad(storage);
    await first.app.init();
    await first.app.dataset.open('/data/birds');
    first.app.design.epochs = 9;
    flushSync();

    const second = pageLoad(storage, ['/data/digits']);
    await second.app.init();
    expect(second.app.design.epochs).toBe(9);
    expect(second.app.dataset.path).toBeNull();
    expect(second.app.dataset.error?.message).toContain('does not exist');
    flushSync();
    expect(JSON.parse(storage.getItem(SAVED_DESIGN_KEY)!).dataset).toBeNull();
  });
});

describe('the design when the dataset changes', () => {
  it('keeps a name typed before the first dataset, and clears it when another dataset is opened', async () => {
    const { app } = pageLoad(new MemoryStorage());
    await app.init();
    app.design.name = 'digits run';
    await app.dataset.open('/data/digits');
    expect(app.design.name).toBe('digits run');
    await app.dataset.open('/data/birds');
    expect(app.design.name).toBe('');
  });
});
