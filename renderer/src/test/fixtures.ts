import type { AnalysisRow, AnalysisView, ImbalancePreview, LossInfo, PredictionsPage } from '../../../main/api/contract';
import { ANALYSIS_METRICS } from '../../../main/analysis/types';
import type { Summary } from '../../../main/stats/summary';
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

function summary(mean: number | null): Summary {
  return { n: mean === null ? 0 : 2, mean, std: mean === null ? null : 0.01, ci95: null };
}

function analysisRow(key: string, label: string, kind: 'trained' | 'posthoc', balancedAccuracy: number, extra: Partial<AnalysisRow> = {}): AnalysisRow {
  const metrics = Object.fromEntries(ANALYSIS_METRICS.map((m) => [m, summary(m === 'balancedAccuracy' ? balancedAccuracy : 0.1)])) as AnalysisRow['metrics'];
  const bin = { lower: 0.5, upper: 1, count: 4, accuracy: 0.75, confidence: 0.8 };
  return {
    key,
    label,
    kind,
    loss: key.replace(/\(.*$/, ''),
    params: {},
    seeds: [1, 2],
    seedsWithLogits: [1, 2],
    metrics,
    recall: [0.9, 0.4],
    precision: [0.8, 0.6],
    f1: [0.85, 0.48],
    calibration: {
      reliability: { bins: [bin], ece: 0.05, mce: 0.05, samples: 4 },
      reliabilityTemperatureScaled: { bins: [bin], ece: 0.02, mce: 0.02, samples: 4 },
      temperature: [{ seed: 1, temperature: 1.5, atBound: false, eceBefore: 0.1, eceAfter: 0.03, nllBefore: 0.7, nllAfter: 0.6 }],
    },
    runs: [
      { seed: 1, runId: `${key}#seed1` },
      { seed: 2, runId: `${key}#seed2` },
    ],
    modelRuns: kind === 'trained' ? [{ seed: 1, runId: `${key}#seed1` }] : [],
    ...extra,
  };
}

/** The analysis of a two-class experiment: CE (baseline) with its post-hoc row, and focal, significantly better. */
export function analysisView(baseline = 'ce'): AnalysisView {
  const variants = [
    analysisRow('ce', 'Cross-entropy', 'trained', 0.6),
    analysisRow('ce+posthoc-la', 'Cross-entropy + post-hoc LA (τ = 1)', 'posthoc', 0.65, { source: 'ce' }),
    analysisRow('focal(gamma=1)', 'Focal loss (softmax) (γ = 1)', 'trained', 0.75),
  ];
  const comparison = (key: string, difference: number, interval: [number, number], significant: boolean) => ({
    key,
    baseline,
    seeds: [1, 2],
    difference,
    baselineBalancedAccuracy: 0.6,
    candidateBalancedAccuracy: 0.6 + difference,
    interval,
    significant,
    mcnemar: { perSeed: [{ seed: 1, b: 2, c: 9, method: 'exact' as const, statistic: 0, pValue: 0.0654 }], pMax: 0.0654, significant: false },
  });
  return {
    analysis: {
      analysisVersion: 1,
      experimentId: 'exp-1',
      classes: ['a', 'b'],
      headToTail: [0, 1],
      settings: { baseline, bootstrapResamples: 2000, bootstrapSeed: 0, level: 0.95, calibrationBins: 15, posthocTau: 1, hardestClasses: 3, examplesPerClass: 6 },
      variants,
      comparisons: [comparison('ce+posthoc-la', 0.05, [-0.01, 0.11], false), comparison('focal(gamma=1)', 0.15, [0.12, 0.19], true)],
      ranking: {
        seeds: [1, 2],
        entries: [
          { key: 'focal(gamma=1)', score: 0.75, rank: 1, tiedWith: ['focal(gamma=1)'] },
          { key: 'ce', score: 0.6, rank: 2, tiedWith: ['ce'] },
        ],
        excluded: [],
      },
      incompleteRuns: [],
      warnings: [],
    },
    verdict: {
      text: 'Focal loss (softmax) (γ = 1) is best: +0.150 balanced accuracy over Cross-entropy [+0.120, +0.190] (95% paired bootstrap); every other loss is significantly worse.',
      best: 'focal(gamma=1)',
      baseline,
      difference: 0.15,
      interval: [0.12, 0.19],
      significant: true,
      tied: [],
      level: 0.95,
    },
  };
}

/** A page of the per-image view: two test images, CE and focal of seed 1. */
export function predictionsPage(offset = 0, total = 30): PredictionsPage {
  return {
    total,
    seed: 1,
    seeds: [1, 2],
    runs: [
      { runId: 'ce#seed1', lossKey: 'ce', label: 'Cross-entropy' },
      { runId: 'focal(gamma=1)#seed1', lossKey: 'focal(gamma=1)', label: 'Focal loss (softmax) (γ = 1)' },
    ],
    items: [
      { index: offset, file: 'b/1.png', absolutePath: '/data/ab/b/1.png', url: '/files?path=b1', trueClass: 1, predictions: [{ predicted: 0, confidence: 0.91 }, { predicted: 1, confidence: 0.62 }] },
      { index: offset + 1, file: 'a/3.png', absolutePath: '/data/ab/a/3.png', url: '/files?path=a3', trueClass: 0, predictions: [{ predicted: 0, confidence: 0.99 }, { predicted: 0, confidence: 0.97 }] },
    ],
  };
}
