import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from './define';
import { sigmoidFocalElements } from './focal';
import { bceWithLogits, crossEntropy, oneHotF, perSampleFromClassTable, rowSum } from './ops';
import { num } from './params';
import type { HeadAdvice, ParamSpec } from './types';
import { classBalancedWeights } from './weights';

/**
 * Class-balanced losses of Cui et al. (2019). Reductions follow their reference code
 * (richardaecn/class-balanced-loss, src/cifar_main.py), not PyTorch's weighted mean:
 *  - softmax: tf.losses.softmax_cross_entropy(weights=w_y), whose default reduction
 *    SUM_BY_NONZERO_WEIGHTS divides Σ w_y·ℓ by the number of images (all weights are > 0);
 *  - sigmoid and focal: Σ over images and classes of w_y·ℓ_ic, divided by the number of
 *    positive labels, which is again the number of images.
 * So the batch loss is Σ_i w_{y_i} ℓ_i / B in all three.
 */

const BETA: ParamSpec = {
  key: 'beta',
  label: 'β',
  description: 'Effective-number hyperparameter; 0 gives equal weights (plain loss), values near 1 approach inverse frequency.',
  type: 'number',
  default: 0.9999,
  min: 0,
  max: 1,
  maxInclusive: false,
};

const REDUCTION = 'Σ w_y·ℓ / B over the batch (Cui et al. reference code: weighted sum divided by the number of images)';

const CUI = {
  authors: 'Cui, Y., Jia, M., Lin, T.-Y., Song, Y., Belongie, S.',
  year: 2019,
  title: 'Class-Balanced Loss Based on Effective Number of Samples',
  venue: 'CVPR',
};

const SIGMOID_HEAD: HeadAdvice = {
  initialBias: (c) => -Math.log(c - 1),
  note: 'Cui et al.\'s reference code initialises the classifier bias to −log(C−1) for the sigmoid and focal variants, so every sigmoid starts at 1/C.',
};

const WEIGHT_TEXT =
  'Each image is weighted by (1−β)/(1−β^n) for its class of n training images — the inverse of the "effective number" of images, which grows more slowly than n because similar images add little new information. Weights are normalised to sum to the number of classes. β = 0 gives equal weights; β → 1 approaches inverse frequency. As in the authors\' code, the weighted sum is divided by the number of images in the batch (not by the summed weights), so the weights also scale the effective learning rate.';

export const cbCe = defineLoss({
  id: 'cb-ce',
  name: 'Class-balanced cross-entropy',
  formula: String.raw`L = \frac{1}{B}\sum_i w_{y_i}\big(-\log p_{y_i}\big),\quad w_c = C\,\frac{(1-\beta)/(1-\beta^{n_c})}{\sum_k (1-\beta)/(1-\beta^{n_k})}`,
  citation: CUI,
  explanation: `Softmax cross-entropy with class-balanced weights. ${WEIGHT_TEXT} Like weighted CE but with a principled middle ground between no weighting and inverse frequency.`,
  params: [BETA],
  needsClassCounts: true,
  kind: 'logits',
  reduction: REDUCTION,
  build: (p, ctx) => {
    const w = classBalancedWeights(ctx.classCounts, num(p, 'beta'));
    return {
      reduction: REDUCTION,
      terms: (z, y) => ({ values: tf.mul(perSampleFromClassTable(w, y), crossEntropy(z, oneHotF(y, ctx.numClasses))) as tf.Tensor1D }),
    };
  },
});

export const cbSigmoid = defineLoss({
  id: 'cb-sigmoid',
  name: 'Class-balanced sigmoid cross-entropy',
  formula: String.raw`L = \frac{1}{B}\sum_i w_{y_i}\sum_{c=1}^{C}\mathrm{BCE}\big(z_{ic}, \mathbb{1}[c=y_i]\big)`,
  citation: CUI,
  explanation: `One-vs-all sigmoid cross-entropy (each class an independent yes/no) with class-balanced weights. ${WEIGHT_TEXT} The sigmoid form does not make classes compete inside one softmax, which Cui et al. found helps on long-tailed data.`,
  params: [BETA],
  needsClassCounts: true,
  kind: 'logits',
  reduction: REDUCTION,
  head: SIGMOID_HEAD,
  build: (p, ctx) => {
    const w = classBalancedWeights(ctx.classCounts, num(p, 'beta'));
    return {
      reduction: REDUCTION,
      terms: (z, y) => ({ values: tf.mul(perSampleFromClassTable(w, y), rowSum(bceWithLogits(z, oneHotF(y, ctx.numClasses)))) as tf.Tensor1D }),
    };
  },
});

export const cbFocal = defineLoss({
  id: 'cb-focal',
  name: 'Class-balanced focal loss',
  formula: String.raw`L = \frac{1}{B}\sum_i w_{y_i}\sum_{c=1}^{C}(1-p^t_{ic})^{\gamma}\,\mathrm{BCE}\big(z_{ic}, \mathbb{1}[c=y_i]\big),\quad p^t_{ic} = \sigma\big(\pm z_{ic}\big)`,
  citation: CUI,
  explanation: `Sigmoid focal loss (easy examples damped by (1−p_t)^γ) with class-balanced weights. ${WEIGHT_TEXT} γ defaults to 1.0, the value in Cui et al.'s released CIFAR script; γ = 0 gives cb-sigmoid.`,
  params: [BETA, { key: 'gamma', label: 'γ', description: 'Focusing parameter; 0 gives cb-sigmoid.', type: 'number', default: 1, min: 0 }],
  needsClassCounts: true,
  kind: 'logits',
  reduction: REDUCTION,
  head: SIGMOID_HEAD,
  build: (p, ctx) => {
    const w = classBalancedWeights(ctx.classCounts, num(p, 'beta'));
    const gamma = num(p, 'gamma');
    return {
      reduction: REDUCTION,
      terms: (z, y) => ({
        values: tf.mul(perSampleFromClassTable(w, y), rowSum(sigmoidFocalElements(z, oneHotF(y, ctx.numClasses), gamma))) as tf.Tensor1D,
      }),
    };
  },
});
