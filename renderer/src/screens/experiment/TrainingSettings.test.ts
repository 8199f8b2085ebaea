import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import TrainingSettings from './TrainingSettings.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import type { Request, Responses } from '../../../../main/api/contract';

/** The engine's numbers for the networks these tests choose (main/services/model-service.test.ts checks them). */
function measured(request: Request<'models.describe'>): Responses['models.describe'] {
  const model = request.model as { family?: string; depth?: number; width?: number };
  if (model.family === 'resnet' && model.depth === 20) {
    return { label: 'ResNet-20 (CIFAR, option-A shortcuts), width 16', trainableParams: 269_722, totalParams: 273_658, flopsPerImage: 81_626_368 };
  }
  if (model.family === 'resnet') return { label: `ResNet-${model.depth}`, trainableParams: 464_154, totalParams: 470_778, flopsPerImage: 139_000_000 };
  return { label: 'CNN, 3 conv blocks, width 16', trainableParams: 24_346, totalParams: 24_570, flopsPerImage: 5_604_608 };
}

function setup() {
  const requests: Request<'models.describe'>[] = [];
  const { client } = fakeClient({
    'models.describe': (request) => {
      requests.push(request);
      return measured(request);
    },
    'backends.list': () => [],
  });
  const app = new AppState(client);
  return { app, requests };
}

describe('TrainingSettings network picker', () => {
  it('shows the CNN by default with the size the engine measured', async () => {
    const { app, requests } = setup();
    render(TrainingSettings, { app });
    expect((screen.getByRole('radio', { name: 'CNN' }) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByRole('radio', { name: 'CNN' }).getAttribute('aria-describedby')).toBe('family-cnn-hint');
    expect(screen.getByText(/Small and fast; trains from scratch/)).toBeTruthy();
    expect(screen.getByLabelText('Width (filters in first block)')).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('network-size').textContent).toContain('24,346 trainable parameters'));
    expect(screen.getByTestId('network-size').textContent).toContain('5.60 MFLOPs per image');
    // No dataset is open: measured for the Dataset screen's image size, RGB and ten classes, and says so.
    expect(requests[0]).toEqual({ model: { family: 'cnn', width: 16, depth: 3 }, imageSize: 32, channels: 3, numClasses: 10 });
    expect(screen.getByTestId('network-size').textContent).toContain('until a dataset is open');
  });

  it('switches to a CIFAR ResNet with its depth and width, and shows ResNet-20’s parameter count', async () => {
    const { app, requests } = setup();
    render(TrainingSettings, { app });
    await fireEvent.click(screen.getByRole('radio', { name: 'CIFAR ResNet' }));
    expect(app.design.family).toBe('resnet');
    expect(screen.getByText(/ResNet-32 on CIFAR-LT/)).toBeTruthy();
    expect(screen.queryByLabelText('Depth (conv blocks)')).toBeNull();
    const depth = screen.getByLabelText('Depth') as HTMLSelectElement;
    expect([...depth.options].map((o) => o.textContent)).toEqual(['ResNet-20', 'ResNet-32', 'ResNet-56']);
    expect(depth.value).toBe('32');
    await fireEvent.change(depth, { target: { value: '20' } });
    expect(app.design.resnetDepth).toBe(20);
    await waitFor(() => expect(screen.getByTestId('network-size').textContent).toContain('269,722 trainable parameters'));
    expect(screen.getByTestId('network-size').textContent).toContain('81.6 MFLOPs per image');
    expect(requests.at(-1)!.model).toEqual({ family: 'resnet', depth: 20, width: 16 });
    expect(app.design.modelSpec()).toEqual({ family: 'resnet', depth: 20, width: 16 });
  });

  it('measures for the opened dataset, and flags an impossible width without asking the engine', async () => {
    const { app, requests } = setup();
    app.dataset.overview = { imageSize: 28, channels: 1, classes: [{ name: 'a' }, { name: 'b' }] } as unknown as NonNullable<AppState['dataset']['overview']>;
    render(TrainingSettings, { app });
    await waitFor(() => expect(requests).toHaveLength(1));
    expect(requests[0]).toMatchObject({ imageSize: 28, channels: 1, numClasses: 2 });
    await waitFor(() => expect(screen.getByTestId('network-size').textContent).toContain('trainable parameters'));
    expect(screen.getByTestId('network-size').textContent).not.toContain('until a dataset is open');
    await fireEvent.input(screen.getByLabelText('Width (filters in first block)'), { target: { value: '2' } });
    expect(screen.getByText('Width must be between 4 and 256.')).toBeTruthy();
    expect(screen.getByTestId('network-size').textContent?.trim()).toBe('');
    expect(requests).toHaveLength(1);
  });
});

describe('seeds and parallel trainings', () => {
  it('reads "3" as one seed numbered 3, says so, and offers three seeds instead', async () => {
    const { app } = setup();
    render(TrainingSettings, { app });
    await fireEvent.input(screen.getByLabelText(/^Seeds/), { target: { value: '3' } });
    expect(screen.getByTestId('seeds-hint').textContent).toMatch(/One seed, number 3: .*For 3 seeds, write 1-3/);
    await fireEvent.click(screen.getByRole('button', { name: 'Use seeds 1–3' }));
    expect(app.design.seedsText).toBe('1-3');
    expect(screen.getByTestId('seeds-hint').textContent).toMatch(/^\s*3 seeds \(1, 2, 3\)/);
  });

  it('names the field "Parallel trainings" when its value is out of range', async () => {
    const { app } = setup();
    render(TrainingSettings, { app });
    await fireEvent.input(screen.getByLabelText('Parallel trainings'), { target: { value: '65' } });
    expect(await screen.findByText('Parallel trainings must be between 0 and 64.')).toBeTruthy();
  });
});
