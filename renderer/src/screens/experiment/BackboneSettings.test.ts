import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import TrainingSettings from './TrainingSettings.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import type { Request } from '../../../../main/api/contract';

/** The engine's answer for the tiny backbone of main/services/model-service.test.ts (frozen, linear head). */
const TINY = { label: 'Pretrained backbone /models/tiny (sha256 0f31283c9207…) at gap, 6 features, 16 px input, finetune none, linear head', trainableParams: 21, totalParams: 371, flopsPerImage: 40_000 };

function setup() {
  const requests: Request<'models.describe'>[] = [];
  const { client } = fakeClient({
    'models.describe': (request) => {
      requests.push(request);
      const model = request.model as { family: string; featureLayer?: string };
      if (model.family !== 'backbone') return { label: 'CNN', trainableParams: 24_346, totalParams: 24_570, flopsPerImage: 5_604_608 };
      if (model.featureLayer === 'nope') throw new Error('The backbone has no layer "nope"; its layers are conv1, bn1, relu1, conv2, relu2, gap');
      return TINY;
    },
    'backends.list': () => [],
  });
  return { app: new AppState(client), requests };
}

const dataset = (imageSize: number, colorMode: 'auto' | 'grayscale' = 'auto') => ({ path: '/data/photos', imageSize, resize: 'center-crop', colorMode }) as const;

