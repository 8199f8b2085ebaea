import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from './define';
import { LossParamError } from './errors';
import { crossEntropy, logOneMinusTrueProb, oneHotF, perSampleFromClassTable, rowSum, trueLogProb } from './ops';
import { num, perClass, str } from './params';
import { classPriorsFromCounts, effectiveCounts, inverseFrequencyWeights, inverseSqrtFrequencyWeights, normaliseToClassCount } from './weights';

/** Softmax cross-entropy and the losses that only move its logits or its targets. */

const MEAN = 'mean over the batch';
const WEIGHTED_MEAN = 'weighted mean Σ w_y·ℓ / Σ w_y over the batch (PyTorch cross_entropy with weight=, reduction="mean")';

export const ce = defineLoss({
  id: 'ce',
  name: 'Cross-entropy',
  formula: String.raw`\ell(z,y) = -\log \frac{e^{z_y}}{\sum_{j=1}^{C} e^{z_j}}`,
  citation: { authors: 'Goodfellow, I., Bengio, Y., Courville, A.', year: 2016, title: 'Deep Learning (§6.2.2.3, softmax units)', venue: 'MIT Press' },
  explanation:
    'The baseline: the negative log of the probability the softmax gives the true class. Every image counts the same, so frequent classes dominate the gradient and the model learns to favour them; every other loss here is judged against it.',
  params: [],
  needsClassCounts: false,
  kind: 'logits',
  reduction: MEAN,
  build: (_p, ctx) => ({
    reduction: MEAN,
    terms: (z, y) => ({ values: crossEntropy(z, oneHotF(y, ctx.numClasses)) }),
  }),
});

export const weightedCe = defineLoss({
  id: 'weighted-ce',
  name: 'Class-weighted cross-entropy',
  formula: String.raw`\ell_i = -w_{y_i}\log p_{y_i},\quad L = \frac{\sum_i \ell_i}{\sum_i w_{y_i}},\quad w_c \propto n_c^{-1}\ \text{or}\ n_c^{-1/2},\ \textstyle\sum_c w_c = C`,
  citation: { authors: 'King, G., Zeng, L.', year: 2001, title: 'Logistic Regression in Rare Events Data', venue: 'Political Analysis 9(2)' },
  explanation:
    'Cross-entropy where each image is multiplied by a weight for its class: inverse frequency (1/n), the gentler inverse square root (1/√n), or weights you give. Rare classes pull harder on the decision boundary. Helps balanced accuracy under moderate imbalance; with extreme imbalance inverse frequency can over-correct and make training noisy, where 1/√n is often the better choice. Weights are normalised to sum to the number of classes; the batch loss divides by the summed weights as PyTorch does.',
  params: [
    {
      key: 'scheme',
      label: 'Weighting',
      description: "'inverse' (1/n), 'inverse-sqrt' (1/√n) or 'custom' (the weights parameter). Defaults to 'custom' when weights are given.",
      type: 'enum',
      default: 'inverse',
      options: ['inverse', 'inverse-sqrt', 'custom'],
    },
    {
      key: 'weights',
      label: 'Custom weights',
      description: 'One positive weight per class, in class order (normalised to sum to the number of classes).',
      type: 'vector',
      default: null,
      min: 0,
      minInclusive: false,
      nullable: true,
    },
  ],
  needsClassCounts: true,
  kind: 'logits',
  reduction: WEIGHTED_MEAN,
  finishParams: (p, given) => {
    if (given.has('weights') && p['weights'] !== null && !given.has('scheme')) return { ...p, scheme: 'custom' };
    if (p['scheme'] === 'custom' && p['weights'] === null) {
      throw new LossParamError("Loss 'weighted-ce': scheme 'custom' needs parameter 'weights' (one positive number per class).", 'weighted-ce', 'weights');
    }
    if (p['scheme'] !== 'custom' && p['weights'] !== null) {
      throw new LossParamError(`Loss 'weighted-ce': parameter 'weights' is only used with scheme 'custom' (scheme is '${String(p['scheme'])}').`, 'weighted-ce', 'weights');
    }
    return p;
  },
  build: (p, ctx) => {
    const scheme = str(p, 'scheme');
    const weights =
      scheme === 'custom'
        ? normaliseToClassCount(perClass('weighted-ce', p, 'weights', ctx.numClasses)!)
        : scheme === 'inverse-sqrt'
          ? inverseSqrtFrequencyWeights(ctx.classCounts)
          : inverseFrequencyWeights(ctx.classCounts);
    return {
      reduction: WEIGHTED_MEAN,
      terms: (z, y) => {
        const w = perSampleFromClassTable(weights, y);
        return { values: tf.mul(w, crossEntropy(z, oneHotF(y, ctx.numClasses))) as tf.Tensor1D, denominator: tf.sum(w) };
      },
    };
  },
});

