import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExperimentConfig } from '../experiment/config';
import { configFromFlags } from './commands/run';
import { parseImbalanceSettings } from './options';

const flags = (extra: Record<string, unknown>) => ({ data: '/data', losses: 'ce,focal', param: [] as string[], cache: true, ...extra }) as Parameters<typeof configFromFlags>[0];

test('--imbalance with several settings is a sweep; one setting is the ordinary experiment', () => {
  assert.deepEqual(parseImbalanceSettings('exp:1,10,50,100'), [1, 10, 50, 100].map((ratio) => ({ kind: 'exp', ratio })));
  assert.deepEqual(parseImbalanceSettings('none,exp:10,20,step:10'), [{ kind: 'none' }, { kind: 'exp', ratio: 10 }, { kind: 'exp', ratio: 20 }, { kind: 'step', ratio: 10 }]);
  assert.throws(() => parseImbalanceSettings('10,exp:5'), /needs a profile before it/);
  assert.throws(() => parseImbalanceSettings('exp:1,0.5'), /ratio ≥ 1/);

  const sweep = parseExperimentConfig(configFromFlags(flags({ imbalance: 'exp:1,10' })));
  assert.deepEqual(sweep.sweep, { imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 10 }] });
  const single = parseExperimentConfig(configFromFlags(flags({ imbalance: 'exp:10' })));
  assert.equal('sweep' in single, false);
  assert.deepEqual(single.imbalance, { kind: 'exp', ratio: 10 });
});

test('--param with a list sweeps a one-number parameter; a per-class parameter keeps its vector', () => {
  const swept = parseExperimentConfig(configFromFlags(flags({ param: ['focal.gamma=0.5,1,2,5'] })));
  assert.deepEqual(swept.sweep, { param: { loss: 'focal', key: 'gamma', values: [0.5, 1, 2, 5] } });
  assert.deepEqual(swept.losses.map((l) => l.params), [{}, {}]);
  const vector = configFromFlags(flags({ losses: 'ce,weighted-ce', param: ['weighted-ce.weights=1,2'] })) as { sweep?: unknown; losses: { params: unknown }[] };
  assert.equal(vector.sweep, undefined);
  assert.deepEqual(vector.losses[1]!.params, { weights: [1, 2] });
  assert.throws(() => configFromFlags(flags({ losses: 'focal,ldam', param: ['focal.gamma=1,2', 'ldam.maxMargin=0.1,0.5'] })), /one hyperparameter at a time/);
});
