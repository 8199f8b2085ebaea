import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImbalancePreview, Request } from '../../../main/api/contract';
import { fakeClient } from '../test/fake-client';
import { ceInfo, focalInfo, preview } from '../test/fixtures';
import { DesignState } from './design.svelte';

afterEach(() => vi.useRealTimers());

const dataset = { path: '/data/digits', imageSize: 32, resize: 'center-crop', colorMode: 'auto' } as const;

describe('DesignState imbalance preview', () => {
  it('asks once, shortly after the last of several quick changes', async () => {
    vi.useFakeTimers();
    const requests: Request<'dataset.previewImbalance'>[] = [];
    const { client } = fakeClient({
      'dataset.previewImbalance': (request) => {
        requests.push(request);
        return preview([100, 10]);
      },
    });
    const design = new DesignState(client);
    design.imbalanceKind = 'exp';
    for (const ratio of [2, 5, 10]) {
      design.ratio = ratio;
      design.schedulePreview('/data/digits');
    }
    expect(design.previewLoading).toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ path: '/data/digits', imbalance: { kind: 'exp', ratio: 10 }, testFraction: 0.2, valFraction: 0.1 });
    expect(design.preview?.train).toEqual([100, 10]);
    expect(design.previewLoading).toBe(false);
  });

  it('ignores an answer that arrives after a newer request was made', async () => {
    vi.useFakeTimers();
    const answers: ((p: ImbalancePreview) => void)[] = [];
    const { client } = fakeClient({ 'dataset.previewImbalance': () => new Promise<ImbalancePreview>((resolve) => answers.push(resolve)) });
    const design = new DesignState(client);
    design.schedulePreview('/d');
    await vi.advanceTimersByTimeAsync(200);
    design.ratio = 50;
    design.imbalanceKind = 'step';
    design.schedulePreview('/d');
    await vi.advanceTimersByTimeAsync(200);
    answers[1]!(preview([50, 1]));
    await Promise.resolve();
    answers[0]!(preview([5, 5]));
    await vi.advanceTimersByTimeAsync(0);
    expect(design.preview?.train).toEqual([50, 1]);
  });

  it('does not ask with settings that cannot be valid, and shows a failed preview as an error', async () => {
    vi.useFakeTimers();
    const { client, transport } = fakeClient({
      'dataset.previewImbalance': () => {
        throw new Error('The counts profile asks for more training images than the training pool holds.');
      },
    });
    const design = new DesignState(client);
    design.testFraction = 0.95;
    design.schedulePreview('/d');
    await vi.advanceTimersByTimeAsync(200);
    expect(transport.calls).toHaveLength(0);
    design.testFraction = 0.2;
    design.schedulePreview('/d');
    await vi.advanceTimersByTimeAsync(200);
    expect(design.previewError?.title).toBe('Could not preview the training counts');
    expect(design.previewError?.message).toContain('more training images');
    expect(design.previewError?.advice).toBeTruthy();
  });

  it('starts custom counts from the current training counts', () => {
    const design = new DesignState(fakeClient().client);
    design.preview = preview([80, 0, 7]);
    design.seedCustomCounts();
    expect(design.customCounts).toEqual({ 'class-0': 80, 'class-1': 1, 'class-2': 7 });
  });
});

describe('DesignState.buildConfig', () => {
  it('lists what keeps the experiment from starting', () => {
    const design = new DesignState(fakeClient().client);
    design.setCatalogue([ceInfo, focalInfo]);
    design.epochs = 0;
    design.seedsText = 'one';
    const { config, problems } = design.buildConfig(null, null);
    expect(config).toBeNull();
    const fields = problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['dataset', 'losses', 'epochs', 'seeds']));
  });

  it('refuses a loss parameter out of range, naming the loss', () => {
    const design = new DesignState(fakeClient().client);
    design.setCatalogue([focalInfo]);
    design.losses['focal']!.checked = true;
    design.losses['focal']!.inputs['gamma'] = '-1';
    const { problems } = design.buildConfig(dataset, 10);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('loss:focal:gamma');
    expect(problems[0]!.message).toMatch(/^Focal loss \(softmax\): /);
  });

  it('builds the contract configuration from every setting', () => {
    const design = new DesignState(fakeClient().client);
    design.setCatalogue([ceInfo, focalInfo]);
    design.losses['ce']!.checked = true;
    design.losses['focal']!.checked = true;
    design.losses['focal']!.inputs['alpha'] = '0.25';
    design.imbalanceKind = 'exp';
    design.ratio = 10;
    design.seedsText = '1, 2-3';
    design.epochs = 3;
    design.flip = true;
    const { config, problems } = design.buildConfig(dataset, 10);
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      data: '/data/digits',
      imageSize: 32,
      imbalance: { kind: 'exp', ratio: 10 },
      losses: [
        { id: 'ce', params: {} },
        { id: 'focal', params: { gamma: 2, alpha: 0.25 } },
      ],
      seeds: [1, 2, 3],
      training: { epochs: 3, augment: { flip: true, crop: false } },
      backend: 'auto',
    });
    expect(design.runCount()).toBe(6);
  });
});

