import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import RecipeBuilder from './RecipeBuilder.svelte';
import StartBar from './StartBar.svelte';
import { AppState } from '../../stores/app.svelte';
import { fakeClient } from '../../test/fake-client';
import { ceInfo, focalInfo } from '../../test/fixtures';
import '../../test/no-layout';
import { listMethods } from '../../../../main/methods/catalogue';

/** The real catalogues of the main side: the builder reads exactly what 'methods.list' and 'losses.list' answer. */
function appWithCatalogues(losses = [ceInfo, focalInfo]) {
  const app = new AppState(fakeClient().client);
  app.design.setCatalogue(losses);
  app.design.setMethods(listMethods());
  app.dataset.overview = { path: '/data/digits', imageSize: 32, resize: 'center-crop', channels: 1, classes: Array.from({ length: 3 }, (_, i) => ({ name: `c${i}`, count: 10, samples: [] })) } as never;
  return app;
}

const dataset = { path: '/data/digits', imageSize: 32, resize: 'center-crop', colorMode: 'auto' } as const;

describe('recipe builder', () => {
  it('builds CE + class-balanced sampler, shows it by name and sends it as the loss entry’s recipe', async () => {
    const app = appWithCatalogues();
    app.design.losses['ce']!.checked = true;
    render(RecipeBuilder, { app });
    render(StartBar, { app });
    await fireEvent.click(screen.getByRole('button', { name: 'Add recipe' }));
    const entry = screen.getByTestId('recipe-entry');
    expect(within(entry).getByTestId('recipe-name').textContent).toBe('Cross-entropy + class-balanced sampler');
    expect(screen.getByTestId('design-entries').textContent).toMatch(/Cross-entropy\s*·\s*Cross-entropy \+ class-balanced sampler/);
    const { config, problems } = app.design.buildConfig(dataset, 3);
    expect(problems).toEqual([]);
    expect(config!.losses).toEqual([
      { id: 'ce', params: {} },
      { id: 'ce', params: {}, recipe: { sampler: 'class-balanced', drw: null, drs: null, secondStage: null } },
    ]);
    expect(app.design.runCount()).toBe(2);
  });

  it('shows each chosen method’s catalogue entry: formula, citation, parameters with ranges', async () => {
    const app = appWithCatalogues();
    render(RecipeBuilder, { app });
    await fireEvent.click(screen.getByRole('button', { name: 'Add recipe' }));
    await fireEvent.change(screen.getByLabelText('Deferred schedule'), { target: { value: 'drw' } });
    const entry = screen.getByTestId('recipe-entry');
    const epoch = within(entry).getByLabelText(/epoch/) as HTMLInputElement;
    expect(epoch.getAttribute('aria-invalid')).toBe('true');
    await fireEvent.input(epoch, { target: { value: '10' } });
    // DRW on top of the class-balanced sampler corrects twice: the main side's rule says so.
    expect(within(entry).getByTestId('recipe-refusal').textContent).toContain('together they over-correct');
    await fireEvent.change(screen.getByLabelText('Sampler'), { target: { value: 'instance' } });
    expect(within(entry).queryByTestId('recipe-refusal')).toBeNull();
    const drw = within(entry).getByTestId('method-drw');
    expect(within(drw).getByRole('img', { name: 'Formula of Deferred re-weighting (DRW)' })).toBeTruthy();
    expect(drw.textContent).toContain('Cao, K.');
    expect(drw.textContent).toContain('A number in [0, 1)');
    // The epoch field takes the catalogue's range, and says what is wrong as it is typed.
    await fireEvent.input(epoch, { target: { value: '-1' } });
    expect(epoch.getAttribute('aria-invalid')).toBe('true');
    await fireEvent.input(epoch, { target: { value: '2.5' } });
    expect(within(entry).getByText('The epoch must be a whole number.')).toBeTruthy();
    await fireEvent.input(epoch, { target: { value: '20' } });
    // 15 epochs by default: the main side's rule refuses a switch that never happens.
    expect(within(entry).getByTestId('recipe-refusal').textContent).toContain('never starts, since training has 15 epochs');
    await fireEvent.input(epoch, { target: { value: '10' } });
    expect(within(entry).queryByTestId('recipe-refusal')).toBeNull();
    expect(within(entry).getByTestId('recipe-name').textContent).toBe('Cross-entropy + DRW@10');
  });

  it('refuses a sampler with a loss that already re-weights the same way, saying why, and keeps the experiment from starting', async () => {
    const balancedSoftmax = { ...ceInfo, id: 'balanced-softmax', name: 'Balanced softmax' };
    const app = appWithCatalogues([ceInfo, balancedSoftmax]);
    render(RecipeBuilder, { app });
    const entry = app.design.addRecipe('balanced-softmax')!;
    await Promise.resolve();
    const refusal = await screen.findByTestId('recipe-refusal');
    expect(refusal.textContent).toContain('the class-balanced sampler and balanced-softmax');
    expect(refusal.textContent).toContain('over-correct');
    const { config, problems } = app.design.buildConfig(dataset, 3);
    expect(config).toBeNull();
    expect(problems.find((p) => p.field === `recipe:${entry.id}`)?.message).toContain('over-correct');
    // The instance sampler with the same loss is fine.
    entry.sampler = 'instance';
    entry.secondStage = 'crt';
    expect(app.design.buildConfig(dataset, 3).problems.map((p) => p.message)).toEqual([]);
  });

  it('refuses two entries that would train the same runs', () => {
    const app = appWithCatalogues();
    app.design.losses['ce']!.checked = true;
    const plain = app.design.addRecipe('ce')!;
    plain.sampler = 'instance';
    const a = app.design.addRecipe('focal')!;
    const b = app.design.addRecipe('focal')!;
    const fields = app.design.buildConfig(dataset, 3).problems.map((p) => [p.field, p.message]);
    expect(fields).toEqual([
      [`recipe:${plain.id}`, 'Recipe 1 (Cross-entropy) trains the same runs as Cross-entropy; remove one of them.'],
      [`recipe:${b.id}`, 'Recipe 3 (Focal loss (softmax) + class-balanced sampler) trains the same runs as Recipe 2 (Focal loss (softmax) + class-balanced sampler); remove one of them.'],
    ]);
    app.design.removeRecipe(plain.id);
    b.secondStage = 'lws';
    expect(app.design.buildConfig(dataset, 3).problems.map((p) => p.message)).toEqual([]);
    expect(a.id).not.toBe(b.id);
  });

  it('shows the parameters of a loss a recipe uses, and sends them with the recipe', async () => {
    const app = appWithCatalogues();
    const entry = app.design.addRecipe('focal')!;
    entry.sampler = 'sqrt';
    app.design.losses['focal']!.inputs['gamma'] = '-1';
    expect(app.design.buildConfig(dataset, 3).problems.map((p) => p.field)).toContain('loss:focal:gamma');
    app.design.losses['focal']!.inputs['gamma'] = '1';
    const { config } = app.design.buildConfig(dataset, 3);
    expect(config!.losses).toEqual([{ id: 'focal', params: { gamma: 1, alpha: null }, recipe: { sampler: 'sqrt', drw: null, drs: null, secondStage: null } }]);
  });

  it('turns a stored experiment’s recipes back into builder entries (History → Duplicate)', () => {
    const app = appWithCatalogues();
    const notes = app.design.applyConfig({
      ...(JSON.parse(JSON.stringify({ testFraction: 0.2, valFraction: 0.1, splitSeed: 0, imbalance: { kind: 'none' }, seeds: [1], backend: 'auto', workers: 0 })) as object),
      data: '/data/digits',
      imageSize: 32,
      resize: 'center-crop',
      colorMode: 'auto',
      losses: [
        { id: 'ce', params: {} },
        { id: 'ce', params: {}, recipe: { sampler: 'instance', drw: { epoch: 8, beta: 0.999 }, drs: null, secondStage: { kind: 'crt', epochs: 5 } } },
      ],
      model: { family: 'cnn', width: 16, depth: 3 },
      training: { epochs: 12, batchSize: 64, optimizer: 'adam', learningRate: 0.002, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', augment: { flip: false, crop: false }, probeEpochs: 10 },
    } as never);
    expect(notes).toEqual([]);
    expect(app.design.losses['ce']!.checked).toBe(true);
    expect(app.design.recipes).toMatchObject([{ lossId: 'ce', sampler: 'instance', schedule: 'drw', scheduleEpoch: '8', drwBeta: '0.999', secondStage: 'crt', stageEpochs: '5' }]);
    expect(app.design.entries().map((e) => e.name)).toEqual(['Cross-entropy', 'Cross-entropy + DRW@8 (β=0.999) + cRT']);
  });
});
