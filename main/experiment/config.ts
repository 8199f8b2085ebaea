import { z } from 'zod';
import { SAMPLER_IDS } from '../methods/samplers';

/**
 * The experiment configuration: everything that determines an experiment's numbers.
 * It is validated at every boundary (CLI, config files, IPC, HTTP) with this one schema,
 * and written verbatim into results.json so that an experiment can be re-run exactly.
 */

const imbalanceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('exp'), ratio: z.number().min(1).max(10000) }),
  z.object({ kind: z.literal('step'), ratio: z.number().min(1).max(10000) }),
  z.object({ kind: z.literal('counts'), counts: z.record(z.string(), z.number().int().min(1)) }),
]);

/**
 * A study over several settings (main/sweep): several imbalance profiles, or several values of
 * one loss hyperparameter, or both. Each imbalance profile is one setting, trained as its own
 * experiment on the same split (same test and validation images); each hyperparameter value is
 * one loss entry inside every setting. Absent: one experiment, exactly as before sweeps existed.
 */
export const sweepSchema = z
  .object({
    imbalance: z.array(imbalanceSchema).min(2).max(50).optional(),
    param: z
      .object({
        loss: z.string().min(1).max(64),
        key: z.string().min(1).max(64),
        values: z.array(z.number()).min(2).max(50),
      })
      .optional(),
  })
  .refine((sweep) => sweep.imbalance !== undefined || sweep.param !== undefined, 'a sweep needs imbalance settings or param values');

const lossParamValue = z.union([z.number(), z.string(), z.array(z.number()), z.null()]);

/**
 * How a loss is trained beyond the loss itself (main/methods): the sampler, deferred
 * re-weighting or re-sampling, and a decoupled second stage. Every field's default is the
 * training LossLab has always done, and a loss entry without a recipe means exactly that.
 */
export const recipeSchema = z.object({
  sampler: z.enum(SAMPLER_IDS).default('instance'),
  /** Deferred re-weighting (Cao et al. 2019): class-balanced weights from this 0-based epoch on. */
  drw: z
    .object({ epoch: z.number().int().min(0).max(999), beta: z.number().min(0).lt(1).default(0.9999) })
    .nullable()
    .default(null),
  /** Deferred re-sampling (Cao et al. 2019): the class-balanced sampler from this 0-based epoch on. */
  drs: z.number().int().min(0).max(999).nullable().default(null),
  /** Decoupled second stage (Kang et al. 2020) on the selected network's frozen features. */
  secondStage: z
    .object({ kind: z.enum(['crt', 'lws']), epochs: z.number().int().min(1).max(200).default(10) })
    .nullable()
    .default(null),
});

export const lossChoiceSchema = z.object({
  id: z.string().min(1).max(64),
  params: z.record(z.string(), lossParamValue).default({}),
  /** Absent in configurations written before recipes: plain training. */
  recipe: recipeSchema.optional(),
});

/** Today's from-scratch network: conv-BN-ReLU blocks with max-pooling between them. */
export const cnnModelSchema = z.object({
  family: z.literal('cnn'),
  /** Filters in the first block; each later block doubles it. */
  width: z.number().int().min(4).max(256).default(16),
  /** Number of conv-BN-ReLU blocks (a 2×2 max-pool follows every block but the last). */
  depth: z.number().int().min(1).max(6).default(3),
});

/** The CIFAR ResNets of He et al. (2016, section 4.2): depth 6n+2, three stages of n basic blocks. */
export const resnetModelSchema = z.object({
  family: z.literal('resnet'),
  depth: z
    .number()
    .int()
    .refine((d) => d >= 8 && d <= 110 && (d - 2) % 6 === 0, 'a CIFAR ResNet has depth 6n+2: 20, 32, 44, 56 or 110')
    .default(32),
  /** Filters of the first stage (16 in the paper); the later stages have 2× and 4× as many. */
  width: z.number().int().min(4).max(256).default(16),
});

/**
 * How a pretrained backbone wants its pixels: `minus1to1` is x/127.5 − 1 (MobileNet, Teachable
 * Machine), `0to1` is x/255, `imagenet` subtracts ImageNet's channel mean and divides by its std.
 */
export const BACKBONE_SCALINGS = ['minus1to1', '0to1', 'imagenet'] as const;
export type BackboneScaling = (typeof BACKBONE_SCALINGS)[number];

