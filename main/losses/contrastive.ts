import * as tf from '@tensorflow/tfjs-core';
import { asInt32, l2Normalise, MASK_OFFSET } from './ops';
import { defineLoss } from './define';
import { num } from './params';

/**
 * Embedding losses (kind 'embedding'). They receive the network's features [B, D] and
 * L2-normalise them inside the loss, so the engine passes raw features and the same
 * normalised features feed the linear probe afterwards if it normalises too. Pairs are
 * formed within each batch. The engine runs the two-stage protocol (train the embedding,
 * then fit a linear classifier with CE on the frozen features).
 */

/** Same-label indicator [B, B] (float), diagonal included. */
function sameLabel(labels: tf.Tensor1D): tf.Tensor2D {
  const y = asInt32(labels);
  return tf.cast(tf.equal(tf.expandDims(y, 1), tf.expandDims(y, 0)), 'float32') as tf.Tensor2D;
}

const PAIR_MEAN = 'mean over all pairs i<j in the batch; per-image value = mean over the pairs it belongs to (their mean is the pair mean)';

export const contrastive = defineLoss({
  id: 'contrastive',
  name: 'Pairwise contrastive loss',
  formula: String.raw`\ell_{ij} = \mathbb{1}[y_i = y_j]\,\tfrac12 D_{ij}^2 + \mathbb{1}[y_i \ne y_j]\,\tfrac12\max(0,\ m - D_{ij})^2,\quad D_{ij} = \Big\|\tfrac{f_i}{\|f_i\|} - \tfrac{f_j}{\|f_j\|}\Big\|_2`,
  citation: {
    authors: 'Hadsell, R., Chopra, S., LeCun, Y.',
    year: 2006,
    title: 'Dimensionality Reduction by Learning an Invariant Mapping',
    venue: 'CVPR',
  },
  explanation:
    'Trains an embedding instead of a classifier: images of the same class are pulled together, images of different classes pushed at least a margin apart, using every pair in the batch. Embeddings are L2-normalised first, so distances lie in [0, 2] and the default margin 1.0 is meaningful. Classification comes from a linear classifier fitted afterwards on the frozen embedding. Under imbalance most pairs are negatives and rare classes rarely form positive pairs, which is worth remembering when comparing it.',
  params: [{ key: 'margin', label: 'margin', description: 'Distance that different-class pairs must exceed (embeddings are unit length).', type: 'number', default: 1, min: 0, minInclusive: false }],
  needsClassCounts: false,
  kind: 'embedding',
  reduction: PAIR_MEAN,
  build: (p) => {
    const m = num(p, 'margin');
    return {
      reduction: PAIR_MEAN,
      terms: (f, y) => {
        const e = l2Normalise(f);
        const B = e.shape[0];
        const sq = tf.sum(tf.square(e), 1);
        const gram = tf.matMul(e, e, false, true);
        // ‖a−b‖² = ‖a‖² + ‖b‖² − 2a·b, clipped at 0 against rounding.
        const d2 = tf.relu(tf.sub(tf.add(tf.expandDims(sq, 1), tf.expandDims(sq, 0)), tf.mul(gram, 2)));
        // The 1e-12 keeps sqrt's gradient finite for identical embeddings.
        const d = tf.sqrt(tf.add(d2, 1e-12));
        const same = sameLabel(y);
        const pair = tf.add(tf.mul(same, tf.mul(d2, 0.5)), tf.mul(tf.sub(1, same), tf.mul(tf.square(tf.relu(tf.sub(m, d))), 0.5)));
        const offDiagonal = tf.sub(1, tf.eye(B));
        const perImage = tf.div(tf.sum(tf.mul(pair, offDiagonal), 1), Math.max(B - 1, 1));
        return { values: perImage as tf.Tensor1D };
      },
    };
  },
});

const ANCHOR_MEAN = 'mean over all anchors in the batch; an anchor with no same-class partner contributes 0 (SupContrast reference code)';

export const supcon = defineLoss({
  id: 'supcon',
  name: 'Supervised contrastive loss',
  formula: String.raw`L = \frac{1}{B}\sum_{i}\frac{-1}{|P(i)|}\sum_{p\in P(i)}\log\frac{\exp(u_i\cdot u_p/\tau)}{\sum_{a\ne i}\exp(u_i\cdot u_a/\tau)},\quad u_i = \frac{f_i}{\|f_i\|},\ P(i) = \{p \ne i : y_p = y_i\}`,
  citation: {
    authors: 'Khosla, P., Teterwak, P., Wang, C., Sarna, A., Tian, Y., Isola, P., Maschinot, A., Liu, C., Krishnan, D.',
    year: 2020,
    title: 'Supervised Contrastive Learning',
    venue: 'NeurIPS',
  },
  explanation:
    'Trains an embedding where, for every image, all other images of its class in the batch are positives and everything else negatives, in a softmax over cosine similarities sharpened by the temperature τ. Uses all positives at once, which makes it more stable than pairwise losses; a linear classifier is then fitted on the frozen embedding. We use one view per image (no paired augmentations) and the paper\'s L_out form without the reference code\'s τ/τ_base factor (a constant rescaling). Rare classes with one image in a batch have no positive and contribute 0, as in the reference code.',
  params: [{ key: 'temperature', label: 'τ', description: 'Softmax temperature on cosine similarities.', type: 'number', default: 0.1, min: 0.001 }],
  needsClassCounts: false,
  kind: 'embedding',
  reduction: ANCHOR_MEAN,
  build: (p) => {
    const tau = num(p, 'temperature');
    return {
      reduction: ANCHOR_MEAN,
      terms: (f, y) => {
        const u = l2Normalise(f);
        const B = u.shape[0];
        const eye = tf.eye(B);
        const sim = tf.div(tf.matMul(u, u, false, true), tau);
        // Denominator over a ≠ i: the diagonal is pushed to −1e30 so exp() gives exactly 0.
        const lse = tf.logSumExp(tf.sub(sim, tf.mul(eye, MASK_OFFSET)), 1, true);
        const logProb = tf.sub(sim, lse);
        const positives = tf.mul(sameLabel(y), tf.sub(1, eye));
        const count = tf.sum(positives, 1);
        const meanLogProbPos = tf.div(tf.sum(tf.mul(positives, logProb), 1), tf.maximum(count, 1));
        return { values: tf.neg(meanLogProbPos) as tf.Tensor1D };
      },
    };
  },
});
