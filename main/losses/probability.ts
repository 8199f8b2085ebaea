import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from './define';
import { logOneMinusTrueProb, oneHotF, rowSum } from './ops';
import { num, str } from './params';

/**
 * Losses on softmax probabilities rather than log-probabilities. Per-image norms are
 * summed over classes, as the papers write them (‖e_y − p‖); PyTorch's nn.MSELoss /
 * nn.L1Loss on [B, C] would additionally divide by C.
 */

const GHOSH = {
  authors: 'Ghosh, A., Kumar, H., Sastry, P. S.',
  year: 2017,
  title: 'Robust Loss Functions under Label Noise for Deep Neural Networks',
  venue: 'AAAI',
};

const MEAN = 'mean over the batch';

export const mse = defineLoss({
  id: 'mse',
  name: 'Mean squared error on probabilities',
  formula: String.raw`\ell(z,y) = \sum_{c=1}^{C}\big(p_c - \mathbb{1}[c=y]\big)^2,\qquad p = \mathrm{softmax}(z)`,
  citation: GHOSH,
  explanation:
    'Squared distance between the softmax output and the one-hot target (the Brier score). Its gradient vanishes as a wrong prediction becomes confident, so it learns more slowly than CE and is less swayed by mislabelled images; under imbalance it tends to neglect rare classes even more than CE.',
  params: [],
  needsClassCounts: false,
  kind: 'logits',
  reduction: MEAN,
  build: (_p, ctx) => ({
    reduction: MEAN,
    terms: (z, y) => ({ values: rowSum(tf.square(tf.sub(tf.softmax(z), oneHotF(y, ctx.numClasses))) as tf.Tensor2D) }),
  }),
});

export const mae = defineLoss({
  id: 'mae',
  name: 'Mean absolute error on probabilities',
  formula: String.raw`\ell(z,y) = \sum_{c=1}^{C}\big|p_c - \mathbb{1}[c=y]\big| = 2\,(1-p_y)`,
  citation: GHOSH,
  explanation:
    'L1 distance between the softmax output and the one-hot target, which equals 2(1 − p_y). Provably robust to symmetric label noise, but every image gets a bounded, often tiny gradient, so it trains slowly and can underfit hard or rare classes badly; included mainly as the robust end of the spectrum that GCE interpolates.',
  params: [],
  needsClassCounts: false,
  kind: 'logits',
  reduction: MEAN,
  build: (_p, ctx) => ({
    reduction: MEAN,
    // Σ|p − e_y| = 2(1 − p_y) exactly because p sums to 1; this form is smooth everywhere and
    // takes 1 − p_y from log space, where it does not round to 0.
    terms: (z, y) => ({ values: tf.mul(tf.exp(logOneMinusTrueProb(z, oneHotF(y, ctx.numClasses))), 2) as tf.Tensor1D }),
  }),
});

const DICE_REDUCTION = 'one value per batch: soft Dice computed over the whole batch for each class, averaged over classes (not decomposable per image)';

export const dice = defineLoss({
  id: 'dice',
  name: 'Soft Dice',
  formula: String.raw`L = 1 - \frac{1}{C}\sum_{c=1}^{C}\frac{2\sum_i p_{ic}\,g_{ic} + s}{\sum_i p_{ic}^{k} + \sum_i g_{ic}^{k} + s},\quad g_{ic} = \mathbb{1}[c=y_i],\ k \in \{2\ \text{(squared)}, 1\ \text{(linear)}\}`,
  citation: {
    authors: 'Milletari, F., Navab, N., Ahmadi, S.-A.',
    year: 2016,
    title: 'V-Net: Fully Convolutional Neural Networks for Volumetric Medical Image Segmentation',
    venue: '3DV',
  },
  explanation:
    'A soft version of the per-class F1 score (Dice coefficient), computed over the batch for each class and averaged over classes. Every class counts the same regardless of its size, which is why it is popular for imbalanced segmentation. The denominator uses squares as in V-Net by default (linear is the other common variant); the smoothing s keeps classes absent from a batch finite and makes them contribute almost nothing. Its gradients are noisy with small batches and many classes.',
  params: [
    { key: 'smooth', label: 's', description: 'Added to numerator and denominator of each class term.', type: 'number', default: 1, min: 0, minInclusive: false },
    { key: 'denominator', label: 'Denominator', description: "'squared' (V-Net: Σp² + Σg²) or 'linear' (Σp + Σg).", type: 'enum', default: 'squared', options: ['squared', 'linear'] },
  ],
  needsClassCounts: false,
  kind: 'logits',
  reduction: DICE_REDUCTION,
  build: (p, ctx) => {
    const s = num(p, 'smooth');
    const squared = str(p, 'denominator') === 'squared';
    return {
      reduction: DICE_REDUCTION,
      batch: (z, y) => {
        const prob = tf.softmax(z);
        const g = oneHotF(y, ctx.numClasses);
        const inter = tf.sum(tf.mul(prob, g), 0);
        // g is 0/1, so Σg² = Σg.
        const denom = tf.add(tf.add(tf.sum(squared ? tf.square(prob) : prob, 0), tf.sum(g, 0)), s);
        const perClassDice = tf.div(tf.add(tf.mul(inter, 2), s), denom);
        return tf.sub(1, tf.mean(perClassDice)) as tf.Scalar;
      },
    };
  },
});