export const labelSmoothing = defineLoss({
  id: 'label-smoothing',
  name: 'Label smoothing',
  formula: String.raw`\ell(z,y) = -\sum_{c=1}^{C}\Big[(1-\varepsilon)\,\mathbb{1}[c=y] + \frac{\varepsilon}{C}\Big]\log p_c`,
  citation: {
    authors: 'Szegedy, C., Vanhoucke, V., Ioffe, S., Shlens, J., Wojna, Z.',
    year: 2016,
    title: 'Rethinking the Inception Architecture for Computer Vision',
    venue: 'CVPR',
  },
  explanation:
    'Cross-entropy against a softened target: the true class gets 1−ε plus ε/C and every other class ε/C. The model is no longer rewarded for pushing one logit to infinity, which curbs over-confidence and usually improves calibration. It does not favour rare classes by itself; under imbalance it mainly changes how confident the head classes become. Same convention as PyTorch label_smoothing=ε.',
  params: [
    { key: 'epsilon', label: 'ε', description: 'Probability mass spread uniformly over all classes.', type: 'number', default: 0.1, min: 0, max: 1 },
  ],
  needsClassCounts: false,
  kind: 'logits',
  reduction: MEAN,
  build: (p, ctx) => {
    const eps = num(p, 'epsilon');
    const C = ctx.numClasses;
    return {
      reduction: MEAN,
      terms: (z, y) => {
        const target = tf.add(tf.mul(oneHotF(y, C), 1 - eps), eps / C) as tf.Tensor2D;
        return { values: tf.neg(rowSum(tf.mul(target, tf.logSoftmax(z)) as tf.Tensor2D)) };
      },
    };
  },
});

export const logitAdjusted = defineLoss({
  id: 'logit-adjusted',
  name: 'Logit-adjusted cross-entropy',
  formula: String.raw`\ell(z,y) = -\log \frac{e^{z_y + \tau\log\pi_y}}{\sum_{j} e^{z_j + \tau\log\pi_j}}`,
  citation: {
    authors: 'Menon, A. K., Jayasumana, S., Rawat, A. S., Jain, H., Veit, A., Kumar, S.',
    year: 2021,
    title: 'Long-tail learning via logit adjustment',
    venue: 'ICLR',
  },
  explanation:
    'Adds τ·log(class prior) to every logit during training only. Frequent classes get a head start they must not rely on, so the network learns logits that already discount class frequency; at test time the raw logits are used and rare classes win more often. Targets balanced accuracy directly; τ = 1 is the paper\'s Fisher-consistent choice, τ = 0 is plain CE.',
  params: [
    { key: 'tau', label: 'τ', description: 'Strength of the prior adjustment.', type: 'number', default: 1, min: 0 },
  ],
  needsClassCounts: true,
  kind: 'logits',
  reduction: MEAN,
  build: (p, ctx) => {
    const tau = num(p, 'tau');
    const offsets = classPriorsFromCounts(ctx.classCounts).map((pi) => tau * Math.log(pi));
    return {
      reduction: MEAN,
      terms: (z, y) => ({ values: crossEntropy(tf.add(z, tf.tensor1d(offsets, 'float32')) as tf.Tensor2D, oneHotF(y, ctx.numClasses)) }),
    };
  },
});

export const balancedSoftmax = defineLoss({
  id: 'balanced-softmax',
  name: 'Balanced softmax',
  formula: String.raw`\ell(z,y) = -\log \frac{n_y\, e^{z_y}}{\sum_{j} n_j\, e^{z_j}}`,
  citation: {
    authors: 'Ren, J., Yu, C., Sheng, S., Ma, X., Zhao, H., Yi, S., Li, H.',
    year: 2020,
    title: 'Balanced Meta-Softmax for Long-Tailed Visual Recognition',
    venue: 'NeurIPS',
  },
  explanation:
    'Multiplies each class\'s softmax term by its training count (adds log n to the logits) during training, which models the shift from the long-tailed training distribution to a balanced test distribution. Equivalent to logit-adjusted CE with τ = 1 and no hyperparameter; a strong default whenever the test set is balanced.',
  params: [],
  needsClassCounts: true,
  kind: 'logits',
  reduction: MEAN,
  build: (_p, ctx) => {
    const offsets = effectiveCounts(ctx.classCounts).map((n) => Math.log(n));
    return {
      reduction: MEAN,
      terms: (z, y) => ({ values: crossEntropy(tf.add(z, tf.tensor1d(offsets, 'float32')) as tf.Tensor2D, oneHotF(y, ctx.numClasses)) }),
    };
  },
});

export const poly1 = defineLoss({
  id: 'poly1',
  name: 'Poly-1',
  formula: String.raw`\ell(z,y) = -\log p_y + \varepsilon\,(1-p_y)`,
  citation: {
    authors: 'Leng, Z., Tan, M., Liu, C., Cubuk, E. D., Shi, X., Cheng, S., Anguelov, D.',
    year: 2022,
    title: 'PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions',
    venue: 'ICLR',
  },
  explanation:
    'Cross-entropy plus ε times the first term of its Taylor series in (1−p). A positive ε keeps pushing on examples that are already fairly well classified, a negative ε (down to −1) relaxes that push. One extra line on top of CE that often gives a small gain; it is not specifically an imbalance method.',
  params: [
    {
      key: 'epsilon',
      label: 'ε',
      description: 'Weight of the (1−p_y) term; below −1 the loss would stop decreasing as p_y grows.',
      type: 'number',
      default: 1,
      min: -1,
    },
  ],
  needsClassCounts: false,
  kind: 'logits',
  reduction: MEAN,
  build: (p, ctx) => {
    const eps = num(p, 'epsilon');
    return {
      reduction: MEAN,
      terms: (z, y) => {
        const onehot = oneHotF(y, ctx.numClasses);
        // 1 − p_y taken from log space so it stays exact when p_y rounds to 1.
        const oneMinusP = tf.exp(logOneMinusTrueProb(z, onehot));
        return { values: tf.add(tf.neg(trueLogProb(z, onehot)), tf.mul(oneMinusP, eps)) as tf.Tensor1D };
      },
    };
  },
});
