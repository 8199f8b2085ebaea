import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from './define';
import { bceWithLogits, logOneMinusTrueProb, oneHotF, perSampleFromClassTable, trueLogProb } from './ops';
import { num, perClass } from './params';

/** Focal losses: cross-entropy damped by (1 − p_t)^γ so that easy examples count less. */

/**
 * Element-wise sigmoid focal term (1−p_t)^γ · BCE(z, t) for one-vs-all targets t.
 * (1−p_t)^γ is computed as exp(−γ·[t·softplus(z) + (1−t)·softplus(−z)]), i.e. in log space:
 * the plain pow() form has an infinite gradient at p_t = 1 for γ < 1 and gives NaN.
 * This is the same quantity as the modulator in Cui et al.'s reference code.
 */
export function sigmoidFocalElements(logits: tf.Tensor2D, targets: tf.Tensor2D, gamma: number): tf.Tensor2D {
  const bce = bceWithLogits(logits, targets);
  if (gamma === 0) return bce;
  const logOneMinusPt = tf.neg(tf.add(tf.mul(targets, tf.softplus(logits)), tf.mul(tf.sub(1, targets), tf.softplus(tf.neg(logits)))));
  return tf.mul(tf.exp(tf.mul(logOneMinusPt, gamma)), bce) as tf.Tensor2D;
}

export const focal = defineLoss({
  id: 'focal',
  name: 'Focal loss (softmax)',
  formula: String.raw`\ell(z,y) = -\alpha_y\,(1-p_y)^{\gamma}\,\log p_y,\qquad p = \mathrm{softmax}(z)`,
  citation: {
    authors: 'Lin, T.-Y., Goyal, P., Girshick, R., He, K., Dollár, P.',
    year: 2017,
    title: 'Focal Loss for Dense Object Detection',
    venue: 'ICCV',
  },
  explanation:
    'Cross-entropy multiplied by (1 − p_y)^γ: images the model already gets right with high confidence contribute almost nothing, so training concentrates on hard and misclassified ones, which under imbalance are disproportionately from rare classes. γ = 0 is plain CE. The optional α re-weights classes (one number for all, or one per class). Applied here to the multi-class softmax; the batch loss is the plain mean of the per-image values (α included).',
  params: [
    { key: 'gamma', label: 'γ', description: 'Focusing parameter; 0 gives cross-entropy.', type: 'number', default: 2, min: 0 },
    {
      key: 'alpha',
      label: 'α',
      description: "Class weight α_y: 'none', one number for every class, or one non-negative number per class.",
      type: 'vector',
      default: null,
      min: 0,
      nullable: true,
      scalarAllowed: true,
    },
  ],
  needsClassCounts: false,
  kind: 'logits',
  reduction: 'mean over the batch',
  build: (p, ctx) => {
    const gamma = num(p, 'gamma');
    const alpha = perClass('focal', p, 'alpha', ctx.numClasses);
    return {
      reduction: 'mean over the batch',
      terms: (z, y) => {
        const onehot = oneHotF(y, ctx.numClasses);
        const nll = tf.neg(trueLogProb(z, onehot));
        let values = gamma === 0 ? nll : (tf.mul(tf.exp(tf.mul(logOneMinusTrueProb(z, onehot), gamma)), nll) as tf.Tensor1D);
        if (alpha) values = tf.mul(perSampleFromClassTable(alpha, y), values) as tf.Tensor1D;
        return { values };
      },
    };
  },
});

const ELEMENT_MEAN = 'mean over all B×C one-vs-all elements (torchvision sigmoid_focal_loss, reduction="mean"); per-image values are the mean over classes';

export const sigmoidFocal = defineLoss({
  id: 'sigmoid-focal',
  name: 'Sigmoid focal loss',
  formula: String.raw`\ell_{ic} = -\alpha_t\,(1-p_t)^{\gamma}\log p_t,\ \ p_t = \begin{cases}\sigma(z_{ic}) & c = y_i\\ 1-\sigma(z_{ic}) & c \ne y_i\end{cases},\ \ \alpha_t = \begin{cases}\alpha & c = y_i\\ 1-\alpha & c \ne y_i\end{cases},\ \ L = \frac{1}{BC}\sum_{i,c}\ell_{ic}`,
  citation: {
    authors: 'Lin, T.-Y., Goyal, P., Girshick, R., He, K., Dollár, P.',
    year: 2017,
    title: 'Focal Loss for Dense Object Detection',
    venue: 'ICCV',
  },
  explanation:
    'The original RetinaNet form: every class is an independent yes/no (sigmoid) decision with a focal factor, with α weighting the positives and 1−α the negatives. We follow torchvision\'s sigmoid_focal_loss and average over all image×class elements, so values are directly comparable with it. Without the bias initialisation the paper uses, the many negatives dominate early training; see the head advice.',
  params: [
    { key: 'alpha', label: 'α', description: "Weight of positives (negatives get 1−α); 'none' disables weighting, like torchvision's α < 0.", type: 'number', default: 0.25, min: 0, max: 1, nullable: true },
    { key: 'gamma', label: 'γ', description: 'Focusing parameter.', type: 'number', default: 2, min: 0 },
  ],
  needsClassCounts: false,
  kind: 'logits',
  reduction: ELEMENT_MEAN,
  head: {
    initialBias: () => -Math.log((1 - 0.01) / 0.01),
    note: 'Lin et al. initialise the classifier bias to −log((1−π)/π) with π = 0.01 so that every sigmoid starts near 0.01.',
  },
  build: (p, ctx) => {
    const gamma = num(p, 'gamma');
    const alpha = p['alpha'] === null ? null : num(p, 'alpha');
    const C = ctx.numClasses;
    return {
      reduction: ELEMENT_MEAN,
      terms: (z, y) => {
        const t = oneHotF(y, C);
        let el = sigmoidFocalElements(z, t, gamma);
        if (alpha !== null) el = tf.mul(tf.add(tf.mul(t, alpha), tf.mul(tf.sub(1, t), 1 - alpha)), el) as tf.Tensor2D;
        return { values: tf.mean(el, 1) as tf.Tensor1D };
      },
    };
  },
});
