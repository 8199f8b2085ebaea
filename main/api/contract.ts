import { z } from 'zod';
import { experimentConfigSchema } from '../experiment/config';

/**
 * The one API contract between the app's user interface and the main-side services. The
 * Electron preload exposes exactly these calls over IPC, served mode exposes the same calls
 * over HTTP + WebSocket, and both validate every request against these schemas at runtime.
 * Channel names are the keys of `requestSchemas`; nothing else crosses the boundary.
 */

const pathString = z.string().min(1).max(4096);
const experimentId = z.string().regex(/^[\w.-]{1,128}$/, 'an experiment id');

export const requestSchemas = {
  /** Catalogue of losses with formulas, explanations and parameter specs. */
  'losses.list': z.object({}),
  /** Backends this machine can use, and which one `auto` would pick. */
  'backends.list': z.object({}),
  /** Path of the built-in sample dataset. */
  'dataset.samplePath': z.object({}),
  /** Scans and decodes a dataset folder the user chose; progress arrives as 'dataset.progress' events. */
  'dataset.open': z.object({
    path: pathString,
    imageSize: z.number().int().min(8).max(256).default(32),
    resize: z.enum(['center-crop', 'squash', 'letterbox']).default('center-crop'),
    colorMode: z.enum(['auto', 'rgb', 'grayscale']).default('auto'),
  }),
  /** Training counts per class that an imbalance profile would give, for the live preview. */
  'dataset.previewImbalance': z.object({
    path: pathString,
    testFraction: z.number().min(0.01).max(0.9),
    valFraction: z.number().min(0).max(0.9),
    imbalance: experimentConfigSchema.shape.imbalance,
    splitSeed: z.number().int().min(0),
  }),
  /** Starts an experiment; progress arrives as 'experiment.*' events. */
  'experiment.start': z.object({ config: experimentConfigSchema }),
  'experiment.cancel': z.object({ id: experimentId, runIndex: z.number().int().min(0).optional() }),
  /** Experiments in the store, newest first. */
  'experiments.list': z.object({}),
  /** results.json of a finished experiment. */
  'experiments.get': z.object({ id: experimentId }),
  'experiments.delete': z.object({ id: experimentId }),
  /** Test images of one confusion-matrix cell for one run. */
  'experiments.cellImages': z.object({
    id: experimentId,
    runId: z.string().min(1).max(512),
    trueClass: z.number().int().min(0),
    predictedClass: z.number().int().min(0),
    limit: z.number().int().min(1).max(500).default(60),
  }),
  /** Writes a report of an experiment to a path the user chose. */
  'experiments.export': z.object({
    id: experimentId,
    format: z.enum(['html', 'pdf', 'csv', 'json', 'md']),
    path: pathString,
  }),
} as const;

export type Channel = keyof typeof requestSchemas;
export type Request<C extends Channel> = z.input<(typeof requestSchemas)[C]>;
export type ParsedRequest<C extends Channel> = z.output<(typeof requestSchemas)[C]>;

export class ApiValidationError extends Error {
  constructor(
    readonly channel: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiValidationError';
  }
}

/** Validates a request for a channel; unknown channels and malformed arguments are refused with a message. */
export function parseRequest<C extends Channel>(channel: string, payload: unknown): ParsedRequest<C> {
  if (!Object.prototype.hasOwnProperty.call(requestSchemas, channel)) {
    throw new ApiValidationError(channel, `Unknown API call "${channel}"`);
  }
  const schema = requestSchemas[channel as C];
  const parsed = schema.safeParse(payload ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`);
    throw new ApiValidationError(channel, `Invalid request for ${channel} — ${problems.join('; ')}`);
  }
  return parsed.data as ParsedRequest<C>;
}

/** Errors cross the boundary as plain data and are rebuilt as Error objects on the other side. */
export interface SerializedError {
  name: string;
  message: string;
}
