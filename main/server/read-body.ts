import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body is larger than ${limit} bytes; API requests are small JSON objects.`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads a request body up to `limit` bytes. A larger body is not buffered: the rest is drained
 * (so the client reads our 413 instead of a reset connection) up to a hard cap, past which the
 * connection is dropped.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const drainCap = Math.max(limit * 16, 64 * 2 ** 20);
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (received > drainCap) {
          request.destroy();
          reject(new BodyTooLargeError(limit));
        }
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => (tooLarge ? reject(new BodyTooLargeError(limit)) : resolve(Buffer.concat(chunks))));
    request.on('error', reject);
  });
}
