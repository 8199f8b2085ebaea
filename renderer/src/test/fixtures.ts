import type { ImbalancePreview, LossInfo } from '../../../main/api/contract';
import type { ExperimentResults, LossSummary, MetricSummary } from '../../../main/results/types';
import { HEADLINE_METRICS } from '../lib/metrics';

/** Small, hand-written data in the contract's shapes, shared by component and store tests. */

export const focalInfo = {
  id: 'focal',
  name: 'Focal loss (softmax)',
  formula: String.raw`\ell = -(1-p_y)^{\gamma}\log p_y`,
  citation: { authors: 'Lin et al.', year: 2017, title: 'Focal Loss for Dense Object Detection', venue: 'ICCV' },
  explanation: 'Down-weights easy examples.',
  params: [
    { key: 'gamma', label: 'γ', description: 'Focusing parameter.', type: 'number', default: 2, min: 0 },
    { key: 'alpha', label: 'α', description: 'Class weights.', type: 'vector', default: null, min: 0, nullable: true, scalarAllowed: true },
  ],
  needsClassCounts: false,
  kind: 'logits',
  tags: ['imbalance', 'hard-examples'],
} as LossInfo;

export const ceInfo = {
  id: 'ce',
  name: 'Cross-entropy',
  formula: String.raw`\ell = -\log p_y`,
  citation: { authors: 'Goodfellow et al.', year: 2016, title: 'Deep Learning' },
  explanation: 'The baseline.',
  params: [],
  needsClassCounts: false,
  kind: 'logits',
  tags: ['baseline'],
} as LossInfo;

export function preview(train: number[], pool = train.map(() => 100)): ImbalancePreview {
  const classes = train.map((_, i) => `class-${i}`);
  const headToTail = train.map((_, i) => i).sort((a, b) => train[b]! - train[a]! || a - b);
  return {
    classes,
    poolBeforeImbalance: pool,
    train,
    val: train.map(() => 10),
    test: train.map(() => 20),
    headToTail,
    imbalanceRatio: Math.max(...train) / Math.min(...train),
  };
}

function metric(mean: number, std: number | null = null): MetricSummary {
  return { mean, std, ci95: null, n: std === null ? 1 : 3 };
}

export function lossSummary(lossKey: string, loss: string, values: Partial<Record<(typeof HEADLINE_METRICS)[number], number>>): LossSummary {
  const metrics = Object.fromEntries(HEADLINE_METRICS.map((m) => [m, metric(values[m] ?? 0.5, 0.01)])) as LossSummary['metrics'];
  const none = { n: 0, mean: null, std: null, ci95: null };
  return { lossKey, loss, params: {}, seeds: [1, 2, 3], metrics, shotGroups: { many: none, medium: none, few: none } };
}

export function results(summary: LossSummary[]): ExperimentResults {
  return {
    formatVersion: 1,
    id: 'exp-1',
    createdAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:10:00.000Z',
    classes: ['a', 'b'],
    dataset: {
      root: '/data/ab',
      fingerprint: 'f',
      imageSize: 32,
      channels: 3,
      counts: { found: [10, 10], poolBeforeImbalance: [8, 8], train: [8, 2], val: [1, 1], test: [2, 2] },
      imbalance: { kind: 'exp', ratio: 4 },
      headToTail: [0, 1],
      imbalanceRatio: 4,
      skipped: [],
    },
    config: { seeds: [1, 2, 3], training: { epochs: 2, optimizer: 'adam', learningRate: 0.002, batchSize: 64 } } as unknown as ExperimentResults['config'],
    backend: null,
    versions: {},
    runs: [],
    summary,
    testItems: [],
  } as ExperimentResults;
}
