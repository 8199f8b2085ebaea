import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { AnalysisView } from '../../../../main/api/contract';
import { AppState } from '../../stores/app.svelte';
import { ResultsState } from '../../stores/results.svelte';
import { fakeClient } from '../../test/fake-client';
import { analysisView, ceInfo, focalInfo, lossSummary, predictionsPage, results } from '../../test/fixtures';
import CalibrationPanel from './CalibrationPanel.svelte';
import ComparisonTable from './ComparisonTable.svelte';
import ModelExport from './ModelExport.svelte';
import PairedComparison from './PairedComparison.svelte';
import PerClassTable from './PerClassTable.svelte';
import PredictionsView from './PredictionsView.svelte';
import VerdictLine from './VerdictLine.svelte';

const finished = () => {
  const r = results([lossSummary('ce', 'ce', { balancedAccuracy: 0.6 }), lossSummary('focal(gamma=1)', 'focal', { balancedAccuracy: 0.75 })]);
  r.runs = [{ runId: 'ce#seed1', lossKey: 'ce', loss: 'ce', params: {}, seed: 1, status: 'done' }] as typeof r.runs;
  return r;
};

/** A results state over a fake client that answers the analysis (per baseline) and the image pages. */
async function loaded(view: (baseline?: string) => AnalysisView = (b) => analysisView(b)) {
  const { client, transport } = fakeClient({
    'experiments.analysis': (request) => view(request.baseline),
    'experiments.predictions': (request) => predictionsPage(request.offset ?? 0),
  });
  const state = new ResultsState(client);
  state.show(finished());
  await waitFor(() => expect(state.analysis).not.toBeNull());
  await waitFor(() => expect(state.predictions).not.toBeNull());
  return { state, transport, client };
}