/** A pretrained TF.js layers model (folder, model.json, http(s) URL or preset name) with LossLab's head on top. */
export const backboneModelSchema = z.object({
  family: z.literal('backbone'),
  source: z.string().min(1),
  /** SHA-256 of model.json followed by its weight shards in manifest order; checked when given. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'a SHA-256 is 64 hexadecimal digits').optional(),
  /** The layer whose output is the feature vector; default: the preset's, otherwise the layer before the classifier. */
  featureLayer: z.string().min(1).optional(),
  /** Pixel scaling; default: the preset's, otherwise minus1to1. */
  scaling: z.enum(BACKBONE_SCALINGS).optional(),
  /** 'none' freezes the backbone (features computed once and cached); last N layers with weights, or all, train too. */
  finetune: z
    .union([z.literal('none'), z.literal('all'), z.object({ last: z.number().int().min(1).max(10000) })])
    .default('none'),
  /** Learning rate of the backbone's trainable layers; default a tenth of training.learningRate. */
  backboneLearningRate: z.number().positive().max(10).optional(),
  head: z.union([z.literal('linear'), z.object({ mlp: z.number().int().min(1).max(65536) })]).default('linear'),
});

/** The network family and its settings; configurations written before families existed mean the CNN. */
export const modelSchema = z.preprocess(
  (value) => (value !== null && typeof value === 'object' && !('family' in value) ? { family: 'cnn', ...value } : value),
  z.discriminatedUnion('family', [cnnModelSchema, resnetModelSchema, backboneModelSchema]),
);

export const MODEL_FAMILIES = ['cnn', 'resnet', 'backbone'] as const;

export const trainingSchema = z.object({
  epochs: z.number().int().min(1).max(1000).default(15),
  batchSize: z.number().int().min(2).max(4096).default(64),
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  learningRate: z.number().positive().max(10).default(0.002),
  /** Momentum for SGD (ignored by Adam). */
  momentum: z.number().min(0).max(0.999).default(0.9),
  /** Coupled L2 weight decay, as PyTorch's optimisers apply it: grad += decay · w. */
  weightDecay: z.number().min(0).max(1).default(5e-4),
  schedule: z.enum(['constant', 'cosine', 'step']).default('cosine'),
  augment: z
    .object({ flip: z.boolean().default(false), crop: z.boolean().default(false) })
    .default({ flip: false, crop: false }),
  /** Epochs of the linear read-out for embedding (contrastive) losses. */
  probeEpochs: z.number().int().min(1).max(200).default(10),
});

export const experimentConfigSchema = z.object({
  name: z.string().max(200).optional(),
  data: z.string().min(1),
  testData: z.string().min(1).optional(),
  imageSize: z.number().int().min(8).max(256).default(32),
  resize: z.enum(['center-crop', 'squash', 'letterbox']).default('center-crop'),
  colorMode: z.enum(['auto', 'rgb', 'grayscale']).default('auto'),
  testFraction: z.number().min(0.01).max(0.9).default(0.2),
  valFraction: z.number().min(0).max(0.9).default(0.1),
  imbalance: imbalanceSchema.default({ kind: 'none' }),
  /** Several imbalance settings and/or hyperparameter values; when imbalance settings are given, they replace `imbalance`. */
  sweep: sweepSchema.optional(),
  /** Seed of the data split and of which classes become the tail; one split serves every run so runs are paired. */
  splitSeed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  losses: z.array(lossChoiceSchema).min(1).max(64),
  /** One run per loss and seed; a seed fixes initial weights, batch order and augmentation. */
  seeds: z
    .array(z.number().int().min(0).max(2 ** 31 - 1))
    .min(1)
    .max(100)
    .refine((seeds) => new Set(seeds).size === seeds.length, 'repeats a seed; list each seed once')
    .default([1]),
  model: modelSchema.default({ family: 'cnn', width: 16, depth: 3 }),
  training: trainingSchema.default(() => trainingSchema.parse({})),
  backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
  /** Parallel training workers; 0 means one per core. */
  workers: z.number().int().min(0).max(64).default(0),
});

export type ExperimentConfigInput = z.input<typeof experimentConfigSchema>;
export type ExperimentConfig = z.output<typeof experimentConfigSchema>;
export type SweepSpec = z.output<typeof sweepSchema>;
export type ImbalanceSpec = z.output<typeof imbalanceSchema>;
export type LossChoice = z.output<typeof lossChoiceSchema>;
export type Recipe = z.output<typeof recipeSchema>;
export type RecipeInput = z.input<typeof recipeSchema>;
export type ModelSpec = z.output<typeof modelSchema>;
export type CnnModelSpec = z.output<typeof cnnModelSchema>;
export type ResnetModelSpec = z.output<typeof resnetModelSchema>;
export type BackboneModelSpec = z.output<typeof backboneModelSchema>;
export type TrainingSpec = z.output<typeof trainingSchema>;

/** Raised when a configuration does not parse; the message lists every problem with its path. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseExperimentConfig(input: unknown): ExperimentConfig {
  const parsed = experimentConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'configuration';
      return `${where}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid experiment configuration — ${problems.join('; ')}`);
  }
  return parsed.data;
}
