import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../api/types';
import { fakeClient } from '../test/fake-client';
import { TrainingState } from './training.svelte';

const runs = [
  { index: 0, runId: 'ce#seed1', lossKey: 'ce', loss: 'ce', seed: 1 },
  { index: 1, runId: 'focal#seed1', lossKey: 'focal', loss: 'focal', seed: 1 },
];

function batch(index: number, epoch: number, b: number, loss: number, id = 'e1'): ApiEvent {
  return {
    type: 'experiment.batch',
    data: { id, index, runId: runs[index]!.runId, stage: 'train', epoch, epochs: 2, batch: b, batches: 10, loss, imagesPerSecond: 120, etaSeconds: 30 },
  };
}

async function started() {
  const finished: string[] = [];
  const { client, transport } = fakeClient({ 'experiment.start': () => ({ id: 'e1', runs }), 'experiment.cancel': () => ({ cancelled: true }) });
  const training = new TrainingState(client);
  training.onFinished = (id) => finished.push(id);
  await training.start({ data: '/d', losses: [{ id: 'ce' }, { id: 'focal' }] });
  return { training, transport, finished };
}

describe('TrainingState', () => {
  it('creates one queued row per planned run', async () => {
    const { training } = await started();
    expect(training.experimentId).toBe('e1');
    expect(training.runs.map((r) => [r.lossKey, r.status])).toEqual([
      ['ce', 'queued'],
      ['focal', 'queued'],
    ]);
    expect(training.busy).toBe(true);
  });

  it('follows batches, epochs and settlements of its own experiment', async () => {
    const { training, transport, finished } = await started();
    transport.emit({ type: 'experiment.datasetLoaded', data: { id: 'e1', classes: ['a'], poolBeforeImbalance: [1], train: [1], val: [0], test: [1], headToTail: [0] } });
    transport.emit(batch(0, 0, 5, 2.3));
    transport.emit(batch(0, 1, 5, 1.7));
    const row = training.runs[0]!;
    expect(training.phase).toBe('training');
    expect(row.status).toBe('running');
    expect(row.fraction).toBeCloseTo(0.75);
    expect(row.lossSeries).toEqual([2.3, 1.7]);
    expect(row.imagesPerSecond).toBe(120);

    transport.emit({
      type: 'experiment.epoch',
      data: { id: 'e1', index: 0, runId: 'ce#seed1', record: { epoch: 0, stage: 'train', trainLoss: 2, valAccuracy: 0.5, valBalancedAccuracy: 0.4, learningRate: 0.002, seconds: 1, numTensors: 10 } },
    });
    expect(row.valSeries).toEqual([0.4]);

    transport.emit({ type: 'experiment.runSettled', data: { id: 'e1', index: 1, runId: 'focal#seed1', status: 'failed', error: 'Loss became NaN.' } });
    expect(training.runs[1]!.status).toBe('failed');
    expect(training.runs[1]!.error).toBe('Loss became NaN.');
    expect(training.runsDone).toBe(1);

    transport.emit({ type: 'experiment.runSettled', data: { id: 'e1', index: 0, runId: 'ce#seed1', status: 'done' } });
    transport.emit({ type: 'experiment.done', data: { id: 'e1', runs: { done: 1, failed: 1, cancelled: 0 } } });
    expect(training.phase).toBe('done');
    expect(training.overallFraction).toBe(1);
    expect(finished).toEqual(['e1']);
  });

  it("ignores other experiments' events (another tab in served mode)", async () => {
    const { training, transport } = await started();
    transport.emit(batch(0, 1, 5, 9.9, 'someone-else'));
    expect(training.runs[0]!.status).toBe('queued');
    expect(training.runs[0]!.lossSeries).toEqual([]);
  });

  it('cancels one run or all, and shows the experiment’s failure with advice', async () => {
    const { training, transport } = await started();
    await training.cancel(1);
    expect(transport.calls.at(-1)).toEqual({ channel: 'experiment.cancel', request: { id: 'e1', runIndex: 1 } });
    expect(training.runs[1]!.cancelRequested).toBe(true);
    await training.cancel();
    expect(transport.calls.at(-1)).toEqual({ channel: 'experiment.cancel', request: { id: 'e1' } });

    transport.emit({ type: 'experiment.failed', data: { id: 'e1', error: { name: 'DatasetError', message: 'The folder vanished.' } } });
    expect(training.phase).toBe('failed');
    expect(training.error).toMatchObject({ title: 'The experiment stopped', message: 'The folder vanished.' });
    expect(training.error?.advice).toBeTruthy();
  });

  it('reports a refused start with what to fix', async () => {
    const { client } = fakeClient({
      'experiment.start': () => {
        throw Object.assign(new Error("Loss 'focal': parameter 'gamma' must be a number in [0, ∞) (got -1)."), { name: 'LossParamError' });
      },
    });
    const training = new TrainingState(client);
    expect(await training.start({ data: '/d', losses: [{ id: 'focal' }] })).toBe(false);
    expect(training.phase).toBe('failed');
    expect(training.error?.message).toContain("parameter 'gamma'");
  });
});

