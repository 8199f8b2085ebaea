/**
 * Test-only: the parameter settings every loss is verified under. Each loss appears with its
 * defaults and with the settings that exercise its other code paths.
 */
import type { RawParams } from './params';

export interface LossCase {
  id: string;
  params: RawParams;
  epoch?: number;
  label: string;
}

export const LOSS_CASES: LossCase[] = [
  { id: 'ce', params: {}, label: 'defaults' },
  { id: 'weighted-ce', params: {}, label: 'inverse frequency' },
  { id: 'weighted-ce', params: { scheme: 'inverse-sqrt' }, label: 'inverse sqrt' },
  { id: 'weighted-ce', params: { weights: '1,2,3,4,5' }, label: 'custom' },
  { id: 'cb-ce', params: {}, label: 'defaults' },
  { id: 'cb-ce', params: { beta: 0.99 }, label: 'β=0.99' },
  { id: 'cb-focal', params: {}, label: 'defaults' },
  { id: 'cb-focal', params: { beta: 0.999, gamma: 0.5 }, label: 'γ=0.5' },
  { id: 'cb-sigmoid', params: {}, label: 'defaults' },
  { id: 'focal', params: {}, label: 'defaults' },
  { id: 'focal', params: { gamma: 0.5, alpha: '0.1,0.2,0.3,0.4,0.5' }, label: 'γ=0.5, per-class α' },
  { id: 'focal', params: { gamma: 1, alpha: 0.25 }, label: 'scalar α' },
  { id: 'sigmoid-focal', params: {}, label: 'defaults' },
  { id: 'sigmoid-focal', params: { alpha: 'none', gamma: 1.5 }, label: 'no α' },
  { id: 'label-smoothing', params: {}, label: 'defaults' },
  { id: 'label-smoothing', params: { epsilon: 0.4 }, label: 'ε=0.4' },
  { id: 'logit-adjusted', params: {}, label: 'defaults' },
  { id: 'logit-adjusted', params: { tau: 2.5 }, label: 'τ=2.5' },
  { id: 'balanced-softmax', params: {}, label: 'defaults' },
  { id: 'ldam', params: {}, epoch: 3, label: 'before DRW' },
  { id: 'ldam', params: {}, epoch: 8, label: 'after DRW' },
  { id: 'ldam', params: { drw: 'off', s: 5, maxMargin: 0.3 }, epoch: 9, label: 'no DRW, s=5' },
  { id: 'mse', params: {}, label: 'defaults' },
  { id: 'mae', params: {}, label: 'defaults' },
  { id: 'hinge', params: {}, label: 'defaults' },
  { id: 'hinge', params: { margin: 0.5 }, label: 'margin 0.5' },
  { id: 'squared-hinge', params: {}, label: 'defaults' },
  { id: 'poly1', params: {}, label: 'defaults' },
  { id: 'poly1', params: { epsilon: -1 }, label: 'ε=−1' },
  { id: 'gce', params: {}, label: 'defaults' },
  { id: 'gce', params: { q: 0.2 }, label: 'q=0.2' },
  { id: 'sce', params: {}, label: 'defaults' },
  { id: 'sce', params: { alpha: 0.5, beta: 0.3 }, label: 'α=0.5, β=0.3' },
  { id: 'dice', params: {}, label: 'defaults (squared)' },
  { id: 'dice', params: { denominator: 'linear', smooth: 0.01 }, label: 'linear, s=0.01' },
  { id: 'contrastive', params: {}, label: 'defaults' },
  { id: 'contrastive', params: { margin: 1.6 }, label: 'margin 1.6' },
  { id: 'supcon', params: {}, label: 'defaults' },
  { id: 'supcon', params: { temperature: 0.5 }, label: 'τ=0.5' },
];

/** Long-tailed training counts for 5 classes, including a one-image class. */
export const COUNTS = [400, 90, 20, 4, 1];
export const TOTAL_EPOCHS = 10;
/** Every class present, class 4 (one training image) once, class 0 most often. */
export const LABELS = [0, 1, 0, 2, 3, 0, 4, 1, 0, 2];
