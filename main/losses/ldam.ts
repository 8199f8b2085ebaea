import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from './define';
import { crossEntropy, oneHotF, perSampleFromClassTable } from './ops';
import { num, str } from './params';
import type { LossContext, LossParams } from './types';
import { classBalancedWeights, ldamMargins } from './weights';

/**
 * LDAM with the optional deferred re-weighting (DRW) schedule, following Cao et al.'s
 * reference code (kaidic/LDAM-DRW): margins 1/n^¼ scaled to max_m, subtracted from the true
 * logit, logits multiplied by s, then F.cross_entropy with optional class weights. DRW uses
 * weights 1 until the chosen epoch (idx = epoch // 160 of 200 there, i.e. from 80 % of
 * training), then class-balanced weights with β = 0.9999, normalised to sum to C. With
 * weights, PyTorch's mean is Σ w_y·ℓ / Σ w_y, and so is ours.
 */

const REDUCTION = 'mean over the batch; once DRW is active, weighted mean Σ w_y·ℓ / Σ w_y (PyTorch cross_entropy with weight=)';

/** First 0-based epoch that uses DRW weights, or Infinity when DRW is off. */
export function drwStartEpoch(params: LossParams, ctx: LossContext): number {
  if (str(params, 'drw') !== 'on') return Infinity;
  // epoch ≥ fraction·T; the tolerance keeps 0.8·200 from becoming 160.00000000000003.
  return Math.ceil(num(params, 'drwStart') * ctx.totalEpochs - 1e-9);
}

export const ldam = defineLoss({
  id: 'ldam',
  name: 'LDAM (with DRW)',
  formula: String.raw`\ell(z,y) = -\log\frac{e^{s(z_y-\Delta_y)}}{e^{s(z_y-\Delta_y)} + \sum_{j\ne y} e^{s z_j}},\quad \Delta_c = \frac{m_{\max}\, n_c^{-1/4}}{\max_k n_k^{-1/4}}`,
  citation: {
    authors: 'Cao, K., Wei, C., Gaidon, A., Arechiga, N., Ma, T.',
    year: 2019,
    title: 'Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss',
    venue: 'NeurIPS',
  },
  explanation:
    'Cross-entropy that demands a larger margin for rare classes: the true-class logit is lowered by Δ_y ∝ n_y^(−1/4) before the softmax, so rare classes must be separated by more to reach the same loss, which improves their generalisation. With DRW (on by default) training uses plain weights first and switches to class-balanced weights (β = 0.9999) late in training (default: the last 20 % of epochs), once features are learned. The paper pairs it with a cosine-normalised classifier, where logits lie in [−1, 1] and s = 30 rescales them; with an ordinary linear head a smaller s is more sensible.',
  params: [
    { key: 'maxMargin', label: 'max margin', description: 'Margin of the rarest class (m_max).', type: 'number', default: 0.5, min: 0, minInclusive: false },
    { key: 's', label: 's', description: 'Scale applied to the margin-adjusted logits.', type: 'number', default: 30, min: 0, minInclusive: false },
    { key: 'drw', label: 'DRW', description: 'Deferred re-weighting schedule on or off.', type: 'enum', default: 'on', options: ['on', 'off'] },
    {
      key: 'drwStart',
      label: 'DRW start',
      description: 'Fraction of training after which class-balanced weights are used (epoch ≥ fraction × total epochs).',
      type: 'number',
      default: 0.8,
      min: 0,
      max: 1,
    },
    {
      key: 'drwBeta',
      label: 'DRW β',
      description: 'β of the class-balanced weights used once DRW is active.',
      type: 'number',
      default: 0.9999,
      min: 0,
      max: 1,
      maxInclusive: false,
    },
  ],
  needsClassCounts: true,
  kind: 'logits',
  reduction: REDUCTION,
  head: {
    cosineClassifier: true,
    note: 'Cao et al. train LDAM with a cosine classifier (normalised features and weights, NormedLinear); s = 30 assumes logits in [−1, 1].',
  },
  build: (p, ctx) => {
    const s = num(p, 's');
    const margins = ldamMargins(ctx.classCounts, num(p, 'maxMargin'));
    const startEpoch = drwStartEpoch(p, ctx);
    const drwWeights = classBalancedWeights(ctx.classCounts, num(p, 'drwBeta'));
    return {
      reduction: REDUCTION,
      terms: (z, y, step) => {
        const onehot = oneHotF(y, ctx.numClasses);
        const shifted = tf.sub(z, tf.mul(onehot, tf.expandDims(perSampleFromClassTable(margins, y), 1)));
        const nll = crossEntropy(tf.mul(shifted, s) as tf.Tensor2D, onehot);
        const epoch = step?.epoch ?? 0;
        if (epoch < startEpoch) return { values: nll };
        const w = perSampleFromClassTable(drwWeights, y);
        return { values: tf.mul(w, nll) as tf.Tensor1D, denominator: tf.sum(w) };
      },
    };
  },
});
