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
