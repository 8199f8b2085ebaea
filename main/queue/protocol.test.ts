import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExperimentConfig } from '../experiment/config';
import { decodeOutcome, encodeOutcome, parseRunJobData, RefusedJobError, STUDY_PROTOCOL_VERSION } from './protocol';
import type { RunOutcome } from '../engine/types';

const config = parseExperimentConfig({ data: '/data/digits', losses: [{ id: 'ce' }] });
const good = { protocol: STUDY_PROTOCOL_VERSION, studyId: '2026-12-04T05-29-21Z-8088', runIndex: 0, runId: 'ce#seed1', config, dataFingerprint: 'a'.repeat(64), dataSource: 'path', keepWeights: true };

test('a well-formed job parses to the same study configuration schema as a local study', () => {
  const parsed = parseRunJobData(JSON.parse(JSON.stringify(good)));
  assert.deepEqual(parsed.config, config);
});

test('jobs in another protocol version, or malformed, are refused with the reason', () => {
  assert.throws(() => parseRunJobData({ ...good, protocol: STUDY_PROTOCOL_VERSION + 1 }), (error: Error) => error instanceof RefusedJobError && new RegExp(`speaks study protocol ${STUDY_PROTOCOL_VERSION + 1}`).test(error.message));
  assert.throws(() => parseRunJobData('rm -rf /'), RefusedJobError);
  assert.throws(() => parseRunJobData({ ...good, studyId: '../../etc' }), /studyId/);
  assert.throws(() => parseRunJobData({ ...good, config: { ...config, losses: [] } }), /config\.losses/);
  assert.throws(() => parseRunJobData({ ...good, config: { ...config, model: { family: 'backbone', source: 'https://example.com/model.json' } } }), /pretrained backbone/);
});

test('an outcome crosses the wire bit for bit, weights included', () => {
  const outcome: RunOutcome = {
    runId: 'ce#seed1',
    testLogits: Float32Array.from([0.1, -2.5e-8, Math.PI, -0]),
    testLogitsLast: Float32Array.from([1, 2, 3, 4]),
    valLogits: new Float32Array(0),
    history: [{ epoch: 0, stage: 'train', trainLoss: 1.25, valAccuracy: null, valBalancedAccuracy: null, learningRate: 0.002, seconds: 0.5, numTensors: 12 }],
    bestEpoch: 0,
    trainSeconds: 0.5,
    imagesPerSecond: 100,
    protocol: 'end-to-end',
    network: { trainableParams: 10, totalParams: 12, flopsPerImage: 100 },
    weights: { modelTopology: { a: 1 }, weightSpecs: [{ name: 'w' }], weightData: Float32Array.from([7, 8]).buffer },
  };
  const back = decodeOutcome(encodeOutcome(outcome));
  assert.deepEqual(Array.from(back.testLogits), Array.from(outcome.testLogits));
  assert.ok(Object.is(back.testLogits[3], -0));
  assert.deepEqual(back.testLogitsLast, outcome.testLogitsLast);
  assert.deepEqual(back.history, outcome.history);
  assert.deepEqual(Array.from(new Float32Array(back.weights!.weightData)), [7, 8]);
  assert.throws(() => decodeOutcome(JSON.stringify({ runId: 'x' })));
});