describe('DesignState after another dataset opens', () => {
  it('drops the old per-class counts and seeds new ones from the next preview', async () => {
    vi.useFakeTimers();
    const requests: Request<'dataset.previewImbalance'>[] = [];
    const { client } = fakeClient({
      'dataset.previewImbalance': (request) => {
        requests.push(request);
        return preview([30, 20]);
      },
    });
    const design = new DesignState(client);
    design.imbalanceKind = 'counts';
    design.customCounts = { cat: 5, dog: 50 };
    design.datasetChanged();
    design.schedulePreview('/other');
    await vi.advanceTimersByTimeAsync(200);
    expect(requests[0]!.imbalance).toEqual({ kind: 'counts', counts: {} });
    expect(design.customCounts).toEqual({ 'class-0': 30, 'class-1': 20 });
  });
});

describe('DesignState model choice', () => {
  const resnet20 = { label: 'ResNet-20 (CIFAR, option-A shortcuts), width 16', trainableParams: 269_722, totalParams: 273_658, flopsPerImage: 81_626_368 };

  function designWithCe() {
    const design = new DesignState(fakeClient().client);
    design.setCatalogue([ceInfo]);
    design.losses['ce']!.checked = true;
    return design;
  }

  it('sends the CNN with its family by default, and the ResNet with its own fields', () => {
    const design = designWithCe();
    expect(design.buildConfig(dataset, 10).config?.model).toEqual({ family: 'cnn', width: 16, depth: 3 });
    design.depth = 5;
    design.family = 'resnet';
    design.resnetDepth = 20;
    expect(design.buildConfig(dataset, 10).config?.model).toEqual({ family: 'resnet', depth: 20, width: 16 });
    // Each family keeps its fields: back to the CNN, its five blocks are still there.
    design.family = 'cnn';
    expect(design.buildConfig(dataset, 10).config?.model).toEqual({ family: 'cnn', width: 16, depth: 5 });
  });

  it('checks only the chosen family’s fields', () => {
    const design = designWithCe();
    design.depth = 9;
    expect(design.buildConfig(dataset, 10).problems.map((p) => p.field)).toEqual(['depth']);
    design.family = 'resnet';
    expect(design.buildConfig(dataset, 10).problems).toEqual([]);
    design.resnetDepth = 21;
    design.resnetWidth = 2;
    const { config, problems } = design.buildConfig(dataset, 10);
    expect(config).toBeNull();
    expect(problems).toEqual([
      { field: 'resnetDepth', message: 'A CIFAR ResNet has depth 6n+2: 20, 32, 44, 56 or 110.' },
      { field: 'resnetWidth', message: 'Width must be between 4 and 256.' },
    ]);
  });

  it('reads a stored model without a family as the CNN', () => {
    const design = designWithCe();
    design.family = 'resnet';
    design.setModel({ width: 32, depth: 4 });
    expect(design.family).toBe('cnn');
    expect(design.modelSpec()).toEqual({ family: 'cnn', width: 32, depth: 4 });
    design.setModel({ family: 'resnet', depth: 56 });
    expect(design.modelSpec()).toEqual({ family: 'resnet', depth: 56, width: 16 });
    design.setModel(undefined);
    expect(design.modelSpec()).toEqual({ family: 'cnn', width: 16, depth: 3 });
  });

  it('asks the engine for the size once the user pauses, and not for settings that cannot be valid', async () => {
    vi.useFakeTimers();
    const requests: Request<'models.describe'>[] = [];
    const { client } = fakeClient({
      'models.describe': (request) => {
        requests.push(request);
        return resnet20;
      },
    });
    const design = new DesignState(client);
    const input = { imageSize: 32, channels: 3, numClasses: 10 } as const;
    design.family = 'resnet';
    for (const depth of [56, 32, 20]) {
      design.resnetDepth = depth;
      design.scheduleNetworkDescribe(input);
    }
    expect(design.networkLoading).toBe(true);
    await vi.advanceTimersByTimeAsync(300);
    expect(requests).toEqual([{ model: { family: 'resnet', depth: 20, width: 16 }, imageSize: 32, channels: 3, numClasses: 10 }]);
    expect(design.network).toEqual(resnet20);
    expect(design.networkLoading).toBe(false);
    // The same settings again: already measured, nothing is asked.
    design.scheduleNetworkDescribe(input);
    await vi.advanceTimersByTimeAsync(300);
    expect(requests).toHaveLength(1);
    // An impossible width: nothing is asked and the old size is not shown for it.
    design.resnetWidth = 1;
    design.scheduleNetworkDescribe(input);
    await vi.advanceTimersByTimeAsync(300);
    expect(requests).toHaveLength(1);
    expect(design.network).toBeNull();
  });

  it('shows a refused measurement as an error with advice', async () => {
    vi.useFakeTimers();
    const { client } = fakeClient({
      'models.describe': () => {
        throw new Error('Measuring this network took over 30 s and was stopped');
      },
    });
    const design = new DesignState(client);
    design.scheduleNetworkDescribe({ imageSize: 32, channels: 3, numClasses: 10 });
    await vi.advanceTimersByTimeAsync(300);
    expect(design.network).toBeNull();
    expect(design.networkError?.title).toBe('Could not measure the network');
    expect(design.networkError?.message).toContain('took over 30 s');
  });
});
