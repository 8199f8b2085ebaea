import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from './define';
import { maxOtherLogit, oneHotF } from './ops';
import { num } from './params';
import type { ParamSpec } from './types';

/** Multi-class margin losses on raw logits (no softmax). */

const MARGIN: ParamSpec = { key: 'margin', label: 'margin', description: 'Required gap between the true logit and the best other logit.', type: 'number', default: 1, min: 0 };

/** max(0, margin + max_{j≠y} z_j − z_y) per sample. */
function crammerSinger(z: tf.Tensor2D, y: tf.Tensor1D, numClasses: number, margin: number): tf.Tensor1D {
  const onehot = oneHotF(y, numClasses);
  const trueLogit = tf.sum(tf.mul(z, onehot), 1);
  return tf.relu(tf.add(tf.sub(maxOtherLogit(z, onehot), trueLogit), margin)) as tf.Tensor1D;
}

export const hinge = defineLoss({
  id: 'hinge',
  name: 'Multi-class hinge (Crammer–Singer)',
  formula: String.raw`\ell(z,y) = \max\!\Big(0,\ m + \max_{j\ne y} z_j - z_y\Big)`,
  citation: {
    authors: 'Crammer, K., Singer, Y.',
    year: 2001,
    title: 'On the Algorithmic Implementation of Multiclass Kernel-based Vector Machines',
    venue: 'JMLR 2',
  },
  explanation:
    'The SVM loss: zero once the true class beats every other class by the margin, linear otherwise. Only the strongest competing class gets a gradient and correctly classified images stop contributing altogether, so it gives no probabilities and ignores confidence; under imbalance it behaves much like CE on the decision rule.',
  params: [MARGIN],
  needsClassCounts: false,
  kind: 'logits',
  reduction: 'mean over the batch',
  build: (p, ctx) => {
    const m = num(p, 'margin');
    return { reduction: 'mean over the batch', terms: (z, y) => ({ values: crammerSinger(z, y, ctx.numClasses, m) }) };
  },
});

export const squaredHinge = defineLoss({
  id: 'squared-hinge',
  name: 'Multi-class squared hinge',
  formula: String.raw`\ell(z,y) = \max\!\Big(0,\ m + \max_{j\ne y} z_j - z_y\Big)^2`,
  citation: {
    authors: 'Janocha, K., Czarnecki, W. M.',
    year: 2017,
    title: 'On Loss Functions for Deep Neural Networks in Classification',
    venue: 'Schedae Informaticae 25',
  },
  explanation:
    'The Crammer–Singer hinge squared: differentiable at the margin and penalising large violations more, small ones less. Often trains more smoothly than the plain hinge; same caveats about probabilities and imbalance.',
  params: [MARGIN],
  needsClassCounts: false,
  kind: 'logits',
  reduction: 'mean over the batch',
  build: (p, ctx) => {
    const m = num(p, 'margin');
    return { reduction: 'mean over the batch', terms: (z, y) => ({ values: tf.square(crammerSinger(z, y, ctx.numClasses, m)) as tf.Tensor1D }) };
  },
});
