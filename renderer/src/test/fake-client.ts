import type { ApiEvent, Channel, Request, Responses } from '../api/types';
import { createClient } from '../api/client';
import type { ConnectionState, DownloadedFile, ExportFormat, LossLabClient, StoredUpload, Transport, UploadLimits } from '../api/types';

type Handlers = { [C in Channel]?: (request: Request<C>) => Responses[C] | Promise<Responses[C]> };

/**
 * A transport for tests: answers from the given handlers, records every call, and lets a
 * test push events as the main side would. Lives under src/test and is never bundled.
 */
export class FakeTransport implements Transport {
  readonly mode: 'desktop' | 'served';
  readonly calls: { channel: Channel; request: unknown }[] = [];
  private readonly listeners = new Set<(event: ApiEvent) => void>();

  constructor(
    private readonly handlers: Handlers,
    mode: 'desktop' | 'served' = 'served',
  ) {
    this.mode = mode;
  }

  async call<C extends Channel>(channel: C, request: Request<C>): Promise<Responses[C]> {
    this.calls.push({ channel, request });
    const handler = this.handlers[channel] as ((r: Request<C>) => Responses[C] | Promise<Responses[C]>) | undefined;
    if (!handler) throw new Error(`No fake handler for ${channel}`);
    return handler(request);
  }

  subscribe(listener: (event: ApiEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ApiEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  async pathForFile(): Promise<string | null> {
    return null;
  }

  /** Served mode's download; a test replaces `download` to answer it. */
  download: ((id: string, format: ExportFormat) => Promise<DownloadedFile>) | null = null;

  get downloadExport(): ((id: string, format: ExportFormat) => Promise<DownloadedFile>) | undefined {
    if (this.mode !== 'served') return undefined;
    return async (id, format) => {
      this.calls.push({ channel: 'download' as never, request: { id, format } });
      if (!this.download) throw new Error('No fake download handler');
      return this.download(id, format);
    };
  }

  /** Served mode's model download; a test replaces `modelDownload` to answer it. */
  modelDownload: ((id: string, runId: string) => Promise<DownloadedFile>) | null = null;

  get downloadModel(): ((id: string, runId: string) => Promise<DownloadedFile>) | undefined {
    if (this.mode !== 'served') return undefined;
    return async (id, runId) => {
      this.calls.push({ channel: 'downloadModel' as never, request: { id, runId } });
      if (!this.modelDownload) throw new Error('No fake model download handler');
      return this.modelDownload(id, runId);
    };
  }

  /** Served mode's uploads: the limits the fake server answers, and each file sent. */
  uploadLimitsAnswer: UploadLimits = { folder: '/srv/root/losslab-uploads', limits: { fileBytes: 2 ** 20, workspaceBytes: 2 ** 30 } };
  readonly uploaded: { workspace: string; path: string; size: number }[] = [];

  get uploadLimits(): (() => Promise<UploadLimits>) | undefined {
    if (this.mode !== 'served') return undefined;
    return async () => this.uploadLimitsAnswer;
  }

  get uploadFile(): ((workspace: string, path: string, body: Blob) => Promise<StoredUpload>) | undefined {
    if (this.mode !== 'served') return undefined;
    return async (workspace, path, body) => {
      this.uploaded.push({ workspace, path, size: body.size });
      return { workspace, folder: `${this.uploadLimitsAnswer.folder}/${workspace}`, stored: [path], skipped: [], workspaceBytes: body.size };
    };
  }

  onConnectionChange(listener: (state: ConnectionState) => void) {
    listener('open');
    return () => {};
  }
}

export function fakeClient(handlers: Handlers = {}, mode: 'desktop' | 'served' = 'served'): { client: LossLabClient; transport: FakeTransport } {
  const transport = new FakeTransport(handlers, mode);
  return { client: createClient(transport), transport };
}
