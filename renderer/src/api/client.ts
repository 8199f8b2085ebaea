import type { ApiCalls, ApiEvent, Channel, LossLabClient, Request, Transport } from './types';

/**
 * Wraps a transport as the contract's interface. `api` is a Proxy so that every channel of
 * the contract is callable without listing them here again (the list lives in the contract,
 * and bundling its runtime part would pull zod into the renderer).
 */
export function createClient(transport: Transport): LossLabClient {
  const api = new Proxy({} as ApiCalls, {
    get(_target, property) {
      if (typeof property !== 'string') return undefined;
      return (request: Request<Channel> = {} as Request<Channel>) => transport.call(property as Channel, request);
    },
  });
  return {
    mode: transport.mode,
    api,
    onEvent: (listener) => transport.subscribe(listener),
    on(type, listener) {
      return transport.subscribe((event: ApiEvent) => {
        if (event.type === type) listener(event.data as never);
      });
    },
    pathForFile: (file) => transport.pathForFile(file),
    onConnectionChange: (listener) => transport.onConnectionChange(listener),
    downloadExport: transport.downloadExport ? (id, format) => transport.downloadExport!(id, format) : null,
    downloadModel: transport.downloadModel ? (id, runId) => transport.downloadModel!(id, runId) : null,
    uploads: transport.uploadFile && transport.uploadLimits
      ? { limits: () => transport.uploadLimits!(), send: (workspace, path, body) => transport.uploadFile!(workspace, path, body) }
      : null,
  };
}
