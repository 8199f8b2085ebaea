/**
 * What each loss of the catalogue is for, so the app can filter by purpose ("imbalance"
 * finds class-balanced CE as well as focal loss, whose names do not say so) and offer
 * presets. Kept apart from the definitions: a tag is about how the catalogue is browsed,
 * not about how a loss computes.
 */

export const LOSS_TAGS = {
  baseline: 'The reference every other loss is compared with.',
  imbalance: 'Made for long-tailed or imbalanced classes: re-weights classes, adjusts logits by class priors, or enlarges the margins of rare classes.',
  'hard-examples': 'Focuses training on examples the network still gets wrong.',
  calibration: 'Changes how confident the network is (softer targets).',
  'noisy-labels': 'Robust to wrong labels in the training set.',
  margin: 'A margin-based (hinge-style) objective.',
  probability: 'Compares predicted probabilities with the one-hot target directly.',
  embedding: 'Trains features, read out by a linear probe (two stages).',
} as const;

export type LossTag = keyof typeof LOSS_TAGS;

export const CATALOGUE_TAGS: Readonly<Record<string, readonly LossTag[]>> = {
  ce: ['baseline'],
  'weighted-ce': ['imbalance'],
  'cb-ce': ['imbalance'],
  'cb-focal': ['imbalance', 'hard-examples'],
  'cb-sigmoid': ['imbalance'],
  focal: ['imbalance', 'hard-examples'],
  'sigmoid-focal': ['imbalance', 'hard-examples'],
  'label-smoothing': ['calibration'],
  'logit-adjusted': ['imbalance'],
  'balanced-softmax': ['imbalance'],
  ldam: ['imbalance', 'margin'],
  mse: ['probability'],
  mae: ['probability', 'noisy-labels'],
  hinge: ['margin'],
  'squared-hinge': ['margin'],
  poly1: ['hard-examples'],
  gce: ['noisy-labels'],
  sce: ['noisy-labels'],
  dice: ['probability', 'imbalance'],
  contrastive: ['embedding'],
  supcon: ['embedding'],
};

export function tagsOf(id: string): LossTag[] {
  return [...(CATALOGUE_TAGS[id] ?? [])];
}

export interface LossPreset {
  id: string;
  label: string;
  description: string;
  losses: string[];
}

/** Ready-made selections for the questions people usually ask. */
export const LOSS_PRESETS: readonly LossPreset[] = [
  {
    id: 'long-tail',
    label: 'Long-tail classics',
    description: 'Cross-entropy against the losses the long-tail literature compares: class-balanced CE, focal, LDAM, logit-adjusted and balanced softmax.',
    losses: ['ce', 'cb-ce', 'focal', 'ldam', 'logit-adjusted', 'balanced-softmax'],
  },
  {
    id: 'quick',
    label: 'Quick first look',
    description: 'Three losses that answer "does handling imbalance help here?" fast: cross-entropy, focal and balanced softmax.',
    losses: ['ce', 'focal', 'balanced-softmax'],
  },
  {
    id: 'noisy-labels',
    label: 'Noisy labels',
    description: 'Cross-entropy against losses robust to wrong labels: MAE, generalised CE and symmetric CE.',
    losses: ['ce', 'mae', 'gce', 'sce'],
  },
];
