import { rebuildError } from './errors';
import type { DesktopBridge } from '../../../main/api/contract';
import type { ApiEvent, Channel, ConnectionState, Request, Responses, Transport, Unsubscribe } from './types';

/**
 * What the Electron preload puts on `window.losslab` (the contract's DesktopBridge). Channels
 * are looked up defensively: an older preload may lack a newer channel.
 */
export type PreloadBridge = DesktopBridge;

export function preloadBridge(scope: unknown): PreloadBridge | null {
  const bridge = (scope as { losslab?: unknown } | undefined)?.losslab;
  if (!bridge || typeof bridge !== 'object') return null;
  const candidate = bridge as Partial<PreloadBridge>;
  return typeof candidate.onEvent === 'function' ? (bridge as PreloadBridge) : null;
}

/** Desktop mode: calls go through the preload to the main process over IPC. */
export class ElectronTransport implements Transport {
  readonly mode = 'desktop' as const;

  constructor(private readonly bridge: PreloadBridge) {}

  async call<C extends Channel>(channel: C, request: Request<C>): Promise<Responses[C]> {
    const fn = (this.bridge as Partial<DesktopBridge>)[channel] as ((request: Request<C>) => Promise<Responses[C]>) | undefined;
    if (typeof fn !== 'function') {
      throw rebuildError({ name: 'UnsupportedCall', message: `This version of the app has no "${channel}" call.` }, channel);
    }
    try {
      return await fn(request ?? ({} as Request<C>));
    } catch (error) {
      throw rebuildError(error, channel);
    }
  }

  subscribe(listener: (event: ApiEvent) => void): Unsubscribe {
    return this.bridge.onEvent(listener);
  }

  async pathForFile(file: File): Promise<string | null> {
    try {
      return (await this.bridge.pathForFile(file)) || null;
    } catch {
      return null;
    }
  }

  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe {
    // IPC to the main process cannot drop the way a socket can.
    listener('open');
    return () => {};
  }
}
