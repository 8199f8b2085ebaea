import { ApiError, ConnectionError, rebuildError } from './errors';
import type { ApiEvent, Channel, ConnectionState, DownloadedFile, ExportFormat, Request, Responses, StoredUpload, Transport, Unsubscribe, UploadLimits } from './types';

export interface HttpTransportOptions {
  /** Where the server lives, e.g. "http://127.0.0.1:5170/" (the page's own origin in practice). */
  baseUrl: string;
  /** The access token `losslab serve` printed in its URL; sent with every request and the socket. */
  token: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** Reconnect delays grow from this to 10 s; tests shorten it. */
  reconnectDelayMs?: number;
}

const MAX_RECONNECT_DELAY_MS = 10_000;

/** Reads the token from the address `losslab serve` printed (…/?token=abc). */
export function tokenFromPageUrl(href: string): string | null {
  try {
    return new URL(href).searchParams.get('token');
  } catch {
    return null;
  }
}

/** Served mode: calls are POST /api/<channel> with a JSON body; events arrive on the /events WebSocket. */
export class HttpTransport implements Transport {
  readonly mode = 'served' as const;
  private readonly fetchImpl: typeof fetch;
  private readonly WebSocketImpl: typeof WebSocket;
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  private socket: WebSocket | null = null;
  private state: ConnectionState = 'closed';
  private reconnectDelay: number;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: HttpTransportOptions) {
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    this.reconnectDelay = options.reconnectDelayMs ?? 500;
  }

  private url(path: string, protocol?: 'ws'): string {
    const url = new URL(path, this.options.baseUrl);
    url.searchParams.set('token', this.options.token);
    if (protocol === 'ws') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  async call<C extends Channel>(channel: C, request: Request<C>): Promise<Responses[C]> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(`api/${encodeURIComponent(channel)}`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request ?? {}),
      });
    } catch {
      throw new ConnectionError('The LossLab server did not answer: it may have stopped, or the network is down.', channel);
    }
    const text = await response.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        if (!response.ok) throw new ApiError(text.slice(0, 500), 'Error', channel, response.status);
        throw new ApiError(`The server sent an answer that is not JSON for ${channel}.`, 'ProtocolError', channel, response.status);
      }
    }
    if (!response.ok) {
      const error = rebuildError(body ?? `HTTP ${response.status} ${response.statusText}`, channel, response.status);
      if (response.status === 401 || response.status === 403) error.name = 'AccessDenied';
      throw error;
    }
    return body as Responses[C];
  }

  /** GET /download: the server renders the report into a temporary file and sends it as an attachment. */
  downloadExport(id: string, format: ExportFormat): Promise<DownloadedFile> {
    return this.download({ id, format }, `losslab-${id}.${format === 'csv' ? 'zip' : format}`);
  }

  /** GET /download?id=…&run=…: one run's trained model (model.json + weights.bin) as a .zip. */
  downloadModel(id: string, runId: string): Promise<DownloadedFile> {
    return this.download({ id, run: runId }, `losslab-${id}-model.zip`);
  }

  /** One GET /download with its errors rebuilt like an API call's; the file name comes from Content-Disposition. */
  private async download(query: Record<string, string>, fallbackName: string): Promise<DownloadedFile> {
    const url = new URL(this.url('download'));
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    let response: Response;
    try {
      response = await this.fetchImpl(url.toString());
    } catch {
      throw new ConnectionError('The LossLab server did not answer: it may have stopped, or the network is down.', 'download');
    }
    if (!response.ok) {
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // plain text error
      }
      const error = rebuildError(body || `HTTP ${response.status} ${response.statusText}`, 'download', response.status);
      if (response.status === 401 || response.status === 403) error.name = 'AccessDenied';
      throw error;
    }
    const disposition = response.headers.get('content-disposition') ?? '';
    return { blob: await response.blob(), filename: /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName };
  }

  /** GET /upload: the limits the server enforces, so the page can refuse too much up front. */
  async uploadLimits(): Promise<UploadLimits> {
    return this.fetchJson<UploadLimits>('upload', this.url('upload'), undefined);
  }

  /** POST /upload?workspace=…&path=…: the body is the file's bytes, streamed to disk by the server. */
  async uploadFile(workspace: string, path: string, body: Blob): Promise<StoredUpload> {
    const url = new URL(this.url('upload'));
    url.searchParams.set('workspace', workspace);
    url.searchParams.set('path', path);
    return this.fetchJson<StoredUpload>('upload', url.toString(), { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
  }

  private async fetchJson<T>(channel: string, url: string, init: RequestInit | undefined): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, init);
    } catch {
      throw new ConnectionError('The LossLab server did not answer: it may have stopped, or the network is down.', channel);
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // plain text error
    }
    if (!response.ok) {
      const error = rebuildError(body || `HTTP ${response.status} ${response.statusText}`, channel, response.status);
      if (response.status === 401 || response.status === 403) error.name = 'AccessDenied';
      throw error;
    }
    return body as T;
  }

  subscribe(listener: (event: ApiEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    this.ensureSocket();
    return () => this.listeners.delete(listener);
  }

  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe {
    this.connectionListeners.add(listener);
    listener(this.state);
    return () => this.connectionListeners.delete(listener);
  }

  async pathForFile(): Promise<string | null> {
    // A browser never reveals where a dropped file lives on disk; served mode uses the folder browser.
    return null;
  }

  /** Opens the event socket now rather than on first subscription (so no event is missed at start-up). */
  connect(): void {
    this.ensureSocket();
  }

  close(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.setState('closed');
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.connectionListeners) listener(state);
  }

  private ensureSocket(): void {
    if (this.socket || this.reconnectTimer) return;
    const socket = new this.WebSocketImpl(this.url('events', 'ws'));
    this.socket = socket;
    this.setState(this.state === 'closed' ? 'connecting' : 'reconnecting');
    socket.onopen = () => {
      this.reconnectDelay = this.options.reconnectDelayMs ?? 500;
      this.setState('open');
    };
    socket.onmessage = (message: MessageEvent) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(String(message.data)) as ApiEvent;
      } catch {
        return; // A malformed frame is dropped rather than crashing every listener.
      }
      if (!event || typeof event.type !== 'string') return;
      for (const listener of [...this.listeners]) listener(event);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return; // closed on purpose
      this.socket = null;
      this.setState('reconnecting');
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.ensureSocket();
      }, this.reconnectDelay);
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, MAX_RECONNECT_DELAY_MS);
    };
  }
}
