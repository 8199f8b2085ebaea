import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { packageRoot } from '../dataset/sample';
import { createServices, type Services } from '../services/create-services';
import type { RunnerFactory } from '../experiment/run-experiment';
import { handleApiRequest } from './api-route';
import { createAccessToken, presentedToken, tokenCookie, tokenMatches } from './auth';
import { EventHub } from './event-hub';
import { handleDownloadRequest } from './download-route';
import { handleFileRequest } from './files-route';
import { sendError, setSecurityHeaders } from './responses';
import { handleStaticRequest } from './static-route';
import { handleUploadRequest } from './upload-route';
import { DEFAULT_UPLOAD_LIMITS, UploadStore, type UploadLimits } from './upload-store';

export interface ServeOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** The folder browser's root: datasets may be opened, and exports written, below it. */
  browseRoot: string;
  dataDir: string;
  cacheDir: string | undefined;
  /** The renderer's build output; dist/renderer of the package by default. */
  rendererDir?: string;
  /** A fixed token (tests); a random one otherwise. */
  token?: string;
  /** Largest accepted API request body. */
  maxBodyBytes?: number;
  log?: (line: string) => void;
  /** Upload size limits (per image, per workspace); DEFAULT_UPLOAD_LIMITS otherwise. */
  uploadLimits?: UploadLimits;
  /** Who trains experiments' runs (queue workers with --redis); local worker threads by default. */
  runner?: RunnerFactory;
  /** The Redis of that runner, for the app's Workers panel. */
  redisUrl?: string;
}

export interface RunningServer {
  /** The URL to open, token included. */
  url: string;
  origin: string;
  token: string;
  port: number;
  services: Services;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 1 * 2 ** 20;

export function defaultRendererDir(): string {
  return path.join(packageRoot(), 'dist', 'renderer');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function originMatchesHost(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Served mode: the renderer's files, the API over POST /api/<channel>, events over the /events
 * WebSocket, images over /files, report downloads over /download and a laptop's images in over /upload — all behind one random token. Every request is handled in
 * isolation: a bad request gets an error response and the server keeps serving.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? createAccessToken();
  const log = options.log ?? (() => undefined);
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  const hub = new EventHub();
  const services = createServices({
    dataDir: options.dataDir,
    cacheDir: options.cacheDir,
    emit: hub.broadcast,
    mode: 'served',
    browseRoot: path.resolve(options.browseRoot),
    ...(options.runner ? { runner: options.runner } : {}),
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
  });
  const uploads = new UploadStore(path.resolve(options.browseRoot), options.uploadLimits ?? DEFAULT_UPLOAD_LIMITS);
  const apiOptions = {
    handlers: services.handlers,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    onRejected: (channel: string, message: string) => log(`refused ${channel}: ${message}`),
  };

  async function route(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    setSecurityHeaders(response);
    const url = new URL(request.url ?? '/', 'http://served.invalid');
    const presented = presentedToken(request, url);
    if (!tokenMatches(token, presented)) {
      request.resume();
      log(`401 ${request.method} ${url.pathname}`);
      if (url.pathname.startsWith('/api/') || url.pathname === '/files' || url.pathname === '/download' || url.pathname === '/upload') {
        return sendError(response, 401, 'Unauthorized', 'A valid access token is required. Open the URL that `losslab serve` printed (it ends in ?token=…).');
      }
      response.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('LossLab: a valid access token is required. Open the URL that `losslab serve` printed (it ends in ?token=…).\n');
      return;
    }
    if (url.pathname.startsWith('/api/')) return handleApiRequest(request, response, url.pathname.slice('/api/'.length), apiOptions);
    if (url.pathname === '/files') {
      request.resume();
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendError(response, 405, 'MethodNotAllowed', 'Images are fetched with GET.');
      return handleFileRequest(response, url, services.access);
    }
    if (url.pathname === '/download') {
      request.resume();
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendError(response, 405, 'MethodNotAllowed', 'Downloads are fetched with GET.');
      return handleDownloadRequest(response, url, services, request.method === 'HEAD');
    }
    if (url.pathname === '/upload') return handleUploadRequest(request, response, url, uploads);
    if (url.pathname === '/events') {
      return sendError(response, 426, 'UpgradeRequired', 'Connect to /events with a WebSocket.');
    }
    // The page is opened with ?token=…; from then on the cookie carries it for assets, images and the socket.
    const setCookie = url.searchParams.has('token') ? { 'Set-Cookie': tokenCookie(token) } : undefined;
    return handleStaticRequest(request, response, url.pathname, rendererDir, setCookie);
  }

  const server = http.createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      log(`error on ${request.method} ${request.url}: ${(error as Error).stack ?? String(error)}`);
      if (!response.headersSent) sendError(response, 500, 'InternalError', `The server failed on this request (${(error as Error).message}). It keeps running; try again.`);
      else response.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://served.invalid');
    // Browsers always send Origin on a WebSocket; one from another site is refused even with a token.
    const sameOrigin = originMatchesHost(request.headers.origin, request.headers.host);
    if (url.pathname !== '/events' || !tokenMatches(token, presentedToken(request, url)) || !sameOrigin) {
      log(`refused WebSocket ${url.pathname}`);
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    hub.upgrade(request, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${urlHost(options.host)}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    services,
    async close() {
      await services.shutdown();
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
