import type { ApiCalls, ApiEvent, Channel, Request, Responses } from '../../../main/api/contract';

export type { ApiCalls, ApiEvent, Channel, Request, Responses };

export type Unsubscribe = () => void;

/** Whether the event stream is live; served mode can lose its socket and reconnect. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * How the renderer reaches the main side. Two implementations: IPC through the Electron
 * preload, and HTTP + WebSocket in served mode. Everything above this layer is mode-blind.
 */
export interface Transport {
  readonly mode: 'desktop' | 'served';
  call<C extends Channel>(channel: C, request: Request<C>): Promise<Responses[C]>;
  subscribe(listener: (event: ApiEvent) => void): Unsubscribe;
  /** The absolute path of a dropped file or folder (now readable by LossLab); null where the platform cannot tell (served mode). */
  pathForFile(file: File): Promise<string | null>;
  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe;
  /** Served mode: a report rendered by the server and handed to the browser as a file (CSV: a .zip). Absent on the desktop. */
  downloadExport?(id: string, format: ExportFormat): Promise<DownloadedFile>;
  /** Served mode: one run's trained model as a .zip. Absent on the desktop, which saves it through a folder dialog. */
  downloadModel?(id: string, runId: string): Promise<DownloadedFile>;
  /** Served mode: the server's upload limits. Absent on the desktop, which opens local folders directly. */
  uploadLimits?(): Promise<UploadLimits>;
  /** Served mode: one image (or a .zip, unpacked there) sent into a workspace below the server's --root. */
  uploadFile?(workspace: string, path: string, body: Blob): Promise<StoredUpload>;
}

/** What `losslab serve` accepts from a browser (--upload-file-limit, --upload-limit). */
export interface UploadLimits {
  folder: string;
  limits: { fileBytes: number; workspaceBytes: number };
}

/** The server's answer to one upload. */
export interface StoredUpload {
  workspace: string;
  /** The workspace on the server: the folder to open as a dataset. */
  folder: string;
  stored: string[];
  skipped: { path: string; reason: string }[];
  workspaceBytes: number;
}

export type ExportFormat = Request<'experiments.export'>['format'];

/** A file the browser received, to be saved on the user's machine. */
export interface DownloadedFile {
  blob: Blob;
  filename: string;
}

/** The API the screens use: the contract's calls plus the event stream. */
export interface LossLabClient {
  readonly mode: 'desktop' | 'served';
  readonly api: ApiCalls;
  onEvent(listener: (event: ApiEvent) => void): Unsubscribe;
  /** Only the events of one type, with their payload typed. */
  on<E extends ApiEvent['type']>(type: E, listener: (data: Extract<ApiEvent, { type: E }>['data']) => void): Unsubscribe;
  pathForFile(file: File): Promise<string | null>;
  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe;
  /** Served mode only (null on the desktop, which saves through a native dialog). */
  readonly downloadExport: ((id: string, format: ExportFormat) => Promise<DownloadedFile>) | null;
  /** Served mode only (null on the desktop, which uses dialog.saveModel). */
  readonly downloadModel: ((id: string, runId: string) => Promise<DownloadedFile>) | null;
  /** Served mode only (null on the desktop, where the native folder dialog covers it). */
  readonly uploads: { limits(): Promise<UploadLimits>; send(workspace: string, path: string, body: Blob): Promise<StoredUpload> } | null;
}
