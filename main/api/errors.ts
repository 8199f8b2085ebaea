import type { SerializedError } from './contract';

/**
 * Errors cross the API boundary (IPC, HTTP) as { name, message }: stacks and internal fields stay
 * on the main side, and the message — written to say what to do — is what the user reads.
 */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message || 'Something went wrong (no message).' };
  return { name: 'Error', message: typeof error === 'string' ? error : 'Something went wrong (no message).' };
}

/** Rebuilds an Error on the receiving side, keeping the original name for `error.name` checks. */
export function deserializeError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  return error;
}

/** Whether a value has the { name, message } shape (a response body or IPC reply that carries an error). */
export function isSerializedError(value: unknown): value is SerializedError {
  return typeof value === 'object' && value !== null && typeof (value as SerializedError).name === 'string' && typeof (value as SerializedError).message === 'string';
}
