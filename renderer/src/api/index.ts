import { createClient } from './client';
import { ElectronTransport, preloadBridge } from './electron-transport';
import { HttpTransport, tokenFromPageUrl } from './http-transport';
import type { LossLabClient } from './types';

export type { LossLabClient } from './types';
export { ApiError, ConnectionError } from './errors';

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Picks the transport for where this page runs: inside Electron the preload has put
 * `window.losslab` there; anywhere else this page was served by `losslab serve` and the
 * address carries the access token.
 */
export function connect(scope: Window = window): LossLabClient {
  const bridge = preloadBridge(scope);
  if (bridge) return createClient(new ElectronTransport(bridge));
  const token = tokenFromPageUrl(scope.location.href);
  if (!token) {
    throw new StartupError(
      'This page was opened without its access token. Open the full address that `losslab serve` printed in its terminal (it ends in ?token=…).',
    );
  }
  const transport = new HttpTransport({ baseUrl: new URL('./', scope.location.href).toString(), token });
  transport.connect();
  return createClient(transport);
}