describe('network picker: pretrained backbone', () => {
  it('offers the MobileNet presets; a preset is not downloaded to be measured, and needs its input size', async () => {
    const { app, requests } = setup();
    render(TrainingSettings, { app });
    await fireEvent.click(screen.getByRole('radio', { name: 'Pretrained backbone' }));
    const preset = screen.getByLabelText('Preset') as HTMLSelectElement;
    expect([...preset.options].map((o) => o.value)).toEqual(['mobilenet-v1-0.25', 'mobilenet-v1-0.50', 'mobilenet-v1-1.00', 'mobilenet-v2-0.35', 'mobilenet-v2-1.00']);
    await fireEvent.change(preset, { target: { value: 'mobilenet-v2-1.00' } });
    expect(screen.getByText(/mobilenet-v2-1.00: 224 px RGB input/)).toBeTruthy();
    expect(screen.getByTestId('network-size').textContent).toContain('Downloaded when an experiment first uses it');
    // Nothing is on its way to the engine for it (no measurement pending, none made).
    expect(app.design.networkLoading).toBe(false);
    expect(requests.filter((r) => (r.model as { family: string }).family === 'backbone')).toEqual([]);
    expect(app.design.modelSpec()).toEqual({ family: 'backbone', source: 'mobilenet-v2-1.00', finetune: 'none', head: 'linear' });
    // 32 px images cannot feed a 224 px MobileNet: refused before starting, with the fix.
    const small = app.design.buildConfig(dataset(32), 3).problems.find((p) => p.field === 'imageSize');
    expect(small?.message).toBe('mobilenet-v2-1.00 takes 224 px images; set the image size to 224 on the Dataset screen (the images are decoded again).');
    expect(app.design.buildConfig(dataset(224, 'grayscale'), 3).problems.map((p) => p.field)).toContain('colorMode');
    app.design.losses = { ce: { checked: true, inputs: {} } };
    app.design.catalogue = [{ id: 'ce', name: 'Cross-entropy', params: [] } as never];
    const { config, problems } = app.design.buildConfig(dataset(224), 3);
    expect(problems).toEqual([]);
    expect(config!.model).toEqual({ family: 'backbone', source: 'mobilenet-v2-1.00', finetune: 'none', head: 'linear' });
  });

  it('checks a folder, finetune, head and backbone learning rate as they are typed, and measures a backbone on disk', async () => {
    const { app, requests } = setup();
    render(TrainingSettings, { app });
    await fireEvent.click(screen.getByRole('radio', { name: 'Pretrained backbone' }));
    await fireEvent.click(screen.getByRole('radio', { name: 'A folder, model.json or URL' }));
    const path = screen.getByLabelText('Folder, model.json or URL') as HTMLInputElement;
    expect(path.getAttribute('aria-invalid')).toBe('true');
    expect(app.design.modelProblems()[0]?.message).toMatch(/Type the folder that holds model.json/);
    await fireEvent.input(path, { target: { value: 'https://' } });
    expect(screen.getByText('https:// is not a complete URL; it should look like https://host/path/model.json.')).toBeTruthy();
    await fireEvent.input(path, { target: { value: '/models/tiny' } });
    expect(path.getAttribute('aria-invalid')).toBeNull();
    await waitFor(() => expect(screen.getByTestId('network-size').textContent).toContain('21 trainable parameters'));
    expect(screen.getByTestId('network-label').textContent).toContain('at gap, 6 features');
    expect(requests.at(-1)).toMatchObject({ model: { family: 'backbone', source: '/models/tiny', finetune: 'none', head: 'linear' } });

    // Fine-tuning the last N layers: N must be a whole number from 1; the backbone's own learning rate is optional.
    await fireEvent.change(screen.getByLabelText('Fine-tuning'), { target: { value: 'last' } });
    const last = screen.getByLabelText('Layers to fine-tune (N)') as HTMLInputElement;
    await fireEvent.input(last, { target: { value: '0' } });
    expect(screen.getByText('The number of layers to fine-tune must be a whole number from 1 to 10000.')).toBeTruthy();
    await fireEvent.input(last, { target: { value: '3' } });
    expect(app.design.modelSpec()).toEqual({ family: 'backbone', source: '/models/tiny', finetune: { last: 3 }, head: 'linear' });
    const lr = screen.getByLabelText('Backbone learning rate') as HTMLInputElement;
    await fireEvent.input(lr, { target: { value: '-1' } });
    expect(app.design.modelProblems().map((p) => p.field)).toEqual(['backboneLearningRate']);
    await fireEvent.input(lr, { target: { value: '0.0001' } });
    await fireEvent.change(screen.getByLabelText('Head'), { target: { value: 'mlp' } });
    const units = screen.getByLabelText('Hidden units') as HTMLInputElement;
    await fireEvent.input(units, { target: { value: '2.5' } });
    expect(screen.getByText('The hidden layer must be a whole number from 1 to 65536.')).toBeTruthy();
    await fireEvent.input(units, { target: { value: '128' } });
    expect(app.design.modelProblems()).toEqual([]);
    expect(app.design.modelSpec()).toEqual({ family: 'backbone', source: '/models/tiny', finetune: { last: 3 }, backboneLearningRate: 0.0001, head: { mlp: 128 } });

    // A layer the model does not have: the engine says so, and the screen shows it.
    await fireEvent.input(screen.getByLabelText(/Feature layer/), { target: { value: 'nope' } });
    await waitFor(() => expect(screen.getByText(/has no layer "nope"/)).toBeTruthy());
    expect(screen.getByText(/Check the backbone’s path, feature layer and fine-tuning depth/)).toBeTruthy();
  });

  it('edits a stored backbone setting (History → Duplicate) field by field', () => {
    const { app } = setup();
    app.design.setModel({ family: 'backbone', source: 'mobilenet-v2', featureLayer: 'block_16_project', finetune: 'all', backboneLearningRate: 0.001, head: { mlp: 64 }, scaling: 'imagenet' });
    expect(app.design.family).toBe('backbone');
    expect(app.design.backbone).toMatchObject({ sourceKind: 'preset', preset: 'mobilenet-v2-0.35', featureLayer: 'block_16_project', finetuneMode: 'all', learningRate: 0.001, headKind: 'mlp', headUnits: 64, scaling: 'imagenet' });
    expect(app.design.modelSpec()).toEqual({ family: 'backbone', source: 'mobilenet-v2-0.35', featureLayer: 'block_16_project', scaling: 'imagenet', finetune: 'all', backboneLearningRate: 0.001, head: { mlp: 64 } });
  });
});