describe('TrainingState following a sweep', () => {
  const settingRuns = [{ index: 0, runId: 'ce#seed1', lossKey: 'ce', loss: 'ce', seed: 1 }];
  const config = { data: '/d', losses: [{ id: 'ce' }], sweep: { imbalance: [{ kind: 'exp' as const, ratio: 1 }, { kind: 'exp' as const, ratio: 10 }] } };

  async function sweepStarted() {
    const finished: string[] = [];
    const { client, transport } = fakeClient({
      'sweep.start': () => ({ id: 's1', dir: '/store/s1', settings: [{ index: 0, label: 'exp ρ = 1', rho: 1, runs: 1, trainImages: 10 }, { index: 1, label: 'exp ρ = 10', rho: 10, runs: 1, trainImages: 5 }], totalRuns: 2 }),
    });
    const training = new TrainingState(client);
    training.onFinished = (id) => finished.push(id);
    const ok = await training.startSweep(config);
    return { training, transport, finished, ok, calls: transport.calls };
  }

  function setting(transport: { emit: (event: ApiEvent) => void }, index: number, rho: number) {
    const experimentId = `s1-${index + 1}-exp-${rho}`;
    transport.emit({ type: 'sweep.progress', data: { id: 's1', setting: index, settings: 2, label: `exp ρ = ${rho}`, rho, experimentId } });
    transport.emit({ type: 'experiment.started', data: { id: experimentId, config: {} as never, runs: settingRuns, resumed: false } });
    return experimentId;
  }

  it('asks sweep.start, adopts each setting as the sweep announces it, and ends with the summary', async () => {
    const { training, transport, finished, ok, calls } = await sweepStarted();
    expect(ok).toBe(true);
    expect(calls.find((c) => c.channel === 'sweep.start')?.request).toEqual({ config, confirmed: false });
    expect(training.sweep).toMatchObject({ id: 's1', dir: '/store/s1', settings: 2, setting: null });

    // Another window's experiment is not adopted while the sweep waits for its first setting.
    transport.emit({ type: 'experiment.started', data: { id: 'other', config: {} as never, runs, resumed: false } });
    expect(training.experimentId).toBeNull();

    const first = setting(transport, 0, 1);
    expect(training.experimentId).toBe(first);
    expect(training.sweep).toMatchObject({ setting: 0, rho: 1 });
    transport.emit({ type: 'experiment.runSettled', data: { id: first, index: 0, runId: 'ce#seed1', status: 'done' } });
    transport.emit({ type: 'experiment.done', data: { id: first, runs: { done: 1, failed: 0, cancelled: 0 } } });
    // A setting's end is not the sweep's: still busy, no results to load (settings live in the sweep folder).
    expect(training.busy).toBe(true);
    expect(finished).toEqual([]);

    const second = setting(transport, 1, 10);
    expect(training.experimentId).toBe(second);
    expect(training.sweep).toMatchObject({ setting: 1, settings: 2, rho: 10 });
    expect(training.runs.map((r) => r.status)).toEqual(['queued']);
    transport.emit(batch(0, 0, 5, 2.3, second));
    expect(training.runs[0]!.status).toBe('running');
    transport.emit({ type: 'experiment.done', data: { id: second, runs: { done: 1, failed: 0, cancelled: 0 } } });
    transport.emit({ type: 'sweep.done', data: { id: 's1', dir: '/store/s1', cancelled: false, summary: ['A is ahead of B from ρ = 10; below, they are not distinguishable.'], report: '/store/s1/sweep-report.html' } });
    expect(training.phase).toBe('done');
    expect(training.busy).toBe(false);
    expect(training.sweep).toMatchObject({ finished: true, summary: ['A is ahead of B from ρ = 10; below, they are not distinguishable.'], report: '/store/s1/sweep-report.html' });
    expect(finished).toEqual([]);
  });

  it('after a reload, picks up the running setting and follows the sweep on to the next', () => {
    const { client, transport } = fakeClient({});
    const training = new TrainingState(client);
    training.resume({
      id: 's1-1-exp-1',
      name: null,
      startedAt: '2026-01-01T00:00:00.000Z',
      config: {} as never,
      runs: [{ ...settingRuns[0]!, status: 'running', lastBatch: null, epochs: [] }],
      workers: null,
      sweep: { id: 's1', setting: 0, settings: 2, label: 'exp ρ = 1', rho: 1 },
    });
    expect(training.sweep).toMatchObject({ id: 's1', setting: 0, settings: 2 });
    transport.emit({ type: 'experiment.done', data: { id: 's1-1-exp-1', runs: { done: 1, failed: 0, cancelled: 0 } } });
    expect(training.busy).toBe(true);
    const second = setting(transport, 1, 10);
    expect(training.experimentId).toBe(second);
    expect(training.sweep).toMatchObject({ setting: 1, rho: 10 });
  });

  it('ignores another sweep, and shows a refusal without following anything', async () => {
    const { training, transport } = await sweepStarted();
    transport.emit({ type: 'sweep.progress', data: { id: 's2', setting: 0, settings: 3, label: 'exp ρ = 5', rho: 5, experimentId: 's2-1-exp-5' } });
    expect(training.sweep?.setting).toBeNull();

    const { client } = fakeClient({
      'sweep.start': () => {
        throw new Error('This sweep would train 2050 runs, more than 2000.');
      },
    });
    const refused = new TrainingState(client);
    expect(await refused.startSweep(config)).toBe(false);
    expect(refused.phase).toBe('failed');
    expect(refused.sweep).toBeNull();
    expect(refused.error?.message).toContain('2050 runs');
  });
});
