import { z } from 'zod';
import { experimentConfigSchema } from '../experiment/config';
import { TRAINING_STAGES, type EpochRecord, type RunOutcome, type SavedWeights } from '../engine/types';

/**
 * What travels between a study's process and its workers through Redis. Every message is
 * validated here on arrival: a worker trains only what a local study could have asked for.
 */

/** Bumped whenever a job's meaning changes; a worker refuses versions it does not speak. */
export const STUDY_PROTOCOL_VERSION = 2;

/** The one queue every worker serves; studies tell their jobs apart by the job id's prefix. */
export const RUN_QUEUE = 'losslab-runs';

/** Redis key prefix of LossLab's own keys (checkpoints, cancel flags), next to BullMQ's. */
const KEY_PREFIX = 'losslab';

export const DATA_SOURCES = ['path', 'redis', 'shared'] as const;
export type DataSource = (typeof DATA_SOURCES)[number];

const studyIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,120}$/, 'a study id is letters, digits, dots, dashes and underscores');

export const runJobDataSchema = z.object({
  protocol: z.literal(STUDY_PROTOCOL_VERSION),
  studyId: studyIdSchema,
  runIndex: z.number().int().min(0).max(10_000),
  runId: z.string().min(1).max(400),
  config: experimentConfigSchema.refine((config) => config.model.family !== 'backbone', 'studies on a pretrained backbone train locally only'),
  /** Fingerprint of the decoded training data (see trainingDataFingerprint); a worker refuses data that differs. */
  dataFingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  /**
   * How the worker gets the data: `path` reads and decodes the dataset at config.data (or under
   * its --data-root); `redis` and `shared` fetch the blobs the study published (see
   * published-data.ts), from Redis or from the worker's own --data-share folder. Never a path.
   */
  dataSource: z.enum(DATA_SOURCES),
  /** Published data: the fingerprint of its pixels (shared by a sweep's settings), besides dataFingerprint. */
  pixelsFingerprint: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  keepWeights: z.boolean(),
}).refine((job) => job.dataSource === 'path' || job.pixelsFingerprint !== undefined, { message: 'published data needs the fingerprint of its pixels', path: ['pixelsFingerprint'] });
export type RunJobData = z.output<typeof runJobDataSchema>;

export class RefusedJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedJobError';
  }
}

/** Validates a job taken from the queue; throws RefusedJobError saying why it cannot be trained. */
export function parseRunJobData(input: unknown): RunJobData {
  const version = z.object({ protocol: z.unknown() }).safeParse(input);
  if (!version.success) throw new RefusedJobError('the job is not an object');
  if (version.data.protocol !== STUDY_PROTOCOL_VERSION) {
    throw new RefusedJobError(`the job speaks study protocol ${JSON.stringify(version.data.protocol)}; this worker speaks ${STUDY_PROTOCOL_VERSION} (update LossLab on one side)`);
  }
  const parsed = runJobDataSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'job'}: ${issue.message}`);
    throw new RefusedJobError(`malformed job: ${problems.slice(0, 5).join('; ')}`);
  }
  return parsed.data;
}

export function jobIdOf(studyId: string, runIndex: number): string {
  // BullMQ reserves ':' in custom job ids.
  return `${studyId}.run${runIndex}`;
}

export function checkpointKey(jobId: string): string {
  return `${KEY_PREFIX}:checkpoint:${jobId}`;
}

export function cancelKey(jobId: string): string {
  return `${KEY_PREFIX}:cancel:${jobId}`;
}

/** Refusals of a run by workers without its data, so a run no worker can take fails instead of circling forever. */
export function refusalKey(jobId: string): string {
  return `${KEY_PREFIX}:refusals:${jobId}`;
}

/** A run's failure reason when its study cancelled it. */
export const CANCELLED_REASON = 'cancelled by the study';

/** Progress a worker reports through BullMQ's job progress (a Redis stream event). */
const epochRecordSchema = z.object({
  epoch: z.number().int().min(0),
  stage: z.enum(TRAINING_STAGES),
  trainLoss: z.number(),
  valAccuracy: z.number().nullable(),
  valBalancedAccuracy: z.number().nullable(),
  learningRate: z.number(),
  seconds: z.number(),
  numTensors: z.number(),
});

export const progressSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), worker: z.string().max(300), backend: z.string().max(100), resumedFromEpoch: z.number().int().min(0) }),
  z.object({
    type: z.literal('batch'),
    stage: z.enum(TRAINING_STAGES),
    epoch: z.number(),
    epochs: z.number(),
    batch: z.number(),
    batches: z.number(),
    loss: z.number(),
    imagesPerSecond: z.number(),
    etaSeconds: z.number(),
  }),
  z.object({ type: z.literal('epoch'), record: epochRecordSchema }),
]);
export type RunProgress = z.output<typeof progressSchema>;

/** A run's outcome as the job's return value: typed arrays as base64 of their little-endian bytes, so they come back bit for bit. */
const outcomeWireSchema = z.object({
  runId: z.string(),
  testLogits: z.string(),
  testLogitsLast: z.string(),
  valLogits: z.string(),
  history: z.array(epochRecordSchema),
  bestEpoch: z.number().int(),
  trainSeconds: z.number(),
  imagesPerSecond: z.number(),
  protocol: z.enum(['end-to-end', 'linear-probe']),
  network: z.object({ trainableParams: z.number(), totalParams: z.number(), flopsPerImage: z.number() }).optional(),
  // What a recipe records (samplers, deferred schedules, second stages, τ-norm's classifier norms).
  seenPerClass: z.array(z.number()).optional(),
  drwEpoch: z.number().int().nullable().optional(),
  drsEpoch: z.number().int().nullable().optional(),
  classifierNorms: z.array(z.number()).optional(),
  lwsScales: z.array(z.number()).optional(),
  weights: z.object({ modelTopology: z.unknown(), weightSpecs: z.array(z.unknown()), weightData: z.string() }).optional(),
});

function toBase64(values: Float32Array | ArrayBuffer): string {
  const bytes = values instanceof ArrayBuffer ? new Uint8Array(values) : new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return Buffer.from(bytes).toString('base64');
}

function floatsFrom(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) throw new Error('a logits array is not a whole number of floats');
  return new Float32Array(new Uint8Array(bytes).buffer);
}

export function encodeOutcome(outcome: RunOutcome): string {
  const { testLogits, testLogitsLast, valLogits, weights, ...rest } = outcome;
  return JSON.stringify({
    ...rest,
    testLogits: toBase64(testLogits),
    testLogitsLast: toBase64(testLogitsLast),
    valLogits: toBase64(valLogits),
    ...(weights ? { weights: { modelTopology: weights.modelTopology, weightSpecs: weights.weightSpecs, weightData: toBase64(weights.weightData) } } : {}),
  });
}

export function decodeOutcome(text: unknown): RunOutcome {
  const parsed = outcomeWireSchema.parse(typeof text === 'string' ? JSON.parse(text) : text);
  const { testLogits, testLogitsLast, valLogits, weights, network, ...rest } = parsed;
  return {
    ...rest,
    history: rest.history as EpochRecord[],
    testLogits: floatsFrom(testLogits),
    testLogitsLast: floatsFrom(testLogitsLast),
    valLogits: floatsFrom(valLogits),
    ...(network ? { network } : {}),
    ...(weights
      ? { weights: { modelTopology: weights.modelTopology, weightSpecs: weights.weightSpecs, weightData: new Uint8Array(Buffer.from(weights.weightData, 'base64')).buffer } satisfies SavedWeights }
      : {}),
  };
}