describe('Results analysis', () => {
  it('loads the analysis once results are shown, and puts the verdict line first', async () => {
    const { state, transport } = await loaded();
    expect(transport.calls.find((c) => c.channel === 'experiments.analysis')?.request).toEqual({ id: 'exp-1' });
    render(VerdictLine, { resultsState: state });
    expect(screen.getByTestId('verdict').textContent).toBe(
      'Focal loss (softmax) (γ = 1) is best: +0.150 balanced accuracy over Cross-entropy [+0.120, +0.190] (95% paired bootstrap); every other loss is significantly worse.',
    );
  });

  it('says what went wrong when the analysis fails', async () => {
    const { client } = fakeClient({
      'experiments.analysis': () => {
        throw new Error('logits.json is missing');
      },
      'experiments.predictions': () => predictionsPage(),
    });
    const state = new ResultsState(client);
    state.show(finished());
    render(VerdictLine, { resultsState: state });
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', expect.stringContaining('Could not compute the comparison'));
    expect(screen.queryByTestId('verdict')).toBeNull();
  });

  it('shows the paired comparison with intervals, significance and McNemar, and recomputes for another baseline', async () => {
    const { state, transport } = await loaded();
    const { container } = render(PairedComparison, { resultsState: state });
    const rows = [...screen.getByTestId('paired-table').querySelectorAll<HTMLElement>('tbody tr')];
    expect(rows.map((r) => r.querySelector('th')!.textContent!.trim())).toEqual(['Cross-entropy (baseline)', 'Cross-entropy + post-hoc LA (τ = 1)', 'Focal loss (softmax) (γ = 1)']);
    const focal = rows[2]!;
    expect(focal.textContent).toContain('+0.150');
    expect(focal.textContent).toContain('[+0.120, +0.190]');
    expect(within(focal).getByText('significant')).toBeTruthy();
    expect(within(rows[1]!).getByText('not significant')).toBeTruthy();
    expect(rows[1]!.classList.contains('posthoc')).toBe(true);
    expect(focal.textContent).toContain('seed 1: b=2, c=9, p = 0.065');
    // The forest plot is the report's own chart, one row per comparison.
    const forest = container.querySelector('svg.chart')!;
    expect(forest.getAttribute('aria-label')).toBe('Difference in balanced accuracy against Cross-entropy');
    expect(forest.querySelectorAll('circle.est')).toHaveLength(2);
    expect(forest.querySelectorAll('circle.est.ns')).toHaveLength(1);

    await fireEvent.change(screen.getByLabelText('Baseline'), { target: { value: 'focal(gamma=1)' } });
    await waitFor(() => expect(state.analysis?.analysis.settings.baseline).toBe('focal(gamma=1)'));
    expect(transport.calls.filter((c) => c.channel === 'experiments.analysis').at(-1)?.request).toEqual({ id: 'exp-1', baseline: 'focal(gamma=1)' });
  });

  it('adds each loss\'s post-hoc row under it in the comparison table', async () => {
    const { state } = await loaded();
    const { container } = render(ComparisonTable, { results: finished(), catalogue: [ceInfo, focalInfo], analysis: state.analysis });
    const rows = [...container.querySelectorAll('tbody tr')];
    expect(rows.map((r) => r.querySelector('th .name')?.textContent)).toEqual(['Cross-entropy', '+ post-hoc LA', 'Focal loss (softmax)']);
    expect(rows[1]!.querySelector('td[data-metric="balancedAccuracy"]')!.textContent!.trim()).toBe('65.0 ± 1.0');
    expect(rows[1]!.querySelector('.star')).toBeNull();
  });

  it('tables precision, recall and F1 per class for every loss, head to tail', async () => {
    const { state } = await loaded();
    render(PerClassTable, { resultsState: state, results: finished() });
    const table = screen.getByTestId('per-class-table');
    const cell = (loss: string, measure: string, row: number) => table.querySelectorAll(`tbody tr`)[row]!.querySelector(`td[data-loss="${loss}"][data-measure="${measure}"]`)!.textContent;
    expect(cell('ce', 'precision', 0)).toBe('80 %');
    expect(cell('ce', 'recall', 1)).toBe('40 %');
    expect(cell('focal(gamma=1)', 'f1', 1)).toBe('48 %');
    expect(table.querySelector('td[data-loss="ce+posthoc-la"]')).toBeNull();
    await fireEvent.click(screen.getByLabelText('Include post-hoc rows'));
    expect(table.querySelector('td[data-loss="ce+posthoc-la"]')).not.toBeNull();
  });

  it('shows ECE before and after temperature scaling, labelled as the mean over seeds', async () => {
    const { state } = await loaded();
    const { container } = render(CalibrationPanel, { resultsState: state });
    expect(container.querySelectorAll('svg.chart')).toHaveLength(2);
    expect(container.querySelector('svg.chart .chart-note')!.textContent).toBe('pooled ECE 0.050 → 0.020 (T-scaled)');
    const ce = screen.getByTestId('calibration-table').querySelector('tbody tr')!;
    expect(ce.querySelector('[data-metric="ece"]')!.textContent).toBe('10.0 %');
    expect(screen.getByText(/each run's ECE, mean over seeds, %/)).toBeTruthy();
  });

  it('shows each test image with every loss\'s prediction and confidence, and pages', async () => {
    const { state, transport } = await loaded();
    render(PredictionsView, { resultsState: state, results: finished() });
    const table = screen.getByTestId('predictions-table');
    const first = table.querySelectorAll('tbody tr')[0]!;
    expect(first.querySelector('img')!.getAttribute('src')).toBe('/files?path=b1');
    const cells = [...first.querySelectorAll('td.prediction')];
    expect(cells.map((c) => c.getAttribute('aria-label'))).toEqual(['Cross-entropy: a, 91 %, wrong', 'Focal loss (softmax) (γ = 1): b, 62 %, right']);
    expect(screen.getByTestId('predictions-range').textContent).toBe('1–12 of 30');

    await fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(screen.getByTestId('predictions-range').textContent).toBe('13–24 of 30'));
    expect(transport.calls.filter((c) => c.channel === 'experiments.predictions').at(-1)?.request).toMatchObject({ offset: 12, limit: 12, filter: 'all', seed: 1 });

    await fireEvent.change(screen.getByLabelText('Show'), { target: { value: 'disagree' } });
    await waitFor(() => expect(transport.calls.filter((c) => c.channel === 'experiments.predictions').at(-1)?.request).toMatchObject({ offset: 0, filter: 'disagree' }));
  });

  it('downloads a trained model in served mode', async () => {
    const { client, transport } = fakeClient({ 'experiments.analysis': () => analysisView(), 'experiments.predictions': () => predictionsPage() });
    transport.modelDownload = async () => ({ blob: new Blob(['zip']), filename: 'losslab-exp-1-Cross-entropy-seed1.zip' });
    URL.createObjectURL = () => 'blob:model';
    URL.revokeObjectURL = () => {};
    const app = new AppState(client);
    app.results.show(finished());
    await waitFor(() => expect(app.results.analysis).not.toBeNull());
    render(ModelExport, { app, resultsState: app.results, id: 'exp-1' });
    const select = screen.getByLabelText('Run whose model to export') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(['Cross-entropy, seed 1', 'Focal loss (softmax) (γ = 1), seed 1']);
    await fireEvent.change(select, { target: { value: 'focal(gamma=1)#seed1' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Download model (.zip)' }));
    expect(await screen.findByRole('status')).toHaveProperty('textContent', 'Downloaded losslab-exp-1-Cross-entropy-seed1.zip');
    expect(transport.calls.find((c) => (c.channel as string) === 'downloadModel')?.request).toEqual({ id: 'exp-1', runId: 'focal(gamma=1)#seed1' });
  });
});
