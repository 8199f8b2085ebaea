import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestSchemas, type ApiHandlers } from '../api/contract';
import { dispatch } from '../api/dispatch';
import { BodyTooLargeError, readBody } from './read-body';
import { sendError, sendJson } from './responses';

export interface ApiRouteOptions {
  handlers: ApiHandlers;
  maxBodyBytes: number;
  /** Told about every refused request (validation, malformed JSON), for the server's log. */
  onRejected?: (channel: string, message: string) => void;
}

/**
 * POST /api/<channel> with a JSON body. 200 carries the channel's response as it is; every
 * failure carries { error: { name, message } }: 400 malformed or invalid request, 404 unknown
 * channel, 405 wrong method, 413 body too large, 415 not JSON, 422 the call itself failed.
 */
export async function handleApiRequest(request: IncomingMessage, response: ServerResponse, channel: string, options: ApiRouteOptions): Promise<void> {
  const refuse = (status: number, name: string, message: string) => {
    options.onRejected?.(channel, message);
    sendError(response, status, name, message);
  };
  if (request.method !== 'POST') {
    response.setHeader('Allow', 'POST');
    request.resume();
    return refuse(405, 'MethodNotAllowed', `API calls use POST, not ${request.method}.`);
  }
  if (!Object.prototype.hasOwnProperty.call(requestSchemas, channel)) {
    request.resume();
    return refuse(404, 'ApiValidationError', `Unknown API call "${channel}". Known calls: ${Object.keys(requestSchemas).join(', ')}.`);
  }
  // Requiring JSON also keeps plain HTML forms on other sites from reaching the API.
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    request.resume();
    return refuse(415, 'UnsupportedMediaType', `Send the request body as JSON with "Content-Type: application/json" (got "${type || 'none'}").`);
  }
  let body: Buffer;
  try {
    body = await readBody(request, options.maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return refuse(413, 'PayloadTooLarge', error.message);
    return refuse(400, 'BadRequest', `The request body could not be read (${(error as Error).message}).`);
  }
  let payload: unknown;
  try {
    payload = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (error) {
    return refuse(400, 'BadRequest', `The request body is not valid JSON (${(error as Error).message}).`);
  }
  const outcome = await dispatch(options.handlers, channel, payload);
  if (outcome.ok) return sendJson(response, 200, outcome.result);
  if (outcome.rejected) return refuse(400, outcome.error.name, outcome.error.message);
  sendJson(response, 422, { error: outcome.error });
}
