import { parseRequest, type ApiHandlers, type Channel, type Responses, type SerializedError } from './contract';
import { serializeError } from './errors';

export type CallOutcome<C extends Channel = Channel> = { ok: true; result: Responses[C] } | { ok: false; error: SerializedError; rejected: boolean };

/**
 * The one path every call takes, over IPC and over HTTP alike: validate against the contract,
 * run the handler, and turn any failure into plain data. `rejected` marks requests refused by
 * validation (the caller logs those), as opposed to handlers that failed.
 */
export async function dispatch(handlers: ApiHandlers, channel: string, payload: unknown): Promise<CallOutcome> {
  let request: unknown;
  try {
    request = parseRequest(channel, payload);
  } catch (error) {
    return { ok: false, error: serializeError(error), rejected: true };
  }
  try {
    const handler = handlers[channel as Channel] as (request: unknown) => Promise<Responses[Channel]>;
    return { ok: true, result: await handler(request) };
  } catch (error) {
    return { ok: false, error: serializeError(error), rejected: false };
  }
}
