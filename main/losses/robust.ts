import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from './define';
import { crossEntropy, oneHotF, rowSum, trueLogProb } from './ops';
import { num } from './params';

/** Noise-robust losses that interpolate between CE and MAE. */

const MEAN = 'mean over the batch';

export const gce = defineLoss({
  id: 'gce',
  name: 'Generalised cross-entropy',
  formula: String.raw`\ell(z,y) = \frac{1 - p_y^{\,q}}{q}`,
  citation: {
    authors: 'Zhang, Z., Sabuncu, M. R.',
    year: 2018,
    title: 'Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels',
    venue: 'NeurIPS',
  },
  explanation:
    'The Box–Cox transform of p_y: as q → 0 it becomes cross-entropy, at q = 1 it is 1 − p_y (half of MAE). In between it keeps much of CE\'s fast learning while bounding the influence of images the model confidently disagrees with — typically mislabelled ones. Useful when labels are noisy; on clean imbalanced data it mostly trades a little accuracy on rare classes for robustness. This is the untruncated L_q loss (the paper\'s truncated variant needs per-image pruning and is not included).',
  params: [{ key: 'q', label: 'q', description: 'Interpolation exponent: → 0 approaches CE, 1 gives 1 − p_y.', type: 'number', default: 0.7, min: 0, minInclusive: false, max: 1 }],
  needsClassCounts: false,
  kind: 'logits',
  reduction: MEAN,
  build: (p, ctx) => {
    const q = num(p, 'q');
    return {
      reduction: MEAN,
      // (1 − e^{q·log p})/q = −expm1(q·log p)/q: expm1 keeps small q precise, where 1 − p^q
      // would cancel to 0 in float32.
      terms: (z, y) => ({ values: tf.div(tf.neg(tf.expm1(tf.mul(trueLogProb(z, oneHotF(y, ctx.numClasses)), q))), q) as tf.Tensor1D }),
    };
  },
});

/**
 * The reference code (Wang et al.) clamps the one-hot target to [1e-4, 1] before taking its
 * log, so log 0 becomes A = ln(1e-4) ≈ −9.21, and clamps the prediction to [1e-7, 1].
 * (The paper's text quotes A = −4.) We follow the code.
 */
export const SCE_LABEL_FLOOR = 1e-4;
export const SCE_PROB_FLOOR = 1e-7;

export const sce = defineLoss({
  id: 'sce',
  name: 'Symmetric cross-entropy',
  formula: String.raw`\ell = \alpha\,\big(-\log p_y\big) + \beta\,\Big(-\sum_{c} p_c \log q_c\Big),\quad q_c = \max\!\big(\mathbb{1}[c=y], 10^{-4}\big)`,
  citation: {
    authors: 'Wang, Y., Ma, X., Chen, Z., Luo, Y., Yi, J., Bailey, J.',
    year: 2019,
    title: 'Symmetric Cross Entropy for Robust Learning with Noisy Labels',
    venue: 'ICCV',
  },
  explanation:
    'Cross-entropy plus "reverse" cross-entropy, which swaps the roles of prediction and label; with log 0 clipped to ln 10⁻⁴ the reverse term is a scaled MAE. The CE part learns fast, the reverse part resists fitting noisy labels. Defaults α = 0.1, β = 1 are the paper\'s CIFAR-10 setting. Aimed at label noise rather than imbalance.',
  params: [
    { key: 'alpha', label: 'α', description: 'Weight of the cross-entropy term.', type: 'number', default: 0.1, min: 0 },
    { key: 'beta', label: 'β', description: 'Weight of the reverse cross-entropy term.', type: 'number', default: 1, min: 0 },
  ],
  needsClassCounts: false,
  kind: 'logits',
  reduction: MEAN,
  build: (p, ctx) => {
    const alpha = num(p, 'alpha');
    const beta = num(p, 'beta');
    const negLogFloor = -Math.log(SCE_LABEL_FLOOR);
    return {
      reduction: MEAN,
      terms: (z, y) => {
        const onehot = oneHotF(y, ctx.numClasses);
        const prob = tf.clipByValue(tf.softmax(z), SCE_PROB_FLOOR, 1);
        // −Σ p_c log q_c: the true class has log 1 = 0, every other class −ln(1e-4).
        const rce = tf.mul(rowSum(tf.mul(prob, tf.sub(1, onehot)) as tf.Tensor2D), negLogFloor);
        return { values: tf.add(tf.mul(crossEntropy(z, onehot), alpha), tf.mul(rce, beta)) as tf.Tensor1D };
      },
    };
  },
});
